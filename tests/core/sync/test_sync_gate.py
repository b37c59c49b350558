"""CI needs no local state: a fresh clone with an empty database passes `gate --fetch`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reviewer_app.core.analysis import submit_change
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.sync import run_sync
from reviewer_app.core.workspace import Workspace
from tests.core.sync.conftest import Team
from tests.gitrepo import GitRepo

POLICY = """
[people."alice@example.com"]
level = "senior"

[defaults]
approvals = 1
min_level = "senior"
"""


def _gate(ci: Path, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer_app", "--db", str(db), "gate", "--repo", str(ci), "--fetch",
         "--git", "origin/main..origin/feature"], capture_output=True, text=True, timeout=120)


def test_a_clean_ci_clone_fetches_the_approvals_and_passes(team: Team, tmp_path: Path) -> None:
    team.seed.write(".reviewer/policy.toml", POLICY, dedent=False)
    team.seed.commit("policy")
    team.seed.git("checkout", "-q", "-b", "feature")
    team.seed.write("README.md", "How to run the service.\n")
    team.seed.commit("Document how to run it")
    team.seed.git("push", "-q", "origin", "main", "feature")

    alice = team.workstation("alice", "alice@example.com")
    alice.clone.git("fetch", "-q", "origin")
    change = load_git_range(alice.clone.path, "origin/main..origin/feature")
    change_id, _ = submit_change(alice.db, change, Workspace(alice.clone.path))

    ci = GitRepo(tmp_path / "ci")
    subprocess.run(["git", "clone", "-q", str(team.remote), str(ci.path)], check=True)
    before = _gate(ci.path, tmp_path / "ci-1.db")
    assert before.returncode == 1, before.stderr  # nothing approved yet: fails closed

    alice.approve(change_id, "reviewed")
    run_sync(alice.db, alice.clone.path)  # offline approval reaches the remote
    after = _gate(ci.path, tmp_path / "ci-2.db")  # a new, empty database
    assert after.returncode == 0, after.stdout + after.stderr
    assert "alice@example.com" in after.stdout
