"""GitHub Actions workflows by structure: triggers, permissions per job, secrets, pinning, auto-merge."""

from __future__ import annotations

from tests.core.risk.structure.helpers import (
    added_file, by_rule, deleted_file, findings, range_analysis, risk_findings,
)
from tests.gitrepo import GitRepo

PINNED = "tj-actions/changed-files@0e58ed8671d6b60d0890c21b07f8835ace038e67"
CI = f'''name: ci
on:
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: {PINNED}
      - uses: docker/setup-buildx-action@v3
      - run: make test
'''


def test_a_deleted_workflow_widens_nothing() -> None:
    text = "name: old\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"
    assert [f for f in findings(deleted_file(".github/workflows/old.yml", text)) if f.rule.startswith("GHA-")] == []


def test_empty_permissions_grant_nothing() -> None:
    text = CI.replace("permissions:\n  contents: read\n", "permissions: {}\n")
    assert by_rule(findings(added_file(".github/workflows/ci.yml", text)), "GHA-PERMISSIONS-WIDENED") == []


def test_job_gaining_write_scopes(git_repo: GitRepo) -> None:
    after = CI.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n      issues: write\n", 1)
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": CI}, {".github/workflows/ci.yml": after}))
    assert sorted((f["line"], f["severity"]) for f in by_rule(found, "GHA-PERMISSIONS-WIDENED")) == [(10, "high"), (11, "medium")]


def test_write_all_is_critical() -> None:
    text = CI.replace("permissions:\n  contents: read\n", "permissions: write-all\n")
    [finding] = by_rule(findings(added_file(".github/workflows/ci.yml", text)), "GHA-PERMISSIONS-WIDENED")
    assert finding.severity == "critical"


def test_pull_request_target_with_checkout_of_the_head_is_critical() -> None:
    text = '''name: label
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm ci && npm test
        env:
          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
'''
    found = findings(added_file(".github/workflows/label.yml", text))
    assert sorted((f.rule, f.severity, f.line - 9) for f in found if f.rule.startswith("GHA-")) == [
        ("GHA-DANGEROUS-TRIGGER", "high", 3), ("GHA-PR-TARGET-CHECKOUT", "critical", 10), ("GHA-SECRETS-UNTRUSTED", "critical", 7)]


def test_pull_request_target_without_checkout_is_medium_only() -> None:
    # No job checks out or runs the pull request's code: the trigger is worth a look, not a stop.
    text = "name: label\non:\n  pull_request_target:\njobs:\n  label:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/labeler@v5\n"
    found = [f for f in findings(added_file(".github/workflows/label.yml", text)) if f.rule.startswith("GHA-")]
    assert [(f.rule, f.severity) for f in found] == [("GHA-DANGEROUS-TRIGGER", "medium")]


def test_action_moved_from_a_pinned_sha_to_a_tag(git_repo: GitRepo) -> None:
    after = CI.replace(PINNED, "tj-actions/changed-files@v45")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": CI}, {".github/workflows/ci.yml": after}))
    [finding] = by_rule(found, "GHA-UNPINNED-ACTION")
    assert (finding["line"], finding["severity"]) == (11, "high")  # pinning given up
    assert "pinned commit SHA" in finding["message"]


def test_a_bot_bumping_a_tag_is_not_a_finding(git_repo: GitRepo) -> None:
    after = CI.replace("docker/setup-buildx-action@v3", "docker/setup-buildx-action@v4").replace("checkout@v4", "checkout@v5")
    analysis = range_analysis(git_repo, {".github/workflows/ci.yml": CI}, {".github/workflows/ci.yml": after})
    assert [f for f in risk_findings(analysis) if f["rule"].startswith("GHA-")] == []


def test_new_auto_approve_of_dependency_pull_requests_is_high(git_repo: GitRepo) -> None:
    auto = '''name: dependabot auto-approve
on: pull_request
permissions:
  pull-requests: write
jobs:
  approve:
    if: github.actor == 'dependabot[bot]'
    runs-on: ubuntu-latest
    steps:
      - uses: dependabot/fetch-metadata@v2
      - run: gh pr review --approve "$PR_URL"
        env:
          PR_URL: ${{ github.event.pull_request.html_url }}
      - run: gh pr merge --auto --squash "$PR_URL"
'''
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": CI}, {".github/workflows/auto.yml": auto}))
    merges = by_rule(found, "GHA-AUTO-MERGE")
    assert sorted((f["line"], f["severity"]) for f in merges) == [(11, "high"), (14, "high")]
    assert "dependency" in merges[0]["message"]


