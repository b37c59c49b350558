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
WHY = {
    "privileged": "runs privileged (every device, every capability of the node)",
    "hostNetwork": "joins the node's network namespace",
    "hostPID": "sees and can signal every process of the node",
    "hostIPC": "shares the node's IPC namespace",
    "hostProcess": "runs as a Windows HostProcess container, directly on the node",
    "allowPrivilegeEscalation": "may gain more privileges than its parent process",
}


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    added = [(line.new_no or 0, line.text) for hunk in sides.diff.hunks for line in hunk.lines if line.kind is LineKind.ADDED]
    removed = {" ".join(line.text.split()) for hunk in sides.diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED}
    code = _code_lines(sides.new.text) if sides.new.complete and sides.new.exists else None
    in_psp = bool(PSP.search(sides.new.text)) if sides.new.complete else any(PSP.search(text) for _, text in added)
    for number, text in added:
        if not number or " ".join(text.split()) in removed or _is_comment(text, number, code):
            continue
        match = PRIVILEGE.search(text)
        if match:
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      f"`{match.group('field')}: true`: the pod or container {WHY[match.group('field')]}; a compromise of it reaches the node.")
            continue
        if not in_psp:
            continue
        if RUN_AS_ANY.search(text):
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      "the PodSecurityPolicy's rule becomes `RunAsAny`: pods it admits may run as any user, root included.")
            continue
        inline = INLINE_CAPABILITIES.search(text)
        item = STRING_ITEM.match(text)
        field = _enclosing_list(sides, number) if item else None
        if inline or field == "allowedCapabilities":
            what = inline.group("items").strip() if inline else item.group("item")  # type: ignore[union-attr]
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      f"the PodSecurityPolicy now allows the capability {what}: containers it admits may add it.")
        elif field == "volumes" and item is not None and item.group("item") == "hostPath":
            emit.emit("K8S-POD-SECURITY-RELAXED", "new", number,
                      "the PodSecurityPolicy now allows hostPath volumes: pods it admits can mount the node's files.")
    return Parsed(False, "", keep=True)


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
