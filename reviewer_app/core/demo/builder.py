"""Build the demo workspace: repository, team remote, keys folder, and the review queue.

Layout, for ``--path DIR``::

    DIR/                  the platform's git repository (branch main, one branch per incoming change)
    DIR-remote.git/       a bare repository standing in for the team's remote ("origin"); main pushed
    DIR-keys/             the demo people's SSH keys (<handle>, <handle>.pub), outside the repository

The keys live beside the repository, not in it, as a real team's keys would: a key in the work tree
is one ``git add -A`` away from being committed. Each folder carries a marker file, so a rebuild
may replace a previous demo but never a folder that was not made by this builder.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from reviewer_app.core.demo.approvals import record_approvals
from reviewer_app.core.demo.fake_secrets import placeholders
from reviewer_app.core.demo.gitstream import HistoryStream, git
from reviewer_app.core.demo.keys import write_key_files
from reviewer_app.core.demo.roster import reviewer_config
from reviewer_app.core.demo.scenarios import apply_script, tree_difference
from reviewer_app.core.demo.templates import (
    ChangePlan,
    ChangeScript,
    DemoPerson,
    TreeFile,
    load_change_plan,
    load_people,
    load_platform,
)
from reviewer_app.errors import UserError

MARKER_NAME = "reviewer-app-demo"
_MARKER_TEXT = json.dumps({"made_by": "reviewer-app demo", "format": 1}) + "\n"
DEFAULT_FOLDER_NAME = "reviewer-demo"

# The platform's history on main: who wrote it and when (fixed, so the commit ids are too).
_PLATFORM_COMMIT = ("omar", "2026-03-02T09:00:00Z", "Larkspur platform: services, libraries, infrastructure\n")
_POLICY_COMMIT = ("omar", "2026-03-02T09:30:00Z",
                  "Require signed senior approvals for risky and AI-assisted changes\n\n"
                  "Adds .reviewer/: the roster with levels and teams, the approval rules, the\n"
                  "allowed signers, and the keys of people who left, revoked.\n")


@dataclass(frozen=True)
class DemoPaths:
    repo: Path
    remote: Path
    keys: Path


@dataclass
class DemoResult:
    paths: DemoPaths
    people: list[DemoPerson]
    key_files: dict[str, Path]  # private key path by handle
    branches: list[str]  # in the order of resources/demo/changes.toml
    change_ids: list[str]  # same order as branches
    newly_queued: int  # changes not in the database before this build
    approval_ids: list[str] = field(default_factory=list)  # signed approvals recorded by the build
    example_approval: tuple[str, DemoPerson] | None = None  # (change id, senior) for the printed example

    @property
    def seniors(self) -> list[DemoPerson]:
        return [p for p in self.people if p.level == "senior" and p.handle in self.key_files and not p.revoked]


def default_demo_path() -> Path:
    import platformdirs  # only needed when no --path is given

    from reviewer_app.core.store import APP_NAME

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DEFAULT_FOLDER_NAME


def demo_paths(path: Path) -> DemoPaths:
    repo = path.expanduser().absolute()
    return DemoPaths(repo=repo, remote=repo.parent / f"{repo.name}-remote.git", keys=repo.parent / f"{repo.name}-keys")


def _marker(folder: Path, is_repo: bool) -> Path:
    return folder / ".git" / MARKER_NAME if is_repo else folder / MARKER_NAME


def _clear_previous(paths: DemoPaths) -> None:
    """Remove a previous demo's folders; refuse anything else that is in the way."""
    folders = [(paths.repo, True), (paths.remote, False), (paths.keys, False)]
    for folder, is_repo in folders:
        if folder.exists() and not folder.is_dir():
            raise UserError(f"{folder}: exists and is not a folder; choose another --path")
        if folder.is_dir() and any(folder.iterdir()) and not _marker(folder, is_repo).is_file():
            raise UserError(
                f"{folder}: not empty and not a previous reviewer-app demo; choose another --path or empty it"
            )
    for folder, _ in folders:
        if folder.is_dir():
            shutil.rmtree(folder)


