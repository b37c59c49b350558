"""Jsonnet manifest libraries (kube-prometheus style): pod security relaxed in the fields they write.

No Jsonnet evaluator is a dependency, so the objects are not built; but Jsonnet writes Kubernetes
fields as ``name: value`` pairs, one per line in practice, and the lexer (pygments) tells code from
comments. An added line (not a comment) that writes:
  * a host or root privilege on a pod or container (``privileged``, ``hostNetwork``, ``hostPID``,
    ``hostIPC``, ``hostProcess``, ``allowPrivilegeEscalation`` set to true);
  * in a PodSecurityPolicy, ``rule: 'RunAsAny'`` (any user, root included), a capability added to
    ``allowedCapabilities``, or ``hostPath`` added to the allowed ``volumes``;
relaxes what every cluster rendering the library gets. A line that only moved (the same text
removed elsewhere in the file) is no change. The line rules keep judging the file as well.
A PodSecurityPolicy in a file added whole is a new component (an opt-in addon of policies): a
policy admits pods, it runs none, so its allowances are medium, with the reason. A workload's own
privileges keep their severity in a new file too (a new host-level DaemonSet runs on every node
the day it is applied), and so does a policy added to or relaxed in a file that existed.

Two more changes to what the library renders are judged from its lines:
  * **a label selector widened to match everything** (K8S-SELECTOR-WIDENED): a ``…Selector``
    field (``ruleSelector``, ``serviceMonitorSelector``, ``podSelector``, ``namespaceSelector``…)
    written as ``{}`` where the change removes the same field's label match. An empty label
    selector selects every object: a Prometheus loads every PrometheusRule or ServiceMonitor of
    the namespaces it watches, a NetworkPolicy covers every pod. A field that was absent and
    becomes ``{}`` is a feature switched on, not judged here; ``nodeSelector`` is no label selector.
    The reverse, ``{}`` narrowed to a label match, drops every object without the label (medium).
    A selector of scrape targets (``serviceMonitorSelector``, ``podMonitorSelector``,
    ``probeSelector``, ``scrapeConfigSelector`` and their namespace selectors) widened is medium: it
    changes what Prometheus reads, within the namespaces it may read, not what is granted or what
    fires; a rule selector (every PrometheusRule starts evaluating and alerting) and a
    NetworkPolicy's or a Service's selector stay high;
  * **a CRD that stops preserving unknown fields** (K8S-CRD-PRUNING): ``preserveUnknownFields``
    written as ``false`` or ``null`` (removed by a merge patch). The API server then prunes every
    field the schema does not declare, and objects already stored lose them at their next write.
"""

from __future__ import annotations

import re

from reviewer_app.core.model import LineKind
from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.texts import FileSides

PRIVILEGE = re.compile(r"\b(?P<field>privileged|hostNetwork|hostPID|hostIPC|hostProcess|allowPrivilegeEscalation)\s*:\s*true\b")
PSP = re.compile(r"PodSecurityPolicy|podSecurityPolicy")
RUN_AS_ANY = re.compile(r"\brule\s*:\s*['\"]RunAsAny['\"]")
STRING_ITEM = re.compile(r"""^\s*['"](?P<item>[\w.-]+)['"]\s*,?\s*$""")
LIST_FIELD = re.compile(r"\b(?P<field>allowedCapabilities|volumes)\s*\+?:\s*\[")
INLINE_CAPABILITIES = re.compile(r"\ballowedCapabilities\s*\+?:\s*\[(?P<items>[^\]]*)\]")
# A label selector written empty (`ruleSelector: {},`) and one written with content (`ruleSelector: {`,
# `ruleSelector: { matchLabels: … }`, `ruleSelector: selector.withMatchLabels(…)`).
SELECTOR_FIELD = r"(?P<field>(?!node)[a-z]\w*Selector)\s*\+?:\s*"
EMPTY_SELECTOR = re.compile(r"\b" + SELECTOR_FIELD + r"\{\s*\}")
SELECTOR = re.compile(r"\b" + SELECTOR_FIELD + r"(?P<value>\S.*)$")
# Selectors of what Prometheus scrapes (reads): widening them changes no grant and fires no alert.
SCRAPE_SELECTOR = re.compile(r"^(serviceMonitor|podMonitor|probe|scrapeConfig)(Namespace)?Selector$")
# Fields only a PodSecurityPolicy's spec has: a privilege field beside one is an allowance of the policy.
PSP_SPEC_FIELD = re.compile(
    r"^\s*['\"]?(allowed\w+|forbiddenSysctls|requiredDropCapabilities|defaultAddCapabilities|"
    r"defaultAllowPrivilegeEscalation|hostPorts|supplementalGroups|seLinux|fsGroup|runAsUser|runAsGroup)['\"]?\s*\+?:")
