"""A chart template whose old side Go's template parser rejects (a brace inside an action): Helm
rendered nothing from it, so no install runs the field values it seems to hold, and a commit that
only restores the line does not change a running Job. Medium, with the reason; the same edit from
a template that parsed keeps the finding."""

from __future__ import annotations

from reviewer_app.core.risk.structure.helm_template import unparsable
from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "charts/dash/Chart.yaml"
VALUES = "charts/dash/values.yaml"
PATH = "charts/dash/templates/job.yaml"

JOB = '''{{- if .Values.server.setDatasource.enabled -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ template "dash.fullname" . }}-set-datasource
spec:
  template:
    spec:
      containers:
        - name: set-datasource
          image: appropriate/curl:latest
          args:
          - "--data-binary"
          {{- with .Values.server.setDatasource.datasource }}
          - "{\\"name\\":\\"{{ .name }}\\",\\"isDefault\\":LAST"
          {{- end }}
      restartPolicy: OnFailure
{{- end -}}
'''
GOOD = JOB.replace("LAST", "{{ .isDefault }}}")
BROKEN = JOB.replace("LAST", "{{ .isDefault } }}")
EARLIER = JOB.replace("LAST", "{{ .isDefault }} }")


def _immutable(git_repo: GitRepo, old: str, new: str) -> list[dict]:
    chart = {CHART: "apiVersion: v1\nname: dash\nversion: 0.1.0\n",
             VALUES: "server:\n  setDatasource:\n    enabled: true\n    datasource:\n      name: prom\n      isDefault: true\n"}
    found = risk_findings(range_analysis(git_repo, {**chart, PATH: old}, {PATH: new}))
    return by_rule(found, "K8S-IMMUTABLE-FIELD")


def test_the_parser_check_reads_a_brace_inside_an_action() -> None:
    assert unparsable(BROKEN)
    assert unparsable(GOOD) is None and unparsable(EARLIER) is None
    assert unparsable("{{ if .x }}a: 1\n") and unparsable("a: {{ .x \n") and unparsable("{{ end }}")
    assert unparsable('a: {{ .x | default "}" }}\n{{/* {{ } */}}\n') is None


def test_a_line_restored_in_a_template_that_did_not_parse_is_medium(git_repo: GitRepo) -> None:
    [finding] = _immutable(git_repo, BROKEN, GOOD)
    assert finding["severity"] == "medium"
    assert "does not parse" in finding["message"]


def test_the_same_edit_from_a_template_that_parsed_keeps_the_finding(git_repo: GitRepo) -> None:
    [finding] = _immutable(git_repo, EARLIER, GOOD)
    assert finding["severity"] in ("high", "critical")
