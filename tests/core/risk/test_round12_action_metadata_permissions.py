"""GHA-PERMISSIONS-WIDENED reads workflows only. An action's metadata file (action.yml) has no
`permissions:` key and cannot pass secrets on: the calling workflow's `permissions:` decide what the
token holds. Text such as "needs the `security-events: write` permission" in an input's description is
documentation, not a grant (codeql-action's analyze/action.yml). A workflow's grant still fires."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

ACTION = "analyze/action.yml"
METADATA = '''name: 'Analyze'
description: 'Finalize the analysis and upload the results'
inputs:
  token:
    description: "{text}"
    required: false
    default: ${{{{ github.token }}}}
runs:
  using: node20
  main: '../lib/analyze-action.js'
'''
OLD_TEXT = "GitHub token to use. The token needs the `security-events: write` permission."
NEW_TEXT = ("GitHub token to use. The token must be the built-in GitHub Actions token, and the workflow "
            "should have the `security-events: write` permission.")

WORKFLOW = ".github/workflows/codeql.yml"
JOB = '''name: codeql
on:
  pull_request:
jobs:
  analyze:
    runs-on: ubuntu-latest
{permissions}    steps:
      - uses: actions/checkout@v4
'''


def _widened(git_repo: GitRepo, path: str, before: str, after: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, {path: before}, {path: after})), "GHA-PERMISSIONS-WIDENED")


def test_a_reworded_input_description_in_action_metadata_widens_nothing(git_repo: GitRepo) -> None:
    found = _widened(git_repo, ACTION, METADATA.format(text=OLD_TEXT), METADATA.format(text=NEW_TEXT))
    assert found == []


def test_a_workflow_job_granted_a_write_scope_still_fires(git_repo: GitRepo) -> None:
    found = _widened(git_repo, WORKFLOW, JOB.format(permissions="    permissions:\n      contents: read\n"),
                     JOB.format(permissions="    permissions:\n      contents: write\n"))
    assert [f["severity"] for f in found] == ["high"]
