"""Round 9 classes of the Kubernetes, Helm values and Jsonnet analysers, each on a real git repository.

* A role that already held RBAC escalation (escalate with update on cluster roles, bind with create on
  cluster role bindings, impersonation) gains no power from a widening: medium, with the reason. A
  namespaced RBAC write (create roles, rolebindings) on a role that already held the same verb on the
  cluster-scoped counterpart (clusterroles, clusterrolebindings) adds nothing either.
* A grant on pods/exec says exec only where it gives exec (``create``/``get`` in the core group); ``delete``
  on pods/exec, or pods/exec under another API group, grants nothing: low, and said so.
* A capability added to a container that already held a superset (privileged, ALL, SYS_ADMIN) is no new
  privilege level; the message says which capability was added (manifests and chart values).
* A chart default that only moves from the configuration text to its own key is no weakened default (low);
  an insecure setting of a component new with the change is medium, not a weakened default.
* ``preserveUnknownFields: null`` that the rendered manifests show deleting ``false`` never starts pruning.
"""

from __future__ import annotations

from reviewer_app.core.risk import structure
from tests.core.risk.diffs import committed_change
from tests.core.risk.structure.helpers import RULES, by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: operator
rules:
{rules}"""


def _rule(group: str, resource: str, *verbs: str) -> str:
    listed = "".join(f"      - {verb}\n" for verb in verbs)
    return f"  - apiGroups:\n      - \"{group}\"\n    resources:\n      - {resource}\n    verbs:\n{listed}"


def _rbac(git_repo: GitRepo, old_rules: list[str], new_rules: list[str]) -> list[tuple[str, str]]:
    before = {"deploy/role.yaml": ROLE.format(rules="".join(old_rules))}
    after = {"deploy/role.yaml": ROLE.format(rules="".join(old_rules + new_rules))}
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-RBAC-WIDENED") + by_rule(found, "K8S-RBAC-WILDCARD")]


RBAC = "rbac.authorization.k8s.io"
CLUSTER_WRITES = [_rule(RBAC, "clusterroles", "create", "get", "patch"), _rule(RBAC, "clusterrolebindings", "create", "get", "patch")]


def test_namespaced_rbac_writes_on_a_role_that_held_the_cluster_counterparts_add_no_power(git_repo: GitRepo) -> None:
    found = _rbac(git_repo, CLUSTER_WRITES, [_rule(RBAC, "rolebindings", "create", "patch"), _rule(RBAC, "roles", "create", "patch")])
    assert found and all(severity == "medium" for severity, _ in found), found
    assert all("already held `create` on cluster" in message or "already held `patch` on cluster" in message
               for _, message in found), found


def test_namespaced_rbac_writes_without_the_cluster_counterparts_stay_high(git_repo: GitRepo) -> None:
    found = _rbac(git_repo, [_rule(RBAC, "clusterroles", "get", "list")], [_rule(RBAC, "rolebindings", "create")])
    assert [severity for severity, _ in found] == ["high"], found


def test_any_widening_of_a_role_that_could_already_escalate_is_medium(git_repo: GitRepo) -> None:
    escalates = [_rule(RBAC, "clusterroles", "escalate", "update")]
    found = _rbac(git_repo, escalates, [_rule("", "secrets", "get")])
    assert [severity for severity, _ in found] == ["medium"], found
    assert "`escalate` with `update` on cluster roles" in found[0][1] and "adds no power" in found[0][1]


def test_a_role_holding_only_create_on_cluster_roles_is_no_escalation(git_repo: GitRepo) -> None:
    # Without escalate or bind, create on roles is checked against what the holder has: reading secrets is new.
    found = _rbac(git_repo, CLUSTER_WRITES, [_rule("", "secrets", "get")])
    assert [severity for severity, _ in found] == ["high"], found


def test_delete_on_pods_exec_claims_no_exec(git_repo: GitRepo) -> None:
    found = _rbac(git_repo, [_rule("", "pods", "get")], [_rule("", "pods/exec", "delete")])
    assert [severity for severity, _ in found] == ["low"], found
    assert "exec runs commands" not in found[0][1] and "grants nothing" in found[0][1]


def test_pods_exec_under_another_api_group_grants_nothing(git_repo: GitRepo) -> None:
    found = _rbac(git_repo, [_rule("", "pods", "get")], [_rule("authorization.k8s.io", "pods/exec", "create")])
    assert [severity for severity, _ in found] == ["low"], found
    assert "does not serve pods/exec" in found[0][1]


def test_create_on_pods_exec_in_the_core_group_is_exec(git_repo: GitRepo) -> None:
    found = _rbac(git_repo, [_rule("", "pods", "get")], [_rule("", "pods/exec", "create")])
    assert [severity for severity, _ in found] == ["high"], found
    assert "exec runs commands" in found[0][1]


DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: probe
spec:
  selector:
    matchLabels:
      app: probe
  template:
    metadata:
      labels:
        app: probe
    spec:
      containers:
        - name: probe
          image: probe:1.0
          securityContext:
            privileged: false
            capabilities:
              add: [{caps}]
"""


def _capability(git_repo: GitRepo, old: str, new: str) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {"deploy/probe.yaml": DAEMONSET.format(caps=old)},
                                         {"deploy/probe.yaml": DAEMONSET.format(caps=new)}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-PRIVILEGED")]


def test_a_capability_added_beside_sys_admin_is_no_new_privilege_level(git_repo: GitRepo) -> None:
    found = _capability(git_repo, '"SYS_ADMIN", "NET_RAW"', '"SYS_ADMIN", "NET_RAW", "DAC_READ_SEARCH"')
    assert [severity for severity, _ in found] == ["medium"], found
    assert "DAC_READ_SEARCH" in found[0][1] and "already held SYS_ADMIN" in found[0][1]


