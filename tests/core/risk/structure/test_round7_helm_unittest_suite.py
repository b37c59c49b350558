"""A helm-unittest suite (top-level ``suite:``/``templates:``/``tests:``, each case with ``asserts:``) holds a chart's
test cases, applied to no cluster: ``replicas: 0`` as a case's input is no workload scaled to zero. The same
value in a manifest still is."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

SUITE_PATH = "charts/jenkins/unittests/controller-statefulset-test.yaml"
SUITE = '''suite: controller statefulset
templates:
  - jenkins-controller-statefulset.yaml
tests:
  - it: renders one replica by default
    asserts:
      - equal:
          path: spec.replicas
          value: 1
'''
CASE = '''  - it: scales to zero
    set:
      controller:
        replicas: 0
    asserts:
      - equal:
          path: spec.replicas
          value: 0
'''
DEPLOYMENT_PATH = "deploy/app.yaml"
DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
        - name: app
          image: example/app:1.0
'''


def test_replicas_zero_in_a_helm_unittest_case_is_not_a_workload_scaled_to_zero(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {SUITE_PATH: SUITE}, {SUITE_PATH: SUITE + CASE}))
    assert by_rule(found, "K8S-SCALE-TO-ZERO") == []


def test_replicas_zero_in_a_manifest_is_still_flagged(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {DEPLOYMENT_PATH: DEPLOYMENT},
                                         {DEPLOYMENT_PATH: DEPLOYMENT.replace("replicas: 2", "replicas: 0")}))
    assert [f["severity"] for f in by_rule(found, "K8S-SCALE-TO-ZERO")] == ["high"]
