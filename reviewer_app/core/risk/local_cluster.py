"""A ``kubectl``/``helm`` delete in a script that creates its own throwaway local cluster first.

OPS-CLOUD-DELETE-CLI reads ``kubectl delete storageclass standard`` as a delete command added to a script.
In a script that itself runs ``kind create cluster`` (or ``k3d cluster create``, ``minikube start``) on an
earlier line, and never points kubectl anywhere else, the command acts on that cluster: a CI job's or a
developer's scratch cluster, like the scripts OPS-CLOUD-DELETE-IN-TEARDOWN covers by name. Read from the
whole new side of the file; anything that can switch the cluster (a context, a kubeconfig, cloud
credentials) keeps the rule's level, and cloud CLI deletes (aws, gcloud, az) are never lowered here.
"""

from __future__ import annotations

from reviewer_app.core.lazyregex import lazy_compile
from reviewer_app.core.risk.hits import FileView, Hit

_LOCAL_CLUSTER_CREATED = lazy_compile(r"\b(kind[ \t]+create[ \t]+cluster|k3d[ \t]+cluster[ \t]+create|minikube[ \t]+start)\b")
_CLUSTER_DELETE = lazy_compile(r"\b(kubectl[ \t]+delete|helm[ \t]+(uninstall|delete))\b")
# Anything that can make kubectl or helm talk to another cluster than the one the script created.
_ELSEWHERE = lazy_compile(r"--context\b|--kube-context\b|--kubeconfig\b|\bKUBECONFIG=|config[ \t]+use-context\b"
                          r"|get-credentials\b|update-kubeconfig\b|\bkubectx\b")
_LOCAL_TOOL = lazy_compile(r"\b(kind|k3d|minikube)\b")


def own_local_cluster(view: FileView, anchor: Hit) -> str:
    """Why a kubectl/helm delete acts on a throwaway cluster the same script creates: a line before it
    creates a kind, k3d or minikube cluster, and no line of the file points kubectl or helm elsewhere
    (a line that does so only through the local tool, ``kind get kubeconfig``, is that cluster). ""
    otherwise."""
    if anchor.side != "new":
        return ""
    line = view.added.lines[anchor.index]
    if not _CLUSTER_DELETE.search(line.text) or line.new_no is None:
        return ""
    lines = view.whole_new_lines()
    if lines is None:
        return ""
    created = next((number for number, text in enumerate(lines[:line.new_no - 1], 1)
                    if _LOCAL_CLUSTER_CREATED.search(text) and not text.lstrip().startswith("#")), None)
    if created is None:
        return ""
    if any(_ELSEWHERE.search(text) and not _LOCAL_TOOL.search(text) for text in lines):
        return ""
    return (f"the same script creates a throwaway local cluster first (line {created}) and points kubectl nowhere "
            "else, so the command acts on that cluster (as in a teardown or local-cluster script)")
