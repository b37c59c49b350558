"""`reviewer-app sync` as separate processes: concurrency, exit codes, one-line errors, --status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reviewer_app.core.sync import run_sync
from reviewer_app.core.sync.refs import signer_ref
from tests.core.sync.conftest import Team, remote_refs

CHANGE = "sha256:" + "e" * 64


def _cli(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "reviewer_app", "--db", str(db), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_five_machines_of_one_person_sync_at_once_and_lose_nothing(team: Team) -> None:
    machines = [team.workstation(f"machine{n}", "alice@example.com") for n in range(5)]
    made = {m.approve(CHANGE, f"{m.name} #{k}").id for m in machines for k in range(2)}
    processes = [_cli(m.db_path, "sync", "--repo", str(m.clone.path)) for m in machines]
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
    for process in processes:
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in outcomes] == [0] * 5, outcomes

    witness = team.workstation("witness", "bob@example.com")
    run_sync(witness.db, witness.clone.path)
    assert witness.event_ids() == made
    tip = remote_refs(team.remote)[signer_ref("alice@example.com")]
    files = subprocess.run(["git", "-C", str(team.remote), "ls-tree", "-r", "--name-only", tip],
                           capture_output=True, text=True, check=True).stdout.split()
    assert len(files) == len(made)
    for machine in machines:  # every machine considers its events published
        assert machine.db.execute("SELECT COUNT(*) FROM events WHERE pushed = 0").fetchone()[0] == 0


def test_cli_unreachable_remote_is_one_line_exit_2_and_status_shows_the_queue(team: Team) -> None:
    alice = team.workstation("alice", "alice@example.com")
    alice.approve(CHANGE)
    process = _cli(alice.db_path, "sync", "--repo", str(alice.clone.path), "--remote", str(team.root / "nowhere.git"))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.count("\n") == 1 and err.startswith("reviewer-app: error: cannot fetch from")
    process = _cli(alice.db_path, "sync", "--status", "--format", "json")
    out, _ = process.communicate(timeout=60)
    status = json.loads(out)
    assert status["unpushed"] == 1 and "cannot fetch" in status["last_error"]

    process = _cli(alice.db_path, "sync", "--repo", str(alice.clone.path))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "pushed 1 events" in out
    process = _cli(alice.db_path, "sync", "--status")
    out, _ = process.communicate(timeout=60)
    assert "unpushed events: 0" in out


def test_cli_reports_set_aside_events_with_exit_1(team: Team) -> None:
    mallory = team.workstation("mallory", "mallory@example.com")
    mallory.approve(CHANGE)
    run_sync(mallory.db, mallory.clone.path)
    bob = team.workstation("bob", "bob@example.com")
    process = _cli(bob.db_path, "sync", "--repo", str(bob.clone.path))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "1 events set aside" in out and "WARNING: set aside" in err and "unknown principal" in err


def test_two_syncs_of_the_same_clone_and_database_at_once(team: Team) -> None:
    """The window's periodic sync and a terminal sync may overlap on one machine."""
    alice = team.workstation("alice", "alice@example.com")
    made = {alice.approve(CHANGE, f"#{n}").id for n in range(3)}
    processes = [_cli(alice.db_path, "sync", "--repo", str(alice.clone.path)) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    bob = team.workstation("bob", "bob@example.com")
    run_sync(bob.db, bob.clone.path)
    assert bob.event_ids() == made
    assert alice.db.execute("SELECT COUNT(*) FROM events WHERE pushed = 0").fetchone()[0] == 0
