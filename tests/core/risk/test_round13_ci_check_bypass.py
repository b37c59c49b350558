"""CI-CHECK-BYPASS on a workflow that parses: what the flagged line stands in decides whether a check that
blocked merges stops blocking.

* `out=$(command) || true` whose value a later line of the same script tests and exits non-zero on: the
  step still fails there (low, naming both lines); the same `|| true` on the check itself stays high.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = ".github/workflows/ci.yml"
HEAD = '''name: ci
on:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Unit tests
        run: make test
'''
COMPARE = '''      - name: Compare manifests
        run: |
          difference=$(diff rendered.yaml crds.yaml) || true
          if [ -z "$difference" ]; then
            echo "in sync"
          else
            echo "$difference"
            exit 1
          fi
'''


def _bypass(git_repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), "CI-CHECK-BYPASS")


# -- (b) a captured output the script tests and fails on -------------------------------------------------
def test_a_captured_output_tested_and_failed_on_is_no_bypass(git_repo: GitRepo) -> None:
    before = HEAD + '''      - name: Compare manifests
        run: |
          diff rendered.yaml crds.yaml
'''
    [found] = _bypass(git_repo, {PATH: before}, {PATH: HEAD + COMPARE})
    assert found["severity"] == "low" and found["line"] == 13
    assert "line 14 tests `$difference` and line 18 exits 1" in found["message"]


def test_the_same_or_true_on_the_check_itself_stays_high(git_repo: GitRepo) -> None:
    after = HEAD.replace("run: make test", "run: make test || true")
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
    assert found["severity"] == "high"


def test_a_captured_output_nothing_fails_on_stays_high(git_repo: GitRepo) -> None:
    before = HEAD + '''      - name: Compare manifests
        run: |
          diff rendered.yaml crds.yaml
'''
    after = HEAD + '''      - name: Compare manifests
        run: |
          difference=$(diff rendered.yaml crds.yaml) || true
          echo "$difference"
'''
    [found] = _bypass(git_repo, {PATH: before}, {PATH: after})
    assert found["severity"] == "high"
