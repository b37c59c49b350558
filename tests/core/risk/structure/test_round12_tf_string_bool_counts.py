"""A count local rewritten in a form Terraform converts to the same value (round 12).

A local used as the condition of resources' ``count`` (``local.create ? 1 : 0``) written as the strings
"true"/"false" on one side and the booleans true/false on the other: Terraform converts the string to the
bool, so each resource's count is the same number and nothing is destroyed. The resources' own counts are
evaluated on both sides; a local whose arms are swapped keeps its severity.

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


VARIABLES = '''variable "bucket_project" {
  type    = string
  default = ""
}

variable "manage_group" {
  type    = bool
  default = false
}
'''

BUCKET = '''locals {
  create_bucket = var.bucket_project != "" ? %s : %s
}

resource "google_storage_bucket" "project_bucket" {
  count    = local.create_bucket ? 1 : 0
  name     = "state"
  location = "EU"
}

resource "google_storage_bucket_iam_member" "admin" {
  count  = local.create_bucket && var.manage_group ? 1 : 0
  bucket = google_storage_bucket.project_bucket[0].name
  role   = "roles/storage.admin"
  member = "group:admins@example.com"
}
'''


def test_count_local_from_strings_to_booleans_is_unchanged(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": BUCKET % ('"true"', '"false"'), "variables.tf": VARIABLES},
                 {"main.tf": BUCKET % ("true", "false"), "variables.tf": VARIABLES}, REPLACE)
    assert found == []


def test_count_local_with_its_arms_swapped_keeps_its_severity(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": BUCKET % ('"true"', '"false"'), "variables.tf": VARIABLES},
                 {"main.tf": BUCKET % ("false", "true"), "variables.tf": VARIABLES}, REPLACE)
    assert _flagged(found), found
