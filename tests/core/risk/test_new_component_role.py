"""New components and unchanged behaviour: posture findings that change nothing running today.

* a file added whole holds only new objects: its privileged workloads, role grants and chart defaults
  are medium, with the reason; a cluster-admin-equivalent wildcard, TLS verification turned off,
  objects split out of an existing file and a chart that succeeds a deprecated one keep their severity;
* a new PodSecurityPolicy addon (Jsonnet, a file added whole) is medium; a new privileged workload
  addon and a policy relaxed in an existing file stay high;
* a scrape selector widened to ``{}`` is medium, a rule selector widened stays high;
* a Helm safeguard new with the change and off by default weakens nothing, unless the templates now
  put what they rendered unconditionally under a condition on it;
* a values key removed is medium when the same change raises the chart's major version.
"""

from __future__ import annotations

from reviewer_app.core.risk.roles import new_component
from tests.core.risk.realdiff import git_change
from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

NEW_COMPONENT = "nothing running changes; review it as a new component"

DAEMONSET = """apiVersion: apps/v1
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
      containers:
        - name: agent
          image: example/agent:1.0
"""
PRIVILEGED = DAEMONSET.replace("          image: example/agent:1.0\n",
                               "          image: example/agent:1.0\n          securityContext:\n            privileged: true\n")


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), rule)


def _severities(found: list[dict]) -> list[str]:
    return sorted(f["severity"] for f in found)


# -- files added whole -----------------------------------------------------------------------------

def test_a_privileged_workload_in_a_file_added_whole_is_medium(git_repo: GitRepo) -> None:
    found = _found(git_repo, {"README.md": "x\n"}, {"deploy/agent.yaml": PRIVILEGED}, "K8S-PRIVILEGED")
    assert _severities(found) == ["medium"]
    assert NEW_COMPONENT in found[0]["message"]


def test_a_workload_made_privileged_in_an_existing_file_stays_high(git_repo: GitRepo) -> None:
    found = _found(git_repo, {"deploy/agent.yaml": DAEMONSET}, {"deploy/agent.yaml": PRIVILEGED}, "K8S-PRIVILEGED")
    assert _severities(found) == ["high"]


TEMPLATE = """{{- if .Values.agent.enabled }}
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-agent
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: agent
          image: {{ .Values.image }}
          securityContext:
            privileged: true
{{- end }}
"""
CHART = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n", "charts/app/values.yaml": "image: app:1\n"}


def test_a_new_template_in_an_existing_chart_is_medium_by_the_line_rules_too(git_repo: GitRepo) -> None:
    # A Helm template does not parse as YAML: the line rule judges it, and the file is still new.
    found = _found(git_repo, CHART, {"charts/app/templates/agent.yaml": TEMPLATE}, "K8S-PRIVILEGED")
    assert found and _severities(found) == ["medium"] * len(found)
    assert all(NEW_COMPONENT in f["message"] for f in found)


def test_an_existing_template_made_privileged_stays_high(git_repo: GitRepo) -> None:
    plain = TEMPLATE.replace("      hostNetwork: true\n", "").replace(
        "          securityContext:\n            privileged: true\n", "")
    before = {**CHART, "charts/app/templates/agent.yaml": plain}
    found = _found(git_repo, before, {"charts/app/templates/agent.yaml": TEMPLATE}, "K8S-PRIVILEGED")
    assert "high" in _severities(found)


ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {name}
rules:
  - apiGroups: [{group}]
    resources: ["{resource}"]
    verbs: ["*"]
