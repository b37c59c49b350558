"""Terraform classes seen on an out-of-sample draw of module commits: counts and CIDRs rewritten without
changing any existing value, and a network's own address range read as an ingress source."""

from __future__ import annotations

from reviewer_app.core.risk.structure import tf_defaults
from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _high(found: list[dict], rule: str) -> list[dict]:
    return [f for f in by_rule(found, rule) if f["severity"] in ("high", "critical")]


# -- a count whose number variable falls back through coalesce ---------------------------------------
ATTACH = '''resource "aws_iam_role" "this" {
  count = var.create_role ? 1 : 0
  name  = var.name
}

resource "aws_iam_role_policy_attachment" "custom" {
  count = var.create_role ? var.number_of_custom_role_policy_arns : 0

  role       = aws_iam_role.this[0].name
  policy_arn = element(var.custom_role_policy_arns, count.index)
}
'''

ATTACH_VARIABLES = '''variable "custom_role_policy_arns" {
  description = "List of ARNs of IAM policies to attach to IAM role"
  type        = list(string)
  default     = []
}

variable "number_of_custom_role_policy_arns" {
  description = "Number of IAM policies to attach to IAM role"
  type        = number
  default     = 0
}
'''

COALESCED = ATTACH.replace("var.create_role ? var.number_of_custom_role_policy_arns : 0",
                           "var.create_role ? coalesce(var.number_of_custom_role_policy_arns, length(var.custom_role_policy_arns)) : 0")


def test_a_count_falling_back_through_coalesce_from_a_zero_default_is_medium(git_repo: GitRepo) -> None:
    # Callers that set the number keep it; callers that left it at 0 had no attachments and get one
    # per listed ARN: nothing is destroyed.
    after_variables = ATTACH_VARIABLES.replace("default     = 0", "default     = null")
    found = risk_findings(range_analysis(git_repo, {"main.tf": ATTACH, "variables.tf": ATTACH_VARIABLES},
                                         {"main.tf": COALESCED, "variables.tf": after_variables}))
    assert _high(found, "TF-FORCES-REPLACEMENT") == []
    [finding] = by_rule(found, "TF-FORCES-REPLACEMENT")
    assert finding["severity"] == "medium" and "coalesce" in finding["message"] and "destroys none" in finding["message"]


def test_a_count_falling_back_through_coalesce_from_a_non_zero_default_stays_high(git_repo: GitRepo) -> None:
    # The old default kept 2 attachments for callers that did not set it: the fallback may be fewer.
    before_variables = ATTACH_VARIABLES.replace("default     = 0", "default     = 2")
    after_variables = ATTACH_VARIABLES.replace("default     = 0", "default     = null")
    found = risk_findings(range_analysis(git_repo, {"main.tf": ATTACH, "variables.tf": before_variables},
                                         {"main.tf": COALESCED, "variables.tf": after_variables}))
    assert [f["severity"] for f in by_rule(found, "TF-FORCES-REPLACEMENT")] == ["high"]


def test_a_count_moved_to_a_new_number_variable_defaulting_to_zero_stays_high(git_repo: GitRepo) -> None:
    before = ATTACH.replace("var.number_of_custom_role_policy_arns", "length(var.custom_role_policy_arns)")
    before_variables = ATTACH_VARIABLES.split("\n\nvariable \"number_of")[0] + "\n"
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": before_variables},
                                         {"main.tf": ATTACH, "variables.tf": ATTACH_VARIABLES}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "now 0 unless a new variable is set" in finding["message"]


def test_changed_variable_defaults_are_read_from_the_hunks(git_repo: GitRepo) -> None:
    from reviewer_app.core.ingest import load_git_range

    git_repo.write_files({"variables.tf": ATTACH_VARIABLES})
    git_repo.commit("before")
    git_repo.write_files({"variables.tf": ATTACH_VARIABLES.replace("default     = 0", "default     = null")})
    git_repo.commit("after")
    change = load_git_range(git_repo.path, "HEAD~1..HEAD")
    assert tf_defaults.changed_variable_defaults(change) == {"number_of_custom_role_policy_arns": (0, None)}


