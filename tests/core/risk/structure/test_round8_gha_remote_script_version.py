"""A `curl ... | sh` line the job already ran, edited only in a version (an argument of the script, or a
version in the URL's path), pipes the same publisher's installer as before: GHA-REMOTE-SCRIPT is low, and
says why. A new host, a new script, a new pipe (into `sudo sh`) or the line moved to another job stays high."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = ".github/workflows/ci.yml"
INSTALL = "https://raw.githubusercontent.com/example/linter/master/install.sh"
CI = f'''name: CI
on:
  push:
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Install linter
        run: |
          curl -sSfL {INSTALL} | sh -s -- -b $(go env GOPATH)/bin v1.30.0
      - run: make lint
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
'''


def _found(git_repo: GitRepo, after: str, before: str = CI) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "GHA-REMOTE-SCRIPT")]


def test_a_version_argument_edited_is_low(git_repo: GitRepo) -> None:
    [(severity, message)] = _found(git_repo, CI.replace("bin v1.30.0", "bin v1.45.2"))
    assert severity == "low"
    assert "already piped this same installer" in message


def test_a_version_in_the_url_path_edited_is_low(git_repo: GitRepo) -> None:
    before = CI.replace("/master/", "/v1.30.0/")
    [(severity, _)] = _found(git_repo, before.replace("/v1.30.0/", "/v1.45.2/"), before)
    assert severity == "low"


def test_another_host_stays_high(git_repo: GitRepo) -> None:
    after = CI.replace("raw.githubusercontent.com/example/linter/master", "example.net/scripts")
    [(severity, _)] = _found(git_repo, after)
    assert severity == "high"


def test_a_new_pipe_into_sudo_stays_high(git_repo: GitRepo) -> None:
    after = CI.replace("| sh -s", "| sudo sh -s").replace("bin v1.30.0", "bin v1.45.2")
    [(severity, _)] = _found(git_repo, after)
    assert severity == "high"


def test_the_installer_moved_to_another_job_stays_high(git_repo: GitRepo) -> None:
    line = f"          curl -sSfL {INSTALL} | sh -s -- -b $(go env GOPATH)/bin v1.45.2\n"
    after = CI.replace("      - run: make test\n", "      - run: |\n" + line + "      - run: make test\n")
    assert [severity for severity, _ in _found(git_repo, after)] == ["high"]
