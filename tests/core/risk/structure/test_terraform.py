"""Terraform by structure: resources of both sides, replacement, guards, ingress and IAM statements."""

from __future__ import annotations

from tests.core.risk.structure.helpers import (
    added_file, by_rule, findings, range_analysis, risk_findings, rules_of,
)
from tests.core.risk.diffs import one_file_change
from tests.gitrepo import GitRepo

DATABASE = '''resource "aws_db_instance" "orders" {
  identifier          = "orders"
  engine              = "postgres"
  instance_class      = "db.r6g.large"
  deletion_protection = true
  skip_final_snapshot = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_instance" "web" {
  ami           = "ami-0aaa"
  instance_type = "t3.small"
}
'''


def test_removed_resource_is_a_destroy_and_critical_when_it_holds_data(git_repo: GitRepo) -> None:
    database_only, web_only = DATABASE.split("\n\n" + 'resource "aws_instance"')[0] + "\n", 'resource "aws_instance" "web" {\n  ami = "ami-0aaa"\n}\n'
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": DATABASE}, {"infra/main.tf": database_only}))
    [removed] = by_rule(found, "INFRA-TF-RESOURCE-REMOVED")
    assert (removed["side"], removed["line"], removed["severity"]) == ("old", 13, "high")
    assert "aws_instance.web" in removed["message"]
    found = risk_findings(range_analysis(git_repo, {"infra/db.tf": DATABASE}, {"infra/db.tf": web_only}))
    [removed] = by_rule(found, "INFRA-TF-RESOURCE-REMOVED")
    assert (removed["line"], removed["severity"]) == (1, "critical")


def test_rename_without_moved_block_is_flagged_and_with_one_it_is_not(git_repo: GitRepo) -> None:
    renamed = DATABASE.replace('"aws_instance" "web"', '"aws_instance" "frontend"')
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": DATABASE}, {"infra/main.tf": renamed}))
    [finding] = by_rule(found, "TF-RENAME-WITHOUT-MOVED")
    assert "aws_instance.web" in finding["message"] and "aws_instance.frontend" in finding["message"]
    assert by_rule(found, "INFRA-TF-RESOURCE-REMOVED") == []
    moved = renamed + "\nmoved {\n  from = aws_instance.web\n  to   = aws_instance.frontend\n}\n"
    found = risk_findings(range_analysis(git_repo, {"infra/other.tf": DATABASE}, {"infra/other.tf": moved}))
    assert by_rule(found, "TF-RENAME-WITHOUT-MOVED") == [] and by_rule(found, "INFRA-TF-RESOURCE-REMOVED") == []


def test_resource_moved_to_another_file_of_the_change_is_not_a_destroy(git_repo: GitRepo) -> None:
    web = 'resource "aws_instance" "web" {\n  ami           = "ami-0aaa"\n  instance_type = "t3.small"\n}\n'
    found = risk_findings(range_analysis(
        git_repo, {"infra/main.tf": DATABASE},
        {"infra/main.tf": DATABASE.split('resource "aws_instance"')[0], "infra/compute.tf": web}))
    assert by_rule(found, "INFRA-TF-RESOURCE-REMOVED") == []


def test_arguments_that_force_replacement(git_repo: GitRepo) -> None:
    changed = DATABASE.replace('engine              = "postgres"', 'engine              = "mysql"').replace(
        '"ami-0aaa"', '"ami-0bbb"').replace('"t3.small"', '"t3.large"')
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": DATABASE}, {"infra/main.tf": changed}))
    replaced = {(f["line"], f["severity"]) for f in by_rule(found, "TF-FORCES-REPLACEMENT")}
    # engine (line 3) forces a new database; ami (line 14) a new instance; instance_type changes in place.
    assert replaced == {(3, "critical"), (14, "high")}


