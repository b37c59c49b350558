"""A `permissions:` block given to a job that stated none, in a workflow that stated none.

Without a block the job's token is the repository's default, which may be write on every scope
(the permissive default): a block that lists scopes can only narrow that relative to write-all,
so a write scope it lists is medium, with the reason. A block that was there and gains a write
scope, `write-all`, `id-token: write` (no default grants it) and new jobs keep their severity.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = ".github/workflows/build.yml"

BUILD = '''name: build
on:
  push:
    branches: [main]
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make image && make push
'''

JOB_BLOCK = "    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      packages: write\n"


def _widened(git_repo: GitRepo, before: str, after: str) -> list[tuple[str, int, str]]:
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    return [(f["severity"], f["line"], f["message"]) for f in by_rule(found, "GHA-PERMISSIONS-WIDENED")]


def test_a_job_that_had_the_default_token_gaining_a_block_is_medium(git_repo: GitRepo) -> None:
    after = BUILD.replace("    runs-on: ubuntu-latest\n", JOB_BLOCK)
    [(severity, line, message)] = _widened(git_repo, BUILD, after)
    assert (severity, line) == ("medium", 11)
    assert "before, the job had the repository's default token permissions" in message
    assert "cannot grant more than write-all" in message


def test_a_workflow_block_added_where_none_was_is_medium(git_repo: GitRepo) -> None:
    after = BUILD.replace("jobs:\n", "permissions:\n  contents: write\njobs:\n")
    [(severity, line, message)] = _widened(git_repo, BUILD, after)
    assert (severity, line) == ("medium", 7)
    assert "default token permissions" in message


def test_an_existing_block_gaining_a_write_scope_stays_high(git_repo: GitRepo) -> None:
    before = BUILD.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n")
    after = BUILD.replace("    runs-on: ubuntu-latest\n", JOB_BLOCK)
    [(severity, _, message)] = _widened(git_repo, before, after)
    assert severity == "high"
    assert "default token" not in message


def test_a_workflow_block_that_existed_still_counts_for_a_job_without_one(git_repo: GitRepo) -> None:
    before = BUILD.replace("jobs:\n", "permissions:\n  contents: read\njobs:\n")
    after = before.replace("    runs-on: ubuntu-latest\n", JOB_BLOCK)
    assert [s for s, _, _ in _widened(git_repo, before, after)] == ["high"]


def test_write_all_added_where_no_block_was_stays_critical(git_repo: GitRepo) -> None:
    after = BUILD.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions: write-all\n")
    assert [s for s, _, _ in _widened(git_repo, BUILD, after)] == ["critical"]


def test_id_token_write_which_no_default_grants_keeps_its_severity(git_repo: GitRepo) -> None:
    before = BUILD.replace("  push:\n    branches: [main]\n  pull_request:\n", "  issue_comment:\n")
    after = before.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      id-token: write\n")
    assert [s for s, _, _ in _widened(git_repo, before, after)] == ["high"]


def test_a_new_job_with_a_write_scope_keeps_its_severity(git_repo: GitRepo) -> None:
    after = BUILD + '''  release:
    runs-on: ubuntu-latest
    permissions:
      contents: write
    steps:
      - run: make release
'''
    assert [s for s, _, _ in _widened(git_repo, BUILD, after)] == ["high"]
