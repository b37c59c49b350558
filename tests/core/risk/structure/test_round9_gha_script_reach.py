"""GHA-REMOTE-SCRIPT follows what a hostile script can reach in its job, and says what that is.

A script piped from the network into a shell runs with whatever the job holds: the stored secrets it
references (in its steps, its env, or the workflow's env), a token with write scopes or `id-token:
write`, a deployment environment, a publishing step, a runner that may be self-hosted, or artifacts
and caches a privileged job of the workflow takes. Any of these keeps the finding high, named in the
message. A job whose token a `permissions:` block makes read-only (`checks: write` and
`statuses: write` only post results) and that holds none of them is medium, saying so. No
`permissions:` block at all is the repository's default token, which may be read-write: high (fail
closed). A job the change adds is said to get its token, not to widen one; the consequence named is
the scope's own.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = ".github/workflows/lint.yml"
BEFORE = '''name: lint
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  build:
    permissions:
      contents: read
      checks: write
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make lint
'''
PIPE = '''      - name: Install the tool
        run: |
          curl -fsSL https://tool.example.com/scripts/install.sh | sh
'''
AFTER = BEFORE.replace("      - run: make lint\n", PIPE + "      - run: make lint\n")


def _script(git_repo: GitRepo, after: str, before: str = BEFORE) -> tuple[str, str]:
    found = risk_findings(range_analysis(git_repo, {PATH: before}, {PATH: after}))
    [finding] = by_rule(found, "GHA-REMOTE-SCRIPT")
    return finding["severity"], finding["message"]


def test_a_read_only_job_holding_nothing_is_medium_and_says_why(git_repo: GitRepo) -> None:
    severity, message = _script(git_repo, AFTER)
    assert severity == "medium"
    assert "read-only but for `checks: write`, which only posts results" in message
    assert "no stored secret and no deployment environment" in message
    assert "names no release" in message


def test_no_permissions_block_is_the_default_token_and_stays_high(git_repo: GitRepo) -> None:
    def strip(text: str) -> str:
        return text.replace("permissions:\n  contents: read\n", "").replace(
            "    permissions:\n      contents: read\n      checks: write\n", "")
    severity, message = _script(git_repo, strip(AFTER), strip(BEFORE))
    assert severity == "high"
    assert "the repository's default token" in message


def test_a_secret_in_the_job_stays_high_and_is_named(git_repo: GitRepo) -> None:
    after = AFTER.replace("      - run: make lint\n", "      - run: make lint\n        env:\n          KEY: ${{ secrets.UPLOAD_KEY }}\n")
    severity, message = _script(git_repo, after)
    assert severity == "high" and "secrets.UPLOAD_KEY" in message


def test_a_secret_in_the_workflow_env_stays_high_and_is_named(git_repo: GitRepo) -> None:
    after = AFTER.replace("jobs:\n", "env:\n  API_KEY: ${{ secrets.CLOUD_API_KEY }}\njobs:\n")
    severity, message = _script(git_repo, after)
    assert severity == "high" and "secrets.CLOUD_API_KEY" in message


def test_an_environment_an_oidc_token_or_a_write_scope_stays_high(git_repo: GitRepo) -> None:
    after = AFTER.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    environment: production\n")
    severity, message = _script(git_repo, after)
    assert severity == "high" and "deployment environment `production`" in message
    after = AFTER.replace("      checks: write\n", "      checks: write\n      id-token: write\n")
    severity, message = _script(git_repo, after, after.replace(PIPE, ""))
    assert severity == "high" and "`id-token: write`" in message
    after = AFTER.replace("      checks: write\n", "      pull-requests: write\n")
    severity, message = _script(git_repo, after, after.replace(PIPE, ""))
    assert severity == "high" and "`pull-requests: write`" in message


def test_a_runner_that_may_be_self_hosted_stays_high_a_hosted_matrix_does_not(git_repo: GitRepo) -> None:
    severity, message = _script(git_repo, AFTER.replace("runs-on: ubuntu-latest", "runs-on: [self-hosted, linux]"))
    assert severity == "high" and "may be self-hosted" in message
    matrix = AFTER.replace("    runs-on: ubuntu-latest\n",
                           "    strategy:\n      matrix:\n        os: [ubuntu-latest, macos-14]\n    runs-on: ${{ matrix.os }}\n")
    assert _script(git_repo, matrix, matrix.replace(PIPE, ""))[0] == "medium"


def test_a_publishing_step_stays_high(git_repo: GitRepo) -> None:
    after = AFTER.replace("      - run: make lint\n", "      - run: make lint\n      - run: docker push example/tool:latest\n")
    severity, message = _script(git_repo, after)
    assert severity == "high" and "publishing or deploying step" in message


def test_artifacts_a_privileged_job_downloads_stay_high(git_repo: GitRepo) -> None:
    after = AFTER.replace("      - run: make lint\n", "      - run: make lint\n      - uses: actions/upload-artifact@v4\n") + '''  release:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
      - run: ./release.sh
        env:
          TOKEN: ${{ secrets.RELEASE_TOKEN }}
'''
    severity, message = _script(git_repo, after)
    assert severity == "high"
    assert "artifacts this job leaves for job release, which holds secrets.RELEASE_TOKEN" in message


NEW_WORKFLOW = '''name: bump
on:
  pull_request:
    types: [labeled]
permissions:
  contents: write
jobs:
  bumper:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./bump.sh && git commit -am bump && git push
'''


def test_a_new_workflow_gets_its_write_token_and_the_message_names_what_contents_allows(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"README.md": "x\n"}, {".github/workflows/bump.yml": NEW_WORKFLOW}))
    [finding] = by_rule(found, "GHA-PERMISSIONS-WIDENED")
    assert finding["severity"] == "high"
    message = finding["message"]
    assert message.startswith("job bumper of the new workflow gets a token with `contents: write`.")
    assert "push commits and tags" in message
    assert "publish" not in message and "cloud" not in message
