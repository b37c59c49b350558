"""Round 13: a chart default that only moved (K8S-PRIVILEGED, HELM-DEFAULT-WEAKENED on a values key new with the change).

A setting the base templates already rendered by default into the same field (written in the template, or the
default of another value the template inserted there) now comes from a values key of its own: an install that sets
nothing renders the same pod. Low, saying where it moved from. On real git repositories, as `analyze --git` does;
the neighbours (a base that rendered something else, or rendered it only under a condition off by default) keep
their severity.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: agent\nversion: 1.0.0\n"
DAEMONSET = """{{{{- if .Values.deployAgent }}}}
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{{{ .Release.Name }}}}-agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
{security}
      containers:
        - name: agent
          image: example/agent:1.0
{{{{- end }}}}
"""
LITERAL = "      securityContext:\n        runAsUser: {user}"
FROM_VALUES = ("      {{- with .Values.agent.podSecurityContext }}\n      securityContext:\n"
               "        {{- toYaml . | nindent 8 }}\n      {{- end }}")
OTHER_VALUE = ("      {{- if .Values.securityContext }}\n      securityContext:\n"
               "{{ toYaml .Values.securityContext | indent 8 }}\n      {{- end }}")


def _chart(security: str, values: str) -> dict[str, str]:
    return {"agent/Chart.yaml": CHART, "agent/values.yaml": "deployAgent: true\n" + values,
            "agent/templates/daemonset.yaml": DAEMONSET.format(security=security)}


def _privileged(repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), "K8S-PRIVILEGED")


NEW_VALUES = "agent:\n  podSecurityContext:\n    runAsUser: 0\n"


def test_a_root_user_written_in_the_template_moved_into_the_values_is_low(git_repo: GitRepo) -> None:
    found = _privileged(git_repo, _chart(LITERAL.format(user=0), ""), _chart(FROM_VALUES, NEW_VALUES))
    assert [f["severity"] for f in found] == ["low"]
    message = found[0]["message"]
    assert "the rendered default is unchanged: it moved from the template's own `runAsUser: 0`" in message
    assert "agent/templates/daemonset.yaml at the base rendered into the same field" in message
    assert "`spec.template.spec.securityContext.runAsUser` of its DaemonSet" in message


def test_a_root_user_moved_from_another_value_the_template_inserted_is_low(git_repo: GitRepo) -> None:
    before = _chart(OTHER_VALUE, "securityContext:\n  runAsUser: 0\n")
    found = _privileged(git_repo, before, _chart(FROM_VALUES, "securityContext: {}\n" + NEW_VALUES))
    assert [f["severity"] for f in found] == ["low"]
    assert "it moved from the value `securityContext.runAsUser` (default 0)" in found[0]["message"]


def test_a_root_user_where_the_base_rendered_another_user_stays_high(git_repo: GitRepo) -> None:
    found = _privileged(git_repo, _chart(LITERAL.format(user=1000), ""), _chart(FROM_VALUES, NEW_VALUES))
    assert [f["severity"] for f in found] == ["high"]
    assert "Lowered" not in found[0]["message"]


def test_a_root_user_the_base_rendered_only_when_opted_in_stays_high(git_repo: GitRepo) -> None:
    # At the base root was an option (off by default); the new default makes it every install's.
    opt_in = "      {{- if .Values.rootMode }}\n" + LITERAL.format(user=0) + "\n      {{- end }}"
    found = _privileged(git_repo, _chart(opt_in, "rootMode: false\n"), _chart(FROM_VALUES, "rootMode: false\n" + NEW_VALUES))
    assert [f["severity"] for f in found] == ["high"]


def test_a_privileged_policy_written_in_the_template_moved_into_the_values_is_low(git_repo: GitRepo) -> None:
    policy = """{{{{- if .Values.podSecurityPolicy.create -}}}}
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: {{{{ .Release.Name }}}}
spec:
{spec}
{{{{- end -}}}}
"""
    literal = "  privileged: true\n  volumes:\n    - secret"
    before = {"agent/Chart.yaml": CHART, "agent/values.yaml": "podSecurityPolicy:\n  create: false\n",
              "agent/templates/psp.yaml": policy.format(spec=literal)}
    after = {"agent/Chart.yaml": CHART,
             "agent/values.yaml": "podSecurityPolicy:\n  create: false\n  spec:\n    privileged: true\n    volumes:\n      - secret\n",
             "agent/templates/psp.yaml": policy.format(spec="{{ toYaml .Values.podSecurityPolicy.spec | indent 2 }}")}
    found = risk_findings(range_analysis(git_repo, before, after))
    flagged = by_rule(found, "K8S-PRIVILEGED") + by_rule(found, "HELM-DEFAULT-WEAKENED")
    assert flagged and {f["severity"] for f in flagged} == {"low"}
    assert all("it moved from the template's own `privileged: true`" in f["message"] for f in flagged)
