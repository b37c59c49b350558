"""OPS-CLOUD-DELETE-CLI in a script that creates its own throwaway local cluster (kind, k3d, minikube) on an
earlier line and points kubectl nowhere else: the delete acts on that cluster, medium, saying so. A delete
before the cluster exists, a script that also fetches cloud credentials or switches context, or a cloud
CLI delete keep the high rating."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

SCRIPT = '''#!/usr/bin/env bash
set -o errexit

create_cluster() {{
    kind create cluster --name "$CLUSTER_NAME" --wait 60s
{extra}}}

configure() {{
    kubectl get nodes
}}
'''


def _deletes(git_repo: GitRepo, extra: str, added: str) -> list[dict]:
    before = {".ci/install_charts.sh": SCRIPT.format(extra=extra)}
    after = {".ci/install_charts.sh": SCRIPT.format(extra=extra).replace("    kubectl get nodes\n",
                                                                        f"    kubectl get nodes\n    {added}\n")}
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), "OPS-CLOUD-DELETE-CLI")


def test_a_delete_on_the_cluster_the_script_creates_is_medium(git_repo: GitRepo) -> None:
    [found] = _deletes(git_repo, "", "kubectl delete storageclass standard")
    assert found["severity"] == "medium"
    assert "creates a throwaway local cluster first (line 5)" in found["message"]


def test_cloud_credentials_in_the_script_keep_it_high(git_repo: GitRepo) -> None:
    extra = "    gcloud container clusters get-credentials prod --region europe-west1\n"
    [found] = _deletes(git_repo, extra, "kubectl delete storageclass standard")
    assert found["severity"] == "high"


def test_a_cloud_cli_delete_keeps_it_high(git_repo: GitRepo) -> None:
    [found] = _deletes(git_repo, "", "gcloud compute disks delete data-disk --quiet")
    assert found["severity"] == "high"


def test_a_delete_before_the_cluster_is_created_keeps_it_high(git_repo: GitRepo) -> None:
    before = {"ci/run.sh": "#!/bin/sh\nkind create cluster\n"}
    after = {"ci/run.sh": "#!/bin/sh\nkubectl delete namespace shop\nkind create cluster\n"}
    [found] = by_rule(risk_findings(range_analysis(git_repo, before, after)), "OPS-CLOUD-DELETE-CLI")
    assert found["severity"] == "high"
