"""A workload selector rewritten in another form with the same labels (a bare label map, the
pre-LabelSelector form, as ``matchLabels``; a one-value ``In`` expression as a label) requires the
same labels: no immutable-field change. A selector whose labels change keeps the finding."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = "extensions/deployment.yaml"

DEPLOYMENT = '''apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: nginx-deployment
spec:
  replicas: 3
  selector:
SELECTOR
  template:
    metadata:
      labels:
        name: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.7.9
'''

BARE = "    name: nginx"
MATCH_LABELS = "    matchLabels:\n      name: nginx"
EXPRESSION = "    matchExpressions:\n    - {key: name, operator: In, values: [nginx]}"
OTHER_LABEL = "    matchLabels:\n      app: nginx"


def _immutable(git_repo: GitRepo, before: str, after: str) -> list[dict]:
    found = risk_findings(range_analysis(git_repo, {PATH: DEPLOYMENT.replace("SELECTOR", before)},
                                         {PATH: DEPLOYMENT.replace("SELECTOR", after)}))
    return by_rule(found, "K8S-IMMUTABLE-FIELD")


def test_a_bare_label_map_rewritten_as_match_labels_is_the_same_selector(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, BARE, MATCH_LABELS) == []


def test_a_one_value_in_expression_is_the_same_label(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, MATCH_LABELS, EXPRESSION) == []


def test_a_selector_whose_labels_change_keeps_the_finding(git_repo: GitRepo) -> None:
    [finding] = _immutable(git_repo, BARE, OTHER_LABEL)
    assert finding["severity"] in ("high", "critical")
    assert "spec.selector" in finding["message"]
