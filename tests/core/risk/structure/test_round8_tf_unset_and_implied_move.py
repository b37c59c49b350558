"""TF-FORCES-REPLACEMENT where one side leaves the argument unset, and where a reference gains ``[0]``.

- Unset is the provider's default where the provider documents one (engine_mode of aws_rds_cluster is
  "provisioned"): setting the argument to that default plans no change.
- An optional and computed argument (master_username of aws_rds_cluster) keeps the value on record when
  it is unset: removing it plans nothing; setting it where it was unset replaces the resource only where
  the value differs from the record, which the module cannot know: medium, saying so.
- A resource that gains a ``count`` has its object moved to index 0 by Terraform, so a reference that
  gains ``[0]`` names the same object.

Each module is a real git repository with its variables declared.
"""

from __future__ import annotations

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.workspace import Workspace
from tests.core.risk.structure.helpers import RULES, by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

RULE = "TF-FORCES-REPLACEMENT"


def _run(git_repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)


def _flagged(found: list[dict]) -> list[dict]:
    return [f for f in found if f["severity"] in ("high", "critical")]


VARIABLES = '''variable "name" {
  type = string
}

variable "engine" {
  type    = string
  default = "aurora-postgresql"
}

variable "master_username" {
  type    = string
  default = "root"
}

variable "manage_master_user_password" {
  type    = bool
  default = true
}

variable "subnets" {
  type    = list(string)
  default = []
}
'''

CLUSTER = '''resource "aws_rds_cluster" "this" {
  cluster_identifier = var.name
  engine             = var.engine
%s
}
'''


def _cluster(*lines: str) -> str:
    return CLUSTER % "\n".join(f"  {line}" for line in lines)


# -- unset is the provider's documented default ---------------------------------------------------------
def test_setting_engine_mode_to_the_providers_default_where_it_was_unset_is_no_replacement(git_repo: GitRepo) -> None:
    new_variable = VARIABLES + '''
variable "engine_mode" {
  type    = string
  default = "provisioned"
}
'''
    found = _run(git_repo, {"main.tf": _cluster(), "variables.tf": VARIABLES},
                 {"main.tf": _cluster("engine_mode = var.engine_mode"), "variables.tf": new_variable})
    assert found == []


def test_a_literal_default_where_the_argument_was_unset_is_no_replacement_and_unset_again_neither(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": _cluster(), "variables.tf": VARIABLES},
                 {"main.tf": _cluster('engine_mode = "provisioned"'), "variables.tf": VARIABLES})
    assert found == []
    git_repo.write_files({"main.tf": _cluster()})
    git_repo.commit("unset again")
    analysis = analyze(load_git_range(git_repo.path, "HEAD~1..HEAD"), Workspace(git_repo.path), rules=RULES).to_dict()
    assert by_rule(risk_findings(analysis), RULE) == []


def test_a_value_other_than_the_default_where_the_argument_was_unset_still_replaces(git_repo: GitRepo) -> None:
    new_variable = VARIABLES + '''
variable "engine_mode" {
  type    = string
  default = "serverless"
}
'''
    found = _run(git_repo, {"main.tf": _cluster(), "variables.tf": VARIABLES},
                 {"main.tf": _cluster("engine_mode = var.engine_mode"), "variables.tf": new_variable})
    [finding] = _flagged(found)
    assert finding["severity"] == "critical" and "engine_mode" in finding["message"]


def test_an_argument_without_a_known_default_set_where_it_was_unset_still_replaces(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": _cluster(), "variables.tf": VARIABLES},
                 {"main.tf": _cluster('source_region = "us-east-1"'), "variables.tf": VARIABLES})
    [finding] = _flagged(found)
    assert "source_region" in finding["message"]


# -- optional and computed: the value on record decides ---------------------------------------------------
MANAGED = "master_username = var.manage_master_user_password ? null : var.master_username"


def test_an_optional_computed_argument_set_where_it_was_unset_is_medium_and_says_why(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": _cluster(MANAGED), "variables.tf": VARIABLES},
                 {"main.tf": _cluster("master_username = var.master_username"), "variables.tf": VARIABLES})
    assert _flagged(found) == []
    [finding] = found
    assert finding["severity"] == "medium"
    assert "Lowered to medium" in finding["message"] and "on record" in finding["message"]
    assert "master_username" in finding["message"]


def test_an_optional_computed_argument_removed_keeps_the_value_on_record(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": _cluster("master_username = var.master_username"), "variables.tf": VARIABLES},
                 {"main.tf": _cluster(MANAGED), "variables.tf": VARIABLES})
    assert found == []


def test_an_optional_computed_argument_whose_set_value_changes_still_replaces(git_repo: GitRepo) -> None:
    # unset for callers with a managed password, but "admin" -> "root" for every other caller
    before = "master_username = var.manage_master_user_password ? null : \"admin\""
    found = _run(git_repo, {"main.tf": _cluster(before), "variables.tf": VARIABLES},
                 {"main.tf": _cluster('master_username = "root"'), "variables.tf": VARIABLES})
    [finding] = _flagged(found)
    assert finding["severity"] == "critical" and "master_username" in finding["message"]


# -- a reference that gains [0] as its resource gains a count: the same object ------------------------------
SUBNET_GROUP = '''resource "aws_db_subnet_group" "this" {
%s
  name       = var.name
  subnet_ids = var.subnets
}
'''

SUBNET_VARIABLES = VARIABLES + '''
variable "create_db_subnet_group" {
  type    = bool
  default = true
}
'''


def _with_group(count: str, reference: str) -> str:
    return SUBNET_GROUP % count + "\n" + _cluster(f"db_subnet_group_name = {reference}")


def test_a_reference_that_gains_index_zero_as_its_resource_gains_a_count_is_the_same_object(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": _with_group("", "aws_db_subnet_group.this.name"), "variables.tf": VARIABLES},
                 {"main.tf": _with_group("  count = var.create_db_subnet_group ? 1 : 0\n",
                                         "aws_db_subnet_group.this[0].name"),
                  "variables.tf": SUBNET_VARIABLES})
    assert _flagged(found) == []


def test_a_reference_that_loses_index_zero_as_the_count_goes_is_the_same_object(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": _with_group("  count = 1\n", "aws_db_subnet_group.this[0].name"),
                            "variables.tf": VARIABLES},
                 {"main.tf": _with_group("", "aws_db_subnet_group.this.name"), "variables.tf": VARIABLES})
    assert _flagged(found) == []


def test_a_reference_to_another_instance_or_resource_still_replaces(git_repo: GitRepo) -> None:
    other = '''
resource "aws_db_subnet_group" "other" {
  count      = 2
  name       = "${var.name}-other"
  subnet_ids = var.subnets
}
'''
    found = _run(git_repo, {"main.tf": _with_group("  count = 2\n", "aws_db_subnet_group.this[0].name") + other,
                            "variables.tf": VARIABLES},
                 {"main.tf": _with_group("  count = 2\n", "aws_db_subnet_group.this[1].name") + other,
                  "variables.tf": VARIABLES})
    assert len(_flagged(found)) == 1
    found = _run(git_repo, {"main.tf": _with_group("", "aws_db_subnet_group.this.name") + other, "variables.tf": VARIABLES},
                 {"main.tf": _with_group("", "aws_db_subnet_group.other[0].name") + other, "variables.tf": VARIABLES})
    assert len(_flagged(found)) == 1
