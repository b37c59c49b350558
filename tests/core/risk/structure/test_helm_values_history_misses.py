"""Helm values and Jsonnet libraries: classes of dangerous change found missed on real chart history.

* authentication or TLS switched on for a component existing installs already run (HELM-VALUES-BREAKING);
* a key of the chart's values.yaml removed while the templates stop reading it (HELM-VALUES-BREAKING);
* a setting under a block that is off by default reaches only opted-in installs (lowered to medium);
* a label selector widened to ``{}`` (match everything) or narrowed from it (K8S-SELECTOR-WIDENED);
* a CRD's ``preserveUnknownFields`` set to false or null (K8S-CRD-PRUNING).
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

VALUES = "charts/app/values.yaml"
DEPLOYMENT = "charts/app/templates/deployment.yaml"

REDIS = """redis:
  enabled: true
  image: redis:7
redis-ha:
  enabled: false
  replicas: 3
"""


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), rule)


def test_authentication_switched_on_for_an_existing_component(git_repo: GitRepo) -> None:
    after = REDIS.replace("  image: redis:7\n", "  image: redis:7\n  auth: true\n")
    found = _found(git_repo, {VALUES: REDIS}, {VALUES: after}, "HELM-VALUES-BREAKING")
    assert [(f["line"], f["severity"]) for f in found] == [(4, "high")]
    assert "`redis.auth`" in found[0]["message"]


def test_authentication_on_under_a_block_off_by_default_is_medium(git_repo: GitRepo) -> None:
    after = REDIS + "  auth: true\n"
    found = _found(git_repo, {VALUES: REDIS}, {VALUES: after}, "HELM-VALUES-BREAKING")
    assert [(f["line"], f["severity"]) for f in found] == [(7, "medium")]
    assert "`redis-ha.enabled`" in found[0]["message"]


def test_tls_of_a_new_component_or_of_an_ingress_is_no_break(git_repo: GitRepo) -> None:
    before = REDIS + "ingress:\n  enabled: true\n"
    after = before + "  tls: true\ncache:\n  tls:\n    enabled: true\n"
    assert _found(git_repo, {VALUES: before}, {VALUES: after}, "HELM-VALUES-BREAKING") == []


def test_a_weakened_default_under_a_disabled_block_is_lowered(git_repo: GitRepo) -> None:
    before = "metrics:\n  serviceMonitor:\n    enabled: false\n    interval: 30s\n"
    after = before + "    tlsConfig:\n      insecureSkipVerify: true\n"
    found = _found(git_repo, {VALUES: before}, {VALUES: after}, "HELM-DEFAULT-WEAKENED")
    assert [(f["line"], f["severity"]) for f in found] == [(6, "medium")]
    # The same default where the block is on by default stays high.
    on = before.replace("enabled: false", "enabled: true")
    found = _found(git_repo, {VALUES: on}, {VALUES: on + "    tlsConfig:\n      insecureSkipVerify: true\n"}, "HELM-DEFAULT-WEAKENED")
    assert [f["severity"] for f in found] == ["high"]


IMAGES = """images:
  pullPolicy: Always
  pullSecrets: []
replicas: 1
"""
GLOBAL = """global:
  image:
    pullPolicy: IfNotPresent
    pullSecrets: []
