"""A Terraform apply in a CI step whose folder declares only local providers, on a real git repository.

`terraform apply -auto-approve` in a workflow step whose working folder (`defaults.run.working-directory`) holds a
fixture of `random_pet` and an output creates nothing outside the runner: OPS-IAC-DESTRUCTIVE-COMMAND is medium,
saying why. The same step on a folder declaring a cloud resource, or with a folder from an expression, keeps high.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

WORKFLOW = """name: test
on: [pull_request]
jobs:
  apply:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: %s
    steps:
      - uses: actions/checkout@v4
      - run: terraform init
%s"""

APPLY = """      - name: Terraform Apply
        run: terraform apply -auto-approve
"""

LOCAL = 'resource "random_pet" "pet" {}\n\noutput "pet" {\n  value = random_pet.pet.id\n}\n'
CLOUD = 'resource "aws_s3_bucket" "data" {\n  bucket = "team-data"\n}\n'


def _iac(git_repo: GitRepo, folder: str, fixture: str) -> list[tuple[str, str]]:
    before = {".github/workflows/test.yml": WORKFLOW % (folder, ""), "fixtures/local/main.tf": fixture}
    after = {".github/workflows/test.yml": WORKFLOW % (folder, APPLY)}
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "OPS-IAC-DESTRUCTIVE-COMMAND")]


def test_an_apply_of_a_local_only_fixture_is_medium(git_repo: GitRepo) -> None:
    found = _iac(git_repo, "./fixtures/local", LOCAL)
    assert [severity for severity, _ in found] == ["medium"], found
    assert "the step runs in fixtures/local, whose Terraform declares only random_pet" in found[0][1], found


def test_an_apply_of_a_cloud_resource_stays_high(git_repo: GitRepo) -> None:
    found = _iac(git_repo, "./fixtures/local", CLOUD)
    assert [severity for severity, _ in found] == ["high"], found


def test_a_folder_from_an_expression_stays_high(git_repo: GitRepo) -> None:
    found = _iac(git_repo, "${{ matrix.folder }}", LOCAL)
    assert [severity for severity, _ in found] == ["high"], found
