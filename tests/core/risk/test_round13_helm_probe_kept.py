"""Round 13: probes put behind a condition that is true by default (K8S-PROBE-REMOVED).

A default install keeps the probes; only an install that turns the value off loses them: medium, saying so. A
condition false or unset by default keeps the finding. On real git repositories, as `analyze --git` does.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: backup\nversion: 1.0.0\n"
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ .Release.Name }}}}-backup
spec:
  selector:
    matchLabels:
      app: backup
  template:
    metadata:
      labels:
        app: backup
    spec:
      containers:
        - name: backup
          image: example/backup:1.0
          {{{{- if .Values.metrics.enabled }}}}
          ports:
            - name: http-monitoring
              containerPort: 8085
          {{{{- end }}}}
{open}
          livenessProbe:
            httpGet:
              path: /metrics
              port: http-monitoring
          readinessProbe:
            httpGet:
              path: /metrics
              port: http-monitoring
{close}
"""
VALUES = "metrics:\n  enabled: {default}\n"


def _chart(condition: str | None, default: str) -> dict[str, str]:
    opened = f"          {{{{- if {condition} }}}}" if condition else ""
    closed = "          {{- end }}" if condition else ""
    return {"backup/Chart.yaml": CHART, "backup/values.yaml": VALUES.format(default=default),
            "backup/templates/deployment.yaml": DEPLOYMENT.format(open=opened, close=closed)}


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), "K8S-PROBE-REMOVED")


def test_probes_behind_a_condition_true_by_default_are_medium(git_repo: GitRepo) -> None:
    found = _found(git_repo, _chart(None, "true"), _chart(".Values.metrics.enabled", "true"))
    assert [f["severity"] for f in found] == ["medium", "medium"]
    assert all("kept while `metrics.enabled` is true, its default; dropped when it is turned off" in f["message"]
               for f in found)


def test_probes_behind_a_condition_false_by_default_stay_high(git_repo: GitRepo) -> None:
    found = _found(git_repo, _chart(None, "false"), _chart(".Values.metrics.enabled", "false"))
    assert found and {f["severity"] for f in found} == {"high"}


def test_probes_behind_a_value_the_chart_does_not_set_stay_high(git_repo: GitRepo) -> None:
    found = _found(git_repo, _chart(None, "true"), _chart(".Values.probes.enabled", "true"))
    assert found and {f["severity"] for f in found} == {"high"}
