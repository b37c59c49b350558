"""Terraform values compared by evaluation, not by text: a ``count``, a replacement-forcing argument or a
renamed resource's instances under the module's defaults and representative inputs (tf_eval)."""

from __future__ import annotations

import pytest

from reviewer_app.core.risk.structure import tf_eval
from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _high(found: list[dict], rule: str) -> list[dict]:
    return [f for f in by_rule(found, rule) if f["severity"] in ("high", "critical")]


VARIABLES = '''variable "create_vpc" {
  type    = bool
  default = true
}

variable "azs" {
  type    = list(string)
  default = []
}

variable "private_subnets" {
  type    = list(string)
  default = []
}

variable "single_nat_gateway" {
  type    = bool
  default = false
}
'''

SUBNETS = '''resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count = var.create_vpc && length(var.private_subnets) > 0 ? length(var.private_subnets) : 0

  vpc_id            = aws_vpc.this.id
  cidr_block        = var.private_subnets[count.index]
  availability_zone = element(var.azs, count.index)
}
'''


# -- the same value for every existing deployment: no finding ------------------------------------------
def test_an_availability_zone_split_into_name_and_id_keeps_every_existing_subnet(git_repo: GitRepo) -> None:
    # Existing subnets were given AZ names (an id in availability_zone fails at apply): for a name, the
    # new expression gives the same availability_zone and a null availability_zone_id, which is unset.
    after = SUBNETS.replace(
        "  availability_zone = element(var.azs, count.index)\n",
        '  availability_zone    = length(regexall("^[a-z]{2}-", element(var.azs, count.index))) > 0 ? element(var.azs, count.index) : null\n'
        '  availability_zone_id = length(regexall("^[a-z]{2}-", element(var.azs, count.index))) == 0 ? element(var.azs, count.index) : null\n')
    found = risk_findings(range_analysis(git_repo, {"main.tf": SUBNETS, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_count_rewritten_with_min_keeps_its_value(git_repo: GitRepo) -> None:
    # "one when the list is not empty" written two ways: 0 or 1 under every input, on both sides.
    before = SUBNETS + '''
resource "aws_route_table" "private" {
  count  = length(var.private_subnets) > 0 ? 1 : 0
  vpc_id = aws_vpc.this.id
}
'''
    after = before.replace("count  = length(var.private_subnets) > 0 ? 1 : 0", "count  = min(length(var.private_subnets), 1)")
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_cidr_written_through_a_local_and_format_keeps_its_value(git_repo: GitRepo) -> None:
    before = SUBNETS.replace("cidr_block        = var.private_subnets[count.index]",
                             'cidr_block        = "${var.private_subnets[count.index]}"')
    after = SUBNETS.replace("cidr_block        = var.private_subnets[count.index]",
                            'cidr_block        = format("%s", local.private_cidrs[count.index])') + '''
locals {
  private_cidrs = [for cidr in var.private_subnets : lower(cidr)]
}
'''
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_renamed_resource_that_never_had_an_instance_is_low(git_repo: GitRepo) -> None:
    before = SUBNETS + '''
resource "aws_route_table" "legacy" {
  count  = 0
  vpc_id = aws_vpc.this.id
}
'''
    after = before.replace('"aws_route_table" "legacy"', '"aws_route_table" "spare"')
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    [finding] = by_rule(found, "TF-RENAME-WITHOUT-MOVED")
    assert finding["severity"] == "low" and "nothing is destroyed" in finding["message"]


# -- a value that differs under some input: the finding stays, and says under which --------------------
NAT = '''resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_route_table" "private" {
  count  = var.create_vpc ? length(var.private_subnets) : 0
  vpc_id = aws_vpc.this.id
}
'''


def test_a_count_that_a_flag_now_cuts_stays_high_and_names_the_input(git_repo: GitRepo) -> None:
    after = NAT.replace("count  = var.create_vpc ? length(var.private_subnets) : 0",
                        "count  = var.create_vpc ? (var.single_nat_gateway ? 1 : length(var.private_subnets)) : 0")
    found = risk_findings(range_analysis(git_repo, {"main.tf": NAT, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "single_nat_gateway = true" in finding["message"] and "2 → 1" in finding["message"]


def test_a_count_moved_to_another_list_stays_high(git_repo: GitRepo) -> None:
    before = NAT.replace("length(var.private_subnets) : 0", "length(var.azs) : 0")
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": VARIABLES},
                                         {"main.tf": NAT, "variables.tf": VARIABLES}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "azs of" in finding["message"]


def test_an_availability_zone_pinned_to_the_first_stays_high(git_repo: GitRepo) -> None:
    after = SUBNETS.replace("availability_zone = element(var.azs, count.index)", "availability_zone = var.azs[0]")
    found = risk_findings(range_analysis(git_repo, {"main.tf": SUBNETS, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "availability_zone" in finding["message"] and "instance [1]" in finding["message"]


def test_a_value_routed_through_a_resource_an_input_creates_stays_high(git_repo: GitRepo) -> None:
    # The same VPC on a plain upgrade, but a caller who then sets the new secondary_cidr_blocks gets
    # vpc_id from the association instead: every subnet is replaced.
    after = SUBNETS.replace("vpc_id            = aws_vpc.this.id", "vpc_id            = local.vpc_id") + '''
resource "aws_vpc_ipv4_cidr_block_association" "this" {
  count      = length(var.secondary_cidr_blocks)
  vpc_id     = aws_vpc.this.id
  cidr_block = var.secondary_cidr_blocks[count.index]
}

locals {
  vpc_id = element(concat(aws_vpc_ipv4_cidr_block_association.this.*.vpc_id, aws_vpc.this.*.id, [""]), 0)
}
'''
    variables = VARIABLES + '''
variable "secondary_cidr_blocks" {
  type    = list(string)
  default = []
}
'''
    found = risk_findings(range_analysis(git_repo, {"main.tf": SUBNETS, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": variables}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert finding["message"].startswith("aws_subnet.private: `vpc_id`") and "secondary_cidr_blocks of 1 element" in finding["message"]


def test_a_resource_reference_written_another_way_keeps_its_value(git_repo: GitRepo) -> None:
    # Resource attributes are compared by identity: the same subnet's id, however it is written.
    before = SUBNETS + '''
resource "aws_route_table" "private" {
  count  = length(var.private_subnets)
  vpc_id = aws_vpc.this.id
}

resource "aws_instance" "private" {
  count     = length(var.private_subnets)
  ami       = "ami-12345678"
  subnet_id = element(aws_subnet.private.*.id, count.index)
}
'''
    after = before.replace("subnet_id = element(aws_subnet.private.*.id, count.index)", "subnet_id = aws_subnet.private[count.index].id")
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_renamed_resource_with_instances_under_some_input_stays_high(git_repo: GitRepo) -> None:
    before = NAT
    after = NAT.replace('"aws_route_table" "private"', '"aws_route_table" "this"')
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": VARIABLES},
                                         {"main.tf": after, "variables.tf": VARIABLES}))
    assert [f["severity"] for f in by_rule(found, "TF-RENAME-WITHOUT-MOVED")] == ["high"]


# -- the evaluator itself ---------------------------------------------------------------------------------
MODULE = tf_eval.ModuleSide.from_texts([VARIABLES + '''
variable "name" {
  default = "main"
}

locals {
  max_subnet_length = max(length(var.private_subnets), length(var.azs))
  nat_count         = var.single_nat_gateway ? 1 : local.max_subnet_length
}
'''])


@pytest.mark.parametrize(("text", "value"), [
    ("length(var.azs)", 2),
    ("var.create_vpc && local.max_subnet_length > 0 ? local.nat_count : 0", 3),
    ('element(concat(var.private_subnets, [""]), 3)', ""),
    ('coalesce(null, "", length(var.azs))', 2),
    ("try(var.azs[5], \"none\")", "none"),
    ('"${var.name}-${element(var.azs, 0)}"', "main-eu-west-1a"),
    ('[for s in var.azs : upper(s) if s != "eu-west-1b"]', ["EU-WEST-1A"]),
    ("{for i, s in var.azs : s => i}", {"eu-west-1a": 0, "eu-west-1b": 1}),
    ('cidrsubnet("10.0.0.0/16", 8, 3)', "10.0.3.0/24"),
    ('compact(["a", "", null, "b"])', ["a", "b"]),
    ('format("%s-%d", var.name, 2 * 3 - 1)', "main-5"),
    ('map("Name", "x")', {"Name": "x"}),
    ("var.private_subnets[*]", ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]),
    ("1 == true", False),
])
def test_expressions_evaluate_as_terraform_does(text: str, value: object) -> None:
    env = tf_eval.Env(MODULE, {"azs": ["eu-west-1a", "eu-west-1b"], "private_subnets": ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]})
    assert tf_eval.evaluate(tf_eval.parse(text), env) == value


@pytest.mark.parametrize(("text", "error"), [
    ("aws_vpc.this.id", tf_eval.Unknowable),
    ("file(\"policy.json\")", tf_eval.Unknowable),
    ("var.azs[2]", tf_eval.EvalError),
    ("element(var.private_subnets, 0)", tf_eval.EvalError),
    ("coalesce(null, \"\")", tf_eval.EvalError),
    ("var.undeclared", tf_eval.Unknowable),
])
def test_what_cannot_be_known_or_fails_is_told_apart(text: str, error: type) -> None:
    env = tf_eval.Env(MODULE, {"azs": ["eu-west-1a", "eu-west-1b"]})
    with pytest.raises(error):
        tf_eval.evaluate(tf_eval.parse(text), env)


def test_counts_are_compared_under_representative_inputs() -> None:
    old, new = tf_eval.parse("length(var.azs)"), tf_eval.parse("local.max_subnet_length")
    verdict = tf_eval.compare(MODULE, MODULE, [old], [new], lambda env: tf_eval.count_value(old, env),
                              lambda env: tf_eval.count_value(new, env), kind="count")
    assert verdict.status == "grows" and "private_subnets of" in verdict.witness
    same = tf_eval.parse("var.create_vpc ? length(var.azs) : 0")
    other = tf_eval.parse("var.create_vpc && length(var.azs) > 0 ? length(var.azs) : 0")
    verdict = tf_eval.compare(MODULE, MODULE, [same], [other], lambda env: tf_eval.count_value(same, env),
                              lambda env: tf_eval.count_value(other, env), kind="count")
    assert verdict.status == "same"


# -- for_each keys ------------------------------------------------------------------------------------------
ATTACHMENTS = '''variable "policy_arns" {
  type    = list(string)
  default = []
}

resource "aws_iam_role" "this" {
  name = "role"
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = toset(var.policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = each.value
}
'''


def test_a_for_each_rewritten_as_a_map_with_the_same_keys_moves_nothing(git_repo: GitRepo) -> None:
    after = ATTACHMENTS.replace("for_each = toset(var.policy_arns)", "for_each = { for arn in var.policy_arns : arn => arn }")
    found = risk_findings(range_analysis(git_repo, {"main.tf": ATTACHMENTS}, {"main.tf": after}))
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_for_each_keyed_by_position_instead_of_by_arn_stays_high(git_repo: GitRepo) -> None:
    after = ATTACHMENTS.replace("for_each = toset(var.policy_arns)", "for_each = { for k, v in var.policy_arns : k => v }")
    found = risk_findings(range_analysis(git_repo, {"main.tf": ATTACHMENTS}, {"main.tf": after}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "keyed by map instead of by set" in finding["message"]


def test_an_input_that_changes_type_is_not_vouched_for(git_repo: GitRepo) -> None:
    # A list of ARNs becoming a map: callers' lists stop fitting, and the map they write instead keys
    # the attachments by its own names. The evaluator does not judge it; the re-keying stays high.
    before = ATTACHMENTS.replace("for_each = toset(var.policy_arns)",
                                 "for_each = toset([for arn in var.policy_arns : arn if true])")
    after = ATTACHMENTS.replace("for_each = toset(var.policy_arns)", "for_each = { for k, v in var.policy_arns : k => v }")
    after = after.replace("type    = list(string)\n  default = []", "type    = map(string)\n  default = {}")
    found = risk_findings(range_analysis(git_repo, {"main.tf": before}, {"main.tf": after}))
    assert _high(found, "TF-FORCES-REPLACEMENT")
