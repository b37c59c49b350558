"""A chart template whose object's templated name renders another name for every install
(``{{ template "x.fullname" . }}-server`` become ``{{ template "x.fullname" . }}``, or a helper whose
one-line body wrote the same text) makes the upgrade create a new object: no field of the old one is
updated in place, so its immutable fields are no K8S-IMMUTABLE-FIELD finding. A name kept (also when
spelt through a new one-line helper that renders it alike), a helper whose body the change edits, and a
true immutable change under the same name keep the finding high."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: vault\nversion: 1.0.0\n"
HELPERS = '''{{- define "vault.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
'''
SERVER_HELPER = '''{{- define "vault.server.fullname" -}}
{{ template "vault.fullname" . }}-server
{{- end -}}
'''
VALUES = "server:\n  replicas: 1\n"
STATEFULSET = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ template "vault.fullname" . }}-server
spec:
  serviceName: {{ template "vault.fullname" . }}-server
  replicas: {{ .Values.server.replicas }}
  selector:
    matchLabels:
      app: vault
  template:
    metadata:
      labels:
        app: vault
    spec:
      containers:
        - name: vault
          image: vault:1.2.0
'''
PATH = "templates/server-statefulset.yaml"


def _immutable(git_repo: GitRepo, after: str, helpers_after: str = HELPERS) -> list[tuple[str, str]]:
    before = {"Chart.yaml": CHART, "values.yaml": VALUES, "templates/_helpers.tpl": HELPERS, PATH: STATEFULSET}
    found = risk_findings(range_analysis(git_repo, before, {"templates/_helpers.tpl": helpers_after, PATH: after}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")]


def test_a_statefulset_renamed_with_its_service_name_is_a_new_object(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('}}-server', '}}')
    assert _immutable(git_repo, after) == []


def test_a_rename_through_a_helper_is_a_new_object(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('name: {{ template "vault.fullname" . }}-server',
                                'name: {{ include "vault.fullname" . }}-vault') \
        .replace('serviceName: {{ template "vault.fullname" . }}-server', 'serviceName: {{ template "vault.fullname" . }}')
    assert _immutable(git_repo, after) == []


def test_the_same_name_through_a_new_helper_keeps_the_finding(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('name: {{ template "vault.fullname" . }}-server',
                                'name: {{ include "vault.server.fullname" . }}') \
        .replace('serviceName: {{ template "vault.fullname" . }}-server', 'serviceName: {{ template "vault.fullname" . }}')
    [(severity, message)] = _immutable(git_repo, after, HELPERS + SERVER_HELPER)
    assert severity == "high" and "spec.serviceName" in message


def test_a_helper_edited_by_the_change_keeps_the_finding(git_repo: GitRepo) -> None:
    # The name helper now appends what the template drops: the rendered name may be the same.
    helpers = HELPERS.replace('.Release.Name .Chart.Name', '.Release.Name (printf "%s-server" .Chart.Name)')
    after = STATEFULSET.replace('}}-server', '}}')
    [(severity, _)] = _immutable(git_repo, after, helpers)
    assert severity == "high"


def test_a_field_changed_under_the_same_name_stays_high(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('serviceName: {{ template "vault.fullname" . }}-server',
                                'serviceName: {{ template "vault.fullname" . }}')
    [(severity, message)] = _immutable(git_repo, after)
    assert severity == "high" and "spec.serviceName" in message


SERVICE = '''apiVersion: v1
kind: Service
metadata:
  name: {{ template "vault.fullname" . }}
spec:
  clusterIP: None
  ports:
    - port: 8200
  selector:
    app: vault
'''


def test_a_headless_service_made_templated_under_its_name_stays_high(git_repo: GitRepo) -> None:
    before = {"Chart.yaml": CHART, "values.yaml": VALUES, "templates/_helpers.tpl": HELPERS,
              "templates/server-service.yaml": SERVICE}
    after = SERVICE.replace("clusterIP: None", "clusterIP: {{ .Values.server.service.clusterIP }}")
    found = risk_findings(range_analysis(git_repo, before, {"templates/server-service.yaml": after,
                                                            "values.yaml": VALUES + "  service:\n    clusterIP: \"\"\n"}))
    [finding] = by_rule(found, "K8S-IMMUTABLE-FIELD")
    assert finding["severity"] == "high" and "spec.clusterIP" in finding["message"]


def test_a_value_default_edited_to_make_up_for_the_name_keeps_the_finding(git_repo: GitRepo) -> None:
    # `{{ .Values.server.name }}-server` become `{{ .Values.server.name }}` while the default gains "-server":
    # installs on the defaults keep their object's name.
    statefulset = STATEFULSET.replace('{{ template "vault.fullname" . }}-server', '{{ .Values.server.name }}-server')
    before = {"Chart.yaml": CHART, "values.yaml": VALUES + "  name: vault\n", "templates/_helpers.tpl": HELPERS,
              PATH: statefulset}
    after = statefulset.replace('}}-server', '}}')
    found = risk_findings(range_analysis(git_repo, before, {"values.yaml": VALUES + "  name: vault-server\n", PATH: after}))
    assert [f["severity"] for f in by_rule(found, "K8S-IMMUTABLE-FIELD")] == ["high"]


def test_a_variable_reassigned_to_make_up_for_the_name_keeps_the_finding(git_repo: GitRepo) -> None:
    statefulset = '{{- $name := include "vault.fullname" . }}\n' + STATEFULSET.replace(
        '{{ template "vault.fullname" . }}-server', '{{ $name }}-server')
    after = statefulset.replace('}}-server', '}}').replace(
        '$name := include "vault.fullname" .', '$name := printf "%s-server" (include "vault.fullname" .)')
    before = {"Chart.yaml": CHART, "values.yaml": VALUES, "templates/_helpers.tpl": HELPERS, PATH: statefulset}
    found = risk_findings(range_analysis(git_repo, before, {PATH: after}))
    assert [f["severity"] for f in by_rule(found, "K8S-IMMUTABLE-FIELD")] == ["high"]
