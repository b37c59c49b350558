"""DEPLOY-PIPELINE-CHANGE reads the way code reaches production, not what is deployed.

A Helm chart or a kustomization is the deployed configuration (the Helm and Kubernetes analysers
judge its content), and a workflow edit that only moves `uses:` references is a version bump the
supply-chain rules judge. Neither is a pipeline change; a real pipeline edit still is. Changes are
committed to real git repositories and loaded as the reviewer loads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.model import Change
from reviewer_app.core.provenance import Provenance
from reviewer_app.core.risk import assess, load_rules
from reviewer_app.core.risk.engine import evaluate
from reviewer_app.core.risk.history import CACHE_ENV
from reviewer_app.core.risk.score import BANDS
from tests.gitrepo import GitRepo, init_repo

RULES = load_rules(None)
PIPELINE = RULES.only("DEPLOY-PIPELINE-CHANGE")
HUMAN = Provenance(ai_assisted=False)

CHART = "charts/web/templates/deployment.yaml"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
        - name: web
          image: "example/web:{tag}"
"""
WORKFLOW = ".github/workflows/ci.yml"
CI = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      # check out the code, then run the suite
      - uses: actions/checkout@{checkout}
      - uses: actions/setup-python@{setup}
      - run: {command}
"""
OLD_CI = {"checkout": "11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", "setup": "v5", "command": "make test"}


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = init_repo(tmp_path / "repo")
    repo.write(CHART, DEPLOYMENT.format(replicas=2, tag="1.0.0"))
    repo.write("charts/web/kustomization.yaml", "resources:\n  - templates/deployment.yaml\n")
    repo.write(WORKFLOW, CI.format(**OLD_CI))
    repo.write("deploy/release.sh", "#!/bin/sh\nhelm upgrade --install web charts/web\n")
    repo.commit("Start")
    return repo


def commit(repo: GitRepo, files: dict[str, str | None], message: str = "Edit") -> Change:
    repo.write_files(files)
    sha = repo.commit(message)
    return load_git_range(repo.path, f"{sha}^..{sha}")


def pipeline_findings(change: Change) -> list[tuple[str, str]]:
    return [(f.path, f.severity) for f in evaluate(change, PIPELINE)]


def test_a_chart_template_edit_is_not_a_pipeline_change(repo: GitRepo) -> None:
    change = commit(repo, {CHART: DEPLOYMENT.format(replicas=3, tag="1.1.0")}, "web: 1.1.0, three replicas")
    assert pipeline_findings(change) == []
    verdict = assess(change, HUMAN, RULES)
    assert verdict.level == "low" and verdict.score < BANDS["medium"]


def test_a_kustomization_edit_is_not_a_pipeline_change(repo: GitRepo) -> None:
    change = commit(repo, {"charts/web/kustomization.yaml": "resources:\n  - templates/deployment.yaml\nnamespace: web\n"})
    assert pipeline_findings(change) == []


def test_a_workflow_edit_that_only_bumps_actions_is_not_a_pipeline_change(repo: GitRepo) -> None:
    bumped = {"checkout": "08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0", "setup": "v6", "command": "make test"}
    change = commit(repo, {WORKFLOW: CI.format(**bumped)}, "chore(deps): bump actions/checkout and actions/setup-python")
    assert pipeline_findings(change) == []


def test_a_comment_only_workflow_edit_changes_nothing_that_runs(repo: GitRepo) -> None:
    text = CI.format(**OLD_CI).replace("# check out the code, then run the suite", "# check out, then test")
    assert pipeline_findings(commit(repo, {WORKFLOW: text})) == []


def test_a_command_changed_beside_a_bump_is_a_pipeline_change(repo: GitRepo) -> None:
    edited = {**OLD_CI, "setup": "v6", "command": "make test-all"}
    change = commit(repo, {WORKFLOW: CI.format(**edited)})
    assert pipeline_findings(change) == [(WORKFLOW, "medium")]
    assert assess(change, HUMAN, RULES).level == "medium"


def test_workflows_added_or_deleted_whole_and_deploy_scripts_are_pipeline_changes(repo: GitRepo) -> None:
    added = commit(repo, {".github/workflows/release.yml": CI.format(**{**OLD_CI, "command": "./deploy/release.sh"})})
    assert pipeline_findings(added) == [(".github/workflows/release.yml", "medium")]
    deleted = commit(repo, {WORKFLOW: None})
    assert pipeline_findings(deleted) == [(WORKFLOW, "medium")]
    script = commit(repo, {"deploy/release.sh": "#!/bin/sh\nhelm upgrade --install --force web charts/web\n"})
    assert pipeline_findings(script) == [("deploy/release.sh", "medium")]


def test_a_named_environment_removed_from_a_workflow_is_still_high(repo: GitRepo) -> None:
    protected = CI.format(**OLD_CI).replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    environment: production\n")
    commit(repo, {WORKFLOW: protected})
    change = commit(repo, {WORKFLOW: CI.format(**OLD_CI)}, "Drop the environment")
    assert pipeline_findings(change) == [(WORKFLOW, "high")]
