"""A team whose ledger an attacker edits, and a fresh CI clone that runs ``reviewer-app gate --fetch``.

Everything is real: ssh-keygen keys, signed events, a bare remote, clones, SQLite files, and the
gate run through the CLI entry point. The attacker edits the remote with git plumbing, as someone
with push rights (or write access to the server) would.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.cli.main import main as cli_main
from reviewer_app.core.approvals import events
from reviewer_app.core.changeid import change_id as change_id_of
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.sync import gitobjects, ledger, run_sync
from reviewer_app.core.sync.refs import signer_ref
from tests.core.sync.conftest import Identity, Team, Workstation, allowed_signers_text, make_key, remote_refs
from tests.gitrepo import GitRepo, init_repo

POLICY = """\
[people."alice@example.com"]
level = "senior"
[people."bob@example.com"]
level = "senior"
[people."carol@example.com"]
level = "senior"
[people."dana@example.com"]
level = "mid"

[defaults]
approvals = 1
min_level = "senior"
"""

# Full ref names: what the CI recipes pass, so no tag or branch named like them can stand in.
BASE = "refs/remotes/origin/main"
FEATURE = "refs/remotes/origin/feature"
APPROVED_AT = "2026-11-29T10:00:00Z"
WITHDRAWN_AT = "2026-11-29T11:00:00Z"
LATER_AT = "2026-11-29T12:00:00Z"


def make_identities(folder: Path) -> dict[str, Identity]:
    folder.mkdir(parents=True, exist_ok=True)
    return {email: make_key(folder, email) for email in
            ("alice@example.com", "bob@example.com", "carol@example.com", "mallory@example.com")}


@dataclass
class LedgerTeam:
    team: Team
    change_id: str  # the change on origin/feature, as the gate computes it
    feature_head: str
    _ci_count: int = field(default=0, repr=False)

    @property
    def remote(self) -> Path:
        return self.team.remote

    def workstation(self, name: str, email: str) -> Workstation:
        return self.team.workstation(name, email)

    def decide(self, who: Workstation, type: str, at: str, change_id: str | None = None) -> events.SignedEvent:
        """A real signed decision by ``who`` at the claimed time ``at`` (an approval acknowledges nothing)."""
        assert who.identity is not None
        fields: dict[str, Any] = {"comment": f"{type} at {at}"}
        if type == "approve":
            fields.update(acks=[], risk_level="low", rule_pack="sha256:test")
        return events.create_event(who.db, who.identity.signer(), type, change_id or self.change_id, fields,
                                   clock=lambda: at)

    def publish(self, who: Workstation) -> None:
        report = run_sync(who.db, who.clone.path)
        assert report.problems == [], report.problems

    # --- the attacker, on the remote ------------------------------------------------------------

    def files(self, email: str) -> dict[str, bytes]:
        ref = signer_ref(email)
        listing = gitobjects.list_tree(self.remote, remote_refs(self.remote)[ref])
        blobs = gitobjects.read_blobs(self.remote, list(listing.values()))
        return {path: blobs[blob] for path, blob in listing.items()}

    def commit_files(self, repo: Path, files: dict[str, bytes], parents: list[str]) -> str:
        paths = sorted(files)
        tree = gitobjects.build_tree(repo, dict(zip(paths, gitobjects.write_blobs(repo, [files[p] for p in paths]))))
        return gitobjects.commit_tree(repo, tree, parents, "ledger update")

    def fast_forward(self, email: str, files: dict[str, bytes]) -> str:
        """A new commit on top of the signer's tip holding ``files``: what a remote that forbids only
        deletions and force-pushes accepts."""
        ref = signer_ref(email)
        commit = self.commit_files(self.remote, files, [remote_refs(self.remote)[ref]])
        subprocess.run(["git", "-C", str(self.remote), "update-ref", ref, commit], check=True)
        return commit

    def drop(self, email: str, *dropped: events.SignedEvent) -> str:
        files = self.files(email)
        for event in dropped:
            del files[ledger.event_path(event.id)]
        return self.fast_forward(email, files)

    # --- CI ---------------------------------------------------------------------------------------

    def ci_clone(self, checkout: str | None = None) -> Path:
        self._ci_count += 1
        path = self.team.root / f"ci-{self._ci_count}"
        subprocess.run(["git", "clone", "-q", str(self.remote), str(path)], check=True, capture_output=True)
        if checkout:
            subprocess.run(["git", "-C", str(path), "checkout", "-q", checkout], check=True, capture_output=True)
        return path

    def gate(self, repo: Path, db: Path, *, fetch: bool = True, spec: str = f"{BASE}..{FEATURE}"
             ) -> tuple[int, dict[str, Any], str]:
        """``reviewer-app --db DB gate --repo REPO [--fetch] --format json --git SPEC``; (exit code, JSON, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        argv = ["--db", str(db), "gate", "--repo", str(repo), "--format", "json", "--git", spec]
        if fetch:
            argv.append("--fetch")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(argv)
        return code, json.loads(out.getvalue()) if out.getvalue().strip() else {}, err.getvalue()

    def fresh_ci_gate(self, checkout: str | None = None, spec: str = f"{BASE}..{FEATURE}"
                      ) -> tuple[int, dict[str, Any], str]:
        repo = self.ci_clone(checkout)
        return self.gate(repo, repo.parent / f"{repo.name}.db", spec=spec)


def build_ledger_team(root: Path, identities: dict[str, Identity]) -> LedgerTeam:
    """main trusts alice, bob and carol (seniors) and asks one senior to approve; dana's change is on feature."""
    remote = root / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    seed = init_repo(root / "seed")
    trusted = [identities[e] for e in ("alice@example.com", "bob@example.com", "carol@example.com")]
    seed.write(".reviewer/allowed_signers", allowed_signers_text(trusted), dedent=False)
    seed.write(".reviewer/policy.toml", POLICY, dedent=False)
    seed.write("app/main.py", "print('hello')\n")
    seed.commit("seed", author=("Alice", "alice@example.com"))
    seed.git("checkout", "-q", "-b", "feature")
    seed.write("docs/notes.md", "How to run the service.\n")
    head = seed.commit("Document how to run it")
    seed.git("checkout", "-q", "main")
    seed.git("remote", "add", "origin", str(remote))
    seed.git("push", "-q", "origin", "main", "feature")
    change = load_git_range(seed.path, "main..feature")
    return LedgerTeam(Team(root, remote, seed, dict(identities)), change_id_of(change), head)


def reasons(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(item["principal"], item["reason"]) for item in result.get("rejected", [])]


def other_change(team: LedgerTeam, name: str) -> str:
    """The change id of another small change (for decisions that are not about the gated change)."""
    seed: GitRepo = team.team.seed
    seed.git("checkout", "-q", "-b", name, "main")
    seed.write(f"docs/{name}.md", f"{name}\n")
    seed.commit(f"Add {name}")
    seed.git("checkout", "-q", "main")
    return change_id_of(load_git_range(seed.path, f"main..{name}"))
