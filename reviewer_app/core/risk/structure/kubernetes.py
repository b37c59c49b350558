"""Kubernetes manifests by kind: objects of both sides paired by kind, namespace and name.

Judged: RBAC rules widened (wildcards, escalate/bind/impersonate, deletecollection, reading
secrets) and cluster-admin bindings; containers gaining host or root privileges; probes removed
(a probe that reappears elsewhere in the change, e.g. in values.yaml, moved); immutable fields
edited (the apply or the Helm upgrade fails); init containers removed; workloads scaled to zero.
An object deleted whole (or a file deleted whole) is
the object going away, not its probes or settings being removed one by one.
A YAML file without ``apiVersion``/``kind`` is not a manifest: its line rules judge it.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.texts import FileSides, Side
from reviewer_app.core.risk.structure.yamldoc import Map, Seq, load_all

# Kinds whose every risky setting this module knows where to find; a file with any other kind is
# left to the line rules.
UNDERSTOOD_KINDS = frozenset({
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController",
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount", "Service", "Namespace",
    "PersistentVolumeClaim", "Ingress", "IngressClass", "NetworkPolicy", "HorizontalPodAutoscaler",
    "PodDisruptionBudget", "PriorityClass", "LimitRange", "ResourceQuota", "StorageClass", "Endpoints",
    "EndpointSlice", "Lease",
})
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
DANGEROUS_VERBS = {
    "escalate": "lets its holder grant itself permissions it does not have",
    "bind": "lets its holder bind any role, including cluster-admin, to itself",
    "impersonate": "lets its holder act as any user, group or service account",
    "deletecollection": "deletes every object of a resource in one call",
}
# Immutable fields the API server does not fill in itself: adding one to a live object changes it.
NO_SERVER_DEFAULT = frozenset({"volumeClaimTemplates", "serviceName", "template"})
SECRET_READ = frozenset({"get", "list", "watch"})
WRITE_VERBS = frozenset({"create", "update", "patch", "delete"})
# Cluster-level resources whose write access reaches beyond one workload.
SENSITIVE_RESOURCES = {
    "namespaces": "namespaces hold every other object and their deletion takes those with them",
    "nodes": "nodes run every workload of the cluster",
    "persistentvolumes": "volumes hold the cluster's data",
    "clusterroles": "cluster roles define every permission",
    "clusterrolebindings": "cluster role bindings grant every permission",
    "roles": "roles define permissions",
    "rolebindings": "role bindings grant permissions",
    "serviceaccounts/token": "tokens act as any service account",
    "pods/exec": "exec runs commands in any pod",
    "mutatingwebhookconfigurations": "admission webhooks can rewrite every object",
    "validatingwebhookconfigurations": "admission webhooks decide what may be created",
    "customresourcedefinitions": "definitions change what every controller reads",
    "certificatesigningrequests/approval": "approving CSRs mints cluster credentials",
}
# StatefulSet spec fields the API server accepts in an update; every other one is immutable.
STATEFULSET_MUTABLE = frozenset({"replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                                 "minReadySeconds", "ordinals", "revisionHistoryLimit"})
WORKLOAD_ADDED = re.compile(r"^\s*kind\s*:\s*[\"']?(Deployment|StatefulSet|DaemonSet|Pod|ReplicaSet|Job|CronJob)\b", re.MULTILINE)
SCALE_FLAG = re.compile(r"--replicas[= ]0\b")


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.complete:
        return Parsed(False, "only the diff's hunks were available, so Kubernetes structure was not analysed and line rules judged this file")
    try:
        old_docs = load_all(sides.old.text) if sides.old.exists else []
        new_docs = load_all(sides.new.text) if sides.new.exists else []
    except Exception as exc:  # noqa: BLE001 - yaml raises scanner, parser and constructor errors
        note = f"the file did not parse as YAML ({type(exc).__name__}: a Helm template or a syntax error), so line rules judged it"
        if "/templates/" in f"/{sides.diff.path}" or "/templates/" in f"/{sides.diff.old_path or ''}":
            return _helm_template(sides, emit, context, note)
        return Parsed(False, note)
    return _judge_documents(sides, emit, context, old_docs, new_docs)


def _helm_template(sides: FileSides, emit: Emitter, context: ChangeContext, note: str) -> Parsed:
    """A chart template: its text checks, then its literal YAML skeleton judged like a manifest.

    Whatever the skeleton shows stands, but the line rules keep judging the file (what the
    template renders from values is not known here).
    """
    from reviewer_app.core.risk.structure import helm_template

    helm_template.judge(sides, emit, context)
    try:
        old_docs = load_all(helm_template.detemplate(sides.old.text)) if sides.old.exists else []
        new_docs = load_all(helm_template.detemplate(sides.new.text)) if sides.new.exists else []
    except Exception:  # noqa: BLE001 - the skeleton is not YAML either: the text checks are all there is
        return Parsed(False, note, keep=True)
    # A template's names are placeholders (and a rename edits the template line): objects pair by
    # kind and order.
    _judge_documents(sides, emit, context, old_docs, new_docs, by_kind=True)
    return Parsed(False, note, keep=True)


def _judge_documents(sides: FileSides, emit: Emitter, context: ChangeContext, old_docs: list[Any], new_docs: list[Any],
                     by_kind: bool = False) -> Parsed:
    old_objects = list(_objects(old_docs))
    new_objects = list(_objects(new_docs))
    if not old_objects and not new_objects:
        return Parsed(False, "")  # YAML, but not a Kubernetes manifest
    if len(old_objects) + len(new_objects) < sum(1 for d in old_docs + new_docs if d):
        return Parsed(False, "")  # mixed documents (some not objects): leave the file to the line rules
    unknown = sorted({str(o.get("kind")) for o in old_objects + new_objects} - UNDERSTOOD_KINDS)
    if unknown:
        # A custom resource (HelmRelease values, an Argo Application, a Kustomization patch, a
        # ConfigMap holding a pod template) may carry pod settings where this analyser does not
        # look: its line rules keep judging the file.
        return Parsed(False, f"{unknown[0]} objects are not analysed by structure, so line rules judged this file")
    # Objects are paired by kind, namespace, name and, where those repeat (a template's names are
    # placeholders), their order among the objects with that key.
    old_by_key = dict(_numbered(old_objects, by_kind))
    pairs = [(old_by_key.get(key), o) for key, o in _numbered(new_objects, by_kind)]
    # A lone object renamed in the same file is still the same object for field comparisons.
    # So is a lone workload converted to another kind (a ReplicationController become a Deployment):
    # what its pods were already allowed to do is not new.
    if len(old_objects) == 1 and len(new_objects) == 1 and pairs[0][0] is None and (
            old_objects[0].get("kind") == new_objects[0].get("kind")
            or (_pod_spec(old_objects[0]) is not None and _pod_spec(new_objects[0]) is not None)):
        pairs = [(old_objects[0], new_objects[0])]
    for before, after in pairs:
        Judge(sides, emit, context, before, after).run()
    return Parsed(True)


def _numbered(objects: list[Map], by_kind: bool = False) -> Iterator[tuple[tuple[str, str, str, int], Map]]:
    seen: dict[tuple[str, str, str], int] = {}
    for obj in objects:
        key = (str(obj.get("kind")), "", "") if by_kind else _key(obj)
        seen[key] = seen.get(key, -1) + 1
        yield (*key, seen[key]), obj


def _objects(docs: list[Any]) -> Iterator[Map]:
    for doc in docs:
        if isinstance(doc, Map) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            yield from (item for item in doc["items"] if _is_object(item))
        elif _is_object(doc):
            yield doc


def _is_object(doc: Any) -> bool:
    return isinstance(doc, Map) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)


def _key(obj: Map) -> tuple[str, str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Map) else Map()
    return (str(obj.get("kind")), str(meta.get("namespace", "")), str(meta.get("name", "")))


# Host paths a container commonly needs and that give nothing of the node away: the public CA
# bundle and the time zone (when mounted read-only), and the syslog socket, which only takes log lines.
READ_ONLY_BENIGN_HOST_PATHS = ("/etc/ssl/certs", "/etc/pki/tls/certs", "/etc/pki/ca-trust", "/usr/share/ca-certificates",
                               "/etc/ca-certificates", "/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo")
SYSLOG_SOCKET = "/dev/log"


def _benign_host_path(path: str, read_only: bool) -> str | None:
    """Why mounting ``path`` of the node is harmless, or None when it is not."""
    path = path.rstrip("/") or "/"
    if path == SYSLOG_SOCKET:
        return "the node's syslog socket, which only accepts log lines"
    if read_only and any(path == p or path.startswith(p + "/") for p in READ_ONLY_BENIGN_HOST_PATHS):
        return "read-only, and it holds only public CA certificates or time zone data"
    return None


def _mounts_read_only(spec: Map, volume: Any) -> bool:
    """Every container that mounts the volume mounts it read-only (and at least one mounts it)."""
    mounts = [m for field in ("initContainers", "containers", "ephemeralContainers")
              for c in _containers(spec, field).values() for m in _list(c.get("volumeMounts"))
              if isinstance(m, Map) and m.get("name") == volume]
    return bool(mounts) and all(m.get("readOnly") is True for m in mounts)


def _another_object(before: Map, after: Map) -> bool:
    """Renamed or of another kind: the API server creates a new object, so no field of the old one is
    updated in place (its immutable fields included). Templated names are not compared."""
    (old_kind, old_namespace, old_name), (kind, namespace, name) = _key(before), _key(after)
    if old_kind != kind:
        return True
    plain = not any("TEMPLATED" in part or "{{" in part for part in (old_namespace, old_name, namespace, name))
    return plain and (old_namespace, old_name) != (namespace, name)


def _get(node: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(node, Map):
            return None
        node = node.get(part)
    return node


def _pod_spec(obj: Map) -> Map | None:
    kind = obj.get("kind")
    if kind == "Pod":
        spec = _get(obj, "spec")
    elif kind == "CronJob":
        spec = _get(obj, "spec", "jobTemplate", "spec", "template", "spec")
    else:
        spec = _get(obj, "spec", "template", "spec")
    return spec if isinstance(spec, Map) else None


def _containers(spec: Map | None, field: str = "containers") -> dict[str, Map]:
    items = spec.get(field) if spec is not None else None
    if not isinstance(items, list):
        return {}
    return {str(c.get("name", index)): c for index, c in enumerate(items) if isinstance(c, Map)}


class Judge:
    """One object of the new side against its old self (None when it is new)."""

    def __init__(self, sides: FileSides, emit: Emitter, context: ChangeContext, before: Map | None, after: Map) -> None:
        self.sides, self.emitter, self.context = sides, emit, context
        self.before, self.after = before, after
        kind, namespace, name = _key(after)
        self.label = f"{kind} {namespace + '/' if namespace else ''}{name}".replace("TEMPLATED", "{{…}}")

    def new_line(self, node: Any, key: str | None = None, index: int | None = None) -> int:
        return self._line(self.sides.new, node, key, index)

    def old_line(self, node: Any, key: str | None = None, index: int | None = None) -> int:
        return self._line(self.sides.old, node, key, index)

    @staticmethod
    def _line(side: Side, node: Any, key: str | None, index: int | None) -> int:
        if isinstance(node, Map):
            return side.real_line(node.line_of(key) if key is not None else node.line)
        if isinstance(node, Seq):
            return side.real_line(node.lines[index] if index is not None and index < len(node.lines) else node.line)
        return 0

    def emit(self, rule: str, side: str, line: int, message: str, severity: str | None = None) -> None:
        self.emitter.emit(rule, side, line, f"{self.label}: {message}".replace("TEMPLATED", "{{…}}"), severity)

    def run(self) -> None:
        kind = self.after.get("kind")
        if kind == "NetworkPolicy" and self.before is None:
            self.network_policy_added()
        if kind in ("Role", "ClusterRole"):
            self.rbac_rules()
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            self.binding()
        self.privileges()
        self.scale()
        if self.before is not None:
            self.datastore_upgrade()
            self.probes_and_init_containers()
            if not _another_object(self.before, self.after):
                self.immutable_fields()

    # -- data stores ----------------------------------------------------------------------------------
    def datastore_upgrade(self) -> None:
        """A database image jumps a major version on the volume its data already sits on.

        Most data stores (MySQL, PostgreSQL, MongoDB, Elasticsearch …) support a major upgrade only
        through a dump and restore or step by step; started on the old data directory the new
        version refuses it or converts it one way.
        """
        assert self.before is not None
        spec, old_spec = _pod_spec(self.after), _pod_spec(self.before)
        if spec is None or old_spec is None or not _persistent(self.after, spec):
            return
        old_containers = _containers(old_spec)
        for name, container in _containers(spec).items():
            previous = old_containers.get(name)
            if previous is None:
                continue
            new_image, old_image = _image(container.get("image")), _image(previous.get("image"))
            if new_image is None or old_image is None or new_image[0] != old_image[0] or new_image[0] not in DATASTORES:
                continue
            if new_image[1] is not None and old_image[1] is not None and new_image[1] != old_image[1]:
                self.emit("K8S-DATASTORE-MAJOR-UPGRADE", "new", self.new_line(container, "image"),
                          f"container {name} moves {new_image[0]} from major version {old_image[1]} to {new_image[1]} on its "
                          "existing volume: the new version may refuse or irreversibly convert the old data directory.")

    # -- network policies ---------------------------------------------------------------------------
    def network_policy_added(self) -> None:
        """A new ingress policy over pods that already run: every client it does not list is cut off.

        Pods selected by a policy no longer accept any ingress the policy does not allow. When the
        change adds no workload, the pods it selects are existing ones, whose current clients
        (dashboards, scrapers, other services) lose access at the next apply.
        """
        spec = _get(self.after, "spec")
        if not isinstance(spec, Map):
            return
        types = [str(t) for t in spec.get("policyTypes") or []] if isinstance(spec.get("policyTypes"), list) else []
        if "Ingress" not in types and "ingress" not in spec:
            return
        if not _get(spec, "podSelector", "matchLabels") and not _get(spec, "podSelector", "matchExpressions"):
            return  # an empty selector is a namespace-wide default policy: a deliberate, visible choice
        if WORKLOAD_ADDED.search(self.context.added_text):
            return  # it comes with the workload it protects
        self.emit("K8S-NETWORK-POLICY-ADDED", "new", self.new_line(self.after, "kind"),
                  "a new ingress NetworkPolicy selects pods that already run: every client it does not allow "
                  "(dashboards, scrapers, other services) loses access to them at the next apply.")

    # -- RBAC ---------------------------------------------------------------------------------------
    def rbac_rules(self) -> None:
        granted_before = set()
        for rule in _list(_get(self.before, "rules") if self.before else None):
            granted_before |= set(_grants(rule))
        rules = self.after.get("rules")
        for rule in _list(rules):
            verbs = rule.get("verbs") if isinstance(rule.get("verbs"), Seq) else None
            for grant in _grants(rule):
                if grant in granted_before:
                    continue
                group, resource, verb = grant
                line = self._verb_line(rule, verbs, verb)
                if "*" in (group, resource, verb) and _wildcard_held(grant, granted_before):
                    # The old role already held this wildcard (a bot sync adding a subresource to a
                    # rule with `verbs: ['*']`): nothing new is granted beyond the resource itself,
                    # which matters only where that resource is sensitive.
                    if resource == "secrets" or resource in SENSITIVE_RESOURCES:
                        self.emit("K8S-RBAC-WIDENED", "new", self._resource_line(rule, resource, line),
                                  f"the role's existing wildcard ({verb} on {group or 'core'}) now also covers {resource}: "
                                  + SENSITIVE_RESOURCES.get(resource, "every credential in its scope becomes readable") + ".")
                        granted_before |= set(_grants(rule))
                        break
                    continue
                if "*" in (group, resource, verb):
                    what = "every verb" if verb == "*" else "every resource" if resource == "*" else "every API group"
                    self.emit("K8S-RBAC-WILDCARD", "new", line, f"the role now allows {what} ({verb} on {resource or 'core'}"
                              f"{' in ' + group if group else ''}): a wildcard also grants verbs and resources added later.")
                    granted_before |= {(g, r, v) for g, r, v in _grants(rule)}  # one finding per rule is enough
                    break
                if verb in DANGEROUS_VERBS:
                    self.emit("K8S-RBAC-WIDENED", "new", line, f"the role gains `{verb}` on {resource}: it {DANGEROUS_VERBS[verb]}.")
                elif resource == "secrets" and verb in SECRET_READ:
                    self.emit("K8S-RBAC-WIDENED", "new", line, f"the role can now `{verb}` secrets: every credential in its scope becomes readable.")
                elif resource == "secrets" and verb in WRITE_VERBS:
                    self.emit("K8S-RBAC-WIDENED", "new", line, f"the role can now `{verb}` secrets: it can overwrite the credentials other workloads use.")
                elif resource in SENSITIVE_RESOURCES and verb in WRITE_VERBS:
                    self.emit("K8S-RBAC-WIDENED", "new", self._resource_line(rule, resource, line),
                              f"the role can now `{verb}` {resource}: {SENSITIVE_RESOURCES[resource]}.")

    def _resource_line(self, rule: Map, resource: str, fallback: int) -> int:
        """The line of a newly added resource in the rule (the culprit when verbs stayed the same)."""
        resources = rule.get("resources")
        if isinstance(resources, Seq):
            for index, item in enumerate(resources):
                if item == resource and self.new_line(resources, index=index) in self.sides.new.changed:
                    return self.new_line(resources, index=index)
        return fallback

    def _verb_line(self, rule: Map, verbs: Seq | None, verb: str) -> int:
        if verbs is not None:
            for index, item in enumerate(verbs):
                if item == verb:
                    return self.new_line(verbs, index=index)
        return self.new_line(rule, "verbs")

    def binding(self) -> None:
        role = _get(self.after, "roleRef", "name")
        if role != "cluster-admin" or (self.before is not None and _get(self.before, "roleRef", "name") == "cluster-admin"):
            return
        ref = _get(self.after, "roleRef")
        self.emit("K8S-RBAC-WILDCARD", "new", self.new_line(ref, "name"),
                  "binds cluster-admin: its subjects can do anything in the whole cluster.", severity="critical")

    # -- privileges ----------------------------------------------------------------------------------
    def privileges(self) -> None:
        spec = _pod_spec(self.after)
        if spec is None:
            return
        old_spec = _pod_spec(self.before) if self.before is not None else None
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(field) is True and not (old_spec is not None and old_spec.get(field) is True):
                self.emit("K8S-PRIVILEGED", "new", self.new_line(spec, field),
                          f"`{field}: true` puts the pod in the node's namespaces: a compromise of it reaches the node.")
        old_paths = {str(_get(v, "hostPath", "path")) for v in _list(old_spec.get("volumes") if old_spec else None) if _get(v, "hostPath")}
        volumes = spec.get("volumes")
        for index, volume in enumerate(_list(volumes)):
            host_path = _get(volume, "hostPath", "path")
            if host_path is not None and str(host_path) not in old_paths:
                benign = _benign_host_path(str(host_path), _mounts_read_only(spec, _get(volume, "name")))
                self.emit("K8S-PRIVILEGED", "new", self.new_line(volumes, index=index),
                          f"mounts the node's {host_path} (hostPath): "
                          + (f"{benign}." if benign else "the container can read or change the node's files."),
                          severity="medium" if benign else None)
        self._security_context(spec.get("securityContext"), old_spec.get("securityContext") if old_spec else None, "the pod")
        old_containers = {}
        for field in ("initContainers", "containers", "ephemeralContainers"):
            old_containers.update(_containers(old_spec, field))
        for field in ("initContainers", "containers", "ephemeralContainers"):
            for name, container in _containers(spec, field).items():
                previous = old_containers.get(name)
                self._security_context(container.get("securityContext"),
                                       previous.get("securityContext") if previous is not None else None, f"container {name}")

    def _security_context(self, context: Any, old: Any, who: str) -> None:
        if not isinstance(context, Map):
            return
        old = old if isinstance(old, Map) else Map()
        checks = (("privileged", True, "runs privileged (every device, every capability of the node)"),
                  ("allowPrivilegeEscalation", True, "may gain more privileges than its parent process"),
                  ("runAsUser", 0, "runs as root (uid 0)"),
                  ("runAsNonRoot", False, "may run as root"))
        for field, bad, why in checks:
            value = context.get(field)
            if value is bad or (bad == 0 and value == 0 and value is not False):
                if not (old.get(field) is bad or (bad == 0 and old.get(field) == 0 and old.get(field) is not False)):
                    self.emit("K8S-PRIVILEGED", "new", self.new_line(context, field), f"{who} {why}.")
        added = _get(context, "capabilities", "add")
        before = {str(c) for c in _scalars(_get(old, "capabilities", "add"))}
        for index, capability in enumerate(_scalars(added)):
            if str(capability) not in before:
                severe = str(capability).upper() in ("SYS_ADMIN", "ALL", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH")
                self.emit("K8S-PRIVILEGED", "new", self.new_line(added, index=index),
                          f"{who} gains the Linux capability {capability}"
                          + (" (close to root on the node)." if severe else "."),
                          severity="high" if severe else "medium")

    # -- scale ----------------------------------------------------------------------------------------
    def scale(self) -> None:
        spec = _get(self.after, "spec")
        old_spec = _get(self.before, "spec") if self.before is not None else None
        if not isinstance(spec, Map):
            return
        for field in ("replicas", "minReplicas"):
            if spec.get(field) == 0 and spec.get(field) is not False and not (isinstance(old_spec, Map) and old_spec.get(field) == 0):
                self.emit("K8S-SCALE-TO-ZERO", "new", self.new_line(spec, field), f"`{field}: 0` scales the workload to zero: it stops serving.")
        unavailable = _get(spec, "strategy", "rollingUpdate")
        if isinstance(unavailable, Map) and str(unavailable.get("maxUnavailable")) == "100%" and \
                str(_get(old_spec, "strategy", "rollingUpdate", "maxUnavailable")) != "100%":
            self.emit("K8S-SCALE-TO-ZERO", "new", self.new_line(unavailable, "maxUnavailable"),
                      "`maxUnavailable: 100%` lets a rollout take every replica down at once.")
        old_strings = set(_strings(self.before)) if self.before is not None else set()
        for text, node, key in _string_sites(self.after):
            if SCALE_FLAG.search(text) and text not in old_strings:
                self.emit("K8S-SCALE-TO-ZERO", "new", self.new_line(node, key) if isinstance(key, str) else self.new_line(node, index=key),
                          "a command scales a workload to zero replicas.")

    # -- probes and init containers --------------------------------------------------------------------
    def probes_and_init_containers(self) -> None:
        assert self.before is not None
        spec, old_spec = _pod_spec(self.after), _pod_spec(self.before)
        if old_spec is None:
            return
        new_containers = _containers(spec)
        for name, old_container in _containers(old_spec).items():
            container = new_containers.get(name)
            if container is None:
                continue  # the container went away whole: its probes with it
            for probe in PROBES:
                if probe in old_container and probe not in container and not self._moved(probe):
                    self.emit("K8S-PROBE-REMOVED", "old", self.old_line(old_container, probe),
                              severity="medium" if probe == "startupProbe" else "high",
                              message=f"container {name} loses its {probe}: "
                              + ("a hung process is no longer restarted." if probe == "livenessProbe" else
                                 "traffic is sent before it is ready." if probe == "readinessProbe" else
                                 "slow starts are no longer protected."))
        new_init = _containers(spec, "initContainers")
        old_init_list = old_spec.get("initContainers")
        for index, (name, _) in enumerate(_containers(old_spec, "initContainers").items()):
            if name not in new_init:
                severe = self.after.get("kind") == "StatefulSet"
                self.emit("K8S-INIT-CONTAINER-REMOVED", "old", self.old_line(old_init_list, index=index),
                          f"the init container {name} is removed: the setup it did before the main containers "
                          "start (permissions, migrations, waiting for a dependency) no longer happens"
                          + (", on pods that keep their volumes across restarts." if severe else "."),
                          severity="high" if severe else None)

    def _moved(self, probe: str) -> bool:
        """The probe reappears on an added line of the change (another container, file or values.yaml)."""
        return re.search(rf"^\s*{probe}\s*:", self.context.added_text, re.MULTILINE) is not None

    # -- immutable fields ---------------------------------------------------------------------------------
    def immutable_fields(self) -> None:
        assert self.before is not None
        kind = self.after.get("kind")
        spec, old_spec = _get(self.after, "spec"), _get(self.before, "spec")
        if not isinstance(spec, Map) or not isinstance(old_spec, Map):
            return
        if kind == "StatefulSet":
            fields = [f for f in set(spec) | set(old_spec) if f not in STATEFULSET_MUTABLE]
        elif kind in ("Deployment", "DaemonSet", "ReplicaSet"):
            fields = ["selector"]
        elif kind == "Service":
            fields = ["clusterIP", "clusterIPs"] if old_spec.get("clusterIP") not in (None, "") else []
        elif kind == "Job":
            # A Helm hook Job is deleted and created again by each upgrade: its template may change.
            hook = any(str(k).startswith("helm.sh/hook") for k in (_get(self.after, "metadata", "annotations") or {}))
            fields = [] if hook else ["selector", "template", "completionMode"]
        elif kind == "PersistentVolumeClaim":
            fields = ["storageClassName", "accessModes", "volumeName", "volumeMode", "selector"]
        else:
            fields = []
        for field in sorted(fields):
            if _plain(spec.get(field)) == _plain(old_spec.get(field)):
                continue
            if old_spec.get(field) is None and field not in NO_SERVER_DEFAULT:
                # Written out where the old manifest left it to the API server's default (a selector
                # from the template's labels, the default storage class): most likely the same value.
                continue
            side, line = ("new", _changed_within(self.sides.new, spec, field)) if field in spec else \
                ("old", _changed_within(self.sides.old, old_spec, field))
            self.emit("K8S-IMMUTABLE-FIELD", side, line,
                      f"spec.{field} cannot be changed on an existing {kind}: `kubectl apply` and `helm upgrade` fail "
                      "until the object is deleted and recreated"
                      + (" (the volume claims keep the old template)." if field == "volumeClaimTemplates" else "."))


DATASTORES = frozenset({"mysql", "mariadb", "postgres", "postgresql", "mongo", "mongodb", "elasticsearch", "cassandra",
                        "redis", "couchdb", "cockroach", "cockroachdb", "etcd", "zookeeper", "rabbitmq", "kafka",
                        "opensearch", "influxdb", "neo4j", "clickhouse-server", "memcached"})


def _image(value: Any) -> tuple[str, int | None] | None:
    """(repository basename, major version) of an image reference; None when it is not a plain string."""
    if not isinstance(value, str) or "{{" in value or "TEMPLATED" in value:
        return None
    reference = value.split("@", 1)[0]
    name, _, tag = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (reference, "", "")
    major = re.match(r"v?(\d+)", tag)
    return name.rsplit("/", 1)[-1].lower(), int(major.group(1)) if major else None


def _persistent(obj: Map, spec: Map) -> bool:
    if obj.get("kind") == "StatefulSet" and _get(obj, "spec", "volumeClaimTemplates"):
        return True
    return any(isinstance(v, Map) and any(k in v for k in PERSISTENT_VOLUMES) for v in _list(spec.get("volumes")))


PERSISTENT_VOLUMES = ("persistentVolumeClaim", "gcePersistentDisk", "awsElasticBlockStore", "azureDisk", "cinder", "rbd", "iscsi")


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, Map)] if isinstance(value, list) else []


def _changed_within(side: Side, parent: Map, key: str) -> int:
    """The first changed line inside ``parent[key]`` (up to the next key of ``parent``), else the key's line."""
    start = parent.line_of(key)
    following = [line for line in parent.lines.values() if line > start]
    end = min(following) if following else len(side.lines)
    for index in range(start, end):
        number = side.real_line(index)
        if number in side.changed:
            return number
    return side.real_line(start)


