"""Someone with push access tampers with a signer's ref on the remote: every case is reported.

The tampering is done the way an attacker would: with git plumbing directly in the bare remote.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reviewer_app.core.approvals import events
from reviewer_app.core.sync import gitobjects, ledger, run_sync
from reviewer_app.core.sync.refs import signer_ref
from tests.core.sync.conftest import Team, Workstation, remote_refs

CHANGE = "sha256:" + "c" * 64


def _files(remote: Path, ref: str) -> dict[str, bytes]:
    tip = remote_refs(remote)[ref]
    listing = gitobjects.list_tree(remote, tip)
    blobs = gitobjects.read_blobs(remote, list(listing.values()))
    return {path: blobs[blob] for path, blob in listing.items()}


def _publish(remote: Path, ref: str, files: dict[str, bytes], *, fast_forward: bool) -> str:
    """Write ``files`` as the new content of ``ref``, on top of the old tip or as a rewritten history."""
    paths = sorted(files)
    tree = gitobjects.build_tree(remote, dict(zip(paths, gitobjects.write_blobs(remote, [files[p] for p in paths]))))
    old = remote_refs(remote)[ref]
    commit = gitobjects.commit_tree(remote, tree, [old] if fast_forward else [], "tampered")
    subprocess.run(["git", "-C", str(remote), "update-ref", ref, commit], check=True)
    return commit


def _three_approvals(team: Team) -> tuple[Workstation, list[events.SignedEvent]]:
    alice = team.workstation("alice", "alice@example.com")
    made = [alice.approve(CHANGE, f"step {n}") for n in range(3)]
    run_sync(alice.db, alice.clone.path)
    return alice, made


def test_edited_byte_is_set_aside_and_the_genuine_event_still_counts(team: Team) -> None:
    """A fast-forward overwriting an event file: the edited copy is set aside, and the genuine file the
    earlier commit added is imported all the same (a ledger is read as a history, not as a tip)."""
    _, made = _three_approvals(team)
    ref = signer_ref("alice@example.com")
    files = _files(team.remote, ref)
    path = ledger.event_path(made[1].id)
    files[path] = files[path].replace(b"step 1", b"step X")
    watcher = team.workstation("bob", "bob@example.com")
    tampered = _publish(team.remote, ref, files, fast_forward=True)
    report = run_sync(watcher.db, watcher.clone.path)
    assert watcher.event_ids() == {e.id for e in made}
    assert [(q[0], q[2].split(" (")[0]) for q in report.imported.quarantined] == [
        (made[1].id, "content does not match its name")]
    assert any(f"1 files were deleted or changed by commit {tampered[:12]} (first: {path})" in p and "tampering" in p
               for p in report.problems)
    assert not any("is missing" in p for p in report.problems)  # the chain is whole
    # One id, one record: the genuine event is indexed, so the edited copy is not also stored as set aside.
    assert watcher.db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0] == 0


def test_forged_and_untrusted_events_are_set_aside(team: Team) -> None:
    _, made = _three_approvals(team)
    mallory = team.workstation("mallory", "mallory@example.com")
    forged = mallory.approve(CHANGE, "I approve myself")
    run_sync(mallory.db, mallory.clone.path)  # pushes to mallory's own ref: not in allowed_signers
    # Mallory also slips a copy of alice's event with a re-signed payload into alice's ref.
    payload = made[0].payload.replace("step 0", "step 9")
    resigned = mallory.identity.signer().sign(payload.encode())  # type: ignore[union-attr]
    ref = signer_ref("alice@example.com")
    files = _files(team.remote, ref)
    files[ledger.event_path(events.event_id(payload))] = ledger.encode_event_file(payload, resigned)
    _publish(team.remote, ref, files, fast_forward=True)

    bob = team.workstation("bob", "bob@example.com")
    report = run_sync(bob.db, bob.clone.path)
    reasons = {q[0]: q[2] for q in report.imported.quarantined}
    assert "unknown principal" in reasons[forged.id]
    assert "bad signature" in reasons[events.event_id(payload)]
    assert bob.event_ids() == {e.id for e in made}
    assert len(report.problems) >= 2


def test_deleted_event_on_a_fast_forward_is_reported(team: Team) -> None:
    _, made = _three_approvals(team)
    bob = team.workstation("bob", "bob@example.com")
    run_sync(bob.db, bob.clone.path)
    ref = signer_ref("alice@example.com")
    files = _files(team.remote, ref)
    del files[ledger.event_path(made[2].id)]  # the newest one: invisible to the chain alone
    _publish(team.remote, ref, files, fast_forward=True)
    report = run_sync(bob.db, bob.clone.path)
    assert any("1 files were deleted or changed" in p for p in report.problems)
    assert made[2].id in bob.event_ids()  # what was seen before stays


def test_deleted_middle_event_shows_in_the_chain_for_a_newcomer(team: Team) -> None:
    _, made = _three_approvals(team)
    ref = signer_ref("alice@example.com")
    files = _files(team.remote, ref)
    del files[ledger.event_path(made[1].id)]
    _publish(team.remote, ref, files, fast_forward=False)
    newcomer = team.workstation("carol", "carol@example.com")
    report = run_sync(newcomer.db, newcomer.clone.path)
    assert any(f"previous event {made[1].id} is missing" in p for p in report.problems)


def test_rewritten_ref_is_reported_and_new_events_still_verified(team: Team) -> None:
    alice, made = _three_approvals(team)
    bob = team.workstation("bob", "bob@example.com")
    run_sync(bob.db, bob.clone.path)
    ref = signer_ref("alice@example.com")
    files = _files(team.remote, ref)
    later = alice.approve(CHANGE, "a later one")
    files[ledger.event_path(later.id)] = ledger.encode_event_file(later.payload, later.signature)
    files[ledger.event_path(made[0].id)] = b"garbage"
    _publish(team.remote, ref, files, fast_forward=False)
    report = run_sync(bob.db, bob.clone.path)
    assert any("was rewritten" in p and "does not descend" in p for p in report.problems)
    assert later.id in bob.event_ids()  # genuine, so it verifies on its own
    assert made[0].id in bob.event_ids()  # seen before: the rewrite cannot take it away
    # The rewrite is reported once; the next sync starts from the new tip.
    assert not any("was rewritten" in p for p in run_sync(bob.db, bob.clone.path).problems)


def test_quarantined_event_is_released_once_its_key_is_trusted(team: Team) -> None:
    mallory = team.workstation("mallory", "mallory@example.com")
    event = mallory.approve(CHANGE)
    run_sync(mallory.db, mallory.clone.path)
    bob = team.workstation("bob", "bob@example.com")
    first = run_sync(bob.db, bob.clone.path)
    assert [q[0] for q in first.imported.quarantined] == [event.id] and event.id not in bob.event_ids()
    line = f'mallory@example.com namespaces="reviewer-app" {team.identities["mallory@example.com"].public_line}\n'
    with open(bob.clone.path / ".reviewer/allowed_signers", "a", encoding="utf-8") as handle:
        handle.write(line)
    second = run_sync(bob.db, bob.clone.path)  # uncommitted trust does not count
    assert second.imported.released == 0 and event.id not in bob.event_ids()
    bob.clone.commit("trust mallory", author=("Bob", "bob@example.com"))
    third = run_sync(bob.db, bob.clone.path)
    assert third.imported.released == 1 and event.id in bob.event_ids()
    assert bob.db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0] == 0


def test_deleted_ref_is_reported_and_republished_by_its_signer(team: Team) -> None:
    alice, made = _three_approvals(team)
    bob = team.workstation("bob", "bob@example.com")
    run_sync(bob.db, bob.clone.path)
    ref = signer_ref("alice@example.com")
    subprocess.run(["git", "-C", str(team.remote), "update-ref", "-d", ref], check=True)
    report = run_sync(bob.db, bob.clone.path)
    assert any("was deleted on 'origin'" in p for p in report.problems)
    assert bob.event_ids() == {e.id for e in made}
    assert not run_sync(bob.db, bob.clone.path).problems  # reported once
    republished = run_sync(alice.db, alice.clone.path)  # alice's union puts everything back
    assert republished.pushed_events == 3 and ref in remote_refs(team.remote)


def test_a_newcomer_still_imports_the_event_a_fast_forward_dropped(team: Team) -> None:
    """Nobody saw the ref before the drop: the union of its commits still holds the dropped event."""
    _, made = _three_approvals(team)
    ref = signer_ref("alice@example.com")
    files = _files(team.remote, ref)
    del files[ledger.event_path(made[2].id)]
    dropping = _publish(team.remote, ref, files, fast_forward=True)
    newcomer = team.workstation("carol", "carol@example.com")
    report = run_sync(newcomer.db, newcomer.clone.path)
    assert newcomer.event_ids() == {e.id for e in made}
    assert any(f"by commit {dropping[:12]}" in p and "the removed events still count" in p for p in report.problems)
    # Reported once: the next sync reads only the commits after the tip it imported.
    assert not any("deleted or changed" in p for p in run_sync(newcomer.db, newcomer.clone.path).problems)


def test_a_long_history_is_read_with_one_git_log_per_ref(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thirty sync commits on one ref: the import runs a fixed number of git processes, not one per commit."""
    alice = team.workstation("alice", "alice@example.com")
    for n in range(30):
        alice.approve(CHANGE, f"step {n}")
        run_sync(alice.db, alice.clone.path)
    calls: list[str] = []
    real = gitobjects.run_git

    def counting(repo: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(next(a for a in args if not a.startswith("-") and "=" not in a))
        return real(repo, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gitobjects, "run_git", counting)
    bob = team.workstation("bob", "bob@example.com")
    report = run_sync(bob.db, bob.clone.path)
    assert report.imported.events_imported == 30 and report.problems == []
    assert calls.count("log") == 1 and len(calls) <= 6, calls
