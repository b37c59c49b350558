"""Round 12: Helm template edits that render the same object for an existing install.

On real git repositories, analysed as `analyze --git` does: each lowered (or dropped) case, and the
neighbouring case that keeps its severity.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: spare\nversion: 1.0.0\n"


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), rule)


def _severities(found: list[dict]) -> list[str]:
    return sorted(f["severity"] for f in found)


# -- 1. a selector value moved into a template variable holding the same value ------------------------

DEPLOYMENTS = """{{{{- $fullname := include "spare.fullname" . }}}}
{define_outside}
{{{{- range .Values.deployments }}}}
{define_inside}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "{{{{ $fullname }}}}-{{{{ .name }}}}"
spec:
  selector:
    matchLabels:
      app: spare
      spare/deployment: {selector}
  template:
    metadata:
      labels:
        app: spare
        spare/deployment: {selector}
    spec:
      containers:
        - name: pause
          image: registry.k8s.io/pause:3.9
{{{{- end }}}}
"""
HELPERS = '{{- define "spare.fullname" -}}\n{{ .Release.Name }}-spare\n{{- end -}}\n'
VALUES = "deployments:\n  - name: default\n"


def _chart(selector: str, inside: str = "", outside: str = "") -> dict[str, str]:
    return {"spare/Chart.yaml": CHART, "spare/values.yaml": VALUES, "spare/templates/_helpers.tpl": HELPERS,
            "spare/templates/deployments.yaml": DEPLOYMENTS.format(selector=selector, define_inside=inside,
                                                                  define_outside=outside)}


def test_a_selector_value_moved_into_a_variable_of_the_same_range_renders_the_same(git_repo: GitRepo) -> None:
    before = _chart("{{ .name }}")
    after = _chart("{{ $deploymentName }}", inside="{{- $deploymentName := .name }}")
    assert _found(git_repo, before, after, "K8S-IMMUTABLE-FIELD") == []


def test_a_variable_read_outside_the_range_keeps_the_selector_finding(git_repo: GitRepo) -> None:
    # Defined before the range, `.name` reads the chart's root, not the item: another label value.
    before = _chart("{{ .name }}")
    after = _chart("{{ $deploymentName }}", outside="{{- $deploymentName := .name }}")
    assert _severities(_found(git_repo, before, after, "K8S-IMMUTABLE-FIELD")) == ["high"]


# -- 2. claim-template annotations from a new value that is empty by default -----------------------------

STATEFULSET = """{{{{- $db := .Values.persistence.db -}}}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: "{{{{ .Release.Name }}}}-db"
spec:
  serviceName: "{{{{ .Release.Name }}}}-db"
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: db
          image: postgres:16
  volumeClaimTemplates:
  - metadata:
      name: data
{annotations}
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: {{{{ $db.size }}}}
"""
ANNOTATIONS = """      annotations:
      {{- range $key, $value := $db.annotations }}
        {{ $key }}: {{ $value | quote }}
      {{- end }}"""


def _db_chart(annotations: str, values: str) -> dict[str, str]:
    return {"db/Chart.yaml": CHART.replace("spare", "db"), "db/values.yaml": values,
            "db/templates/statefulset.yaml": STATEFULSET.format(annotations=annotations)}


OLD_VALUES = "persistence:\n  db:\n    size: 1Gi\n"


def test_claim_annotations_from_a_new_value_empty_by_default_render_the_same(git_repo: GitRepo) -> None:
    before = _db_chart("", OLD_VALUES)
    after = _db_chart(ANNOTATIONS, OLD_VALUES + "    annotations: {}\n")
    assert _found(git_repo, before, after, "K8S-IMMUTABLE-FIELD") == []


def test_claim_annotations_from_a_new_value_set_by_default_keep_the_finding(git_repo: GitRepo) -> None:
    before = _db_chart("", OLD_VALUES)
    after = _db_chart(ANNOTATIONS, OLD_VALUES + "    annotations:\n      backup: daily\n")
    assert _severities(_found(git_repo, before, after, "K8S-IMMUTABLE-FIELD")) == ["high"]


def test_claim_annotations_from_a_value_installs_could_already_set_keep_the_finding(git_repo: GitRepo) -> None:
    # The old values.yaml already held the (empty) value: an install may have set it, and now gets annotations.
    before = _db_chart("", OLD_VALUES + "    annotations: {}\n")
    after = _db_chart(ANNOTATIONS, OLD_VALUES + "    annotations: {}\n")
    assert _severities(_found(git_repo, before, after, "K8S-IMMUTABLE-FIELD")) == ["high"]


# -- 3. a name moved into a name helper that prints the same name ------------------------------------------

NAMED = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
spec:
  serviceName: {name}
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: db
          image: postgres:16
"""
FULLNAME = '{{- define "db.fullname" -}}\n{{- printf "%s-%s" .Release.Name "db" | trunc 63 -}}\n{{- end -}}\n'
NAME_HELPER = '{{- define "db.database" -}}\n  {{- printf "%s-{suffix}" (include "db.fullname" .) -}}\n{{- end -}}\n'


def _named(name: str, helpers: str) -> dict[str, str]:
    return {"db/Chart.yaml": CHART.replace("spare", "db"), "db/values.yaml": "replicas: 1\n",
            "db/templates/_helpers.tpl": helpers, "db/templates/statefulset.yaml": NAMED.format(name=name)}


OLD_NAME = '"{{ template "db.fullname" . }}-database"'
NEW_NAME = '"{{ template "db.database" . }}"'


def test_a_service_name_moved_into_a_helper_printing_the_same_name_renders_the_same(git_repo: GitRepo) -> None:
    before = _named(OLD_NAME, FULLNAME)
    after = _named(NEW_NAME, FULLNAME + NAME_HELPER.replace("{suffix}", "database"))
    assert _found(git_repo, before, after, "K8S-IMMUTABLE-FIELD") == []


def test_a_helper_printing_another_suffix_keeps_the_finding(git_repo: GitRepo) -> None:
    before = _named(OLD_NAME, FULLNAME)
    after = _named(NEW_NAME, FULLNAME + NAME_HELPER.replace("{suffix}", "db"))
    assert _severities(_found(git_repo, before, after, "K8S-IMMUTABLE-FIELD")) == ["high"]


def test_a_helper_whose_inner_name_changes_keeps_the_finding(git_repo: GitRepo) -> None:
    before = _named(OLD_NAME, FULLNAME)
    after = _named(NEW_NAME, FULLNAME.replace('"db"', '"postgres"') + NAME_HELPER.replace("{suffix}", "database"))
    assert _severities(_found(git_repo, before, after, "K8S-IMMUTABLE-FIELD")) == ["high"]