def test_guards_switched_off(git_repo: GitRepo) -> None:
    weakened = DATABASE.replace("deletion_protection = true", "deletion_protection = false").replace(
        "skip_final_snapshot = false", "skip_final_snapshot = true").replace("prevent_destroy = true", "prevent_destroy = false")
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": DATABASE}, {"infra/main.tf": weakened}))
    assert {(f["rule"], f["line"]) for f in found if f["rule"].startswith("INFRA-")} == {
        ("INFRA-DELETION-PROTECTION-OFF", 5), ("INFRA-BACKUP-WEAKENED", 6), ("INFRA-TF-PREVENT-DESTROY-OFF", 9)}


def test_removing_the_lifecycle_guard_is_a_flip_too(git_repo: GitRepo) -> None:
    without = DATABASE.replace("\n  lifecycle {\n    prevent_destroy = true\n  }\n", "\n")
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": DATABASE}, {"infra/main.tf": without}))
    [guard] = by_rule(found, "INFRA-TF-PREVENT-DESTROY-OFF")
    assert (guard["side"], guard["line"]) == ("old", 9)


def test_unchanged_guards_are_silent(git_repo: GitRepo) -> None:
    retagged = DATABASE.replace('instance_type = "t3.small"', 'instance_type = "t3.medium"')
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": DATABASE}, {"infra/main.tf": retagged}))
    assert [f for f in found if f["rule"].startswith(("INFRA-", "TF-"))] == []


SECURITY_GROUP = '''resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = var.vpc_id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
'''


def test_open_egress_is_not_open_ingress() -> None:
    found = findings(added_file("infra/sg.tf", SECURITY_GROUP))
    assert by_rule(found, "NET-OPEN-INGRESS") == []


def test_open_ingress_on_ssh_is_critical_and_points_at_the_cidr() -> None:
    opened = SECURITY_GROUP.replace("from_port   = 443\n    to_port     = 443", "from_port   = 22\n    to_port     = 22").replace(
        '["10.0.0.0/8"]', '["0.0.0.0/0"]')
    [finding] = by_rule(findings(added_file("infra/sg.tf", opened)), "NET-OPEN-INGRESS")
    assert (finding.severity, finding.line) == ("critical", 10 + 8)
    assert "SSH" in finding.message


def test_open_ingress_in_a_module_input_counts_but_a_route_does_not() -> None:
    text = '''module "sg" {
  source              = "terraform-aws-modules/security-group/aws"
  ingress_cidr_blocks = ["0.0.0.0/0"]
  egress_cidr_blocks  = ["0.0.0.0/0"]
}

resource "aws_route" "internet" {
  destination_cidr_block = "0.0.0.0/0"
}
'''
    found = by_rule(findings(added_file("infra/net.tf", text)), "NET-OPEN-INGRESS")
    assert [f.line for f in found] == [12]


def policy(statement: str) -> str:
    return f'''resource "aws_iam_policy" "job" {{
  name = "job"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{statement}]
  }})
}}
'''


def test_deny_statement_is_not_a_grant() -> None:
    found = findings(added_file("infra/iam.tf", policy('{ Effect = "Deny", Action = "*", Resource = "*", Principal = "*" }')))
    assert [f for f in found if f.rule.startswith("IAM-")] == []


def test_admin_wildcard_is_critical_on_its_line() -> None:
    [finding] = by_rule(findings(added_file("infra/iam.tf", policy('{ Effect = "Allow", Action = "*", Resource = "*" }'))), "IAM-ADMIN-WILDCARD")
    assert (finding.severity, finding.line) == ("critical", 14)


def test_read_only_actions_on_every_resource_are_not_a_wildcard_grant() -> None:
    statement = '{ Effect = "Allow", Action = ["ec2:Describe*", "s3:List*", "cloudwatch:Get*"], Resource = "*" }'
    found = findings(added_file("infra/iam.tf", policy(statement)))
    assert [f for f in found if f.rule.startswith("IAM-")] == []