"""


def test_a_wildcard_on_named_resources_in_a_new_file_is_medium_cluster_admin_equivalent_stays(git_repo: GitRepo) -> None:
    named = ROLE.format(name="config", group='""', resource="configmaps")
    admin = ROLE.format(name="admin", group='"*"', resource="*")
    workloads = ROLE.format(name="workloads", group='"apps"', resource="*")
    metrics = ROLE.format(name="metrics", group='"metrics.k8s.io"', resource="*")
    found = _found(git_repo, {"README.md": "x\n"}, {"deploy/config-role.yaml": named, "deploy/admin-role.yaml": admin,
                                                     "deploy/apps-role.yaml": workloads, "deploy/metrics-role.yaml": metrics},
                   "K8S-RBAC-WILDCARD")
    by_path = {f["path"]: f["severity"] for f in found}
    assert by_path == {"deploy/config-role.yaml": "medium", "deploy/admin-role.yaml": "critical",
                       "deploy/apps-role.yaml": "critical", "deploy/metrics-role.yaml": "medium"}


def test_tls_verification_turned_off_in_a_new_script_stays_high(git_repo: GitRepo) -> None:
    script = "#!/bin/sh\nset -e\ncurl --insecure -H \"Authorization: Bearer $TOKEN\" https://kubernetes/api\n"
    found = _found(git_repo, {"README.md": "x\n"}, {"ops/token.sh": script}, "TLS-VERIFY-DISABLED")
    assert _severities(found) == ["high"]


def test_objects_split_out_of_an_existing_file_are_not_new(git_repo: GitRepo) -> None:
    role = ROLE.format(name="config", group='""', resource="configmaps")
    both = {"deploy/all.yaml": PRIVILEGED + "---\n" + role}
    split = git_change(git_repo, both, {"deploy/all.yaml": PRIVILEGED, "deploy/role.yaml": role})
    added = next(d for d in split.files if d.new_path == "deploy/role.yaml")
    assert added.status.value == "added" and new_component(added, split) is None
    fresh = git_change(git_repo, {"README.md": "y\n"}, {"deploy/new-role.yaml": role})
    added = next(d for d in fresh.files if d.new_path == "deploy/new-role.yaml")
    assert new_component(added, fresh) == "new file new-role.yaml (added whole)"


def test_a_chart_that_succeeds_a_deprecated_one_is_not_new(git_repo: GitRepo) -> None:
    before = {"charts/old/Chart.yaml": "apiVersion: v2\nname: old\nversion: 1.0.0\n"}
    after = {"charts/old/Chart.yaml": "apiVersion: v2\nname: old\nversion: 1.0.1\ndeprecated: true\n",
             "charts/new/Chart.yaml": "apiVersion: v2\nname: new\nversion: 0.1.0\n",
             "charts/new/templates/agent.yaml": TEMPLATE}
    found = _found(git_repo, before, after, "K8S-PRIVILEGED")
    assert "high" in _severities(found)
    alone = _found(git_repo, {"README.md": "y\n"}, {"charts/other/Chart.yaml": "apiVersion: v2\nname: other\nversion: 0.1.0\n",
                                                     "charts/other/templates/agent.yaml": TEMPLATE}, "K8S-PRIVILEGED")
    assert alone and _severities(alone) == ["medium"] * len(alone)
    assert "new chart charts/other" in alone[0]["message"]


# -- Jsonnet: a new PodSecurityPolicy addon, scrape selectors -------------------------------------

PSP_ADDON = """local restricted = {
  apiVersion: 'policy/v1beta1',
  kind: 'PodSecurityPolicy',
  metadata: { name: 'restricted' },
  spec: {
    privileged: false,
    runAsUser: { rule: 'MustRunAsNonRoot' },
    volumes: ['configMap', 'secret'],
  },
};
{
  nodeExporter+: {
    podSecurityPolicy: restricted {
      metadata+: { name: 'node-exporter-psp' },
      spec+: {
        allowedHostPaths+: [{ pathPrefix: '/proc', readOnly: true }],
        hostNetwork: true,
        hostPID: true,
        runAsUser: {
          rule: 'RunAsAny',
        },
      },
    },
  },
}
"""
HOST_AGENT = """{
  daemonset: {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    spec: {
      template: {
        spec: {
          securityContext: {
            windowsOptions: {
              hostProcess: true,
            },
          },
          hostNetwork: true,
        },
      },
    },
  },
}
"""
ADDON = "jsonnet/lib/addons/policies.libsonnet"


def test_a_new_pod_security_policy_addon_is_medium(git_repo: GitRepo) -> None:
    found = _found(git_repo, {"README.md": "x\n"}, {ADDON: PSP_ADDON}, "K8S-POD-SECURITY-RELAXED")
    assert len(found) == 3 and _severities(found) == ["medium"] * 3  # hostNetwork, hostPID, RunAsAny
    assert all(NEW_COMPONENT in f["message"] for f in found)


def test_a_policy_relaxed_in_an_existing_file_and_a_new_host_workload_stay_high(git_repo: GitRepo) -> None:
    before = PSP_ADDON.replace("        hostPID: true,\n", "")
    relaxed = _found(git_repo, {ADDON: before}, {ADDON: PSP_ADDON}, "K8S-POD-SECURITY-RELAXED")
    assert [(f["line"], f["severity"]) for f in relaxed] == [(18, "high")]
    workload = _found(git_repo, {"README.md": "y\n"}, {"jsonnet/lib/addons/agent.libsonnet": HOST_AGENT},
                      "K8S-POD-SECURITY-RELAXED")
    assert _severities(workload) == ["high", "high"]


PROMETHEUS = """local defaults = {
  name: 'k8s',
  ruleSelector: {
    matchLabels: { role: 'alert-rules' },
  },
  serviceMonitorSelector: {
    matchLabels: { team: 'platform' },
  },
};
{}
"""
LIB = "jsonnet/lib/components/prometheus.libsonnet"


def test_a_scrape_selector_widened_is_medium_a_rule_selector_stays_high(git_repo: GitRepo) -> None:
    scrape = PROMETHEUS.replace("  serviceMonitorSelector: {\n    matchLabels: { team: 'platform' },\n  },\n",
                                "  serviceMonitorSelector: {},\n")
    found = _found(git_repo, {LIB: PROMETHEUS}, {LIB: scrape}, "K8S-SELECTOR-WIDENED")
    assert [(f["line"], f["severity"]) for f in found] == [(6, "medium")]
    assert "what Prometheus reads" in found[0]["message"]
    rules = PROMETHEUS.replace("  ruleSelector: {\n    matchLabels: { role: 'alert-rules' },\n  },\n", "  ruleSelector: {},\n")
    found = _found(git_repo, {LIB: scrape}, {LIB: rules.replace(
        "  serviceMonitorSelector: {\n    matchLabels: { team: 'platform' },\n  },\n", "  serviceMonitorSelector: {},\n")},
        "K8S-SELECTOR-WIDENED")
    assert [(f["line"], f["severity"]) for f in found] == [(3, "high")]


# -- Helm: new opt-in safeguards, a major version bump -------------------------------------------

VALUES = "charts/app/values.yaml"
SERVER = "charts/app/templates/server.yaml"
SERVER_ARGS = """spec:
  containers:
    - name: server
      args:
        - --port=2746
        - --secure
