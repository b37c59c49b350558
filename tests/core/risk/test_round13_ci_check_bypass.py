"""CI-CHECK-BYPASS on a workflow that parses: what the flagged line stands in decides whether a check that
blocked merges stops blocking.

* `out=$(command) || true` whose value a later line of the same script tests and exits non-zero on: the
  step still fails there (low, naming both lines); the same `|| true` on the check itself stays high.
* `continue-on-error` on a paths filter (a step that decides which jobs run): low when every reader of its
  outputs still runs on an empty output, medium (saying which jobs may be skipped) otherwise.
* a workflow, job or step the change adds blocked no merge before (medium, saying why), unless it may
  replace one: an old step or job is gone, a workflow is deleted, or the old side ran the same command.
* `gh pr merge --admin` in a new step stays high (a merge past branch protection).
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


# -- (a) a workflow, job or step the change adds ---------------------------------------------------------
def test_a_new_step_that_does_not_fail_the_job_is_medium(git_repo: GitRepo) -> None:
    after = HEAD + '''      - name: Lint charts
        continue-on-error: true
        run: ct lint --all
'''
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
    assert found["severity"] == "medium"
    assert "step `Lint charts`, which this change adds to job `test`" in found["message"]


def test_continue_on_error_on_an_existing_step_stays_high(git_repo: GitRepo) -> None:
    after = HEAD.replace("        run: make test", "        continue-on-error: true\n        run: make test")
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
    assert found["severity"] == "high"


def test_a_new_step_replacing_an_old_one_stays_high(git_repo: GitRepo) -> None:
    after = HEAD.replace("      - name: Unit tests\n        run: make test\n",
                         "      - name: Lint charts\n        run: ct lint --all || true\n")
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
    assert found["severity"] == "high"


def test_a_renamed_step_running_the_old_command_stays_high(git_repo: GitRepo) -> None:
    after = HEAD.replace("      - name: Unit tests\n        run: make test\n",
                         "      - name: Tests (flaky)\n        run: make test || true\n")
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
    assert found["severity"] == "high"


def test_a_new_job_that_does_not_fail_the_run_is_medium_an_existing_one_high(git_repo: GitRepo) -> None:
    new_job = '''  docs:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - run: mkdocs build --strict
'''
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: HEAD + new_job})
    assert found["severity"] == "medium" and "job `docs`, which this change adds" in found["message"]
    existing = HEAD.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    continue-on-error: true\n", 1)
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: existing})
    assert found["severity"] == "high"


NIGHTLY = '''name: nightly
on:
  workflow_dispatch:
jobs:
  e2e:
    runs-on: ubuntu-latest
    steps:
      - run: ./hack/e2e.sh || true
'''


def test_a_new_workflow_is_medium(git_repo: GitRepo) -> None:
    new = ".github/workflows/nightly.yml"
    workflow = NIGHTLY
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: HEAD, new: workflow})
    assert found["severity"] == "medium" and "of the workflow this change adds" in found["message"]


def test_a_new_workflow_replacing_a_deleted_one_stays_high(git_repo: GitRepo) -> None:
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: None, ".github/workflows/checks.yml": NIGHTLY})
    assert found["severity"] == "high"


def test_a_new_workflow_whose_script_fails_on_a_captured_difference_is_low(git_repo: GitRepo) -> None:
    new = ".github/workflows/verify-manifest.yml"
    workflow = '''name: verify
on:
  workflow_dispatch:
jobs:
  verify:
    runs-on: ubuntu-latest
    steps:
''' + COMPARE
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: HEAD, new: workflow})
    assert found["severity"] == "low"


def test_a_merge_past_branch_protection_in_a_new_step_stays_high(git_repo: GitRepo) -> None:
    after = HEAD + '''      - name: Merge
        run: gh pr merge "$PR" --admin --squash
'''
    [found] = _bypass(git_repo, {PATH: HEAD}, {PATH: after})
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
