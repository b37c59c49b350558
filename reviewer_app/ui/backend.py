"""What the window shows, gathered from the Qt-free core; every function here runs in a worker.

No Qt in this module: it turns store rows, analysis JSON, events and policy decisions into small
plain objects (``QueueRow``, ``ChangeDetail``, ``ApprovalState``) that the models and widgets render.
Each call opens its own database connection, so workers never share one across threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.core import store
from reviewer_app.core.model import Change
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError
from reviewer_app.ui import approvals

STATUS_NEEDS_ME = "needs my review"
STATUS_WAITING = "waiting for others"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"


@dataclass
class QueueRow:
    change_id: str
    title: str
    author_name: str
    author_email: str
    ai_assisted: bool
    ai_tools: list[str]
    risk_level: str | None
    risk_score: int | None
    services: list[str]  # most critical first
    critical_service: str | None
    max_tier: int | None
    approvals_have: int
    approvals_need: int
    approvals_detail: str
    submitted_at: str | None
    status: str
    source: str = ""
    item_name: str = ""  # "PR #12", "MR !7", "Gerrit 4711", a branch; "" for a change submitted as a patch
    revision: int | None = None
    previous_change_id: str | None = None
    since_my_review: dict[str, Any] | None = None  # {files, added, removed, since_change_id}
    rebased: bool = False  # the item's latest head is a rebase that kept this change id (approvals count)

    def search_text(self) -> str:
        parts = [self.title, self.author_name, self.author_email, *self.services, *self.ai_tools, self.status,
                 self.item_name]
        return " ".join(parts).lower()

    def badge(self) -> str:
        """The queue's note beside the status: what changed since my review, or that a rebase kept the id."""
        if self.since_my_review:
            s = self.since_my_review
            return (f"updated since your review: {s['files']} file{'s' if s['files'] != 1 else ''}, "
                    f"+{s['added']} \u2212{s['removed']}")
        if self.rebased:
            return "rebased, diff unchanged: approvals still count"
        return ""


@dataclass
class ServiceRef:
    name: str
    tier: int | None
    owner: str
    kind: str  # "direct" | "transitive"
    via: list[str] = field(default_factory=list)  # for a dependent: the chain from a direct service to it


@dataclass
class ChangeDetail:
    change_id: str
    analysis: dict[str, Any]
    change: Change
    viewed: set[str]
    approval: approvals.ApprovalState
    services: list[ServiceRef]
    graph: dict[str, Any]  # graph_export: nodes[{id,name,kind,tier,owner,affected}], edges[{source,target,kind}]
    findings: list[dict[str, Any]]
    generated_paths: set[str]
    revision_note: str = ""  # "revision 2 of PR #12 (origin)": what an approval of this change signs
    since_review_id: str | None = None  # the earlier revision I approved or rejected, for "changes since my review"


# --- services out of the analysis JSON -----------------------------------------------------------

def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def service_refs(services: dict[str, Any] | None) -> list[ServiceRef]:
    """Direct then transitive services from ``Affected.to_dict()``, each group by tier (0 first)."""
    result: list[ServiceRef] = []
    for kind in ("direct", "transitive"):
        group = []
        for entry in (services or {}).get(kind) or []:
            if isinstance(entry, str):
                group.append(ServiceRef(entry, None, "", kind))
                continue
            name = str(entry.get("name") or entry.get("id") or entry.get("service") or "?")
            owner = entry.get("owner") or ""
            if isinstance(owner, list):
                owner = ", ".join(map(str, owner))
            via = entry.get("via") or []
            if isinstance(via, str):
                via = [via]
            group.append(ServiceRef(name, _as_int(entry.get("tier")), str(owner), kind, [str(v) for v in via]))
        group.sort(key=lambda ref: (ref.tier if ref.tier is not None else 99, ref.name))
        result.extend(group)
    return result


