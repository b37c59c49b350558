"""Kubernetes and Helm classes seen on an out-of-sample draw of chart and manifest commits: a chart added
whole, a Role rendered instead of a ClusterRole, every verb on a plugin's custom resource, a read-only
host mount repointed, PodSecurityPolicy values removed with the API, and a revert restoring an env name.
Each with the case that must stay flagged."""

from __future__ import annotations

from typing import Any

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.workspace import Workspace
from tests.core.risk.structure.helpers import RULES, by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _severities(found: list[dict], rule: str) -> list[str]:
    return sorted(f["severity"] for f in by_rule(found, rule))


# -- a chart added whole ------------------------------------------------------------------------------
CHART = "apiVersion: v2\nname: exporter\nversion: 0.1.0\n"
EXPORTER_VALUES = "securityContext:\n  privileged: true\nes:\n  ssl:\n    enabled: false\n"
EXPORTER_ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: exporter
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get, list]
'''
EXPORTER_DAEMONSET = '''apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: exporter
spec:
  selector:
    matchLabels: {app: exporter}
  template:
    metadata:
      labels: {app: exporter}
    spec:
      hostNetwork: true
      containers:
        - name: exporter
          image: example/exporter:1.0
'''


def _structured_privileged(found: list[dict]) -> list[str]:
    """K8S-PRIVILEGED from the DaemonSet's structure (values.yaml's line is judged by a line rule)."""
    return [f["severity"] for f in by_rule(found, "K8S-PRIVILEGED") if f["path"].endswith("daemonset.yaml")]


def test_a_chart_added_whole_lowers_its_defaults_roles_and_host_access_to_medium(git_repo: GitRepo) -> None:
    after = {"charts/exporter/Chart.yaml": CHART, "charts/exporter/values.yaml": EXPORTER_VALUES,
             "charts/exporter/templates/clusterrole.yaml": EXPORTER_ROLE,
             "charts/exporter/templates/daemonset.yaml": EXPORTER_DAEMONSET}
    found = risk_findings(range_analysis(git_repo, {"README.md": "charts\n"}, after))
    # privileged: true is the chart's first default (medium); es.ssl.enabled: false is new and off, so no install
    # loses anything (no finding).
    assert _severities(found, "HELM-DEFAULT-WEAKENED") == ["medium"]
    assert _severities(found, "K8S-RBAC-WIDENED") == ["medium"]
    assert _structured_privileged(found) == ["medium"]
    assert "charts/exporter is new in this change" in by_rule(found, "K8S-RBAC-WIDENED")[0]["message"]


def test_the_same_files_added_to_an_existing_chart_are_new_components_its_values_are_not(git_repo: GitRepo) -> None:
    before = {"charts/exporter/Chart.yaml": CHART, "charts/exporter/values.yaml": "replicas: 1\n"}
    after = {"charts/exporter/values.yaml": "replicas: 1\n" + EXPORTER_VALUES,
             "charts/exporter/templates/clusterrole.yaml": EXPORTER_ROLE,
             "charts/exporter/templates/daemonset.yaml": EXPORTER_DAEMONSET}
    found = risk_findings(range_analysis(git_repo, before, after))
    # The existing values.yaml: privileged turned on for every install (high); a new ssl flag off keeps what they had.
    assert _severities(found, "HELM-DEFAULT-WEAKENED") == ["high"]
    # The role and the DaemonSet are in files added whole: new components, medium.
    assert _severities(found, "K8S-RBAC-WIDENED") == ["medium"]
    assert _structured_privileged(found) == ["medium"]


def test_a_new_chart_that_succeeds_a_chart_deprecated_in_the_same_change_stays_high(git_repo: GitRepo) -> None:
    before = {"charts/old/Chart.yaml": "apiVersion: v2\nname: old\nversion: 1.0.0\n"}
    after = {"charts/old/Chart.yaml": "apiVersion: v2\nname: old\nversion: 1.0.1\ndeprecated: true\n",
             "charts/exporter/Chart.yaml": CHART, "charts/exporter/values.yaml": EXPORTER_VALUES,
             "charts/exporter/templates/clusterrole.yaml": EXPORTER_ROLE}
    found = risk_findings(range_analysis(git_repo, before, after))
    assert _severities(found, "HELM-DEFAULT-WEAKENED") == ["high"]  # es.ssl.enabled: false is new and off: no finding
    assert _severities(found, "K8S-RBAC-WIDENED") == ["high"]


# -- a Role rendered where a ClusterRole was -------------------------------------------------------------
SERVER_ROLE = '''{{- if .Values.server.enabled }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-server
rules:
- apiGroups:
  - ""
  resources:
  - secrets
  verbs:
  - get
- apiGroups:
  - ""
  resources:
  - pods/exec
  verbs:
  - create
  - delete
{{- end }}
'''
SERVER_ROLE_NAMESPACED = SERVER_ROLE.replace('''kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-server
''', '''{{- if .Values.singleNamespace }}
kind: Role
metadata:
  name: {{ .Release.Name }}-server-role
{{ else }}
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-server
{{- end }}
''')


def test_a_role_rendered_instead_of_the_cluster_role_with_the_same_rules_is_not_a_widening(git_repo: GitRepo) -> None:
    path = "charts/app/templates/server-role.yaml"
    found = risk_findings(range_analysis(git_repo, {"charts/app/Chart.yaml": CHART, path: SERVER_ROLE},
                                         {path: SERVER_ROLE_NAMESPACED}))
    assert by_rule(found, "K8S-RBAC-WIDENED") == []


def test_a_role_that_grants_more_than_the_cluster_role_it_replaces_is_still_flagged(git_repo: GitRepo) -> None:
    path = "charts/app/templates/server-role.yaml"
    wider = SERVER_ROLE_NAMESPACED.replace("  verbs:\n  - get\n", "  verbs:\n  - get\n  - list\n", 1)
    found = risk_findings(range_analysis(git_repo, {"charts/app/Chart.yaml": CHART, path: SERVER_ROLE}, {path: wider}))
    assert [(f["severity"], "list" in f["message"]) for f in by_rule(found, "K8S-RBAC-WIDENED")] == [("high", True)]


def test_a_cluster_role_file_renamed_to_a_role_keeps_its_grants(git_repo: GitRepo) -> None:
    plain = SERVER_ROLE.replace("{{- if .Values.server.enabled }}\n", "").replace("{{- end }}\n", "") \
        .replace("{{ .Release.Name }}-server", "server")
    # The rename rewrites the rule lines too (quoted verbs), as a rewrite for a namespaced mode does.
    role = plain.replace("kind: ClusterRole", "kind: Role").replace("  - get\n", '  - "get"\n')
    found = risk_findings(range_analysis(git_repo, {"k8s/clusterrole.yaml": plain},
                                         {"k8s/clusterrole.yaml": None, "k8s/role.yaml": role}))
    assert by_rule(found, "K8S-RBAC-WIDENED") == []


# -- every verb on a plugin's custom resource ---------------------------------------------------------
CONTROLLER_ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: rollouts
rules:
  - apiGroups: [argoproj.io]
    resources: [rollouts]
    verbs: [get, list, watch, update, patch, delete, deletecollection]
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get]
'''
GLOO_RULE = '''  - apiGroups:
      - networking.gloo.solo.io
    resources:
      - routetables
    verbs:
      - '*'
'''


def test_every_verb_on_a_custom_resource_new_to_the_role_is_medium(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"k8s/role.yaml": CONTROLLER_ROLE},
                                         {"k8s/role.yaml": CONTROLLER_ROLE + GLOO_RULE}))
    assert _severities(found, "K8S-RBAC-WILDCARD") == ["medium"]


