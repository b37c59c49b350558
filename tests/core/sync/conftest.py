"""A team for sync tests: a bare remote, a seed commit with allowed_signers, and workstations.

Everything is real: ssh-keygen makes the keys, events are signed with them through keys.py, each
workstation has its own clone and its own SQLite file, and the remote is a bare repository.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys
from tests.gitrepo import GitRepo, init_repo

ZERO_CHANGE = "sha256:" + "0" * 64


@dataclass
class Identity:
    email: str
    key: Path

    @property
    def public_line(self) -> str:
        return Path(f"{self.key}.pub").read_text().strip()

    def signer(self) -> keys.Signer:
        return keys.file_signer(self.key, self.email)


@dataclass
class Workstation:
    name: str
    clone: GitRepo
    db: sqlite_utils.Database
    db_path: Path
    identity: Identity | None

    def approve(self, change_id: str, comment: str = "") -> events.SignedEvent:
        assert self.identity is not None
        return events.create_event(self.db, self.identity.signer(), "approve", change_id,
                                   {"acks": [], "comment": comment, "risk_level": "low", "rule_pack": "sha256:test"})

    def event_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM events")}


@dataclass
class Team:
    root: Path
    remote: Path
    seed: GitRepo
    identities: dict[str, Identity] = field(default_factory=dict)

    def workstation(self, name: str, email: str | None, git_email: str | None = "same") -> Workstation:
        path = self.root / name
        subprocess.run(["git", "clone", "-q", str(self.remote), str(path)], check=True, capture_output=True)
        clone = GitRepo(path)
        if git_email == "same":
            git_email = email
        if git_email:
            clone.git("config", "user.email", git_email)
            clone.git("config", "user.name", name)
        db_path = self.root / f"{name}.db"
        return Workstation(name, clone, store.open_db(db_path), db_path, self.identities[email] if email else None)


def make_key(folder: Path, email: str) -> Identity:
    key = folder / email.replace("@", "_at_").replace(".", "_")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", str(key)], check=True)
    return Identity(email, key)


@pytest.fixture(scope="session")
def identities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("keys")
    return {email: make_key(folder, email) for email in
            ("alice@example.com", "bob@example.com", "carol@example.com", "mallory@example.com")}


def allowed_signers_text(people: list[Identity]) -> str:
    return "".join(f'{person.email} namespaces="reviewer-app" {person.public_line}\n' for person in people)


@pytest.fixture
def team(tmp_path: Path, identities: dict[str, Identity]) -> Team:
    """A bare remote whose main branch trusts alice, bob and carol (not mallory)."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    seed = init_repo(tmp_path / "seed")
    trusted = [identities[e] for e in ("alice@example.com", "bob@example.com", "carol@example.com")]
    seed.write(".reviewer/allowed_signers", allowed_signers_text(trusted), dedent=False)
    seed.write("app/main.py", "print('hello')\n")
    seed.commit("seed")
    seed.git("remote", "add", "origin", str(remote))
    seed.git("push", "-q", "origin", "main")
    return Team(tmp_path, remote, seed, dict(identities))


def remote_refs(remote: Path, prefix: str = "refs/reviewer-app/events/") -> dict[str, str]:
    """The signers' ledger refs on the remote (``prefix``: another namespace, e.g. the per-change index)."""
    out = subprocess.run(["git", "-C", str(remote), "for-each-ref", "--format=%(refname) %(objectname)",
                          prefix], check=True, capture_output=True, text=True).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def status_of(db: sqlite_utils.Database) -> dict[str, Any]:
    from reviewer_app.core.sync import sync_status

    return sync_status(db)
