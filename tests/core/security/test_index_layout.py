"""Ledger layout 2: the gate reads the judged change's index and its deciders' ledgers, nothing else.

The index only says whose ledgers to read. Everything the red-team tests demand of the ledgers
still holds because each decider's ledger is read whole, as a history: a withdrawal the index lost
(or never had: a client of layout 1 published it) still withdraws, a commit that drops an event
from an index ref is tampering, a decider whose ledger is gone fails the gate closed. A remote
without the layout marker is read whole, and ``sync --migrate-layout`` brings it to layout 2.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reviewer_app.cli.main import main as cli_main
from reviewer_app.core import store
from reviewer_app.core.sync import engine, gitobjects, ledger, run_sync, sync_status
from reviewer_app.core.sync.changeindex import LAYOUT_FILE
from reviewer_app.core.sync.refs import INDEX_PREFIX, LAYOUT_REF, index_ref, signer_ref
from tests.core.sync.conftest import Identity, remote_refs
from tests.core.sync.ledger_team import (APPROVED_AT, LATER_AT, WITHDRAWN_AT, LedgerTeam, build_ledger_team,
                                         make_identities, other_change, reasons)

ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture(scope="module")
def identities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    return make_identities(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def world(tmp_path: Path, identities: dict[str, Identity]) -> LedgerTeam:
    return build_ledger_team(tmp_path, identities)


def _tracking(repo: Path) -> set[str]:
    out = subprocess.run(["git", "-C", str(repo), "for-each-ref", "--format=%(refname)", "refs/reviewer-app-remote/"],
                         check=True, capture_output=True, text=True).stdout
    return set(out.split())


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _index_files(world: LedgerTeam, change_id: str) -> dict[str, bytes]:
    tip = remote_refs(world.remote, INDEX_PREFIX)[index_ref(change_id)]
    listing = gitobjects.list_tree(world.remote, tip)
    blobs = gitobjects.read_blobs(world.remote, list(listing.values()))
    return {path: blobs[blob] for path, blob in listing.items()}


def _set_index(world: LedgerTeam, change_id: str, files: dict[str, bytes]) -> str:
    """A fast-forward of the change's index ref to a tree holding ``files``."""
    ref = index_ref(change_id)
    commit = world.commit_files(world.remote, files, [remote_refs(world.remote, INDEX_PREFIX)[ref]])
    _git(world.remote, "update-ref", ref, commit)
    return commit


def test_publishing_files_each_event_on_its_change_and_marks_a_new_remote(world: LedgerTeam) -> None:
    alice = world.workstation("alice", ALICE)
    approval = world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    assert LAYOUT_REF in remote_refs(world.remote, LAYOUT_REF)
    assert LAYOUT_FILE in gitobjects.list_tree(world.remote, remote_refs(world.remote, LAYOUT_REF)[LAYOUT_REF])
    assert set(_index_files(world, world.change_id)) == {ledger.event_path(approval.id)}
    assert sync_status(alice.db)["unpushed"] == 0


def test_the_gate_reads_only_the_changes_index_and_its_deciders_ledgers(world: LedgerTeam) -> None:
    alice, bob = world.workstation("alice", ALICE), world.workstation("bob", BOB)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    world.decide(bob, "approve", APPROVED_AT, change_id=other_change(world, "elsewhere"))
    world.publish(bob)
    repo = world.ci_clone()
    code, result, err = world.gate(repo, repo.parent / "ci.db")
    assert code == 0, (result, err)
    assert result["ledger_problems"] == [] and result["ledger_notes"] == []
    fetched = _tracking(repo)
    assert "refs/reviewer-app-remote/origin/events/" + ALICE in fetched
    assert "refs/reviewer-app-remote/origin/events/" + BOB not in fetched  # bob decided nothing about this change
    assert [r for r in fetched if "/index/" in r] == [
        "refs/reviewer-app-remote/origin/index/" + index_ref(world.change_id)[len(INDEX_PREFIX):]]
    db = store.open_db(repo.parent / "ci.db")
    assert {row[0] for row in db.execute("SELECT principal FROM events")} == {ALICE}


