"""GitHub Actions findings about what the change changes, not what it leaves in place.

* An unpinned `uses:` the job already had, by the same ref, is context: a commit bumping a
  container image two lines above it gives up no pin. A pin lost in the same job still counts,
  also when another job of the file already used the mutable ref.
* A job renamed with its steps kept is the same job: the write scope it had moves with it and
  widens nothing; a scope it did not have still counts.
* A job whose `if:` admits push alone, written as `(push && main) || (push && master)`, runs only on
  push like a job whose `if:` has no `||`: both publishing jobs are medium, with the reason. An
  alternative naming no event keeps the finding high.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = ".github/workflows/ci.yml"
SHA = "3cb0c3871f223bd5ce1226995bd52ffb314798b6"

CI = f'''name: CI
on:
  push:
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: example/toolkit@{SHA} # v0.1.0
      - run: make build
  test:
    runs-on: ubuntu-latest
    container:
      image: quay.io/example/builder:1.19-base
    steps:
      - uses: actions/checkout@v4
      - uses: example/toolkit@v0.0.2
      - run: make test
'''


def _found(git_repo: GitRepo, before: str, after: str, rule: str) -> list[tuple[str, int, str]]:
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    return [(f["severity"], f["line"], f["message"]) for f in by_rule(found, rule)]


def test_an_unpinned_use_left_as_it_was_is_not_a_finding(git_repo: GitRepo) -> None:
    after = CI.replace("builder:1.19-base", "builder:1.21-base")
    assert _found(git_repo, CI, after, "GHA-UNPINNED-ACTION") == []


def test_a_pin_given_up_in_the_same_job_still_counts(git_repo: GitRepo) -> None:
    after = CI.replace(f"example/toolkit@{SHA} # v0.1.0", "example/toolkit@v0.0.2")
    [(severity, line, message)] = _found(git_repo, CI, after, "GHA-UNPINNED-ACTION")
    assert (severity, line) == ("high", 10)
    assert "moves from a pinned commit SHA" in message


def test_a_second_use_of_the_mutable_ref_in_the_job_still_counts(git_repo: GitRepo) -> None:
    after = CI.replace("      - run: make test\n", "      - uses: example/toolkit@v0.0.2\n      - run: make test\n")
    [(severity, line, _)] = _found(git_repo, CI, after, "GHA-UNPINNED-ACTION")
    assert (severity, line) == ("high", 19)


PUBLISH = '''name: Docker
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build .
  push:
    needs: test
    runs-on: ubuntu-latest
    if: github.event_name == 'push'
    permissions:
      contents: read
      packages: write
    steps:
      - name: Checkout repository
        uses: actions/checkout@v4
      - name: Log into registry
        uses: docker/login-action@28218f9b04b4f3f62068d7b6ce6ca5b26e35336c
      - name: Build and push Docker image
        uses: docker/build-push-action@ad44023a93711e3deb337508980b4b5e9bcdc5dc
        with:
          push: true
'''

RENAMED = '''name: Docker
on:
  push:
    branches: [main]
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write
    steps:
      - name: Checkout repository
        uses: actions/checkout@v4
      - name: Log into registry
        if: github.event_name != 'pull_request'
        uses: docker/login-action@28218f9b04b4f3f62068d7b6ce6ca5b26e35336c
      - name: Build and push Docker image
        uses: docker/build-push-action@ad44023a93711e3deb337508980b4b5e9bcdc5dc
        with:
          context: .
          push: ${{ github.event_name != 'pull_request' }}
'''


def test_a_write_scope_that_moves_with_a_renamed_job_widens_nothing(git_repo: GitRepo) -> None:
    assert _found(git_repo, PUBLISH, RENAMED, "GHA-PERMISSIONS-WIDENED") == []


def test_a_renamed_job_gaining_a_scope_it_did_not_have_still_counts(git_repo: GitRepo) -> None:
    after = RENAMED.replace("      contents: read\n", "      contents: write\n")
    [(severity, line, message)] = _found(git_repo, PUBLISH, after, "GHA-PERMISSIONS-WIDENED")
    assert (severity, line) == ("high", 10)
    assert "`contents: write`" in message


def test_a_new_job_with_other_steps_is_not_taken_for_the_old_one(git_repo: GitRepo) -> None:
    after = RENAMED.replace('''      - name: Log into registry
        if: github.event_name != 'pull_request'
        uses: docker/login-action@28218f9b04b4f3f62068d7b6ce6ca5b26e35336c
      - name: Build and push Docker image
        uses: docker/build-push-action@ad44023a93711e3deb337508980b4b5e9bcdc5dc
        with:
          context: .
          push: ${{ github.event_name != 'pull_request' }}
''', "      - run: ./release.sh\n")
    assert [s for s, _, _ in _found(git_repo, PUBLISH, after, "GHA-PERMISSIONS-WIDENED")] == ["high"]


RELEASE = '''name: CI
on:
  push:
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
  publish_master:
    runs-on: ubuntu-latest
    needs: [test]
    if: |
      (github.event_name == 'push' && github.event.ref == 'refs/heads/main')
      ||
      (github.event_name == 'push' && github.event.ref == 'refs/heads/master')
    steps:
      - run: make publish
  publish_release:
    runs-on: ubuntu-latest
    needs: [test]
    if: |
      (github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v'))
    steps:
      - run: make release
'''

SCOPES = "    permissions:\n      packages: write\n"


def _with_scopes(text: str) -> str:
    return text.replace("    needs: [test]\n", "    needs: [test]\n" + SCOPES)


def test_push_only_alternatives_are_push_only_like_a_single_condition(git_repo: GitRepo) -> None:
    found = _found(git_repo, RELEASE, _with_scopes(RELEASE), "GHA-PERMISSIONS-WIDENED")
    assert [(severity, line) for severity, line, _ in found] == [("medium", 16), ("medium", 27)]
    assert all("the job runs only on `push`" in message for _, _, message in found)


def test_an_alternative_naming_no_event_keeps_the_finding_high(git_repo: GitRepo) -> None:
    loose = RELEASE.replace("      (github.event_name == 'push' && github.event.ref == 'refs/heads/master')\n",
                            "      github.event.ref == 'refs/heads/master'\n")
    found = _found(git_repo, loose, _with_scopes(loose), "GHA-PERMISSIONS-WIDENED")
    assert [severity for severity, _, _ in found] == ["high", "medium"]


def test_an_alternative_admitting_pull_requests_keeps_the_finding_high(git_repo: GitRepo) -> None:
    loose = RELEASE.replace("      (github.event_name == 'push' && github.event.ref == 'refs/heads/master')\n",
                            "      github.event_name == 'pull_request'\n")
    found = _found(git_repo, loose, _with_scopes(loose), "GHA-PERMISSIONS-WIDENED")
    assert [severity for severity, _, _ in found] == ["high", "medium"]
