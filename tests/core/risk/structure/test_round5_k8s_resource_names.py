"""An RBAC rule limited by resourceNames reaches only the objects it names: `get` on one named
secret is not every credential in the role's scope. Medium, with the reason; the same grant
without resourceNames (or with a list that limits nothing) keeps its severity, and so do
escalate, bind and impersonate, which are as strong as what they name."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = "deploy/controller-role.yaml"

ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: controller
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
'''


def _widened(git_repo: GitRepo, added_rule: str) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {PATH: ROLE}, {PATH: ROLE + added_rule}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-RBAC-WIDENED")]


def test_get_on_one_named_secret_is_medium(git_repo: GitRepo) -> None:
    rule = '''- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
  resourceNames:
  - agent-ca-certificates
'''
    [(severity, message)] = _widened(git_repo, rule)
    assert severity == "medium"
    assert "limited by resourceNames to agent-ca-certificates" in message
    assert "not a grant over all secrets" in message


def test_get_on_every_secret_stays_high(git_repo: GitRepo) -> None:
    rule = '''- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
'''
    assert [s for s, _ in _widened(git_repo, rule)] == ["high"]


def test_an_empty_or_blank_resource_names_list_limits_nothing(git_repo: GitRepo) -> None:
    rule = '''- apiGroups: [""]
  resources: [secrets]
  verbs: [update]
  resourceNames: []
'''
    assert [s for s, _ in _widened(git_repo, rule)] == ["high"]


def test_blank_name_limits_nothing(git_repo: GitRepo) -> None:
    rule = '''- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
  resourceNames: [""]
'''
    assert [s for s, _ in _widened(git_repo, rule)] == ["high"]


def test_write_on_named_namespaces_is_medium(git_repo: GitRepo) -> None:
    rule = '''- apiGroups: [""]
  resources: [namespaces]
  verbs: [update, patch]
  resourceNames: [team-a, team-b]
'''
    severities = [s for s, _ in _widened(git_repo, rule)]
    assert severities and set(severities) == {"medium"}


def test_bind_on_a_named_role_keeps_its_severity(git_repo: GitRepo) -> None:
    rule = '''- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterroles]
  verbs: [bind]
  resourceNames: [cluster-admin]
'''
    severities = [s for s, _ in _widened(git_repo, rule)]
    assert severities and "medium" not in severities


NAMED_SECRET = '''- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
  resourceNames: [agent-ca-certificates]
'''


def test_a_named_grant_losing_its_names_widens_to_every_secret(git_repo: GitRepo) -> None:
    unnamed = NAMED_SECRET.replace("  resourceNames: [agent-ca-certificates]\n", "")
    found = risk_findings(range_analysis(git_repo, {PATH: ROLE + NAMED_SECRET}, {PATH: ROLE + unnamed}))
    [(severity, message)] = [(f["severity"], f["message"]) for f in by_rule(found, "K8S-RBAC-WIDENED")]
    assert severity == "high" and "every credential in its scope" in message


def test_a_named_grant_kept_while_the_role_changes_elsewhere_is_not_new(git_repo: GitRepo) -> None:
    before = ROLE + NAMED_SECRET
    after = before.replace("verbs: [get, list, watch]", "verbs: [get, list]")
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    assert by_rule(found, "K8S-RBAC-WIDENED") == []
