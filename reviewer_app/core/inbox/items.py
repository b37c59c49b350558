"""Review items and their revisions: from the fetched refs to rows in ``inbox_items``/``inbox_revisions``.

An item's identity is its remote and what the forge calls it (pull request 123, merge request 7,
Gerrit change 4711, branch feature/x), so it survives force-pushes. A head is diffed from its merge
base with the default branch (what the forge's own "Files changed" shows) and analysed like any
change; a new change id is a new revision, the same change id on a new head (a rebase that left the
diff alone) only moves the head, so the approvals of that change id keep counting. Items whose ref is
gone, or whose head the default branch already contains, are closed and kept.
"""

from __future__ import annotations

import fnmatch
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.inbox.config import InboxConfig, load_inbox_config
from reviewer_app.core.inbox.fetch import (fetch_review_refs, inbox_prefix, local_review_refs,
                                           remote_default_branch)
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

GITHUB, GITLAB, GERRIT, BRANCH, PATCH = "github-pull", "gitlab-merge-request", "gerrit-change", "branch", "patch"
_PULL = re.compile(r"^pull/(\d+)$")
_MERGE_REQUEST = re.compile(r"^merge-requests/(\d+)$")
_GERRIT = re.compile(r"^changes/\d\d/(\d+)/(\d+)$")  # patch sets; .../meta (NoteDb) is not a patch set


@dataclass(frozen=True)
class ItemRef:
    """One review item as the fetched refs show it now."""

    kind: str
    key: str  # below the inbox prefix: pull/123, changes/11/4711/3, heads/feature/x
    number: int | None
    name: str  # what a person calls it: "PR #123", "MR !7", "Gerrit 4711", "feature/x"
    remote_ref: str
    head: str
    committed: int  # committer time of the head, seconds since the epoch

    def item_id(self, remote: str) -> str:
        return f"{remote}:{self.kind}:{self.number if self.number is not None else self.name}"


@dataclass
class InboxReport:
    remote: str
    default_branch: str = ""
    items_seen: int = 0
    new_items: list[str] = field(default_factory=list)
    new_revisions: list[str] = field(default_factory=list)  # "PR #12 revision 2"
    rebased: list[str] = field(default_factory=list)  # new head, same change id
    closed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    high_or_critical: list[str] = field(default_factory=list)  # new revisions rated high/critical, for a notice

    def summary(self) -> str:
        parts = [f"{self.items_seen} open review item(s) on '{self.remote}'"]
        if self.new_items:
            parts.append(f"{len(self.new_items)} new")
        if self.new_revisions:
            parts.append(f"{len(self.new_revisions)} new revision(s)")
        if self.rebased:
            parts.append(f"{len(self.rebased)} rebased without changes (approvals still count)")
        if self.closed:
            parts.append(f"{len(self.closed)} closed")
        return ", ".join(parts)


def classify(key: str, remote_default: str) -> tuple[str, int | None, str, str] | None:
    """(kind, number, name, remote ref) for a fetched ref, or None when it is not a review item."""
    if match := _PULL.match(key):
        number = int(match.group(1))
        return GITHUB, number, f"PR #{number}", f"refs/pull/{number}/head"
    if match := _MERGE_REQUEST.match(key):
        number = int(match.group(1))
        return GITLAB, number, f"MR !{number}", f"refs/merge-requests/{number}/head"
    if match := _GERRIT.match(key):
        number = int(match.group(1))
        return GERRIT, number, f"Gerrit {number}", f"refs/{key}"
    if key.startswith("heads/") and key != f"heads/{remote_default}":
        branch = key[len("heads/"):]
        return BRANCH, None, branch, f"refs/{key}"
    return None


def discover(refs: dict[str, tuple[str, int]], config: InboxConfig, default_branch: str,
             now: float | None = None) -> list[ItemRef]:
    """The review items the refs hold (Gerrit: the latest patch set of each change), as configured."""
    now = time.time() if now is None else now
    oldest = now - config.max_age_days * 86400 if config.max_age_days else None
    latest_patch_set: dict[int, tuple[int, ItemRef]] = {}
    items: list[ItemRef] = []
    for key, (head, committed) in sorted(refs.items()):
        named = classify(key, default_branch)
        if named is None:
            continue
        if not any(fnmatch.fnmatchcase(key, p) for p in config.include):
            continue
        if any(fnmatch.fnmatchcase(key, p) for p in config.exclude):
            continue
        if oldest is not None and committed < oldest:
            continue
        kind, number, name, remote_ref = named
        item = ItemRef(kind, key, number, name, remote_ref, head, committed)
        if kind == GERRIT and number is not None:
            patch_set = int(key.rsplit("/", 1)[1])
            if number not in latest_patch_set or latest_patch_set[number][0] < patch_set:
                latest_patch_set[number] = (patch_set, item)
            continue
        items.append(item)
    items.extend(item for _set, item in latest_patch_set.values())
    return items


def choose_default_branch(repo: Path, remote: str, config: InboxConfig, refs: dict[str, tuple[str, int]]) -> str:
    if config.default_branch:
        if f"heads/{config.default_branch}" not in refs:
            raise UserError(f"{config.source}: default_branch {config.default_branch!r} is not a branch on '{remote}'")
        return config.default_branch
    asked = remote_default_branch(repo, remote)
    for branch in (asked, "main", "master"):
        if branch and f"heads/{branch}" in refs:
            return branch
    raise UserError(f"'{remote}' has no default branch (HEAD, main or master): set default_branch in .reviewer/inbox.toml")