# -- a single value made a list whose new default holds it --------------------------------------------
SAML = '''resource "aws_iam_role_policy_attachment" "admin" {
  count = "${var.create_admin_role ? 1 : 0}"

  role       = "${aws_iam_role.admin.name}"
  policy_arn = "${var.admin_role_policy_arn}"
}
'''

SAML_VARIABLES = '''variable "create_admin_role" {
  default = false
}

variable "admin_role_policy_arn" {
  description = "Policy ARN to use for admin role"
  default     = "arn:aws:iam::aws:policy/AdministratorAccess"
}
'''


def _listed(default: str) -> tuple[str, str]:
    main = SAML.replace('"${var.create_admin_role ? 1 : 0}"', '"${var.create_admin_role ? length(var.admin_role_policy_arns) : 0}"')
    main = main.replace('"${var.admin_role_policy_arn}"', '"${element(var.admin_role_policy_arns, count.index)}"')
    variables = SAML_VARIABLES.replace('variable "admin_role_policy_arn" {', 'variable "admin_role_policy_arns" {')
    variables = variables.replace('default     = "arn:aws:iam::aws:policy/AdministratorAccess"', f"type        = \"list\"\n  default     = {default}")
    return main, variables


def test_a_count_over_a_new_list_whose_default_has_one_item_keeps_one_instance(git_repo: GitRepo) -> None:
    main, variables = _listed('["arn:aws:iam::aws:policy/AdministratorAccess"]')
    found = risk_findings(range_analysis(git_repo, {"main.tf": SAML, "variables.tf": SAML_VARIABLES},
                                         {"main.tf": main, "variables.tf": variables}))
    assert _high(found, "TF-FORCES-REPLACEMENT") == []