def _most_critical(refs: list[ServiceRef]) -> tuple[str | None, int | None]:
    tiered = [ref for ref in refs if ref.tier is not None]
    if not tiered:
        return (refs[0].name if refs else None), None
    best = min(tiered, key=lambda ref: (ref.tier, ref.kind != "direct", ref.name))
    return best.name, best.tier


# --- the queue -----------------------------------------------------------------------------------

def queue_status(state: approvals.ApprovalState, me: str, authors: set[str] = frozenset()) -> str:
    """Rejected and approved first; then "waiting for others" when I approved or wrote the change."""
    if state.rejected:
        return STATUS_REJECTED
    if state.satisfied:
        return STATUS_APPROVED
    mine = me.lower()
    if mine and (mine in {p.lower() for p in state.approved_by} or mine in authors):
        return STATUS_WAITING
    return STATUS_NEEDS_ME



def load_queue(db_path: Path | None, workspace_root: Path | None, me: str) -> list[QueueRow]:
    """Every review item once, at its latest revision (core.inbox.status), plus changes opened as patches."""
    from reviewer_app.core.inbox.status import queue_entries

    db = store.open_db(db_path)
    config_cache: dict[str | None, Any] = {}  # policy and signers per base commit, read once per refresh
    try:
        items = {row["change_id"]: row for row in store.list_changes(db)}
        rows = []
        for entry in queue_entries(db, workspace_root, me or None):
            item = items[entry.change_id]
            analysis = store.get_analysis(db, entry.change_id) or {}
            refs = service_refs(analysis.get("services"))
            critical, tier = _most_critical(refs)
            if tier is None:
                tier = _as_int((analysis.get("services") or {}).get("max_tier"))
            # Judged once, by queue_entries; a policy it could not read is judged (and reported) here.
            state = approvals.approval_state(db, entry.change_id, analysis, workspace_root, config_cache,
                                             verdict=entry.verdict)
            status = entry.status if me else queue_status(state, me, approvals.change_authors(analysis))
            rows.append(QueueRow(
                change_id=entry.change_id, title=item["title"], author_name=item["author_name"],
                author_email=item["author_email"], ai_assisted=bool(item["ai_assisted"]),
                ai_tools=list(item["ai_tools"] or []), risk_level=item["risk_level"], risk_score=item["risk_score"],
                services=[ref.name for ref in refs], critical_service=critical, max_tier=tier,
                approvals_have=state.have, approvals_need=state.need, approvals_detail=state.summary(),
                submitted_at=item["submitted_at"], status=status, source=item["source"],
                item_name=entry.item["name"] if entry.item["kind"] != "patch" else "", revision=entry.revision,
                previous_change_id=entry.previous_change_id, since_my_review=entry.since_my_review,
                rebased=entry.rebased,
            ))
        return rows
    finally:
        db.close()


def load_interdiff(db_path: Path | None, old_id: str, new_id: str, workspace_root: Path | None) -> Change:
    """The changes since my review as a Change the diff view can show; hunks that only come from the base
    moving are shown as unchanged lines under a header that says so (greyed, not coloured as edits)."""
    from reviewer_app.core.inbox.interdiff import interdiff
    from reviewer_app.core.model import FileDiff, FileStatus, Hunk, Line, LineKind, Person

    db = store.open_db(db_path)
    try:
        result = interdiff(db, workspace_root, old_id, new_id)
    finally:
        db.close()
    files = []
    for entry in result["files"]:
        hunks = []
        for raw in entry["hunks"]:
            rebase = bool(raw.get("from_rebase"))
            lines, old_no, new_no = [], int(raw.get("old_start") or 1), int(raw.get("new_start") or 1)
            for text in raw["lines"]:
                kind = LineKind(text[:1]) if text[:1] in "+- " and text else LineKind.CONTEXT
                if rebase:
                    kind = LineKind.CONTEXT if kind is not LineKind.REMOVED else None  # type: ignore[assignment]
                    if kind is None:
                        continue  # the old side of someone else's edit: the new side stands, greyed
                lines.append(Line(kind, old_no if kind is not LineKind.ADDED else None,
                                  new_no if kind is not LineKind.REMOVED else None, text[1:]))
                old_no += kind is not LineKind.ADDED
                new_no += kind is not LineKind.REMOVED
            section = "from the rebase: other people's changes, not the author's" if rebase else str(raw.get("section") or "")
            hunks.append(Hunk(int(raw.get("old_start") or 1), int(raw.get("old_count") or 0),
                              int(raw.get("new_start") or 1), int(raw.get("new_count") or 0), section, lines))
        files.append(FileDiff(entry["path"], entry["path"], FileStatus.MODIFIED, hunks=hunks))
    return Change(title=f"Changes since your review ({result['basis']})", message="", author=Person("", ""),
                  committer=None, author_date=None, commit_date=None, files=files)