replicas: 1
"""
TEMPLATE = """apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      {{- with .Values.{key}.pullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: app
          imagePullPolicy: {{ .Values.{key}.pullPolicy }}
"""


def test_a_values_key_moved_without_fallback_is_a_break_on_the_removed_line(git_repo: GitRepo) -> None:
    before = {VALUES: IMAGES, DEPLOYMENT: TEMPLATE.replace("{key}", "images")}
    after = {VALUES: GLOBAL, DEPLOYMENT: TEMPLATE.replace("{key}", "global.image")}
    found = _found(git_repo, before, after, "HELM-VALUES-BREAKING")
    assert [(f["side"], f["line"], f["severity"]) for f in found] == [("old", 1, "high")]
    assert "`images`" in found[0]["message"] and "pullSecrets" in found[0]["message"]


def test_a_values_key_still_read_by_a_template_or_never_read_is_no_break(git_repo: GitRepo) -> None:
    # A fallback: the templates still read the old key (`default`), so an override keeps working.
    fallback = TEMPLATE.replace("{key}", "global.image").replace(
        "{{ .Values.global.image.pullPolicy }}", "{{ .Values.global.image.pullPolicy | default .Values.images.pullPolicy }}")
    before = {VALUES: IMAGES, DEPLOYMENT: TEMPLATE.replace("{key}", "images")}
    assert _found(git_repo, before, {VALUES: GLOBAL, DEPLOYMENT: fallback}, "HELM-VALUES-BREAKING") == []


def test_a_values_key_read_by_an_unchanged_template_is_no_break(git_repo: GitRepo) -> None:
    other = "charts/app/templates/job.yaml"
    before = {VALUES: IMAGES, DEPLOYMENT: TEMPLATE.replace("{key}", "images"),
              other: "spec:\n  pullPolicy: {{ .Values.images.pullPolicy }}\n"}
    after = {VALUES: GLOBAL, DEPLOYMENT: TEMPLATE.replace("{key}", "global.image")}
    assert _found(git_repo, before, after, "HELM-VALUES-BREAKING") == []


def test_a_removed_key_that_holds_no_secret_is_medium(git_repo: GitRepo) -> None:
    before = {VALUES: "replicas: 1\nlogLevel: info\n", DEPLOYMENT: "args: [--log={{ .Values.logLevel }}]\n"}
    after = {VALUES: "replicas: 1\nlog:\n  level: info\n", DEPLOYMENT: "args: [--log={{ .Values.log.level }}]\n"}
    found = _found(git_repo, before, after, "HELM-VALUES-BREAKING")
    assert [(f["line"], f["severity"]) for f in found] == [(2, "medium")]


def test_a_key_removed_from_a_ci_values_file_is_no_break(git_repo: GitRepo) -> None:
    ci = "charts/app/ci/test-values.yaml"
    before = {ci: IMAGES, DEPLOYMENT: TEMPLATE.replace("{key}", "images")}
    after = {ci: GLOBAL, DEPLOYMENT: TEMPLATE.replace("{key}", "global.image")}
    assert _found(git_repo, before, after, "HELM-VALUES-BREAKING") == []


LIB = "jsonnet/lib/components/prometheus.libsonnet"
PROMETHEUS = """local defaults = {
  name: 'k8s',
  ruleSelector: {
    matchLabels: { role: 'alert-rules' },
  },
  serviceMonitorSelector: {},
  nodeSelector: { 'kubernetes.io/os': 'linux' },
};
{}
"""


def test_a_rule_selector_widened_to_everything(git_repo: GitRepo) -> None:
    after = PROMETHEUS.replace("  ruleSelector: {\n    matchLabels: { role: 'alert-rules' },\n  },\n", "  ruleSelector: {},\n")
    found = _found(git_repo, {LIB: PROMETHEUS}, {LIB: after}, "K8S-SELECTOR-WIDENED")
    assert [(f["line"], f["severity"]) for f in found] == [(3, "high")]


def test_a_selector_narrowed_from_everything_is_medium(git_repo: GitRepo) -> None:
    after = PROMETHEUS.replace("  serviceMonitorSelector: {},\n", "  serviceMonitorSelector: { matchLabels: { team: 'a' } },\n")
    found = _found(git_repo, {LIB: PROMETHEUS}, {LIB: after}, "K8S-SELECTOR-WIDENED")
    assert [(f["line"], f["severity"]) for f in found] == [(6, "medium")]


def test_a_new_empty_selector_a_moved_one_and_node_selectors_are_silent(git_repo: GitRepo) -> None:
    after = ("local defaults = {\n  name: 'k8s',\n  podMonitorSelector: {},\n  serviceMonitorSelector: {},\n"
             "  ruleSelector: {\n    matchLabels: { role: 'alert-rules' },\n  },\n  nodeSelector: {},\n};\n{}\n")
    assert _found(git_repo, {LIB: PROMETHEUS}, {LIB: after}, "K8S-SELECTOR-WIDENED") == []


def test_a_crd_stops_preserving_unknown_fields(git_repo: GitRepo) -> None:
    path = "jsonnet/lib/crds.libsonnet"
    before = "{\n  crd+: {\n    spec+: {},\n  },\n}\n"
    after = ("{\n  crd+: {\n    spec: std.mergePatch(super.spec, {\n      preserveUnknownFields: null,\n    }),\n"
             "    // preserveUnknownFields: false,\n  },\n}\n")
    found = _found(git_repo, {path: before}, {path: after}, "K8S-CRD-PRUNING")
    assert [(f["line"], f["severity"]) for f in found] == [(4, "high")]


def test_a_removed_key_under_a_block_off_by_default_is_medium(git_repo: GitRepo) -> None:
    policy = "charts/app/templates/networkpolicy.yaml"
    before = {VALUES: "networkPolicy:\n  enabled: false\n  flavor: kubernetes\n",
              policy: '{{- if and .Values.networkPolicy.enabled (eq .Values.networkPolicy.flavor "kubernetes") }}\nkind: NetworkPolicy\n{{- end }}\n'}
    after = {VALUES: "networkPolicy:\n  enabled: false\n",
             policy: "{{- if .Values.networkPolicy.enabled }}\nkind: NetworkPolicy\n{{- end }}\n"}
    found = _found(git_repo, before, after, "HELM-VALUES-BREAKING")
    assert [(f["line"], f["severity"]) for f in found] == [(3, "medium")]
    assert "`networkPolicy.enabled`" in found[0]["message"]
