"""Patches travel, the index rebuilds from the refs, and an interrupted sync completes next time."""

from __future__ import annotations

from reviewer_app.core import store
from reviewer_app.core.analysis import submit_change
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.sync import rebuild_index, run_sync, sync_status, transport
from reviewer_app.core.sync.publisher import plan_updates
from reviewer_app.core.sync.refs import signer_ref
from reviewer_app.core.workspace import Workspace
from tests.core.sync.conftest import Team, Workstation, remote_refs

CHANGE = "sha256:" + "d" * 64


def _submit_a_change(station: Workstation) -> str:
    clone = station.clone
    clone.git("checkout", "-q", "-b", "feature")
    clone.write("app/main.py", "import os\nprint(os.environ['TOKEN'])\n")
    clone.commit("Read the token from the environment")
    patch = clone.format_patch()
    clone.git("checkout", "-q", "main")
    [change] = parse_patch(patch, "feature.patch")
    change_id, created = submit_change(station.db, change, Workspace(clone.path))
    assert created
    return change_id


def test_submitted_patch_travels_to_an_offline_teammate(team: Team) -> None:
    alice = team.workstation("alice", "alice@example.com")
    change_id = _submit_a_change(alice)
    alice.approve(change_id)
    pushed = run_sync(alice.db, alice.clone.path)
    assert pushed.pushed_patches == 1 and pushed.pushed_events == 1

    bob = team.workstation("bob", "bob@example.com")
    report = run_sync(bob.db, bob.clone.path)
    assert report.imported.patches_imported == 1
    assert store.get_patch(bob.db, change_id) == store.get_patch(alice.db, change_id)
    [queued] = store.list_changes(bob.db)
    assert queued["change_id"] == change_id and queued["title"] == "Read the token from the environment"
    # Bob does not republish alice's patch: it has a sync source.
    assert run_sync(bob.db, bob.clone.path).pushed_patches == 0
    assert set(remote_refs(team.remote)) == {signer_ref("alice@example.com")}


def test_patches_wait_for_a_git_identity(team: Team) -> None:
    anonymous = team.workstation("anon", None, git_email=None)
    _submit_a_change(anonymous)
    report = run_sync(anonymous.db, anonymous.clone.path)
    assert report.pushed_patches == 0 and any("user.email" in note for note in report.notes)
    anonymous.clone.git("config", "user.email", "dana@example.com")
    assert run_sync(anonymous.db, anonymous.clone.path).pushed_patches == 1
    assert signer_ref("dana@example.com") in remote_refs(team.remote)


def test_rebuild_restores_the_index_and_keeps_local_only_events(team: Team) -> None:
    alice = team.workstation("alice", "alice@example.com")
    bob = team.workstation("bob", "bob@example.com")
    for n in range(3):
        alice.approve(CHANGE, f"alice {n}")
    run_sync(alice.db, alice.clone.path)
    run_sync(bob.db, bob.clone.path)
    offline = bob.approve(CHANGE, "not pushed yet")
    before = bob.event_ids()
    bob.db.execute("DELETE FROM events WHERE origin = 'sync'")  # a damaged index
    bob.db.execute("DELETE FROM sync_refs")
    assert bob.event_ids() == {offline.id}

    report = rebuild_index(bob.db, bob.clone.path)
    assert bob.event_ids() == before
    assert report.imported.events_imported == 3 and report.pushed_events == 1
    assert sync_status(bob.db)["unpushed"] == 0


def test_rebuild_drops_nothing_that_only_exists_here(team: Team) -> None:
    bob = team.workstation("bob", "bob@example.com")
    local = [bob.approve(CHANGE, f"offline {n}") for n in range(2)]
    # Remote unreachable is not needed here: rebuild with nothing on the remote yet keeps both.
    rebuild_index(bob.db, bob.clone.path)
    assert bob.event_ids() == {e.id for e in local}


def test_interrupted_after_push_completes_on_the_next_sync(team: Team) -> None:
    """A crash between the push and marking the events pushed: the next sync just marks them."""
    alice = team.workstation("alice", "alice@example.com")
    alice.approve(CHANGE)
    tracking = transport.fetch(alice.clone.path, "origin")
    plan = plan_updates(alice.db, alice.clone.path, "origin", tracking)
    result = transport.push(alice.clone.path, "origin", {u.ref: u.commit for u in plan.updates})
    assert list(result.accepted) == [signer_ref("alice@example.com")]
    assert sync_status(alice.db)["unpushed"] == 1  # the "crash": nothing recorded locally

    tip = remote_refs(team.remote)[signer_ref("alice@example.com")]
    report = run_sync(alice.db, alice.clone.path)
    assert report.pushed_refs == [] and sync_status(alice.db)["unpushed"] == 0
    assert remote_refs(team.remote)[signer_ref("alice@example.com")] == tip


def test_interrupted_before_push_leaves_only_unreferenced_objects(team: Team) -> None:
    """A crash after the commit was built but before the push: the next sync builds and pushes again."""
    alice = team.workstation("alice", "alice@example.com")
    event = alice.approve(CHANGE)
    tracking = transport.fetch(alice.clone.path, "origin")
    plan_updates(alice.db, alice.clone.path, "origin", tracking)  # built, never pushed
    assert remote_refs(team.remote) == {}
    report = run_sync(alice.db, alice.clone.path)
    assert report.pushed_events == 1
    bob = team.workstation("bob", "bob@example.com")
    run_sync(bob.db, bob.clone.path)
    assert event.id in bob.event_ids()


def test_export_after_a_fork_on_two_machines_verifies_intact(team: Team, tmp_path) -> None:
    """One person signed on two machines between syncs: the chain forks, which is not tampering."""
    from reviewer_app.core.export import ExportFilter, write_export
    from reviewer_app.core.export.verify import verify_export

    laptop = team.workstation("laptop", "alice@example.com")
    desktop = team.workstation("desktop", "alice@example.com")
    for n in range(2):
        laptop.approve(CHANGE, f"laptop {n}")
        desktop.approve(CHANGE, f"desktop {n}")
    run_sync(laptop.db, laptop.clone.path)
    report = run_sync(desktop.db, desktop.clone.path)
    assert report.problems == [] and any("chain fork" in w for w in report.imported.warnings)
    desktop.approve(CHANGE, "after the merge")
    out = tmp_path / "audit.jsonl"
    write_export(desktop.db, "jsonl", out, ExportFilter())
    result = verify_export(out, team.seed.path / ".reviewer" / "allowed_signers")
    assert result.problems == [] and len(out.read_bytes().splitlines()) == 6
