"""A selector that held the chart's version (``helm.sh/chart`` through a labels helper) changed at
every release, so every upgrade of an existing install already failed on it: replacing it with
stable labels breaks nothing further. Medium, with the reason; a selector without the version that
changes keeps the finding, and so does one that gains the version."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "proxy/"
HELPERS = '''{{- define "proxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "proxy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "proxy.labels" -}}
app.kubernetes.io/name: {{ template "proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ template "proxy.chart" . }}
{{- end }}

{{- define "proxy.stable" -}}
app.kubernetes.io/name: {{ template "proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
'''
DEPLOYMENT = '''{{- if .Values.deployment.enabled -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ template "proxy.name" . }}
spec:
  selector:
    matchLabels:
SELECTOR
  template:
    metadata:
      labels:
        {{- include "proxy.labels" . | nindent 8 }}
    spec:
      containers:
        - name: proxy
          image: traefik:2.9.1
{{- end }}
'''
VERSIONED = '      {{- include "proxy.labels" . | nindent 6 }}'
STABLE = "      app.kubernetes.io/instance: '{{ .Release.Name }}-{{ .Release.Namespace }}'\n" \
         '      app.kubernetes.io/name: {{ template "proxy.name" . }}'
STABLE_HELPER = '      {{- include "proxy.stable" . | nindent 6 }}'


def _immutable(git_repo: GitRepo, old: str, new: str) -> list[dict]:
    before = {CHART + "Chart.yaml": "apiVersion: v2\nname: proxy\nversion: 17.0.1\n",
              CHART + "values.yaml": "deployment:\n  enabled: true\nnameOverride: \"\"\n",
              CHART + "templates/_helpers.tpl": HELPERS,
              CHART + "templates/deployment.yaml": DEPLOYMENT.replace("SELECTOR", old)}
    after = {CHART + "Chart.yaml": "apiVersion: v2\nname: proxy\nversion: 17.0.2\n",
             CHART + "templates/deployment.yaml": DEPLOYMENT.replace("SELECTOR", new)}
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), "K8S-IMMUTABLE-FIELD")


def test_a_selector_that_held_the_chart_version_replaced_by_stable_labels_is_medium(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, VERSIONED, STABLE)
    assert found and all(f["severity"] == "medium" for f in found)
    assert any("held the chart's version" in f["message"] for f in found)


def test_a_stable_selector_that_changes_keeps_the_finding(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, STABLE_HELPER, STABLE)
    assert found and any(f["severity"] in ("high", "critical") for f in found)


def test_a_selector_gaining_the_chart_version_keeps_the_finding(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, STABLE_HELPER, VERSIONED)
    assert found and all(f["severity"] in ("high", "critical") for f in found)
