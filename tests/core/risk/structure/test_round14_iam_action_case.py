"""IAM action names are case-insensitive: a family wildcard written in lower camel case is a family, on a real git repository.

``sqs:sendMessage*`` is ``sqs:SendMessage*``: SendMessage and SendMessageBatch, the variants of one named action
(IAM-SERVICE-WILDCARD medium, as for ``kms:GenerateDataKey*``), not every write of SQS. A verb alone in lower
case (``sqs:delete*``) is still every matching write (high).
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

POLICY = '''data "aws_iam_policy_document" "sqs" {
  statement {
    sid       = "SQSAccess"
    effect    = "Allow"
    actions   = ["%s"]
    resources = [aws_sqs_queue.target.arn]
  }
}
'''

QUEUE = 'resource "aws_sqs_queue" "target" {\n  name = "events"\n}\n'


def _wildcards(git_repo: GitRepo, action: str) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {"main.tf": QUEUE}, {"main.tf": QUEUE, "iam.tf": POLICY % action}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "IAM-SERVICE-WILDCARD")]


def test_a_lower_camel_case_action_family_is_medium(git_repo: GitRepo) -> None:
    found = _wildcards(git_repo, "sqs:sendMessage*")
    assert [severity for severity, _ in found] == ["medium"], found
    assert "the variants of SendMessage" in found[0][1], found


def test_a_lower_case_verb_wildcard_stays_high(git_repo: GitRepo) -> None:
    found = _wildcards(git_repo, "sqs:delete*")
    assert [severity for severity, _ in found] == ["high"], found
