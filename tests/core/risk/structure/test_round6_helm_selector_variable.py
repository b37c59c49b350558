"""A selector helper called with the same arguments, now held in a template variable (``$dict := dict
"ctx" . "component" "querier"`` then ``include "tempo.selectorLabels" $dict``): the same helper with
the same argument renders the same labels, whatever the renderer can evaluate of it. Another argument,
or a helper whose body changes, keeps the finding."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "charts/tempo/"
HELPERS = '''{{- define "tempo.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}
'''
WORKLOAD = '''HEAD
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-querier
spec:
  selector:
    matchLabels:
      {{- include "tempo.selectorLabels" ARGUMENT | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tempo.selectorLabels" ARGUMENT | nindent 8 }}
    spec:
      containers:
        - name: querier
          image: grafana/tempo:2.0.0
'''
OLD_CALL = '(dict "ctx" . "component" "querier")'


def _immutable(git_repo: GitRepo, new_dict: str, new_helpers: str = HELPERS) -> list[dict]:
    path = CHART + "templates/querier.yaml"
    old = {CHART + "Chart.yaml": "apiVersion: v2\nname: tempo\nversion: 0.1.0\n", CHART + "values.yaml": "x: 1\n",
           CHART + "templates/_helpers.tpl": HELPERS,
           path: WORKLOAD.replace("HEAD\n", "").replace("ARGUMENT", OLD_CALL)}
    new = {CHART + "templates/_helpers.tpl": new_helpers,
           path: WORKLOAD.replace("HEAD", "{{ $dict := " + new_dict + " }}").replace("ARGUMENT", "$dict")}
    return by_rule(risk_findings(range_analysis(git_repo, old, new)), "K8S-IMMUTABLE-FIELD")


def test_the_same_arguments_through_a_variable_are_no_change(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, 'dict "ctx" . "component" "querier"') == []


def test_another_component_through_the_variable_keeps_the_finding(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, 'dict "ctx" . "component" "query"')
    assert found and all(f["severity"] in ("high", "critical") for f in found)


def test_a_helper_whose_body_changes_keeps_the_finding(git_repo: GitRepo) -> None:
    changed = HELPERS.replace("app.kubernetes.io/instance", "app.kubernetes.io/part-of")
    found = _immutable(git_repo, 'dict "ctx" . "component" "querier"', changed)
    assert found and all(f["severity"] in ("high", "critical") for f in found)
