"""Immutable fields of Jobs, and the tool K8S-IMMUTABLE-FIELD names, each on a real git repository.

* The message names the tool that updates the file's objects in place: ``helm upgrade`` for a template of a
  chart (a Chart.yaml beside its ``templates/``), ``kubectl apply`` for a plain manifest.
* A Job's pod template changed in a plain manifest: `kubectl apply` fails on that Job while it exists, the
  other objects still apply, and a finished Job holds nothing that deleting it loses: medium, saying so. A
  chart's Job (the whole release fails its upgrade) and a StatefulSet keep their level.
* A Job with ``helm.sh/hook`` annotations is recreated by Helm in a chart (no finding there); in a plain
  manifest kubectl ignores the annotation, so it is judged like any Job.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: admission-create
  namespace: ingress
{annotations}  labels:
    app.kubernetes.io/version: "{version}"
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/version: "{version}"
    spec:
      restartPolicy: OnFailure
      containers:
        - name: create
          image: registry.example.org/certgen:{version}
          args: ["create"]
"""

HOOK = """  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
"""

STATEFULSET = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: db
          image: postgres:16
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: {size}
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: controller
  labels:
    app.kubernetes.io/version: "{version}"
spec:
  selector:
    app: controller
  ports:
    - port: 443
"""

CHART = """apiVersion: v2
name: ingress
version: 1.0.0
"""


def _immutable(git_repo: GitRepo, path: str, old: str, new: str, extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
    before = dict(extra or {}, **{path: old})
    found = risk_findings(range_analysis(git_repo, before, {path: new}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")]


def _job(version: str, hook: bool = False) -> str:
    return JOB.format(version=version, annotations=HOOK if hook else "")


def test_a_plain_manifest_job_template_change_is_medium_and_names_kubectl(git_repo: GitRepo) -> None:
    old = SERVICE.format(version="1.9.2") + "---\n" + _job("1.9.2")
    new = SERVICE.format(version="1.9.3") + "---\n" + _job("1.9.3")
    found = _immutable(git_repo, "deploy/static/deploy.yaml", old, new)
    assert [severity for severity, _ in found] == ["medium"], found
    message = found[0][1]
    assert "`kubectl apply` fails" in message and "helm upgrade" not in message, message
    assert "only this Job is refused" in message and "other objects" in message, message
    assert "a Job that has finished holds nothing that deleting it loses" in message, message


def test_a_hook_job_in_a_plain_manifest_is_judged_like_any_job(git_repo: GitRepo) -> None:
    # kubectl ignores helm.sh/hook: the Job is updated in place like any other and refused.
    found = _immutable(git_repo, "deploy/static/deploy.yaml", _job("1.9.2", hook=True), _job("1.9.3", hook=True))
    assert [severity for severity, _ in found] == ["medium"], found
    assert "`kubectl apply` fails" in found[0][1], found


def test_a_hook_job_in_a_chart_gets_no_finding(git_repo: GitRepo) -> None:
    # Helm deletes and creates a hook Job again at each upgrade: its template may change.
    found = _immutable(git_repo, "charts/ingress/templates/job.yaml", _job("1.9.2", hook=True), _job("1.9.3", hook=True),
                       extra={"charts/ingress/Chart.yaml": CHART})
    assert found == [], found


def test_a_hook_job_under_a_templates_folder_of_no_chart_is_judged(git_repo: GitRepo) -> None:
    # A folder named templates/ with no Chart.yaml beside it is no chart: kubectl applies it.
    found = _immutable(git_repo, "manifests/templates/job.yaml", _job("1.9.2", hook=True), _job("1.9.3", hook=True))
    assert [severity for severity, _ in found] == ["medium"], found
    assert "`kubectl apply` fails" in found[0][1], found


def test_a_plain_job_of_a_chart_stays_high_and_names_helm_upgrade(git_repo: GitRepo) -> None:
    # `helm upgrade` marks the whole release failed (and `--atomic` rolls every object back): not lowered.
    found = _immutable(git_repo, "charts/ingress/templates/job.yaml", _job("1.9.2"), _job("1.9.3"),
                       extra={"charts/ingress/Chart.yaml": CHART})
    assert [severity for severity, _ in found] == ["high"], found
    assert "`helm upgrade` fails" in found[0][1] and "kubectl apply" not in found[0][1], found


def test_a_statefulset_of_a_plain_manifest_stays_high_and_names_kubectl(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, "deploy/db.yaml", STATEFULSET.format(size="1Gi"), STATEFULSET.format(size="5Gi"))
    assert [severity for severity, _ in found] == ["high"], found
    assert "`kubectl apply` fails" in found[0][1] and "helm upgrade" not in found[0][1], found


def test_a_statefulset_of_a_chart_stays_high_and_names_helm_upgrade(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, "charts/db/templates/statefulset.yaml", STATEFULSET.format(size="1Gi"),
                       STATEFULSET.format(size="5Gi"), extra={"charts/db/Chart.yaml": CHART.replace("ingress", "db")})
    assert [severity for severity, _ in found] == ["high"], found
    assert "`helm upgrade` fails" in found[0][1] and "kubectl apply" not in found[0][1], found