def _scalars(value: Any) -> list[Any]:
    return [v for v in value if not isinstance(v, (dict, list))] if isinstance(value, list) else []


def _wildcard_held(grant: tuple[str, str, str], granted_before: set[tuple[str, str, str]]) -> bool:
    """The old role already granted the wildcard of this grant in the same API group (or every group)."""
    group, resource, verb = grant
    for old_group, old_resource, old_verb in granted_before:
        if verb == "*" and old_verb == "*" and old_group in (group, "*") and resource != "*" and group != "*":
            return True
        if resource == "*" and old_resource == "*" and old_group in (group, "*") and old_verb in (verb, "*") and group != "*":
            return True
        if group == "*" and old_group == "*" and old_resource in (resource, "*") and old_verb in (verb, "*"):
            return True
    return False


def _grants(rule: Map) -> Iterator[tuple[str, str, str]]:
    groups = [str(g) for g in rule.get("apiGroups") or [""]] if isinstance(rule.get("apiGroups"), list) else [""]
    resources = [str(r) for r in rule.get("resources") or []] if isinstance(rule.get("resources"), list) else []
    if not resources and isinstance(rule.get("nonResourceURLs"), list):
        resources = [str(u) for u in rule["nonResourceURLs"]]
    verbs = [str(v) for v in rule.get("verbs") or []] if isinstance(rule.get("verbs"), list) else []
    for group in groups:
        for resource in resources:
            for verb in verbs:
                yield (group, resource, verb)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _strings(node: Any) -> Iterator[str]:
    for text, _, _ in _string_sites(node):
        yield text


def _string_sites(node: Any) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(node, Map):
        for key, value in node.items():
            if isinstance(value, str):
                yield value, node, key
            else:
                yield from _string_sites(value)
    elif isinstance(node, Seq):
        for index, item in enumerate(node):
            if isinstance(item, str):
                yield item, node, index
            else:
                yield from _string_sites(item)
