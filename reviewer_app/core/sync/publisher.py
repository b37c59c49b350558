"""Building the commits that publish local events and patches on the signers' refs.

Each ref has one writer, so a new commit is always a fast-forward of the remote tip: its tree is
the remote tip's tree plus what only this machine has (the union), its parent the remote tip.
The same person on two machines is the one case where a push can be refused; the caller then
fetches and calls :func:`plan_updates` again, which builds the union over the new tip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.gitcmd import configured_email
from reviewer_app.core.sync import gitobjects, ledger
from reviewer_app.core.sync.importer import SYNC_SOURCE_PREFIX
from reviewer_app.core.sync.refs import signer_ref, tracking_ref


@dataclass
class RefUpdate:
    signer: str
    ref: str  # the ledger ref on the remote
    parent: str | None  # the remote tip the commit builds on
    commit: str
    event_ids: list[str] = field(default_factory=list)  # local events this commit publishes (new and old)
    new_events: int = 0
    new_patches: int = 0


@dataclass
class PublishPlan:
    updates: list[RefUpdate] = field(default_factory=list)
    already_published: list[str] = field(default_factory=list)  # local event ids the remote already has
    notes: list[str] = field(default_factory=list)


def plan_updates(db: sqlite_utils.Database, repo: Path, remote: str, tracking: dict[str, str]) -> PublishPlan:
    """For each local signer, the commit that adds what the remote ref lacks (nothing to do: no update)."""
    plan = PublishPlan()
    local_events, unpushed = _local_event_ids_by_signer(db)
    patches_by_signer = _patches_by_carrier(db, repo, local_events, plan.notes)
    signers = set(local_events) | set(patches_by_signer)
    for signer in sorted(signers):
        tip = tracking.get(tracking_ref(remote, signer))
        remote_files, remote_folders = gitobjects.list_tree_and_folders(repo, tip) if tip else ({}, {})
        wanted_events = {ledger.event_path(event_id): event_id for event_id in local_events.get(signer, [])}
        wanted_patches = {ledger.patch_path(change_id): change_id for change_id in patches_by_signer.get(signer, [])}
        missing_events = {path: eid for path, eid in wanted_events.items() if path not in remote_files}
        missing_patches = {path: cid for path, cid in wanted_patches.items() if path not in remote_files}
        plan.already_published.extend(
            eid for path, eid in wanted_events.items() if path in remote_files and eid in unpushed
        )
        if not missing_events and not missing_patches:
            continue
        contents = _event_files(db, list(missing_events.values())) | _patch_files(db, list(missing_patches.values()))
        paths = sorted(contents)
        blob_ids = gitobjects.write_blobs(repo, [contents[path] for path in paths])
        files = dict(remote_files)
        files.update(zip(paths, blob_ids))
        tree = gitobjects.build_tree(repo, files, remote_folders, set(paths))
        message = (
            f"reviewer-app: {signer}: +{len(missing_events)} events, +{len(missing_patches)} patches\n\n"
            "Ledger commit written by reviewer-app sync; the events inside are signed individually."
        )
        commit = gitobjects.commit_tree(repo, tree, [tip] if tip else [], message)
        plan.updates.append(RefUpdate(
            signer=signer, ref=signer_ref(signer), parent=tip, commit=commit,
            event_ids=list(missing_events.values()), new_events=len(missing_events), new_patches=len(missing_patches),
        ))
    return plan


def _patches_by_carrier(db: sqlite_utils.Database, repo: Path, local_events: dict[str, list[str]],
                        notes: list[str]) -> dict[str, list[str]]:
    """Which signer's ref carries each locally submitted patch.

    A patch travels with the events that refer to it, so a teammate who receives an approval also
    receives the diff it approves; patches nobody here has signed for go on the ref of the
    repository's ``user.email`` (or, without one, of a local signer).
    """
    local_patches = set(_local_patch_ids(db))
    if not local_patches:
        return {}
    carried: dict[str, set[str]] = {}
    for principal, change_id in db.execute(
        "SELECT DISTINCT principal, change_id FROM events WHERE origin = 'local'"
    ):
        if change_id in local_patches:
            carried.setdefault(principal, set()).add(change_id)
    orphans = local_patches - set().union(*carried.values())
    if orphans:
        identity = configured_email(repo)
        carrier = identity or (min(local_events) if local_events else None)
        if carrier is None:
            notes.append("patches not published: set `git config user.email` in this repository to publish them")
        else:
            carried.setdefault(carrier, set()).update(orphans)
    return {signer: sorted(ids) for signer, ids in carried.items()}


def _local_event_ids_by_signer(db: sqlite_utils.Database) -> tuple[dict[str, list[str]], set[str]]:
    """Every event signed on this machine by signer (pushed ones too: a rewritten remote may lack
    them), and the ids of those not yet marked pushed."""
    by_signer: dict[str, list[str]] = {}
    unpushed: set[str] = set()
    for principal, event_id, pushed in db.execute(
        "SELECT principal, id, pushed FROM events WHERE origin = 'local' ORDER BY id"
    ):
        by_signer.setdefault(principal, []).append(event_id)
        if not pushed:
            unpushed.add(event_id)
    return by_signer, unpushed


def _local_patch_ids(db: sqlite_utils.Database) -> list[str]:
    rows = db.execute(
        "SELECT change_id FROM changes WHERE source NOT LIKE ? ORDER BY change_id", [SYNC_SOURCE_PREFIX + "%"]
    ).fetchall()
    return [row[0] for row in rows]


def _event_files(db: sqlite_utils.Database, event_ids: list[str]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for chunk_start in range(0, len(event_ids), 500):  # SQLite limits the number of parameters
        chunk = event_ids[chunk_start: chunk_start + 500]
        marks = ",".join("?" for _ in chunk)
        for event_id, payload, signature in db.execute(
            f"SELECT id, payload, signature FROM events WHERE id IN ({marks})", chunk
        ):
            files[ledger.event_path(event_id)] = ledger.encode_event_file(payload, signature)
    return files


def _patch_files(db: sqlite_utils.Database, change_ids: list[str]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for change_id in change_ids:
        patch = store.get_patch(db, change_id)
        if patch is not None:
            files[ledger.patch_path(change_id)] = patch
    return files