NEW_POLICY = ("Medium: new PodSecurityPolicy in a file added whole: nothing running changes; review it as a new "
              "component (a policy admits the pods that use it, it runs none).")
PRUNING = re.compile(r"\bpreserveUnknownFields\s*:\s*(?P<value>false|null)\b")
WHY = {
    "privileged": "runs privileged (every device, every capability of the node)",
    "hostNetwork": "joins the node's network namespace",
    "hostPID": "sees and can signal every process of the node",
    "hostIPC": "shares the node's IPC namespace",
    "hostProcess": "runs as a Windows HostProcess container, directly on the node",
    "allowPrivilegeEscalation": "may gain more privileges than its parent process",
}

# The same fields in a PodSecurityPolicy: what the pods it admits may do.
ALLOWS = {
    "privileged": "run privileged (every device, every capability of the node)",
    "hostNetwork": "join the node's network namespace",
    "hostPID": "see and signal every process of the node",
    "hostIPC": "share the node's IPC namespace",
    "hostProcess": "run as Windows HostProcess containers, directly on the node",
    "allowPrivilegeEscalation": "gain more privileges than their parent process",
}


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    added = [(line.new_no or 0, line.text) for hunk in sides.diff.hunks for line in hunk.lines if line.kind is LineKind.ADDED]
    removed = {" ".join(line.text.split()) for hunk in sides.diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED}
    code = _code_lines(sides.new.text) if sides.new.complete and sides.new.exists else None
    in_psp = bool(PSP.search(sides.new.text)) if sides.new.complete else any(PSP.search(text) for _, text in added)
    new_file = not sides.old.exists and sides.new.complete  # a file added whole: its policies are new components
    narrowed_from = _selectors_with_content(sides, LineKind.REMOVED)
    still_set = _selectors_with_content(sides, LineKind.ADDED)
    was_empty = _empty_selectors(sides, LineKind.REMOVED)
    still_empty = _empty_selectors(sides, LineKind.ADDED)
    for number, text in added:
        if not number or " ".join(text.split()) in removed or _is_comment(text, number, code):
            continue
        empty = EMPTY_SELECTOR.search(text)
        if empty and empty.group("field") in narrowed_from and empty.group("field") not in still_set:
            message = (f"`{empty.group('field')}` changes from a label match to `{{}}`, which selects everything: every object "
                       "of its kind in scope (every PrometheusRule or ServiceMonitor a Prometheus watches, every pod a "
                       "NetworkPolicy covers) is now picked up, other teams' included.")
            if SCRAPE_SELECTOR.match(empty.group("field")):
                emit.emit("K8S-SELECTOR-WIDENED", "new", number, message + " Medium: it selects scrape targets, so it widens "
                          "what Prometheus reads (in the namespaces it is allowed to read), not what anything is granted "
                          "or what alerts fire.", severity="medium")
            else:
                emit.emit("K8S-SELECTOR-WIDENED", "new", number, message)
            continue
        narrowed = SELECTOR.search(text)
        if (narrowed and not empty and narrowed.group("field") in was_empty and narrowed.group("field") not in still_empty
                and not narrowed.group("value").startswith(("null", "//", "#"))):
            emit.emit("K8S-SELECTOR-WIDENED", "new", number,
                      f"`{narrowed.group('field')}` changes from `{{}}` (everything) to a label match: objects in scope without "
                      "the label stop being selected (a Prometheus drops their rules or scrape targets) and nothing reports it.",
                      severity="medium")
            continue
        pruning = PRUNING.search(text)
        rendered = _rendered_false_deleted(context) if pruning and pruning.group("value") == "null" else None
        if pruning and rendered:
            paths, version = rendered
            shown = paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"
            said = (f"`preserveUnknownFields: null` deletes the field by a merge patch, and the change's rendered "
                    f"{'manifest' if len(paths) == 1 else 'manifests'} ({shown}) {'shows' if len(paths) == 1 else 'show'} what it deleted: "
                    "`preserveUnknownFields: false`. Deleting `false` never starts pruning")
            if version == "v1":
                emit.emit("K8S-CRD-PRUNING", "new", number,
                          said + f": the CRD is apiextensions.k8s.io/v1, whose default is false already, so nothing changes. "
                          "Low: the CRD prunes as before.", severity="low")
            elif version == "v1beta1":
                emit.emit("K8S-CRD-PRUNING", "new", number,
                          said + ": the CRD is apiextensions.k8s.io/v1beta1, whose default is true, so pruning stops: the "
                          "API server keeps every field the schema does not declare (typos and stale fields are stored and "
                          "served), and a later move to apiextensions.k8s.io/v1 must set it false again.")
            else:
                emit.emit("K8S-CRD-PRUNING", "new", number,
                          said + ": on a v1beta1 CRD (default true) pruning stops and fields the schema does not declare are "
                          "kept; on a v1 CRD (default false) nothing changes.")
            continue
        if pruning:
            emit.emit("K8S-CRD-PRUNING", "new", number,
                      f"`preserveUnknownFields: {pruning.group('value')}`: the CustomResourceDefinition starts pruning, so every "
                      "field its schema does not declare is dropped from new objects, and from objects already stored at "
                      "their next write.")
            continue
        match = PRIVILEGE.search(text)
        if match:
            if new_file and in_psp and _in_policy_spec(sides, number):
                emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                          f"`{match.group('field')}: true` in a PodSecurityPolicy: the pods it admits may "
                          f"{ALLOWS[match.group('field')]}. " + NEW_POLICY, severity="medium")
                continue
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      f"`{match.group('field')}: true`: the pod or container {WHY[match.group('field')]}; a compromise of it reaches the node.")
            continue
        if not in_psp:
            continue
        if RUN_AS_ANY.search(text):
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      "the PodSecurityPolicy's rule becomes `RunAsAny`: pods it admits may run as any user, root included."
                      + (" " + NEW_POLICY if new_file else ""), severity="medium" if new_file else None)
            continue
        inline = INLINE_CAPABILITIES.search(text)
        item = STRING_ITEM.match(text)
        field = _enclosing_list(sides, number) if item else None
        lowered = " " + NEW_POLICY if new_file else ""
        if inline or field == "allowedCapabilities":
            what = inline.group("items").strip() if inline else item.group("item")  # type: ignore[union-attr]
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      f"the PodSecurityPolicy now allows the capability {what}: containers it admits may add it." + lowered,
                      severity="medium" if new_file else None)
        elif field == "volumes" and item is not None and item.group("item") == "hostPath":
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      "the PodSecurityPolicy now allows hostPath volumes: pods it admits can mount the node's files." + lowered,
                      severity="medium" if new_file else None)
    return Parsed(False, "", keep=True)


