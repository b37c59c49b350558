"""A hostPath inside a folder the workload already mounted, or for a container already privileged.

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


# -- 4. a hostPath inside one the workload already mounted -------------------------------------------

CSI_NODE = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: csi-node
spec:
  selector:
    matchLabels: {{app: csi-node}}
  template:
    metadata:
      labels: {{app: csi-node}}
    spec:
      containers:
        - name: plugin
          image: example/csi:1.0
          securityContext:
            privileged: {privileged}
          volumeMounts:
            - name: kubelet-dir
              mountPath: /var/lib/kubelet
        - name: registrar
          image: example/registrar:1.0
          volumeMounts:
            - name: registration-dir
              mountPath: /registration
{extra_mount}      volumes:
        - name: kubelet-dir
          hostPath:
            path: /var/lib/kubelet
        - name: registration-dir
          hostPath:
            path: {registration}
{extra_volume}"""


def _csi(privileged: str = "true", registration: str = "/var/lib/kubelet/plugins/", extra_mount: str = "",
         extra_volume: str = "") -> str:
    return CSI_NODE.format(privileged=privileged, registration=registration, extra_mount=extra_mount,
                           extra_volume=extra_volume)


def test_a_host_folder_inside_one_a_privileged_workload_mounted_is_medium(git_repo: GitRepo) -> None:
    before = {"deploy/csi-node.yaml": _csi()}
    after = {"deploy/csi-node.yaml": _csi(registration="/var/lib/kubelet/plugins_registry/")}
    found = _found(git_repo, before, after, "K8S-PRIVILEGED")
    assert _severities(found) == ["medium"]
    assert "inside the node's /var/lib/kubelet, which the workload already mounted read-write" in found[0]["message"]


def test_a_host_folder_inside_one_mounted_by_a_workload_that_was_not_privileged_stays_high(git_repo: GitRepo) -> None:
    before = {"deploy/csi-node.yaml": _csi(privileged="false")}
    after = {"deploy/csi-node.yaml": _csi(privileged="false", registration="/var/lib/kubelet/plugins_registry/")}
    assert _severities(_found(git_repo, before, after, "K8S-PRIVILEGED")) == ["high"]


STATE_MOUNT = "            - name: state-dir\n              mountPath: /var/run/csi\n"
STATE_VOLUME = "        - name: state-dir\n          hostPath:\n            path: /var/run/csi\n"


def test_a_new_host_folder_for_a_container_already_privileged_is_medium(git_repo: GitRepo) -> None:
    before = {"deploy/csi-node.yaml": _csi()}
    after = {"deploy/csi-node.yaml": _csi().replace("              mountPath: /var/lib/kubelet\n",
                                                      "              mountPath: /var/lib/kubelet\n" + STATE_MOUNT)
             + STATE_VOLUME}
    found = _found(git_repo, before, after, "K8S-PRIVILEGED")
    assert _severities(found) == ["medium"]
    assert "already ran privileged before this change" in found[0]["message"]


def test_a_new_host_folder_for_a_container_not_privileged_stays_high(git_repo: GitRepo) -> None:
    before = {"deploy/csi-node.yaml": _csi()}
    after = {"deploy/csi-node.yaml": _csi(extra_mount=STATE_MOUNT, extra_volume=STATE_VOLUME)}  # the registrar's
    assert _severities(_found(git_repo, before, after, "K8S-PRIVILEGED")) == ["high"]
