"""CI-CHECK-BYPASS on a workflow that parses: what the flagged line stands in decides whether a check that
blocked merges stops blocking.

* `out=$(command) || true` whose value a later line of the same script tests and exits non-zero on: the
  step still fails there (low, naming both lines); the same `|| true` on the check itself stays high.
* `continue-on-error` on a paths filter (a step that decides which jobs run): low when every reader of its
  outputs still runs on an empty output, medium (saying which jobs may be skipped) otherwise.
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


# -- a paths filter is no check ------------------------------------------------------------------------
FILTERED = '''name: ci
on:
  pull_request:
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      src: ${{ steps.filter.outputs.src }}
    steps:
      - uses: dorny/paths-filter@de90cc6fb38fc0963ad72b210f1f284cd68cea36 # v3.0.2
        id: filter
        continue-on-error: true
        with:
          filters: |
            src:
              - 'charts/**'
  test:
    needs: changes
    if: CONDITION
    runs-on: ubuntu-latest
    steps:
      - run: make test
'''


def test_continue_on_error_on_a_paths_filter_whose_readers_run_on_empty_is_low(git_repo: GitRepo) -> None:
    after = FILTERED.replace("CONDITION", "needs.changes.outputs.src != 'false'")
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
    assert found["severity"] == "low"
    assert "decides which jobs run; it is no check" in found["message"]
    assert "job `test` (`if: needs.changes.outputs.src != 'false'`) still runs on an empty output" in found["message"]


def test_continue_on_error_on_a_paths_filter_that_may_skip_the_tests_is_medium(git_repo: GitRepo) -> None:
    after = FILTERED.replace("CONDITION", "needs.changes.outputs.src == 'true'")
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
    assert found["severity"] == "medium"
    assert "job `test` (`if: needs.changes.outputs.src == 'true'`) may be skipped" in found["message"]
    assert "a skipped job reports success" in found["message"]
