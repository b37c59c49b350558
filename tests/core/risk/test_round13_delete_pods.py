"""Deleting pods is a restart, not a teardown: ``kubectl delete pod`` in a script or Makefile is
OPS-KUBECTL-DELETE-PODS (medium; high for every pod or a target from a variable), and the high
OPS-CLOUD-DELETE-CLI keeps every other delete, including one on the same line as a pod delete."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

MAKEFILE = '''CHART := elasticsearch
RELEASE := helm-es-upgrade

install:
\t../../../helpers/upgrade.sh --chart $(CHART) --release $(RELEASE)
'''


def _findings(git_repo: GitRepo, added: str, path: str = "examples/upgrade/Makefile") -> dict[str, list[dict]]:
    found = risk_findings(range_analysis(git_repo, {path: MAKEFILE}, {path: MAKEFILE + added}))
    return {rule: by_rule(found, rule) for rule in ("OPS-CLOUD-DELETE-CLI", "OPS-KUBECTL-DELETE-PODS")}


def test_deleting_pods_by_selector_is_a_medium_restart(git_repo: GitRepo) -> None:
    found = _findings(git_repo, "\tkubectl delete pod --selector=app=upgrade-master\n")
    assert found["OPS-CLOUD-DELETE-CLI"] == []
    [pods] = found["OPS-KUBECTL-DELETE-PODS"]
    assert pods["severity"] == "medium"
    assert "restarts at the same time" in pods["message"]


def test_deleting_every_pod_of_a_namespace_is_high(git_repo: GitRepo) -> None:
    found = _findings(git_repo, "\tkubectl delete pods --all -n prod\n")
    assert found["OPS-CLOUD-DELETE-CLI"] == []
    assert [f["severity"] for f in found["OPS-KUBECTL-DELETE-PODS"]] == ["high"]


def test_another_delete_on_the_same_line_keeps_the_high_rule(git_repo: GitRepo) -> None:
    found = _findings(git_repo, "\tkubectl delete pod web-0 && kubectl delete pvc data-web-0\n")
    assert [f["severity"] for f in found["OPS-CLOUD-DELETE-CLI"]] == ["high"]


def test_deleting_a_workload_or_a_look_alike_kind_keeps_the_high_rule(git_repo: GitRepo) -> None:
    for command in ("kubectl delete statefulset upgrade-master", "kubectl delete podsecuritypolicy old",
                    "kubectl delete --namespace prod pod web-0"):
        found = _findings(git_repo, f"\t{command}\n")
        assert [f["severity"] for f in found["OPS-CLOUD-DELETE-CLI"]] == ["high"], command
        assert found["OPS-KUBECTL-DELETE-PODS"] == [], command


def test_a_variable_namespace_alone_does_not_make_the_target_a_variable(git_repo: GitRepo) -> None:
    found = _findings(git_repo, "\tkubectl delete job train -n ${NAMESPACE}\n", path="scripts/train.sh")
    assert [f["severity"] for f in found["OPS-CLOUD-DELETE-CLI"]] == ["high"]


def test_a_variable_target_is_critical_whatever_the_namespace(git_repo: GitRepo) -> None:
    found = _findings(git_repo, "\tkubectl delete job $JOB -n ${NAMESPACE}\n", path="scripts/train.sh")
    assert [f["severity"] for f in found["OPS-CLOUD-DELETE-CLI"]] == ["critical"]
