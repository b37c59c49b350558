"""Kubernetes and Helm findings that name a change no existing install gets: a container renamed keeps its
settings, a wildcard on the finalizers subresource is not cluster-admin, values the API server fills in
anyway change no stored claim template, an old template that never rendered as YAML under a setting has no
install to break, a selector helper gaining an option left off by default renders the same selector, and
a removed block off by default reaches only the installs that turned it on. Each with the case that must
stay flagged."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: app\nversion: 1.0.0\n"


def _levels(found: list[dict], rule: str) -> list[str]:
    return sorted(f["severity"] for f in by_rule(found, rule))


# -- a container renamed is the same container -------------------------------------------------------------
WEB = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web-server
          image: example/web:1.0
          securityContext:
            allowPrivilegeEscalation: true
            capabilities:
              add: [NET_BIND_SERVICE]
'''


def test_a_renamed_container_keeps_its_security_context(git_repo: GitRepo) -> None:
    renamed = WEB.replace("name: web-server", "name: controller")
    found = risk_findings(range_analysis(git_repo, {"deploy/web.yaml": WEB}, {"deploy/web.yaml": renamed}))
    assert by_rule(found, "K8S-PRIVILEGED") == []


def test_a_renamed_container_that_turns_privileged_stays_high(git_repo: GitRepo) -> None:
    renamed = WEB.replace("name: web-server", "name: controller").replace(
        "            allowPrivilegeEscalation: true\n", "            allowPrivilegeEscalation: true\n            privileged: true\n")
    found = risk_findings(range_analysis(git_repo, {"deploy/web.yaml": WEB}, {"deploy/web.yaml": renamed}))
    assert _levels(found, "K8S-PRIVILEGED") == ["high"]


# -- a wildcard on the finalizers subresource -----------------------------------------------------------------
ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: rollouts
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list, watch]
'''


def test_every_verb_on_finalizers_subresources_is_medium_not_cluster_admin(git_repo: GitRepo) -> None:
    wider = ROLE + '''  - apiGroups: ["*"]
    resources: ["*/finalizers"]
    verbs: ["*"]
'''
    found = by_rule(risk_findings(range_analysis(git_repo, {"rbac/role.yaml": ROLE}, {"rbac/role.yaml": wider})),
                    "K8S-RBAC-WILDCARD")
    assert [f["severity"] for f in found] == ["medium"]
    assert "only the finalizers subresource" in found[0]["message"] and "not cluster-admin" in found[0]["message"]


def test_every_verb_on_every_resource_stays_critical(git_repo: GitRepo) -> None:
    wider = ROLE + '''  - apiGroups: ["*"]
    resources: ["*", "*/finalizers"]
    verbs: ["*"]
'''
    found = risk_findings(range_analysis(git_repo, {"rbac/role.yaml": ROLE}, {"rbac/role.yaml": wider}))
    assert _levels(found, "K8S-RBAC-WILDCARD") == ["critical"]


# -- values the API server fills in ---------------------------------------------------------------------------
STATEFUL = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: example/db:1.0
  volumeClaimTemplates:
    - metadata:
        name: storage
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 10Gi
'''


def test_claim_template_api_version_and_kind_written_out_change_nothing_stored(git_repo: GitRepo) -> None:
    spelled = STATEFUL.replace("    - metadata:\n        name: storage\n",
                               "    - apiVersion: v1\n      kind: PersistentVolumeClaim\n      metadata:\n        name: storage\n")
    found = risk_findings(range_analysis(git_repo, {"deploy/db.yaml": STATEFUL}, {"deploy/db.yaml": spelled}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []


def test_claim_template_size_changed_stays_high(git_repo: GitRepo) -> None:
    bigger = STATEFUL.replace("storage: 10Gi", "storage: 20Gi").replace(
        "    - metadata:\n", "    - apiVersion: v1\n      kind: PersistentVolumeClaim\n      metadata:\n")
    found = risk_findings(range_analysis(git_repo, {"deploy/db.yaml": STATEFUL}, {"deploy/db.yaml": bigger}))
    assert _levels(found, "K8S-IMMUTABLE-FIELD") == ["high"]


# -- an old template that did not render as YAML under a setting --------------------------------------------
TEMPO = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}
spec:
  serviceName: {{ .Release.Name }}
  selector:
    matchLabels:
      app: tempo
  template:
    metadata:
      labels:
        app: tempo
    spec:
      containers:
        - name: tempo
          image: example/tempo:1.0
  {{- if .Values.persistence.enabled }}
  volumeClaimTemplates:
    - metadata:
        name: storage
        annotations:
          {{- toYaml .Values.persistence.annotations | nindent 8 }}
      spec:
        accessModes:
          {{- toYaml .Values.persistence.accessModes | nindent 8 }}
        resources:
          requests:
            storage: {{ .Values.persistence.size | quote }}
  {{- end }}
'''
TEMPO_VALUES = "persistence:\n  enabled: false\n  accessModes:\n    - ReadWriteOnce\n  size: 10Gi\n"
TEMPO_PATH = "charts/tempo/templates/statefulset.yaml"


def _tempo(git_repo: GitRepo, after: str) -> list[dict]:
    before = {"charts/tempo/Chart.yaml": CHART, "charts/tempo/values.yaml": TEMPO_VALUES, TEMPO_PATH: TEMPO}
    return risk_findings(range_analysis(git_repo, before, {TEMPO_PATH: after}))


def test_an_indentation_fix_of_a_template_that_did_not_render_is_no_immutable_change(git_repo: GitRepo) -> None:
    fixed = TEMPO.replace("annotations:\n          {{- toYaml .Values.persistence.annotations | nindent 8 }}",
                          "annotations: {{- toYaml .Values.persistence.annotations | nindent 10 }}").replace(
        "accessModes:\n          {{- toYaml .Values.persistence.accessModes | nindent 8 }}",
        "accessModes: {{- toYaml .Values.persistence.accessModes | nindent 10 }}")
    assert by_rule(_tempo(git_repo, fixed), "K8S-IMMUTABLE-FIELD") == []


def test_a_claim_template_changed_where_the_old_one_rendered_stays_high(git_repo: GitRepo) -> None:
    rendering = TEMPO.replace("          {{- toYaml .Values.persistence.annotations | nindent 8 }}",
                              "          {{- toYaml .Values.persistence.annotations | nindent 10 }}")
    before = {"charts/tempo/Chart.yaml": CHART, "charts/tempo/values.yaml": TEMPO_VALUES, TEMPO_PATH: rendering}
    changed = rendering.replace("        accessModes:\n", "        storageClassName: fast\n        accessModes:\n")
    found = risk_findings(range_analysis(git_repo, before, {TEMPO_PATH: changed}))
    assert "high" in _levels(found, "K8S-IMMUTABLE-FIELD")


# -- a selector helper gaining an option left off by default --------------------------------------------------
HELPERS = '''{{- define "app.selectorLabels" }}
app.kubernetes.io/name: app
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
'''
WORKLOAD = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels:
      {{- include "app.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "app.selectorLabels" . | nindent 8 }}
    spec:
      containers:
        - name: app
          image: example/app:1.0
'''


def _helper_change(git_repo: GitRepo, helper: str, values: str = "replicas: 1\n") -> list[dict]:
    base = "charts/app/templates/"
    before = {"charts/app/Chart.yaml": CHART, "charts/app/values.yaml": "replicas: 1\n",
              base + "_helpers.tpl": HELPERS, base + "deployment.yaml": WORKLOAD}
    return by_rule(risk_findings(range_analysis(git_repo, before, {base + "_helpers.tpl": helper,
                                                                   "charts/app/values.yaml": values})),
                   "K8S-IMMUTABLE-FIELD")


OPT_IN_HELPER = HELPERS.replace("{{- end }}\n", "{{- if .Values.commonLabels }}\n{{ toYaml .Values.commonLabels }}\n{{- end }}\n{{- end }}\n")


def test_a_selector_helper_gaining_an_option_unset_by_default_is_medium(git_repo: GitRepo) -> None:
    found = _helper_change(git_repo, OPT_IN_HELPER)
    assert [f["severity"] for f in found] == ["medium"]
    assert "`commonLabels`, which is unset by default" in found[0]["message"]


def test_a_selector_helper_gaining_an_option_set_by_default_stays_high(git_repo: GitRepo) -> None:
    found = _helper_change(git_repo, OPT_IN_HELPER, "replicas: 1\ncommonLabels:\n  team: core\n")
    assert [f["severity"] for f in found] == ["high"]


# -- a removed block off by default; pull secrets named as such -----------------------------------------------
VALUES = "charts/app/values.yaml"
BOT_VALUES = '''replicas: 1
bots:
  slack:
    enabled: false
    imagePullSecrets: []
    serviceAccount:
      create: true
'''
BOT_TEMPLATE = "charts/app/templates/bot.yaml"
BOT = '''{{- if .Values.bots.slack.enabled }}
kind: Deployment
spec:
  template:
    spec:
      serviceAccountName: {{ .Values.bots.slack.serviceAccount.create }}
      imagePullSecrets: {{ toYaml .Values.bots.slack.imagePullSecrets }}
{{- end }}
'''


def test_a_removed_block_off_by_default_is_medium_and_not_called_credentials(git_repo: GitRepo) -> None:
    found = by_rule(risk_findings(range_analysis(git_repo, {"charts/app/Chart.yaml": CHART, VALUES: BOT_VALUES, BOT_TEMPLATE: BOT},
                                                 {VALUES: "replicas: 1\n", BOT_TEMPLATE: None})), "HELM-VALUES-BREAKING")
    assert [f["severity"] for f in found] == ["medium"]
    assert "`bots.slack.enabled`" in found[0]["message"] and "credentials" not in found[0]["message"]


def test_a_removed_block_on_by_default_stays_high(git_repo: GitRepo) -> None:
    on = BOT_VALUES.replace("enabled: false", "enabled: true")
    found = by_rule(risk_findings(range_analysis(git_repo, {"charts/app/Chart.yaml": CHART, VALUES: on, BOT_TEMPLATE: BOT},
                                                 {VALUES: "replicas: 1\n", BOT_TEMPLATE: None})), "HELM-VALUES-BREAKING")
    assert [f["severity"] for f in found] == ["high"]


def test_removed_pull_secrets_stay_high_and_are_called_pull_secrets(git_repo: GitRepo) -> None:
    template = "charts/app/templates/deployment.yaml"
    before = {VALUES: "images:\n  pullSecrets: []\nreplicas: 1\n",
              template: "spec:\n  imagePullSecrets: {{ toYaml .Values.images.pullSecrets }}\n"}
    after = {VALUES: "global:\n  pullSecrets: []\nreplicas: 1\n",
             template: "spec:\n  imagePullSecrets: {{ toYaml .Values.global.pullSecrets }}\n"}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), "HELM-VALUES-BREAKING")
    assert [f["severity"] for f in found] == ["high"]
    assert "registry pull secrets" in found[0]["message"] and "credentials" not in found[0]["message"]