def test_auto_approve_already_there_is_not_reported_again(git_repo: GitRepo) -> None:
    auto = CI + "  approve:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gh pr review --approve \"$PR\"\n"
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": auto},
                                         {".github/workflows/ci.yml": auto.replace("make test", "make check")}))
    assert by_rule(found, "GHA-AUTO-MERGE") == []


def test_a_job_losing_its_permissions_block_falls_back_to_the_default_token(git_repo: GitRepo) -> None:
    scoped = CI.replace("permissions:\n  contents: read\n", "").replace(
        "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n", 1)
    unscoped = scoped.replace("    permissions:\n      contents: read\n", "")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": scoped}, {".github/workflows/ci.yml": unscoped}))
    [finding] = by_rule(found, "GHA-PERMISSIONS-WIDENED")
    assert (finding["side"], finding["line"]) == ("old", 8)  # the scope the removed block restricted to


def test_merging_with_admin_and_piping_a_download_into_a_shell(git_repo: GitRepo) -> None:
    after = CI.replace("      - run: make test\n",
                       "      - run: make test\n      - run: curl -sSf https://get.example.com/install.sh | sudo bash\n"
                       "      - run: gh pr merge \"$PR\" --admin --squash\n")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": CI}, {".github/workflows/ci.yml": after}))
    # The workflow's token is read-only and the job holds no secret: the script reaches little (medium).
    assert [(f["line"], f["severity"]) for f in by_rule(found, "GHA-REMOTE-SCRIPT")] == [(14, "medium")]
    [merge] = by_rule(found, "GHA-AUTO-MERGE")
    assert (merge["line"], merge["severity"]) == (15, "critical") and "--admin" in merge["message"]


def test_a_workflow_kept_outside_github_workflows_is_judged_as_one(git_repo: GitRepo) -> None:
    # Starter-workflow templates (ci/*.yml) are copied into .github/workflows by their adopters.
    after = CI.replace(PINNED, "tj-actions/changed-files@v45")
    found = risk_findings(range_analysis(git_repo, {"ci/build.yml": CI}, {"ci/build.yml": after}))
    [finding] = by_rule(found, "GHA-UNPINNED-ACTION")
    assert (finding["path"], finding["line"], finding["severity"]) == ("ci/build.yml", 11, "high")


def test_a_yaml_file_without_jobs_is_not_taken_for_a_workflow(git_repo: GitRepo) -> None:
    before = "on: true\nsteps:\n  - uses: tj-actions/changed-files@0e58ed8671d6b60d0890c21b07f8835ace038e67\n"
    after = before.replace("@0e58ed8671d6b60d0890c21b07f8835ace038e67", "@v45")
    found = risk_findings(range_analysis(git_repo, {"ci/config.yml": before}, {"ci/config.yml": after}))
    assert [f for f in found if f["rule"].startswith("GHA-")] == []


def test_a_write_scope_added_to_the_workflow_wide_block_is_high(git_repo: GitRepo) -> None:
    after = CI.replace("permissions:\n  contents: read\n", "permissions:\n  contents: read\n  pull-requests: write\n")
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": CI}, {".github/workflows/ci.yml": after}))
    assert [(f["line"], f["severity"]) for f in by_rule(found, "GHA-PERMISSIONS-WIDENED")] == [(6, "high")]


def test_the_same_scope_granted_to_one_job_stays_medium(git_repo: GitRepo) -> None:
    after = CI.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      pull-requests: write\n", 1)
    found = risk_findings(range_analysis(git_repo, {".github/workflows/ci.yml": CI}, {".github/workflows/ci.yml": after}))
    assert [f["severity"] for f in by_rule(found, "GHA-PERMISSIONS-WIDENED")] == ["medium"]

