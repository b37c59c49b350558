"""Dangerous shapes seen in real history that the risk rules rated low or medium.

Each case is a minimal, hand-written change of the same shape as a commit in
benchmarks/realworld/corpus/dangerous.csv (the commit is named in ``seen_in``); none of the
third-party code is copied. The change is made in a real git repository and must be rated high or
critical with a high or critical finding on the culprit line (the added line, or the removed one
when the danger is what was taken away).

Cases the current rules still miss are marked ``xfail(strict=True)``: when a rule starts catching
one, the test fails as XPASS and the mark must be removed, so fixed misses stay fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.model import Change, LineKind
from reviewer_app.core.provenance import Provenance
from reviewer_app.core.risk import assess, load_rules
from tests.core.risk.realdiff import git_change
from tests.gitrepo import GitRepo

RULES = load_rules(None)
HUMAN = Provenance(ai_assisted=False)
FLAGGED = {"high", "critical"}


@dataclass
class Miss:
    name: str
    seen_in: str  # repository and commit of the real change of this shape
    path: str
    before: str | None  # None: the file is new
    after: str
    culprit: str  # text of the culprit line (a substring, whitespace-insensitive)
    removed: bool = False  # the culprit is a removed line (the protection that was lost)
    missed_because: str = ""  # set while the rules still miss it: the reason of the xfail mark


def workflow(job_permissions: str, steps: str, on: str = "push") -> str:
    return (
        "name: build\n"
        f"on: {on}\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        f"{job_permissions}"
        "    steps:\n"
        f"{steps}"
    )


PINNED = "      - uses: example-org/setup-tool@3f1c2b7a9d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a # v1.4.0\n"
CHECKOUT = "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"

CLUSTER_ROLE_BEFORE = (
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: ClusterRole\n"
    "metadata:\n"
    "  name: rollout-controller\n"
    "rules:\n"
    "- apiGroups: [\"\"]\n"
    "  resources:\n"
    "  - secrets\n"
    "  verbs:\n"
    "  - get\n"
    "  - list\n"
    "  - watch\n"
)

CONFIGMAP_RULE = (
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: ClusterRole\n"
    "metadata:\n"
    "  name: workflow-controller\n"
    "rules:\n"
    "- apiGroups: [\"\"]\n"
    "  resources:\n"
    "  - configmaps\n"
    "{extra}"
    "  verbs:\n"
    "  - get\n"
    "  - watch\n"
    "  - list\n"
    "  - create\n"
    "  - update\n"
)

STATEFULSET = (
    "apiVersion: apps/v1\n"
    "kind: StatefulSet\n"
    "metadata:\n"
    "  name: ledger-db\n"
    "spec:\n"
    "  serviceName: ledger-db\n"
    "  replicas: 3\n"
    "  selector:\n"
    "    matchLabels:\n"
    "      app: ledger-db\n"
    "  template:\n"
    "    metadata:\n"
    "      labels:\n"
    "        app: ledger-db\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: db\n"
    "        image: registry.example.com/ledger-db:2.3.1\n"
    "{probes}"
    "        ports:\n"
    "        - containerPort: 8080\n"
)

PROBES = (
    "        livenessProbe:\n"
    "          httpGet:\n"
    "            path: /health\n"
    "            port: 8080\n"
    "          initialDelaySeconds: 30\n"
    "        readinessProbe:\n"
    "          httpGet:\n"
    "            path: /health?ready=1\n"
    "            port: 8080\n"
)

TF_DEFAULT_SG = (
    "variable \"manage_default_security_group\" {{\n"
    "  description = \"Adopt the VPC's default security group and manage its rules\"\n"
    "  type        = bool\n"
    "  default     = {value}\n"
    "}}\n"
    "\n"
    "variable \"default_security_group_ingress\" {{\n"
    "  type    = list(map(string))\n"
    "  default = []\n"
    "}}\n"
)

GO_NOTIFIER_BEFORE = (
    "package notify\n\n"
    "func (n *Notifier) publishInput(tmpl func(string) string, tmplErr *error) (*Input, error) {\n"
    "\ttopic := tmpl(n.conf.TopicARN)\n"
    "\tif *tmplErr != nil {\n"
    "\t\treturn nil, fmt.Errorf(\"execute topic_arn template: %w\", *tmplErr)\n"
    "\t}\n"
    "\treturn &Input{Topic: topic}, nil\n"
    "}\n"
)

GO_NOTIFIER_AFTER = (
    "package notify\n\n"
    "func (n *Notifier) publishInput(tmpl func(string) string) (*Input, error) {\n"
    "\ttopic := tmpl(n.conf.TopicARN)\n"
    "\treturn &Input{Topic: topic}, nil\n"
    "}\n"
)

PY_TEST_BEFORE = (
    "from django.test import TestCase\n\n\n"
    "class CablePathTests(TestCase):\n\n"
    "    def test_path_through_rear_ports(self):\n"
    "        path = trace_path(self.interface_a)\n"
    "        self.assertEqual(path.destination, self.interface_b)\n"
)

PY_TEST_AFTER = (
    "from unittest import skip\n\n"
    "from django.test import TestCase\n\n\n"
    "class CablePathTests(TestCase):\n\n"
    "    @skip(\"applicability to be decided\")\n"
    "    def test_path_through_rear_ports(self):\n"
    "        path = trace_path(self.interface_a)\n"
    "        self.assertEqual(path.destination, self.interface_b)\n"
)

MISSES = [
    Miss(
        "gha-pull-request-target-checks-out-head",
        "actions/starter-workflows 157a5156d853",
        ".github/workflows/scan-pr.yml",
        None,
        workflow(
            "    permissions:\n      pull-requests: write\n",
            "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
            "        with:\n"
            "          ref: ${{ github.event.pull_request.head.sha }}\n"
            "      - run: make scan\n"
            "        env:\n"
            "          SCAN_TOKEN: ${{ secrets.SCAN_TOKEN }}\n",
            on="\n  pull_request_target:\n    types: [opened, synchronize]",
        ),
        "ref: ${{ github.event.pull_request.head.sha }}",
    ),
    Miss(
        "gha-pinned-action-replaced-by-tag",
        "actions/starter-workflows 4b8ca42dd9f8",
        ".github/workflows/ci.yml",
        workflow("", CHECKOUT + PINNED + "      - run: make test\n"),
        workflow("", CHECKOUT + "      - uses: example-org/setup-tool@v1\n" + "      - run: make test\n"),
        "uses: example-org/setup-tool@v1",
    ),
    Miss(
        "gha-remote-script-piped-to-shell",
        "actions/starter-workflows 71b1a7c99f8b",
        ".github/workflows/pages.yml",
        workflow("    permissions:\n      pages: write\n      id-token: write\n", CHECKOUT + "      - run: make site\n"),
        workflow(
            "    permissions:\n      pages: write\n      id-token: write\n",
            CHECKOUT + "      - run: curl -sSf https://install.example.com/setup.sh | sh\n" + "      - run: make site\n",
        ),
        "curl -sSf https://install.example.com/setup.sh | sh",
    ),
    Miss(
        "gha-bot-pull-requests-merged-with-admin",
        "prometheus-community/helm-charts b3c4e87266c8",
        ".github/workflows/auto-merge.yml",
        workflow(
            "    permissions:\n      contents: read\n",
            "      - run: gh pr review \"$PR\" --approve\n",
            on="pull_request",
        ),
        workflow(
            "    permissions:\n      contents: read\n",
            "      - run: gh pr review \"$PR\" --approve\n"
            "      - run: gh pr merge \"$PR\" --admin --squash\n",
            on="pull_request",
        ),
        "gh pr merge \"$PR\" --admin --squash",
    ),
    Miss(
        "k8s-clusterrole-gains-secret-writes",
        "argoproj/argo-helm 19b1c138e138",
        "deploy/rbac/clusterrole.yaml",
        CLUSTER_ROLE_BEFORE,
        CLUSTER_ROLE_BEFORE + "  - create\n  - patch\n  - update\n",
        "- patch",
    ),
    Miss(
        "k8s-namespaces-added-to-a-writing-rule",
        "argoproj/argo-helm c87d581b79ce",
        "deploy/rbac/controller-clusterrole.yaml",
        CONFIGMAP_RULE.format(extra=""),
        CONFIGMAP_RULE.format(extra="  - namespaces\n"),
        "- namespaces",
    ),
    Miss(
        "k8s-statefulset-probes-removed",
        "kubernetes/examples 24e2a948ff40",
        "deploy/ledger-db/statefulset.yaml",
        STATEFULSET.format(probes=PROBES),
        STATEFULSET.format(probes=""),
        "livenessProbe:",
        removed=True,
    ),
    Miss(
        "tf-moved-block-deleted",
        "terraform-aws-modules/terraform-aws-iam e56f84df62ac",
        "modules/service-role/migrations.tf",
        "moved {\n  from = aws_iam_policy.gateway_controller\n  to   = aws_iam_policy.this\n}\n\n"
        "moved {\n  from = aws_iam_role_policy_attachment.gateway_controller\n"
        "  to   = aws_iam_role_policy_attachment.this\n}\n",
        "# Upgrades from v5 are handled by the upgrade guide.\n",
        "from = aws_iam_policy.gateway_controller",
        removed=True,
    ),
    Miss(
        "tf-module-default-flipped-to-adopt-default-security-group",
        "terraform-aws-modules/terraform-aws-vpc 44e6eaa154a9",
        "variables.tf",
        TF_DEFAULT_SG.format(value="false"),
        TF_DEFAULT_SG.format(value="true"),
        "default     = true",
    ),
    Miss(
        "go-template-error-no-longer-returned",
        "prometheus/alertmanager 7e2cd80c2d69",
        "notify/sns/sns.go",
        GO_NOTIFIER_BEFORE,
        GO_NOTIFIER_AFTER,
        "if *tmplErr != nil {",
        removed=True,
        missed_because=("a removed error check is medium on the line pattern alone, which cannot see whether the "
                        "failure is handled elsewhere; the real commit is high through GO-ERR-OVERWRITTEN-UNCHECKED "
                        "(its err is overwritten unchecked), which this reduced case leaves out"),
    ),
    Miss(
        "python-existing-test-skipped",
        "netbox-community/netbox 875e3e797960",
        "netbox/dcim/tests/test_cablepaths.py",
        PY_TEST_BEFORE,
        PY_TEST_AFTER,
        "@skip(\"applicability to be decided\")",
    ),
]


def culprit_line(change: Change, path: str, culprit: str, removed: bool) -> tuple[str, int]:
    """The (side, line number) of the changed line holding the culprit text; exactly one must match."""
    needle = " ".join(culprit.split())
    kind = LineKind.REMOVED if removed else LineKind.ADDED
    spots = [
        ("old", line.old_no) if removed else ("new", line.new_no)
        for file in change.files if file.path == path
        for hunk in file.hunks for line in hunk.lines
        if line.kind == kind and needle in " ".join(line.text.split())
    ]
    assert len(spots) == 1, f"culprit {culprit!r} matches {len(spots)} changed lines of {path}"
    return spots[0]


def committed_range(repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> Change:
    """Commit ``before`` then ``after`` and load HEAD~1..HEAD as `analyze --git` does.

    A range gives the structured analysers both whole texts (a bare patch gives only hunks), so the
    case is judged as users get it.
    """
    repo.write_files(dict(before))
    repo.commit("before")
    repo.write_files(after)
    repo.commit("after")
    return load_git_range(repo.path, "HEAD~1..HEAD")


def case_params() -> list:
    params = []
    for miss in MISSES:
        marks = [pytest.mark.xfail(strict=True, reason=miss.missed_because)] if miss.missed_because else []
        params.append(pytest.param(miss, id=miss.name, marks=marks))
    return params


@pytest.mark.parametrize("miss", case_params())
def test_real_world_danger_is_flagged_on_its_culprit(git_repo: GitRepo, miss: Miss) -> None:
    before = {} if miss.before is None else {miss.path: miss.before}
    if not before:
        before = {"README.md": "placeholder\n"}  # an initial commit for the new file to be diffed against
    change = committed_range(git_repo, before, {miss.path: miss.after})
    side, number = culprit_line(change, miss.path, miss.culprit, miss.removed)
    report = assess(change, HUMAN, RULES)
    on_culprit = [f for f in report.findings if f.path == miss.path and f.side == side and f.line == number]
    assert report.level in FLAGGED, f"rated {report.level}; findings {[(f.rule, f.severity, f.line) for f in report.findings]}"
    assert any(f.severity in FLAGGED for f in on_culprit), (
        f"no high/critical finding on {miss.path}:{side}:{number}; "
        f"findings {[(f.rule, f.severity, f.side, f.line) for f in report.findings]}")


def test_culprit_lookup_refuses_an_ambiguous_culprit(git_repo: GitRepo) -> None:
    change = git_change(git_repo, {"a.txt": "x\n"}, {"a.txt": "x\nsame\nsame\n"})
    with pytest.raises(AssertionError, match="matches 2 changed lines"):
        culprit_line(change, "a.txt", "same", removed=False)
