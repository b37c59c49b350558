"""GitHub Actions classes seen on real workflow histories: who can cause a run, and what it holds.

Each test stands for a class of commits: privileged triggers that run nothing of the fork's,
write scopes on events only maintainers cause, comment-triggered jobs holding secrets, a guard
removed from a publishing step, a mistyped commit pin, a versioned download script.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import added_file, by_rule, findings, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = ".github/workflows/wf.yml"


OFFSET = 9  # added_file's diff starts the file on this line


def _gha(found: list) -> list[tuple[str, str, int]]:
    return sorted((f.rule, f.severity, f.line - OFFSET) for f in found if f.rule.startswith("GHA-") or f.rule.startswith("REMOTE-"))


def _range(git_repo: GitRepo, before: str, after: str) -> list[tuple[str, str, str, int]]:
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    return sorted((f["rule"], f["severity"], f["side"], f["line"]) for f in found if f["rule"].startswith("GHA-"))


# -- pull_request_target that runs nothing of the fork's ------------------------------------------

TITLE_CHECK = '''name: pr-title
on:
  pull_request_target:
    types: [opened, edited]
jobs:
  main:
    runs-on: ubuntu-latest
    steps:
      - uses: amannn/action-semantic-pull-request@0723387faaf9b38adef4775cd42cfd5155ed6017
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
'''


def test_pull_request_target_reading_only_the_event_is_medium() -> None:
    [finding] = by_rule(findings(added_file(PATH, TITLE_CHECK)), "GHA-DANGEROUS-TRIGGER")
    assert (finding.severity, finding.line - OFFSET) == ("medium", 3)
    assert "No job checks out or runs the pull request's code" in finding.message


def test_pull_request_target_pasting_the_title_into_a_script_stays_high() -> None:
    text = TITLE_CHECK + '''      - run: echo "${{ github.event.pull_request.title }}" > title.txt
'''
    [finding] = by_rule(findings(added_file(PATH, text)), "GHA-DANGEROUS-TRIGGER")
    assert finding.severity == "high"


def test_write_scope_under_pull_request_target_without_the_forks_code_is_medium() -> None:
    text = TITLE_CHECK.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n")
    [finding] = by_rule(findings(added_file(PATH, text)), "GHA-PERMISSIONS-WIDENED")
    assert finding.severity == "medium"
    assert "an outsider can cause a run" in finding.message


# -- a checkout of the head that was already there ------------------------------------------------

SCAN = '''name: scan
on:
  pull_request_target:
jobs:
  scan:
    runs-on: ubuntu-latest
    environment: scanners
    steps:
      - uses: actions/checkout@v2
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - uses: example/scanner@8fbeca612957ae5f5f0c03a19cb6e59e237026f3
        env:
          SCANNER_TOKEN: ${{ secrets.SCANNER_TOKEN }}
'''


def test_bumping_the_checkout_action_of_an_existing_head_checkout_is_not_new(git_repo: GitRepo) -> None:
    after = SCAN.replace("actions/checkout@v2", "actions/checkout@v4") \
        .replace("8fbeca612957ae5f5f0c03a19cb6e59e237026f3", "d01623d0fc8de585c21225f55842f2d2c45cf094")
    assert _range(git_repo, SCAN, after) == []


def test_a_head_checkout_added_to_an_existing_pull_request_target_workflow_is_critical(git_repo: GitRepo) -> None:
    before = SCAN.replace("        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n", "")
    found = _range(git_repo, before, SCAN)
    assert ("GHA-PR-TARGET-CHECKOUT", "critical", "new", 11) in found


# -- write scopes on events only maintainers cause ------------------------------------------------

PUBLISH = '''name: publish
on:
  push:
    branches: [main]
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v4
      - run: make image && make push
'''


def test_packages_write_for_a_push_only_publish_job_is_medium(git_repo: GitRepo) -> None:
    after = PUBLISH.replace("      contents: read\n", "      contents: read\n      packages: write\n")
    found = risk_findings(range_analysis(git_repo, {PATH: PUBLISH}, {PATH: after}))
    [finding] = by_rule(found, "GHA-PERMISSIONS-WIDENED")
    assert (finding["severity"], finding["line"]) == ("medium", 10)
    assert "runs only on `push`" in finding["message"]


def test_packages_write_in_a_job_pull_requests_also_run_stays_high(git_repo: GitRepo) -> None:
    before = PUBLISH.replace("    branches: [main]\n", "    branches: [main]\n  pull_request:\n")
    after = before.replace("      contents: read\n", "      contents: read\n      packages: write\n")
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    [finding] = by_rule(found, "GHA-PERMISSIONS-WIDENED")
    assert finding["severity"] == "high"


def test_a_job_condition_limiting_it_to_push_counts(git_repo: GitRepo) -> None:
    before = PUBLISH.replace("    branches: [main]\n", "    branches: [main]\n  pull_request:\n") \
        .replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    if: github.event_name == 'push'\n")
    after = before.replace("      contents: read\n", "      contents: read\n      packages: write\n")
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    assert [f["severity"] for f in by_rule(found, "GHA-PERMISSIONS-WIDENED")] == ["medium"]


# -- comment-triggered jobs -----------------------------------------------------------------------

APPROVE = '''name: approve
on:
  issue_comment:
    types: [created]
permissions: read-all
jobs:
  approve:
    if: >-
      github.event.issue.pull_request &&
      github.event.comment.body == '/workflow-approve'
    runs-on: ubuntu-latest
    permissions:
      actions: write
    steps:
      - uses: example/approve-workflows@370e8c15dcec50043cbe66f2f34633d9efc0a190
        with:
          github_token: ${{ github.token }}
'''


def test_a_fixed_comment_command_with_a_write_scope_is_medium() -> None:
    found = findings(added_file(PATH, APPROVE))
    assert _gha(found) == [("GHA-PERMISSIONS-WIDENED", "medium", 13)]


def test_free_comment_text_driving_a_write_scope_stays_high() -> None:
    text = APPROVE.replace("github.event.comment.body == '/workflow-approve'", "contains(github.event.comment.body, '/approve')")
    assert [f.severity for f in by_rule(findings(added_file(PATH, text)), "GHA-PERMISSIONS-WIDENED")] == ["high"]


AGENT = '''name: agent
on:
  issue_comment:
    types: [created]
  issues:
    types: [opened]
jobs:
  agent:
    if: |
      (github.event_name == 'issue_comment' && contains(github.event.comment.body, '@bot')) ||
      (github.event_name == 'issues' && contains(github.event.issue.body, '@bot'))
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v4
      - uses: example/agent-action@e763fe78de2db7389e04818a00b5ff8ba13d1360
        with:
          api_token: ${{ secrets.AGENT_TOKEN }}
'''


def test_a_comment_triggered_job_holding_a_secret_without_an_author_check_is_high() -> None:
    [finding] = by_rule(findings(added_file(PATH, AGENT)), "GHA-DANGEROUS-TRIGGER")
    assert (finding.severity, finding.line - OFFSET) == ("high", 10)  # the condition's line that lets comments in
    assert "secrets.AGENT_TOKEN" in finding.message


def test_an_author_association_check_keeps_the_secret_from_outsiders() -> None:
    text = AGENT.replace("    if: |\n", "    if: |\n      contains(fromJSON('[\"OWNER\",\"MEMBER\"]'), github.event.comment.author_association) &&\n")
    assert by_rule(findings(added_file(PATH, text)), "GHA-DANGEROUS-TRIGGER") == []


def test_the_job_token_alone_is_not_a_held_secret() -> None:
    text = AGENT.replace("secrets.AGENT_TOKEN", "github.token")
    assert by_rule(findings(added_file(PATH, text)), "GHA-DANGEROUS-TRIGGER") == []


def test_an_existing_exposed_job_edited_is_not_new(git_repo: GitRepo) -> None:
    after = AGENT.replace("actions/checkout@v4", "actions/checkout@v5")
    assert [f for f in _range(git_repo, AGENT, after) if f[0] == "GHA-DANGEROUS-TRIGGER"] == []


def test_a_comment_job_fetching_the_pull_requests_head_is_critical(git_repo: GitRepo) -> None:
    after = AGENT.replace("      - uses: example/agent-action", '''      - name: Fetch the pull request
        run: |
          PR=${{ github.event.issue.number }}
          git fetch origin refs/pull/${PR}/head:refs/remotes/pull/${PR}/head
      - uses: example/agent-action''')
    found = _range(git_repo, AGENT, after)
    assert ("GHA-PR-TARGET-CHECKOUT", "critical", "new", 20) in found  # the fetch line


# -- a guard removed from a publishing step -------------------------------------------------------

DOCKER = '''name: docker
on:
  push:
    branches: [main]
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    permissions:
      packages: write
    steps:
      - uses: actions/checkout@v4
      - name: Build and push image
        uses: docker/build-push-action@ad44023a93711e3deb337508980b4b5e9bcdc5dc
        with:
          # Don't push on pull requests
          push: ${{ github.event_name != 'pull_request' }}
          tags: ghcr.io/example/app:latest
'''
NO_GUARD = DOCKER.replace("          # Don't push on pull requests\n          push: ${{ github.event_name != 'pull_request' }}\n", "")


def test_the_pull_request_guard_removed_from_a_publishing_step_is_high(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {PATH: DOCKER}, {PATH: NO_GUARD}))
    [finding] = by_rule(found, "GHA-DANGEROUS-TRIGGER")
    assert (finding["severity"], finding["side"], finding["line"]) == ("high", "old", 17)
    assert "pull-request" in finding["message"]


def test_the_guard_removed_in_a_job_limited_to_push_still_changes_every_run(git_repo: GitRepo) -> None:
    gate = ("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    if: github.event_name == 'push'\n")
    found = risk_findings(range_analysis(git_repo, {PATH: DOCKER.replace(*gate)}, {PATH: NO_GUARD.replace(*gate)}))
    [finding] = by_rule(found, "GHA-DANGEROUS-TRIGGER")
    assert finding["severity"] == "high"
    assert "every run" in finding["message"]


def test_a_publishing_step_keeping_its_guard_is_not_a_finding(git_repo: GitRepo) -> None:
    after = DOCKER.replace("tags: ghcr.io/example/app:latest", "tags: ghcr.io/example/app:edge")
    assert _range(git_repo, DOCKER, after) == []


# -- action refs and downloaded scripts -----------------------------------------------------------

DENO = '''name: deno
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: denoland/setup-deno@4a4e59637fa62bd6c086a216c7e4c5b457ea9e79
'''


def test_a_mistyped_commit_pin_is_medium_not_pinning_given_up(git_repo: GitRepo) -> None:
    after = DENO.replace("4a4e59637fa62bd6c086a216c7e4c5b457ea9e79", "004814556e37c54a2f6e31384c9e18e98331736690")
    found = risk_findings(range_analysis(git_repo, {PATH: DENO}, {PATH: after}))
    [finding] = by_rule(found, "GHA-UNPINNED-ACTION")
    assert finding["severity"] == "medium"
    assert "not 40" in finding["message"]


LINT = '''name: lint
on: [push, pull_request]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: bash <(curl https://raw.githubusercontent.com/example/tool/v1.7.4/scripts/download.bash)
'''


def test_a_versioned_download_script_in_a_job_without_secrets_is_medium() -> None:
    assert _gha(findings(added_file(PATH, LINT))) == [("GHA-REMOTE-SCRIPT", "medium", 8)]


def test_an_unversioned_installer_piped_to_sh_stays_high() -> None:
    text = LINT.replace("bash <(curl https://raw.githubusercontent.com/example/tool/v1.7.4/scripts/download.bash)",
                        "curl --proto '=https' -sSf https://sh.example.rs | sh")
    assert _gha(findings(added_file(PATH, text))) == [("GHA-REMOTE-SCRIPT", "high", 8)]


def test_a_versioned_download_script_in_a_job_holding_a_secret_stays_high() -> None:
    text = LINT + "        env:\n          TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n"
    assert _gha(findings(added_file(PATH, text))) == [("GHA-REMOTE-SCRIPT", "high", 8)]
