"""Kubernetes manifests and Helm values by structure."""

from __future__ import annotations

from tests.core.risk.structure.helpers import (
    added_file, by_rule, deleted_file, findings, range_analysis, risk_findings, rules_of,
)
from tests.gitrepo import GitRepo

STATEFULSET = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: data
spec:
  serviceName: db
  replicas: 3
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      initContainers:
        - name: fix-permissions
          image: busybox:1.36
          command: ["chown", "-R", "999:999", "/data"]
      containers:
        - name: db
          image: postgres:16
          livenessProbe:
            exec:
              command: ["pg_isready"]
            timeoutSeconds: 5
          readinessProbe:
            exec:
              command: ["pg_isready"]
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: 10Gi
'''


def test_field_added_to_volume_claim_templates_is_an_immutable_edit(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace("        accessModes: [\"ReadWriteOnce\"]\n", "        accessModes: [\"ReadWriteOnce\"]\n        storageClassName: fast\n")
    found = risk_findings(range_analysis(git_repo, {"k8s/db.yaml": STATEFULSET}, {"k8s/db.yaml": after}))
    [finding] = by_rule(found, "K8S-IMMUTABLE-FIELD")
    assert (finding["side"], finding["line"], finding["severity"]) == ("new", 36, "high")  # the added line
    assert "volumeClaimTemplates" in finding["message"]


def test_replicas_and_template_changes_are_not_immutable_edits(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace("replicas: 3", "replicas: 5").replace("postgres:16", "postgres:16.4")
    found = risk_findings(range_analysis(git_repo, {"k8s/db.yaml": STATEFULSET}, {"k8s/db.yaml": after}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []


def test_init_container_removed_from_a_statefulset_is_high(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('''      initContainers:
        - name: fix-permissions
          image: busybox:1.36
          command: ["chown", "-R", "999:999", "/data"]
''', "")
    found = risk_findings(range_analysis(git_repo, {"k8s/db.yaml": STATEFULSET}, {"k8s/db.yaml": after}))
    [finding] = by_rule(found, "K8S-INIT-CONTAINER-REMOVED")
    assert (finding["side"], finding["line"], finding["severity"]) == ("old", 18, "high")


def test_probe_removed_is_flagged_on_the_old_side(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('''          livenessProbe:
            exec:
              command: ["pg_isready"]
            timeoutSeconds: 5
''', "")
    found = risk_findings(range_analysis(git_repo, {"k8s/db.yaml": STATEFULSET}, {"k8s/db.yaml": after}))
    [finding] = by_rule(found, "K8S-PROBE-REMOVED")
    assert (finding["side"], finding["line"]) == ("old", 24)
    assert "livenessProbe" in finding["message"]


def test_probe_moved_into_values_yaml_is_a_move(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('''          livenessProbe:
            exec:
              command: ["pg_isready"]
            timeoutSeconds: 5
''', "")
    values = "livenessProbe:\n  exec:\n    command: [\"pg_isready\"]\n  timeoutSeconds: 5\n"
    found = risk_findings(range_analysis(git_repo, {"k8s/db.yaml": STATEFULSET},
                                         {"k8s/db.yaml": after, "k8s/values.yaml": values}))
    assert by_rule(found, "K8S-PROBE-REMOVED") == []


def test_a_manifest_deleted_whole_loses_no_probe() -> None:
    found = findings(deleted_file("k8s/db.yaml", STATEFULSET))
    assert by_rule(found, "K8S-PROBE-REMOVED") == [] and by_rule(found, "K8S-INIT-CONTAINER-REMOVED") == []


def test_clusterrole_gaining_deletecollection_is_flagged_and_plain_reads_are_not() -> None:
    role = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: janitor
rules:
  - apiGroups: [""]
    resources: ["pods", "configmaps"]
    verbs:
      - get
      - list
      - deletecollection
'''
    found = by_rule(findings(added_file("k8s/rbac.yaml", role)), "K8S-RBAC-WIDENED")
    # A new role (its file added whole): a new component, medium.
    assert {(f.line, f.severity) for f in found} == {(10 + 10, "medium")}
    assert "deletecollection" in found[0].message
    reads = role.replace("      - deletecollection\n", "")
    assert [f for f in findings(added_file("k8s/rbac.yaml", reads)) if f.rule.startswith("K8S-RBAC")] == []


