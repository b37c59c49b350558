"""A hazard in a chart template that renders only when a value the chart leaves off by default is set
(``if .Values.x.enabled`` on ``false``, ``if (index .Values.config "exec.enabled")`` compared with
``"true"`` on ``"false"``, a key left empty), behind a guard the change writes, reaches no install on the
chart's defaults: medium, and the message names the value and its default. A guard on by default, one that
cannot be decided, or one the change leaves as it was (installs that already set it get the hazard at their
upgrade) keeps the finding high."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: cd\nversion: 1.0.0\n"
ROLE_PATH = "charts/cd/templates/server-clusterrole.yaml"
ROLE = '''{{- if .Values.server.clusterRole.create }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-server
rules:
  - apiGroups:
      - ""
    resources:
      - pods
      - pods/log
    verbs:
      - get
{{- end }}
'''


def _exec_rule(guard: str) -> str:
    return ROLE.replace("{{- end }}\n", f'''  {{{{- if {guard} }}}}
  - apiGroups:
    - ""
    resources:
    - pods/exec
    verbs:
    - create
  {{{{- end }}}}
{{{{- end }}}}
''')


def _role_change(git_repo: GitRepo, values: str, guard: str) -> list[dict]:
    before = {"charts/cd/Chart.yaml": CHART, "charts/cd/values.yaml": values, ROLE_PATH: ROLE}
    return by_rule(risk_findings(range_analysis(git_repo, before, {ROLE_PATH: _exec_rule(guard)})), "K8S-RBAC-WIDENED")


EXEC_VALUES = 'server:\n  clusterRole:\n    create: true\n  config:\n    url: ""\n    exec.enabled: "{exec}"\n'
EXEC_GUARD = 'eq (index .Values.server.config "exec.enabled") "true"'


def test_a_grant_rendered_only_when_an_option_off_by_default_is_set_is_medium_and_names_it(git_repo: GitRepo) -> None:
    found = _role_change(git_repo, EXEC_VALUES.format(exec="false"), EXEC_GUARD)
    assert [f["severity"] for f in found] == ["medium"]
    assert "Medium, not high: rendered only when server.config.exec.enabled is set to \"true\" " \
           "(chart default \"false\")" in found[0]["message"]


def test_the_same_grant_behind_an_option_on_by_default_stays_high(git_repo: GitRepo) -> None:
    found = _role_change(git_repo, EXEC_VALUES.format(exec="true"), EXEC_GUARD)
    assert [f["severity"] for f in found] == ["high"]
    assert "Medium" not in found[0]["message"]


def test_a_grant_behind_a_boolean_switch_off_by_default_is_medium(git_repo: GitRepo) -> None:
    values = "server:\n  clusterRole:\n    create: true\n  exec:\n    enabled: false\n"
    found = _role_change(git_repo, values, ".Values.server.exec.enabled")
    assert [f["severity"] for f in found] == ["medium"]
    assert "server.exec.enabled is set (chart default false)" in found[0]["message"]


def test_a_grant_behind_a_key_left_empty_by_default_is_medium(git_repo: GitRepo) -> None:
    values = 'server:\n  clusterRole:\n    create: true\n  params:\n    application.namespaces: ""\n'
    found = _role_change(git_repo, values, '(index .Values.server.params "application.namespaces")')
    assert [f["severity"] for f in found] == ["medium"]
    assert 'server.params.application.namespaces is set (chart default "")' in found[0]["message"]


def test_a_grant_behind_a_guard_that_cannot_be_decided_stays_high(git_repo: GitRepo) -> None:
    values = "server:\n  clusterRole:\n    create: true\n  exec:\n    enabled: false\n"
    found = _role_change(git_repo, values, '(include "cd.execEnabled" .)')
    assert [f["severity"] for f in found] == ["high"]


def test_a_grant_reaching_installs_that_already_set_an_unchanged_opt_in_stays_high(git_repo: GitRepo) -> None:
    # The ClusterRole's own guard (off by default) is not touched: every install that already turned it on
    # gets the new grant (its exec guard on by default) at its upgrade, having chosen nothing new.
    values = 'server:\n  clusterRole:\n    create: false\n  config:\n    exec.enabled: "true"\n'
    found = _role_change(git_repo, values, EXEC_GUARD)
    assert [f["severity"] for f in found] == ["high"]


# -- probes dropped only for an opt-in proxy --------------------------------------------------------------------
DEPLOYMENT_PATH = "charts/ksm/templates/deployment.yaml"
DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels:
      app: ksm
  template:
    metadata:
      labels:
        app: ksm
    spec:
      containers:
        - name: ksm
          image: example/ksm:1.0
          livenessProbe:
            httpGet:
              path: /livez
              port: 8080
'''
GUARDED = DEPLOYMENT.replace("          livenessProbe:\n", "          {{- if not .Values.kubeRBACProxy.enabled }}\n"
                                                       "          livenessProbe:\n") + "          {{- end }}\n"


def _probe_change(git_repo: GitRepo, default: str) -> list[dict]:
    before = {"charts/ksm/Chart.yaml": CHART, "charts/ksm/values.yaml": f"kubeRBACProxy:\n  enabled: {default}\n",
              DEPLOYMENT_PATH: DEPLOYMENT}
    return by_rule(risk_findings(range_analysis(git_repo, before, {DEPLOYMENT_PATH: GUARDED})), "K8S-PROBE-REMOVED")


def test_a_probe_dropped_only_for_an_opt_in_proxy_is_medium(git_repo: GitRepo) -> None:
    found = _probe_change(git_repo, "false")
    assert [f["severity"] for f in found] == ["medium"]
    assert "rendered only when kubeRBACProxy.enabled is set (chart default false)" in found[0]["message"]


def test_a_probe_dropped_for_a_proxy_on_by_default_stays_high(git_repo: GitRepo) -> None:
    assert [f["severity"] for f in _probe_change(git_repo, "true")] == ["high"]


# -- a claim template fixed behind a persistence switch off by default ----------------------------------------
STATEFULSET_PATH = "charts/tempo/templates/statefulset.yaml"
STATEFULSET = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}
spec:
  serviceName: tempo
  selector:
    matchLabels:
      app: tempo
  template:
    metadata:
      labels:
        app: tempo
    spec:
      containers:
        - name: tempo
          image: example/tempo:1.0
  {{- if .Values.persistence.enable }}
  volumeClaimTemplates:
    - metadata:
        name: storage
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 10Gi
  {{- end }}
'''


def test_a_claim_template_switched_on_for_an_opt_in_persistence_is_medium(git_repo: GitRepo) -> None:
    before = {"charts/tempo/Chart.yaml": CHART, "charts/tempo/values.yaml": "persistence:\n  enabled: false\n",
              STATEFULSET_PATH: STATEFULSET}
    after = {STATEFULSET_PATH: STATEFULSET.replace(".Values.persistence.enable }}", ".Values.persistence.enabled }}")}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), "K8S-IMMUTABLE-FIELD")
    assert found and {f["severity"] for f in found} == {"medium"}
    # The new side for installs that set the corrected key, the old side for those that set the misspelt one.
    assert any("rendered only when persistence.enabled is set (chart default false)" in f["message"] for f in found)
    assert all("Medium, not high: rendered only when persistence.enable" in f["message"] for f in found)


def test_a_grant_behind_a_value_no_declared_map_holds_stays_high(git_repo: GitRepo) -> None:
    # `exec.enabled` under no map the chart's values declare may be set by a parent chart: its default is unknown.
    # The old template already reads it (installs may set it), and the new one guards a grant by it.
    values = "server:\n  clusterRole:\n    create: true\n"
    old = ROLE.replace("  name: {{ .Release.Name }}-server\n",
                       "  name: {{ .Release.Name }}-server\n  annotations:\n    exec: {{ .Values.exec.enabled | quote }}\n")
    new = _exec_rule(".Values.exec.enabled").replace(
        "  name: {{ .Release.Name }}-server\n",
        "  name: {{ .Release.Name }}-server\n  annotations:\n    exec: {{ .Values.exec.enabled | quote }}\n")
    before = {"charts/cd/Chart.yaml": CHART, "charts/cd/values.yaml": values, ROLE_PATH: old}
    found = by_rule(risk_findings(range_analysis(git_repo, before, {ROLE_PATH: new})), "K8S-RBAC-WIDENED")
    assert [f["severity"] for f in found] == ["high"]
