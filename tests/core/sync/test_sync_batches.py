"""A large import runs in batches: every event arrives, and a rebuild keeps what it set aside."""

from __future__ import annotations

import subprocess

import pytest

from reviewer_app.core.approvals import events
from reviewer_app.core.sync import gitobjects, importer, ledger, rebuild_index, run_sync, sync_status
from reviewer_app.core.sync.refs import signer_ref
from tests.core.sync.conftest import Team, remote_refs

CHANGES = ["sha256:" + c * 64 for c in "abcde"]


def test_batches_import_every_event_and_a_rebuild_keeps_the_quarantine(team: Team,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "_IMPORT_BATCH", 2)
    alice = team.workstation("alice", "alice@example.com")
    made = [alice.approve(change, "batch") for change in CHANGES]
    run_sync(alice.db, alice.clone.path)
    # A copy of her first event, edited and re-signed by mallory, on a newer commit of her ref: it is
    # read first (newest commit first), so it is set aside in the first batch, before four more events.
    mallory = team.workstation("mallory", "mallory@example.com")
    payload = made[0].payload.replace('"batch"', '"edited"')
    forged = ledger.encode_event_file(payload, mallory.identity.signer().sign(payload.encode()))  # type: ignore[union-attr]
    ref = signer_ref("alice@example.com")
    listing = gitobjects.list_tree(team.remote, remote_refs(team.remote)[ref])
    listing[ledger.event_path(events.event_id(payload))] = gitobjects.write_blobs(team.remote, [forged])[0]
    commit = gitobjects.commit_tree(team.remote, gitobjects.build_tree(team.remote, listing),
                                    [remote_refs(team.remote)[ref]], "tampered")
    subprocess.run(["git", "-C", str(team.remote), "update-ref", ref, commit], check=True)

    bob = team.workstation("bob", "bob@example.com")
    report = run_sync(bob.db, bob.clone.path)
    assert report.imported.events_imported == 5 and bob.event_ids() == {e.id for e in made}  # batches of 2, 2, 2
    assert sync_status(bob.db)["quarantined"] == 1

    rebuilt = rebuild_index(bob.db, bob.clone.path)
    assert rebuilt.imported.events_imported == 5 and bob.event_ids() == {e.id for e in made}
    assert sync_status(bob.db)["quarantined"] == 1  # a later batch did not clear what the first set aside
