"""A tiny real repository the packaged command is run against: a policy in the base, then a risky commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.gitrepo import GitRepo, init_repo

POLICY = """\
[people."dana@example.com"]
level = "senior"
teams = ["platform"]

[defaults]
approvals = 1
min_level = "senior"
"""


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """main~1 has a policy, a trusted signer and app.py; main adds a shell call with its scanner warning silenced (a finding
    the analysis must report: the packaged rule packs are there)."""
    folder = tmp_path_factory.mktemp("packaged")
    key = folder / "dana"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dana", "-f", str(key)], check=True)
    signers = "dana@example.com " + " ".join(key.with_suffix(".pub").read_text().split()[:2]) + "\n"
    repo = init_repo(folder / "repo")
    repo.write_files({".reviewer/policy.toml": POLICY, ".reviewer/allowed_signers": signers, "app.py": "def greet(name):\n    return 'hello ' + name\n"})
    repo.commit("A greeting")
    repo.write("app.py", "import subprocess\n\n\ndef greet(name):\n"
               "    subprocess.call('echo hello ' + name, shell=True)  # nosec\n", dedent=False)
    repo.commit("Greet through the shell")
    return repo


@pytest.fixture(scope="module")
def demo_patch(small_repo: GitRepo) -> Path:
    """The risky commit as a format-patch file, the way a reviewer receives one."""
    path = small_repo.path.parent / "greet-through-the-shell.patch"
    path.write_bytes(small_repo.format_patch("HEAD"))
    return path
