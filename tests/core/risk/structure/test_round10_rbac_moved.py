"""Round 10: RBAC grants judged against what the same subjects already held, each class on a real git repository.

* A grant the same role already held under a wider grant (``*`` on secrets, then get/list/watch) is no
  new grant: no "can now read secrets" finding describing a narrowing.
* A grant moved from one role to another bound to the same subjects (a ClusterRole bound cluster-wide covers a
  namespaced Role) is medium, naming the role that held it; moved to a role bound to another subject, or to a
  role whose bindings cannot be read, it keeps its severity (fail closed).
* A role's full list of standard verbs on a resource collapsed to ``*`` adds only deletecollection: medium, said so.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _role(kind: str, name: str, rules: str, namespace: str | None = "ops") -> str:
    where = f"\n  namespace: {namespace}" if namespace and kind == "Role" else ""
    return f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name}{where}\nrules:\n{rules}"


def _rule(group: str, resource: str, *verbs: str) -> str:
    listed = "".join(f"      - \"{verb}\"\n" for verb in verbs)
    return f"  - apiGroups:\n      - \"{group}\"\n    resources:\n      - {resource}\n    verbs:\n{listed}"


def _binding(kind: str, role_kind: str, role: str, account: str) -> str:
    where = "\n  namespace: ops" if kind == "RoleBinding" else ""
    return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {role}{where}\n"
            f"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {role_kind}\n  name: {role}\n"
            f"subjects:\n  - kind: ServiceAccount\n    name: {account}\n    namespace: ops\n")


def _rbac(found: list[dict]) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["severity"], f["message"]) for f in by_rule(found, "K8S-RBAC-WIDENED") + by_rule(found, "K8S-RBAC-WILDCARD")]


def test_a_grant_covered_by_a_wider_grant_of_the_same_role_is_not_new(git_repo: GitRepo) -> None:
    before = {"deploy/role.yaml": _role("ClusterRole", "op", _rule("", "secrets", "*"))}
    after = {"deploy/role.yaml": _role("ClusterRole", "op", _rule("", "secrets", "get", "list", "watch"))}
    found = _rbac(risk_findings(range_analysis(git_repo, before, after)))
    assert not [f for f in found if "secrets" in f[2]], found


LEASES = _rule("coordination.k8s.io", "leases", "*")
CONFIGMAPS = _rule("", "configmaps", "get")


def _moved(git_repo: GitRepo, role_account: str, role_binding: bool = True) -> list[tuple[str, str, str]]:
    before = {
        "deploy/clusterrole.yaml": _role("ClusterRole", "op", _rule("", "pods", "get") + LEASES),
        "deploy/clusterrolebinding.yaml": _binding("ClusterRoleBinding", "ClusterRole", "op", "op"),
        "deploy/role.yaml": _role("Role", "op-local", CONFIGMAPS),
    }
    if role_binding:
        before["deploy/rolebinding.yaml"] = _binding("RoleBinding", "Role", "op-local", role_account)
    after = {
        "deploy/clusterrole.yaml": _role("ClusterRole", "op", _rule("", "pods", "get")),
        "deploy/role.yaml": _role("Role", "op-local", CONFIGMAPS + LEASES),
    }
    return _rbac(risk_findings(range_analysis(git_repo, before, after)))


def test_a_wildcard_moved_to_a_role_bound_to_the_same_subject_is_medium(git_repo: GitRepo) -> None:
    found = _moved(git_repo, "op")
    assert [(rule, severity) for rule, severity, _ in found] == [("K8S-RBAC-WILDCARD", "medium")], found
    assert "ClusterRole op (deploy/clusterrole.yaml), bound to the same subjects, already held this grant" in found[0][2]


def test_a_wildcard_moved_to_a_role_bound_to_another_subject_stays_critical(git_repo: GitRepo) -> None:
    found = _moved(git_repo, "webhooks")
    assert [(rule, severity) for rule, severity, _ in found] == [("K8S-RBAC-WILDCARD", "critical")], found
    assert "already held" not in found[0][2]


def test_a_wildcard_moved_to_a_role_without_a_readable_binding_stays_critical(git_repo: GitRepo) -> None:
    found = _moved(git_repo, "op", role_binding=False)
    assert [(rule, severity) for rule, severity, _ in found] == [("K8S-RBAC-WILDCARD", "critical")], found


ALL_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")


def test_every_standard_verb_collapsed_to_a_wildcard_adds_only_deletecollection(git_repo: GitRepo) -> None:
    before = {"deploy/role.yaml": _role("Role", "op", _rule("", "configmaps", *ALL_VERBS))}
    after = {"deploy/role.yaml": _role("Role", "op", _rule("", "configmaps", "*"))}
    found = _rbac(risk_findings(range_analysis(git_repo, before, after)))
    assert [(rule, severity) for rule, severity, _ in found] == [("K8S-RBAC-WILDCARD", "medium")], found
    assert "adds only deletecollection" in found[0][2]


def test_a_wildcard_over_some_of_the_verbs_stays_critical(git_repo: GitRepo) -> None:
    before = {"deploy/role.yaml": _role("Role", "op", _rule("", "configmaps", "get", "list", "watch"))}
    after = {"deploy/role.yaml": _role("Role", "op", _rule("", "configmaps", "*"))}
    found = _rbac(risk_findings(range_analysis(git_repo, before, after)))
    assert [(rule, severity) for rule, severity, _ in found] == [("K8S-RBAC-WILDCARD", "critical")], found


def test_collapsed_verbs_on_roles_keep_their_severity(git_repo: GitRepo) -> None:
    # `*` on roles adds escalate and bind, not only deletecollection.
    group = "rbac.authorization.k8s.io"
    before = {"deploy/role.yaml": _role("Role", "op", _rule(group, "roles", *ALL_VERBS))}
    after = {"deploy/role.yaml": _role("Role", "op", _rule(group, "roles", "*"))}
    found = _rbac(risk_findings(range_analysis(git_repo, before, after)))
    assert found and all(severity in ("high", "critical") for _, severity, _ in found), found