def test_iam_star_and_passrole_on_every_resource_are_grants() -> None:
    statement = '{ Effect = "Allow", Action = ["iam:*", "iam:PassRole", "s3:*"], Resource = "*" }'
    found = findings(added_file("infra/iam.tf", policy(statement)))
    assert sorted((f.rule, f.severity) for f in found if f.rule.startswith("IAM-")) == [
        ("IAM-ADMIN-WILDCARD", "critical"), ("IAM-PRIV-ESCALATION", "high"), ("IAM-SERVICE-WILDCARD", "high")]


TRUST = '''resource "aws_iam_role" "node" {
  name               = "node"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Service": "ec2.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }
  ]
}
EOF
}
'''


def test_assume_role_in_a_trust_policy_is_normal() -> None:
    found = findings(added_file("infra/role.tf", TRUST))
    assert [f for f in found if f.rule.startswith("IAM-")] == []


def test_wildcard_principal_in_a_trust_policy_is_critical() -> None:
    opened = TRUST.replace('{"Service": "ec2.amazonaws.com"}', '{"AWS": "*"}')
    [finding] = by_rule(findings(added_file("infra/role.tf", opened)), "IAM-TRUST-ANY-PRINCIPAL")
    assert (finding.severity, finding.line) == ("critical", 10 + 8)


def test_policy_document_data_source_statements() -> None:
    text = '''data "aws_iam_policy_document" "bucket" {
  statement {
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::invoices/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}
'''
    found = findings(added_file("infra/bucket.tf", text))
    assert [(f.rule, f.severity, f.line) for f in found if f.rule.startswith("IAM-")] == [("IAM-PUBLIC-PRINCIPAL", "critical", 16)]


def test_a_statement_that_was_already_there_is_not_reported_again(git_repo: GitRepo) -> None:
    before = policy('{ Effect = "Allow", Action = "*", Resource = "*" }')
    after = before.replace('name = "job"', 'name = "job-runner"')
    found = risk_findings(range_analysis(git_repo, {"infra/iam.tf": before}, {"infra/iam.tf": after}))
    assert [f for f in found if f["rule"].startswith("IAM-")] == []


def test_hunks_only_falls_back_to_line_rules_and_says_so() -> None:
    change = one_file_change("infra/db.tf", "-    prevent_destroy = true\n+    prevent_destroy = false")
    found = by_rule(findings(change), "INFRA-TF-PREVENT-DESTROY-OFF")
    assert found and all("only the diff's hunks were available" in f.message for f in found)


def test_a_file_that_does_not_parse_keeps_its_line_rules_and_says_why() -> None:
    broken = 'resource "aws_s3_bucket" "logs" {\n  force_destroy = true\n'  # the closing brace is missing
    [finding] = by_rule(findings(added_file("infra/broken.tf", broken)), "INFRA-FORCE-DESTROY")
    assert "did not parse as Terraform" in finding.message


def test_parsed_file_does_not_double_fire_the_line_rule() -> None:
    text = 'resource "aws_s3_bucket" "logs" {\n  bucket        = "logs"\n  force_destroy = true\n}\n'
    found = findings(added_file("infra/logs.tf", text))
    assert rules_of(found).count("INFRA-FORCE-DESTROY") == 1
    [finding] = by_rule(found, "INFRA-FORCE-DESTROY")
    assert finding.message.startswith("aws_s3_bucket.logs:")


def test_removing_a_helper_resource_is_low(git_repo: GitRepo) -> None:
    before = DATABASE + 'resource "random_pet" "name" {\n  length = 2\n}\n'
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": before}, {"infra/main.tf": DATABASE}))
    assert [(f["severity"], f["line"]) for f in by_rule(found, "INFRA-TF-RESOURCE-REMOVED")] == [("low", 17)]


def test_escalation_actions_scoped_to_named_resources_are_medium() -> None:
    statement = '{ Effect = "Allow", Action = ["iam:PassRole"], Resource = "arn:aws:iam::123456789012:role/app" }'
    [finding] = by_rule(findings(added_file("infra/iam.tf", policy(statement))), "IAM-PRIV-ESCALATION")
    assert finding.severity == "medium"


