"""docs/adopting.md is a walkthrough that works: each ``sh`` block runs, in order, as its reader would.

Real git (a bare remote, Alice's clone, a fresh CI clone), real ssh-keygen keys, the installed
``reviewer-app`` command. A line ending in ``# expect exit N`` must exit N; every other line must succeed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "adopting.md"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EXPECT = re.compile(r"^(?P<command>.*?)\s+# expect exit (?P<code>\d+)\s*$")


def sh_blocks() -> list[str]:
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def with_expectations(block: str) -> str:
    lines = []
    for line in block.splitlines():
        match = _EXPECT.match(line)
        if match:
            code = match.group("code")
            line = (f"set +e; {match.group('command')}; rc=$?; set -e; "
                    f"[ $rc -eq {code} ] || {{ echo \"expected exit {code}, got $rc: {match.group('command')}\" >&2; exit 99; }}")
        lines.append(line)
    return "\n".join(lines)


def test_the_doc_has_the_steps_the_walkthrough_needs() -> None:
    text = "\n".join(sh_blocks())
    for step in ("reviewer-app init", "reviewer-app gate", "reviewer-app approve", "reviewer-app sync", "--fetch"):
        assert step in text


def test_adopting_md_runs_from_zero_to_a_passing_gate(tmp_path: Path) -> None:
    def run(*cmd: str, cwd: Path | None = None) -> None:
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)

    remote, repo, ci = tmp_path / "remote.git", tmp_path / "alice", tmp_path / "ci"
    run("git", "init", "-q", "--bare", "-b", "main", str(remote))
    run("git", "clone", "-q", str(remote), str(repo))
    for key, value in (("user.email", "alice@acme.test"), ("user.name", "Alice")):
        run("git", "-C", str(repo), "config", key, value)
    (repo / "services" / "pricing").mkdir(parents=True)
    (repo / "services" / "pricing" / "api.py").write_text("def price():\n    return 1\n")
    run("git", "-C", str(repo), "add", "-A")
    run("git", "-C", str(repo), "commit", "-q", "-m", "base")
    run("git", "-C", str(repo), "push", "-q", "origin", "main")
    keys = {}
    for who in ("alice", "bob"):
        keys[who] = tmp_path / f"{who}_ed25519"
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(keys[who]))
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "REPO": str(repo),
           "REMOTE": str(remote), "CI": str(ci), "ALICE_KEY": str(keys["alice"]), "BOB_KEY": str(keys["bob"]),
           "REVIEWER_APP_DB": str(tmp_path / "alice.db"), "HOME": str(tmp_path / "home")}
    script = "set -eu\n" + "\n".join(with_expectations(block) for block in sh_blocks())
    # CI is another machine: the last block (the fresh clone) runs with a database of its own.
    script = script.replace('git clone -q "$REMOTE" "$CI"', 'export REVIEWER_APP_DB="$CI.db"; git clone -q "$REMOTE" "$CI"')
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    verdicts = [line.split()[0:2] for line in proc.stdout.splitlines() if "APPROVED" in line.split()[:2]]
    assert verdicts[0] == ["NOT", "APPROVED"] and verdicts[-1][0] == "APPROVED", proc.stdout
    assert (repo / ".reviewer" / "policy.toml").is_file() and (tmp_path / "ci.db").is_file()
