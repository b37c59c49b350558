"""Breaking changes to what no release contains are medium, not high (risk/releases.py).

Real repositories with real tags: a Terraform resource renamed without a ``moved`` block is high
where a release shipped the file, medium where no release did, and unchanged where the repository
does not release by tag, is a shallow clone, or the team says it deploys untagged commits.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.risk import load_rules
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError
from tests.gitrepo import GitRepo, init_repo

SERVER = 'resource "aws_instance" "web" {\n  ami = "ami-0aaa"\n}\n'  # a server (a data store would be critical)
RENAMED = SERVER.replace('"web" {', '"frontend" {')
README = "# module\n"


def _rename_findings(repo: GitRepo, path: str = "main.tf", team_rules: str | None = None) -> list[dict[str, Any]]:
    """Rename the server resource in ``path`` (HEAD has it) and analyse that commit like `analyze --git`."""
    if team_rules is not None:
        repo.write_files({".reviewer/rules/team.toml": team_rules})
        repo.commit("team rules")
    repo.write_files({path: RENAMED})
    head = repo.commit("rename the server")
    change = load_git_range(repo.path, f"{head}^..{head}")
    workspace = Workspace(repo.path)
    report = analyze(change, workspace, rules=load_rules(workspace)).to_dict()["risk"]
    return [f for f in report["findings"] if f["rule"] == "TF-RENAME-WITHOUT-MOVED"]


def test_a_released_file_keeps_its_breaking_finding_high(git_repo: GitRepo) -> None:
    git_repo.write_files({"main.tf": SERVER})
    git_repo.commit("first module")
    git_repo.git("tag", "v1.0.0")
    [finding] = _rename_findings(git_repo)
    assert finding["severity"] == "high"
    assert "release" not in finding["message"]


def test_a_file_added_after_the_last_release_is_broken_for_nobody(git_repo: GitRepo) -> None:
    git_repo.write_files({"README.md": README})
    git_repo.commit("readme")
    git_repo.git("tag", "-a", "v1.0.0", "-m", "first release")
    git_repo.write_files({"servers.tf": SERVER})
    git_repo.commit("add a server after the release")
    [finding] = _rename_findings(git_repo, "servers.tf")
    assert finding["severity"] == "medium"
    assert "servers.tf is in no release yet" in finding["message"]
    assert "v1.0.0" in finding["message"]


def test_a_tag_outside_the_base_history_proves_nothing(git_repo: GitRepo) -> None:
    git_repo.write_files({"main.tf": SERVER})
    git_repo.commit("first module")
    # A tag exists, but on a branch the change does not descend from (anyone may push such a tag,
    # dated as they like): no release in the base's history, so nothing is concluded.
    git_repo.git("checkout", "-q", "-b", "elsewhere")
    git_repo.write_files({"other.txt": "x\n"})
    git_repo.commit("elsewhere")
    git_repo.git("tag", "v0.1.0")
    git_repo.git("checkout", "-q", "main")
    [finding] = _rename_findings(git_repo)
    assert finding["severity"] == "high"


def test_a_repository_without_tags_cannot_tell_and_keeps_high(git_repo: GitRepo) -> None:
    git_repo.write_files({"main.tf": SERVER})
    git_repo.commit("first module")
    [finding] = _rename_findings(git_repo)
    assert finding["severity"] == "high"


def test_a_team_that_deploys_untagged_commits_keeps_high(git_repo: GitRepo) -> None:
    git_repo.write_files({"README.md": README})
    git_repo.commit("readme")
    git_repo.git("tag", "v1.0.0")
    git_repo.write_files({"main.tf": SERVER})
    git_repo.commit("server after the release")
    [finding] = _rename_findings(git_repo, team_rules="[releases]\nby_tag = false\n")
    assert finding["severity"] == "high"


def test_a_shallow_clone_cannot_tell_and_keeps_high(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write_files({"README.md": README})
    git_repo.commit("readme")
    git_repo.git("tag", "v1.0.0")
    git_repo.write_files({"main.tf": SERVER})
    git_repo.commit("server after the release")
    git_repo.write_files({"main.tf": RENAMED})
    git_repo.commit("rename the server")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", "--no-single-branch", f"file://{git_repo.path}", str(clone)],
                   check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--tags", "--depth", "2"], check=True, capture_output=True)
    change = load_git_range(clone, "HEAD^..HEAD")
    report = analyze(change, Workspace(clone), rules=load_rules(None)).to_dict()["risk"]
    [finding] = [f for f in report["findings"] if f["rule"] == "TF-RENAME-WITHOUT-MOVED"]
    assert finding["severity"] == "high"


def test_a_new_migration_renaming_a_released_column_stays_high(git_repo: GitRepo) -> None:
    git_repo.write_files({"migrations/001_orders.sql": "CREATE TABLE orders (id int, total int);\n"})
    git_repo.commit("orders")
    git_repo.git("tag", "v1.0.0")
    # The migration file is new (in no release), but the column it renames was released.
    git_repo.write_files({"migrations/002_rename.sql": "ALTER TABLE orders RENAME COLUMN total TO amount;\n"})
    head = git_repo.commit("rename a column")
    change = load_git_range(git_repo.path, f"{head}^..{head}")
    report = analyze(change, Workspace(git_repo.path), rules=load_rules(None)).to_dict()["risk"]
    renames = [f for f in report["findings"] if f["rule"] == "DB-RENAME"]
    assert renames and all(f["severity"] == "high" for f in renames)


def test_editing_a_migration_no_release_ran_is_medium(git_repo: GitRepo) -> None:
    git_repo.write_files({"migrations/001_orders.sql": "CREATE TABLE orders (id int, total int);\n"})
    git_repo.commit("orders")
    git_repo.git("tag", "v1.0.0")
    git_repo.write_files({"migrations/002_rename.sql": "ALTER TABLE orders ADD COLUMN note text;\n"})
    git_repo.commit("unreleased migration")
    git_repo.write_files({"migrations/002_rename.sql": "ALTER TABLE orders ADD COLUMN note text;\n"
                                                       "ALTER TABLE orders RENAME COLUMN total TO amount;\n"})
    head = git_repo.commit("the unreleased migration also renames")
    change = load_git_range(git_repo.path, f"{head}^..{head}")
    report = analyze(change, Workspace(git_repo.path), rules=load_rules(None)).to_dict()["risk"]
    [rename] = [f for f in report["findings"] if f["rule"] == "DB-RENAME"]
    assert rename["severity"] == "medium"
    assert "migrations/002_rename.sql is in no release yet" in rename["message"]


def test_releases_setting_is_checked_and_changes_the_pack_hash(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "team")
    repo.write_files({".reviewer/rules/team.toml": "[releases]\nby_tag = false\n"})
    repo.commit("team rules")
    rules = load_rules(Workspace(repo.path))
    assert rules.releases_by_tag is False
    assert rules.pack_hash != load_rules(None).pack_hash
    for text, problem in (("[releases]\nby_tag = 'no'\n", "field 'by_tag' must be true or false"),
                          ("[releases]\ntags = false\n", "unknown field 'tags'")):
        repo.write_files({".reviewer/rules/team.toml": text})
        repo.commit("broken team rules")
        try:
            load_rules(Workspace(repo.path))
        except UserError as exc:
            assert "team.toml" in str(exc) and problem in str(exc)
        else:
            raise AssertionError(f"{text!r} was accepted")
