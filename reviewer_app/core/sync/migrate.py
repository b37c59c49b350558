"""``reviewer-app sync --migrate-layout``: index a layout-1 remote by change, then mark it layout 2.

One command, idempotent, safe to interrupt and to run again (or on a schedule while clients of
layout 1 are still publishing): it imports every ledger as a sync does, files each verified event on
the index ref of its change where it is missing, and only then writes ``refs/reviewer-app/layout``,
the marker that lets the gate read the index alone. Until the marker exists the gate reads every
ledger, so a migration cut short never hides a decision.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.sync import changeindex, engine, gitobjects, transport
from reviewer_app.core.sync.refs import INDEX_PREFIX, LAYOUT_REF, tracking_of, tracking_prefix
from reviewer_app.core.sync.transport import RemoteError


def migrate_layout(db: sqlite_utils.Database, repo: Path, remote: str = "origin") -> engine.SyncReport:
    """Sync, index every event the database holds by its change id, push the index refs, then the marker."""
    report = engine.run_sync(db, repo, remote)
    root = engine._repository(repo)
    by_change = _events_by_change(db)
    for attempt in range(1, engine.MAX_PUSH_ATTEMPTS + 1):
        tips = _all_index_tips(root, remote)
        plan = changeindex.plan_index_updates(db, root, by_change, tips)
        result = transport.push(root, remote, plan.refs())
        result.raise_if_refused_for_good(remote)
        report.indexed_changes += sum(1 for update in plan.updates if update.ref in result.accepted)
        if not result.rejected:
            break
        # Someone published to the same changes meanwhile: refetch their index refs and add ours on top.
        by_change = {u.change_id: by_change[u.change_id] for u in plan.updates if u.ref in result.rejected}
    else:
        raise RemoteError(f"'{remote}' kept refusing index updates; run `sync --migrate-layout` again")
    marker = changeindex.marker_commit(root)
    result = transport.push(root, remote, {LAYOUT_REF: marker})
    if LAYOUT_REF not in result.accepted:
        raise RemoteError(f"'{remote}' refused {LAYOUT_REF}: {result.rejected.get(LAYOUT_REF, 'no reason given')}")
    gitobjects.set_ref(root, tracking_of(remote, LAYOUT_REF), marker, "reviewer-app migrate-layout")
    report.notes.append(f"'{remote}' is in ledger layout {changeindex.LAYOUT_VERSION}: {report.indexed_changes} "
                        f"index refs written, {sum(len(v) for v in _events_by_change(db).values())} events indexed")
    return report


def _events_by_change(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """``{change id: [event ids]}`` of every event in the database, by the change its signed payload names."""
    by_change: dict[str, list[str]] = {}
    for event_id, change_id in db.execute(f"SELECT id, {store.PAYLOAD_CHANGE_ID} FROM events ORDER BY id"):
        if isinstance(change_id, str) and change_id.startswith("sha256:") and len(change_id) == 71:
            by_change.setdefault(change_id, []).append(event_id)
    return by_change


def _all_index_tips(root: Path, remote: str) -> dict[str, str]:
    """Every index ref of the remote (a migration is the one time a client lists them all)."""
    prefix = tracking_prefix(remote) + "index/"
    transport._fetch(root, remote, [f"+{INDEX_PREFIX}*:{prefix}*"])
    return {INDEX_PREFIX + name[len(prefix):]: commit for name, commit in gitobjects.list_refs(root, prefix).items()}