def test_an_indented_heredoc_policy_is_read_as_json() -> None:
    text = '''resource "aws_iam_policy" "this" {
  name   = "x"
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
      ]
    }
  EOT
}
'''
    found = findings(added_file("infra/iam.tf", text))
    assert [(f.rule, f.line) for f in found if f.rule.startswith("IAM-")] == [("IAM-SERVICE-WILDCARD", 17)]



HEREDOC_MAIN = (
    'resource "aws_instance" "web" {\n'
    '  ami       = "ami-0aaa"\n'
    '  user_data = <<EOT\n'
    'resource "not" "a_block" {\n'
    'EOT\n'
    '}\n'
    '\n'
    'resource "aws_s3_bucket" "logs" {\n'
    '  bucket = "logs"\n'
    '}\n'
)


def test_a_header_looking_line_inside_a_heredoc_does_not_break_block_parsing(git_repo: GitRepo) -> None:
    after = HEREDOC_MAIN.replace('ami       = "ami-0aaa"', 'ami       = "ami-0bbb"')
    found = risk_findings(range_analysis(git_repo, {"infra/main.tf": HEREDOC_MAIN}, {"infra/main.tf": after}))
    assert [(f["rule"], f["line"]) for f in found] == [("TF-FORCES-REPLACEMENT", 2)]


def test_a_module_default_opening_ingress_counts() -> None:
    text = 'variable "ingress_cidr_blocks" {\n  type    = list(string)\n  default = ["0.0.0.0/0"]\n}\n'
    [finding] = by_rule(findings(added_file("modules/sg/variables.tf", text)), "NET-OPEN-INGRESS")
    assert finding.line == 12


def test_open_cidrs_fail_closed_outside_egress_and_routes() -> None:
    text = '''resource "aws_eks_cluster" "main" {
  name     = "main"
  role_arn = var.role
  vpc_config {
    subnet_ids          = var.subnets
    public_access_cidrs = ["0.0.0.0/0"]
  }
}

resource "aws_network_acl_rule" "out" {
  network_acl_id = var.acl
  egress         = true
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}

resource "aws_route_table" "public" {
  vpc_id = var.vpc
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = var.igw
  }
}
'''
    assert [f.line for f in by_rule(findings(added_file("infra/eks.tf", text)), "NET-OPEN-INGRESS")] == [15]


def test_versioning_suspended_in_a_module_input_is_a_weakened_backup() -> None:
    text = 'module "bucket" {\n  source     = "terraform-aws-modules/s3-bucket/aws"\n  versioning = {\n    status = "Suspended"\n  }\n}\n'
    [finding] = by_rule(findings(added_file("infra/bucket.tf", text)), "INFRA-BACKUP-WEAKENED")
    assert finding.line == 13 and "versioning.status" in finding.message


def test_deleting_moved_blocks_destroys_for_users_who_upgrade(git_repo: GitRepo) -> None:
    migrations = "moved {\n  from = aws_iam_policy.controller\n  to   = aws_iam_policy.this\n}\n"
    found = risk_findings(range_analysis(git_repo, {"modules/role/migrations.tf": migrations},
                                         {"modules/role/migrations.tf": "# see the upgrade guide\n"}))
    [finding] = by_rule(found, "TF-MOVED-BLOCK-REMOVED")
    assert (finding["side"], finding["line"], finding["severity"]) == ("old", 2, "high")


def test_a_module_default_adopting_the_default_security_group(git_repo: GitRepo) -> None:
    variables = 'variable "manage_default_security_group" {\n  type    = bool\n  default = false\n}\n'
    found = risk_findings(range_analysis(git_repo, {"variables.tf": variables},
                                         {"variables.tf": variables.replace("default = false", "default = true")}))
    [finding] = by_rule(found, "TF-DEFAULT-ADOPTED")
    assert (finding["line"], finding["severity"]) == (3, "high")