def _history(people: dict[str, DemoPerson], platform: dict[str, TreeFile], config: dict[str, TreeFile],
             scripts: tuple[ChangeScript, ...], values: dict[str, str]) -> HistoryStream:
    stream = HistoryStream()

    def identity(handle: str, suffix: str = "") -> tuple[str, str]:
        return people[handle].name + suffix, people[handle].email

    handle, date, message = _PLATFORM_COMMIT
    tip = stream.commit("refs/heads/main", identity(handle), date, message, None, platform, [])
    handle, date, message = _POLICY_COMMIT
    tip = stream.commit("refs/heads/main", identity(handle), date, message, tip, config, [])
    base = {**platform, **config}
    for script in scripts:
        changed, deleted = tree_difference(base, apply_script(base, script, values))
        if not changed and not deleted:
            raise UserError(f"{script.label}: the edits change nothing")
        stream.commit(f"refs/heads/{script.branch}", identity(script.author, script.author_suffix), script.date,
                      script.message(), tip, changed, deleted)
    return stream


def _write_marker(path: Path) -> None:
    path.write_text(_MARKER_TEXT, encoding="utf-8")


def build_repositories(paths: DemoPaths) -> tuple[list[DemoPerson], ChangePlan, dict[str, Path]]:
    """Create the repository with its history, the team remote and the keys folder."""
    people = load_people()
    plan = load_change_plan(people)
    # Everything is read and checked before anything on disk is touched.
    stream = _history({p.handle: p for p in people}, load_platform(), reviewer_config(people), plan.scripts,
                      placeholders())
    _clear_previous(paths)
    paths.repo.mkdir(parents=True, exist_ok=True)
    git(paths.repo, "init", "-q", "-b", "main")
    _write_marker(_marker(paths.repo, True))
    stream.run(paths.repo)
    git(paths.repo, "reset", "-q", "--hard", "main")
    if plan.example_approval is not None:
        # You play the example's senior: `approve` and `sync` take the repository's user.email as "you".
        reviewer = next(p for p in people if p.handle == plan.example_approval.approver)
        git(paths.repo, "config", "user.name", reviewer.name)
        git(paths.repo, "config", "user.email", reviewer.email)
    paths.remote.mkdir(parents=True)
    _write_marker(_marker(paths.remote, False))  # first, so a failed build can still be replaced
    git(paths.remote, "init", "-q", "--bare", "-b", "main")
    git(paths.repo, "remote", "add", "origin", str(paths.remote))
    git(paths.repo, "push", "-q", "origin", "main")
    git(paths.repo, "branch", "-q", "--set-upstream-to=origin/main", "main")
    paths.keys.mkdir(parents=True)
    _write_marker(_marker(paths.keys, False))
    key_files = write_key_files(people, paths.keys)
    return people, plan, key_files


def queue_changes(db: sqlite_utils.Database, repo: Path, branches: list[str]) -> tuple[list[str], int]:
    """Submit ``main..<branch>`` for every branch; returns the change ids and how many were new."""
    from reviewer_app.core import risk, services
    from reviewer_app.core.analysis import submit_change
    from reviewer_app.core.ingest import load_git_range
    from reviewer_app.core.workspace import Workspace

    workspace = Workspace(repo)
    # One rule pack and one catalog for all changes: they share the workspace.
    rules = risk.load_rules(workspace)
    catalog = services.load_catalog(workspace)
    change_ids: list[str] = []
    new = 0
    for branch in branches:
        change = load_git_range(repo, f"main..{branch}")
        change_id, created = submit_change(db, change, workspace, rules=rules, catalog=catalog)
        change_ids.append(change_id)
        new += int(created)
    return change_ids, new


def build_demo(path: Path, db: sqlite_utils.Database) -> DemoResult:
    """Build (or rebuild) the demo at ``path``, queue its changes in ``db`` and sign the planned approvals."""
    paths = demo_paths(path)
    people, plan, key_files = build_repositories(paths)
    branches = [script.branch for script in plan.scripts]
    change_ids, new = queue_changes(db, paths.repo, branches)
    id_of = dict(zip(branches, change_ids))
    by_handle = {person.handle: person for person in people}
    approval_ids = record_approvals(db, plan.approvals, by_handle, key_files, id_of)
    example = plan.example_approval
    return DemoResult(
        paths=paths, people=people, key_files=key_files, branches=branches, change_ids=change_ids,
        newly_queued=new, approval_ids=approval_ids,
        example_approval=(id_of[example.branch], by_handle[example.approver]) if example else None,
    )