def test_a_severe_capability_added_to_a_plain_container_stays_high(git_repo: GitRepo) -> None:
    found = _capability(git_repo, '"NET_RAW"', '"NET_RAW", "DAC_READ_SEARCH"')
    assert [severity for severity, _ in found] == ["high"], found


VALUES_CAPS = """agents:
  systemProbe:
    securityContext:
      privileged: false
      capabilities:
        add: [{caps}]
"""


def _values_privileged(git_repo: GitRepo, old: str, new: str) -> list[tuple[str, str]]:
    change = committed_change(git_repo, {"chart/Chart.yaml": "apiVersion: v2\nname: agent\nversion: 1.0.0\n",
                                         "chart/values.yaml": VALUES_CAPS.format(caps=old)},
                              {"chart/values.yaml": VALUES_CAPS.format(caps=new)})
    outcome = structure.analyse(change, RULES)
    assert outcome.parsed.get("chart/values.yaml") == "helm-values"
    return [(f.severity, f.message) for f in outcome.findings if f.rule == "K8S-PRIVILEGED"]


def test_chart_values_say_which_capability_is_added_and_that_sys_admin_was_held(git_repo: GitRepo) -> None:
    found = _values_privileged(git_repo, '"SYS_ADMIN", "CHOWN"', '"SYS_ADMIN", "CHOWN", "DAC_READ_SEARCH"')
    assert [severity for severity, _ in found] == ["medium"], found
    assert "gains the Linux capability DAC_READ_SEARCH" in found[0][1] and "already held SYS_ADMIN" in found[0][1]
    assert "privileged, as root or in the host" not in found[0][1]


def test_chart_values_gaining_sys_admin_stay_high(git_repo: GitRepo) -> None:
    found = _values_privileged(git_repo, '"CHOWN"', '"CHOWN", "SYS_ADMIN"')
    assert [severity for severity, _ in found] == ["high"], found


def _weakened(git_repo: GitRepo, before: str, after: str) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {"chart/Chart.yaml": "apiVersion: v2\nname: logs\nversion: 1.0.0\n",
                                                    "chart/values.yaml": before}, {"chart/values.yaml": after}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "HELM-DEFAULT-WEAKENED")]


INLINE = """config: |
  auth_enabled: true
  common:
    storage:
      s3:
        endpoint: minio
        insecure: true
  server:
    port: 3100
"""
MOVED = """config: |
  auth_enabled: true
  server:
    port: 3100
commonConfig:
  storage:
    s3:
      endpoint: minio
      insecure: true
"""


def test_a_default_moved_from_the_config_text_to_a_key_is_not_weakened(git_repo: GitRepo) -> None:
    found = _weakened(git_repo, INLINE, MOVED)
    assert [severity for severity, _ in found] == ["low"], found
    assert "already set inside the configuration text `config`" in found[0][1]


def test_a_new_insecure_key_the_config_text_did_not_have_stays_high(git_repo: GitRepo) -> None:
    found = _weakened(git_repo, INLINE.replace("insecure: true", "insecure: false"), MOVED)
    assert [severity for severity, _ in found] == ["high"], found


RECEIVERS = """collector:
  config:
    receivers:
      otlp:
        endpoint: 0.0.0.0:4317
"""


def test_an_insecure_setting_of_a_new_component_is_medium(git_repo: GitRepo) -> None:
    after = RECEIVERS + "      postgresql:\n        endpoint: db:5432\n        tls:\n          insecure: true\n"
    found = _weakened(git_repo, RECEIVERS, after)
    assert [severity for severity, _ in found] == ["medium"], found
    assert "`collector.config.receivers.postgresql` is new with this change" in found[0][1]


def test_an_existing_component_turned_insecure_stays_high(git_repo: GitRepo) -> None:
    after = RECEIVERS + "        tls:\n          insecure: true\n"
    found = _weakened(git_repo, RECEIVERS, after)
    assert [severity for severity, _ in found] == ["high"], found


LIBSONNET = """{
  prometheusOperator+:: {
    crd+: {
      spec: std.mergePatch(super.spec, {
        preserveUnknownFields: null,
      }),
    },
  },
}
"""
CRD = """apiVersion: apiextensions.k8s.io/{version}
kind: CustomResourceDefinition
metadata:
  name: things.example.com
spec:
  group: example.com
  preserveUnknownFields: false
  scope: Namespaced
"""


def _pruning(git_repo: GitRepo, version: str | None) -> list[tuple[str, str]]:
    before: dict[str, str] = {"lib/main.libsonnet": "{\n}\n"}
    after: dict[str, str | None] = {"lib/main.libsonnet": LIBSONNET}
    if version is not None:
        before["manifests/crd.yaml"] = CRD.format(version=version)
        after["manifests/crd.yaml"] = CRD.format(version=version).replace("  preserveUnknownFields: false\n", "")
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-CRD-PRUNING")]


def test_a_null_that_deletes_false_from_a_v1beta1_crd_stops_pruning(git_repo: GitRepo) -> None:
    found = _pruning(git_repo, "v1beta1")
    assert found and "pruning stops" in found[0][1] and "starts pruning," not in found[0][1], found


def test_a_null_that_deletes_false_from_a_v1_crd_changes_nothing(git_repo: GitRepo) -> None:
    found = _pruning(git_repo, "v1")
    assert [severity for severity, _ in found] == ["low"], found


def test_a_null_without_rendered_manifests_keeps_its_finding(git_repo: GitRepo) -> None:
    found = _pruning(git_repo, None)
    assert [severity for severity, _ in found] == ["high"], found
    assert "starts pruning" in found[0][1]
