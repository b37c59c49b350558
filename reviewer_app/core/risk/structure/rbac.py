"""RBAC in Kubernetes manifests: Roles and ClusterRoles against their old selves, bindings to cluster-admin,
and the conditions that decide whether a chart renders an all-powerful RBAC object.

kubernetes.py pairs the objects of a file and calls, for one pair through its ``Judge`` (which words and
lowers every finding, Judge.emit): ``judge_role`` (a Role or ClusterRole: grants new with the change,
K8S-RBAC-WILDCARD and K8S-RBAC-WIDENED), ``monitoring_access_lost`` (a monitoring role losing what it
scrapes through, K8S-RBAC-NARROWED) and ``judge_binding`` (a new cluster-admin binding); before pairing,
``roles_narrowed`` (a Role taking the place of a ClusterRole); and for a chart template's text,
``template_guards``. A grant the role already held in another form (under a wider grant, its
update/patch twin, the API group a resource moved to, a cluster-scoped counterpart, another role bound
to the same subjects, an escalation path) is passed to Judge.emit as ``held``, which lowers it to medium.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from reviewer_app.core.risk.structure.base import Emitter
from reviewer_app.core.risk.structure.kubernetes import (
    PLACEHOLDER, Judge, _chart_values, _defaults_rendered, _get, _key, _list, _objects,
)
from reviewer_app.core.risk.structure.texts import FileSides, Side
from reviewer_app.core.risk.structure.yamldoc import Map, Seq, load_all

DANGEROUS_VERBS = {
    "escalate": "lets its holder grant itself permissions it does not have",
    "bind": "lets its holder bind any role, including cluster-admin, to itself",
    "impersonate": "lets its holder act as any user, group or service account",
    "deletecollection": "deletes every object of a resource in one call",
}
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
# The API group serving each sensitive resource: a rule naming the resource under another group (a
# pods/exec under authorization.k8s.io) reaches nothing.
SENSITIVE_GROUPS = {
    "namespaces": "", "nodes": "", "persistentvolumes": "", "serviceaccounts/token": "", "pods/exec": "",
    "clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
    "roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
    "mutatingwebhookconfigurations": "admissionregistration.k8s.io",
    "validatingwebhookconfigurations": "admissionregistration.k8s.io",
    "customresourcedefinitions": "apiextensions.k8s.io", "certificatesigningrequests/approval": "certificates.k8s.io",
}
# Subresources served by some verbs only: exec is a connect request authorised as `create` (`get` for
# websocket clients), a token request as `create`, a CSR approval as `update`. Other verbs on them grant nothing.
SUBRESOURCE_VERBS = {
    "pods/exec": ("create", "get"),
    "serviceaccounts/token": ("create",),
    "certificatesigningrequests/approval": ("update", "patch"),
}
RBAC_GROUP = "rbac.authorization.k8s.io"
# A namespaced RBAC resource and its cluster-scoped counterpart: `create` on cluster roles and cluster
# role bindings grants cluster-wide whatever a namespaced role and binding could grant in one namespace.
CLUSTER_COUNTERPART = {"roles": "clusterroles", "rolebindings": "clusterrolebindings"}
# A monitoring component (its file or role name): its role is what its discovery and scrapes run with.
MONITORING_COMPONENT = re.compile(r"prometheus|monitor|metric|exporter|scrape|opentelemetry|otel|telegraf|datadog|newrelic")
# What a monitoring role reads to discover and scrape targets.
SCRAPE_RESOURCES = {
    "nodes": "node discovery goes",
    "nodes/proxy": "scrapes of the kubelet and cAdvisor through the API server proxy fail",
    "nodes/metrics": "scrapes of the kubelet's metrics endpoint fail",
    "services": "service discovery goes",
    "endpoints": "endpoint discovery goes",
    "endpointslices": "endpoint discovery goes",
    "pods": "pod discovery goes",
    "ingresses": "ingress discovery goes",
    "/metrics": "scrapes of the API server's own metrics fail",
}
# Aggregated APIs whose resources are only read (the resource, custom and external metrics APIs): a
# wildcard on their verbs or resources grants reading metrics, nothing more.
READ_ONLY_GROUPS = frozenset({"metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io"})
# API groups of Kubernetes itself (apps, batch, rbac.authorization.k8s.io …) have no dot or end in
# k8s.io / kubernetes.io; any other group with a dot is a custom resource's (networking.gloo.solo.io).
BUILTIN_GROUP = re.compile(r"^[a-z0-9-]*$|(^|\.)(k8s\.io|kubernetes\.io|openshift\.io)$")


def _custom_resource(group: str, resource: str) -> bool:
    """A named resource of a custom API group, not one of the resources this module deems sensitive."""
    return (group not in ("", "*") and not BUILTIN_GROUP.search(group) and resource not in ("*", "secrets")
            and resource.split("/")[0] not in SENSITIVE_RESOURCES and resource not in SENSITIVE_RESOURCES)


# -- roles and bindings, one object against its old self -------------------------------------------
def judge_role(judge: Judge) -> None:
    """A Role or ClusterRole: what its rules grant that its old self did not (K8S-RBAC-WILDCARD, K8S-RBAC-WIDENED)."""
    # What the old role granted, and what it granted over whole kinds (no resourceNames): a grant
    # the old role held only for named objects is new when it comes without names.
    every_before: set[tuple[str, str, str]] = set()
    unnamed_before: set[tuple[str, str, str]] = set()
    for rule in _list(_get(judge.before, "rules") if judge.before else None):
        every_before |= set(_grants(rule))
        if not _resource_names(rule):
            unnamed_before |= set(_grants(rule))
    rules = judge.after.get("rules")
    # A cluster role that could already grant itself anything (read from the old side, which the change
    # cannot write) gains no power from any widening. Only a ClusterRole: cluster roles, bindings, users
    # and groups are cluster-scoped, so a namespaced Role naming them grants nothing over them.
    cluster = judge.before is not None and judge.after.get("kind") == "ClusterRole" and judge.before.get("kind") == "ClusterRole"
    escalation = _escalation_held(unnamed_before) if cluster else None
    _role_grants(judge, rules, every_before, unnamed_before, escalation, cluster, _confined_namespace(judge))


# Namespaces whose admin is the cluster's: their service accounts run the control plane's add-ons.
_CLUSTER_NAMESPACES = frozenset({"kube-system"})
_PLAIN_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _confined_namespace(judge: Judge) -> str | None:
    """The namespace a Role or RoleBinding (not a ClusterRole or ClusterRoleBinding) grants in, when it is written
    plainly and is not one whose admin is the cluster's: every resource of that namespace is its secrets, pods and
    service accounts, not the cluster. None for a cluster-wide object, a namespace left to the apply (``-n``),
    templated or kube-system (fail closed: those keep the cluster-admin reading)."""
    if judge.after.get("kind") not in ("Role", "RoleBinding"):
        return None
    namespace = _get(judge.after, "metadata", "namespace")
    if not isinstance(namespace, str) or not _PLAIN_NAME.match(namespace) or namespace in _CLUSTER_NAMESPACES:
        return None
    return namespace


def _role_grants(judge: Judge, rules: Any, every_before: set[tuple[str, str, str]],
                 unnamed_before: set[tuple[str, str, str]], escalation: str | None, cluster: bool,
                 confined: str | None = None) -> None:
    """``cluster``: the object is a ClusterRole on both sides. ``confined``: the one namespace a Role grants in
    (``_confined_namespace``). Each grant's findings carry ``held`` (why the role gains no power by the grant, or
    None), which Judge.emit turns into a medium."""
    for rule in _list(rules):
        verbs = rule.get("verbs") if isinstance(rule.get("verbs"), Seq) else None
        names = _resource_names(rule)
        granted_before = every_before if names else unnamed_before
        for grant in _grants(rule):
            if grant in granted_before or _covered(grant, granted_before):
                # Held before by the same role, as such or under a wider grant (`*` on secrets covers `get`).
                continue
            if _moved_group_held(grant, granted_before):
                # The same resource named under the API group it moved to (or from): extensions to apps or
                # networking.k8s.io, the same stored objects, which the role already held as such.
                continue
            counterpart = _counterpart_held(grant, unnamed_before) if cluster else None
            elsewhere = None if escalation or counterpart or names else _held_elsewhere(judge, grant)
            held = (
                f"before this change the role already held {escalation}, so it could grant itself any "
                "permission: this grant adds no power." if escalation else
                f"before this change the role already held {counterpart}: what a namespaced role or binding "
                "grants in one namespace it could already grant cluster-wide, so this adds no power."
                if counterpart else
                f"before this change {elsewhere} already held this grant (the same or wider verbs, resources and "
                "API groups, in an equal or wider scope): no new power for those subjects." if elsewhere else None)
            group, resource, verb = grant
            line = _verb_line(judge, rule, verbs, verb)
            if "*" in (group, resource, verb) and _wildcard_held(grant, granted_before):
                # The old role already held this wildcard (a bot sync adding a subresource to a
                # rule with `verbs: ['*']`): nothing new is granted beyond the resource itself,
                # which matters only where that resource is sensitive.
                if resource == "secrets" or resource in SENSITIVE_RESOURCES:
                    judge.emit("K8S-RBAC-WIDENED", "new", _resource_line(judge, rule, resource, line),
                               f"the role's existing wildcard ({verb} on {group or 'core'}) now also covers {resource}: "
                               + SENSITIVE_RESOURCES.get(resource, "every credential in its scope becomes readable") + ".",
                               held=held)
                    granted_before |= set(_grants(rule))
                    break
                continue
            if "*" in (group, resource, verb):
                what = "every verb" if verb == "*" else "every resource" if resource == "*" else "every API group"
                # Every verb on named custom resources the role had no grant on at all: the role takes on a new
                # kind of object (a plugin's CRD) whole. Raising verbs the role already held on them stays critical.
                one_custom = verb == "*" and all(
                    _custom_resource(g, r) and not any(og == g and orr.split("/")[0] == r.split("/")[0]
                                                       for og, orr, _ in granted_before)
                    for g, r, _ in _grants(rule))
                rule_grants = list(_grants(rule))
                read_only = bool(rule_grants) and all(g in READ_ONLY_GROUPS for g, _, _ in rule_grants)
                # Only the finalizers or status subresources (`*/finalizers`, OpenShift's ownerReference
                # check): they set blockOwnerDeletion or report status, never read or change the objects.
                subresource = None if one_custom or read_only else next(
                    (sub for sub in ("finalizers", "status")
                     if rule_grants and all(r.rpartition("/")[2] == sub and "/" in r for _, r, _ in rule_grants)), None)
                # Equal to cluster-admin: every resource of Kubernetes' own groups (secrets among them), or
                # every verb on a sensitive resource.
                admin = not read_only and subresource is None and any(
                    (r == "*" and (g in ("", "*") or BUILTIN_GROUP.search(g) is not None))
                    or (v == "*" and (r == "secrets" or r.split("/")[0] in SENSITIVE_RESOURCES or r in SENSITIVE_RESOURCES))
                    for g, r, v in rule_grants if "*" in (g, r, v))
                # Every verb on resources on which the same role already held every standard verb: the
                # wildcard adds deletecollection (and verbs the API adds later), nothing else, where the
                # resource has no special verbs (escalate, bind, impersonate, use, approve, sign).
                collapsed = not (one_custom or read_only or subresource) and bool(rule_grants) and all(
                    v == "*" and "*" not in (g, r) and r.split("/")[0] not in SPECIAL_VERB_RESOURCES
                    and not r.startswith("/") and all(_covered((g, r, sv), granted_before) for sv in STANDARD_VERBS)
                    for g, r, v in rule_grants)
                judge.emit("K8S-RBAC-WILDCARD", "new", line, f"the role now allows {what} ({verb} on {resource or 'core'}"
                           f"{' in ' + group if group else ''}): a wildcard also grants verbs and resources added later."
                           + (" Medium: the wildcard is on the verbs of named custom resources the role did not touch "
                              "before (no wildcard on resources or API groups, nothing of Kubernetes' own): full control "
                              "of those objects, no reach beyond them." if one_custom else "")
                           + (f" Medium: {', '.join(sorted({g for g, _, _ in rule_grants}))} serves only reads (an aggregated "
                              "metrics API has no create, update or delete): the wildcard grants reading metrics, it is not "
                              "cluster-admin." if read_only and not one_custom else "")
                           + (f" Medium: the wildcard covers only the {subresource} subresource"
                              + (" (it governs only whether an owner reference may set blockOwnerDeletion)"
                                 if subresource == "finalizers" else " (it reports an object's status)")
                              + ": no read, create or delete of the objects themselves, not cluster-admin."
                              if subresource else "")
                           + (f" Medium: the role already held {', '.join(STANDARD_VERBS)} on "
                              f"{', '.join(sorted({r for _, r, _ in rule_grants}))}: the wildcard adds only deletecollection "
                              "(and any verb the API adds later)." if collapsed else "")
                           + (f" High, not critical: a Role grants it in namespace {confined} only, where it is that "
                              "namespace's admin (its secrets, pods and service accounts), not the cluster's."
                              if admin and confined and not collapsed else ""),
                           severity="medium" if one_custom or read_only or subresource or collapsed
                           else "high" if admin and confined else None,
                           acts_now=admin and not collapsed and not confined, held=held)
                granted_before |= {(g, r, v) for g, r, v in _grants(rule)}  # one finding per rule is enough
                break
            if verb in DANGEROUS_VERBS:
                sibling = verb == "deletecollection" and _custom_resource(group, resource) and any(
                    g == group and v == verb and r.split("/")[0] != resource.split("/")[0] for g, r, v in granted_before)
                _widened(judge, held, names, verb, resource, "new", line,
                         f"the role gains `{verb}` on {resource}: it {DANGEROUS_VERBS[verb]}."
                         + (f" Medium: the role already had `{verb}` on other resources of {group}; this extends it to "
                            "one more custom resource of the same group." if sibling else ""),
                         severity="medium" if sibling else None, acts_now=verb != "deletecollection")
            elif resource == "secrets" and verb in SECRET_READ and verb != "list" and (group, resource, "list") in granted_before:
                # `list` returns every object whole: `get` or `watch` beside it read nothing more.
                _widened(judge, held, names, verb, resource, "new", line,
                         f"the role can now `{verb}` secrets, which it could already `list`: a list returns every secret "
                         "in its scope whole, so no credential becomes readable that was not. Low: already so.",
                         severity="low")
            elif resource == "secrets" and verb in SECRET_READ:
                _widened(judge, held, names, verb, resource, "new", line,
                         f"the role can now `{verb}` secrets: every credential in its scope becomes readable.")
            elif (resource == "secrets" or resource in SENSITIVE_RESOURCES) and verb in WRITE_VERBS and \
                    _twin_held(grant, granted_before):
                twin = _twin_held(grant, granted_before)
                _widened(judge, held, names, verb, resource, "new", line,
                         f"the role can now `{verb}` {resource}, which it could already `{twin}` (same API group): "
                         "a patch and an update change the same fields of objects that exist (neither creates one: "
                         "an apply that would create is authorised as `create`). Low: no new access.",
                         severity="low")
            elif resource == "secrets" and verb in WRITE_VERBS:
                _widened(judge, held, names, verb, resource, "new", line,
                         f"the role can now `{verb}` secrets: it can overwrite the credentials other workloads use.")
            elif resource in SENSITIVE_RESOURCES and verb in WRITE_VERBS:
                served = SENSITIVE_GROUPS.get(resource)
                useful = SUBRESOURCE_VERBS.get(resource)
                if served is not None and group != served and PLACEHOLDER not in group:
                    _widened(judge, held, names, verb, resource, "new", _resource_line(judge, rule, resource, line),
                             f"the rule names `{verb}` on {resource} under the API group {group or 'core'}, which "
                             f"does not serve {resource} (it is in {served or 'the core group'}): the grant reaches "
                             "nothing. Low: no access is granted.", severity="low")
                elif useful is not None and verb not in useful:
                    _widened(judge, held, names, verb, resource, "new", _resource_line(judge, rule, resource, line),
                             f"the role gains `{verb}` on {resource}, which grants nothing: {resource} is "
                             f"authorised only as {' or '.join(f'`{v}`' for v in useful)}. Low: no access is granted.",
                             severity="low")
                else:
                    _widened(judge, held, names, verb, resource, "new", _resource_line(judge, rule, resource, line),
                             f"the role can now `{verb}` {resource}: {SENSITIVE_RESOURCES[resource]}.")


def _widened(judge: Judge, held: str | None, names: list[str], verb: str, resource: str, side: str, line: int,
             message: str, severity: str | None = None, acts_now: bool = False) -> None:
    """A K8S-RBAC-WIDENED finding; medium where the rule is limited by resourceNames.

    Such a rule reaches only the objects it names (create and deletecollection, which carry no
    name, it does not grant at all): not a grant over the resource kind. Escalate, bind and
    impersonate are as strong as the role or account they name, so they keep their severity.
    """
    if names and verb not in ("escalate", "bind", "impersonate") and severity in (None, "high", "critical"):
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        severity = "medium"
        message += (f" Medium: the rule is limited by resourceNames to {shown}: access to "
                    f"{'that named object' if len(names) == 1 else 'those named objects'}, not a grant over all "
                    f"{resource}.")
    judge.emit("K8S-RBAC-WIDENED", side, line, message, severity=severity, acts_now=acts_now, held=held)


def monitoring_access_lost(judge: Judge) -> None:
    """A monitoring component's role loses read access to what it discovers or scrapes through.

    Removing a permission is usually safe, and usually deliberate: here the workload's own
    discovery or scrape path goes (``nodes/proxy`` for cAdvisor through the API server,
    ``endpoints`` for service discovery), and Prometheus does not fail, its targets just go
    down or disappear. High when nothing else in the change (scrape configs, values, the
    component's source) moves with it, medium otherwise.
    """
    assert judge.before is not None
    path = f"{judge.sides.diff.path} {_key(judge.after)[2]}".lower()
    if not MONITORING_COMPONENT.search(path):
        return
    granted = set()
    for rule in _list(judge.after.get("rules")):
        granted |= set(_grants(rule))
    lost_resources: dict[str, int] = {}
    for rule in _list(judge.before.get("rules")):
        resources = rule.get("resources") if isinstance(rule.get("resources"), Seq) else None
        for group, resource, verb in _grants(rule):
            if resource not in SCRAPE_RESOURCES or verb not in SECRET_READ or resource in lost_resources:
                continue
            if any(g in (group, "*") and r in (resource, "*") and v in (verb, "*") for g, r, v in granted):
                continue
            line = 0
            if resources is not None:
                for index, item in enumerate(resources):
                    if item == resource and judge.old_line(resources, index=index) in judge.sides.old.changed:
                        line = judge.old_line(resources, index=index)
            if line and not re.search(rf"^\s*-\s*[\"']?{re.escape(resource)}[\"']?\s*$", judge.context.added_text, re.MULTILINE):
                lost_resources[resource] = line
    if not lost_resources:
        return
    alone = all(_incidental(diff.path) or diff.path == judge.sides.diff.path for diff in judge.context.change.files)
    for resource, line in lost_resources.items():
        judge.emit("K8S-RBAC-NARROWED", "old", line,
                   f"the monitoring role loses read access to {resource}: {SCRAPE_RESOURCES[resource]}; Prometheus does not fail, "
                   "its targets go down or disappear"
                   + (", and nothing else in the change (scrape configs, values) moves with it." if alone else "."),
                   severity="high" if alone else "medium")


def _incidental(path: str) -> bool:
    """A file that travels with any chart change (its version, its docs), not a configuration."""
    name = path.rsplit("/", 1)[-1]
    return name in ("Chart.yaml", "Chart.lock") or name.lower().endswith((".md", ".txt"))


def _resource_line(judge: Judge, rule: Map, resource: str, fallback: int) -> int:
    """The line of a newly added resource in the rule (the culprit when verbs stayed the same)."""
    resources = rule.get("resources")
    if isinstance(resources, Seq):
        for index, item in enumerate(resources):
            if item == resource and judge.new_line(resources, index=index) in judge.sides.new.changed:
                return judge.new_line(resources, index=index)
    return fallback


def _verb_line(judge: Judge, rule: Map, verbs: Seq | None, verb: str) -> int:
    if verbs is not None:
        for index, item in enumerate(verbs):
            if item == verb:
                return judge.new_line(verbs, index=index)
    return judge.new_line(rule, "verbs")


def judge_binding(judge: Judge) -> None:
    """A RoleBinding or ClusterRoleBinding that newly binds cluster-admin."""
    role = _get(judge.after, "roleRef", "name")
    if role != "cluster-admin" or (judge.before is not None and _get(judge.before, "roleRef", "name") == "cluster-admin"):
        return
    ref = _get(judge.after, "roleRef")
    namespace = _confined_namespace(judge)
    if namespace is not None:
        # A RoleBinding grants its role's rules only inside its own namespace: cluster-admin there is that
        # namespace's admin (its secrets, pods and service accounts), as a Role's wildcard is.
        judge.emit("K8S-RBAC-WILDCARD", "new", judge.new_line(ref, "name"),
                   f"binds cluster-admin in the namespace {namespace}: a RoleBinding grants the role's rules only in "
                   f"its own namespace, so its subjects can do anything in {namespace} (its secrets, pods and service "
                   "accounts), not in the whole cluster.", severity="high")
        return
    judge.emit("K8S-RBAC-WILDCARD", "new", judge.new_line(ref, "name"),
               "binds cluster-admin: its subjects can do anything in the whole cluster.", severity="critical", acts_now=True)


# -- grants: what a rule allows, and what was held before (by the role, or by another role) ------------
def _resource_names(rule: Map) -> list[str]:
    """The object names a rule is limited to; [] when it is not, or may not be.

    No resourceNames or an empty list limits nothing, and an empty name matches the requests that
    carry none (list, create), so a list with a blank entry, or an entry a Helm template writes
    whole (it may render blank), counts as no limit.
    """
    names = rule.get("resourceNames")
    if not isinstance(names, list):
        return []
    shown = [str(n) for n in names if isinstance(n, (str, int)) and str(n).strip() and str(n).strip() != PLACEHOLDER]
    return shown if shown and len(shown) == len(names) else []


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


# Verbs that write the same thing: an update (PUT) and a patch (PATCH) change the same fields of an existing
# object; an apply that would create the object is authorised as `create` by the API server, and so is an update
# that would create one. Holding one, a role gains no access by the other on the same group and resource.
TWIN_VERBS = {"update": "patch", "patch": "update"}
def _twin_held(grant: tuple[str, str, str], held: set[tuple[str, str, str]]) -> str | None:
    """The verb (update or patch) the role already held on the grant's API group and resource that writes what
    the grant's verb (patch or update) does, or None."""
    group, resource, verb = grant
    twin = TWIN_VERBS.get(verb)
    return twin if twin is not None and _covered((group, resource, twin), held) else None


# Resources served by more than one built-in API group during an API move (the same stored objects under each
# group: an extensions/v1beta1 Deployment is the apps/v1 one), and the groups that serve them. Under any other
# of these groups the resource does not exist, and a rule naming it there reaches nothing.
MOVED_RESOURCES = {
    "deployments": ("extensions", "apps"), "daemonsets": ("extensions", "apps"), "replicasets": ("extensions", "apps"),
    "ingresses": ("extensions", "networking.k8s.io"), "networkpolicies": ("extensions", "networking.k8s.io"),
    "podsecuritypolicies": ("extensions", "policy"), "events": ("", "events.k8s.io"),
}
MOVE_GROUPS = frozenset(group for groups in MOVED_RESOURCES.values() for group in groups)


def _moved_group_held(grant: tuple[str, str, str], held: set[tuple[str, str, str]]) -> bool:
    """The grant names a resource of an API move (MOVED_RESOURCES) under one of the move's groups, and the role
    already held the same resource and verb under a group that serves it: the grant reaches the same objects, or
    none (``ingresses`` under ``apps``). Fail closed: a resource or group outside the table, or a verb the role
    did not hold under a serving group, is judged as a new grant."""
    group, resource, verb = grant
    serving = MOVED_RESOURCES.get(resource.split("/")[0])
    if serving is None or group not in MOVE_GROUPS:
        return False
    return any(_covered((old_group, resource, verb), held) for old_group in serving if old_group != group)


STANDARD_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")
# Resources served with verbs beyond the standard ones (escalate and bind on roles, impersonate on users, groups
# and service accounts, use on pod security policies, approve and sign on certificate requests and signers).
SPECIAL_VERB_RESOURCES = frozenset({"roles", "clusterroles", "rolebindings", "clusterrolebindings", "users", "groups",
                                    "serviceaccounts", "uids", "userextras", "podsecuritypolicies",
                                    "securitycontextconstraints", "signers", "certificatesigningrequests"})


def _covered(grant: tuple[str, str, str], held: set[tuple[str, str, str]]) -> bool:
    """A held grant allows at least this one: the same or a wildcard API group, resource and verb (``*`` covers
    every resource and subresource, ``*/scale`` every scale subresource; a non-resource URL only its own URL
    or a ``/path*`` prefix)."""
    group, resource, verb = grant
    for old_group, old_resource, old_verb in held:
        if old_group not in (group, "*") or old_verb not in (verb, "*"):
            continue
        if resource.startswith("/"):
            if old_resource == resource or (old_resource.startswith("/") and old_resource.endswith("*")
                                            and resource.startswith(old_resource[:-1])):
                return True
        elif old_resource.startswith("/"):
            continue
        elif old_resource in (resource, "*"):
            return True
        elif old_resource.startswith("*/") and "/" in resource and not resource.startswith("*") \
                and resource.partition("/")[2] == old_resource[2:]:
            return True
    return False


def _held_elsewhere(judge: Judge, grant: tuple[str, str, str]) -> str | None:
    """The role (kind, name, file) that held the grant over whole kinds before the change, bound to the same
    subjects, among the roles of the same chart (a plain manifest: the same folder) at the change's base.

    The grant is no new power only where every subject the new role is bound to (read from the bindings of the
    change's new side) was bound to an old role holding it, in an equal or wider scope: through a
    ClusterRoleBinding, or through a RoleBinding of the same namespace for a Role. None when no such role held
    it, or when the roles, bindings or subjects cannot be read (fail closed: the finding keeps its severity).
    Subjects are compared as written (a templated name by its template text), so a subject renamed by the
    change, or one another component's binding names, keeps the finding."""
    change = judge.context.change
    if not change.base or not change.head:
        return None
    new_objects = _group_objects(judge, change.head)
    if new_objects is None:
        return None
    mine = _bound(new_objects, judge.after, judge.sides.new.text.split("\n"))
    if not mine:
        return None
    old_objects = _group_objects(judge, change.base)
    if not old_objects:
        return None
    for path, obj, lines in old_objects:
        if obj.get("kind") not in ("Role", "ClusterRole") or obj is judge.before:
            continue
        held = set()
        for rule in _list(obj.get("rules")):
            if not _resource_names(rule):
                held |= set(_grants(rule))
        if not _covered(grant, held):
            continue
        theirs = _bound(old_objects, obj, lines)
        if all((subject, "cluster") in theirs or (subject, scope) in theirs for subject, scope in mine):
            kind, _, name = _key(obj)
            return f"{kind} {name.replace(PLACEHOLDER, '{{…}}')} ({path}), bound to the same subjects,"
    return None


def _raw(obj: Any, key: str, lines: list[str]) -> str | None:
    """The value of ``key`` as the file writes it (a template's action text), whitespace normalised."""
    if not isinstance(obj, Map) or key not in obj:
        return None
    index = obj.line_of(key)
    if not 0 <= index < len(lines):
        return None
    _, _, value = lines[index].partition(":")
    return " ".join(value.split()).strip("\"'") or None


def _bound(objects: list[tuple[str, Map, list[str]]], role: Map, role_lines: list[str]) -> set[tuple[tuple, str]]:
    """((subject kind, name, namespace), scope) of every subject bound to the role: scope "cluster" through a
    ClusterRoleBinding, else the RoleBinding's namespace as written. Empty when a name cannot be read."""
    meta = role.get("metadata")
    name = _raw(meta, "name", role_lines)
    if name is None:
        return set()
    kind = role.get("kind")
    subjects: set[tuple[tuple, str]] = set()
    for _, obj, lines in objects:
        if obj.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ref = obj.get("roleRef")
        if not isinstance(ref, Map) or ref.get("kind") != kind or _raw(ref, "name", lines) != name:
            continue
        scope = "cluster" if obj.get("kind") == "ClusterRoleBinding" else str(_raw(obj.get("metadata"), "namespace", lines))
        for subject in _list(obj.get("subjects")):
            if not isinstance(subject, Map) or _raw(subject, "name", lines) is None:
                return set()
            subjects.add(((str(subject.get("kind")), _raw(subject, "name", lines), _raw(subject, "namespace", lines)), scope))
    return subjects


def _group_objects(judge: Judge, revision: str) -> list[tuple[str, Map, list[str]]] | None:
    """(path, object, the file's lines) of every object of the chart's templates (a plain manifest: its folder)
    at ``revision``, templates rendered with that revision's chart defaults (cached). None when the repository
    cannot be read."""
    from reviewer_app.core.risk.structure import helm_template
    from reviewer_app.core.risk.structure.texts import BlobReader, git_output, repository_for

    context, path = judge.context, judge.sides.diff.path or ""
    change = context.change
    parts = path.split("/")
    if "templates" in parts[:-1]:
        group = "/".join(parts[:len(parts) - parts[::-1].index("templates")]) + "/"  # the chart's templates/
    else:
        group = path.rpartition("/")[0] + "/" if "/" in path else ""  # the manifest's folder
    cache = context.memo("k8s_group_objects")
    if (group, revision) in cache:
        return cache[(group, revision)]
    repo = repository_for(change.base, change.head)
    listed = git_output(repo, "ls-tree", "-r", revision, "--", group or ".") if repo is not None else None
    if listed is None:
        cache[(group, revision)] = None
        return None
    files: list[tuple[str, str]] = []  # (path, blob id) of the group's YAML files, the first 200 listed
    for entry in listed.decode("utf-8", "replace").splitlines()[:200]:
        header, _, name = entry.partition("\t")
        if not name.endswith((".yaml", ".yml")) or ("templates" not in parts[:-1] and "/" in name[len(group):]):
            continue
        files.append((name, header.split()[-1]))
    blobs = BlobReader(repo).read([blob for _, blob in files])  # one git process for the whole group
    found: list[tuple[str, Map, list[str]]] = []
    for name, blob in files:
        raw = blobs.get(blob)
        if raw is None:
            continue
        text = raw
        try:
            if "{{" in raw:
                values = _chart_values(context, name, "old" if revision == change.base else "new")
                if values is None:
                    continue  # what the template renders cannot be read: it holds and binds nothing here
                text = helm_template.detemplate(_defaults_rendered(helm_template.render_defaults(raw, values)[0]))
            docs = load_all(text)
        except Exception:  # noqa: BLE001 - a file that does not parse holds and binds nothing here
            continue
        lines = raw.split("\n")
        found.extend((name, obj, lines) for obj in _objects(docs))
    cache[(group, revision)] = found
    return found


def _escalation_held(held: set[tuple[str, str, str]]) -> str | None:
    """How the old role could already grant itself any permission (grants over whole kinds only), or None.

    Escalate with update on cluster roles (it writes any rule into its own role), bind with create on
    cluster role bindings (it binds cluster-admin to itself), every verb on cluster roles, impersonation of
    users or groups (system:masters), or every verb on every resource. Without escalate or bind, create on
    roles and bindings is checked against what the holder has, so it is not escalation."""
    def has(groups: tuple[str, ...], resources: tuple[str, ...], verbs: tuple[str, ...]) -> bool:
        return any(g in groups + ("*",) and r in resources + ("*",) and v in verbs + ("*",) for g, r, v in held)

    if ("*", "*", "*") in held:
        return "every verb on every resource"
    if has((RBAC_GROUP,), ("clusterroles",), ("escalate",)) and has((RBAC_GROUP,), ("clusterroles",), ("update", "patch")):
        return "`escalate` with `update` on cluster roles"
    if has((RBAC_GROUP,), ("clusterroles",), ("bind",)) and has((RBAC_GROUP,), ("clusterrolebindings",), ("create", "update", "patch")):
        return "`bind` on cluster roles with `create` on cluster role bindings"
    for group, resource, verb in held:
        if verb == "impersonate" and group in ("", "*") and resource in ("users", "groups", "*"):
            return f"`impersonate` on {resource}"
    return None


def _counterpart_held(grant: tuple[str, str, str], held: set[tuple[str, str, str]]) -> str | None:
    """The cluster-scoped grant that already covers a namespaced RBAC write (create roles, held create
    clusterroles), or None."""
    group, resource, verb = grant
    counterpart = CLUSTER_COUNTERPART.get(resource)
    if counterpart is None or group != RBAC_GROUP or verb not in ("create", "update", "patch"):
        return None
    for old_group, old_resource, old_verb in held:
        if old_group in (RBAC_GROUP, "*") and old_resource in (counterpart, "*") and old_verb in (verb, "*"):
            return f"`{verb}` on {counterpart}"
    return None


# -- pairing ---------------------------------------------------------------------------------------
def roles_narrowed(pairs: list[tuple[Map | None, Map]], old_objects: list[Map]) -> list[tuple[Map | None, Map]]:
    """A new Role left unpaired takes the place of an old ClusterRole left unpaired (in order).

    A chart that gains a namespaced mode renders its ClusterRole's rules as a Role instead (often the
    same template with ``kind`` chosen by a value), or a file is renamed from clusterrole.yaml to
    role.yaml: the grants are the ones the ClusterRole held, in a narrower scope, and only what the
    Role grants beyond them is new. A ClusterRole replacing a Role is not paired: its scope is wider.
    """
    paired = {id(before) for before, _ in pairs if before is not None}
    spare = [o for o in old_objects if o.get("kind") == "ClusterRole" and id(o) not in paired]
    result = []
    for before, after in pairs:
        if before is None and after.get("kind") == "Role" and spare:
            before = spare.pop(0)
        result.append((before, after))
    return result


# -- chart templates read as text -------------------------------------------------------------------
TEMPLATE_ACTION = re.compile(r"\{\{-?\s*(?P<word>if|with|range|define|block|else|end)\b(?P<rest>.*?)-?\}\}")
ASSIGNMENT = re.compile(r"^\s*\{\{-?\s*\$\w+\s*:?=.*-?\}\}\s*$")
RBAC_KIND_LINE = re.compile(r"^kind\s*:\s*[\"']?(?P<kind>ClusterRole|Role|ClusterRoleBinding|RoleBinding)[\"']?\s*(#.*)?$")
DOCUMENT_START = re.compile(r"^---\s*$")
LIST_KEY = re.compile(r"^\s*(-\s*)?(?P<key>resources|verbs|apiGroups)\s*:\s*(?P<inline>\[.*\])?\s*$")
WILDCARD_ITEM = re.compile(r"^\s*-\s*[\"']\*[\"']\s*$")
CLUSTER_ADMIN_REF = re.compile(r"^\s*name\s*:\s*[\"']?cluster-admin[\"']?\s*$")


def _normal_action(text: str) -> str:
    text = re.sub(r"\{\{-?\s*|\s*-?\}\}", " ", text)
    return re.sub(r"\s+", " ", text.replace('template "', 'include "')).strip()


def _rbac_template_objects(side: Side) -> list[tuple[str, list[tuple[int, str]], bool, int]]:
    """The RBAC objects a template writes at the top level: (kind, guard, all-powerful, kind line index).

    The guard is the text of the ``if``/``with`` actions open at the object's ``kind:`` line, and the
    variable assignments before it in its document (a guard often tests a variable); an object under a
    ``range`` or ``define`` is left out. All-powerful: a role with ``'*'`` verbs on ``'*'`` resources in
    any branch, or a binding to cluster-admin.
    """
    lines = side.lines
    frames: list[tuple[str, int, str]] = []
    assignments: list[tuple[int, str]] = []
    found: list[tuple[str, list[tuple[int, str]], bool, int]] = []
    for index, line in enumerate(lines):
        if DOCUMENT_START.match(line):
            assignments = []
        if ASSIGNMENT.match(line):
            assignments.append((index, _normal_action(line)))
        for action in TEMPLATE_ACTION.finditer(line):
            word = action.group("word")
            if word in ("if", "with", "range", "define", "block"):
                frames.append((word, index, _normal_action(action.group(0))))
            elif word == "end" and frames:
                frames.pop()
        match = RBAC_KIND_LINE.match(line)
        if match and not any(word in ("range", "define", "block") for word, _, _ in frames):
            end = next((i for i in range(index + 1, len(lines)) if DOCUMENT_START.match(lines[i])), len(lines))
            conditions = [(at, text) for _, at, text in frames]
            # Only the variables the conditions test belong to the guard.
            used = [(at, text) for at, text in assignments
                    if any(re.search(rf"{re.escape(text.split()[0])}\b", c) for _, c in conditions)]
            guard = used + conditions
            found.append((match.group("kind"), guard, _all_powerful(lines[index:end], match.group("kind")), index))
    return found


def _all_powerful(lines: list[str], kind: str) -> bool:
    if kind.endswith("Binding"):
        return any(CLUSTER_ADMIN_REF.match(line) for line in lines)
    wild: dict[str, int] = {}
    for index, line in enumerate(lines):
        key = LIST_KEY.match(line)
        if key is None:
            continue
        if key.group("inline"):
            starred = re.search(r"[\"']\*[\"']", key.group("inline")) is not None
        else:
            starred = False
            for follow in lines[index + 1:]:
                if WILDCARD_ITEM.match(follow):
                    starred = True
                    break
                if not re.match(r"^\s*-\s", follow) and follow.strip() and not follow.strip().startswith("{{"):
                    break
        if starred:
            wild[key.group("key")] = index
    return "resources" in wild and "verbs" in wild


def template_guards(sides: FileSides, emit: Emitter) -> None:
    """The condition that decides whether an all-powerful RBAC object is rendered changes.

    A chart writes its ``'*'``-on-everything ClusterRole (or its cluster-admin binding) behind an
    option that is off by default; rewriting that condition can turn it on for every install that
    never asked for it, while no rule line changes. A condition only narrowed (``and`` one more
    test) is not reported.
    """
    if not (sides.old.exists and sides.new.exists):
        return
    old_objects = _rbac_template_objects(sides.old)
    for kind, guard, powerful, kind_index in _rbac_template_objects(sides.new):
        previous = next((o for o in old_objects if o[0] == kind), None)  # paired by kind and order
        if previous is None:
            continue
        old_objects.remove(previous)
        old_guard = previous[1]
        if not powerful:
            continue
        old_text, new_text = " ; ".join(t for _, t in old_guard), " ; ".join(t for _, t in guard)
        if old_text == new_text:
            continue
        old_conditions = [t for _, t in old_guard if not t.startswith("$")]
        if old_conditions and all(re.sub(r"^(if|with) ", "", t) in new_text for t in old_conditions) and \
                re.search(r"\b(if|with) and\b", new_text):
            continue  # narrowed: the old condition still holds, and one more
        changed = [at for at, _ in guard if sides.new.real_line(at) in sides.new.changed]
        if guard and not changed:
            continue
        line = sides.new.real_line(changed[-1] if changed else kind_index)
        what = "a binding to cluster-admin" if kind.endswith("Binding") else f"a {kind} with `'*'` on every resource and verb"
        emit.emit("K8S-RBAC-WILDCARD", "new", line,
                  f"the condition that decides whether {what} is rendered changes "
                  f"(`{old_text or 'none'}` becomes `{new_text or 'none: always rendered'}`): check that installs "
                  "that never enabled it do not now get it.", severity="high")
