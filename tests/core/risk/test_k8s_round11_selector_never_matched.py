"""An immutable selector change on a workload whose old selector never matched its own template.

On real git repositories, analysed as `analyze --git` does: the case the structure lowers, with its reason in
the message, and the neighbouring case that keeps its severity.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), rule)


def _severities(found: list[dict]) -> list[str]:
    return sorted(f["severity"] for f in found)


# -- 5. an immutable selector of a workload that could never exist ---------------------------------

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: login
spec:
  selector:
    matchLabels:
      app: {selector}
  template:
    metadata:
      labels:
        app: {labels}
    spec:
      containers:
        - name: app
          image: example/login:1.0
"""


def test_a_selector_that_never_matched_its_own_template_is_low(git_repo: GitRepo) -> None:
    before = {"deploy/login.yaml": DEPLOYMENT.format(selector="login-old", labels="login")}
    after = {"deploy/login.yaml": DEPLOYMENT.format(selector="login", labels="login")}
    found = _found(git_repo, before, after, "K8S-IMMUTABLE-FIELD")
    assert _severities(found) == ["low"]
    assert "does not select the old pod template's labels (app: login)" in found[0]["message"]


def test_a_selector_that_matched_its_template_stays_high(git_repo: GitRepo) -> None:
    before = {"deploy/login.yaml": DEPLOYMENT.format(selector="login", labels="login")}
    after = {"deploy/login.yaml": DEPLOYMENT.format(selector="login-v2", labels="login-v2")}
    assert _severities(_found(git_repo, before, after, "K8S-IMMUTABLE-FIELD")) == ["high"]
