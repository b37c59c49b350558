"""The same resources granted under the API group they moved to (extensions to apps, networking.k8s.io, policy).

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


BINDING = """---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: operator
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: operator
subjects:
- kind: ServiceAccount
  name: operator
  namespace: system
"""


# -- 2. the same resources under the API group they moved to ----------------------------------------

MOVED = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: controller
rules:
- apiGroups: [{groups}]
  resources: ["ingresses", "ingresses/status", "deployments"]
  verbs: [{verbs}]
"""


def test_existing_wildcard_rules_gaining_the_groups_of_an_api_move_grant_nothing_new(git_repo: GitRepo) -> None:
    before = {"deploy/rbac.yaml": MOVED.format(groups='"extensions"', verbs='"*"') + BINDING}
    after = {"deploy/rbac.yaml": MOVED.format(groups='"extensions", "networking.k8s.io", "apps"', verbs='"*"') + BINDING}
    found = risk_findings(range_analysis(git_repo, before, after))
    assert by_rule(found, "K8S-RBAC-WILDCARD") == [] and by_rule(found, "K8S-RBAC-WIDENED") == []


def test_a_wildcard_under_the_new_group_where_the_old_one_only_read_stays_critical(git_repo: GitRepo) -> None:
    before = {"deploy/rbac.yaml": MOVED.format(groups='"extensions"', verbs='"get"') + BINDING}
    after = {"deploy/rbac.yaml": MOVED.format(groups='"extensions"', verbs='"get"')
             + '- apiGroups: ["networking.k8s.io"]\n  resources: ["ingresses"]\n  verbs: ["*"]\n' + BINDING}
    found = _found(git_repo, before, after, "K8S-RBAC-WILDCARD")
    assert found and found[0]["severity"] in ("high", "critical")
