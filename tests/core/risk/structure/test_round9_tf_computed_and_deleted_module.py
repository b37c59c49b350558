"""Terraform classes of round 9: optional-and-computed arguments of EC2 instances and security groups, and a
submodule deleted whole.

- ``ami``, ``subnet_id`` … of aws_instance and ``vpc_id`` of aws_security_group are optional and computed
  (the provider records what the cloud chose when they are unset). An expression that now gives a value
  where it gave null (an input the old expression swallowed with ``try``, a guard that nulled it) replaces
  the resource only where the value differs from that record: medium, saying so. A value that changes
  into another value keeps its severity.
- The same argument now unset under the module's defaults, where it had a value: existing objects keep
  the value on record (no replacement), but every new one the defaults create gets the provider's choice
  instead. The finding stays, and says that (not a replacement).
- A module folder deleted whole that no configuration of the repository (outside examples and tests)
  called: its callers' ``source`` stops resolving, ``terraform init`` fails, nothing is destroyed. One that
  the repository's root configuration called keeps the destroy.

Each module is a real git repository.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

REPLACE = "TF-FORCES-REPLACEMENT"
REMOVED = "INFRA-TF-RESOURCE-REMOVED"


def _run(git_repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str = REPLACE) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), rule)


def _flagged(found: list[dict]) -> list[dict]:
    return [f for f in found if f["severity"] in ("high", "critical")]


# -- aws_instance: ami moved into a local that no longer swallows the caller's value ----------------------
INSTANCE_VARIABLES = '''variable "ami" {
  type    = string
  default = null
}

variable "ami_ssm_parameter" {
  type    = string
  default = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
}

variable "instance_type" {
  type    = string
  default = "t3.micro"
}
'''

INSTANCE = '''locals {
  create = true
%s
}

data "aws_ssm_parameter" "this" {
  count = local.create && var.ami == null ? 1 : 0

  name = var.ami_ssm_parameter
}

resource "aws_instance" "this" {
  count = local.create ? 1 : 0

  ami           = %s
  instance_type = var.instance_type
}
'''

OLD_AMI = "try(coalesce(var.ami, nonsensitive(data.aws_ssm_parameter.this[0].value)), null)"
NEW_AMI = "try(coalesce(var.ami, try(nonsensitive(data.aws_ssm_parameter.this[0].value), null)), null)"


def test_ami_moved_into_a_local_that_now_keeps_the_callers_value_is_medium_set_where_unset(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": INSTANCE % ("", OLD_AMI), "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": INSTANCE % (f"  ami = {NEW_AMI}", "local.ami"), "variables.tf": INSTANCE_VARIABLES})
    assert found, "the ami finding must stay (medium), saying the record decides"
    assert _flagged(found) == []
    assert all(f["severity"] == "medium" for f in found)
    assert "set where it was unset" in found[0]["message"]
    assert "keeps the value on record" in found[0]["message"]


def test_ami_changing_from_one_value_to_another_stays_high(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": INSTANCE % ("", "var.ami"), "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": INSTANCE % ("", '"ami-0123456789abcdef0"'), "variables.tf": INSTANCE_VARIABLES})
    assert _flagged(found), found


SUBNET_VARIABLES = '''variable "subnet_id" {
  type    = string
  default = null
}

variable "network_interface" {
  type    = list(map(string))
  default = []
}
'''

SUBNET = '''resource "aws_instance" "this" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  subnet_id     = %s

  dynamic "network_interface" {
    for_each = var.network_interface
    content {
      device_index         = network_interface.value.device_index
      network_interface_id = network_interface.value.network_interface_id
    }
  }
}
'''


def test_subnet_id_no_longer_nulled_by_a_guard_is_medium_set_where_unset(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": SUBNET % "length(var.network_interface) > 0 ? null : var.subnet_id",
                            "variables.tf": SUBNET_VARIABLES},
                 {"main.tf": SUBNET % "var.subnet_id", "variables.tf": SUBNET_VARIABLES})
    assert found and _flagged(found) == []
    assert "set where it was unset" in found[0]["message"]


# -- aws_security_group: vpc_id derived from the subnets again, or now null under the defaults -------------
SG_VARIABLES = '''variable "vpc_id" {
  type    = string
  default = null
}

variable "subnet_ids" {
  type    = list(string)
  default = ["subnet-1"]
}
'''

SG = '''data "aws_subnet" "this" {
  count = %s

  id = element(var.subnet_ids, 0)
}

resource "aws_security_group" "this" {
  name   = "service"
  vpc_id = %s
}
'''


def test_vpc_id_derived_from_the_subnets_where_it_was_left_unset_is_medium(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": SG % ("1", "var.vpc_id"), "variables.tf": SG_VARIABLES},
                 {"main.tf": SG % ("1", "coalesce(var.vpc_id, data.aws_subnet.this[0].vpc_id)"), "variables.tf": SG_VARIABLES})
    assert found and _flagged(found) == []
    assert "set where it was unset" in found[0]["message"]


def test_a_value_that_changes_besides_unset_to_set_stays_high_and_names_that_witness(git_repo: GitRepo) -> None:
    # Under the defaults null becomes the subnet's VPC (the record decides), but a caller who set vpc_id got the
    # subnet's VPC from the lookup and now gets the variable: that difference is the one the finding names.
    found = _run(git_repo, {"main.tf": SG % ("var.vpc_id != null ? 1 : 0", "try(data.aws_subnet.this[0].vpc_id, var.vpc_id)"),
                            "variables.tf": SG_VARIABLES},
                 {"main.tf": SG % ("var.vpc_id == null ? 1 : 0",
                                   "var.vpc_id != null ? var.vpc_id : data.aws_subnet.this[0].vpc_id"),
                  "variables.tf": SG_VARIABLES})
    flagged = _flagged(found)
    assert flagged, found
    assert 'with vpc_id = "' in flagged[0]["message"]
    assert "goes from null" not in flagged[0]["message"]


def test_vpc_id_now_null_under_the_modules_defaults_stays_high_and_says_new_ones_differ(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": SG % ("var.vpc_id == null ? 1 : 0", "data.aws_subnet.this[0].vpc_id"),
                            "variables.tf": SG_VARIABLES},
                 {"main.tf": SG % ("var.vpc_id != null ? 1 : 0", "try(data.aws_subnet.this[0].vpc_id, var.vpc_id)"),
                  "variables.tf": SG_VARIABLES})
    flagged = _flagged(found)
    assert flagged, found
    message = flagged[0]["message"]
    assert "with the module's defaults" in message
    assert "keep the value on record" in message and "new one" in message
    assert "destroys" not in message


def test_vpc_id_null_only_under_a_callers_opt_in_is_no_high_finding(git_repo: GitRepo) -> None:
    variables = SG_VARIABLES + '''
variable "use_default_vpc" {
  type    = bool
  default = false
}
'''
    found = _run(git_repo, {"main.tf": SG % ("1", "data.aws_subnet.this[0].vpc_id"), "variables.tf": variables},
                 {"main.tf": SG % ("1", "var.use_default_vpc ? null : data.aws_subnet.this[0].vpc_id"), "variables.tf": variables})
    assert _flagged(found) == []


# -- a submodule deleted whole ----------------------------------------------------------------------------
PROFILE = '''resource "aws_iam_role" "this" {
  name = var.name
}

resource "aws_iam_instance_profile" "this" {
  name = var.name
  role = aws_iam_role.this.id
}
'''
PROFILE_VARIABLES = '''variable "name" {
  type = string
}
'''
ROOT = '''resource "aws_ecs_cluster" "this" {
  name = "main"
}
'''
EXAMPLE = '''module "profile" {
  source = "../../modules/instance-profile"

  name = "example"
}
'''
CALLER = '''module "profile" {
  source = "./modules/instance-profile"

  name = "main"
}
'''


def _module_tree(root: str) -> dict[str, str]:
    return {"main.tf": root, "modules/instance-profile/main.tf": PROFILE,
            "modules/instance-profile/variables.tf": PROFILE_VARIABLES, "examples/complete/main.tf": EXAMPLE}


def test_a_submodule_deleted_whole_that_only_examples_called_is_not_a_destroy(git_repo: GitRepo) -> None:
    found = _run(git_repo, _module_tree(ROOT),
                 {"modules/instance-profile/main.tf": None, "modules/instance-profile/variables.tf": None,
                  "examples/complete/main.tf": None}, rule=REMOVED)
    assert found, "the removal is still reported"
    assert _flagged(found) == []
    assert all("terraform init" in f["message"] and "nothing is destroyed" in f["message"] for f in found)


def test_a_submodule_deleted_whole_that_the_root_configuration_called_keeps_the_destroy(git_repo: GitRepo) -> None:
    found = _run(git_repo, _module_tree(ROOT + "\n" + CALLER),
                 {"main.tf": ROOT, "modules/instance-profile/main.tf": None, "modules/instance-profile/variables.tf": None,
                  "examples/complete/main.tf": None}, rule=REMOVED)
    assert len(_flagged(found)) == 2, found


def test_resources_removed_from_a_submodule_that_stays_keep_the_destroy(git_repo: GitRepo) -> None:
    found = _run(git_repo, _module_tree(ROOT),
                 {"modules/instance-profile/main.tf": 'resource "aws_iam_role" "this" {\n  name = var.name\n}\n'}, rule=REMOVED)
    assert len(_flagged(found)) == 1, found
