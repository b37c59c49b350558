"""Removed resources that hold no object outside Terraform's state, and blocks moved to another folder (round 12).

- A removed ``null_resource`` or ``terraform_data`` without a destroy-time provisioner destroys nothing
  real: low, saying so. With ``when = destroy`` its command runs on the next apply: high. Such a block
  written in Terraform 0.11 syntax that the parser cannot read is judged by its header and text (the old
  side is history); any other unreadable block keeps the file with the line rules.
- The same resource block added in another file of the change counts as kept only in the same folder:
  Terraform reads a folder as one module, so a block moved into a submodule is another address.

Each module is a real git repository.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

REPLACE = "TF-FORCES-REPLACEMENT"
REMOVED = "INFRA-TF-RESOURCE-REMOVED"


def _run(git_repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), rule)


def _flagged(found: list[dict]) -> list[dict]:
    return [f for f in found if f["severity"] in ("high", "critical")]


KEEP = '''resource "google_project_service" "compute" {
  project = "p"
  service = "compute.googleapis.com"
}
'''

NULL_CHECK = '''
resource "null_resource" "args_missing" {
  count = var.group_name != "" && var.org_id == "" ? 1 : 0
%s
}
'''

NULL_VARIABLES = '''variable "group_name" {
  default = ""
}

variable "org_id" {
  default = ""
}
'''

# Terraform 0.11 accepted a quoted attribute name (the "argument check" idiom); the parser does not.
LEGACY_BODY = '''  "ERROR: Variable `group_name` was passed. Please provide `org_id`" = true'''
DESTROY_BODY = '''  provisioner "local-exec" {
    when    = destroy
    command = "gcloud projects delete p --quiet"
  }'''


def test_removed_null_resource_in_legacy_syntax_is_low_saying_why(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": KEEP + NULL_CHECK % LEGACY_BODY, "variables.tf": NULL_VARIABLES},
                 {"main.tf": KEEP, "variables.tf": NULL_VARIABLES}, REMOVED)
    assert [f["severity"] for f in found] == ["low"], found
    assert "destroys nothing real" in found[0]["message"]
    assert "did not parse" in found[0]["message"]


def test_removed_null_resource_with_a_destroy_provisioner_stays_high(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": KEEP + NULL_CHECK % DESTROY_BODY, "variables.tf": NULL_VARIABLES},
                 {"main.tf": KEEP, "variables.tf": NULL_VARIABLES}, REMOVED)
    assert [f["severity"] for f in found] == ["high"], found
    assert "when = destroy" in found[0]["message"]


def test_removed_null_resource_with_legacy_body_and_destroy_provisioner_stays_high(git_repo: GitRepo) -> None:
    legacy_destroy = LEGACY_BODY + "\n" + DESTROY_BODY.replace("when    = destroy", 'when    = "destroy"')
    found = _run(git_repo, {"main.tf": KEEP + NULL_CHECK % legacy_destroy, "variables.tf": NULL_VARIABLES},
                 {"main.tf": KEEP, "variables.tf": NULL_VARIABLES}, REMOVED)
    assert [f["severity"] for f in found] == ["high"], found


def test_removed_cloud_resource_in_legacy_syntax_keeps_its_severity(git_repo: GitRepo) -> None:
    bucket = '''
resource "google_compute_network" "legacy" {
  name = "net"
  "ERROR: legacy quoted name" = true
}
'''
    found = _run(git_repo, {"main.tf": KEEP + bucket}, {"main.tf": KEEP}, REMOVED)
    assert _flagged(found), found


MOVED_OUT = '''resource "google_project" "project" {
  name       = "p"
  project_id = "p"
}
'''


def test_resource_moved_into_another_folder_keeps_its_severity(git_repo: GitRepo) -> None:
    # Terraform reads a folder as one module: the same block in a submodule is another address.
    found = _run(git_repo, {"main.tf": KEEP + "\n" + MOVED_OUT},
                 {"main.tf": KEEP, "modules/core/main.tf": MOVED_OUT}, REMOVED)
    assert _flagged(found), found
    assert "modules/core/main.tf, another module folder" in found[0]["message"]


def test_resource_moved_into_another_file_of_the_folder_is_not_removed(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": KEEP + "\n" + MOVED_OUT},
                 {"main.tf": KEEP, "project.tf": MOVED_OUT}, REMOVED)
    assert found == []
