"""A selector helper called with a dict (``include "x.selectorLabels" (dict "ctx" . "component" "y")``) is
rendered with the dict's fields written into its body, so a call that passes the same fields (here through a
template variable holding one more field the helper does not read) renders the same labels on both sides,
even for a workload the chart's defaults leave off. Another component keeps the finding."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: tempo\nversion: 1.0.0\n"
BASE = "charts/tempo/templates/"
HELPERS = '''{{- define "tempo.name" -}}
tempo
{{- end -}}

{{- define "tempo.selectorLabels" -}}
{{- if .ctx.Values.enterprise.legacyLabels }}
{{- if .component -}}
app: {{ include "tempo.name" .ctx }}-{{ .component }}
{{- end }}
release: {{ .ctx.Release.Name }}
{{- else -}}
app.kubernetes.io/name: {{ include "tempo.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}
{{- end -}}
'''
WORKLOAD = '''{{- if .Values.metricsGenerator.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-metrics-generator
spec:
  selector:
    matchLabels:
      {{- include "tempo.selectorLabels" (dict "ctx" . "component" "metrics-generator") | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tempo.selectorLabels" (dict "ctx" . "component" "metrics-generator") | nindent 8 }}
    spec:
      containers:
        - name: metrics-generator
          image: example/tempo:1.0
{{- end }}
'''
VALUES = "enterprise:\n  legacyLabels: false\nmetricsGenerator:\n  enabled: false\n"


def _through_variable(component: str) -> str:
    return WORKLOAD.replace(
        "apiVersion: apps/v1\n",
        f'{{{{ $dict := dict "ctx" . "component" "{component}" "memberlist" true }}}}\napiVersion: apps/v1\n').replace(
        '(dict "ctx" . "component" "metrics-generator")', "$dict")


def _change(git_repo: GitRepo, new: str) -> list[dict]:
    before = {"charts/tempo/Chart.yaml": CHART, "charts/tempo/values.yaml": VALUES, BASE + "_helpers.tpl": HELPERS,
              BASE + "deployment.yaml": WORKLOAD}
    return by_rule(risk_findings(range_analysis(git_repo, before, {BASE + "deployment.yaml": new})), "K8S-IMMUTABLE-FIELD")


def test_the_same_dict_through_a_variable_with_a_field_the_helper_does_not_read_renders_the_same_selector(
        git_repo: GitRepo) -> None:
    assert _change(git_repo, _through_variable("metrics-generator")) == []


def test_a_dict_naming_another_component_changes_the_selector(git_repo: GitRepo) -> None:
    found = _change(git_repo, _through_variable("generator"))
    assert found and "high" in {f["severity"] for f in found}


def test_a_dict_whose_field_the_helper_reads_but_the_call_does_not_pass_keeps_the_finding(git_repo: GitRepo) -> None:
    # Without "component" the helper's `.component` is empty: the component label goes.
    new = WORKLOAD.replace('(dict "ctx" . "component" "metrics-generator")', '(dict "ctx" .)')
    found = _change(git_repo, new)
    assert found and "high" in {f["severity"] for f in found}