CRD_KIND = re.compile(r"""^\s*["']?kind["']?\s*:\s*["']?CustomResourceDefinition\b""", re.MULTILINE)
CRD_API_VERSION = re.compile(r"""^\s*["']?apiVersion["']?\s*:\s*["']?apiextensions\.k8s\.io/(?P<version>v1beta1|v1)\b""", re.MULTILINE)
RENDERED_PRESERVE = re.compile(r"""^\s*["']?preserveUnknownFields["']?\s*:\s*(?P<value>\S+?)\s*,?\s*$""")


def _rendered_false_deleted(context: ChangeContext) -> tuple[list[str], str | None] | None:
    """(paths, CRD version) of a manifest (YAML or JSON) of the change that loses ``preserveUnknownFields: false``
    and writes no other value for it: the rendered result of a merge patch's ``null``. The version is
    ``v1``/``v1beta1`` from the manifest's ``apiVersion`` (None when unread, or when the manifests differ).
    None when the change shows no such manifest."""
    found: list[str] = []
    for diff in context.change.files:
        if not diff.path.endswith((".yaml", ".yml", ".json")):
            continue
        removed = [RENDERED_PRESERVE.match(line.text) for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED]
        added = [RENDERED_PRESERVE.match(line.text) for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.ADDED]
        if any(removed) and not any(added) and all(m is None or m.group("value").strip("\"'") == "false" for m in removed):
            found.append(diff.path)
    if not found:
        return None
    versions = {_crd_version(context, path) for path in found}
    return found, versions.pop() if len(versions) == 1 else None


