"""One sync: fetch the ledger refs, import what verifies, publish what only this machine has.

Every step is idempotent, so an interrupted sync loses nothing and the next one completes it:
fetching again is harmless, events are content-addressed (importing twice is a no-op), a commit
built but never pushed is simply rebuilt, and events are marked pushed only once the remote
holds them. A push refused because the same person pushed from another machine meanwhile is
answered by fetching again and building the union over the new tip (bounded retries).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.signing.allowed_signers import ALLOWED_SIGNERS_PATH, TrustStore
from reviewer_app.core.approvals.events import count_unpushed
from reviewer_app.core.gitcmd import repository_root
from reviewer_app.core.sync import changeindex, gitobjects, transport
from reviewer_app.core.sync.dbtx import mark_pushed
from reviewer_app.core.sync.importer import ImportReport, import_refs, record_tips
from reviewer_app.core.sync.publisher import plan_updates
from reviewer_app.core.sync.refs import LAYOUT_REF, tracking_of, tracking_ref
from reviewer_app.core.sync.transport import RemoteError
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError

# Enough for several machines of one person pushing at the same moment; each retry refetches.
MAX_PUSH_ATTEMPTS = 25


@dataclass
class SyncReport:
    remote: str
    fetched_refs: int = 0
    imported: ImportReport = field(default_factory=ImportReport)
    pushed_events: int = 0
    pushed_patches: int = 0
    pushed_refs: list[str] = field(default_factory=list)
    indexed_changes: int = 0  # per-change index refs this sync added events to
    attempts: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """What a reviewer must look at: set-aside events, rewritten refs, broken chains."""
        quarantined = [f"set aside {event_id} from {ref}: {reason}" for event_id, ref, reason in self.imported.quarantined]
        return [*self.imported.rewritten_refs, *self.imported.local_rows, *quarantined, *self.imported.chain_problems]

    def summary(self) -> str:
        parts = [
            f"fetched {self.fetched_refs} ledger refs from '{self.remote}'",
            f"imported {self.imported.events_imported} events and {self.imported.patches_imported} patches",
        ]
        if self.pushed_refs:
            parts.append(f"pushed {self.pushed_events} events and {self.pushed_patches} patches "
                         f"on {len(self.pushed_refs)} refs")
        else:
            parts.append("nothing to push")
        if self.imported.quarantined:
            parts.append(f"{len(self.imported.quarantined)} events set aside")
        return "; ".join(parts)


def run_sync(
    db: sqlite_utils.Database,
    repo: Path,
    remote: str = "origin",
    *,
    publish: bool = True,
    rebuild: bool = False,
    full: bool = False,
    trusted: Workspace | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Fetch, verify and import, then (``publish``) push the local signers' refs. Logged in ``sync_log``.

    Events are verified against the allowed signers of ``trusted`` (a workspace at a revision, e.g.
    the gate's base), by default those committed at HEAD. ``full``: every ref's whole history is
    read and compared with the index whatever the database remembers (see importer.import_refs).
    """
    root = _repository(repo)
    report = SyncReport(remote=remote)
    try:
        workspace, trust = (trusted, TrustStore.load(trusted)) if trusted is not None else _workspace_and_trust(root, report)
        write_marker = False
        for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
            report.attempts = attempt
            tracking = transport.fetch(root, remote)
            report.fetched_refs = len(tracking)
            if attempt == 1:
                # A remote nobody has published to yet starts in layout 2; one that holds ledgers of
                # layout 1 gets the marker only from --migrate-layout, once they are all indexed.
                marked = gitobjects.resolve_commit(root, tracking_of(remote, LAYOUT_REF)) is not None
                write_marker = publish and not tracking and not marked
                if tracking and not marked:
                    report.notes.append(f"'{remote}' keeps ledger layout 1: CI gates read every ledger; "
                                        "run `reviewer-app sync --migrate-layout` once to index it by change")
            report.imported.merge(
                import_refs(db, root, remote, tracking, trust, workspace, rebuild=rebuild and attempt == 1,
                            full=full and attempt == 1)
            )
            if not publish:
                break
            if _publish_once(db, root, remote, tracking, report, write_marker=write_marker):
                break
            sleep(random.uniform(0.02, 0.08) * min(attempt, 8))  # someone pushed meanwhile: refetch and retry
        else:
            raise RemoteError(
                f"'{remote}' refused the push {MAX_PUSH_ATTEMPTS} times (another machine keeps pushing the same "
                "signer's ref); nothing was lost, run sync again"
            )
    except UserError as exc:
        _log(db, remote, False, exc.message)
        raise
    _log(db, remote, True, report.summary())
    return report


def fetch_events(db: sqlite_utils.Database, repo: Path, remote: str = "origin", *,
                 trusted: Workspace | None = None) -> SyncReport:
    """For CI (``gate --fetch``): fetch the ledger refs and import the verified events and patches; no push.

    Every ref's whole history is read again whatever the database remembers (its tips, its rows),
    and rows that disagree with the refs are reported (``problems``) and replaced. ``trusted`` is the
    workspace whose allowed signers decide what is imported: the gate passes its base revision, so
    a change that edits allowed_signers at its head cannot decide which events get in.
    """
    return run_sync(db, repo, remote, publish=False, full=True, trusted=trusted)