def test_a_count_over_a_new_list_whose_default_is_empty_stays_high(git_repo: GitRepo) -> None:
    main, variables = _listed("[]")
    found = risk_findings(range_analysis(git_repo, {"main.tf": SAML, "variables.tf": SAML_VARIABLES},
                                         {"main.tf": main, "variables.tf": variables}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "aws_iam_role_policy_attachment.admin" in finding["message"]


def test_length_of_a_new_list_default() -> None:
    assert tf_defaults.leaves("${var.on ? length(var.arns) : 0}", {"arns": ["a", "b"]}) == {"2"}
    assert tf_defaults.leaves('${length(list("a"))}', {}) == {"1"}
    assert tf_defaults.leaves("${length(var.arns) + length(var.more)}", {"arns": ["a"]}) == {"length(var.arns)+length(var.more)"}


# -- a subnet's CIDR indexed through element(concat(...)) ---------------------------------------------
SUBNET = '''resource "aws_subnet" "public" {
  count = "${length(var.public_subnets)}"

  vpc_id            = "${aws_vpc.this.id}"
  cidr_block        = "${var.public_subnets[count.index]}"
  availability_zone = "${element(var.azs, count.index)}"
}
'''


def test_a_strict_index_rewritten_as_element_of_a_padded_concat_replaces_nothing(git_repo: GitRepo) -> None:
    after = SUBNET.replace('"${var.public_subnets[count.index]}"', '"${element(concat(var.public_subnets, list("")), count.index)}"')
    found = risk_findings(range_analysis(git_repo, {"main.tf": SUBNET}, {"main.tf": after}))
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_cidr_taken_from_another_list_still_forces_replacement(git_repo: GitRepo) -> None:
    after = SUBNET.replace('"${var.public_subnets[count.index]}"', '"${element(concat(var.private_subnets, list("")), count.index)}"')
    found = risk_findings(range_analysis(git_repo, {"main.tf": SUBNET}, {"main.tf": after}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "cidr_block" in finding["message"]


def test_a_wrapping_element_against_a_padded_concat_is_not_taken_as_equal(git_repo: GitRepo) -> None:
    # element(list, i) wraps past the end, the padded concat gives "" there: they differ.
    before = SUBNET.replace('"${var.public_subnets[count.index]}"', '"${element(var.public_subnets, count.index)}"')
    after = SUBNET.replace('"${var.public_subnets[count.index]}"', '"${element(concat(var.public_subnets, list("")), count.index)}"')
    found = risk_findings(range_analysis(git_repo, {"main.tf": before}, {"main.tf": after}))
    assert _high(found, "TF-FORCES-REPLACEMENT")


# -- a VPC's own CIDR variable --------------------------------------------------------------------------
VPC_VARIABLES = '''variable "name" {
  default = ""
}

variable "cidr" {
  description = "The CIDR block for the VPC"
  default     = ""
}
'''


def test_the_vpc_cidr_variable_defaulting_to_any_address_is_not_ingress(git_repo: GitRepo) -> None:
    after = VPC_VARIABLES.replace('default     = ""\n}\n', 'default     = "0.0.0.0/0"\n}\n')
    found = risk_findings(range_analysis(git_repo, {"variables.tf": VPC_VARIABLES}, {"variables.tf": after}))
    assert by_rule(found, "NET-OPEN-INGRESS") == []


def test_an_allowed_cidr_variable_defaulting_to_any_address_is_still_ingress(git_repo: GitRepo) -> None:
    allowed = VPC_VARIABLES.replace('variable "cidr"', 'variable "allowed_cidr"')
    after = allowed.replace('default     = ""\n}\n', 'default     = "0.0.0.0/0"\n}\n')
    found = risk_findings(range_analysis(git_repo, {"variables.tf": allowed}, {"variables.tf": after}))
    assert by_rule(found, "NET-OPEN-INGRESS")


def test_a_default_changed_in_another_module_does_not_vouch_for_the_count(git_repo: GitRepo) -> None:
    # The same variable name nulled in a sibling module says nothing about this module's default.
    after_variables = ATTACH_VARIABLES.replace("default     = 0", "default     = null")
    found = risk_findings(range_analysis(
        git_repo, {"a/main.tf": ATTACH, "a/variables.tf": ATTACH_VARIABLES, "b/variables.tf": ATTACH_VARIABLES},
        {"a/main.tf": COALESCED, "b/variables.tf": after_variables}))
    assert [f["severity"] for f in by_rule(found, "TF-FORCES-REPLACEMENT")] == ["high"]


# -- a boolean count whose variable is renamed, its default kept ---------------------------------------
SSH_KEY = '''resource "aws_iam_user_ssh_key" "this" {
  count = "${var.upload_ssh_key}"

  username   = "${aws_iam_user.this.name}"
  public_key = "${var.ssh_public_key}"
}
'''

SSH_VARIABLES = '''variable "create_user" {
  default = true
}

variable "upload_ssh_key" {
  description = "Whether to upload a public ssh key to the IAM user"
  default     = false
}
'''


def _renamed(default: str) -> dict[str, str]:
    main = SSH_KEY.replace('"${var.upload_ssh_key}"', '"${var.create_user && var.upload_iam_user_ssh_key ? 1 : 0}"')
    variables = SSH_VARIABLES.replace('variable "upload_ssh_key" {', 'variable "upload_iam_user_ssh_key" {')
    return {"main.tf": main, "variables.tf": variables.replace("default     = false", f"default     = {default}")}


def test_a_count_over_a_renamed_variable_with_the_same_default_is_silent(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"main.tf": SSH_KEY, "variables.tf": SSH_VARIABLES}, _renamed("false")))
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_count_over_a_renamed_variable_with_another_default_stays_high(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"main.tf": SSH_KEY, "variables.tf": SSH_VARIABLES}, _renamed("true")))
    assert _high(found, "TF-FORCES-REPLACEMENT")
