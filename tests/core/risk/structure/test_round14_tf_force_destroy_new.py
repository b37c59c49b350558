"""INFRA-FORCE-DESTROY on a resource this change creates in a file it adds, on a real git repository.

`force_destroy = true` on a bucket created by the change (a new module folder): nothing it holds today can be lost
by a destroy, so it is medium, saying it is new. The same setting turned on for a bucket that exists keeps high.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

BUCKET = 'resource "google_storage_bucket" "function_bucket" {\n  name     = "key-distributor"\n  location = "EU"\n%s}\n'
ROOT = 'module "sa" {\n  source = "./modules/sa"\n}\n'


def _force(git_repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "INFRA-FORCE-DESTROY")]


def test_force_destroy_on_a_bucket_in_a_new_file_is_medium(git_repo: GitRepo) -> None:
    found = _force(git_repo, {"main.tf": ROOT},
                   {"modules/key-distributor/main.tf": BUCKET % "  force_destroy = true\n"})
    assert [severity for severity, _ in found] == ["medium"], found
    assert "is new, in a file this change adds, so it holds nothing yet" in found[0][1], found


def test_force_destroy_turned_on_for_an_existing_bucket_stays_high(git_repo: GitRepo) -> None:
    found = _force(git_repo, {"modules/key-distributor/main.tf": BUCKET % ""},
                   {"modules/key-distributor/main.tf": BUCKET % "  force_destroy = true\n"})
    assert [severity for severity, _ in found] == ["high"], found
