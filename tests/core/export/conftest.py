"""An audited world for export tests: a repository with signers and policy, a database with a
submitted change and real signed decisions on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.analysis import submit_change
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.workspace import Workspace
from tests.core.sync.conftest import Identity, allowed_signers_text, make_key
from tests.gitrepo import GitRepo, init_repo

POLICY = """
[people."alice@example.com"]
level = "senior"
teams = ["team-web"]

[people."bob@example.com"]
level = "mid"

[defaults]
approvals = 1
min_level = "senior"
"""

EVIL_TITLE = "Fix <script>alert('x')</script> & \"quotes\""


@dataclass
class AuditWorld:
    repo: GitRepo
    db: sqlite_utils.Database
    db_path: Path
    people: dict[str, Identity]
    change_id: str
    other_change_id: str
    made: list[events.SignedEvent]

    def sign(self, email: str, type_: str, change_id: str, **fields: object) -> events.SignedEvent:
        signer = self.people[email].signer()
        if type_ == "approve":
            fields.setdefault("acks", [])
        event = events.create_event(self.db, signer, type_, change_id, dict(fields))
        self.made.append(event)
        return event


@pytest.fixture(scope="session")
def export_people(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("export-keys")
    return {email: make_key(folder, email) for email in ("alice@example.com", "bob@example.com", "eve@example.com")}


def _submit(repo: GitRepo, db: sqlite_utils.Database, branch: str, path: str, text: str, title: str) -> str:
    repo.git("checkout", "-q", "-b", branch)
    repo.write(path, text)
    repo.commit(title)
    patch = repo.format_patch()
    repo.git("checkout", "-q", "main")
    [change] = parse_patch(patch, f"{branch}.patch")
    change_id, _ = submit_change(db, change, Workspace(repo.path))
    return change_id


@pytest.fixture
def world(tmp_path: Path, export_people: dict[str, Identity]) -> AuditWorld:
    repo = init_repo(tmp_path / "repo")
    trusted = [export_people["alice@example.com"], export_people["bob@example.com"]]
    repo.write(".reviewer/allowed_signers", allowed_signers_text(trusted), dedent=False)
    repo.write(".reviewer/policy.toml", POLICY, dedent=False)
    repo.write("web/app.py", "def handler():\n    return 'ok'\n")
    repo.commit("seed")
    db_path = tmp_path / "audit.db"
    db = store.open_db(db_path)
    change_id = _submit(repo, db, "evil", "web/app.py", "def handler():\n    return 'fixed'\n", EVIL_TITLE)
    other = _submit(repo, db, "docs", "README.md", "hello\n", "Add a readme")
    world = AuditWorld(repo, db, db_path, export_people, change_id, other, [])
    world.sign("alice@example.com", "approve", change_id, comment="=HYPERLINK(\"http://evil\")")
    world.sign("bob@example.com", "approve", change_id, comment="fine by me")
    world.sign("alice@example.com", "approve", other, comment="ok")
    world.sign("bob@example.com", "reject", other, comment="+1 but no")
    world.sign("alice@example.com", "revoke", other, comment="@later")
    return world
