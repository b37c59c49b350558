"""Helm chart templates judged by their text: selector helpers and matchLabels, deleted claim
templates; and chart defaults that switch a safeguard or monitoring off."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

HELPERS = '''{{/* Common labels */}}
{{- define "app.labels" -}}
helm.sh/chart: {{ include "app.chart" . }}
{{ include "app.selectorLabels" . }}
{{- end }}

{{/* Selector labels */}}
{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
'''
DEPLOYMENT = '''{{- if .Values.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ include "app.name" . }}
      release: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ include "app.name" . }}
        release: {{ .Release.Name }}
    spec:
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
{{- end }}
'''
PVC = '''{{- if .Values.persistence.enabled }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "app.fullname" . }}
spec:
  accessModes: [ReadWriteOnce]
{{- end }}
'''
HELPERS_PATH = "charts/app/templates/_helpers.tpl"


def test_selector_helper_whose_labels_change_breaks_every_upgrade(git_repo: GitRepo) -> None:
    after = HELPERS.replace("app.kubernetes.io/instance: {{ .Release.Name }}\n",
                            "app.kubernetes.io/instance: {{ .Release.Name }}\napp.kubernetes.io/component: server\n")
    found = by_rule(risk_findings(range_analysis(git_repo, {HELPERS_PATH: HELPERS}, {HELPERS_PATH: after})), "K8S-IMMUTABLE-FIELD")
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [(HELPERS_PATH, 11, "high")]


def test_a_chart_version_in_the_selector_is_critical_and_found_on_its_line(git_repo: GitRepo) -> None:
    after = HELPERS.replace("app.kubernetes.io/instance: {{ .Release.Name }}\n",
                            "app.kubernetes.io/instance: {{ .Release.Name }}\napp.kubernetes.io/version: {{ .Chart.AppVersion }}\n")
    after = after.replace("app.kubernetes.io/name: {{ include", "app.kubernetes.io/name: {{- include")
    [finding] = by_rule(risk_findings(range_analysis(git_repo, {HELPERS_PATH: HELPERS}, {HELPERS_PATH: after})), "K8S-IMMUTABLE-FIELD")
    assert (finding["line"], finding["severity"]) == (11, "critical")


def test_common_labels_and_whitespace_trimming_are_not_selector_changes(git_repo: GitRepo) -> None:
    after = HELPERS.replace("helm.sh/chart: {{ include \"app.chart\" . }}\n",
                            "helm.sh/chart: {{ include \"app.chart\" . }}\napp.kubernetes.io/part-of: monitoring\n")
    after = after.replace("app.kubernetes.io/instance: {{ .Release.Name }}", "app.kubernetes.io/instance: {{- .Release.Name -}}")
    found = risk_findings(range_analysis(git_repo, {HELPERS_PATH: HELPERS}, {HELPERS_PATH: after}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []


def test_match_labels_of_a_deployment_template_rewired(git_repo: GitRepo) -> None:
    path = "charts/app/templates/deployment.yaml"
    after = DEPLOYMENT.replace('''      app: {{ include "app.name" . }}
      release: {{ .Release.Name }}
  template:''', '''      {{- include "app.selectorLabels" . | nindent 6 }}
  template:''')
    found = by_rule(risk_findings(range_analysis(git_repo, {path: DEPLOYMENT}, {path: after})), "K8S-IMMUTABLE-FIELD")
    assert [(f["path"], f["line"]) for f in found] == [(path, 12)]


def test_a_replicas_or_image_edit_of_a_deployment_template_is_silent(git_repo: GitRepo) -> None:
    path = "charts/app/templates/deployment.yaml"
    after = DEPLOYMENT.replace("replicas: {{ .Values.replicas }}", "replicas: {{ .Values.replicaCount }}").replace(
        "release: {{ .Release.Name }}\n    spec:", "release: {{ .Release.Name }}\n        tier: web\n    spec:")
    found = risk_findings(range_analysis(git_repo, {path: DEPLOYMENT}, {path: after}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []


def test_a_deleted_claim_template_deletes_the_data_on_upgrade(git_repo: GitRepo) -> None:
    path = "charts/app/templates/pvc.yaml"
    found = by_rule(risk_findings(range_analysis(git_repo, {path: PVC, "charts/app/README.md": "app\n"}, {path: None})), "K8S-PVC-DELETED")
    assert [(f["path"], f["side"], f["line"], f["severity"]) for f in found] == [(path, "old", 3, "high")]


def test_a_claim_template_renamed_is_not_deleted(git_repo: GitRepo) -> None:
    old, new = "charts/app/templates/pvc.yaml", "charts/app/templates/server/pvc.yaml"
    found = risk_findings(range_analysis(git_repo, {old: PVC}, {old: None, new: PVC}))
    assert by_rule(found, "K8S-PVC-DELETED") == []


def test_a_deleted_claim_template_rewritten_elsewhere_is_only_medium(git_repo: GitRepo) -> None:
    old, new = "charts/app/templates/pvc.yaml", "charts/app/templates/statefulset.yaml"
    rewritten = "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  volumeClaimTemplates:\n" + "".join(
        f"    - metadata:\n        name: data-{n}\n      kind: PersistentVolumeClaim\n" for n in range(6))
    found = by_rule(risk_findings(range_analysis(git_repo, {old: PVC}, {old: None, new: rewritten})), "K8S-PVC-DELETED")
    assert [f["severity"] for f in found] == ["medium"]


VALUES = '''rbac:
  create: true
  pspEnabled: true
serviceMonitor:
  enabled: true
exporter:
  port: 9100
'''


def test_a_folded_safeguard_flag_switched_off(git_repo: GitRepo) -> None:
    path = "charts/app/values.yaml"
    found = by_rule(risk_findings(range_analysis(git_repo, {path: VALUES}, {path: VALUES.replace("pspEnabled: true", "pspEnabled: false")})),
                    "HELM-DEFAULT-WEAKENED")
    assert [(f["line"], f["severity"]) for f in found] == [(3, "high")]


def test_monitoring_switched_off_by_default(git_repo: GitRepo) -> None:
    path = "charts/app/values.yaml"
    after = VALUES.replace("serviceMonitor:\n  enabled: true", "serviceMonitor:\n  enabled: false")
    found = by_rule(risk_findings(range_analysis(git_repo, {path: VALUES}, {path: after})), "HELM-DEFAULT-WEAKENED")
    assert [f["line"] for f in found] == [5]


def test_a_new_optional_monitor_off_by_default_is_silent(git_repo: GitRepo) -> None:
    path = "charts/app/values.yaml"
    after = VALUES + "podMonitor:\n  enabled: false\n"
    found = risk_findings(range_analysis(git_repo, {path: VALUES}, {path: after}))
    assert by_rule(found, "HELM-DEFAULT-WEAKENED") == []


CLUSTER_ROLE = '''{{- if .Values.rbac.create }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
rules:
- apiGroups:
  - ""
  resources:
  - secrets
  verbs:
  - get
  - list
{{- if .Values.extraRules }}
{{ toYaml .Values.extraRules }}
{{- end }}
{{- end }}
'''


def test_a_templated_cluster_role_gaining_secret_writes(git_repo: GitRepo) -> None:
    path = "charts/app/templates/clusterrole.yaml"
    after = CLUSTER_ROLE.replace("  - list\n", "  - list\n  - patch\n")
    found = by_rule(risk_findings(range_analysis(git_repo, {path: CLUSTER_ROLE}, {path: after})), "K8S-RBAC-WIDENED")
    assert [(f["line"], f["severity"]) for f in found] == [(16, "high")]
    assert "{{…}}" in found[0]["message"] and "TEMPLATED" not in found[0]["message"]


def test_a_templated_cluster_role_relabelled_or_narrowed_is_silent(git_repo: GitRepo) -> None:
    path = "charts/app/templates/clusterrole.yaml"
    after = CLUSTER_ROLE.replace("  - list\n", "").replace('include "app.labels"', 'include "app.commonLabels"')
    found = risk_findings(range_analysis(git_repo, {path: CLUSTER_ROLE}, {path: after}))
    assert [f for f in found if f["rule"].startswith("K8S-")] == []


def test_a_probe_deleted_from_a_statefulset_template(git_repo: GitRepo) -> None:
    path = "charts/app/templates/statefulset.yaml"
    before = DEPLOYMENT.replace("kind: Deployment", "kind: StatefulSet").replace(
        '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n',
        '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
        "          livenessProbe:\n            httpGet:\n              path: /healthz\n"
        "              port: {{ .Values.port }}\n"
        "          {{- with .Values.resources }}\n          resources:\n            {{- toYaml . | nindent 12 }}\n          {{- end }}\n")
    after = before.replace("          livenessProbe:\n            httpGet:\n              path: /healthz\n"
                           "              port: {{ .Values.port }}\n", "")
    found = by_rule(risk_findings(range_analysis(git_repo, {path: before}, {path: after})), "K8S-PROBE-REMOVED")
    assert [(f["side"], f["line"], f["severity"]) for f in found] == [("old", 23, "high")]


HOOK_JOB = '''apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "app.fullname" . }}-migrate
  annotations:
    "helm.sh/hook": pre-upgrade
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: "{{ .Values.image }}"
          args: ["migrate"]
'''


def test_a_hook_job_renamed_and_its_template_edited_is_silent(git_repo: GitRepo) -> None:
    # A hook Job is recreated by each upgrade; a templated name changed is the same object.
    path = "charts/app/templates/migrate-job.yaml"
    after = HOOK_JOB.replace('-migrate\n', '-migrate" | trunc 63 }}\n').replace('{{ include "app.fullname" . }}-migrate" | trunc 63 }}',
                                                                           '{{ printf "%s-migrate" (include "app.fullname" .) | trunc 63 }}')
    after = after.replace('args: ["migrate"]', 'args: ["migrate", "--wait"]')
    found = risk_findings(range_analysis(git_repo, {path: HOOK_JOB}, {path: after}))
    assert [f for f in found if f["rule"].startswith("K8S-")] == []


def test_a_plain_job_template_edit_is_still_immutable(git_repo: GitRepo) -> None:
    path = "charts/app/templates/job.yaml"
    before = HOOK_JOB.replace('  annotations:\n    "helm.sh/hook": pre-upgrade\n', "")
    after = before.replace('args: ["migrate"]', 'args: ["migrate", "--wait"]')
    found = by_rule(risk_findings(range_analysis(git_repo, {path: before}, {path: after})), "K8S-IMMUTABLE-FIELD")
    assert [f["line"] for f in found] == [12]


STATEFULSET = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ include "app.fullname" . }}
spec:
  serviceName: {{ include "app.fullname" . }}
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.image }}"
{{- if .Values.persistence.enabled }}
  volumeClaimTemplates:
    - metadata:
        name: storage
      spec:
        accessModes: [ReadWriteOnce]
{{- else }}
      volumes:
        - name: storage
          emptyDir: {}
{{- end }}
'''


def test_a_field_added_to_templated_volume_claim_templates(git_repo: GitRepo) -> None:
    # The else branch writes volumes at another depth: the skeleton keeps the first branch only.
    path = "charts/app/templates/statefulset.yaml"
    after = STATEFULSET.replace("        name: storage\n      spec:", "        name: storage\n"
                                "        {{- with .Values.persistence.labels }}\n        labels:\n"
                                "          {{- toYaml . | nindent 10 }}\n        {{- end }}\n      spec:")
    found = by_rule(risk_findings(range_analysis(git_repo, {path: STATEFULSET}, {path: after})), "K8S-IMMUTABLE-FIELD")
    assert [(f["line"], f["severity"]) for f in found] == [(16, "high")]


def test_an_edit_of_the_else_branch_alone_is_not_an_immutable_edit(git_repo: GitRepo) -> None:
    path = "charts/app/templates/statefulset.yaml"
    after = STATEFULSET.replace("          emptyDir: {}\n", "          emptyDir:\n            sizeLimit: 1Gi\n")
    found = risk_findings(range_analysis(git_repo, {path: STATEFULSET}, {path: after}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []
