"""A Helm condition with Sprig's ``empty`` is decided under the chart's values: an optional
``clusterIP`` rendered only when the user sets one (old: ``not (empty .Values.x.clusterIP)``, new:
``if .Values.x.clusterIP``) renders the same Service for every install that sets nothing. A
Service that loses a clusterIP its installs rendered by default keeps the finding."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "charts/agent/Chart.yaml"
VALUES = "charts/agent/values.yaml"
PATH = "charts/agent/templates/service-syslog.yaml"

HEAD = '''{{- if .Values.syslogService.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: {{ template "agent.fullname" . }}-syslog
spec:
  type: {{ .Values.syslogService.type }}
'''
TAIL = '''  ports:
    - port: {{ .Values.syslogService.port }}
      protocol: TCP
      name: syslog
  selector:
    app: {{ template "agent.name" . }}
{{- end }}
'''
OLD = HEAD + '''{{- if (and (eq .Values.syslogService.type "ClusterIP") (not (empty .Values.syslogService.clusterIP))) }}
  clusterIP: {{ .Values.syslogService.clusterIP }}
{{- end }}
''' + TAIL
NEW = HEAD + '''  {{- if .Values.syslogService.clusterIP }}
  clusterIP: {{ .Values.syslogService.clusterIP }}
  {{- end }}
  {{- if .Values.syslogService.loadBalancerIP }}
  loadBalancerIP: {{ .Values.syslogService.loadBalancerIP }}
  {{- end }}
''' + TAIL
HEADLESS = HEAD + "  clusterIP: None\n" + TAIL


def _immutable(git_repo: GitRepo, old: str, new: str) -> list[dict]:
    chart = {CHART: "apiVersion: v2\nname: agent\nversion: 1.0.0\n",
             VALUES: "syslogService:\n  enabled: false\n  type: ClusterIP\n  port: 1514\n"}
    found = risk_findings(range_analysis(git_repo, {**chart, PATH: old}, {PATH: new}))
    return by_rule(found, "K8S-IMMUTABLE-FIELD")


def test_a_cluster_ip_rendered_only_when_set_on_both_sides_is_no_change(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, OLD, NEW) == []


def test_a_cluster_ip_every_install_rendered_and_now_only_when_set_keeps_the_finding(git_repo: GitRepo) -> None:
    [finding] = _immutable(git_repo, HEADLESS, NEW)
    assert "spec.clusterIP" in finding["message"]
