"""A selector label moved into a helper that picks it by a value (``if eq .Values.mode "daemonset"``):
rendered under each mode that renders the workload (the template's own guard), the selector holds
the same labels as before, so no immutable field changes. A helper that renders another label for
that mode keeps the finding."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "charts/collector/"

HELPERS = '''{{- define "collector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "collector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "collector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
'''
COMPONENT = '''
{{- define "collector.component" -}}
{{- if eq .Values.mode "deployment" -}}
component: standalone-collector
{{- end -}}
{{- if eq .Values.mode "daemonset" -}}
component: DAEMON
{{- end -}}
{{- end }}
'''

DAEMONSET = '''{{- if eq .Values.mode "daemonset" -}}
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ include "collector.name" . }}-agent
spec:
  selector:
    matchLabels:
      {{- include "collector.selectorLabels" . | nindent 6 }}
      LABEL
  template:
    metadata:
      labels:
        {{- include "collector.selectorLabels" . | nindent 8 }}
        LABEL
    spec:
      containers:
        - name: collector
          image: otel/opentelemetry-collector:0.57.0
{{- end }}
'''
INCLUDED = '{{- include "collector.component" . | nindent 6 }}'


def _immutable(git_repo: GitRepo, daemon_label: str) -> list[dict]:
    old = {CHART + "Chart.yaml": "apiVersion: v2\nname: collector\nversion: 0.1.0\n",
           CHART + "values.yaml": 'mode: ""\nnameOverride: ""\n',
           CHART + "templates/_helpers.tpl": HELPERS,
           CHART + "templates/daemonset.yaml": DAEMONSET.replace("LABEL", "component: agent-collector")}
    new = {CHART + "templates/_helpers.tpl": HELPERS + COMPONENT.replace("DAEMON", daemon_label),
           CHART + "templates/daemonset.yaml": DAEMONSET.replace("LABEL", INCLUDED)}
    return by_rule(risk_findings(range_analysis(git_repo, old, new)), "K8S-IMMUTABLE-FIELD")


def test_a_label_moved_into_a_helper_that_renders_it_for_the_workloads_mode_is_no_change(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, "agent-collector") == []


def test_a_helper_rendering_another_label_for_that_mode_keeps_the_finding(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, "daemon-collector")
    assert found and all(f["severity"] in ("high", "critical") for f in found)
