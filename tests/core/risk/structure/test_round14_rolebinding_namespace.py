"""K8S-RBAC-WILDCARD on a RoleBinding to cluster-admin, on a real git repository.

A RoleBinding grants its role's rules only in its own namespace: binding cluster-admin there makes the subjects
that namespace's admin (its secrets, pods and service accounts), the same grant as a Role's `*` on `*` in it. High,
not critical, saying so; a new one is a medium new component. A ClusterRoleBinding, or a RoleBinding in kube-system
or in a namespace left to the apply, keeps the cluster-admin reading (critical).
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

BINDING = """apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: gotk-reconciler
{namespace}roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {role}
subjects:
  - kind: ServiceAccount
    name: dev-team
    namespace: apps
"""


def _binding(kind: str = "RoleBinding", namespace: str | None = "apps", role: str = "view") -> str:
    line = f"  namespace: {namespace}\n" if namespace is not None else ""
    return BINDING.format(kind=kind, namespace=line, role=role)


def _wildcard(git_repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-RBAC-WILDCARD")]


def test_a_rolebinding_made_cluster_admin_of_its_namespace_is_high(git_repo: GitRepo) -> None:
    found = _wildcard(git_repo, {"tenants/rbac.yaml": _binding()}, {"tenants/rbac.yaml": _binding(role="cluster-admin")})
    assert [severity for severity, _ in found] == ["high"], found
    assert "binds cluster-admin in the namespace apps" in found[0][1], found


def test_a_new_rolebinding_to_cluster_admin_in_a_namespace_is_a_medium_new_component(git_repo: GitRepo) -> None:
    found = _wildcard(git_repo, {"README.md": "x\n"}, {"tenants/rbac.yaml": _binding(role="cluster-admin")})
    assert [severity for severity, _ in found] == ["medium"], found


def test_a_cluster_binding_or_kube_system_or_an_unnamed_namespace_stays_critical(git_repo: GitRepo) -> None:
    for n, (kind, namespace) in enumerate([("ClusterRoleBinding", None), ("RoleBinding", "kube-system"),
                                           ("RoleBinding", None)]):
        path = f"tenants/{n}/rbac.yaml"
        found = _wildcard(git_repo, {path: _binding(kind, namespace)}, {path: _binding(kind, namespace, "cluster-admin")})
        assert [severity for severity, _ in found] == ["critical"], (kind, namespace, found)