# --- one change ----------------------------------------------------------------------------------

def viewed_paths(db: Any, change_id: str) -> set[str]:
    rows = db.execute("SELECT path FROM review_progress WHERE change_id = ? AND viewed = 1", [change_id]).fetchall()
    return {row[0] for row in rows}


def set_viewed(db_path: Path | None, change_id: str, path: str, viewed: bool) -> None:
    db = store.open_db(db_path)
    try:
        with db.conn:
            db.execute(
                "INSERT INTO review_progress (change_id, path, viewed) VALUES (?, ?, ?) "
                "ON CONFLICT(change_id, path) DO UPDATE SET viewed = excluded.viewed",
                [change_id, path, int(viewed)],
            )
    finally:
        db.close()


def _generated_paths(analysis: dict[str, Any]) -> set[str]:
    """Paths the analysis marks as generated (lock files, vendored code), collapsed by the diff view."""
    paths = set()
    for entry in analysis.get("files") or []:
        if isinstance(entry, dict) and entry.get("generated"):
            paths.add(str(entry.get("path")))
    for path in (analysis.get("risk") or {}).get("generated_paths") or []:
        paths.add(str(path))
    return paths


def _graph(workspace_root: Path | None, change: Change) -> dict[str, Any]:
    from reviewer_app.core import services  # the catalog is only needed for the services tab

    workspace = Workspace(root=workspace_root)
    catalog = services.load_catalog(workspace)
    affected = services.affected(catalog, change.paths)
    # One hop around the affected services: enough context to see what sits next to them, few
    # enough nodes to read in a narrow pane.
    return services.graph_export(catalog, affected, neighbourhood=1)


def revision_of(db: Any, change_id: str, me: str) -> tuple[str, str | None]:
    """("revision N of ITEM (remote)" or "", the last earlier revision ``me`` approved or rejected)."""
    from reviewer_app.core.approvals.decisions import standing_decision

    row = db.execute("SELECT i.id, i.name, i.remote, r.revision FROM inbox_revisions r JOIN inbox_items i "
                     "ON i.id = r.item_id WHERE r.change_id = ? ORDER BY r.revision DESC LIMIT 1", [change_id]).fetchone()
    if row is None:
        return "", None
    note = f"revision {row[3]} of {row[1]} ({row[2]})"
    if not me:
        return note, None
    earlier = [r[0] for r in db.execute("SELECT change_id FROM inbox_revisions WHERE item_id = ? AND revision < ? "
                                        "ORDER BY revision", [row[0], row[3]])]
    for candidate in reversed(earlier):
        decision = standing_decision(db, candidate, me.lower())
        if decision is not None and decision.type in ("approve", "reject"):
            return note, candidate
    return note, None


