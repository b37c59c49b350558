"""Kubernetes objects and Helm templates judged by what an existing install gets: a new object is a new
component (medium), a property the old object already had is not new, a template conditional decided by
the chart's default values renders what it rendered, and selector labels moved into a helper that renders
them alike change no selector. Each with the case that must stay flagged."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example/api:1.0
'''
AGENT = '''apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostPID: true
      containers:
        - name: agent
          image: example/agent:1.0
          securityContext:
            privileged: true
'''


def _levels(found: list[dict], rule: str) -> list[str]:
    return sorted(f["severity"] for f in by_rule(found, rule))


# -- P1: a new object is a new component --------------------------------------------------------------
def test_a_new_privileged_object_in_an_existing_file_is_a_new_component(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"deploy/app.yaml": DEPLOYMENT},
                                         {"deploy/app.yaml": DEPLOYMENT + "---\n" + AGENT}))
    privileged = by_rule(found, "K8S-PRIVILEGED")
    assert [f["severity"] for f in privileged] == ["medium", "medium"]
    assert all("new DaemonSet agent: nothing running changes; review it as a new component" in f["message"]
               for f in privileged)


def test_an_existing_object_gaining_privileges_stays_high(git_repo: GitRepo) -> None:
    privileged = DEPLOYMENT.replace("          image: example/api:1.0\n",
                                    "          image: example/api:1.0\n          securityContext:\n            privileged: true\n")
    found = risk_findings(range_analysis(git_repo, {"deploy/app.yaml": DEPLOYMENT}, {"deploy/app.yaml": privileged}))
    assert _levels(found, "K8S-PRIVILEGED") == ["high"]


def test_a_new_object_replacing_a_removed_one_of_its_kind_stays_high(git_repo: GitRepo) -> None:
    plain_agent = AGENT.replace("      hostPID: true\n", "").replace("          securityContext:\n            privileged: true\n", "")
    found = risk_findings(range_analysis(git_repo, {"deploy/agent-old.yaml": plain_agent.replace("name: agent\n", "name: agent-v1\n", 1)},
                                         {"deploy/agent-old.yaml": None, "deploy/agent.yaml": AGENT}))
    assert _levels(found, "K8S-PRIVILEGED") == ["high", "high"]


def test_a_new_cluster_admin_equivalent_role_stays_critical_and_a_read_only_metrics_wildcard_is_medium(git_repo: GitRepo) -> None:
    admin = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: admin-like
rules:
  - apiGroups: [""]
    resources: ["*"]
    verbs: ["*"]
'''
    metrics = admin.replace('apiGroups: [""]', "apiGroups: [metrics.k8s.io]").replace("admin-like", "metrics-reader")
    found = risk_findings(range_analysis(git_repo, {"README.md": "rbac\n"},
                                         {"rbac/admin.yaml": admin, "rbac/metrics.yaml": metrics}))
    levels = {f["path"]: f["severity"] for f in by_rule(found, "K8S-RBAC-WILDCARD")}
    assert levels == {"rbac/admin.yaml": "critical", "rbac/metrics.yaml": "medium"}
    [reader] = [f for f in by_rule(found, "K8S-RBAC-WILDCARD") if f["path"] == "rbac/metrics.yaml"]
    assert "serves only reads" in reader["message"]


# -- P2: already so ---------------------------------------------------------------------------------------
def test_privileged_moved_from_the_pre_v1_container_field_into_security_context_is_not_new(git_repo: GitRepo) -> None:
    old = '''apiVersion: v1beta3
kind: Pod
metadata:
  name: nfs-server
spec:
  containers:
    - name: nfs-server
      image: example/nfs:1.0
      privileged: true
'''
    new = old.replace("v1beta3", "v1").replace("      privileged: true\n", "      securityContext:\n        privileged: true\n")
    found = risk_findings(range_analysis(git_repo, {"nfs/server.yaml": old}, {"nfs/server.yaml": new}))
    assert [f for f in by_rule(found, "K8S-PRIVILEGED") if f["severity"] in ("medium", "high", "critical")] == []


SECRETS_ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: server
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs:
      - get
      - list
'''


def test_watch_beside_get_and_list_on_secrets_exposes_nothing_new(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"rbac/role.yaml": SECRETS_ROLE},
                                         {"rbac/role.yaml": SECRETS_ROLE + "      - watch\n"}))
    [watch] = by_rule(found, "K8S-RBAC-WIDENED")
    assert watch["severity"] == "low" and "could already `list`" in watch["message"]


def test_list_beside_get_on_secrets_stays_high(git_repo: GitRepo) -> None:
    only_get = SECRETS_ROLE.replace("      - list\n", "")
    found = risk_findings(range_analysis(git_repo, {"rbac/role.yaml": only_get}, {"rbac/role.yaml": SECRETS_ROLE}))
    assert _levels(found, "K8S-RBAC-WIDENED") == ["high"]


# -- P3: a template rendered with the chart's defaults ------------------------------------------------------
CHART = "apiVersion: v2\nname: operator\nversion: 1.0.0\n"
TEMPLATE = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-operator
spec:
  selector:
    matchLabels:
      app: operator
  template:
    metadata:
      labels:
        app: operator
    spec:
      serviceAccountName: {{ .Release.Name }}
      containers:
        - name: operator
          image: "{{ .Values.image }}"
'''
OPT_IN = TEMPLATE.replace("      serviceAccountName: {{ .Release.Name }}\n",
                          "      serviceAccountName: {{ .Release.Name }}\n{{- if .Values.hostNetwork }}\n"
                          "      hostNetwork: true\n      dnsPolicy: ClusterFirstWithHostNet\n{{- end }}\n")
PATH = "charts/operator/templates/deployment.yaml"


def test_host_network_behind_a_value_that_defaults_to_off_changes_no_install(git_repo: GitRepo) -> None:
    before = {"charts/operator/Chart.yaml": CHART, "charts/operator/values.yaml": "image: example/operator:1\n", PATH: TEMPLATE}
    after = {"charts/operator/values.yaml": "image: example/operator:1\nhostNetwork: false\n", PATH: OPT_IN}
    found = risk_findings(range_analysis(git_repo, before, after))
    assert by_rule(found, "K8S-PRIVILEGED") == []  # neither the structure nor the line rule


def test_host_network_behind_a_value_that_defaults_to_on_stays_high(git_repo: GitRepo) -> None:
    before = {"charts/operator/Chart.yaml": CHART, "charts/operator/values.yaml": "image: example/operator:1\n", PATH: TEMPLATE}
    after = {"charts/operator/values.yaml": "image: example/operator:1\nhostNetwork: true\n", PATH: OPT_IN}
    found = risk_findings(range_analysis(git_repo, before, after))
    assert "high" in _levels(found, "K8S-PRIVILEGED")


def test_an_inline_value_rewritten_as_a_conditional_with_the_same_default_is_not_new(git_repo: GitRepo) -> None:
    inline = TEMPLATE.replace("      serviceAccountName: {{ .Release.Name }}\n",
                              "      serviceAccountName: {{ .Release.Name }}\n      hostNetwork: {{ .Values.hostNetwork }}\n")
    values = "image: example/operator:1\nhostNetwork: false\n"
    before = {"charts/operator/Chart.yaml": CHART, "charts/operator/values.yaml": values, PATH: inline}
    found = risk_findings(range_analysis(git_repo, before, {PATH: OPT_IN}))
    assert by_rule(found, "K8S-PRIVILEGED") == []


# -- selector labels moved into a helper ----------------------------------------------------------------------
HELPERS = '''{{- define "exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 }}
{{- end }}
'''
SELECTOR_HELPER = HELPERS + '''
{{- define "exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "exporter.name" . }}
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
      app.kubernetes.io/name: {{ include "exporter.name" . }}
      app.kubernetes.io/instance: "{{ .Release.Name }}"
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ include "exporter.name" . }}
        app.kubernetes.io/instance: "{{ .Release.Name }}"
    spec:
      containers:
        - name: exporter
          image: example/exporter:1.0
'''
WORKLOAD_WITH_HELPER = WORKLOAD.replace(
    '''    matchLabels:
      app.kubernetes.io/name: {{ include "exporter.name" . }}
      app.kubernetes.io/instance: "{{ .Release.Name }}"
''', '''    matchLabels:
      {{- include "exporter.selectorLabels" . | nindent 6 }}
''')


def _selector_change(git_repo: GitRepo, helper: str) -> list[dict]:
    base = "charts/exporter/templates/"
    before = {"charts/exporter/Chart.yaml": CHART, "charts/exporter/values.yaml": "replicas: 1\n",
              base + "_helpers.tpl": HELPERS, base + "deployment.yaml": WORKLOAD}
    return risk_findings(range_analysis(git_repo, before, {base + "_helpers.tpl": helper, base + "deployment.yaml": WORKLOAD_WITH_HELPER}))


def test_selector_labels_moved_into_a_helper_that_renders_them_alike_change_no_selector(git_repo: GitRepo) -> None:
    assert by_rule(_selector_change(git_repo, SELECTOR_HELPER), "K8S-IMMUTABLE-FIELD") == []


def test_a_helper_that_renders_other_selector_labels_stays_flagged(git_repo: GitRepo) -> None:
    other = SELECTOR_HELPER.replace("app.kubernetes.io/instance: {{ .Release.Name }}", "release: {{ .Release.Name }}")
    found = by_rule(_selector_change(git_repo, other), "K8S-IMMUTABLE-FIELD")
    assert {f["path"].rsplit("/", 1)[-1] for f in found if f["severity"] == "high"} == {"_helpers.tpl", "deployment.yaml"}


# -- a CI-only manifest ---------------------------------------------------------------------------------------
CONFIG_MAP = '''apiVersion: v1
kind: ConfigMap
metadata:
  name: cni-config
data:
  cni.conf: "{}"
'''


def test_a_privileged_cni_in_a_kind_cluster_manifest_for_ci_deploys_nothing(git_repo: GitRepo) -> None:
    cni = CONFIG_MAP + "---\n" + AGENT
    found = risk_findings(range_analysis(git_repo, {"README.md": "ci\n", "deploy/app.yaml": DEPLOYMENT},
                                         {".github/kind/cni.yaml": cni, "hack/kind/cni.yaml": cni}))
    privileged = by_rule(found, "K8S-PRIVILEGED")
    assert privileged and {f["severity"] for f in privileged} == {"low"}
    assert all("CI-only manifest" in f["message"] for f in privileged)


def test_the_same_manifest_outside_ci_is_judged_as_a_deployed_one(git_repo: GitRepo) -> None:
    # The ConfigMap holds nothing the line rules flag, so the structure judges the DaemonSet beside it: a new
    # component (medium, as in a file of objects it reads only), not a CI-only manifest (low).
    cni = CONFIG_MAP + "---\n" + AGENT
    found = risk_findings(range_analysis(git_repo, {"deploy/cni.yaml": CONFIG_MAP}, {"deploy/cni.yaml": cni}))
    privileged = by_rule(found, "K8S-PRIVILEGED")
    assert privileged and {f["severity"] for f in privileged} == {"medium"}
    assert all("review it as a new component" in f["message"] for f in privileged)


def test_a_configmap_carrying_a_privileged_pod_keeps_the_line_rules(git_repo: GitRepo) -> None:
    # A privilege inside another kind's object (here a string a ConfigMap carries) is where the structure
    # does not look: the line rules judge the file.
    carried = CONFIG_MAP + "  pod.yaml: |\n    spec:\n      hostPID: true\n"
    found = risk_findings(range_analysis(git_repo, {"deploy/cni.yaml": CONFIG_MAP}, {"deploy/cni.yaml": carried + "---\n" + AGENT}))
    assert "high" in _levels(found, "K8S-PRIVILEGED")


# -- an existing opt-in: installs that set it get what the change adds under it ---------------------------------
CONTROLLER_ROLE = '''{{- if .Values.rbac.create }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-controller
rules:
- apiGroups:
  - ""
  resources:
  - configmaps
  verbs:
  - get
  - list
  {{- if .Values.rbac.writeConfigMaps }}
  - create
  - update
  {{- end }}
{{- end }}
'''


def test_a_resource_added_under_an_opt_in_installs_may_already_have_set_is_flagged(git_repo: GitRepo) -> None:
    path = "charts/operator/templates/clusterrole.yaml"
    values = "rbac:\n  create: true\n  writeConfigMaps: false\n"
    before = {"charts/operator/Chart.yaml": CHART, "charts/operator/values.yaml": values, path: CONTROLLER_ROLE}
    after = {path: CONTROLLER_ROLE.replace("  - configmaps\n", "  - configmaps\n  - namespaces\n")}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), "K8S-RBAC-WIDENED")
    # One finding on the added resource's line (create and update point at it alike).
    assert [(f["severity"], "namespaces" in f["message"]) for f in found] == [("high", True)]


def test_containers_without_a_name_go_by_position_not_as_none(git_repo: GitRepo) -> None:
    # A name left empty where a template filled it in reads as null; two such containers must not
    # collide under one key, and the message names the one that changed.
    two = DEPLOYMENT.replace("        - name: api\n          image: example/api:1.0\n",
                             "        - name:\n          image: example/a:1.0\n"
                             "        - name:\n          image: example/b:1.0\n")
    privileged = two.replace("image: example/a:1.0\n", "image: example/a:1.0\n          securityContext:\n"
                                                       "            privileged: true\n")
    found = risk_findings(range_analysis(git_repo, {"deploy/app.yaml": two}, {"deploy/app.yaml": privileged}))
    flagged = by_rule(found, "K8S-PRIVILEGED")
    assert flagged and all("container #1" in f["message"] and "None" not in f["message"] for f in flagged)
