"""K8S-RBAC-WILDCARD on a namespaced Role: every verb on every resource of one plainly named namespace is
that namespace's admin, not the cluster's. It is high (not critical) and says so, and a new Role gets the
new-component medium like any other new grant. A ClusterRole, a Role in kube-system, or a Role whose
namespace is left to the apply or templated keeps the cluster-admin reading (critical)."""

from __future__ import annotations

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.workspace import Workspace
from tests.core.risk.structure.helpers import RULES, by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: reconciler
{namespace}rules:
  - apiGroups: ['{group}']
    resources: ['{resource}']
    verbs: ['{verb}']
'''


def _role(kind: str = "Role", namespace: str | None = "shop", group: str = "apps", resource: str = "deployments",
          verb: str = "get") -> str:
    line = f"  namespace: {namespace}\n" if namespace is not None else ""
    return ROLE.format(kind=kind, namespace=line, group=group, resource=resource, verb=verb)


def _wildcard(git_repo: GitRepo, before: str, after: str) -> list[dict]:
    found = risk_findings(range_analysis(git_repo, {"deploy/rbac.yaml": before}, {"deploy/rbac.yaml": after}))
    return by_rule(found, "K8S-RBAC-WILDCARD")


def test_an_existing_role_made_admin_of_its_namespace_is_high(git_repo: GitRepo) -> None:
    [found] = _wildcard(git_repo, _role(), _role(group="*", resource="*", verb="*"))
    assert found["severity"] == "high"
    assert "a Role grants it in namespace shop only" in found["message"]


def test_a_new_role_admin_of_its_namespace_is_a_medium_new_component(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"README.md": "x\n"},
                                         {"deploy/rbac.yaml": _role(group="*", resource="*", verb="*")}))
    [wildcard] = by_rule(found, "K8S-RBAC-WILDCARD")
    assert wildcard["severity"] == "medium"


def test_a_cluster_role_or_kube_system_or_an_unnamed_namespace_stays_critical(git_repo: GitRepo) -> None:
    cases = [("ClusterRole", None), ("Role", "kube-system"), ("Role", None), ("Role", "'{{ .Release.Namespace }}'")]
    for n, (kind, namespace) in enumerate(cases):
        path = f"deploy/{n}/rbac.yaml"
        git_repo.write_files({path: _role(kind=kind, namespace=namespace)})
        git_repo.commit(f"base {n}")
        git_repo.write_files({path: _role(kind=kind, namespace=namespace, group="*", resource="*", verb="*")})
        git_repo.commit(f"wildcard {n}")
        result = analyze(load_git_range(git_repo.path, "HEAD~1..HEAD"), Workspace(git_repo.path), rules=RULES).to_dict()
        severities = [f["severity"] for f in by_rule(risk_findings(result), "K8S-RBAC-WILDCARD")]
        assert severities == ["critical"], (kind, namespace, severities)