def load_change_detail(db_path: Path | None, change_id: str, workspace_root: Path | None,
                       context: Any = None, me: str = "") -> ChangeDetail:
    """Everything the centre and the inspector need for one change: parse, progress, policy, graph."""
    from reviewer_app.core.diffparse import parse_patch

    db = store.open_db(db_path)
    try:
        analysis = store.get_analysis(db, change_id)
        patch = store.get_patch(db, change_id)
        if analysis is None or patch is None:
            raise UserError(f"{change_id}: no such change in the queue")
        if context is not None:
            context.check()
        changes = parse_patch(patch, analysis.get("source") or change_id)
        change = _pick(changes, change_id)
        if context is not None:
            context.check()
        analysis = current_analysis(analysis, change, workspace_root)
        state = approvals.approval_state(db, change_id, analysis, workspace_root)
        viewed = viewed_paths(db, change_id)
        revision_note, since_review_id = revision_of(db, change_id, me)
    finally:
        db.close()
    try:
        graph = _graph(workspace_root, change) if workspace_root is not None else {"nodes": [], "edges": []}
    except UserError as exc:
        graph = {"nodes": [], "edges": [], "error": exc.message}
    return ChangeDetail(
        change_id=change_id, analysis=analysis, change=change, viewed=viewed, approval=state,
        services=service_refs(analysis.get("services")), graph=graph,
        findings=list((analysis.get("risk") or {}).get("findings") or []),
        generated_paths=_generated_paths(analysis), revision_note=revision_note, since_review_id=since_review_id,
    )


def current_analysis(stored: dict[str, Any], change: Change, workspace_root: Path | None) -> dict[str, Any]:
    """The stored analysis, or a fresh one when the team's rules changed since it was queued.

    The gate recomputes findings with the rules at the base; acknowledging stale findings would
    sign an approval the gate then refuses as "unacknowledged findings".
    """
    from reviewer_app.core import risk
    from reviewer_app.core.analysis import analyze

    if workspace_root is None:
        return stored
    workspace = approvals.config_workspace(workspace_root, stored)
    try:
        rules = risk.load_rules(workspace)
    except UserError:
        return stored  # the policy error shows in the approvals tab; the stored findings still inform
    if (stored.get("risk") or {}).get("rule_pack") == rules.pack_hash:
        return stored
    return analyze(change, workspace, rules=rules).to_dict()


def _pick(changes: list[Change], change_id: str) -> Change:
    """The stored patch is one change; with an mbox, the one whose id matches."""
    if len(changes) == 1:
        return changes[0]
    from reviewer_app.core.changeid import change_id as compute_id

    for change in changes:
        if compute_id(change) == change_id:
            return change
    return changes[0]


# --- adding changes ------------------------------------------------------------------------------

def ingest(db_path: Path | None, spec: str, repo: Path | None, workspace_root: Path | None,
           context: Any = None) -> list[str]:
    """Load a patch file or ``git:BASE..HEAD``, analyse and queue each change; their ids in order."""
    from reviewer_app.core.ingest import load_changes

    changes = load_changes(spec, repo)
    return _submit_all(db_path, changes, workspace_root, context)


def ingest_bytes(db_path: Path | None, data: bytes, source: str, workspace_root: Path | None,
                 context: Any = None) -> list[str]:
    """Same as ``ingest`` for patch bytes already read (a dropped file)."""
    from reviewer_app.core.diffparse import parse_patch

    return _submit_all(db_path, parse_patch(data, source), workspace_root, context)


def _submit_all(db_path: Path | None, changes: list[Change], workspace_root: Path | None, context: Any) -> list[str]:
    from reviewer_app.core import risk, services
    from reviewer_app.core.analysis import submit_change

    workspace = Workspace(root=workspace_root)
    # Loaded once for every change of an mbox, not once per change.
    rules, catalog = risk.load_rules(workspace), services.load_catalog(workspace)
    db = store.open_db(db_path)
    try:
        ids = []
        for number, change in enumerate(changes):
            if context is not None:
                context.progress(number, len(changes), change.title)
            change_id, _created = submit_change(db, change, workspace, rules=rules, catalog=catalog)
            ids.append(change_id)
        return ids
    finally:
        db.close()
