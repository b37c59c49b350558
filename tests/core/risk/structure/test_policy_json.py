"""IAM policy documents in JSON files judged as statements (the Terraform judgement, iam.py)."""

from __future__ import annotations

import json

from tests.core.risk.structure.helpers import added_file, by_rule, findings, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2) + "\n"


def iam_findings(path: str, text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in findings(added_file(path, text)) if f.rule.startswith("IAM-")]


def test_deny_and_read_only_statements_are_not_grants() -> None:
    text = document({"Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"},
                    {"Effect": "Allow", "Action": ["ec2:Describe*", "s3:List*"], "Resource": "*"})
    assert iam_findings("iam/readonly.json", text) == []


def test_assume_role_in_a_trust_policy_file_is_normal_and_any_principal_is_critical() -> None:
    trust = document({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert iam_findings("iam/trust.json", trust) == []
    opened = document({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    assert iam_findings("iam/trust.json", opened) == [("IAM-TRUST-ANY-PRINCIPAL", "critical")]


def test_cloudformation_policy_documents_are_found_where_they_are() -> None:
    template = json.dumps({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "all", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}}}}, indent=2) + "\n"
    found = by_rule(findings(added_file("cfn/role.json", template)), "IAM-ADMIN-WILDCARD")
    assert [(f.severity, f.line) for f in found] == [("critical", 10 + 23)]  # the "Action": "*" line


def test_a_statement_already_there_is_not_reported_again(git_repo: GitRepo) -> None:
    before = document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    after = document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                     {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
    found = risk_findings(range_analysis(git_repo, {"iam/app.json": before}, {"iam/app.json": after}))
    assert [(f["rule"], f["line"]) for f in found if f["rule"].startswith("IAM-")] == [("IAM-PRIV-ESCALATION", 11)]


def test_json_that_is_not_a_policy_keeps_its_line_rules_silently() -> None:
    text = json.dumps({"principal": "*", "note": "Statement of work"}) + "\n"
    assert [f for f in findings(added_file("config/app.json", text)) if "structure" in f.message] == []
