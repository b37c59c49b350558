"""approve / reject / revoke / gate through reviewer_app.cli.main.main, in-process, on a real repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.cli import main as cli_main
from reviewer_app.core import store

from .team import Team, make_team

RANGE = "main..feature"


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    return make_team(tmp_path_factory.mktemp("team"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def change_id(team: Team, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(capsys, "submit", "--git", RANGE, "--repo", str(team.repo.path))
    assert code == 0, err
    return out.split()[0]


def analysis_of(change_id: str) -> dict[str, Any]:
    found = store.get_analysis(store.open_db(), change_id)
    assert found is not None
    return found


def blocking(change_id: str) -> list[str]:
    return sorted(f["id"] for f in analysis_of(change_id)["risk"]["findings"] if f["severity"] in ("high", "critical"))


def key(team: Team, name: str) -> str:
    return str(team.keys[name].path)


def test_approve_demands_acknowledging_high_and_critical_findings(team: Team, change_id: str, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = str(team.repo.path)
    needed = blocking(change_id)
    assert needed
    code, _, err = run(capsys, "approve", change_id[7:19], "--key", key(team, "alice"), "--repo", repo)
    assert code == 2 and "not acknowledged" in err and all(i in err for i in needed)
    code, _, err = run(capsys, "approve", change_id, "--key", key(team, "alice"), "--repo", repo, "--ack", "NOPE@x:new:1")
    assert code == 2 and "--ack NOPE@x:new:1: no such finding" in err
    code, out, err = run(capsys, "approve", change_id[7:19], "--key", key(team, "alice"), "--repo", repo,
                         *[arg for finding in needed for arg in ("--ack", finding)], "--comment", "checked the paths")
    assert code == 0, err
    event_id = out.split("event")[1].split()[0]
    assert team.keys["alice"].public_key.fingerprint in out and "alice@example.com" in out  # identity from git config
    data = json.loads(store.open_db().execute("SELECT payload FROM events WHERE id = ?", [event_id]).fetchone()[0])
    assert data["acks"] == needed and data["comment"] == "checked the paths" and data["type"] == "approve"
    assert data["rule_pack"] == analysis_of(change_id)["risk"]["rule_pack"]
    assert data["risk_level"] == analysis_of(change_id)["risk"]["level"]


def test_approve_refuses_keys_not_listed_for_the_identity(team: Team, change_id: str, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = str(team.repo.path)
    cases = [
        (("--key", key(team, "alice"), "--as", "bob@example.com"), "unknown principal"),
        (("--key", key(team, "mallory"), "--as", "mallory@example.com"), "unknown principal"),
        (("--key", key(team, "eve"), "--as", "eve@example.com"), "revoked"),
        (("--key", key(team, "carol"), "--as", "carol@example.com"), "key not valid at signing time"),
        (("--key", key(team, "dana"), "--as", "dana@example.com"), "author of this change"),
        (("--as", "bob@example.com"), "give --key PATH"),
        (("--key", str(team.keys["bob"].pub_path), "--as", "bob@example.com"), "this is a public key"),
    ]
    for extra, fragment in cases:
        code, out, err = run(capsys, "approve", change_id, "--ack-all", "--repo", repo, *extra)
        assert code == 2 and fragment in err, (extra, err)
        assert err.count("\n") == 1 and "Traceback" not in err
    assert store.open_db().execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


def test_full_flow_approve_gate_revoke_reject(team: Team, change_id: str, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = str(team.repo.path)
    code, out, _ = run(capsys, "gate", "--git", RANGE, "--repo", repo)
    assert code == 1 and "NOT APPROVED" in out and "[UNMET] High blast radius: 0/2" in out
    for name in ("alice", "bob"):
        code, _, err = run(capsys, "approve", change_id, "--key", key(team, name), "--as", f"{name}@example.com",
                           "--ack-all", "--repo", repo)
        assert code == 0, err
    code, out, _ = run(capsys, "gate", "--git", RANGE, "--repo", repo, "--format", "json")
    verdict = json.loads(out)
    assert code == 0 and verdict["approved"] is True and verdict["change_id"] == change_id
    assert verdict["requirements"][0]["approvers"] == ["alice@example.com", "bob@example.com"]
    assert verdict["analysis"]["risk_level"] == analysis_of(change_id)["risk"]["level"]
    assert verdict["base"] == team.base

    code, out, err = run(capsys, "revoke", change_id, "--key", key(team, "bob"), "--as", "bob@example.com", "--repo", repo)
    assert code == 0 and "revoked the approval" in out, err
    code, _, err = run(capsys, "revoke", change_id, "--key", key(team, "bob"), "--as", "bob@example.com", "--repo", repo)
    assert code == 2 and "no standing approval" in err
    code, out, _ = run(capsys, "gate", "--git", RANGE, "--repo", repo, "--format", "json")
    assert code == 1 and json.loads(out)["rejected"][0]["reason"] == "withdrawn"

    code, _, err = run(capsys, "reject", change_id, "--key", key(team, "alice"), "--as", "alice@example.com", "--repo", repo)
    assert code == 2 and "--comment" in err
    code, out, _ = run(capsys, "reject", change_id, "--key", key(team, "alice"), "--as", "alice@example.com",
                       "--repo", repo, "--comment", "deletes the production database")
    assert code == 0 and "rejected" in out
    code, out, _ = run(capsys, "gate", "--git", RANGE, "--repo", repo)
    assert code == 1 and "rejected by alice@example.com: deletes the production database" in out
    code, out, _ = run(capsys, "gate", "--git", RANGE, "--repo", repo, "--format", "json")
    rejections = json.loads(out)["rejections"]
    assert [(r["principal"], r["comment"]) for r in rejections] == [("alice@example.com", "deletes the production database")]


def test_gate_on_a_patch_file_with_several_patches(team: Team, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = team.repo
    repo.git("checkout", "-q", "-b", "two", "main")
    repo.write("docs/a.md", "one\n")
    repo.commit("docs one", author=("Dana Dev", "dana@example.com"))
    repo.write("docs/b.md", "two\n")
    repo.commit("docs two", author=("Dana Dev", "dana@example.com"))
    repo.git("checkout", "-q", "main")
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(subprocess.run(["git", "-C", str(repo.path), "format-patch", "--stdout", "main..two"],
                                    capture_output=True, check=True).stdout)
    code, out, err = run(capsys, "submit", str(mbox), "--repo", str(repo.path))
    assert code == 0, err
    first, second = [line.split()[0] for line in out.splitlines()]
    code, out, _ = run(capsys, "approve", first, "--key", key(team, "mike"), "--as", "mike@example.com", "--repo", str(repo.path))
    assert code == 0
    code, out, _ = run(capsys, "gate", str(mbox), "--repo", str(repo.path), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["approved"] is False
    assert [c["approved"] for c in report["changes"]] == [True, False]
    run(capsys, "approve", second, "--key", key(team, "mike"), "--as", "mike@example.com", "--repo", str(repo.path))
    code, out, _ = run(capsys, "gate", str(mbox), "--repo", str(repo.path))
    assert code == 0 and "2/2 changes approved" in out


def test_gate_errors_exit_2_and_fail_closed(team: Team, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    repo = str(team.repo.path)
    code, out, err = run(capsys, "gate", str(tmp_path / "missing.patch"), "--repo", repo, "--format", "json")
    assert code == 2 and json.loads(out) == {"approved": False, "error": f"{tmp_path / 'missing.patch'}: no such file"}
    assert err.startswith("reviewer-app: error: gate failed closed: ")
    code, _, err = run(capsys, "gate", "--repo", repo)
    assert code == 2 and "exactly one of" in err
    code, _, err = run(capsys, "gate", "--git", RANGE, "--repo", repo, "--base", "nope")
    assert code == 2 and "nope: not a commit" in err
    not_git = tmp_path / "plain"
    not_git.mkdir()
    code, _, err = run(capsys, "gate", "--git", RANGE, "--repo", str(not_git))
    assert code == 2 and "gate failed closed" in err

    import reviewer_app.core.approvals.gate as gate_module

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gate_module, "run_gate", explode)  # an unexpected failure deep inside the gate
    code, out, err = run(capsys, "gate", "--git", RANGE, "--repo", repo, "--format", "json")
    assert code == 2 and json.loads(out)["approved"] is False
    assert "gate failed closed: internal error: RuntimeError: disk on fire" in err


def test_gate_fetch_needs_a_reachable_remote(team: Team, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "gate", "--git", RANGE, "--repo", str(team.repo.path), "--fetch", "--remote", "nowhere")
    assert code == 2 and "gate failed closed" in err


def test_gate_never_imports_qt(team: Team, tmp_path: Path) -> None:
    """The gate as CI runs it, a whole process: exit 1 (not approved) and no Qt module imported."""
    import os
    import sys

    env = {**os.environ, "REVIEWER_APP_DB": str(tmp_path / "db")}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "reviewer_app", "gate", "--git", RANGE,
                           "--repo", str(team.repo.path)], capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "NOT APPROVED" in proc.stdout
    imported = [line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "reviewer_app.core.approvals.gate" in imported
    assert not [name for name in imported if name.startswith(("PySide6", "shiboken6"))]


def test_approve_with_ssh_agent_picks_the_listed_key(team: Team, change_id: str, capsys, ssh_agent: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    repo = str(team.repo.path)
    code, _, err = run(capsys, "approve", change_id, "--agent", "--as", "bob@example.com", "--ack-all", "--repo", repo)
    assert code == 2 and "ssh-agent holds no key" in err
    for name in ("mallory", "bob"):  # an unlisted key first: it must be skipped
        subprocess.run(["ssh-add", "-q", key(team, name)], env=ssh_agent, check=True, capture_output=True)
    code, out, err = run(capsys, "approve", change_id, "--agent", "--as", "bob@example.com", "--ack-all", "--repo", repo)
    assert code == 0, err
    assert team.keys["bob"].public_key.fingerprint in out
    code, out, err = run(capsys, "approve", change_id, "--agent", "--key", str(team.keys["mallory"].pub_path),
                         "--as", "bob@example.com", "--ack-all", "--repo", repo)
    assert code == 2 and "unknown principal" in err


def test_approve_with_an_encrypted_key_and_the_passphrase_variable(team: Team, change_id: str, capsys,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    locked = tmp_path / "bob-locked"
    shutil.copy(key(team, "bob"), locked)
    locked.chmod(0o600)
    subprocess.run(["ssh-keygen", "-p", "-q", "-P", "", "-N", "hunter2", "-f", str(locked)], check=True, capture_output=True)
    args = ("approve", change_id, "--key", str(locked), "--as", "bob@example.com", "--ack-all", "--repo", str(team.repo.path))
    monkeypatch.delenv("REVIEWER_APP_KEY_PASSPHRASE", raising=False)
    code, _, err = run(capsys, *args)
    assert code == 2 and "REVIEWER_APP_KEY_PASSPHRASE" in err  # no terminal under pytest: no prompt, a clear error
    monkeypatch.setenv("REVIEWER_APP_KEY_PASSPHRASE", "hunter2")
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert team.keys["bob"].public_key.fingerprint in out


def test_gate_fetch_counts_approvals_pushed_by_reviewers(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Reviewers approve and sync from their machine; CI starts from an empty database and fetches."""
    fresh = make_team(tmp_path / "team")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    fresh.repo.git("remote", "add", "origin", str(remote))
    fresh.repo.git("push", "-q", "origin", "main", "feature")
    reviewer_db, ci_db = str(tmp_path / "reviewer.db"), str(tmp_path / "ci.db")
    repo = str(fresh.repo.path)
    code, out, err = run(capsys, "--db", reviewer_db, "submit", "--git", RANGE, "--repo", repo)
    assert code == 0, err
    cid = out.split()[0]
    for name in ("alice", "bob"):
        code, _, err = run(capsys, "--db", reviewer_db, "approve", cid, "--key", str(fresh.keys[name].path),
                           "--as", f"{name}@example.com", "--ack-all", "--repo", repo)
        assert code == 0, err
    code, _, err = run(capsys, "--db", reviewer_db, "sync", "--repo", repo)
    assert code == 0, err

    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", str(remote), str(ci)], check=True, capture_output=True)
    ci_range = "origin/main..origin/feature"
    code, out, _ = run(capsys, "--db", ci_db, "gate", "--git", ci_range, "--repo", str(ci), "--format", "json")
    assert code == 1 and json.loads(out)["requirements"][0]["have"] == 0
    code, out, err = run(capsys, "--db", ci_db, "gate", "--git", ci_range, "--repo", str(ci), "--fetch", "--format", "json")
    assert code == 0, err
    verdict = json.loads(out)
    assert verdict["change_id"] == cid and verdict["approved"] is True
    assert verdict["requirements"][0]["approvers"] == ["alice@example.com", "bob@example.com"]


def test_approve_reanalyses_a_stale_analysis(team: Team, change_id: str, capsys) -> None:  # type: ignore[no-untyped-def]
    db = store.open_db()
    stored = analysis_of(change_id)
    current_pack = stored["risk"]["rule_pack"]
    stale = {**stored, "risk": {**stored["risk"], "rule_pack": "sha256:" + "0" * 64, "findings": []}}
    with db.conn:
        db.execute("UPDATE changes SET analysis = ? WHERE change_id = ?", [json.dumps(stale), change_id])
    # the stale copy lists no findings, but the fresh analysis does: acknowledging is still demanded
    code, _, err = run(capsys, "approve", change_id, "--key", key(team, "alice"), "--repo", str(team.repo.path))
    assert code == 2 and "not acknowledged" in err
    code, out, err = run(capsys, "approve", change_id, "--key", key(team, "alice"), "--repo", str(team.repo.path), "--ack-all")
    assert code == 0, err
    payload = db.execute("SELECT payload FROM events WHERE change_id = ?", [change_id]).fetchone()[0]
    assert json.loads(payload)["rule_pack"] == current_pack
