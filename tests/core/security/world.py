"""A small reviewed repository for the red-team tests: real keys, a real git repo, a real database.

Each test states the allowed_signers lines and the policy it attacks, so the attack is readable
in the test itself. Nothing is mocked: keys come from ssh-keygen, changes from git, events are
signed with SSHSIG and stored in SQLite, and the gate runs as ``reviewer-app gate`` would.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from reviewer_app.cli.main import main as cli_main
from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys
from reviewer_app.core.analysis import analyze
from reviewer_app.core.approvals.gate import GateReport, blocking_findings, run_gate
from reviewer_app.core.ingest import load_changes
from reviewer_app.core.workspace import Workspace
from tests.core.approvals.conftest import KeyPair, ssh_keygen_key
from tests.gitrepo import GitRepo, init_repo

SIGNED_AT = "2026-11-29T10:00:00Z"
AUTHOR = ("Dana Dev", "dana@example.com")
ADMIN = ("Alice", "alice@example.com")

# Two seniors for anything high or critical (a change to .reviewer/ is always critical); one senior otherwise.
STRICT_POLICY = """\
[people."alice@example.com"]
level = "senior"
[people."bob@example.com"]
level = "senior"
[people."carol@example.com"]
level = "senior"
[people."dana@example.com"]
level = "mid"
[people."bot@example.com"]
level = "agent"

[defaults]
approvals = 1
min_level = "senior"

[[rules]]
name = "High risk"
when = { risk_at_least = "high" }
require = { approvals = 2, min_level = "senior" }
"""


@dataclass
class World:
    repo: GitRepo
    keys: dict[str, KeyPair]
    db_path: Path
    base: str = ""
    _db: sqlite_utils.Database | None = field(default=None, repr=False)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = store.open_db(self.db_path)
        return self._db

    def line(self, name: str) -> str:
        """The ``type base64`` of a person's public key, for an allowed_signers line."""
        return self.keys[name].line

    def configure(self, allowed_signers: list[str], policy: str = STRICT_POLICY, revoked: str | None = None) -> str:
        """Commit .reviewer/ on main (as the admin) and return the commit: the base every test judges against."""
        self.repo.git("checkout", "-q", "main")
        self.repo.write(".reviewer/policy.toml", policy, dedent=False)
        self.repo.write(".reviewer/allowed_signers", "\n".join(allowed_signers) + "\n", dedent=False)
        if revoked is not None:
            self.repo.write(".reviewer/revoked_keys", revoked, dedent=False)
        self.base = self.repo.commit("configure reviewers", author=ADMIN)
        return self.base

    def branch(self, name: str, files: dict[str, str], message: str = "a change", author: tuple[str, str] = AUTHOR,
               start: str = "main") -> str:
        """A branch off ``start`` with one commit writing ``files``; returns its head commit."""
        self.repo.git("checkout", "-q", "-b", name, start)
        for path, text in files.items():
            self.repo.write(path, text, dedent=False)
        head = self.repo.commit(message, author=author)
        self.repo.git("checkout", "-q", "main")
        return head

    def analysis(self, spec: str, base: str | None = None) -> dict[str, Any]:
        change = load_changes(spec, self.repo.path)[0]
        return analyze(change, Workspace(self.repo.path, revision=base or self.base)).to_dict()

    def sign(self, name: str, change_id: str, principal: str | None = None, type: str = "approve",
             acks: list[str] | None = None, at: str = SIGNED_AT, namespace: str = keys.NAMESPACE,
             db: sqlite_utils.Database | None = None) -> events.SignedEvent:
        """A real signed decision by ``name``'s key, claiming ``principal`` (default ``name@example.com``)."""
        signer = keys.file_signer(self.keys[name].path, principal or f"{name}@example.com")
        signer.namespace = namespace  # type: ignore[union-attr]
        fields: dict[str, Any] = {"comment": f"{name} decided"}
        if type == "approve":
            fields.update(rule_pack="sha256:x", risk_level="critical", acks=acks or [])
        return events.create_event(db or self.db, signer, type, change_id, fields, clock=lambda: at)

    def approve_all_findings(self, name: str, analysis: dict[str, Any], principal: str | None = None,
                             at: str = SIGNED_AT) -> events.SignedEvent:
        return self.sign(name, analysis["change_id"], principal, acks=blocking_findings(analysis), at=at)

    def gate(self, spec: str, base: str | None = None) -> GateReport:
        return run_gate(self.db, self.repo.path, spec, base=base)

    def cli(self, *argv: str) -> tuple[int, str, str]:
        """``reviewer-app --db <db> ARGV`` in-process; returns (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(["--db", str(self.db_path), *argv])
        return code, out.getvalue(), err.getvalue()

    def cli_gate_json(self, *argv: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self.cli("gate", "--repo", str(self.repo.path), "--format", "json", *argv)
        return code, json.loads(out) if out.strip() else {"stderr": err}


def make_world(folder: Path, people: tuple[str, ...] = ("alice", "bob", "carol", "dana", "bot", "mallory")) -> World:
    key_dir = folder / "keys"
    key_dir.mkdir(parents=True)
    made = {name: ssh_keygen_key(key_dir, name) for name in people}
    repo = init_repo(folder / "repo")
    repo.write("app/main.py", "print('hello')\n", dedent=False)
    repo.commit("initial", author=ADMIN)
    return World(repo, made, folder / "gate.db")


def plain_lines(world: World, *names: str) -> list[str]:
    """One ``name@example.com <key>`` line per person."""
    return [f"{name}@example.com {world.line(name)}" for name in names]


def approval_payload(change_id: str, principal: str, fingerprint: str, acks: list[str] | None = None,
                     at: str = SIGNED_AT) -> str:
    """The canonical payload of an approval, for signatures made by hand (ssh-keygen, forged framing)."""
    return events.canonical_json({
        "v": events.PAYLOAD_VERSION, "type": "approve", "change_id": change_id, "principal": principal,
        "key": fingerprint, "created_at": at, "prev": None, "rule_pack": "sha256:x", "risk_level": "critical",
        "acks": sorted(acks or []), "comment": "hand made",
    })


def store_event(world: World, payload: str, signature: str) -> events.SignedEvent:
    """File an event the way the importer would (shape checked, signature not): the gate must judge it."""
    event = events.SignedEvent(events.event_id(payload), payload, signature)
    events.append_event(world.db, event, origin="sync", pushed=True)
    return event


def tamper(db: Any, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    """Edit the database file the way an attacker with write access would: the append-only
    triggers are no obstacle to them, so they are dropped first."""
    from reviewer_app.core import store

    for trigger in store.APPEND_ONLY_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute(sql, list(params))