POLICY_TF = '''data "aws_iam_policy_document" "controller" {
  statement {
    actions = [
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyRule",
    ]
    resources = ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"]
  }
}
'''


def test_write_actions_widened_from_named_arns_to_every_resource(git_repo: GitRepo) -> None:
    after = POLICY_TF.replace('resources = ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"]', 'resources = ["*"]')
    found = by_rule(risk_findings(range_analysis(git_repo, {"policies.tf": POLICY_TF}, {"policies.tf": after})), "IAM-RESOURCE-WILDCARD")
    assert [(f["line"], f["severity"]) for f in found] == [(7, "high")]


def test_a_new_statement_on_every_resource_stays_medium(git_repo: GitRepo) -> None:
    after = POLICY_TF.replace("  }\n}\n", '  }\n  statement {\n    actions   = ["ec2:CreateTags"]\n    resources = ["*"]\n  }\n}\n')
    found = by_rule(risk_findings(range_analysis(git_repo, {"policies.tf": POLICY_TF}, {"policies.tf": after})), "IAM-RESOURCE-WILDCARD")
    assert [f["severity"] for f in found] == ["medium"]


VPC_TF = '''resource "aws_vpc" "this" {
  cidr_block = var.cidr
}
'''


def test_a_default_route_table_adopted_unconditionally(git_repo: GitRepo) -> None:
    after = VPC_TF + '''
resource "aws_default_route_table" "default" {
  default_route_table_id = aws_vpc.this.default_route_table_id
}
'''
    found = by_rule(risk_findings(range_analysis(git_repo, {"main.tf": VPC_TF}, {"main.tf": after})), "TF-DEFAULT-ADOPTED")
    assert [(f["line"], f["severity"]) for f in found] == [(5, "high")]


def test_a_default_route_table_behind_count_or_in_a_new_module_is_not_adopted_for_everyone(git_repo: GitRepo) -> None:
    gated = VPC_TF + '''
resource "aws_default_route_table" "default" {
  count                  = var.manage_default_route_table ? 1 : 0
  default_route_table_id = aws_vpc.this.default_route_table_id
}
'''
    ungated = VPC_TF + 'resource "aws_default_route_table" "default" {\n  default_route_table_id = aws_vpc.this.default_route_table_id\n}\n'
    found = risk_findings(range_analysis(git_repo, {"main.tf": VPC_TF}, {"main.tf": gated, "new/main.tf": ungated}))
    assert by_rule(found, "TF-DEFAULT-ADOPTED") == []


TRUST_TF = '''data "aws_iam_policy_document" "assume_role" {
  statement {
    effect  = "Allow"
    actions = var.trusted_role_actions

    principals {
      type        = "AWS"
      identifiers = var.trusted_role_arns
    }
  }
}
'''


def test_a_dynamic_trust_statement_opened_to_any_principal(git_repo: GitRepo) -> None:
    after = TRUST_TF.replace("data \"aws_iam_policy_document\" \"assume_role\" {\n", '''data "aws_iam_policy_document" "assume_role" {
  dynamic "statement" {
    for_each = var.allow_self_assume_role ? [1] : []
    content {
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
    }
  }
''')
    found = risk_findings(range_analysis(git_repo, {"main.tf": TRUST_TF}, {"main.tf": after}))
    assert [(f["rule"], f["line"], f["severity"]) for f in found if f["rule"].startswith("IAM-")] == [("IAM-TRUST-ANY-PRINCIPAL", 8, "critical")]


def test_a_trust_policy_with_actions_from_a_variable_is_not_an_identity_policy(git_repo: GitRepo) -> None:
    after = TRUST_TF.replace("  statement {\n", '  statement {\n    sid = "Trusted"\n', 1) + TRUST_TF.replace('"assume_role"', '"other"').replace(
        "actions = var.trusted_role_actions", 'actions = ["sts:AssumeRole"]')
    found = risk_findings(range_analysis(git_repo, {"main.tf": TRUST_TF}, {"main.tf": after}))
    assert [f for f in found if f["rule"].startswith("IAM-")] == []


