"""`patch` added where the role could already `update` the same resources (or the other way round).

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


ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: operator
rules:
- apiGroups:
  - admissionregistration.k8s.io
  resources:
  - mutatingwebhookconfigurations
  verbs:
  - get
  - list
{verbs}
"""
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


# -- 1. patch beside update -------------------------------------------------------------------------

def test_patch_added_where_the_role_could_already_update_is_low(git_repo: GitRepo) -> None:
    before = {"deploy/rbac.yaml": ROLE.format(verbs="  - update") + BINDING}
    after = {"deploy/rbac.yaml": ROLE.format(verbs="  - patch\n  - update") + BINDING}
    found = _found(git_repo, before, after, "K8S-RBAC-WIDENED")
    assert _severities(found) == ["low"]
    assert "which it could already `update`" in found[0]["message"]


def test_patch_added_where_the_role_could_only_read_stays_high(git_repo: GitRepo) -> None:
    before = {"deploy/rbac.yaml": ROLE.format(verbs="  - watch") + BINDING}
    after = {"deploy/rbac.yaml": ROLE.format(verbs="  - patch\n  - watch") + BINDING}
    assert _severities(_found(git_repo, before, after, "K8S-RBAC-WIDENED")) == ["high"]
