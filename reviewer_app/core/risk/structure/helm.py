"""Helm chart defaults (values*.yaml): settings whose default flips to the unsafe side.

A chart's values are what every install gets unless it overrides them, so a default that turns
authentication, TLS or a security setting off, opens access to everyone (``allow_all: true``) or
floats the image tag (``latest``) changes every installation at its next upgrade. Values are
compared by path on both sides; a value that is new counts as well (a default introduced unsafe).
From hunks alone (a patch of a large values file) the fragment is still judged when it parses,
with its paths relative to the hunk.
"""

from __future__ import annotations

import re
from typing import Any

from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.texts import FileSides
from reviewer_app.core.risk.structure.yamldoc import Map, flatten, line_of, load_all

# A safeguard: turning it off (true -> false) weakens every install.
SAFEGUARD = re.compile(
    r"^(auth|authentication|authorization|tls|ssl|https|mtls|encrypt\w*|verify\w*|rbac|networkPolicy|networkpolicies|"
    r"podSecurityPolicy|psp|readOnlyRootFilesystem|runAsNonRoot|securityContext|csrf\w*|requireAuth\w*|"
    r"auth_?enabled|tls_?enabled|ssl_?enabled|secure\w*|protected|deletionProtection|persistence|backup\w*)$",
    re.IGNORECASE)
# A hole: turning it on (false -> true) weakens every install.
HOLE = re.compile(
    r"^(allow_?all|allowAll\w*|allow_?anonymous|anonymous\w*|insecure\w*|skip_?verify|skipTlsVerify|insecureSkipVerify|"
    r"disable_?auth\w*|disableAuth\w*|auth_?disabled|no_?auth|privileged|allowPrivilegeEscalation|hostNetwork|hostPID|"
    r"hostIPC|debug_?mode|public|publicly_?accessible|open_?access)$",
    re.IGNORECASE)
ENABLED_KEY = re.compile(r"^(enabled|enable|enforce|required)$", re.IGNORECASE)
# pspEnabled, tls_enabled, rbacEnabled: the safeguard's name with the flag folded in.
FOLDED_FLAG = re.compile(r"^(?P<name>\w+?)_?(Enabled|enabled)$")
# Monitoring objects a chart renders: turning one off makes the workload disappear from dashboards
# and alerts without any error.
MONITOR = re.compile(r"^(monitor|serviceMonitor|podMonitor|prometheusRule|selfMonitor|alerting)$", re.IGNORECASE)
MONITOR_KIND = re.compile(r"^\s*kind\s*:\s*[\"']?(ServiceMonitor|PodMonitor|PrometheusRule)\b", re.MULTILINE)


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.new.exists:
        return Parsed(True)  # a values file deleted whole changes no default of a chart that still exists
    try:
        old_docs = load_all(sides.old.text) if sides.old.exists else []
        new_docs = load_all(sides.new.text)
    except Exception as exc:  # noqa: BLE001 - yaml raises scanner, parser and constructor errors
        return Parsed(False, f"the values file did not parse as YAML ({type(exc).__name__})")
    old = dict(flatten(old_docs[0])) if old_docs and isinstance(old_docs[0], Map) else {}
    new_flat = flatten(new_docs[0]) if new_docs and isinstance(new_docs[0], Map) else iter(())
    for path, (value, node, key) in new_flat:
        line = sides.new.real_line(line_of(node, key))
        if sides.new.changed and line not in sides.new.changed:
            continue  # an unchanged line: not this change's doing
        before = old.get(path, (None, None, None))[0]
        if value == before:
            continue
        _judge(path, value, before, line, emit, context)
    return Parsed(True)


def _monitor_deleted(context: ChangeContext) -> bool:
    """The change deletes a monitoring object's template or manifest whole."""
    from reviewer_app.core.model import FileStatus, LineKind

    for diff in context.change.files:
        if diff.status is FileStatus.DELETED:
            text = "\n".join(line.text for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED)
            if MONITOR_KIND.search(text):
                return True
    return False


def _judge(path: tuple[Any, ...], value: Any, before: Any, line: int, emit: Emitter, context: ChangeContext) -> None:
    dotted = ".".join(str(p) for p in path)
    leaf = str(path[-1])
    owner = str(path[-2]) if len(path) > 1 else ""
    # security.enabled: false, tls.enabled: false (the flag sits under the safeguard's name)
    folded = FOLDED_FLAG.match(leaf)
    safeguard = SAFEGUARD.match(leaf) or (ENABLED_KEY.match(leaf) and SAFEGUARD.match(owner)) or (
        folded is not None and SAFEGUARD.match(folded.group("name")))
    if value is False and ENABLED_KEY.match(leaf) and MONITOR.match(owner) and (
            before is True or (before is None and _monitor_deleted(context))):
        # A new default of false counts only when the change also deletes the monitor it replaces.
        emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                  f"monitoring is switched off by default (`{dotted}: false`): installs stop being scraped or alerted on "
                  "at their next upgrade, and nothing reports the gap.")
    elif value is False and safeguard and before is not False:
        emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                  f"the chart default `{dotted}` is now false: every install that does not override it loses this safeguard at its next upgrade.")
    elif value is True and (HOLE.match(leaf) or (ENABLED_KEY.match(leaf) and HOLE.match(owner))) and before is not True:
        emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                  f"the chart default `{dotted}` is now true: every install that does not override it gets it at its next upgrade.")
    elif leaf == "tag" and str(value) == "latest" and str(before) != "latest":
        emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                  f"the default image tag `{dotted}` is `latest`: each restart may pull different code, and a rollback cannot pin the old one.",
                  severity="medium")