def test_secrets_read_and_wildcards_and_cluster_admin() -> None:
    text = '''apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get"]
  - apiGroups: ["apps"]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ops
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: Group
    name: ops
'''
    found = findings(added_file("k8s/rbac.yaml", text))
    # New objects: the secrets read is a new component's (medium); every verb on every resource of a
    # Kubernetes group and a cluster-admin binding act the moment they are applied (critical).
    assert sorted((f.rule, f.severity) for f in found if f.rule.startswith("K8S-RBAC")) == [
        ("K8S-RBAC-WIDENED", "medium"), ("K8S-RBAC-WILDCARD", "critical"), ("K8S-RBAC-WILDCARD", "critical")]


DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
spec:
  replicas: 2
  selector:
    matchLabels:
      app: agent
  template:
    spec:
      tolerations:
        - key: "CriticalAddonsOnly"
          operator: "Exists"
      containers:
        - name: agent
          image: agent:1.0
'''


def test_critical_addons_only_toleration_is_not_a_secret_nor_anything_else() -> None:
    assert findings(added_file("k8s/agent.yaml", DEPLOYMENT)) == []


def test_privileges_added_to_a_pod_spec() -> None:
    privileged = DEPLOYMENT.replace("  template:\n    spec:\n", "  template:\n    spec:\n      hostPID: true\n").replace(
        "          image: agent:1.0\n",
        "          image: agent:1.0\n          securityContext:\n            privileged: true\n            runAsUser: 0\n"
        "            capabilities:\n              add: [\"NET_BIND_SERVICE\", \"SYS_ADMIN\"]\n")
    found = by_rule(findings(added_file("k8s/agent.yaml", privileged)), "K8S-PRIVILEGED")
    # One finding per line (the worse capability), each medium: the Deployment is new (its file added whole).
    assert sorted((f.line - 10, f.severity) for f in found) == [
        (11, "medium"), (19, "medium"), (20, "medium"), (22, "medium")]


def test_scale_to_zero_once_and_not_twice() -> None:
    found = findings(added_file("k8s/agent.yaml", DEPLOYMENT.replace("replicas: 2", "replicas: 0")))
    assert rules_of(found) == ["K8S-SCALE-TO-ZERO"]
    assert found[0].line == 15


def test_selector_change_on_a_deployment_is_immutable(git_repo: GitRepo) -> None:
    after = DEPLOYMENT.replace("      app: agent\n  template", "      app: agent-v2\n  template")
    found = risk_findings(range_analysis(git_repo, {"k8s/agent.yaml": DEPLOYMENT}, {"k8s/agent.yaml": after}))
    [finding] = by_rule(found, "K8S-IMMUTABLE-FIELD")
    assert finding["line"] == 9  # the edited label inside spec.selector


def test_a_helm_template_does_not_parse_and_keeps_its_line_rules() -> None:
    template = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 0\n  {{- if .Values.debug }}\n  x: 1\n  {{- end }}\n"
    [finding] = by_rule(findings(added_file("charts/app/templates/deploy.yaml", template)), "K8S-SCALE-TO-ZERO")
    assert "did not parse as YAML" in finding.message


def test_yaml_that_is_not_a_manifest_is_left_to_line_rules() -> None:
    compose = "services:\n  web:\n    image: web\n    privileged: true\n"
    [finding] = by_rule(findings(added_file("deploy/compose.yaml", compose)), "K8S-PRIVILEGED")
    assert "did not parse" not in finding.message


VALUES = '''auth:
  allow_all: false
tls:
  enabled: true
image:
  repository: example/authenticator
  tag: "1.4.2"
replicaCount: 2
'''


def test_helm_default_switched_to_allow_all(git_repo: GitRepo) -> None:
    after = VALUES.replace("allow_all: false", "allow_all: true")
    found = risk_findings(range_analysis(git_repo, {"charts/auth/values.yaml": VALUES}, {"charts/auth/values.yaml": after}))
    [finding] = by_rule(found, "HELM-DEFAULT-WEAKENED")
    assert (finding["line"], finding["severity"]) == (2, "high")
    assert "auth.allow_all" in finding["message"]


def test_helm_defaults_tls_off_and_latest_tag(git_repo: GitRepo) -> None:
    after = VALUES.replace("enabled: true", "enabled: false").replace('tag: "1.4.2"', "tag: latest")
    found = risk_findings(range_analysis(git_repo, {"charts/auth/values.yaml": VALUES}, {"charts/auth/values.yaml": after}))
    assert sorted((f["line"], f["severity"]) for f in by_rule(found, "HELM-DEFAULT-WEAKENED")) == [(4, "high"), (7, "medium")]


def test_helm_defaults_made_safer_are_silent(git_repo: GitRepo) -> None:
    after = VALUES.replace("replicaCount: 2", "replicaCount: 3")
    found = risk_findings(range_analysis(git_repo, {"charts/auth/values.yaml": VALUES}, {"charts/auth/values.yaml": after}))
    assert by_rule(found, "HELM-DEFAULT-WEAKENED") == []


def test_a_custom_resource_embedding_pod_settings_is_left_to_the_line_rules() -> None:
    release = '''apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: agent