def test_a_revoke_only_on_her_ledger_still_withdraws(world: LedgerTeam) -> None:
    """A client of layout 1 (or an attacker) published the revoke without indexing it: her chain has it."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    files = world.files(ALICE)
    files[ledger.event_path(revoke.id)] = ledger.encode_event_file(revoke.payload, revoke.signature)
    world.fast_forward(ALICE, files)  # on her ledger, not on the index
    assert ledger.event_path(revoke.id) not in _index_files(world, world.change_id)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)


def test_an_index_commit_dropping_the_revoke_is_tampering_and_the_revoke_stands(world: LedgerTeam) -> None:
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    files = _index_files(world, world.change_id)
    del files[ledger.event_path(revoke.id)]
    dropping = _set_index(world, world.change_id, files)
    world.drop(ALICE, revoke)  # and from her ledger too: only the histories remember it
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert any(f"by commit {dropping[:12]}" in p and "tampering" in p for p in result["ledger_problems"])


def test_an_index_that_lost_the_approver_only_loses_her_approval(world: LedgerTeam) -> None:
    alice = world.workstation("alice", ALICE)
    approval = world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    ref = index_ref(world.change_id)
    _git(world.remote, "update-ref", "-d", ref)  # a server admin deleted the index ref
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and result["approved"] is False
    assert approval.id not in {r["event"] for r in result["rejected"]}  # never seen, never counted


def test_a_decider_whose_ledger_is_gone_fails_the_gate_closed(world: LedgerTeam) -> None:
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    _git(world.remote, "update-ref", "-d", signer_ref(ALICE))
    code, result, err = world.fresh_ci_gate()
    assert code == 2 and result["approved"] is False
    assert f"no ledger ref for {ALICE}" in err


def test_a_layout_1_remote_is_read_whole_until_migrated(world: LedgerTeam, tmp_path: Path) -> None:
    alice, bob = world.workstation("alice", ALICE), world.workstation("bob", BOB)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    world.decide(bob, "approve", LATER_AT, change_id=other_change(world, "elsewhere"))
    world.publish(bob)
    for ref in [LAYOUT_REF, *remote_refs(world.remote, INDEX_PREFIX)]:  # what a layout-1 remote looks like
        _git(world.remote, "update-ref", "-d", ref)
    repo = world.ci_clone()
    code, result, _ = world.gate(repo, repo.parent / "old.db")
    assert code == 0 and any("layout 1" in note for note in result["ledger_notes"])
    assert "refs/reviewer-app-remote/origin/events/" + BOB in _tracking(repo)  # everything was read

    assert cli_main(["--db", str(tmp_path / "migrate.db"), "sync", "--repo", str(bob.clone.path), "--no-inbox",
                     "--migrate-layout"]) == 0
    assert LAYOUT_REF in remote_refs(world.remote, LAYOUT_REF)
    assert len(remote_refs(world.remote, INDEX_PREFIX)) == 2  # both changes indexed
    repo = world.ci_clone()
    code, result, _ = world.gate(repo, repo.parent / "new.db")
    assert code == 0 and result["ledger_notes"] == []
    assert "refs/reviewer-app-remote/origin/events/" + BOB not in _tracking(repo)


def test_an_event_stays_queued_until_its_index_holds_it(world: LedgerTeam) -> None:
    hook = world.remote / "hooks" / "update"
    hook.write_text("#!/bin/sh\ncase \"$1\" in refs/reviewer-app-index/*) echo 'index closed' >&2; exit 1;; esac\n")
    hook.chmod(0o755)
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    with pytest.raises(Exception, match="refused the push of refs/reviewer-app-index/"):
        run_sync(alice.db, alice.clone.path)
    assert signer_ref(ALICE) in remote_refs(world.remote)  # her ledger took it
    assert sync_status(alice.db)["unpushed"] == 1  # but the gate could not see it yet: still queued
    hook.unlink()
    world.publish(alice)
    assert sync_status(alice.db)["unpushed"] == 0 and index_ref(world.change_id) in remote_refs(world.remote, INDEX_PREFIX)
    code, _, _ = world.fresh_ci_gate()
    assert code == 0


def test_the_sync_log_does_not_grow_with_every_sync(world: LedgerTeam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "SYNC_LOG_KEPT", 3)
    alice = world.workstation("alice", ALICE)
    for _ in range(6):
        run_sync(alice.db, alice.clone.path)
    assert alice.db.execute("SELECT COUNT(*) FROM sync_log").fetchone()[0] == 3


def test_the_documented_hook_keeps_index_refs_growing_only(world: LedgerTeam) -> None:
    from tests.core.security.test_ledger_history import _hook_from_docs

    hook = world.remote / "hooks" / "pre-receive"
    hook.write_text(_hook_from_docs(), encoding="utf-8")
    hook.chmod(0o755)
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)  # new ledger and index refs, through the hook
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)  # honest growth of both
    ref = index_ref(world.change_id)
    tip = remote_refs(world.remote, INDEX_PREFIX)[ref]
    files = _index_files(world, world.change_id)
    del files[ledger.event_path(revoke.id)]
    dropping = world.commit_files(alice.clone.path, files, [tip])  # her clone wrote the tip: it has it
    pushed = subprocess.run(["git", "-C", str(alice.clone.path), "push", "--porcelain", "origin",
                             f"{dropping}:{ref}"], capture_output=True, text=True)
    assert pushed.returncode != 0 and "deletes or changes" in pushed.stderr
    deleted = subprocess.run(["git", "-C", str(alice.clone.path), "push", "origin", f":{ref}"],
                             capture_output=True, text=True)
    assert deleted.returncode != 0 and "never deleted" in deleted.stderr
    assert remote_refs(world.remote, INDEX_PREFIX)[ref] == tip
