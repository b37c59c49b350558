"""Noise classes seen on real commits: each with the case that must stay quiet and the one that must not."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

OPERATOR_ROLE = '''apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: operator
rules:
  - apiGroups:
      - monitoring.example.com
    resources:
      - monitors
      - probes
    verbs:
      - '*'
  - apiGroups:
      - ""
    resources:
      - configmaps
    verbs:
      - '*'
'''


def _rbac(found: list[dict]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["severity"]) for f in found if f["rule"].startswith("K8S-RBAC"))


def test_a_resource_added_under_a_wildcard_the_role_already_held_is_not_a_new_wildcard(git_repo: GitRepo) -> None:
    after = OPERATOR_ROLE.replace("      - probes\n", "      - probes\n      - probes/status\n")
    found = risk_findings(range_analysis(git_repo, {"k8s/role.yaml": OPERATOR_ROLE}, {"k8s/role.yaml": after}))
    assert _rbac(found) == []


def test_a_wildcard_new_to_the_role_or_covering_secrets_is_still_flagged(git_repo: GitRepo) -> None:
    narrow = OPERATOR_ROLE.replace("      - '*'\n", "      - get\n", 1)
    found = risk_findings(range_analysis(git_repo, {"k8s/role.yaml": narrow}, {"k8s/role.yaml": OPERATOR_ROLE}))
    assert _rbac(found) == [("K8S-RBAC-WILDCARD", "critical")]
    assert "every verb" in by_rule(found, "K8S-RBAC-WILDCARD")[0]["message"]


def test_secrets_joining_an_existing_wildcard_rule_are_flagged(git_repo: GitRepo) -> None:
    after = OPERATOR_ROLE.replace("      - configmaps\n", "      - configmaps\n      - secrets\n")
    found = risk_findings(range_analysis(git_repo, {"k8s/role.yaml": OPERATOR_ROLE}, {"k8s/role.yaml": after}))
    widened = by_rule(found, "K8S-RBAC-WIDENED")
    assert [(f["line"], f["severity"]) for f in widened] == [(17, "high")]
    assert "secrets" in widened[0]["message"]


WORKFLOW = '''name: publish
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v4
      - run: make dist
'''


def _widened(found: list[dict]) -> list[tuple[int, str]]:
    return sorted((f["line"], f["severity"]) for f in by_rule(found, "GHA-PERMISSIONS-WIDENED"))


def test_id_token_for_oidc_publishing_is_medium(git_repo: GitRepo) -> None:
    after = WORKFLOW.replace("      contents: read\n", "      contents: read\n      id-token: write\n")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/publish.yml": WORKFLOW},
                                         {".github/workflows/publish.yml": after}))
    assert _widened(found) == [(10, "medium")]
    assert "trust policy" in by_rule(found, "GHA-PERMISSIONS-WIDENED")[0]["message"]


def test_id_token_on_an_event_an_outsider_causes_and_contents_write_stay_high(git_repo: GitRepo) -> None:
    after = WORKFLOW.replace("  push:\n    tags: [\"v*\"]\n", "  issue_comment:\n") \
        .replace("      contents: read\n", "      contents: write\n      id-token: write\n")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/publish.yml": WORKFLOW},
                                         {".github/workflows/publish.yml": after}))
    assert _widened(found) == [(8, "high"), (9, "high")]


ROLE_TF = '''resource "aws_iam_role" "flow_log" {
  name_prefix        = "flow-log-role-"
  assume_role_policy = "{}"
}
'''
CONFIGURABLE_TF = '''resource "aws_iam_role" "flow_log" {
  name        = var.role_use_name_prefix ? null : var.role_name
  name_prefix = var.role_use_name_prefix ? "${var.role_name}-" : null
  path        = var.role_path
  assume_role_policy = "{}"
}
'''
NEW_VARIABLES_TF = '''variable "role_name" {
  type    = string
  default = "%s"
}

variable "role_use_name_prefix" {
  type    = bool
  default = true
}

variable "role_path" {
  type    = string
  default = null
}
'''


def _replaced(found: list[dict]) -> list[tuple[int, str]]:
    return sorted((f["line"], f["severity"]) for f in by_rule(found, "TF-FORCES-REPLACEMENT"))


def test_an_argument_made_configurable_whose_new_defaults_render_the_old_value_is_not_a_replacement(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"main.tf": ROLE_TF, "variables.tf": "\n"},
                                         {"main.tf": CONFIGURABLE_TF, "variables.tf": NEW_VARIABLES_TF % "flow-log-role"}))
    assert _replaced(found) == []


def test_new_defaults_that_render_another_value_still_force_replacement(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"main.tf": ROLE_TF, "variables.tf": "\n"},
                                         {"main.tf": CONFIGURABLE_TF, "variables.tf": NEW_VARIABLES_TF % "vpc-role"}))
    assert _replaced(found) == [(3, "high")]
    assert "name_prefix" in by_rule(found, "TF-FORCES-REPLACEMENT")[0]["message"]


NFS_SERVER = '''apiVersion: v1
kind: ReplicationController
metadata:
  name: nfs-server
spec:
  replicas: 1
  selector:
    role: nfs-server
  template:
    metadata:
      labels:
        role: nfs-server
    spec:
      containers:
        - name: nfs-server
          image: nfs-server:1.0
          securityContext:
            privileged: true
'''
AS_DEPLOYMENT = NFS_SERVER.replace("apiVersion: v1\nkind: ReplicationController", "apiVersion: apps/v1\nkind: Deployment") \
    .replace("  selector:\n    role: nfs-server\n", "  selector:\n    matchLabels:\n      role: nfs-server\n")


def _privileged(found: list[dict]) -> list[tuple[int, str]]:
    return sorted((f["line"], f["severity"]) for f in by_rule(found, "K8S-PRIVILEGED"))


def test_a_workload_converted_to_another_kind_keeps_its_privileges_without_a_finding(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"nfs/server.yaml": NFS_SERVER}, {"nfs/server.yaml": AS_DEPLOYMENT}))
    assert _privileged(found) == [] and by_rule(found, "K8S-IMMUTABLE-FIELD") == []


def test_a_converted_workload_that_becomes_privileged_is_still_flagged(git_repo: GitRepo) -> None:
    before = NFS_SERVER.replace("          securityContext:\n            privileged: true\n", "")
    found = risk_findings(range_analysis(git_repo, {"nfs/server.yaml": before}, {"nfs/server.yaml": AS_DEPLOYMENT}))
    assert _privileged(found) == [(19, "high")]


REDIS = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis-follower
spec:
  selector:
    matchLabels:
      role: follower
  template:
    metadata:
      labels:
        role: follower
    spec:
      containers:
        - name: redis
          image: redis:7
'''


def test_a_renamed_workload_is_a_new_object_so_its_selector_may_differ(git_repo: GitRepo) -> None:
    after = REDIS.replace("redis-follower", "redis-replica").replace("role: follower", "role: replica")
    found = risk_findings(range_analysis(git_repo, {"k8s/redis.yaml": REDIS}, {"k8s/redis.yaml": after}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []


def test_a_selector_changed_on_the_same_workload_is_still_an_immutable_edit(git_repo: GitRepo) -> None:
    after = REDIS.replace("role: follower", "role: replica")
    found = risk_findings(range_analysis(git_repo, {"k8s/redis.yaml": REDIS}, {"k8s/redis.yaml": after}))
    assert [(f["line"], f["severity"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")] == [(8, "high")]


def _with_host_volume(path: str, read_only: bool) -> str:
    mount = "          volumeMounts:\n            - name: host\n              mountPath: /mnt/host\n" \
        + ("              readOnly: true\n" if read_only else "")
    return REDIS + mount + f"      volumes:\n        - name: host\n          hostPath: {{path: {path}}}\n"


def test_read_only_ca_certificates_and_the_syslog_socket_are_medium(git_repo: GitRepo) -> None:
    after = _with_host_volume("/etc/ssl/certs", True)
    found = risk_findings(range_analysis(git_repo, {"k8s/redis.yaml": REDIS}, {"k8s/redis.yaml": after}))
    assert _privileged(found) == [(22, "medium")]
    assert "public CA certificates" in by_rule(found, "K8S-PRIVILEGED")[0]["message"]
    found = risk_findings(range_analysis(git_repo, {"k8s/log.yaml": REDIS}, {"k8s/log.yaml": _with_host_volume("/dev/log", False)}))
    assert _privileged(found) == [(21, "medium")]


def test_writable_certificates_and_other_host_paths_stay_high(git_repo: GitRepo) -> None:
    for index, (path, read_only) in enumerate((("/etc/ssl/certs", False), ("/var/lib/kubelet", True))):
        name = f"k8s/redis{index}.yaml"
        found = risk_findings(range_analysis(git_repo, {name: REDIS}, {name: _with_host_volume(path, read_only)}))
        assert [s for _, s in _privileged(found)] == ["high"], path


RELEASE = '''name: release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: example/publish-action@v1
        with:
          github_token: ${{ secrets.BOT_GITHUB_TOKEN }}
'''


def test_a_job_swapping_a_stored_token_for_the_job_token_is_medium(git_repo: GitRepo) -> None:
    after = RELEASE.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n") \
        .replace("secrets.BOT_GITHUB_TOKEN", "github.token")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/release.yml": RELEASE},
                                         {".github/workflows/release.yml": after}))
    assert _widened(found) == [(9, "medium")]
    assert "BOT_GITHUB_TOKEN" in by_rule(found, "GHA-PERMISSIONS-WIDENED")[0]["message"]


def test_a_tag_push_job_gaining_contents_write_is_medium(git_repo: GitRepo) -> None:
    # Only a pushed tag starts the job (no outsider's code reaches it): a write scope a release
    # job asks for is worth a look, not a stop (test_actions_history_classes.py has the high cases).
    after = RELEASE.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/release.yml": RELEASE},
                                         {".github/workflows/release.yml": after}))
    assert _widened(found) == [(9, "medium")]


SUBNET_TF = '''resource "aws_subnet" "public" {
  count      = 2
  vpc_id     = "vpc-1"
  cidr_block = "${element(concat(var.public_subnets, list("")), count.index)}"
}
'''


def test_the_legacy_list_syntax_rewritten_is_the_same_value(git_repo: GitRepo) -> None:
    after = SUBNET_TF.replace('"${element(concat(var.public_subnets, list("")), count.index)}"',
                              'element(concat(var.public_subnets, [""]), count.index)')
    found = risk_findings(range_analysis(git_repo, {"main.tf": SUBNET_TF}, {"main.tf": after}))
    assert _replaced(found) == []


def test_another_list_in_the_same_expression_still_forces_replacement(git_repo: GitRepo) -> None:
    after = SUBNET_TF.replace('list("")', 'list("10.0.9.0/24")')
    found = risk_findings(range_analysis(git_repo, {"main.tf": SUBNET_TF}, {"main.tf": after}))
    assert _replaced(found) == [(4, "high")]


HELM_HELPERS = '''{{- define "app.selectorLabels" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/name: {{ template "app.name" . }}
{{- end }}
'''
HELM_WORKLOAD = '''apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ template "app.fullname" . }}
spec:
  selector:
    matchLabels:
      {{- include "app.selectorLabels" . | indent 6 }}
  template:
    spec:
      containers:
        - name: app
          image: app:1
'''
HELPERS_TPL, WORKLOAD_YAML = "charts/app/templates/_helpers.tpl", "charts/app/templates/daemonset.yaml"


def test_selector_helpers_reordered_with_include_for_template_render_the_same_labels(git_repo: GitRepo) -> None:
    helpers = '''{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
'''
    workload = HELM_WORKLOAD.replace("| indent 6", "| nindent 6")
    found = risk_findings(range_analysis(git_repo, {HELPERS_TPL: HELM_HELPERS, WORKLOAD_YAML: HELM_WORKLOAD},
                                         {HELPERS_TPL: helpers, WORKLOAD_YAML: workload}))
    assert by_rule(found, "K8S-IMMUTABLE-FIELD") == []


def test_a_selector_helper_calling_another_template_still_changes_the_selector(git_repo: GitRepo) -> None:
    helpers = HELM_HELPERS.replace('{{ template "app.name" . }}', '{{ include "app.fullname" . }}')
    workload = HELM_WORKLOAD.replace('"app.selectorLabels" . | indent 6', '"app.labels" . | nindent 6')
    found = risk_findings(range_analysis(git_repo, {HELPERS_TPL: HELM_HELPERS, WORKLOAD_YAML: HELM_WORKLOAD},
                                         {HELPERS_TPL: helpers, WORKLOAD_YAML: workload}))
    assert sorted((f["path"], f["line"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")) == [(HELPERS_TPL, 3), (WORKLOAD_YAML, 8)]
