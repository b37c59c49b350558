"""The queue as a reviewer sees it: one entry per item at its latest revision, and what it needs from me.

Status for me, first match wins:
    closed                   the item's ref was deleted or its head merged (shown only when asked for)
    rejected                 someone's standing rejection of the latest revision
    approved                 the gate's own judgement says the policy holds
    updated since my review  I approved or rejected an earlier revision, and not this one
    needs my review          the policy still needs an approval that I could give (my level, an owner
                             of an affected service where the rule asks for one, not an author)
    waiting for others       everything else
The judgement is the gate's (``gate.judge``) over the local events, with the policy and allowed signers
of the change's base, so the queue never promises what CI would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

STATUSES = ("needs my review", "updated since my review", "waiting for others", "approved", "rejected", "closed")
LEVEL_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass
class QueueEntry:
    change_id: str
    title: str
    risk_level: str
    risk_score: int
    author_email: str
    ai_assisted: bool
    max_tier: int | None
    services: list[str]
    item: dict[str, Any]  # {kind, remote, ref, number, name}
    revision: int | None
    previous_change_id: str | None
    status: str
    have: int
    need: int
    since_my_review: dict[str, Any] | None = None  # {files, added, removed} when updated since my review
    rebased: bool = False  # the latest head is a rebase that kept this change id
    problems: list[str] = field(default_factory=list)
    verdict: Any = field(default=None, repr=False)  # the gate's ChangeVerdict, for a window that shows more of it

    def to_dict(self) -> dict[str, Any]:
        return {"change_id": self.change_id, "title": self.title, "risk_level": self.risk_level,
                "risk_score": self.risk_score, "author_email": self.author_email, "ai_assisted": self.ai_assisted,
                "max_tier": self.max_tier, "services": self.services, "item": self.item, "revision": self.revision,
                "previous_change_id": self.previous_change_id, "status": self.status,
                "approvals": {"have": self.have, "need": self.need}, "since_my_review": self.since_my_review,
                "rebased": self.rebased}


def _revisions(db: "sqlite_utils.Database") -> dict[str, list[tuple[int, str, str]]]:
    found: dict[str, list[tuple[int, str, str]]] = {}
    for item_id, revision, change_id, head in db.execute(
            "SELECT item_id, revision, change_id, head FROM inbox_revisions ORDER BY item_id, revision"):
        found.setdefault(item_id, []).append((revision, change_id, head))
    return found


def _items(db: "sqlite_utils.Database") -> dict[str, dict[str, Any]]:
    cursor = db.execute("SELECT id, remote, kind, ref, number, name, state, closed_reason, head FROM inbox_items")
    keys = [c[0] for c in cursor.description]
    return {row[0]: dict(zip(keys, row)) for row in cursor.fetchall()}


def could_approve(policy: Any, me: str, analysis: dict[str, Any], requirement: Any) -> bool:
    from reviewer_app.core.approvals import policy as approval_policy

    person = policy.people.get(me)
    if person is None or person.level not in approval_policy.RANKED_LEVELS:
        return False
    if approval_policy.RANKED_LEVELS.index(person.level) < approval_policy.RANKED_LEVELS.index(requirement.min_level):
        return False
    if requirement.owner_of_affected:
        owners = approval_policy.affected_owners(analysis)
        mine = {approval_policy._team_key(t) for t in person.teams} | {me}
        return bool(owners & mine)
    return True


def queue_entries(db: "sqlite_utils.Database", repo: Path | None, me: str | None,
                  include_closed: bool = False, fallback_repo: Path | None = None) -> list[QueueEntry]:
    """Every item once at its latest revision, plus changes submitted as patches; most dangerous first.

    Policy and signers come from ``repo``; without one, from the repository each change was submitted
    in (when it still exists), else from ``fallback_repo``.
    """
    from reviewer_app.core import store
    from reviewer_app.core.approvals import gate
    from reviewer_app.core.approvals import policy as approval_policy
    from reviewer_app.core.signing.allowed_signers import TrustStore
    from reviewer_app.core.approvals.decisions import config_workspace

    me = (me or "").strip().lower() or None
    items, revisions = _items(db), _revisions(db)
    in_item = {change_id: item_id for item_id, revs in revisions.items() for _r, change_id, _h in revs}
    latest = {item_id: revs[-1] for item_id, revs in revisions.items()}
    judges: dict[tuple[str, str | None], tuple[Any, Any] | UserError] = {}
    entries: list[QueueEntry] = []
    for row in store.list_changes(db):
        change_id = row["change_id"]
        item_id = in_item.get(change_id)
        if item_id is not None and latest[item_id][1] != change_id:
            continue  # an older revision: the item is shown once, at its latest
        item = items.get(item_id) if item_id else None
        if item is not None and item["state"] == "closed" and not include_closed:
            continue
        analysis = store.get_analysis(db, change_id) or {}
        root = repo or _submitted_in(row) or fallback_repo
        cache_key = (str(root), analysis.get("base"))
        if cache_key not in judges:
            try:
                workspace = config_workspace(root, analysis)
                judges[cache_key] = (approval_policy.load_policy(workspace), TrustStore.load(workspace))
            except UserError as exc:
                judges[cache_key] = exc
        judged = judges[cache_key]
        have = need = 0
        problems: list[str] = []
        verdict = None
        if isinstance(judged, UserError):
            problems.append(judged.message)
        else:
            verdict = gate.judge(db, analysis, judged[0], judged[1])
            need = max((r.needed for r in verdict.requirements), default=0)
            have = min((r.have for r in verdict.requirements), default=0)
        revs = revisions.get(item_id, []) if item_id else []
        revision = revs[-1][0] if revs else None
        previous = revs[-2][1] if len(revs) > 1 else None
        status, since = _status(db, repo, me, item, change_id, revs, analysis, verdict,
                                None if isinstance(judged, UserError) else judged[0])
        services = analysis.get("services") or {}
        entries.append(QueueEntry(
            change_id=change_id, title=row["title"], risk_level=row["risk_level"] or "low",
            risk_score=row["risk_score"] or 0, author_email=row["author_email"], ai_assisted=row["ai_assisted"],
            max_tier=services.get("max_tier"), services=[s.get("name") for s in services.get("direct") or []],
            item=_item_dict(item, row), revision=revision, previous_change_id=previous, status=status, have=have,
            need=need, since_my_review=since, rebased=bool(item and revs and item["head"] != revs[-1][2]),
            problems=problems, verdict=verdict))
    entries.sort(key=lambda e: (LEVEL_ORDER.get(e.risk_level, 9), -e.risk_score, e.change_id))
    return entries


def _submitted_in(row: dict[str, Any]) -> Path | None:
    from reviewer_app.core.gitcmd import repository_root

    folder = row.get("workspace")
    if not folder or not Path(folder).is_dir():
        return None
    return repository_root(Path(folder))


def _item_dict(item: dict[str, Any] | None, row: dict[str, Any]) -> dict[str, Any]:
    if item is None:
        return {"kind": "patch", "remote": None, "ref": None, "number": None, "name": "patch"}
    return {"kind": item["kind"], "remote": item["remote"], "ref": item["ref"], "number": item["number"],
            "name": item["name"]}


def _status(db: Any, repo: Path | None, me: str | None, item: dict[str, Any] | None, change_id: str,
            revs: list[tuple[int, str, str]], analysis: dict[str, Any], verdict: Any, policy: Any
            ) -> tuple[str, dict[str, Any] | None]:
    from reviewer_app.core.approvals.decisions import authors_of, standing_decision

    if item is not None and item["state"] == "closed":
        return "closed", None
    if verdict is not None and verdict.rejections:
        return "rejected", None
    if verdict is not None and verdict.approved:
        return "approved", None
    if me is None:
        return "waiting for others", None
    mine_now = standing_decision(db, change_id, me)
    if mine_now is None:
        for _revision, earlier_id, _head in reversed(revs[:-1]):
            earlier = standing_decision(db, earlier_id, me)
            if earlier is not None and earlier.type in ("approve", "reject"):
                return "updated since my review", since_review(db, repo, earlier_id, change_id)
    if (verdict is not None and mine_now is None and me not in authors_of(analysis)
            and any(not r.met and could_approve(policy, me, analysis, r) for r in verdict.requirements)):
        return "needs my review", None
    return "waiting for others", None


def since_review(db: Any, repo: Path | None, earlier_id: str, change_id: str) -> dict[str, Any] | None:
    """{files, added, removed} the author changed since ``earlier_id`` (rebase edits left out)."""
    from reviewer_app.core.inbox.interdiff import interdiff

    try:
        result = interdiff(db, repo, earlier_id, change_id)
    except UserError:
        return None
    own = [f for f in result["files"] if not f["from_rebase"]]
    return {"files": len(own), "added": sum(f["added"] for f in own), "removed": sum(f["removed"] for f in own),
            "since_change_id": earlier_id}
