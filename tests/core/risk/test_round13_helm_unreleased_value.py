"""Round 13: a chart value removed that no release of the chart held (HELM-VALUES-BREAKING).

A value added since the chart's last release and removed (or renamed) before the next one is set by no install:
medium, naming the release. The chart's releases are the nearest tag in the base's history and the commit that set
its current Chart.yaml version; each must be read and lack the key in its values.yaml and any template reading it.
On real git repositories with their history, as `analyze --git` does.
"""

from __future__ import annotations

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.workspace import Workspace
from tests.core.risk.structure.helpers import RULES, by_rule, risk_findings
from tests.gitrepo import GitRepo

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ .Release.Name }}}}-web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
{security}
      containers:
        - name: web
          image: {{{{ .Values.image }}}}
"""
OLD_READ = "      {{- with .Values.securityContext }}\n      securityContext:\n        {{- toYaml . | nindent 8 }}\n      {{- end }}"
NEW_READ = OLD_READ.replace(".Values.securityContext", ".Values.podSecurityContext")


def _chart(version: str, security: str, values: str) -> dict[str, str]:
    return {"web/Chart.yaml": f"apiVersion: v2\nname: web\nversion: {version}\n",
            "web/values.yaml": "image: example/web:1.0\n" + values,
            "web/templates/deployment.yaml": DEPLOYMENT.format(security=security)}


RELEASED = _chart("1.0.0", "", "")
ADDED = _chart("1.0.0", OLD_READ, "securityContext:\n  runAsUser: 1000\n")
RENAMED = _chart("1.0.0", NEW_READ, "podSecurityContext:\n  runAsUser: 1000\n")


def _breaking(repo: GitRepo, *history: dict[str, str], tag_after: int | None = 0) -> list[dict]:
    """Commit each state of ``history`` in turn (tagging v1.0.0 after the ``tag_after``-th), analyse the last commit."""
    for number, files in enumerate(history):
        repo.write_files(files)
        repo.commit(f"state {number}")
        if number == tag_after:
            repo.git("tag", "v1.0.0")
    change = load_git_range(repo.path, "HEAD~1..HEAD")
    found = risk_findings(analyze(change, Workspace(repo.path), rules=RULES).to_dict())
    return by_rule(found, "HELM-VALUES-BREAKING")


def test_a_value_added_since_the_release_and_renamed_before_the_next_is_medium(git_repo: GitRepo) -> None:
    found = _breaking(git_repo, RELEASED, ADDED, RENAMED)
    assert [f["severity"] for f in found] == ["medium"]
    message = found[0]["message"]
    assert "the value `securityContext` is in no release yet (not in release v1.0.0 and chart version 1.0.0" in message
    assert "no such key in values.yaml, no template reading `.Values.securityContext`" in message


def test_a_value_the_tagged_release_held_stays_high(git_repo: GitRepo) -> None:
    found = _breaking(git_repo, ADDED, RENAMED)
    assert [f["severity"] for f in found] == ["high"]
    assert "no release" not in found[0]["message"]


def test_a_value_the_released_templates_read_without_a_default_stays_high(git_repo: GitRepo) -> None:
    # Installs could set it at the release although values.yaml did not list it.
    read_only = _chart("1.0.0", OLD_READ, "")
    found = _breaking(git_repo, read_only, ADDED, RENAMED)
    assert [f["severity"] for f in found] == ["high"]


def test_without_tags_the_chart_version_that_carried_the_value_keeps_it_high(git_repo: GitRepo) -> None:
    # No tag: the commit that set the current Chart.yaml version is the release, and it held the value.
    found = _breaking(git_repo, RELEASED, _chart("1.1.0", OLD_READ, "securityContext:\n  runAsUser: 1000\n"),
                      _chart("1.1.0", NEW_READ, "podSecurityContext:\n  runAsUser: 1000\n"), tag_after=None)
    assert [f["severity"] for f in found] == ["high"]


def test_without_tags_a_value_added_after_the_chart_version_was_set_is_medium(git_repo: GitRepo) -> None:
    found = _breaking(git_repo, RELEASED, ADDED, RENAMED, tag_after=None)
    assert [f["severity"] for f in found] == ["medium"]
    assert "(not in chart version 1.0.0 (set by commit " in found[0]["message"]