def rebuild_index(db: sqlite_utils.Database, repo: Path, remote: str = "origin") -> SyncReport:
    """Re-verify and re-index every event the refs hold; events that exist only locally are kept."""
    return run_sync(db, repo, remote, rebuild=True)


def sync_status(db: sqlite_utils.Database) -> dict[str, Any]:
    """For the queue and the GUI: ``{unpushed, last_sync, last_error, quarantined}`` without any network."""
    last_ok = db.execute("SELECT at FROM sync_log WHERE ok = 1 ORDER BY id DESC LIMIT 1").fetchone()
    latest = db.execute("SELECT ok, message, at FROM sync_log ORDER BY id DESC LIMIT 1").fetchone()
    return {
        "unpushed": count_unpushed(db),
        "last_sync": last_ok[0] if last_ok else None,
        "last_error": latest[1] if latest and not latest[0] else None,
        "last_attempt": latest[2] if latest else None,
        "quarantined": db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0],
    }


def _publish_once(db: sqlite_utils.Database, root: Path, remote: str, tracking: dict[str, str], report: SyncReport,
                  *, write_marker: bool = False) -> bool:
    """One round of building and pushing; False when a ref was refused and another round is needed.

    An event is marked pushed only once both its signer's ledger and its change's index hold it:
    an event on the ledger but missing from the index would be invisible to the gate, so it stays
    queued and the next round (or sync) adds it to the index.
    """
    plan = plan_updates(db, root, remote, tracking)
    for note in plan.notes:
        if note not in report.notes:
            report.notes.append(note)
    waiting = _unpushed_by_change(db)
    index_plan = changeindex.IndexPlan()
    if waiting:
        tips = changeindex.fetch_index_tips(root, remote, list(waiting))
        index_plan = changeindex.plan_index_updates(db, root, waiting, tips)
    updates = {update.ref: update.commit for update in plan.updates} | index_plan.refs()
    if write_marker:
        updates[LAYOUT_REF] = changeindex.marker_commit(root)
    on_ledgers = set(plan.already_published)  # e.g. pushed by a sync that was interrupted before marking
    in_index = set(index_plan.already_indexed)
    result = transport.push(root, remote, updates)
    result.raise_if_refused_for_good(remote)
    accepted = [update for update in plan.updates if update.ref in result.accepted]
    for update in accepted:
        # Our copy of the ref and the tracking ref follow what the remote now holds.
        gitobjects.set_ref(root, update.ref, update.commit, "reviewer-app sync")
        gitobjects.update_ref(root, tracking_ref(remote, update.signer), update.commit, update.parent, "reviewer-app sync")
        report.pushed_events += update.new_events
        report.pushed_patches += update.new_patches
        if update.ref not in report.pushed_refs:
            report.pushed_refs.append(update.ref)
        on_ledgers.update(update.event_ids)
    for index_update in index_plan.updates:
        if index_update.ref in result.accepted:
            in_index.update(index_update.event_ids)
            report.indexed_changes += 1
    record_tips(db, remote, [(update.ref, update.commit) for update in accepted])
    queued = {event_id for ids in waiting.values() for event_id in ids}
    mark_pushed(db, sorted(e for e in on_ledgers if e not in queued or e in in_index))
    return not result.rejected


def _unpushed_by_change(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """``{change id: [event ids]}`` of the events signed here that are not yet marked pushed."""
    waiting: dict[str, list[str]] = {}
    for event_id, change_id in db.execute(
        f"SELECT id, {store.PAYLOAD_CHANGE_ID} FROM events WHERE origin = 'local' AND pushed = 0 ORDER BY id"
    ):
        if isinstance(change_id, str) and change_id.startswith("sha256:") and len(change_id) == 71:
            waiting.setdefault(change_id, []).append(event_id)
    return waiting


def _workspace_and_trust(root: Path, report: SyncReport) -> tuple[Workspace, TrustStore]:
    """Trust comes from the committed allowed_signers at HEAD, never from uncommitted edits."""
    head = gitobjects.resolve_commit(root, "HEAD")
    if head is None:
        report.notes.append("the repository has no commit yet: no allowed signers, every event is set aside")
        return Workspace(root), TrustStore(signers=[], missing=True, source=f"{ALLOWED_SIGNERS_PATH}@HEAD")
    workspace = Workspace(root, revision=head)
    return workspace, TrustStore.load(workspace)


def _repository(repo: Path) -> Path:
    path = Path(repo).expanduser()
    if not path.is_dir():
        raise UserError(f"{repo}: no such directory")
    root = repository_root(path)
    if root is None:
        raise UserError(f"{repo}: not a git repository (sync needs the team's repository and its remote)")
    return root


# The sync log is for the status line and troubleshooting: the last few hundred syncs are plenty,
# and a CI machine or a workstation syncing every minute must not grow its database by a row each time.
SYNC_LOG_KEPT = 200


def _log(db: sqlite_utils.Database, remote: str, ok: bool, message: str) -> None:
    with store.transaction(db):
        db.execute(
            "INSERT INTO sync_log (at, remote, ok, message) VALUES (?, ?, ?, ?)", [store.utc_now(), remote, int(ok), message]
        )
        db.execute("DELETE FROM sync_log WHERE id <= (SELECT MAX(id) FROM sync_log) - ?", [SYNC_LOG_KEPT])


__all__ = ["SyncReport", "fetch_events", "rebuild_index", "run_sync", "sync_status"]
