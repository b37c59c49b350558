"""Team sync over the team's git remote: signed events and submitted patches on per-signer refs.

Public entry points (the CLI, the gate and the GUI call only these):

- ``run_sync(db, repo, remote="origin", *, publish=True, rebuild=False) -> SyncReport``
- ``fetch_events(db, repo, remote="origin", *, trusted=None) -> SyncReport``  (CI: fetch and import every
  ref's whole history, never push; ``trusted``: the workspace whose allowed signers verify, the gate's base)
- ``fetch_for_changes(db, repo, remote, change_ids, *, trusted) -> SyncReport`` (the gate: the per-change
  index of these changes and the whole ledgers of their deciders only, see ``narrow.py``)
- ``migrate_layout(db, repo, remote="origin") -> SyncReport`` (index every event by change, then mark the remote)
- ``rebuild_index(db, repo, remote="origin") -> SyncReport``
- ``sync_status(db) -> {"unpushed", "last_sync", "last_error", "last_attempt", "quarantined"}``

Layout of the refs and files: see ``refs.py``, ``ledger.py`` and ``changeindex.py``, and docs/audit.md.
"""

from __future__ import annotations

from reviewer_app.core.sync.engine import SyncReport, fetch_events, rebuild_index, run_sync, sync_status
from reviewer_app.core.sync.migrate import migrate_layout
from reviewer_app.core.sync.narrow import fetch_for_changes
from reviewer_app.core.sync.transport import RemoteError

__all__ = ["RemoteError", "SyncReport", "fetch_events", "fetch_for_changes", "migrate_layout", "rebuild_index",
           "run_sync", "sync_status"]