def merged_keys(repo: Path, remote: str, default_head: str) -> set[str]:
    """The fetched refs whose head the default branch already contains (one git process for all)."""
    prefix = inbox_prefix(remote)
    out = run_git(repo, "for-each-ref", f"--merged={default_head}", "--format=%(refname)", prefix).stdout
    return {line[len(prefix):] for line in out.decode("utf-8", "replace").splitlines() if line.startswith(prefix)}


def _now() -> str:
    from reviewer_app.core.store import utc_now

    return utc_now()


def _known_items(db: "sqlite_utils.Database", remote: str) -> dict[str, dict[str, Any]]:
    cursor = db.execute("SELECT id, head, state, name FROM inbox_items WHERE remote = ?", [remote])
    return {row[0]: {"head": row[1], "state": row[2], "name": row[3]} for row in cursor.fetchall()}


def _last_revision(db: "sqlite_utils.Database", item_id: str) -> tuple[int, str] | None:
    row = db.execute("SELECT revision, change_id FROM inbox_revisions WHERE item_id = ? ORDER BY revision DESC LIMIT 1",
                     [item_id]).fetchone()
    return (row[0], row[1]) if row else None


def sync_inbox(db: "sqlite_utils.Database", repo: Path, remote: str = "origin", *, fetch: bool = True,
               config: InboxConfig | None = None, progress: Any = None) -> InboxReport:
    """Fetch the review refs, then bring items and revisions up to date (see the module's comment).

    ``progress(done, total)`` is called between items (the GUI reports it; a cancel raises from it).
    """
    from reviewer_app.core import risk, services
    from reviewer_app.core.analysis import submit_change
    from reviewer_app.core.ingest import load_git_range
    from reviewer_app.core.store import transaction

    config = config if config is not None else load_inbox_config(Workspace(repo))
    report = InboxReport(remote=remote)
    if fetch:
        fetch_review_refs(repo, remote)
    refs = local_review_refs(repo, remote)
    default = choose_default_branch(repo, remote, config, refs)
    report.default_branch = default
    default_ref = f"{inbox_prefix(remote)}heads/{default}"
    default_head = refs[f"heads/{default}"][0]
    discovered = discover(refs, config, default)
    known = _known_items(db, remote)
    merged = merged_keys(repo, remote, default_head)
    seen: set[str] = set()
    # Rules and catalog are read once per base commit: most items share the default branch's tip.
    judged_by: dict[str, tuple[Workspace, Any, Any]] = {}
    for done, item in enumerate(discovered):
        if progress is not None:
            progress(done, len(discovered))
        item_id = item.item_id(remote)
        seen.add(item_id)
        previous = known.get(item_id)
        if item.key in merged:
            if previous is not None and previous["state"] == "open":
                _close(db, item_id, "merged")
                report.closed.append(f"{item.name} (merged into {default})")
            continue
        if previous is not None and previous["head"] == item.head and previous["state"] == "open":
            continue
        try:
            change = load_git_range(repo, f"{default_ref}..{inbox_prefix(remote)}{item.key}")
        except UserError as exc:
            report.problems.append(f"{item.name}: {exc.message}")
            continue
        base = change.base or default_head
        if base not in judged_by:
            workspace = Workspace(repo, revision=base)
            judged_by[base] = (workspace, risk.load_rules(workspace), services.load_catalog(workspace))
        workspace, rules, catalog = judged_by[base]
        change.source = f"{remote} {item.name}"
        with transaction(db):
            change_id, _created = submit_change(db, change, workspace, rules=rules, catalog=catalog)
            now = _now()
            if previous is None:
                db.execute("INSERT INTO inbox_items (id, remote, kind, ref, number, name, state, closed_reason, head, "
                           "first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?, ?)",
                           [item_id, remote, item.kind, item.remote_ref, item.number, item.name, item.head, now, now])
                report.new_items.append(item.name)
            else:
                db.execute("UPDATE inbox_items SET head = ?, ref = ?, state = 'open', closed_reason = NULL, "
                           "updated_at = ? WHERE id = ?", [item.head, item.remote_ref, now, item_id])
            last = _last_revision(db, item_id)
            if last is not None and last[1] == change_id:
                report.rebased.append(item.name)
            else:
                revision = (last[0] if last else 0) + 1
                db.execute("INSERT INTO inbox_revisions (item_id, revision, change_id, base, head, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)", [item_id, revision, change_id, base, item.head, now])
                if revision > 1:
                    report.new_revisions.append(f"{item.name} revision {revision}")
                level = db.execute("SELECT risk_level FROM changes WHERE change_id = ?", [change_id]).fetchone()
                if level and level[0] in ("high", "critical"):
                    report.high_or_critical.append(f"{item.name}: {change.title}")
    # Closed as deleted only when the ref is really gone (not when a filter or the age limit hides it).
    present = {f"{remote}:{named[0]}:{named[1] if named[1] is not None else named[2]}"
               for key in refs if (named := classify(key, default)) is not None}
    for item_id, previous in known.items():
        if item_id not in seen and item_id not in present and previous["state"] == "open":
            _close(db, item_id, "deleted")
            report.closed.append(f"{previous['name']} (ref deleted)")
    report.items_seen = len(discovered)
    return report


def _close(db: "sqlite_utils.Database", item_id: str, reason: str) -> None:
    from reviewer_app.core.store import transaction

    with transaction(db):
        db.execute("UPDATE inbox_items SET state = 'closed', closed_reason = ?, updated_at = ? WHERE id = ?",
                   [reason, _now(), item_id])