def test_every_verb_on_kubernetes_resources_or_on_every_resource_stays_critical(git_repo: GitRepo) -> None:
    for index, (group, resource) in enumerate((("apps", "deployments"), ("networking.gloo.solo.io", "'*'"),
                                               ("'*'", "routetables"), ("example.io", "secrets"))):
        rule = GLOO_RULE.replace("networking.gloo.solo.io", group).replace("routetables", resource)
        path = f"k8s/role{index}.yaml"
        found = risk_findings(range_analysis(git_repo, {path: CONTROLLER_ROLE}, {path: CONTROLLER_ROLE + rule}))
        assert _severities(found, "K8S-RBAC-WILDCARD") == ["critical"], (group, resource)


def test_deletecollection_extended_to_a_sibling_custom_resource_is_medium(git_repo: GitRepo) -> None:
    after = CONTROLLER_ROLE.replace("resources: [rollouts]", "resources: [rollouts, experiments]")
    found = risk_findings(range_analysis(git_repo, {"k8s/role.yaml": CONTROLLER_ROLE}, {"k8s/role.yaml": after}))
    assert _severities(found, "K8S-RBAC-WIDENED") == ["medium"]
    # A role that had no deletecollection in that group before still gets a high finding.
    before = CONTROLLER_ROLE.replace(", deletecollection]", "]")
    found = risk_findings(range_analysis(git_repo, {"k8s/other.yaml": before}, {"k8s/other.yaml": CONTROLLER_ROLE}))
    assert _severities(found, "K8S-RBAC-WIDENED") == ["high"]


