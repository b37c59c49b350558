"""An immutable field changed in a manifest whose README deploys it with `kubectl create -f` and
never updates objects in place: `create` refuses existing objects, so the documented way never
meets a running object. Medium, with the README named; a README that applies, or no README,
keeps the severity (`kubectl apply` of the new manifest fails on a running StatefulSet)."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = "storage/minio/minio-statefulset.yaml"

STATEFULSET = '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: minio
spec:
  serviceName: minio
  replicas: 4
  selector:
    matchLabels: {app: minio}
  template:
    metadata:
      labels: {app: minio}
    spec:
      containers:
        - name: minio
          image: minio/minio:RELEASE.2017-08-05T00-00-53Z
  volumeClaimTemplates:
  - metadata:
      name: data
      annotations:
        volume.beta.kubernetes.io/storage-class: fast
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 10Gi
'''

MOVED = STATEFULSET.replace("      annotations:\n        volume.beta.kubernetes.io/storage-class: fast\n", "") \
    .replace("      accessModes: [ReadWriteOnce]\n", "      accessModes: [ReadWriteOnce]\n      storageClassName: fast\n")

WALKTHROUGH = '''# Minio on Kubernetes

Create the distributed server:

```sh
kubectl create -f https://example.org/storage/minio/minio-statefulset.yaml?raw=true
```
'''


def _immutable(git_repo: GitRepo, files: dict[str, str]) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {PATH: STATEFULSET, **files}, {PATH: MOVED}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")]


def test_a_manifest_its_readme_creates_fresh_is_medium(git_repo: GitRepo) -> None:
    [(severity, message)] = _immutable(git_repo, {"storage/minio/README.md": WALKTHROUGH})
    assert severity == "medium"
    assert "storage/minio/README.md beside the manifest deploys it with `kubectl create -f`" in message


def test_a_readme_that_applies_keeps_it_high(git_repo: GitRepo) -> None:
    readme = WALKTHROUGH + "\nTo upgrade, run `kubectl apply -f minio-statefulset.yaml`.\n"
    assert [s for s, _ in _immutable(git_repo, {"storage/minio/README.md": readme})] == ["high"]


def test_a_readme_creating_another_manifest_keeps_it_high(git_repo: GitRepo) -> None:
    readme = WALKTHROUGH.replace("minio-statefulset.yaml", "minio-service.yaml")
    assert [s for s, _ in _immutable(git_repo, {"storage/minio/README.md": readme})] == ["high"]


def test_without_a_readme_it_stays_high(git_repo: GitRepo) -> None:
    assert [s for s, _ in _immutable(git_repo, {"storage/other/README.md": WALKTHROUGH})] == ["high"]
