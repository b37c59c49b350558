"""The per-change index (ledger layout 2): every event filed a second time, on a ref named by its change.

    refs/reviewer-app-index/<hex[:2]>/<change hex>   a ledger-shaped history: events/<2 hex>/<64 hex>.json
    refs/reviewer-app/layout                         the marker: this remote keeps the index

The signers' own refs stay the record (each is a signature chain, read as a history); the index only
tells the gate *whose* ledgers to read for one change. It never decides anything by itself: the
gate reads the whole ledger of every signer the index names, so a withdrawal missing from the index
is still found in its signer's chain, and an index that omits a signer only omits her approvals
(fails closed). Index refs are append-only like ledgers and are read as histories too.

Publishing adds, per change, one commit holding the new events; two people deciding on the same
change at the same moment race on one small ref, and the loser fetches and retries (engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from reviewer_app.core.sync import gitobjects, ledger, transport
from reviewer_app.core.sync.refs import LAYOUT_REF, index_ref

LAYOUT_VERSION = 2
# The marker's single file: its name is what a layout-1 client prints ("ignored unexpected file ...").
LAYOUT_FILE = "UPGRADE-reviewer-app-this-remote-uses-ledger-layout-2.txt"
LAYOUT_TEXT = f"""reviewer-app ledger layout {LAYOUT_VERSION}

Every signed event is on its signer's ref refs/reviewer-app/events/<signer> (as in layout 1) and
also on refs/reviewer-app-index/<hex[:2]>/<change hex>, the events about one change. The CI gate
(`reviewer-app gate --fetch`) reads only the index of the change it judges and the ledgers of the
signers named there. A client that does not write the index publishes decisions the gate never
sees: upgrade reviewer-app, and run `reviewer-app sync --migrate-layout` once to index what such
clients published.
"""
# Fixed, so that every machine writes the same marker commit and concurrent creations agree.
_MARKER_DATE = "1700000000 +0000"


@dataclass
class IndexUpdate:
    change_id: str
    ref: str
    parent: str | None
    commit: str
    event_ids: list[str] = field(default_factory=list)


@dataclass
class IndexPlan:
    updates: list[IndexUpdate] = field(default_factory=list)
    already_indexed: set[str] = field(default_factory=set)  # event ids the index refs already hold

    def refs(self) -> dict[str, str]:
        return {update.ref: update.commit for update in self.updates}


def plan_index_updates(db: sqlite_utils.Database, repo: Path, events_by_change: dict[str, list[str]],
                       tips: dict[str, str]) -> IndexPlan:
    """For each change, the commit adding to its index ref (whose tip is ``tips[ref]``, if any) the
    events it lacks. The event files are copied from the database, byte for byte what the ledgers hold."""
    plan = IndexPlan()
    files_wanted: dict[str, list[str]] = {}
    for change_id, event_ids in sorted(events_by_change.items()):
        ref = index_ref(change_id)
        tip = tips.get(ref)
        present, _ = gitobjects.list_tree_and_folders(repo, tip) if tip else ({}, {})
        missing = [eid for eid in sorted(set(event_ids)) if ledger.event_path(eid) not in present]
        plan.already_indexed.update(eid for eid in event_ids if ledger.event_path(eid) in present)
        if missing:
            files_wanted[change_id] = missing
    contents = _event_files(db, sorted({eid for ids in files_wanted.values() for eid in ids}))
    all_paths = sorted(contents)
    blob_of = dict(zip(all_paths, gitobjects.write_blobs(repo, [contents[p] for p in all_paths])))
    for change_id, missing in files_wanted.items():
        ref = index_ref(change_id)
        tip = tips.get(ref)
        files, folders = gitobjects.list_tree_and_folders(repo, tip) if tip else ({}, {})
        added = [ledger.event_path(eid) for eid in missing if ledger.event_path(eid) in blob_of]
        if not added:
            continue
        files = dict(files)
        files.update((path, blob_of[path]) for path in added)
        tree = gitobjects.build_tree(repo, files, folders, set(added))
        message = (f"reviewer-app: index of {change_id}: +{len(added)} events\n\n"
                   "Index commit written by reviewer-app sync; the events inside are signed individually.")
        commit = gitobjects.commit_tree(repo, tree, [tip] if tip else [], message)
        plan.updates.append(IndexUpdate(change_id, ref, tip, commit, [eid for eid in missing
                                                                      if ledger.event_path(eid) in blob_of]))
    return plan


def marker_commit(repo: Path) -> str:
    """The layout marker's commit: the same id on every machine."""
    blob = gitobjects.write_blobs(repo, [LAYOUT_TEXT.encode("utf-8")])[0]
    tree = gitobjects.build_tree(repo, {LAYOUT_FILE: blob})
    return gitobjects.commit_tree(repo, tree, [], f"reviewer-app: ledger layout {LAYOUT_VERSION}\n\n{LAYOUT_TEXT}",
                                  date=_MARKER_DATE)


def has_marker(found: dict[str, str]) -> bool:
    return LAYOUT_REF in found


def fetch_index_tips(repo: Path, remote: str, change_ids: list[str]) -> dict[str, str]:
    """``{index ref: commit}`` of these changes on the remote (one narrow fetch)."""
    return transport.fetch_exact(repo, remote, [index_ref(c) for c in change_ids])


def _event_files(db: sqlite_utils.Database, event_ids: list[str]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for start in range(0, len(event_ids), 500):  # SQLite limits the number of parameters
        chunk = event_ids[start:start + 500]
        for event_id, payload, signature in db.execute(
            f"SELECT id, payload, signature FROM events WHERE id IN ({','.join('?' * len(chunk))})", chunk
        ):
            files[ledger.event_path(event_id)] = ledger.encode_event_file(payload, signature)
    return files