ATTACHMENT_TF = '''resource "aws_iam_role_policy_attachment" "this" {
  for_each = toset([for arn in var.role_policy_arns : arn if var.create_role])

  role       = aws_iam_role.this.name
  policy_arn = each.key
}
'''


def test_instances_rekeyed_from_a_set_to_a_map(git_repo: GitRepo) -> None:
    after = ATTACHMENT_TF.replace("toset([for arn in var.role_policy_arns : arn if var.create_role])",
                                  "{ for k, v in var.role_policy_arns : k => v if var.create_role }").replace("each.key", "each.value")
    found = by_rule(risk_findings(range_analysis(git_repo, {"main.tf": ATTACHMENT_TF}, {"main.tf": after})), "TF-FORCES-REPLACEMENT")
    assert [(f["line"], f["severity"]) for f in found] == [(2, "high")]


def test_instances_rekeyed_with_moved_blocks_or_a_filter_edited_are_silent(git_repo: GitRepo) -> None:
    filtered = ATTACHMENT_TF.replace("if var.create_role", 'if var.create_role && arn != ""')
    rekeyed = ATTACHMENT_TF.replace("toset([for arn in var.role_policy_arns : arn if var.create_role])",
                                    "{ for k, v in var.role_policy_arns : k => v }") + (
        'moved {\n  from = aws_iam_role_policy_attachment.this["arn:aws:iam::aws:policy/ReadOnlyAccess"]\n'
        '  to   = aws_iam_role_policy_attachment.this["read_only"]\n}\n')
    for after in (filtered, rekeyed):
        found = risk_findings(range_analysis(git_repo, {"main.tf": ATTACHMENT_TF}, {"main.tf": after}))
        assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


TAGGED_TF = '''data "aws_iam_policy_document" "controller" {
  statement {
    actions = [
      "ec2:RunInstances",
      "ec2:TerminateInstances",
    ]
    resources = ["arn:aws:ec2:*:*:instance/*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:ResourceTag/owner"
      values   = [var.cluster_id]
    }
  }
}
'''


def test_write_actions_split_out_of_their_condition(git_repo: GitRepo) -> None:
    after = TAGGED_TF.replace('      "ec2:RunInstances",\n', "").replace("  }\n}\n", '''  }

  statement {
    actions   = ["ec2:RunInstances"]
    resources = ["arn:aws:ec2:*:*:instance/*"]
  }
}
''')
    found = by_rule(risk_findings(range_analysis(git_repo, {"policies.tf": TAGGED_TF}, {"policies.tf": after})), "IAM-CONDITION-REMOVED")
    assert [(f["line"], f["severity"]) for f in found] == [(16, "high")]


def test_a_condition_kept_or_read_actions_freed_is_silent(git_repo: GitRepo) -> None:
    after = TAGGED_TF.replace("  }\n}\n", '''  }

  statement {
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }
}
''').replace('values   = [var.cluster_id]', 'values   = [var.cluster_name]')
    found = risk_findings(range_analysis(git_repo, {"policies.tf": TAGGED_TF}, {"policies.tf": after}))
    assert by_rule(found, "IAM-CONDITION-REMOVED") == []


def test_actions_already_granted_without_condition_elsewhere_are_not_freed(git_repo: GitRepo) -> None:
    free = '''
  statement {
    actions   = ["ec2:RunInstances"]
    resources = ["arn:aws:ec2:*:*:image/*"]
  }
}
'''
    before = TAGGED_TF.replace("  }\n}\n", "  }\n" + free)
    after = before.replace('resources = ["arn:aws:ec2:*:*:image/*"]', 'resources = ["arn:${local.partition}:ec2:*:*:image/*"]')
    found = risk_findings(range_analysis(git_repo, {"policies.tf": before}, {"policies.tf": after}))
    assert by_rule(found, "IAM-CONDITION-REMOVED") == []
