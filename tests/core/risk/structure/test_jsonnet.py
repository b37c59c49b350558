"""Jsonnet manifest libraries: pod security relaxed on an added line of code (not a comment)."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PSP = """local restricted = {
  apiVersion: 'policy/v1beta1',
  kind: 'PodSecurityPolicy',
  spec: {
    runAsUser: { rule: 'MustRunAsNonRoot' },
    volumes: [
      'configMap',
      'secret',
    ],
  },
};
{
  exporter+: {
    podSecurityPolicy: restricted {
      spec+: {
        readOnlyRootFilesystem: true,
      },
    },
  },
}
"""
PATH = "jsonnet/lib/addons/psp.libsonnet"


def test_capability_hostpath_and_run_as_any_added_to_a_policy(git_repo: GitRepo) -> None:
    after = PSP.replace("        readOnlyRootFilesystem: true,\n",
                        "        readOnlyRootFilesystem: true,\n        allowedCapabilities: [\n          'SYS_TIME',\n        ],\n"
                        "        volumes+: [\n          'hostPath',\n        ],\n        runAsUser: { rule: 'RunAsAny' },\n")
    found = by_rule(risk_findings(range_analysis(git_repo, {PATH: PSP}, {PATH: after})), "K8S-POD-SECURITY-RELAXED")
    assert [(f["line"], f["severity"]) for f in found] == [(18, "high"), (21, "high"), (23, "high")]


def test_a_privileged_field_written_by_a_library(git_repo: GitRepo) -> None:
    before = "{\n  spec: {\n    hostNetwork: false,\n  },\n}\n"
    after = "{\n  spec: {\n    hostNetwork: true,\n    // privileged: true,\n  },\n}\n"
    found = by_rule(risk_findings(range_analysis(git_repo, {"lib/ds.libsonnet": before}, {"lib/ds.libsonnet": after})), "K8S-POD-SECURITY-RELAXED")
    assert [f["line"] for f in found] == [3]


def test_ordinary_items_moves_and_comments_are_silent(git_repo: GitRepo) -> None:
    after = PSP.replace("      'secret',\n", "      'secret',\n      'emptyDir',\n").replace(
        "    runAsUser: { rule: 'MustRunAsNonRoot' },\n", "    // runAsUser: { rule: 'RunAsAny' } was too broad\n"
        "    runAsUser: { rule: 'MustRunAsNonRoot' },\n")
    found = risk_findings(range_analysis(git_repo, {PATH: PSP}, {PATH: after}))
    assert by_rule(found, "K8S-POD-SECURITY-RELAXED") == []
