"""A list value a template prints with Go's fmt (``accessModes: {{ .Values.x }}`` renders ``[ReadWriteOnce]``,
which YAML reads as that list) rewritten as a YAML list (a ``range`` over the items, or ``toYaml``) renders
the same volumeClaimTemplate for the chart's default: an immutable field whose rendered value is the same is
no change. A rewrite whose rendering differs (the default mode changed with it) keeps the finding."""

from __future__ import annotations

from reviewer_app.core.risk.structure.helm_template import detemplate, render_defaults
from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "charts/graf/Chart.yaml"
VALUES = "charts/graf/values.yaml"
PATH = "charts/graf/templates/statefulset.yaml"

STATEFULSET = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ template "graf.fullname" . }}
spec:
  serviceName: graf
  selector:
    matchLabels:
      app: graf
  template:
    metadata:
      labels:
        app: graf
    spec:
      containers:
        - name: graf
          image: graf:1
  volumeClaimTemplates:
  - metadata:
      name: storage
    spec:
      ACCESS
      resources:
        requests:
          storage: 10Gi
'''
GO_FMT = STATEFULSET.replace("ACCESS", "accessModes: {{ .Values.persistence.accessModes }}")
RANGED = STATEFULSET.replace("ACCESS", 'accessModes:\n        {{- range .Values.persistence.accessModes }}\n'
                                       '        - {{ . | quote }}\n        {{- end }}')
TO_YAML = STATEFULSET.replace("ACCESS", "accessModes:\n        {{- toYaml .Values.persistence.accessModes | nindent 8 }}")


def _values(*modes: str) -> str:
    return "persistence:\n  accessModes:\n" + "".join(f"    - {mode}\n" for mode in modes)


def _immutable(git_repo: GitRepo, old: str, new: str, old_values: str, new_values: str | None = None) -> list[dict]:
    chart = {CHART: "apiVersion: v2\nname: graf\nversion: 0.1.0\n", VALUES: old_values}
    after = {PATH: new, **({VALUES: new_values} if new_values is not None else {})}
    return by_rule(risk_findings(range_analysis(git_repo, {**chart, PATH: old}, after)), "K8S-IMMUTABLE-FIELD")


def test_go_fmt_list_rewritten_as_a_range_renders_the_same_claim(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, GO_FMT, RANGED, _values("ReadWriteOnce")) == []


def test_go_fmt_list_rewritten_with_to_yaml_renders_the_same_claim(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, GO_FMT, TO_YAML, _values("ReadWriteOnce")) == []


def test_the_same_rewrite_with_a_new_default_mode_keeps_the_finding(git_repo: GitRepo) -> None:
    [finding] = _immutable(git_repo, GO_FMT, RANGED, _values("ReadWriteOnce"), _values("ReadWriteMany"))
    assert finding["severity"] == "high"
    assert "volumeClaimTemplates" in finding["message"]


def test_a_list_field_really_added_to_the_claim_keeps_the_finding(git_repo: GitRepo) -> None:
    added = STATEFULSET.replace("ACCESS", "storageClassName: fast")
    assert _immutable(git_repo, STATEFULSET.replace("ACCESS", ""), added, _values("ReadWriteOnce"))


def test_the_renderings_read_as_the_same_list() -> None:
    import yaml

    values = {"persistence": {"accessModes": ["ReadWriteOnce"]}}
    rendered = {name: yaml.safe_load(detemplate(render_defaults(text, values)[0]))["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"]
                for name, text in (("fmt", GO_FMT), ("range", RANGED), ("toYaml", TO_YAML))}
    assert rendered == {"fmt": ["ReadWriteOnce"], "range": ["ReadWriteOnce"], "toYaml": ["ReadWriteOnce"]}
    # Several modes: Go's fmt prints one string (the API server rejects it), toYaml the list; a range over
    # several items is left as written.
    two = {"persistence": {"accessModes": ["ReadWriteOnce", "ReadOnlyMany"]}}
    assert "accessModes: [ReadWriteOnce ReadOnlyMany]" in render_defaults(GO_FMT, two)[0]
    assert '["ReadWriteOnce", "ReadOnlyMany"]' in render_defaults(TO_YAML, two)[0]
    assert "{{ . | quote }}" in render_defaults(RANGED, two)[0]
