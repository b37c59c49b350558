"""A Helm hook's delete policy lowers a grant only inside a chart.

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


# -- 6. a Helm hook's delete policy means nothing outside a chart --------------------------------------

HOOK_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: admission
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: [{verbs}]
"""


def test_a_hook_annotation_in_a_plain_manifest_does_not_lower_a_grant(git_repo: GitRepo) -> None:
    before = {"deploy/static/admission.yaml": HOOK_ROLE.format(verbs='"get"')}
    after = {"deploy/static/admission.yaml": HOOK_ROLE.format(verbs='"get", "create"')}
    found = _found(git_repo, before, after, "K8S-RBAC-WIDENED")
    assert _severities(found) == ["high"]
    assert "Helm hook" not in found[0]["message"]


def test_a_hook_role_in_a_chart_is_still_lowered(git_repo: GitRepo) -> None:
    chart = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
             "charts/app/values.yaml": "replicas: 1\n"}
    before = {**chart, "charts/app/templates/admission.yaml": HOOK_ROLE.format(verbs='"get"')}
    after = {"charts/app/templates/admission.yaml": HOOK_ROLE.format(verbs='"get", "create"')}
    found = _found(git_repo, before, after, "K8S-RBAC-WIDENED")
    assert _severities(found) == ["medium"]
    assert "Helm hook" in found[0]["message"]
