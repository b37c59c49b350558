"""Helm chart defaults (values*.yaml): settings whose default flips to the unsafe side.

A chart's values are what every install gets unless it overrides them, so a default that turns
authentication, TLS or a security setting off, opens access to everyone (``allow_all: true``) or
floats the image tag (``latest``) changes every installation at its next upgrade. Values are
compared by path on both sides; a value that is new counts as well (a default introduced unsafe).
From hunks alone (a patch of a large values file) the fragment is still judged when it parses,
with its paths relative to the hunk.

A setting under a block that is off by default (``metrics.serviceMonitor.enabled: false``) reaches
only the installs that turn the block on: its findings are lowered to medium, and the reason says so.

A safeguard is weakened only where existing installs had it: a key that existed with the stronger
value (or moved from a path where it had it), or a new key whose templates now wrap, in a condition
on it, what they rendered unconditionally before (``--secure`` always passed, now only ``{{ if
.Values.server.secure }}``). A new opt-in key whose default is off (``networkPolicy.enabled: false``
beside a NetworkPolicy template new with it, ``es.ssl.enabled: false`` in a new chart) keeps the
old behaviour: no finding.

A default new with the change that the base templates already rendered by default into the same field (written in
the template, ``runAsUser: 0`` under the pod's ``securityContext:``, or the default of another value inserted there)
only moved into the values: an install that sets nothing renders the same object. Its findings are low, naming where
it came from (helm_template.moved_default; a base that cannot be read keeps the severity).

Two changes break existing installs at their upgrade rather than weaken them (HELM-VALUES-BREAKING):
  * **authentication or TLS switched on** for a component that already existed (``redis.auth:
    true``, ``tls.enabled: true``): the upgraded release starts demanding credentials or TLS, and
    every client not handed them (other releases, external consumers, the release's own pods until
    a new Job has made the secret) loses its connection;
  * **a key users set is removed** from the chart's ``values.yaml`` while the change rewires the
    templates away from it (they read ``.Values.<key>`` before and nothing reads it after, in the
    change or, when the repository is at hand, anywhere in the chart's templates): an install's
    override of it is silently ignored. High when the key holds credentials or security settings
    (image pull secrets, passwords, TLS, security contexts), medium otherwise.
Either break is medium when the same change raises the chart's major version (Chart.yaml
``version: 1.4.2`` -> ``2.0.0``, ``0.14.0`` -> ``1.0.0``): semantic versioning declares it, and the
upgrade notes are where installs learn of it. A minor bump of a 0.x chart declares nothing.
A removed key that no release of the chart held is set by no install: medium, naming the release (the nearest tag
in the base's history and the commit that set the current Chart.yaml version each read, neither listing the key in
values.yaml nor reading it in a template; releases.chart_releases, failing closed).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from reviewer_app.core.model import LineKind
from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.kubernetes import new_chart
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
# Authentication or TLS: switching one on changes what every client of the component must present.
CONNECT_SAFEGUARD = re.compile(
    r"^(auth|authentication|requireAuth\w*|auth_?enabled|authEnabled|tls|mtls|ssl|tls_?enabled|tlsEnabled|"
    r"mtls_?enabled|mtlsEnabled|ssl_?enabled|sslEnabled)$", re.IGNORECASE)
CONNECT_OWNER = re.compile(r"^(auth|authentication|tls|mtls|ssl)$", re.IGNORECASE)
# A removed key whose subtree names one of these carries credentials or a security setting.
SENSITIVE = re.compile(r"(secret|password|passwd|credential|token|auth|tls|ssl|cert|securityContext|rbac|networkPolicy|"
                       r"serviceAccount|psp|podSecurity)", re.IGNORECASE)
# A value that configures PodSecurityPolicies (rbac.pspEnabled, podSecurityPolicy.annotations), an API
# Kubernetes removed in 1.25, and the object it rendered, on a removed line of the chart's templates.
# Names of a registry pull secret: the setting lets the node pull a private image, it grants nothing inside
# the cluster (losing it fails the pull, it weakens no security setting).
PULL_SECRET = re.compile(r"(image)?pullSecrets?$", re.IGNORECASE)
RETIRED_API_VALUE = re.compile(r"(^|\.)(psp\w*|\w*Psp\w*|podSecurityPolic\w*)(\.|$)", re.IGNORECASE)
RETIRED_API_KIND = re.compile(r"^-?\s*kind\s*:\s*[\"']?PodSecurityPolicy\b", re.MULTILINE)
# A container's or pod's security setting set to true: what it gives the workload.
HOST_OR_ROOT = {
    "privileged": "the container runs privileged (every device, every capability of the node)",
    "allowPrivilegeEscalation": "the container may gain more privileges than its parent process",
    "hostNetwork": "the pod joins the node's network namespace",
    "hostPID": "the pod sees and can signal every process of the node",
    "hostIPC": "the pod shares the node's IPC namespace",
}
SEVERE_CAPABILITIES = frozenset({"SYS_ADMIN", "ALL", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH"})
# Blocks that hold a component's settings rather than being the component (``postgresql.tls.insecure``).
SETTINGS_BLOCK = re.compile(r"^(tls\w*|ssl\w*|mtls|auth\w*|security\w*|settings|options)$", re.IGNORECASE)
CHART_VERSION = re.compile(r"^version\s*:\s*[\"']?v?(?P<major>\d+)\.")
MONITOR_KIND = re.compile(r"^\s*kind\s*:\s*[\"']?(ServiceMonitor|PodMonitor|PrometheusRule)\b", re.MULTILINE)


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.new.exists:
        return Parsed(True)  # a values file deleted whole changes no default of a chart that still exists
    try:
        old_docs = load_all(sides.old.text) if sides.old.exists else []
        new_docs = load_all(sides.new.text)
    except Exception as exc:  # noqa: BLE001 - yaml raises scanner, parser and constructor errors
        return Parsed(False, f"the values file did not parse as YAML ({type(exc).__name__})")
    old_root = old_docs[0] if old_docs and isinstance(old_docs[0], Map) else None
    new_root = new_docs[0] if new_docs and isinstance(new_docs[0], Map) else None
    old = dict(flatten(old_root)) if old_root is not None else {}
    new = dict(flatten(new_root)) if new_root is not None else {}
    old_prefixes = {path[:length] for path in old for length in range(1, len(path) + 1)}
    if old_root is None:
        chart = new_chart(context, sides.diff.path)
        if chart is not None:
            emit = _NewChart(emit, chart)
    bump = _major_bump(context, posixpath.dirname(sides.diff.path))
    breaking = _MajorBump(emit, bump) if bump else emit
    templates = f"{posixpath.dirname(sides.diff.path)}/templates/".lstrip("/")
    # Safeguards the old values had on (true) at a path the new values no longer have: a key moved.
    moved_on = {_signature(path) for path, (value, _, _) in old.items() if value is True and path not in new}
    for path, (value, node, key) in new.items():
        line = sides.new.real_line(line_of(node, key))
        if sides.new.changed and line not in sides.new.changed:
            continue  # an unchanged line: not this change's doing
        before = old.get(path, (None, None, None))[0]
        if value == before:
            continue
        gate = _disabled_by(path, new)
        existed = path in old or _signature(path) in moved_on
        held = _held_before(path, value, before, old, old_prefixes, _signature(path) in moved_on)
        moved = _Moved(emit, context, sides.diff.path, path, value, old_root) if before is None and old_root is not None \
            else emit
        _judge(path, value, before, line, _Held(_Gated(moved, gate), held), context, existed, templates)
        _connect_switched_on(path, value, before, line, old_prefixes, _Gated(breaking, gate))
        _privilege(path, value, before, line, old, _Gated(moved, gate))
    if old_root is not None and new_root is not None and sides.old.complete and sides.new.complete:
        _removed_keys(sides, old_root, new_root, old, breaking, context, getattr(emit, "rules", None))
    return Parsed(True)


class _Gated:
    """An emitter that lowers findings to medium when the setting sits under a block off by default."""

    def __init__(self, emit: Emitter, gate: str | None) -> None:
        self._emit, self._gate = emit, gate

    def emit(self, rule_id: str, side: str, line: int, message: str, severity: str | None = None) -> None:
        if self._gate is not None and severity in (None, "high", "critical"):
            severity = "medium"
            message += (f" Lowered to medium: it reaches only the installs that turn on `{self._gate}`, "
                        "false by default.")
        self._emit.emit(rule_id, side, line, message, severity=severity)


class _Moved:
    """An emitter that lowers a new default weakening security to low when the base templates already rendered it by
    default into the same field (a literal of the template, or another value's default): the setting only moved into
    the values (helm_template.moved_default, which reads the base side and fails closed)."""

    RULES = frozenset({"HELM-DEFAULT-WEAKENED", "K8S-PRIVILEGED"})

    def __init__(self, emit: Emitter, context: ChangeContext, values_file: str, path: tuple[Any, ...], value: Any,
                 old_values: Map) -> None:
        self._emit, self._context, self._file = emit, context, values_file
        self._path, self._value, self._old = path, value, old_values

    def emit(self, rule_id: str, side: str, line: int, message: str, severity: str | None = None) -> None:
        if rule_id in self.RULES and severity != "low":
            from reviewer_app.core.risk.structure.helm_template import moved_default

            memo = self._context.memo("helm_moved_default")
            key = (self._file, self._path)
            if key not in memo:
                memo[key] = moved_default(self._context, self._file, self._path, self._value, self._old)
            if memo[key] is not None:
                severity = "low"
                message += (f" Lowered to low: the rendered default is unchanged: it moved from {memo[key]}; an install "
                            "that sets nothing renders the same setting before and after.")
        self._emit.emit(rule_id, side, line, message, severity=severity)


class _Held:
    """An emitter that lowers a weakened default the old values already had in effect, or that a component
    new with the change brings (severity and reason from ``_held_before``)."""

    def __init__(self, emit: Any, held: tuple[str, str, bool] | None) -> None:
        self._emit, self._held = emit, held

    def emit(self, rule_id: str, side: str, line: int, message: str, severity: str | None = None) -> None:
        if self._held is not None and rule_id == "HELM-DEFAULT-WEAKENED" and severity in (None, "high", "critical"):
            severity, reason, replaces = self._held
            message = reason if replaces else f"{message} {reason}"
        self._emit.emit(rule_id, side, line, message, severity=severity)


def _held_before(path: tuple[Any, ...], value: Any, before: Any, old: dict[tuple[Any, ...], Any],
                 old_prefixes: set[tuple[Any, ...]], moved: bool) -> tuple[str, str, bool] | None:
    """Why a new default key weakens nothing that existing installs had, as (severity, reason, whether the
    reason replaces the finding's message), or None.

    * The old values set the same setting to the same value inside a configuration text (a ``config: |``
      string the templates render as the component's configuration file): the key only moves it (low).
    * The key belongs to a component the old values did not have (``config.receivers.postgresql.tls.insecure``
      where no ``config.receivers.postgresql`` existed): no install had it safer. Still medium: the new
      component is installed with the setting, so it deserves a look."""
    if before is not None or moved or not isinstance(value, bool):
        return None
    inline = _inline_setting(path, value, old)
    if inline is not None:
        dotted = ".".join(str(p) for p in path)
        return ("low", f"the new key `{dotted}: {str(value).lower()}` carries a setting the old values already set inside "
                       f"the configuration text `{inline}` (`{path[-2]}: … {path[-1]}: {str(value).lower()}`): the "
                       "default installs get is unchanged, only moved to its own key. Low: no default is weakened.", True)
    if value is not True:
        return None  # a safeguard or a monitor switched off by a new key is judged by what it replaces
    leaf = str(path[-1])
    component = path[:-2] if ENABLED_KEY.match(leaf) else path[:-1]
    while component and SETTINGS_BLOCK.match(str(component[-1])):
        component = component[:-1]
    if len(component) > 1 and component not in old_prefixes and component[:-1] in old_prefixes:
        dotted = ".".join(str(p) for p in component)
        return ("medium", f"Medium: `{dotted}` is new with this change (the old values have no such block): no existing "
                          "install had it with a safer setting; review it as a new component installed this way.", False)
    return None


def _inline_setting(path: tuple[Any, ...], value: bool, old: dict[tuple[Any, ...], Any]) -> str | None:
    """The dotted key of an old configuration-text value (a multi-line string) that sets ``<owner>: … <leaf>:
    <value>`` (the leaf nested under its owner key), or None."""
    if len(path) < 2:
        return None
    owner, leaf = re.escape(str(path[-2])), re.escape(str(path[-1]))
    wanted = "true" if value else "false"
    for key, (text, _, _) in old.items():
        if not isinstance(text, str) or "\n" not in text:
            continue
        lines = text.splitlines()
        for index, line in enumerate(lines):
            start = re.match(rf"^(\s*){owner}\s*:\s*(#.*)?$", line)
            if not start:
                continue
            indent = len(start.group(1))
            for inner in lines[index + 1:]:
                if not inner.strip() or inner.lstrip().startswith("#"):
                    continue
                if len(inner) - len(inner.lstrip()) <= indent:
                    break
                if re.match(rf"^\s*{leaf}\s*:\s*[\"']?{wanted}[\"']?\s*(#.*)?$", inner, re.IGNORECASE):
                    return ".".join(str(p) for p in key)
    return None


class _NewChart:
    """An emitter that lowers weakened defaults to medium in a chart added whole by the change."""

    def __init__(self, emit: Emitter, chart: str) -> None:
        self._emit, self._chart = emit, chart

    def emit(self, rule_id: str, side: str, line: int, message: str, severity: str | None = None) -> None:
        if rule_id == "HELM-DEFAULT-WEAKENED" and severity in (None, "high", "critical"):
            severity = "medium"
            message += (f" Lowered to medium: the chart {self._chart} is new in this change (its Chart.yaml is added): "
                        "no existing install changes at an upgrade, and the default is the chart's first.")
        self._emit.emit(rule_id, side, line, message, severity=severity)


def _signature(path: tuple[Any, ...]) -> tuple[str, ...]:
    """What a setting is called wherever it sits: its key, with its owner for a bare flag (``tls.enabled``)."""
    leaf = str(path[-1])
    return tuple(str(p) for p in path[-2:]) if ENABLED_KEY.match(leaf) else (leaf,)


class _MajorBump:
    """An emitter that lowers values-API breaks to medium when the change raises the chart's major version."""

    def __init__(self, emit: Any, bump: tuple[int, int]) -> None:
        self._emit, self._bump = emit, bump

    def emit(self, rule_id: str, side: str, line: int, message: str, severity: str | None = None) -> None:
        if rule_id == "HELM-VALUES-BREAKING" and severity in (None, "high", "critical"):
            severity = "medium"
            message += (f" Lowered to medium: the chart's major version goes from {self._bump[0]} to {self._bump[1]} in the "
                        "same change (Chart.yaml): semantic versioning declares the break, and installs learn of it from "
                        "the upgrade notes.")
        self._emit.emit(rule_id, side, line, message, severity=severity)


def _major_bump(context: ChangeContext, chart: str) -> tuple[int, int] | None:
    """(old, new) major version when the change raises the version of the chart's Chart.yaml (a chart kept)."""
    path = f"{chart}/Chart.yaml" if chart else "Chart.yaml"
    for diff in context.change.files:
        if diff.new_path != path or diff.old_path is None or not diff.hunks:
            continue
        majors: dict[LineKind, int] = {}
        for hunk in diff.hunks:
            for line in hunk.lines:
                match = CHART_VERSION.match(line.text)
                if match and line.kind is not LineKind.CONTEXT:
                    majors[line.kind] = int(match.group("major"))
        old, new = majors.get(LineKind.REMOVED), majors.get(LineKind.ADDED)
        if old is not None and new is not None and new > old:
            return old, new
    return None


def _wrapped(context: ChangeContext, templates: str, path: tuple[Any, ...]) -> bool:
    """The change puts lines the chart's templates already rendered under a new ``if .Values.<path>``: what was
    unconditional now depends on the value (a context line, or a removed line added back, inside the new block)."""
    dotted = r"\.".join(re.escape(str(p)) for p in path)
    condition = re.compile(rf"\{{{{-?\s*if\s+[^}}]*\.Values\.{dotted}(?![\w-])")
    opens = re.compile(r"\{\{-?\s*(if|with|range|define|block)\b")
    closes = re.compile(r"\{\{-?\s*end\b")
    otherwise = re.compile(r"\{\{-?\s*else\b")
    for diff in context.change.files:
        if not (diff.new_path or "").startswith(templates) or diff.old_path is None:
            continue
        removed = {" ".join(line.text.split()) for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED}
        for hunk in diff.hunks:
            lines = [line for line in hunk.lines if line.kind is not LineKind.REMOVED]
            for index, line in enumerate(lines):
                if line.kind is not LineKind.ADDED or not condition.search(line.text) or " not " in line.text:
                    continue
                depth = 0
                for inner in lines[index + 1:]:
                    if closes.search(inner.text) or (depth == 0 and otherwise.search(inner.text)):
                        depth -= 1
                        if depth < 0:
                            break  # the block's end, or its else: what follows renders when the value is off
                    elif opens.search(inner.text):
                        depth += 1
                    text = " ".join(inner.text.split())
                    if text and "{{" not in text and (inner.kind is LineKind.CONTEXT or text in removed):
                        return True
    return False


def _switched_off(node: Any, path: tuple[Any, ...]) -> str | None:
    """The ``enabled: false`` switches of a removed block that is off by default: the block's own, or one
    in each of its sub-blocks (``bots: {slack: {enabled: false, ...}}``), with no other setting beside them.
    Only the installs that turned it on read anything under it."""
    if not isinstance(node, Map) or not node:
        return None
    if node.get("enabled") is False:
        return ".".join(str(p) for p in path + ("enabled",))
    if all(isinstance(child, Map) and child.get("enabled") is False for child in node.values()):
        return ", ".join(".".join(str(p) for p in path + (key, "enabled")) for key in node)
    return None


def _disabled_by(path: tuple[Any, ...], new: dict[tuple[Any, ...], Any]) -> str | None:
    """The ``<block>.enabled`` that is false by default above ``path`` (not ``path`` itself), if any."""
    for length in range(len(path) - 1, 0, -1):
        flag = path[:length] + ("enabled",)
        if flag != path and new.get(flag, (None,))[0] is False:
            return ".".join(str(p) for p in flag)
    return None


def _connect_switched_on(path: tuple[Any, ...], value: Any, before: Any, line: int, old_prefixes: set[tuple[Any, ...]],
                         emit: Any) -> None:
    """Authentication or TLS switched on by default for a component that existed before."""
    if value is not True or before is True:
        return
    leaf = str(path[-1])
    if CONNECT_SAFEGUARD.match(leaf):
        component = path[:-1]
    elif ENABLED_KEY.match(leaf) and len(path) > 1 and CONNECT_OWNER.match(str(path[-2])):
        component = path[:-2]
    else:
        return
    if not component or component not in old_prefixes:
        return  # a component new with this change: no install had it without authentication
    if before is None and any(str(p).lower() == "ingress" for p in path):
        return  # an ingress's TLS: the clients reach it through the ingress controller, which does it
    dotted = ".".join(str(p) for p in path)
    emit.emit("HELM-VALUES-BREAKING", "new", line,
              f"the chart default `{dotted}` is now true for `{'.'.join(str(p) for p in component)}`, which existing installs "
              "already run: at their next upgrade it starts demanding credentials or TLS, and every client not handed them "
              "(other releases, external consumers, the release's own pods until the new secret exists) loses its connection.")


def _removed_keys(sides: FileSides, old_root: Map, new_root: Map, old: dict[tuple[Any, ...], Any], emit: Emitter,
                  context: ChangeContext, rules: Any = None) -> None:
    """Keys of the chart's values.yaml that are gone and that the templates stopped reading (values API break)."""
    if posixpath.basename(sides.diff.path) != "values.yaml":
        return  # ci/*-values.yaml, values-test.yaml: example inputs, not the chart's interface
    chart = posixpath.dirname(sides.diff.path)
    templates = f"{chart}/templates/" if chart else "templates/"
    removed_reads = _template_lines(context, templates, LineKind.REMOVED)
    if ".Values." not in removed_reads:
        return
    added_reads = _template_lines(context, templates, LineKind.ADDED)
    for path, node, parent in _gone(old_root, new_root, ()):
        pattern = _reference(path)
        if not pattern.search(removed_reads) or pattern.search(added_reads):
            continue  # the templates did not read it here, or still read it (a fallback)
        if _still_read(context, templates, path):
            continue
        dotted = ".".join(path)
        leaves = list(_keys(node, path))
        # A pull secret named last: another sensitive leaf says more of what the block held.
        sensitive = SENSITIVE.search(dotted) or next(
            (leaf for leaf in sorted(leaves, key=lambda leaf: bool(PULL_SECRET.search(leaf.rsplit(".", 1)[-1])))
             if SENSITIVE.search(leaf)), None)
        named = sensitive if isinstance(sensitive, str) else dotted
        switched_off = _switched_off(node, path)
        line = sides.old.real_line(parent.line_of(path[-1]))
        message = (f"the value `{dotted}` is removed and the templates no longer read it: every install that sets it "
                   "(an override in its own values) has that setting silently ignored at its next upgrade")
        if sensitive and PULL_SECRET.search(named.rsplit(".", 1)[-1]) and \
                not any(SENSITIVE.search(leaf) and not PULL_SECRET.search(leaf.rsplit(".", 1)[-1]) for leaf in leaves):
            message += (f", and it holds the registry pull secrets (`{named}`): installs pulling from a private registry "
                        "can no longer pull the image (a failed rollout, not a weakened security setting).")
        elif sensitive and switched_off:
            message += (f"; the security settings under it (`{named}`) configured the optional component it switched on, "
                        "which goes with it: they weaken nothing that stays.")
        elif sensitive:
            message += f", and it holds credentials or a security setting (`{named}`)."
        else:
            message += "."
        if RETIRED_API_VALUE.search(dotted) and RETIRED_API_KIND.search(removed_reads):
            # The setting configured an API Kubernetes no longer serves, and its object goes with it.
            emit.emit("HELM-VALUES-BREAKING", "old", line,
                      message.rstrip(".") + ". Lowered to low: it configured a PodSecurityPolicy, an API removed from "
                      "Kubernetes in 1.25, and the change deletes the templates that rendered one: the chart drops the API, "
                      "not a setting of an object clusters still hold (on an older cluster that enforces policies, the "
                      "pods lose theirs: check the chart's kubeVersion).", severity="low")
            continue
        severity = None if sensitive else "medium"
        gate = _disabled_by(path, old) or switched_off
        if severity is None and gate is None and rules is not None:
            unreleased = _in_no_release(context, rules, sides.diff.path, templates, path)
            if unreleased is not None:
                from reviewer_app.core.risk.releases import lowered_message

                message, severity = lowered_message(message, unreleased), "medium"
        _Gated(emit, gate).emit("HELM-VALUES-BREAKING", "old", line, message, severity=severity)


def _in_no_release(context: ChangeContext, rules: Any, values_file: str, templates: str, path: tuple[str, ...]) -> str | None:
    """Why no install can have set a removed value, for the finding's message, or None: no release of the chart (the
    nearest tag in the base's history, the commit that set its current Chart.yaml version) has the key in its values
    file or reads it in its templates (releases.chart_releases; fails closed when a release cannot be read)."""
    from reviewer_app.core.risk import releases

    memo = context.memo("releases")
    chart = posixpath.dirname(values_file)
    key = ("helm-chart-releases", chart)
    if key not in memo:
        memo[key] = releases.chart_releases(context.change, rules, chart, memo)
    found = memo[key]
    if not found:
        return None
    from reviewer_app.core.risk.structure.texts import repository_for

    repo = repository_for(context.change.base, context.change.head)
    name = releases.chart_release_lacks(repo, found, values_file, templates, path) if repo is not None else None
    if name is None:
        return None
    dotted = ".".join(path)
    return (f"the value `{dotted}` is in no release yet (not in {name}: no such key in {posixpath.basename(values_file)}, "
            f"no template reading `.Values.{dotted}`)")


def _keys(node: Any, path: tuple[str, ...]) -> Any:
    """The dotted path of every map key under ``node`` (empty lists and maps included)."""
    if isinstance(node, Map):
        for key, value in node.items():
            yield ".".join(str(p) for p in path + (key,))
            yield from _keys(value, path + (key,))


def _template_lines(context: ChangeContext, templates: str, kind: LineKind) -> str:
    """The removed (or added) lines of the chart's templates, one text."""
    return "\n".join(line.text for diff in context.change.files
                     if ((diff.old_path if kind is LineKind.REMOVED else diff.new_path) or "").startswith(templates)
                     for hunk in diff.hunks for line in hunk.lines if line.kind is kind)


def _gone(old: Map, new: Map, path: tuple[str, ...]) -> Any:
    """(path, old node, old parent) of each key of ``old`` missing from ``new`` (the highest such key)."""
    for key, value in old.items():
        if not isinstance(key, str):
            continue
        if key not in new:
            yield path + (key,), value, old
        elif isinstance(value, Map) and isinstance(new[key], Map):
            yield from _gone(value, new[key], path + (key,))


def _reference(path: tuple[str, ...]) -> re.Pattern[str]:
    dotted = r"\.".join(re.escape(p) for p in path)
    quoted = r'"\s+"'.join(re.escape(p) for p in path)
    return re.compile(rf'\.Values\.{dotted}(?![\w-])|index\s+\$?\.Values\s+"{quoted}"')


def _still_read(context: ChangeContext, templates: str, path: tuple[str, ...]) -> bool:
    """Whether any template of the chart reads ``path`` after the change (False when no repository is at hand)."""
    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    change = context.change
    repo = repository_for(change.base, change.head)
    if repo is None or not change.head:
        return False
    dotted = r"\.".join(re.escape(p) for p in path)
    # grep -q exits 0 on a match, 1 on none: only a match gives output other than None.
    return git_output(repo, "grep", "-q", "-E", "-e", rf"\.Values\.{dotted}([^A-Za-z0-9_-]|$)", change.head, "--",
                      templates) is not None


def _monitor_deleted(context: ChangeContext) -> bool:
    """The change deletes a monitoring object's template or manifest whole."""
    from reviewer_app.core.model import FileStatus, LineKind

    for diff in context.change.files:
        if diff.status is FileStatus.DELETED:
            text = "\n".join(line.text for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED)
            if MONITOR_KIND.search(text):
                return True
    return False


def _privilege(path: tuple[Any, ...], value: Any, before: Any, line: int, old: dict[tuple[Any, ...], Any], emit: Any) -> None:
    """A container's security setting in the chart's defaults turned to root or host access (K8S-PRIVILEGED):
    what the line rule looks for, judged by path and value so that the message says what was added. A
    capability already in the list before (the line edited for another item) is no change; one added to a
    container that already held a superset (privileged, ``ALL``, ``SYS_ADMIN``) is no new privilege level."""
    leaf = str(path[-1])
    dotted = ".".join(str(p) for p in path)
    if leaf in HOST_OR_ROOT and value is True and before is not True:
        emit.emit("K8S-PRIVILEGED", "new", line, f"the chart default `{dotted}` is now true: {HOST_OR_ROOT[leaf]}; a "
                  "compromise of it is a compromise of the node.")
    elif leaf == "runAsUser" and value == 0 and value is not False and before != 0:
        emit.emit("K8S-PRIVILEGED", "new", line, f"the chart default `{dotted}` is now 0: the container runs as root.")
    elif leaf == "runAsNonRoot" and value is False and before is not False:
        emit.emit("K8S-PRIVILEGED", "new", line, f"the chart default `{dotted}` is now false: the container may run as root.")
    elif len(path) >= 3 and isinstance(path[-1], int) and str(path[-2]) == "add" and str(path[-3]) == "capabilities" \
            and isinstance(value, str):
        held = {str(v).upper().removeprefix("CAP_") for p, (v, _, _) in old.items() if p[:-1] == path[:-1]}
        capability = value.upper().removeprefix("CAP_")
        if capability in held:
            return  # already in the list: the line changed for another item
        owner = ".".join(str(p) for p in path[:-3]) or "the container"
        severe = capability in SEVERE_CAPABILITIES
        message = f"`{owner}` gains the Linux capability {value} in the chart's defaults" + (
            " (close to root on the node)." if severe else ".")
        severity = "high" if severe else "medium"
        if capability != "ALL":
            if old.get(path[:-3] + ("privileged",), (None,))[0] is True:
                message += " Low: the container already ran privileged (every capability), so this adds no privilege it did not have."
                severity = "low"
            elif "ALL" in held:
                message += " Low: the container already held every capability (`ALL`), so this adds no privilege it did not have."
                severity = "low"
            elif "SYS_ADMIN" in held and severe:
                message += (" Medium: the container already held SYS_ADMIN (mounts, namespaces: root on the node in "
                            "practice), so this is no new privilege level.")
                severity = "medium"
        emit.emit("K8S-PRIVILEGED", "new", line, message, severity=severity)


def _judge(path: tuple[Any, ...], value: Any, before: Any, line: int, emit: Any, context: ChangeContext,
           existed: bool = True, templates: str = "templates/") -> None:
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
        if existed:
            emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                      f"the chart default `{dotted}` is now false: every install that does not override it loses this safeguard at its next upgrade.")
        elif _wrapped(context, templates, path):
            # A new key: only a weakening where the templates rendered the safeguard unconditionally before.
            emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                      f"the chart default `{dotted}` is new and false, and the templates now render under a condition on it "
                      "what they rendered unconditionally before: every install that does not set it loses this safeguard "
                      "at its next upgrade.")
    elif value is True and (HOLE.match(leaf) or (ENABLED_KEY.match(leaf) and HOLE.match(owner))) and before is not True:
        emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                  f"the chart default `{dotted}` is now true: every install that does not override it gets it at its next upgrade.")
    elif leaf == "tag" and str(value) == "latest" and str(before) != "latest":
        emit.emit("HELM-DEFAULT-WEAKENED", "new", line,
                  f"the default image tag `{dotted}` is `latest`: each restart may pull different code, and a rollback cannot pin the old one.",
                  severity="medium")
