"""Kubernetes manifests and chart templates: hazards and false alarms seen on real chart and manifest history.

Each test is a class of change: an all-powerful role's guard rewritten, a monitoring role losing what it
scrapes with, a scrape annotation dropped, an environment variable renamed under the same image; and the
false alarms: objects moved between files, allow-all policies, sample image build numbers,
templated host paths, fields made overridable with their old value as default.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

WILDCARD_ROLE = '''{{- if and .Values.repoServer.serviceAccount.create .Values.repoServer.clusterAdminAccess.enabled }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ include "app.repoServer.fullname" . }}
rules:
  {{- if .Values.repoServer.clusterRoleRules.enabled }}
    {{- toYaml .Values.repoServer.clusterRoleRules.rules | nindent 2 }}
  {{- else }}
  - apiGroups:
    - '*'
    resources:
    - '*'
    verbs:
    - '*'
  {{- end }}
{{- end }}
'''
ROLE_PATH = "charts/app/templates/repo-server/clusterrole.yaml"


def test_the_guard_of_a_wildcard_cluster_role_rewritten_is_reported_on_the_guard(git_repo: GitRepo) -> None:
    after = WILDCARD_ROLE.replace(
        "{{- if and .Values.repoServer.serviceAccount.create .Values.repoServer.clusterAdminAccess.enabled }}\n",
        '{{- $config := .Values.repoServer.clusterAdminAccess | default dict -}}\n'
        '{{- if hasKey $config "enabled" | ternary $config.enabled .Values.createClusterRoles }}\n')
    found = by_rule(risk_findings(range_analysis(git_repo, {ROLE_PATH: WILDCARD_ROLE}, {ROLE_PATH: after})), "K8S-RBAC-WILDCARD")
    assert [(f["path"], f["side"], f["line"], f["severity"]) for f in found] == [(ROLE_PATH, "new", 2, "high")]
    assert "createClusterRoles" in found[0]["message"]


def test_a_guard_only_narrowed_or_a_plain_role_guard_changed_is_not_reported(git_repo: GitRepo) -> None:
    narrowed = WILDCARD_ROLE.replace("{{- if and .Values", "{{- if and .Values.rbac.create (and .Values", 1).replace(
        "clusterAdminAccess.enabled }}", "clusterAdminAccess.enabled) }}", 1)
    plain = WILDCARD_ROLE.replace("- '*'\n    verbs:", "- pods\n    verbs:").replace("verbs:\n    - '*'", "verbs:\n    - get")
    plain_after = plain.replace("{{- if and .Values.repoServer.serviceAccount.create", "{{- if or .Values.repoServer.serviceAccount.create")
    other = "charts/app/templates/server/clusterrole.yaml"
    found = risk_findings(range_analysis(git_repo, {ROLE_PATH: WILDCARD_ROLE, other: plain}, {ROLE_PATH: narrowed, other: plain_after}))
    assert by_rule(found, "K8S-RBAC-WILDCARD") == []


def test_a_variable_the_guard_does_not_test_is_not_part_of_it(git_repo: GitRepo) -> None:
    before = '{{- $name := include "app.fullname" . -}}\n' + WILDCARD_ROLE
    after = '{{- $name := include "app.repoServer.fullname" . -}}\n' + WILDCARD_ROLE
    found = risk_findings(range_analysis(git_repo, {ROLE_PATH: before}, {ROLE_PATH: after}))
    assert by_rule(found, "K8S-RBAC-WILDCARD") == []


MONITORING_ROLE = '''{{- if .Values.rbac.create -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ template "prometheus.server.fullname" . }}
rules:
  - apiGroups:
      - ""
    resources:
      - nodes
      - nodes/proxy
      - nodes/metrics
      - services
      - endpoints
      - pods
    verbs:
      - get
      - list
      - watch
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list, watch]
{{- end }}
'''
MONITORING_PATH = "charts/prometheus/templates/clusterrole.yaml"


def test_a_monitoring_role_losing_a_scrape_path_alone_is_high_on_the_removed_line(git_repo: GitRepo) -> None:
    after = MONITORING_ROLE.replace("      - nodes/proxy\n", "")
    found = risk_findings(range_analysis(git_repo, {MONITORING_PATH: MONITORING_ROLE, "charts/prometheus/Chart.yaml": "version: 1.0.0\n"},
                                         {MONITORING_PATH: after, "charts/prometheus/Chart.yaml": "version: 1.0.1\n"}))
    [finding] = by_rule(found, "K8S-RBAC-NARROWED")
    assert (finding["side"], finding["line"], finding["severity"]) == ("old", 11, "high")
    assert "nodes/proxy" in finding["message"]


def test_a_monitoring_role_narrowed_with_its_scrape_configs_is_medium_and_other_losses_are_silent(git_repo: GitRepo) -> None:
    values = "charts/prometheus/values.yaml"
    after = MONITORING_ROLE.replace("      - nodes/proxy\n", "").replace("resources: [configmaps]", "resources: [secrets]")
    found = by_rule(risk_findings(range_analysis(git_repo, {MONITORING_PATH: MONITORING_ROLE, values: "scrape: proxy\n"},
                                                 {MONITORING_PATH: after, values: "scrape: direct\n"})), "K8S-RBAC-NARROWED")
    assert [(f["line"], f["severity"]) for f in found] == [(11, "medium")]  # configmaps lost: not a scrape path


def test_a_controller_role_losing_pods_is_not_a_monitoring_loss(git_repo: GitRepo) -> None:
    path = "charts/app/templates/controller/clusterrole.yaml"
    after = MONITORING_ROLE.replace("      - pods\n", "")
    found = risk_findings(range_analysis(git_repo, {path: MONITORING_ROLE.replace("prometheus.server", "app.controller")},
                                         {path: after.replace("prometheus.server", "app.controller")}))
    assert by_rule(found, "K8S-RBAC-NARROWED") == []


SERVICE_TEMPLATE = '''apiVersion: v1
kind: Service
metadata:
  name: {{ include "node-exporter.fullname" . }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  ports:
    - port: 9100
'''


def test_a_template_that_unsets_the_scrape_annotation_is_reported_on_that_line(git_repo: GitRepo) -> None:
    path = "charts/node-exporter/templates/service.yaml"
    after = SERVICE_TEMPLATE.replace('''  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}''', '''  {{- if .Values.prometheus.monitor.enabled }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- unset . "prometheus.io/scrape" | toYaml | nindent 4 }}
  {{- end }}
  {{- else }}
  annotations:
    prometheus.io/scrape: "true"
  {{- end }}''')
    [finding] = by_rule(risk_findings(range_analysis(git_repo, {path: SERVICE_TEMPLATE}, {path: after})), "K8S-MONITORING-DROPPED")
    assert (finding["side"], finding["line"], finding["severity"]) == ("new", 8, "high")


SERVICE = '''apiVersion: v1
kind: Service
metadata:
  name: node-exporter
  annotations:
    prometheus.io/scrape: "true"
    prometheus.io/port: "9100"
spec:
  ports:
    - port: 9100
'''


def test_a_scrape_annotation_removed_from_a_manifest_and_one_moved_to_values(git_repo: GitRepo) -> None:
    path = "deploy/node-exporter-service.yaml"
    after = SERVICE.replace('    prometheus.io/scrape: "true"\n', "")
    [finding] = by_rule(risk_findings(range_analysis(git_repo, {path: SERVICE}, {path: after})), "K8S-MONITORING-DROPPED")
    assert (finding["side"], finding["line"], finding["severity"]) == ("old", 6, "high")


def test_a_scrape_annotation_moved_to_values_is_not_dropped(git_repo: GitRepo) -> None:
    path = "deploy/node-exporter-service.yaml"
    after = SERVICE.replace('    prometheus.io/scrape: "true"\n', "")
    found = risk_findings(range_analysis(git_repo, {path: SERVICE, "deploy/values.yaml": "service: {}\n"},
                                         {path: after, "deploy/values.yaml": 'service:\n  annotations:\n    prometheus.io/scrape: "true"\n'}))
    assert by_rule(found, "K8S-MONITORING-DROPPED") == []


DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: server
spec:
  selector:
    matchLabels:
      app: server
  template:
    metadata:
      labels:
        app: server
    spec:
      containers:
        - name: server
          image: example/server:v3.5.7
          env:
            - name: NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: BASE_HREF
              value: "/argo/"
'''


def test_an_environment_variable_renamed_under_the_same_image_is_reported(git_repo: GitRepo) -> None:
    path, chart = "deploy/server.yaml", "charts/server/templates/deployment.yaml"
    template = "{{- if .Values.enabled }}\n" + DEPLOYMENT.replace("example/server:v3.5.7", '"{{ .Values.image }}:{{ .Values.tag }}"') + "{{- end }}\n"
    found = by_rule(risk_findings(range_analysis(git_repo, {path: DEPLOYMENT, chart: template},
                                                 {path: DEPLOYMENT.replace("- name: BASE_HREF", "- name: ARGO_BASE_HREF"),
                                                  chart: template.replace("- name: BASE_HREF", "- name: ARGO_BASE_HREF")})), "K8S-ENV-RENAMED")
    # In a chart the image tag is each install's choice: high. Pinned in the manifest: medium.
    assert sorted((f["path"], f["side"], f["line"], f["severity"]) for f in found) == [
        (chart, "new", 23, "high"), (path, "new", 22, "medium")]
    assert "BASE_HREF is renamed ARGO_BASE_HREF" in found[0]["message"]


def test_a_rename_with_a_new_image_or_another_value_is_not_reported(git_repo: GitRepo) -> None:
    path, other = "deploy/server.yaml", "deploy/worker.yaml"
    renamed_with_image = DEPLOYMENT.replace("- name: BASE_HREF", "- name: ARGO_BASE_HREF").replace("v3.5.7", "v3.6.0")
    worker = DEPLOYMENT.replace("name: server", "name: worker")
    replaced = worker.replace("- name: BASE_HREF\n              value: \"/argo/\"", "- name: LOG_LEVEL\n              value: info")
    found = risk_findings(range_analysis(git_repo, {path: DEPLOYMENT, other: worker}, {path: renamed_with_image, other: replaced}))
    assert by_rule(found, "K8S-ENV-RENAMED") == []


DAEMONSET = '''apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      hostPID: true
      containers:
        - name: agent
          image: example/agent:1.0
          securityContext:
            privileged: true
'''


def test_a_privileged_pod_rewritten_as_a_controller_in_another_file_is_low(git_repo: GitRepo) -> None:
    pod = '''apiVersion: v1
kind: Pod
metadata:
  name: nfs-server
spec:
  containers:
    - name: nfs-server
      image: example/nfs:1
      securityContext:
        privileged: true
'''
    controller = DAEMONSET.replace("kind: DaemonSet", "kind: ReplicationController").replace("      hostPID: true\n", "")
    found = by_rule(risk_findings(range_analysis(git_repo, {"nfs/server-pod.yaml": pod},
                                                 {"nfs/server-pod.yaml": None, "nfs/server-rc.yaml": controller})), "K8S-PRIVILEGED")
    assert [(f["line"], f["severity"]) for f in found] == [(18, "low")]
    assert "removed elsewhere in the change" in found[0]["message"]


POLICY = '''apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: adapter
  namespace: monitoring
spec:
  podSelector:
    matchLabels:
      app: adapter
  policyTypes: [Ingress, Egress]
  egress:
    - {}
  ingress:
    - {}
'''


def test_an_allow_all_ingress_policy_cuts_no_client_off(git_repo: GitRepo) -> None:
    narrow = POLICY.replace("  ingress:\n    - {}\n", "  ingress:\n    - from:\n        - podSelector:\n            matchLabels:\n              app: api\n")
    found = risk_findings(range_analysis(git_repo, {"README.md": "x\n"}, {"deploy/open.yaml": POLICY, "deploy/narrow.yaml": narrow.replace("adapter", "db")}))
    assert [f["path"] for f in by_rule(found, "K8S-NETWORK-POLICY-ADDED")] == ["deploy/narrow.yaml"]


STATEFULSET = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cassandra
spec:
  serviceName: cassandra
  selector:
    matchLabels:
      app: cassandra
  template:
    metadata:
      labels:
        app: cassandra
    spec:
      containers:
        - name: cassandra
          image: gcr.io/google-samples/cassandra:v12
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
'''


def test_a_sample_image_build_number_is_not_a_data_store_major_version(git_repo: GitRepo) -> None:
    mysql = STATEFULSET.replace("cassandra", "mysql").replace("gcr.io/google-samples/mysql:v12", "mysql:5.6")
    found = risk_findings(range_analysis(git_repo, {"db/cassandra.yaml": STATEFULSET, "db/mysql.yaml": mysql},
                                         {"db/cassandra.yaml": STATEFULSET.replace(":v12", ":v13"),
                                          "db/mysql.yaml": mysql.replace("mysql:5.6", "mysql:8.0")}))
    assert [f["path"] for f in by_rule(found, "K8S-DATASTORE-MAJOR-UPGRADE")] == ["db/mysql.yaml"]


def test_a_claim_template_name_made_overridable_with_the_same_default_renders_the_same(git_repo: GitRepo) -> None:
    path = "charts/app/templates/sts.yaml"
    before = "{{- if .Values.enabled }}\n" + STATEFULSET.replace("name: cassandra\nspec:", "name: {{ include \"app.fullname\" . }}\nspec:") \
        + "{{- end }}\n"
    same = before.replace("        name: data\n", '        name: {{ default "data" .Values.persistence.nameOverride }}\n')
    renamed = before.replace("        name: data\n", "        name: {{ .Values.persistence.name }}\n")
    assert by_rule(risk_findings(range_analysis(git_repo, {path: before}, {path: same})), "K8S-IMMUTABLE-FIELD") == []
    found = by_rule(risk_findings(range_analysis(git_repo, {path: same}, {path: renamed})), "K8S-IMMUTABLE-FIELD")
    assert [f["severity"] for f in found] == ["high"]


def test_a_host_path_taken_from_a_chart_value_is_medium(git_repo: GitRepo) -> None:
    path = "charts/app/templates/job.yaml"
    before = '''apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "app.fullname" . }}-install
  annotations:
    "helm.sh/hook": pre-install
spec:
  template:
    spec:
      {{- if .Values.install.hostPath }}
      volumes:
        - name: crds
          emptyDir: {}
      {{- end }}
      containers:
        - name: apply
          image: "{{ .Values.image }}"
'''
    after = before.replace("          emptyDir: {}\n", "          hostPath:\n            path: {{ .Values.install.hostPath }}\n")
    found = by_rule(risk_findings(range_analysis(git_repo, {path: before}, {path: after})), "K8S-PRIVILEGED")
    assert [f["severity"] for f in found] == ["medium"]
    assert "chart value" in found[0]["message"]


def test_a_variable_kept_in_another_template_branch_is_not_renamed(git_repo: GitRepo) -> None:
    path = "charts/exporter/templates/deployment.yaml"
    before = '''{{- if .Values.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "exporter.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: exporter
          image: "{{ .Values.image }}"
          env:
          - name: DATA_SOURCE_PASS
            valueFrom:
              secretKeyRef:
                name: {{ include "exporter.fullname" . }}
                key: data_source_password
{{- end }}
'''
    after = before.replace('''          env:
''', '''          env:
          {{- if .Values.datasourceSecret }}
          - name: DATA_SOURCE_NAME
            valueFrom:
              secretKeyRef:
                name: {{ .Values.datasourceSecret.name }}
                key: {{ .Values.datasourceSecret.key }}
          {{- else }}
''').replace("key: data_source_password\n", "key: data_source_password\n          {{- end }}\n")
    found = risk_findings(range_analysis(git_repo, {path: before}, {path: after}))
    assert by_rule(found, "K8S-ENV-RENAMED") == []


HOOK_ROLE = '''{{- if .Values.crds.install }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ include "app.fullname" . }}-crd-install
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
rules:
  - apiGroups: ["apiextensions.k8s.io"]
    resources: ["customresourcedefinitions"]
    verbs: ["get", "list"]
{{- end }}
'''


def test_a_hook_role_deleted_once_its_hook_succeeds_is_medium_and_a_kept_role_high(git_repo: GitRepo) -> None:
    hook, kept = "charts/app/templates/crd-install.yaml", "charts/app/templates/controller-role.yaml"
    kept_role = HOOK_ROLE.replace("before-hook-creation,hook-succeeded", "before-hook-creation")
    grow = '["create", "get", "list"]'
    found = by_rule(risk_findings(range_analysis(git_repo, {hook: HOOK_ROLE, kept: kept_role},
                                                 {hook: HOOK_ROLE.replace('["get", "list"]', grow),
                                                  kept: kept_role.replace('["get", "list"]', grow)})), "K8S-RBAC-WIDENED")
    assert sorted((f["path"], f["severity"]) for f in found) == [(kept, "high"), (hook, "medium")]
    assert "Helm hook" in next(f for f in found if f["path"] == hook)["message"]