# -- a read-only host mount repointed ----------------------------------------------------------------
NODE_EXPORTER = '''apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
spec:
  selector:
    matchLabels: {app: node-exporter}
  template:
    metadata:
      labels: {app: node-exporter}
    spec:
      containers:
        - name: node-exporter
          image: example/node-exporter:1.0
          volumeMounts:
            - name: root
              mountPath: /host/root
              readOnly: true
      volumes:
        - hostPath:
            path: /root
          name: root
'''


def test_a_read_only_host_volume_repointed_is_medium(git_repo: GitRepo) -> None:
    after = NODE_EXPORTER.replace("path: /root", "path: /")
    found = risk_findings(range_analysis(git_repo, {"k8s/ds.yaml": NODE_EXPORTER}, {"k8s/ds.yaml": after}))
    assert _severities(found, "K8S-PRIVILEGED") == ["medium"]
    assert "already mounted the node's /root read-only" in by_rule(found, "K8S-PRIVILEGED")[0]["message"]


def test_a_host_volume_repointed_and_made_writable_stays_high(git_repo: GitRepo) -> None:
    after = NODE_EXPORTER.replace("path: /root", "path: /").replace("              readOnly: true\n", "")
    found = risk_findings(range_analysis(git_repo, {"k8s/ds.yaml": NODE_EXPORTER}, {"k8s/ds.yaml": after}))
    assert _severities(found, "K8S-PRIVILEGED") == ["high"]


# -- PodSecurityPolicy values removed with the API ----------------------------------------------------
PSP_VALUES = "rbac:\n  create: true\n  # Specifies whether a PodSecurityPolicy should be created\n  pspEnabled: false\nreplicas: 1\n"
PSP_TEMPLATE = '''{{- if .Values.rbac.pspEnabled }}
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: {{ .Release.Name }}
spec:
  privileged: false
{{- end }}
'''
ROLE_WITH_PSP = '''{{- if .Values.rbac.create }}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ .Release.Name }}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get]
{{- if .Values.rbac.pspEnabled }}
  - apiGroups: [policy]
    resources: [podsecuritypolicies]
    verbs: [use]
{{- end }}
{{- end }}
'''


def _psp_chart(values: str, role: str, psp: str | None) -> dict[str, str | None]:
    return {"charts/exporter/values.yaml": values, "charts/exporter/templates/role.yaml": role,
            "charts/exporter/templates/podsecuritypolicy.yaml": psp}


def test_a_pod_security_policy_value_removed_with_its_templates_is_low(git_repo: GitRepo) -> None:
    role_without = ROLE_WITH_PSP.replace(ROLE_WITH_PSP[ROLE_WITH_PSP.index("{{- if .Values.rbac.pspEnabled }}"):
                                                       ROLE_WITH_PSP.rindex("{{- end }}")], "")
    before = {"charts/exporter/Chart.yaml": CHART, **_psp_chart(PSP_VALUES, ROLE_WITH_PSP, PSP_TEMPLATE)}
    after = _psp_chart(PSP_VALUES.replace("  # Specifies whether a PodSecurityPolicy should be created\n  pspEnabled: false\n", ""),
                       role_without, None)
    found = risk_findings(range_analysis(git_repo, before, after))
    assert _severities(found, "HELM-VALUES-BREAKING") == ["low"]
    assert "removed from Kubernetes in 1.25" in by_rule(found, "HELM-VALUES-BREAKING")[0]["message"]


def test_a_security_value_removed_while_its_templates_stay_is_still_high(git_repo: GitRepo) -> None:
    values = PSP_VALUES + "podSecurityContext:\n  runAsNonRoot: true\n"
    deployment = "spec:\n  securityContext: {{ toYaml .Values.podSecurityContext | nindent 4 }}\n"
    before = {"charts/exporter/Chart.yaml": CHART, **_psp_chart(values, ROLE_WITH_PSP, PSP_TEMPLATE),
              "charts/exporter/templates/deployment.yaml": deployment}
    after = {"charts/exporter/values.yaml": PSP_VALUES, "charts/exporter/templates/deployment.yaml": "spec: {}\n"}
    found = risk_findings(range_analysis(git_repo, before, after))
    assert _severities(found, "HELM-VALUES-BREAKING") == ["high"]


# -- a revert that restores an environment variable's name --------------------------------------------
SERVER = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-server
spec:
  selector:
    matchLabels: {app: server}
  template:
    metadata:
      labels: {app: server}
    spec:
      containers:
        - name: server
          image: "{{ .Values.server.image.repository }}:{{ .Values.server.image.tag }}"
          env:
            - name: BASE_HREF
              value: {{ .Values.server.baseHref | quote }}
'''


def _analyse_head(repo: GitRepo) -> dict[str, Any]:
    change = load_git_range(repo.path, "HEAD~1..HEAD")
    return analyze(change, Workspace(repo.path), rules=RULES).to_dict()


def test_a_revert_that_restores_the_name_its_reverted_commit_renamed_is_medium(git_repo: GitRepo) -> None:
    path = "charts/app/templates/server.yaml"
    git_repo.write_files({"charts/app/Chart.yaml": CHART, path: SERVER})
    git_repo.commit("server")
    git_repo.write_files({path: SERVER.replace("BASE_HREF", "ARGO_BASE_HREF")})
    renamed = git_repo.commit("rename the base href variable")
    found = risk_findings(_analyse_head(git_repo))
    assert _severities(found, "K8S-ENV-RENAMED") == ["high"]  # the rename itself stays high
    git_repo.write_files({path: SERVER})
    git_repo.commit(f'Revert "rename the base href variable"\n\nThis reverts commit {renamed}.\n')
    found = risk_findings(_analyse_head(git_repo))
    assert _severities(found, "K8S-ENV-RENAMED") == ["medium"]
    assert f"reverts {renamed[:12]}" in by_rule(found, "K8S-ENV-RENAMED")[0]["message"]


def test_a_message_that_claims_a_revert_of_an_unrelated_commit_changes_nothing(git_repo: GitRepo) -> None:
    path = "charts/app/templates/server.yaml"
    git_repo.write_files({"charts/app/Chart.yaml": CHART, path: SERVER})
    unrelated = git_repo.commit("server")
    git_repo.write_files({path: SERVER.replace("BASE_HREF", "ARGO_BASE_HREF")})
    git_repo.commit(f"rename the base href variable\n\nThis reverts commit {unrelated}.\n")
    found = risk_findings(_analyse_head(git_repo))
    assert _severities(found, "K8S-ENV-RENAMED") == ["high"]