"""


def test_a_new_opt_in_safeguard_off_by_default_is_no_weakening(git_repo: GitRepo) -> None:
    before = {**CHART, VALUES: "server:\n  port: 2746\n"}
    policy = "{{- if .Values.networkPolicy.enabled }}\nkind: NetworkPolicy\n{{- end }}\n"
    after = {VALUES: "server:\n  port: 2746\n  secure: false\nnetworkPolicy:\n  enabled: false\n",
             SERVER: "args:\n{{- if .Values.server.secure }}\n  - --secure\n{{- end }}\n",
             "charts/app/templates/networkpolicy.yaml": policy}
    assert _found(git_repo, before, after, "HELM-DEFAULT-WEAKENED") == []


def test_a_safeguard_that_existed_or_that_templates_rendered_always_is_weakened(git_repo: GitRepo) -> None:
    existed = _found(git_repo, {**CHART, VALUES: "server:\n  secure: true\n"}, {VALUES: "server:\n  secure: false\n"},
                     "HELM-DEFAULT-WEAKENED")
    assert [(f["line"], f["severity"]) for f in existed] == [(2, "high")]
    moved = _found(git_repo, {VALUES: "server:\n  secure: false\n"}, {VALUES: "server:\n  secure: true\n"}, "HELM-DEFAULT-WEAKENED")
    assert moved == []  # turned on: nothing weakened
    moved = _found(git_repo, {VALUES: "server:\n  secure: true\n"}, {VALUES: "server:\n  tls:\n    secure: false\n"},
                   "HELM-DEFAULT-WEAKENED")
    assert [(f["line"], f["severity"]) for f in moved] == [(3, "high")]  # the key moved: installs had it on
    wrapped = SERVER_ARGS.replace("        - --secure\n",
                                  "        {{- if .Values.server.secure }}\n        - --secure\n        {{- end }}\n")
    found = _found(git_repo, {VALUES: "server:\n  port: 2746\n", SERVER: SERVER_ARGS},
                   {VALUES: "server:\n  port: 2746\n  secure: false\n", SERVER: wrapped}, "HELM-DEFAULT-WEAKENED")
    assert [(f["line"], f["severity"]) for f in found] == [(3, "high")]
    assert "rendered unconditionally before" in found[0]["message"]


def test_a_new_chart_default_off_is_no_weakening(git_repo: GitRepo) -> None:
    after = {"charts/es/Chart.yaml": "apiVersion: v2\nname: es\nversion: 0.1.0\n",
             "charts/es/values.yaml": "es:\n  ssl:\n    enabled: false\n"}
    assert _found(git_repo, {"README.md": "x\n"}, after, "HELM-DEFAULT-WEAKENED") == []


IMAGES = "images:\n  pullSecrets: []\n  pullPolicy: Always\n"
READS = "spec:\n  imagePullSecrets: {{ toYaml .Values.%s.pullSecrets }}\n"


def test_a_values_key_removed_with_a_major_version_bump_is_medium(git_repo: GitRepo) -> None:
    before = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.4.2\n", VALUES: IMAGES,
              "charts/app/templates/deployment.yaml": READS % "images"}
    after = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 2.0.0\n",
             VALUES: "global:\n  image:\n    pullSecrets: []\n", "charts/app/templates/deployment.yaml": READS % "global.image"}
    found = _found(git_repo, before, after, "HELM-VALUES-BREAKING")
    assert [(f["line"], f["severity"]) for f in found] == [(1, "medium")]
    assert "major version goes from 1 to 2" in found[0]["message"]


def test_a_values_key_removed_with_a_minor_bump_of_a_zero_major_chart_stays_high(git_repo: GitRepo) -> None:
    before = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.16.7\n", VALUES: IMAGES,
              "charts/app/templates/deployment.yaml": READS % "images"}
    after = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.17.0\n",
             VALUES: "global:\n  image:\n    pullSecrets: []\n", "charts/app/templates/deployment.yaml": READS % "global.image"}
    found = _found(git_repo, before, after, "HELM-VALUES-BREAKING")
    assert [(f["line"], f["severity"]) for f in found] == [(1, "high")]
