"""IAM statements in KMS key policies, and statements whose only edit is their principal's expression."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

VARIABLES = '''variable "key_administrators" {
  type    = list(string)
  default = []
}

variable "key_users" {
  type    = list(string)
  default = []
}
'''

KEY = '''resource "aws_kms_key" "this" {
  description = "example"
  policy      = data.aws_iam_policy_document.this.json
}
'''

DOCUMENT = '''data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "Default"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid = "KeyAdministration"
    actions = [
      "kms:Create*",
      "kms:Describe*",
      "kms:Put*",
      "kms:Delete*",
      "kms:ScheduleKeyDeletion",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_administrators
    }
  }

  statement {
    sid       = "KeyUsage"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:CreateGrant"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_users
    }
  }
}
'''


def _iam(found: list[dict], severities: tuple[str, ...] = ("high", "critical")) -> list[dict]:
    return [f for f in found if f["rule"].startswith("IAM-") and f["severity"] in severities]


def test_a_new_key_policy_granting_kms_wildcards_to_named_principals_is_medium(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"README.md": "key\n"},
                                         {"main.tf": KEY + "\n" + DOCUMENT, "variables.tf": VARIABLES}))
    assert not _iam(found)
    wildcards = by_rule(found, "IAM-SERVICE-WILDCARD")
    assert {f["severity"] for f in wildcards} == {"medium"}
    assert any("kms:*" in f["message"] for f in wildcards)
    assert all("key policy of aws_kms_key.this" in f["message"] and "check who is named" in f["message"] for f in wildcards)
    # Resource "*" in a key policy is the key itself: not a resource wildcard.
    assert not by_rule(found, "IAM-RESOURCE-WILDCARD")


def test_a_key_policy_written_inline_in_the_key_is_read_as_one(git_repo: GitRepo) -> None:
    key = '''resource "aws_kms_key" "this" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Default"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}
'''
    found = risk_findings(range_analysis(git_repo, {"README.md": "key\n"}, {"main.tf": key}))
    assert not _iam(found)
    [finding] = by_rule(found, "IAM-SERVICE-WILDCARD")
    assert finding["severity"] == "medium" and "key policy of aws_kms_key.this" in finding["message"]


def test_a_key_policy_granting_to_anyone_stays_high(git_repo: GitRepo) -> None:
    document = DOCUMENT.replace('''      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]''', '''      type        = "AWS"
      identifiers = ["*"]''')
    found = risk_findings(range_analysis(git_repo, {"README.md": "key\n"},
                                         {"main.tf": KEY + "\n" + document, "variables.tf": VARIABLES}))
    assert any(f["rule"] == "IAM-SERVICE-WILDCARD" and f["severity"] == "high" and "kms:*" in f["message"] for f in found)
    assert by_rule(found, "IAM-PUBLIC-PRINCIPAL")


def test_a_document_also_used_outside_a_key_policy_is_judged_as_an_iam_policy(git_repo: GitRepo) -> None:
    # The same document attached to an IAM policy too: there "*" is every key of the account (fail closed).
    also = '''
resource "aws_iam_policy" "this" {
  policy = data.aws_iam_policy_document.this.json
}
'''
    found = risk_findings(range_analysis(git_repo, {"README.md": "key\n"},
                                         {"main.tf": KEY + also + "\n" + DOCUMENT, "variables.tf": VARIABLES}))
    assert any(f["rule"] == "IAM-SERVICE-WILDCARD" and f["severity"] == "high" for f in found)
    assert by_rule(found, "IAM-RESOURCE-WILDCARD")


def test_a_document_no_key_of_the_module_consumes_is_judged_as_an_iam_policy(git_repo: GitRepo) -> None:
    # Its key lives elsewhere (or nowhere): nothing shows "*" means one key (fail closed).
    found = risk_findings(range_analysis(git_repo, {"README.md": "key\n"}, {"main.tf": DOCUMENT, "variables.tf": VARIABLES}))
    assert any(f["rule"] == "IAM-SERVICE-WILDCARD" and f["severity"] == "high" for f in found)


S3_POLICY = '''data "aws_partition" "current" {}

data "aws_iam_policy_document" "bucket" {
  count = var.create ? 1 : 0

  statement {
    sid       = "Owner"
    actions   = ["s3:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${var.account_id}:root"]
    }
  }
}

resource "aws_iam_policy" "bucket" {
  count  = var.create ? 1 : 0
  policy = data.aws_iam_policy_document.bucket[0].json
}
'''

ACCOUNT = '''variable "account_id" {
  type    = string
  default = "111122223333"
}

variable "create" {
  type    = bool
  default = true
}
'''


def test_a_principal_moved_into_a_local_of_the_same_value_adds_no_grant(git_repo: GitRepo) -> None:
    # The interpolation moves into locals, and the data source gains a count: the same principal gets s3:*.
    after = S3_POLICY.replace('data "aws_partition" "current" {}', '''data "aws_partition" "current" {
  count = var.create ? 1 : 0
}

locals {
  partition  = try(data.aws_partition.current[0].partition, "")
  account_id = var.account_id
}''').replace('"arn:${data.aws_partition.current.partition}:iam::${var.account_id}:root"',
              '"arn:${local.partition}:iam::${local.account_id}:root"')
    found = risk_findings(range_analysis(git_repo, {"main.tf": S3_POLICY, "variables.tf": ACCOUNT},
                                         {"main.tf": after, "variables.tf": ACCOUNT}))
    assert not by_rule(found, "IAM-SERVICE-WILDCARD")


def test_a_principal_rewritten_to_what_cannot_be_evaluated_is_medium_and_says_so(git_repo: GitRepo) -> None:
    after = S3_POLICY.replace('"arn:${data.aws_partition.current.partition}:iam::${var.account_id}:root"',
                              "module.accounts.root_arn")
    found = risk_findings(range_analysis(git_repo, {"main.tf": S3_POLICY, "variables.tf": ACCOUNT},
                                         {"main.tf": after, "variables.tf": ACCOUNT}))
    [finding] = by_rule(found, "IAM-SERVICE-WILDCARD")
    assert finding["severity"] == "medium"
    assert "already allowed s3:*" in finding["message"] and "check who gets it" in finding["message"]


def test_a_principal_that_now_evaluates_to_another_account_stays_high(git_repo: GitRepo) -> None:
    after = S3_POLICY.replace("${var.account_id}", "${var.other_account_id}")
    variables = ACCOUNT + '''
variable "other_account_id" {
  type    = string
  default = "444455556666"
}
'''
    found = risk_findings(range_analysis(git_repo, {"main.tf": S3_POLICY, "variables.tf": ACCOUNT},
                                         {"main.tf": after, "variables.tf": variables}))
    assert any(f["rule"] == "IAM-SERVICE-WILDCARD" and f["severity"] == "high" for f in found)