def _crd_version(context: ChangeContext, path: str) -> str | None:
    """``v1`` or ``v1beta1``: the apiextensions version of the CustomResourceDefinition at ``path`` on the change's
    new side (None when the repository is not at hand or the file is no such CRD)."""
    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    change = context.change
    repo = repository_for(change.base, change.head)
    if repo is None or not change.head:
        return None
    shown = git_output(repo, "show", f"{change.head}:{path}")
    if shown is None:
        return None
    text = shown.decode("utf-8", "replace")
    if not CRD_KIND.search(text):
        return None
    versions = {match.group("version") for match in CRD_API_VERSION.finditer(text)}
    return versions.pop() if len(versions) == 1 else None


def _selectors_with_content(sides: FileSides, kind: LineKind) -> set[str]:
    """The ``…Selector`` fields the change's removed (or added) lines write with a label match, not ``{}``."""
    fields: set[str] = set()
    for hunk in sides.diff.hunks:
        for line in hunk.lines:
            if line.kind is not kind:
                continue
            match = SELECTOR.search(line.text)
            if match and not EMPTY_SELECTOR.search(line.text) and not match.group("value").startswith(("null", "//", "#")):
                fields.add(match.group("field"))
    return fields


def _empty_selectors(sides: FileSides, kind: LineKind) -> set[str]:
    """The ``…Selector`` fields the change's removed (or added) lines write as ``{}``."""
    return {match.group("field") for hunk in sides.diff.hunks for line in hunk.lines if line.kind is kind
            for match in EMPTY_SELECTOR.finditer(line.text)}


def _code_lines(text: str) -> set[int] | None:
    """Line numbers (1-based) holding code, not only comments, by the Jsonnet lexer; None if unavailable."""
    try:
        from pygments.lexers import JsonnetLexer
        from pygments.token import Comment
    except ImportError:
        return None
    lines: set[int] = set()
    number = 1
    for token, value in JsonnetLexer().get_tokens(text):
        if token not in Comment and value.strip():
            lines.add(number)
        number += value.count("\n")
    return lines


def _is_comment(text: str, number: int, code: set[int] | None) -> bool:
    if code is not None:
        return number not in code
    return text.lstrip().startswith(("//", "#", "/*", "*"))


def _enclosing_list(sides: FileSides, number: int) -> str | None:
    """The field whose list literal (``name: [`` / ``name+: [``) holds line ``number`` of the new side."""
    if not sides.new.complete:
        return None
    lines = sides.new.lines
    index = sides.new.numbers.index(number) if number in sides.new.numbers else -1
    depth = 0
    for back in range(index - 1, max(-1, index - 40), -1):
        line = lines[back]
        depth += line.count("]") - line.count("[")
        if depth < 0:
            match = LIST_FIELD.search(line)
            return match.group("field") if match else None
    return None


def _in_policy_spec(sides: FileSides, number: int) -> bool:
    """Line ``number`` of the new side sits in a block (``{ … }``) that also holds a field only a
    PodSecurityPolicy's spec has (``allowedCapabilities``, ``hostPorts``, ``runAsUser: { rule … }``):
    the privilege it writes is what the policy allows, not what a pod runs with."""
    if not sides.new.complete or number not in sides.new.numbers:
        return False
    lines = sides.new.lines
    index = sides.new.numbers.index(number)
    start = end = None
    depth = 0
    for back in range(index - 1, -1, -1):
        depth += lines[back].count("}") - lines[back].count("{")
        if depth < 0:
            start = back
            break
    depth = 0
    for forward in range(index + 1, len(lines)):
        depth += lines[forward].count("{") - lines[forward].count("}")
        if depth < 0:
            end = forward
            break
    if start is None or end is None:
        return False
    depth = 0
    for inner in range(start + 1, end):
        if depth == 0 and PSP_SPEC_FIELD.search(lines[inner]):
            return True
        depth += lines[inner].count("{") + lines[inner].count("[") - lines[inner].count("}") - lines[inner].count("]")
    return False
