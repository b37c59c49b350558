"""GHA-TEMPLATE-INJECTION: a step's or job's `if:` is evaluated by the runner as a condition, never pasted
into a shell, so an outsider's text in it (`startsWith(${{ github.head_ref }}, "release/")`) is no
injection; the same text in a `run:` body still is (a workflow that parses, and one that does not)."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = ".github/workflows/release-tag.yml"
BEFORE = '''name: release-tag
on:
  pull_request:
    types: [closed]
jobs:
  tag:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
'''
CONDITION = '''      - name: Create tag
        if: github.event.pull_request.merged == true && startsWith(${{ github.head_ref }}, "release/")
        uses: christophebedard/tag-version-commit@v1.6.2
        with:
          token: ${{ secrets.GITHUB_TOKEN }}
'''
JOB_CONDITION = '''  notify:
    if: ${{ github.event.pull_request.merged }} && contains(${{ github.event.pull_request.title }}, 'release')
    runs-on: ubuntu-latest
    steps:
      - run: echo merged
'''
SHELL = '''      - name: Create tag
        run: |
          git tag "${{ github.head_ref }}"
          git push origin --tags
'''


def _injection(git_repo: GitRepo, added: str, suffix: str = "") -> list[dict]:
    after = {PATH: BEFORE + added + suffix}
    return by_rule(risk_findings(range_analysis(git_repo, {PATH: BEFORE}, after)), "GHA-TEMPLATE-INJECTION")


def test_an_expression_in_a_step_condition_is_no_injection(git_repo: GitRepo) -> None:
    assert _injection(git_repo, CONDITION) == []


def test_an_expression_in_a_job_condition_is_no_injection(git_repo: GitRepo) -> None:
    assert _injection(git_repo, "", JOB_CONDITION) == []


def test_the_same_expression_in_a_run_body_stays_high(git_repo: GitRepo) -> None:
    found = _injection(git_repo, CONDITION + SHELL)
    assert [f["line"] for f in found] == [17] and found[0]["severity"] == "high"


def test_a_workflow_that_does_not_parse_still_flags_its_run_body(git_repo: GitRepo) -> None:
    found = _injection(git_repo, CONDITION + SHELL, "  broken: [unclosed\n")
    assert [f["line"] for f in found] == [17] and found[0]["severity"] == "high"
