"""Safe signing: prefixes that name one change, the decision shown before signing, a confirmation at a
terminal for high and critical changes, repeatable --ack, "already approved", clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.core import store

from .team import Team, make_team
from .test_cli import blocking, key, run

RANGE = "refs/heads/main..refs/heads/feature"


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    return make_team(tmp_path_factory.mktemp("team"))


@pytest.fixture
def change_id(team: Team, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(capsys, "submit", "--git", RANGE, "--repo", str(team.repo.path))
    assert code == 0, err
    return out.split()[0]


def decisions_of(change_id: str) -> list[str]:
    db = store.open_db()
    return [row[0] for row in db.execute("SELECT type FROM events WHERE change_id = ?", [change_id])]


def test_a_prefix_needs_eight_hex_digits_and_must_be_unique(team: Team, change_id: str, capsys) -> None:
    repo = str(team.repo.path)
    for short in (change_id[7:8], change_id[7:14], "sha256:" + change_id[7:10]):
        code, _, err = run(capsys, "approve", short, "--key", key(team, "alice"), "--repo", repo, "--ack-all")
        assert code == 2 and "at least 8 hex digits" in err, err
    code, _, err = run(capsys, "approve", "main", "--key", key(team, "alice"), "--repo", repo)
    assert code == 2 and "not a change id" in err
    code, _, err = run(capsys, "approve", "0" * 8, "--key", key(team, "alice"), "--repo", repo)
    assert code == 2 and "no such change" in err
    assert decisions_of(change_id) == []


def test_ack_is_repeatable_and_never_swallows_the_change_id(team: Team, change_id: str, capsys) -> None:
    repo = str(team.repo.path)
    needed = blocking(change_id)
    acks = [arg for finding in needed for arg in ("--ack", finding)]
    code, out, err = run(capsys, "approve", "--key", key(team, "alice"), *acks, change_id[7:19], "--repo", repo)
    assert code == 0, err
    # The change is shown before it is signed: title, risk level, the findings acknowledged.
    assert "title  Add a cleanup job" in out and "risk   " in out
    assert all(f"ack    [" in out and finding in out for finding in needed)
    assert decisions_of(change_id) == ["approve"]


def test_signing_the_same_approval_again_says_so_and_signs_nothing(team: Team, change_id: str, capsys) -> None:
    repo = str(team.repo.path)
    first = run(capsys, "approve", change_id, "--key", key(team, "bob"), "--as", "bob@example.com", "--repo", repo,
                "--ack-all")
    assert first[0] == 0, first[2]
    code, out, _ = run(capsys, "approve", change_id, "--key", key(team, "bob"), "--as", "bob@example.com",
                       "--repo", repo, "--ack-all")
    assert code == 0 and out.startswith("already approved by you") and "nothing signed" in out
    assert decisions_of(change_id).count("approve") == 1


def test_a_comment_that_is_not_utf8_is_one_clear_line(team: Team, change_id: str, tmp_path: Path) -> None:
    env = {**os.environ, "REVIEWER_APP_DB": os.environ["REVIEWER_APP_DB"]}
    argv = [sys.executable.encode(), b"-m", b"reviewer_app", b"reject", change_id.encode(), b"--key",
            key(team, "alice").encode(), b"--repo", str(team.repo.path).encode(), b"--comment", b"caf\xe9 broken"]
    proc = subprocess.run(argv, capture_output=True, env=env, timeout=60)
    err = proc.stderr.decode("utf-8", "replace").strip()
    assert proc.returncode == 2 and "\n" not in err and "--comment: not valid UTF-8" in err, err
    assert "Traceback" not in err and "UnicodeEncodeError" not in err


def test_approve_outside_a_repository_says_what_is_missing(team: Team, change_id: str, tmp_path: Path, capsys,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "approve", change_id, "--key", key(team, "alice"), "--as", "alice@example.com",
                       "--ack-all")
    assert code == 2 and "not found in" in err and "None" not in err and "not a git repository" in err, err


def test_at_a_terminal_a_high_risk_approval_is_confirmed_first(team: Team, change_id: str) -> None:
    """A real pseudo-terminal: answering "n" signs nothing; --yes skips the question."""
    import pty
    import select

    def at_terminal(*extra: str, answer: bytes) -> tuple[int, str]:
        master, slave = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "reviewer_app", "approve", change_id, "--key",
                                 key(team, "alice"), "--repo", str(team.repo.path), "--ack-all",
                                 *extra], stdin=slave, stdout=slave, stderr=slave, env=dict(os.environ))
        os.close(slave)
        output = b""
        answered = False
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"[y/N]" in output:
                os.write(master, answer)
                answered = True
        os.close(master)
        return proc.wait(30), output.decode("utf-8", "replace")

    code, text = at_terminal(answer=b"n\n")
    assert "[y/N]" in text and "not signed" in text and code == 2, text
    assert decisions_of(change_id) == []
    code, text = at_terminal("--yes", answer=b"")
    assert code == 0 and "[y/N]" not in text, text
    assert decisions_of(change_id) == ["approve"]
