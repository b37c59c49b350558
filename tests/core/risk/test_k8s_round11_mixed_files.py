"""Files that mix RBAC with kinds the structure does not read: the RBAC is judged by structure, a custom resource's wildcard that is no grant is not flagged.

On real git repositories, analysed as `analyze --git` does: the case the structure lowers, with its reason in
the message, and the neighbouring case that keeps its severity.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), rule)


def _severities(found: list[dict]) -> list[str]:
    return sorted(f["severity"] for f in found)


# -- 3. files that mix RBAC with kinds the structure does not read -----------------------------------

CONSTRAINT = """apiVersion: constraints.gatekeeper.sh/v1beta1
kind: RequiredAnnotations
metadata:
  name: ns-required-annotations
spec:
  match:
    kinds:
      - apiGroups: [{group}]
        kinds: ["Namespace"]
"""
CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
---
"""
CRD_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets
rules:
- apiGroups: [{group}]
  resources: [{resources}]
  verbs: [{verbs}]
"""
CONFIGMAP_CARRYING_A_ROLE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: bundle
data:
  rbac.yaml: |
    kind: ClusterRole
    rules:
    - apiGroups: [""]
      resources: ["secrets"]
      verbs: {verbs}
"""


def test_a_policy_list_of_kinds_it_checks_is_no_rbac_grant(git_repo: GitRepo) -> None:
    before = {"policy/constraint.yaml": CONSTRAINT.format(group='"apps"')}
    after = {"policy/constraint.yaml": CONSTRAINT.format(group='"*"')}
    assert _found(git_repo, before, after, "K8S-RBAC-WILDCARD") == []


def test_a_role_beside_a_crd_whose_rules_are_only_rewritten_is_judged_by_structure(git_repo: GitRepo) -> None:
    block = CRD_ROLE.format(group='"example.com"', resources='"widgets"', verbs='"get"').replace(
        '  verbs: ["get"]\n', '  verbs:\n  - "*"\n')
    before = {"deploy/widgets.yaml": CRD + block}
    after = {"deploy/widgets.yaml": CRD + CRD_ROLE.format(group='"example.com"', resources='"widgets"', verbs="'*'")}
    assert _found(git_repo, before, after, "K8S-RBAC-WILDCARD") == []


def test_a_role_beside_a_crd_gaining_every_verb_on_secrets_stays_critical(git_repo: GitRepo) -> None:
    before = {"deploy/widgets.yaml": CRD + CRD_ROLE.format(group='""', resources='"secrets"', verbs='"get"')}
    after = {"deploy/widgets.yaml": CRD + CRD_ROLE.format(group='""', resources='"secrets"', verbs='"*"')}
    found = _found(git_repo, before, after, "K8S-RBAC-WILDCARD")
    assert _severities(found) == ["critical"]
    assert "ClusterRole widgets" in found[0]["message"]  # the structure's finding, not the line rule's


def test_a_role_carried_in_a_configmap_string_keeps_the_line_rule(git_repo: GitRepo) -> None:
    before = {"deploy/bundle.yaml": CONFIGMAP_CARRYING_A_ROLE.format(verbs='["get"]')}
    after = {"deploy/bundle.yaml": CONFIGMAP_CARRYING_A_ROLE.format(verbs='["*"]')}
    found = _found(git_repo, before, after, "K8S-RBAC-WILDCARD")
    assert _severities(found) == ["critical"]
