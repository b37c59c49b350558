"""A helper named "*.selectorLabels" that no workload selector includes: its callers are read from the
chart's templates at both revisions (not from the change), followed through the helpers that include it.
When every inclusion ends under a `labels:` key (or in NOTES.txt), no immutable selector changes: low,
with the callers named. Any caller in a selector, or an include whose name is computed, keeps the finding."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "charts/db/"
HELPERS = '''{{- define "db.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "db.labels" -}}
{{ include "db.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "db.selectorLabels" -}}
app.kubernetes.io/name: {{ include "db.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
'''
CLUSTER = '''apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: {{ include "db.name" . }}
  labels:
    {{- include "db.labels" . | nindent 4 }}
spec:
  instances: 3
'''
NOTES = '''Installed {{ .Release.Name }}.
Pods: kubectl get pods -l {{ include "db.selectorLabels" . | replace "\\n" "," }}
'''
DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "db.name" . }}
  labels:
    {{- include "db.labels" . | nindent 4 }}
spec:
  selector:
    matchLabels:
      {{- include "db.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "db.labels" . | nindent 8 }}
    spec:
      containers:
        - name: db
          image: postgres:16
'''
ADDED = "app.kubernetes.io/instance: {{ .Release.Name }}\n"


def _immutable(git_repo: GitRepo, templates: dict[str, str]) -> list[dict]:
    before = {CHART + "Chart.yaml": "apiVersion: v2\nname: db\nversion: 0.1.0\n",
              CHART + "values.yaml": "nameOverride: \"\"\n",
              CHART + "templates/_helpers.tpl": HELPERS}
    before.update({CHART + "templates/" + name: text for name, text in templates.items()})
    after = {CHART + "templates/_helpers.tpl": HELPERS.replace(
        ADDED, ADDED + "app.kubernetes.io/part-of: cloudnative-pg\n")}
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), "K8S-IMMUTABLE-FIELD")


def test_a_selector_helper_that_only_feeds_labels_is_low(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, {"cluster.yaml": CLUSTER, "NOTES.txt": NOTES})
    assert found and all(f["severity"] == "low" for f in found)
    assert "no workload's spec.selector includes it" in found[0]["message"]
    assert "db.labels -> cluster.yaml" in found[0]["message"]


def test_a_selector_helper_a_deployment_selector_includes_stays_high(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, {"cluster.yaml": CLUSTER, "deployment.yaml": DEPLOYMENT})
    assert found and any(f["severity"] in ("high", "critical") for f in found)


def test_a_helper_reaching_a_selector_through_another_helper_stays_high(git_repo: GitRepo) -> None:
    through_labels = DEPLOYMENT.replace('"db.selectorLabels" . | nindent 6', '"db.labels" . | nindent 6')
    found = _immutable(git_repo, {"cluster.yaml": CLUSTER, "deployment.yaml": through_labels})
    assert found and any(f["severity"] in ("high", "critical") for f in found)


def test_an_include_with_a_computed_name_keeps_the_finding(git_repo: GitRepo) -> None:
    computed = CLUSTER + '  description: {{ include (printf "%s.%s" "db" .Values.which) . }}\n'
    found = _immutable(git_repo, {"cluster.yaml": computed})
    assert found and any(f["severity"] in ("high", "critical") for f in found)


def test_a_library_chart_keeps_the_finding(git_repo: GitRepo) -> None:
    before = {CHART + "Chart.yaml": "apiVersion: v2\nname: db\nversion: 0.1.0\ntype: library\n",
              CHART + "values.yaml": "nameOverride: \"\"\n",
              CHART + "templates/_helpers.tpl": HELPERS,
              CHART + "templates/cluster.yaml": CLUSTER}
    after = {CHART + "templates/_helpers.tpl": HELPERS.replace(ADDED, ADDED + "tier: db\n")}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), "K8S-IMMUTABLE-FIELD")
    assert found and any(f["severity"] in ("high", "critical") for f in found)
