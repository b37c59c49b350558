"""A chart value removed with every template that read it, on a real git repository.

HELM-VALUES-BREAKING warns that an install's override of a removed value is silently ignored. When every template
that read the value is deleted whole by the change (a component retired), the objects the value configured go with
it: an override has nothing left to weaken or break. Medium, naming the templates; a value whose reader is only
edited to stop reading it keeps its level.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: sentry\nversion: 24.1.0\n"
VALUES = """sentry:
  web:
    replicas: 1
  metricsConsumer:
    replicas: 1
    securityContext:
      runAsNonRoot: true
"""
KEPT = """sentry:
  web:
    replicas: 1
"""
CONSUMER = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-metrics-consumer
spec:
  replicas: {{ .Values.sentry.metricsConsumer.replicas }}
  template:
    spec:
      securityContext:
{{ toYaml .Values.sentry.metricsConsumer.securityContext | indent 8 }}
      containers:
        - name: consumer
          image: getsentry/sentry:24.1.0
"""
WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.sentry.web.replicas }}
"""


def _breaking(git_repo: GitRepo, consumer_after: str | None) -> list[tuple[str, str]]:
    before = {"sentry/Chart.yaml": CHART, "sentry/values.yaml": VALUES, "sentry/templates/web.yaml": WEB,
              "sentry/templates/deployment-metrics-consumer.yaml": CONSUMER}
    after = {"sentry/values.yaml": KEPT, "sentry/templates/deployment-metrics-consumer.yaml": consumer_after}
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "HELM-VALUES-BREAKING")]


def test_a_value_removed_with_the_templates_that_read_it_is_medium(git_repo: GitRepo) -> None:
    found = _breaking(git_repo, None)
    assert found and all(severity == "medium" for severity, _ in found), found
    assert any("every template that read it (deployment-metrics-consumer.yaml) is deleted" in m for _, m in found), found


def test_a_value_its_template_only_stops_reading_keeps_its_level(git_repo: GitRepo) -> None:
    edited = CONSUMER.replace("      securityContext:\n{{ toYaml .Values.sentry.metricsConsumer.securityContext | indent 8 }}\n", "")
    edited = edited.replace("{{ .Values.sentry.metricsConsumer.replicas }}", "1")
    found = _breaking(git_repo, edited)
    assert any(severity == "high" for severity, _ in found), found
