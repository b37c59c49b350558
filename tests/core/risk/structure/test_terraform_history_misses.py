"""Terraform classes seen on real module histories: counts rewritten, inputs gated off, NACL defaults, IAM rewrites."""

from __future__ import annotations

from reviewer_app.core.risk.structure import iam, tf_defaults
from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

NAT = '''locals {
  max_subnet_length = max(length(var.private_subnets), length(var.database_subnets))
  nat_gateway_count = var.single_nat_gateway ? 1 : var.one_nat_gateway_per_az ? length(var.azs) : local.max_subnet_length
}

resource "aws_eip" "nat" {
  count = var.enable_nat_gateway ? local.nat_gateway_count : 0
  vpc   = true
}

resource "aws_route_table" "database" {
  count  = var.create_database_subnet_route_table ? 1 : 0
  vpc_id = var.vpc_id
}
'''

VARIABLES = '''variable "enable_nat_gateway" {
  type    = bool
  default = false
}
'''


def _high(found: list[dict], rule: str) -> list[dict]:
    return [f for f in by_rule(found, rule) if f["severity"] in ("high", "critical")]


def test_a_local_used_as_count_taking_other_values_destroys_instances(git_repo: GitRepo) -> None:
    after = NAT.replace(": local.max_subnet_length\n",
                        ": local.max_subnet_length < length(var.public_subnets) ? local.max_subnet_length : length(var.public_subnets)\n")
    found = risk_findings(range_analysis(git_repo, {"main.tf": NAT}, {"main.tf": after}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert finding["line"] == 3 and "local.nat_gateway_count" in finding["message"] and "aws_eip.nat" in finding["message"]


def test_a_resource_count_taking_other_values_is_flagged_on_its_count_line(git_repo: GitRepo) -> None:
    after = NAT.replace("count  = var.create_database_subnet_route_table ? 1 : 0",
                        "count  = var.create_database_subnet_route_table ? var.single_nat_gateway ? 1 : length(var.database_subnets) : 0")
    found = risk_findings(range_analysis(git_repo, {"main.tf": NAT}, {"main.tf": after}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert finding["line"] == 12 and "aws_route_table.database" in finding["message"]


def test_a_new_gate_off_by_default_destroys_existing_instances(git_repo: GitRepo) -> None:
    after = NAT.replace("count  = var.create_database_subnet_route_table ? 1 : 0",
                        "count  = var.create_database_subnet_route_table && var.keep_database_route_table ? 1 : 0")
    new_variable = 'variable "keep_database_route_table" {\n  type    = bool\n  default = false\n}\n'
    found = risk_findings(range_analysis(git_repo, {"main.tf": NAT, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES + "\n" + new_variable}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "now 0 unless a new variable is set" in finding["message"]


def test_count_rewrites_that_keep_the_values_are_silent(git_repo: GitRepo) -> None:
    # A new gate whose default keeps the resource, a renamed condition, a count moved into a local
    # whose new variable keeps the old value: nothing changes for an existing configuration.
    after = NAT.replace("count  = var.create_database_subnet_route_table ? 1 : 0",
                        "count  = local.create_vpc && var.create_database_subnet_route_table && var.new_gate ? local.num_database_route_tables : 0")
    after = after.replace("locals {\n", "locals {\n  create_vpc = var.create_vpc\n  num_database_route_tables = var.multiple_database_route_tables ? length(var.database_subnets) : 1\n")
    new_variables = ('variable "new_gate" {\n  type    = bool\n  default = true\n}\n\n'
                     'variable "multiple_database_route_tables" {\n  type    = bool\n  default = false\n}\n')
    found = risk_findings(range_analysis(git_repo, {"main.tf": NAT, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES + "\n" + new_variables}))
    assert not by_rule(found, "TF-FORCES-REPLACEMENT")


def test_count_values_under_new_defaults() -> None:
    assert tf_defaults.leaves("${var.a ? 1 : var.b ? length(var.azs) : 0}", {}) == {"1", "length(var.azs)"}
    assert tf_defaults.leaves("${var.create && var.new ? 1 : 0}", {"new": False}) == set()
    assert tf_defaults.leaves("${var.create && var.new ? local.n : 0}", {"new": True}, {"n": "${var.many ? 3 : 1}"}) == {"1", "3"}


ROLE = '''locals {
  partition = "aws"
}

resource "aws_iam_role" "this" {
  name = var.name

  assume_role_policy = coalesce(
    var.custom_role_trust_policy,
    data.aws_iam_policy_document.assume_role.json
  )
}
'''

ROLE_VARIABLES = '''variable "custom_role_trust_policy" {
  type    = string
  default = ""
}
'''


def test_a_trust_policy_input_gated_off_by_a_new_flag_is_high(git_repo: GitRepo) -> None:
    after = ROLE.replace('  partition = "aws"\n', '  partition = "aws"\n  custom_trust = var.create_custom_role_trust_policy ? var.custom_role_trust_policy : ""\n')
    after = after.replace("    var.custom_role_trust_policy,", "    local.custom_trust,")
    flag = 'variable "create_custom_role_trust_policy" {\n  type    = bool\n  default = false\n}\n'
    found = risk_findings(range_analysis(git_repo, {"main.tf": ROLE, "variables.tf": ROLE_VARIABLES},
                                         {"main.tf": after, "variables.tf": ROLE_VARIABLES + "\n" + flag}))
    [finding] = by_rule(found, "TF-DEFAULT-ADOPTED")
    assert finding["severity"] == "high" and finding["line"] == 10
    assert "create_custom_role_trust_policy" in finding["message"] and "custom_role_trust_policy" in finding["message"]


def test_a_trust_policy_input_gated_by_a_flag_on_by_default_is_silent(git_repo: GitRepo) -> None:
    after = ROLE.replace("    var.custom_role_trust_policy,", "    var.use_custom ? var.custom_role_trust_policy : \"\",")
    flag = 'variable "use_custom" {\n  type    = bool\n  default = true\n}\n'
    found = risk_findings(range_analysis(git_repo, {"main.tf": ROLE, "variables.tf": ROLE_VARIABLES},
                                         {"main.tf": after, "variables.tf": ROLE_VARIABLES + "\n" + flag}))
    assert not by_rule(found, "TF-DEFAULT-ADOPTED")


NACL_VARIABLE = '''variable "public_inbound_acl_rules" {
  type = list(map(string))
  default = [
    {
      rule_number = 100
      rule_action = "allow"
      from_port   = 0
      to_port     = 0
      protocol    = "-1"
      cidr_block  = "0.0.0.0/0"
    },
  ]
}
'''


def test_an_allow_all_network_acl_default_is_low_not_critical(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"variables.tf": VARIABLES}, {"variables.tf": VARIABLES + "\n" + NACL_VARIABLE}))
    [finding] = by_rule(found, "NET-OPEN-INGRESS")
    assert finding["severity"] == "low" and "default network ACL" in finding["message"]


def test_a_network_acl_rule_on_ssh_is_medium_and_a_deny_is_silent(git_repo: GitRepo) -> None:
    ssh = NACL_VARIABLE.replace('from_port   = 0', 'from_port   = 22').replace('to_port     = 0', 'to_port     = 22').replace('"-1"', '"tcp"')
    found = risk_findings(range_analysis(git_repo, {"variables.tf": VARIABLES}, {"variables.tf": VARIABLES + "\n" + ssh}))
    [finding] = by_rule(found, "NET-OPEN-INGRESS")
    assert finding["severity"] == "medium" and "SSH" in finding["message"]
    deny = ssh.replace('rule_action = "allow"', 'rule_action = "deny"')
    found = risk_findings(range_analysis(git_repo, {"variables.tf": VARIABLES}, {"variables.tf": VARIABLES + "\n" + deny}))
    assert not by_rule(found, "NET-OPEN-INGRESS")


def test_a_security_group_open_to_the_internet_is_still_critical(git_repo: GitRepo) -> None:
    group = ('resource "aws_security_group" "web" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n'
             '    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')
    found = risk_findings(range_analysis(git_repo, {"variables.tf": VARIABLES}, {"variables.tf": VARIABLES, "sg.tf": group}))
    [finding] = by_rule(found, "NET-OPEN-INGRESS")
    assert finding["severity"] == "critical"


CONTROLLER = '''data "aws_iam_policy_document" "controller" {
  count = var.attach_controller_policy ? 1 : 0

  statement {
    actions = [
      "vpc-lattice:*",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }
}
'''


def test_a_wildcard_kept_in_a_rewritten_statement_is_not_judged_again(git_repo: GitRepo) -> None:
    after = CONTROLLER.replace('      "ec2:DescribeVpcs",\n', '      "ec2:DescribeVpcs",\n      "ec2:DescribeSubnets",\n')
    found = risk_findings(range_analysis(git_repo, {"policies.tf": CONTROLLER}, {"policies.tf": after}))
    assert not by_rule(found, "IAM-SERVICE-WILDCARD")
    widened = CONTROLLER.replace('      "ec2:DescribeVpcs",\n', '      "ec2:DescribeVpcs",\n      "s3:*",\n')
    found = risk_findings(range_analysis(git_repo, {"policies.tf": CONTROLLER}, {"policies.tf": widened}))
    [finding] = by_rule(found, "IAM-SERVICE-WILDCARD")
    assert "s3:*" in finding["message"] and finding["severity"] == "high"


def test_a_new_opt_in_policy_with_a_service_wildcard_is_medium(git_repo: GitRepo) -> None:
    existing = 'data "aws_partition" "current" {}\n'
    flag = 'variable "attach_controller_policy" {\n  type    = bool\n  default = false\n}\n'
    found = risk_findings(range_analysis(git_repo, {"policies.tf": existing, "variables.tf": VARIABLES},
                                         {"policies.tf": existing + "\n" + CONTROLLER, "variables.tf": VARIABLES + "\n" + flag}))
    [finding] = by_rule(found, "IAM-SERVICE-WILDCARD")
    assert finding["severity"] == "medium" and "opt-in" in finding["message"]


def test_an_action_family_wildcard_is_medium_and_a_verb_wildcard_high() -> None:
    family = iam.Statement("allow", (), ("kms:GenerateDataKey*", "kms:ReEncrypt*"), (), ("*",), False)
    assert {(v.rule, v.severity) for v in iam.judge(family, False)} == {("IAM-SERVICE-WILDCARD", "medium")}
    verb = iam.Statement("allow", (), ("ec2:Delete*",), (), ("*",), False)
    assert [(v.rule, v.severity) for v in iam.judge(verb, False)] == [("IAM-SERVICE-WILDCARD", "high")]


VOLUMES = '''data "aws_iam_policy_document" "csi" {
  statement {
    actions   = ["ec2:CreateVolume"]
    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/ebs.csi.aws.com/cluster"
      values   = ["true"]
    }
  }
}
'''


def test_an_unconditioned_grant_on_the_source_only_keeps_the_condition(git_repo: GitRepo) -> None:
    source = VOLUMES.replace('resources = ["*"]', 'resources = ["arn:aws:ec2:*:*:volume/*"]').replace(
        "  }\n}\n", '  }\n\n  statement {\n    actions   = ["ec2:CreateVolume"]\n    resources = ["arn:aws:ec2:*:*:snapshot/*"]\n  }\n}\n')
    found = risk_findings(range_analysis(git_repo, {"policies.tf": VOLUMES}, {"policies.tf": source}))
    assert not by_rule(found, "IAM-CONDITION-REMOVED")
    made = source.replace(":snapshot/*", ":volume/*")
    found = risk_findings(range_analysis(git_repo, {"policies.tf": VOLUMES}, {"policies.tf": made}))
    assert by_rule(found, "IAM-CONDITION-REMOVED")


def test_a_count_that_only_grows_is_medium_and_says_so(git_repo: GitRepo) -> None:
    # max over the same terms and one more is never smaller: instances are created, none destroyed.
    after = NAT.replace("max(length(var.private_subnets), length(var.database_subnets))",
                        "max(length(var.private_subnets), length(var.database_subnets), length(var.intra_subnets))")
    found = risk_findings(range_analysis(git_repo, {"main.tf": NAT}, {"main.tf": after}))
    assert _high(found, "TF-FORCES-REPLACEMENT") == []
    [finding] = by_rule(found, "TF-FORCES-REPLACEMENT")
    assert finding["severity"] == "medium" and "only grows" in finding["message"]


def test_a_term_dropped_from_the_max_can_shrink_and_stays_high(git_repo: GitRepo) -> None:
    after = NAT.replace("max(length(var.private_subnets), length(var.database_subnets))",
                        "max(length(var.private_subnets), length(var.intra_subnets))")
    found = risk_findings(range_analysis(git_repo, {"main.tf": NAT}, {"main.tf": after}))
    assert [f["severity"] for f in by_rule(found, "TF-FORCES-REPLACEMENT")] == ["high"]