spec:
  values:
    securityContext:
      privileged: true
'''
    [finding] = by_rule(findings(added_file("clusters/prod/agent.yaml", release)), "K8S-PRIVILEGED")
    assert "HelmRelease objects are not analysed by structure" in finding.message


def test_a_selector_written_out_where_the_server_defaulted_it_is_not_an_edit(git_repo: GitRepo) -> None:
    implicit = DEPLOYMENT.replace("  selector:\n    matchLabels:\n      app: agent\n", "")
    found = risk_findings(range_analysis(git_repo, {"k8s/agent.yaml": implicit}, {"k8s/agent.yaml": DEPLOYMENT}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []


SECRETS_ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: controller
rules:
  - apiGroups: [""]
    resources:
      - configmaps
    verbs:
      - get
      - create
      - update
  - apiGroups: [""]
    resources:
      - secrets
    verbs:
      - get
'''


def test_write_verbs_on_secrets_and_a_namespace_added_to_a_writing_rule(git_repo: GitRepo) -> None:
    after = SECRETS_ROLE.replace("      - configmaps\n", "      - configmaps\n      - namespaces\n") + "      - patch\n"
    found = risk_findings(range_analysis(git_repo, {"deploy/rbac.yaml": SECRETS_ROLE}, {"deploy/rbac.yaml": after}))
    assert sorted((f["line"], f["severity"]) for f in by_rule(found, "K8S-RBAC-WIDENED")) == [(9, "high"), (19, "high")]


def test_probes_removed_from_a_statefulset_are_high(git_repo: GitRepo) -> None:
    after = STATEFULSET.replace('''          readinessProbe:
            exec:
              command: ["pg_isready"]
''', "")
    found = risk_findings(range_analysis(git_repo, {"k8s/db.yaml": STATEFULSET}, {"k8s/db.yaml": after}))
    assert [(f["line"], f["severity"]) for f in by_rule(found, "K8S-PROBE-REMOVED")] == [(28, "high")]


NETWORK_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Ingress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
"""


def test_an_ingress_policy_added_over_running_pods_is_high(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"k8s/README.md": "shop\n"}, {"k8s/api-networkPolicy.yaml": NETWORK_POLICY}))
    assert [(f["rule"], f["line"], f["severity"]) for f in found if f["rule"].startswith("K8S-")] == [("K8S-NETWORK-POLICY-ADDED", 2, "high")]


def test_a_policy_added_with_its_workload_or_namespace_wide_is_silent(git_repo: GitRepo) -> None:
    deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n"
    default_deny = NETWORK_POLICY.replace("  podSelector:\n    matchLabels:\n      app: api\n", "  podSelector: {}\n", 1)
    found = risk_findings(range_analysis(git_repo, {"k8s/README.md": "shop\n"}, {
        "k8s/api-networkPolicy.yaml": NETWORK_POLICY, "k8s/api-deployment.yaml": deployment}))
    assert by_rule(found, "K8S-NETWORK-POLICY-ADDED") == []
    found = risk_findings(range_analysis(git_repo, {"k8s/README.md": "shop 2\n"}, {"k8s/default-deny.yaml": default_deny}))
    assert by_rule(found, "K8S-NETWORK-POLICY-ADDED") == []


MYSQL = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  template:
    spec:
      containers:
      - name: mysql
        image: mysql:5.6
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: db-data
"""


def test_a_database_jumping_a_major_version_on_its_volume(git_repo: GitRepo) -> None:
    after = MYSQL.replace("mysql:5.6", "mysql:8.0")
    found = by_rule(risk_findings(range_analysis(git_repo, {"k8s/db.yaml": MYSQL}, {"k8s/db.yaml": after})), "K8S-DATASTORE-MAJOR-UPGRADE")
    assert [(f["line"], f["severity"]) for f in found] == [(10, "high")]


def test_a_minor_bump_or_a_database_without_a_volume_is_silent(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"k8s/db.yaml": MYSQL}, {"k8s/db.yaml": MYSQL.replace("mysql:5.6", "mysql:5.7")}))
    assert by_rule(found, "K8S-DATASTORE-MAJOR-UPGRADE") == []
    ephemeral = MYSQL.split("      volumes:")[0]
    found = risk_findings(range_analysis(git_repo, {"k8s/cache.yaml": ephemeral}, {"k8s/cache.yaml": ephemeral.replace("mysql:5.6", "mysql:8.0")}))
    assert by_rule(found, "K8S-DATASTORE-MAJOR-UPGRADE") == []
