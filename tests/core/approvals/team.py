"""A reviewed repository for gate and CLI tests: policy, allowed signers and revocations on main,
a feature branch with a risky change, and real keys for every person in the roster."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.signing import keys
from tests.gitrepo import GitRepo, init_repo

from .conftest import KeyPair, ssh_keygen_key

SIGNED_AT = "2026-11-29T10:00:00Z"

POLICY = """\
[people."alice@example.com"]
level = "senior"
teams = ["team-checkout"]
[people."bob@example.com"]
level = "senior"
[people."carol@example.com"]
level = "senior"
[people."eve@example.com"]
level = "senior"
[people."dana@example.com"]
level = "senior"
[people."mike@example.com"]
level = "mid"
[people."bot@example.com"]
level = "agent"

[defaults]
approvals = 1
min_level = "mid"

[[rules]]
name = "High blast radius"
when = { risk_at_least = "high" }
require = { approvals = 2, min_level = "senior" }
"""

PEOPLE = ("alice", "bob", "carol", "eve", "dana", "mike", "bot", "mallory")
RISKY_CODE = 'import os\n\n\ndef cleanup():\n    os.system("rm -rf /var/lib/postgres/data")\n'


@dataclass
class Team:
    repo: GitRepo
    keys: dict[str, KeyPair]
    base: str
    head: str
    extra: dict[str, str] = field(default_factory=dict)

    def signer(self, name: str, namespace: str = "reviewer-app") -> keys.Signer:
        signer = keys.file_signer(self.keys[name].path, f"{name}@example.com")
        signer.namespace = namespace  # type: ignore[union-attr]
        return signer


def make_team(folder: Path) -> Team:
    key_dir = folder / "keys"
    key_dir.mkdir(parents=True)
    made = {name: ssh_keygen_key(key_dir, name) for name in PEOPLE}
    repo = init_repo(folder / "repo")
    repo.git("config", "user.email", "alice@example.com")
    repo.git("config", "user.name", "Alice")
    lines = [f"{name}@example.com {made[name].line}" for name in PEOPLE if name not in ("carol", "mallory")]
    lines.append(f'carol@example.com valid-before="20261101Z" {made["carol"].line}')
    repo.write(".reviewer/policy.toml", POLICY)
    repo.write(".reviewer/allowed_signers", "\n".join(lines) + "\n")
    repo.write(".reviewer/revoked_keys", f"# eve's laptop was stolen\n{made['eve'].line}\n")
    repo.write("app/main.py", "print('hello')\n")
    base = repo.commit("base: policy and signers", author=("Alice", "alice@example.com"))
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("app/cleanup.py", RISKY_CODE)
    head = repo.commit("Add a cleanup job", author=("Dana Dev", "dana@example.com"))
    repo.git("checkout", "-q", "main")
    return Team(repo, made, base, head)


def git(repo: GitRepo, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo.path), *args], capture_output=True, text=True, check=True).stdout
