"""Kubernetes manifests by kind: objects of both sides paired by kind, namespace and name.

Judged: RBAC rules widened (wildcards, escalate/bind/impersonate, deletecollection, reading
secrets) and cluster-admin bindings (rbac.py, called for each Role, ClusterRole and binding through
its Judge); containers gaining host or root privileges; probes removed
(a probe that reappears elsewhere in the change, e.g. in values.yaml, moved); immutable fields
edited (the apply or the Helm upgrade fails); init containers removed; workloads scaled to zero.
An object deleted whole (or a file deleted whole) is
the object going away, not its probes or settings being removed one by one.
A YAML file without ``apiVersion``/``kind`` is not a manifest: its line rules judge it.
In a Helm chart added whole (its Chart.yaml added by the change) RBAC and host-access findings are
one step lower: no existing install receives them at an upgrade. An object new with the change (its
file's old side had none of its kind and name, and the change removes none of its kind elsewhere) is a
new component: its posture findings are at most medium, save grants equal to cluster-admin. A manifest
kept for CI (under .github/ or a kind cluster's folder) configures a throwaway cluster: low.
A chart template is judged as an existing install renders it: its conditionals decided by the chart's
values.yaml of each side, under the defaults and under each switch an install could already have set.
"""

from __future__ import annotations

import posixpath
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
# Immutable fields the API server does not fill in itself: adding one to a live object changes it.
NO_SERVER_DEFAULT = frozenset({"volumeClaimTemplates", "serviceName", "template"})
# StatefulSet spec fields the API server accepts in an update; every other one is immutable.
STATEFULSET_MUTABLE = frozenset({"replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                                 "minReadySeconds", "ordinals", "revisionHistoryLimit"})
PLACEHOLDER = "TEMPLATED"  # what helm_template.detemplate writes for an inline template action
# The annotation that annotation-based Prometheus scrape configs (the prometheus chart's default
# kubernetes-service-endpoints and kubernetes-pods jobs) select their targets by.
SCRAPE_ANNOTATION = "prometheus.io/scrape"
SCRAPE_UNSET = re.compile(r"\bunset\b[^}]*[\"']prometheus\.io/scrape[\"']")
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
    if _unittest_suites(new_docs) and (not old_docs or _unittest_suites(old_docs)):
        # A helm-unittest suite: the values and expected renderings of a chart's test cases (`replicas: 0`
        # as a case's input), applied to no cluster.
        return Parsed(True)
    return _judge_documents(sides, emit, context, old_docs, new_docs, mixed=True)


def _unittest_suites(docs: list[Any]) -> bool:
    """Every document is a helm-unittest suite: a map with ``tests:``, a list of cases each holding ``asserts:``
    (beside ``suite:``, ``templates:``, ``set:``, ``values:`` ...), and no ``kind``/``apiVersion`` of an object."""
    present = [doc for doc in docs if doc]
    return bool(present) and all(
        isinstance(doc, dict) and "kind" not in doc and "apiVersion" not in doc and isinstance(doc.get("tests"), list)
        and doc["tests"] and all(isinstance(case, dict) and "asserts" in case for case in doc["tests"])
        for doc in present)


def _helm_template(sides: FileSides, emit: Emitter, context: ChangeContext, note: str) -> Parsed:
    """A chart template: its text checks, then its literal YAML skeleton judged like a manifest.

    Whatever the skeleton shows stands. Where the chart's values can be read, the skeleton is the one an
    existing install renders (for each install setting: helm_template.install_settings), and when every
    added line the Kubernetes line rules would flag is read that way the structure's verdict replaces
    theirs; otherwise the line rules keep judging the file.
    """
    from reviewer_app.core.risk.structure import helm_template, rbac

    broken = helm_template.unparsable(sides.old.text) if sides.old.exists and sides.complete else None
    if broken:
        emit = _OldUnparsable(emit, broken)  # type: ignore[assignment]
    helm_template.judge(sides, emit, context)
    if sides.complete:
        rbac.template_guards(sides, emit)
        _scrape_unset(sides, emit, context)
    # What an existing install renders: the chart's values.yaml of each side decides the conditionals it
    # can, under the defaults and under each value an install could already have set turned the other way
    # (a value new with the change keeps its default: nobody has set it yet).
    old_values = _chart_values(context, sides.diff.old_path or sides.diff.path, "old") if sides.old.exists else {}
    new_values = _chart_values(context, sides.diff.path, "new") if sides.new.exists else {}
    selectors_alike = helm_template.selectors_render_alike(sides, context)
    if old_values is None or new_values is None:
        try:
            old_docs = load_all(helm_template.detemplate(_defaults_rendered(sides.old.text))) if sides.old.exists else []
            new_docs = load_all(helm_template.detemplate(_defaults_rendered(sides.new.text))) if sides.new.exists else []
        except Exception:  # noqa: BLE001 - the skeleton is not YAML either: the text checks are all there is
            return Parsed(False, note, keep=True)
        # A template's names are placeholders (and a rename edits the template line): objects pair by
        # kind and order.
        _judge_documents(sides, emit, context, old_docs, new_docs, by_kind=True, selectors_alike=selectors_alike)
        return Parsed(False, note, keep=True)
    judged_all, judged_any, views = True, False, []
    settings = helm_template.install_settings(sides.old.text if sides.old.exists else None,
                                              sides.new.text if sides.new.exists else "", old_values)
    boolean = len(settings)
    settings += helm_template.guard_switches(sides.old.text if sides.old.exists else None,
                                             sides.new.text if sides.new.exists else "", old_values, settings)
    existing = len(settings)
    if sides.old.exists and sides.new.exists:
        settings += helm_template.new_switches(sides.old.text, sides.new.text, old_values, new_values)
    # What each setting's rendering finds: a finding the defaults do not render reaches only the installs
    # that set an option (see _OptIn).
    recorded = _OptIn(emit, _guards_changed(sides), _ChartReads(context, sides) if sides.old.exists else None)
    # Values new with the change and empty by default: a range over one renders nothing for an existing install.
    new_empty = helm_template.new_empty_values(sides.old.text if sides.old.exists else None,
                                               sides.new.text if sides.new.exists else "", old_values, new_values) \
        if sides.old.exists and sides.new.exists else frozenset()
    # A name moved into (or out of) a name helper (`printf "%s-db" (include "x.fullname" .)`) reads as written out.
    old_helpers = helm_template._chart_helpers(context, sides.diff.old_path or sides.diff.path, "old") \
        if sides.old.exists and sides.new.exists else None
    new_helpers = helm_template._chart_helpers(context, sides.diff.path, "new") if old_helpers is not None else None
    old_source = helm_template.expand_name_helpers(sides.old.text, old_helpers, new_helpers) if sides.old.exists else ""
    new_source = helm_template.expand_name_helpers(sides.new.text, new_helpers, old_helpers) if sides.new.exists else ""
    for number, setting in enumerate(settings):
        # Past `existing`: a release turning on an option new with the change; only its immutable fields count.
        only = frozenset({"K8S-IMMUTABLE-FIELD"}) if number >= existing else None
        old_setting = helm_template.with_settings(old_values, setting)
        old_text = helm_template.render_defaults(old_source, old_setting)[0] if sides.old.exists else ""
        if sides.old.exists and number > 0 and helm_template.unrenderable(old_text, old_setting):
            # The old template is not YAML under this setting: no install with it has a rendering of the old
            # side, so nothing changes from one (an indentation fix of a block only this setting renders).
            continue
        new_text, not_rendered = helm_template.render_defaults(new_source, helm_template.with_settings(new_values, setting),
                                                                new_empty) \
            if sides.new.exists else ("", set())
        try:
            new_skeleton = helm_template.detemplate(_defaults_rendered(new_text)) if sides.new.exists else ""
            old_docs = load_all(helm_template.detemplate(_defaults_rendered(old_text))) if sides.old.exists else []
            new_docs = load_all(new_skeleton) if sides.new.exists else []
        except Exception:  # noqa: BLE001 - the skeleton is not YAML either
            if number == 0:
                return Parsed(False, note, keep=True)
            if boolean <= number < existing:
                continue  # a setting read from an empty or compared value: unread before, left so
            judged_all = False
            continue
        # A release turning on an option new with the change fails its upgrade as it does so: not lowered.
        judged = _judge_documents(sides, emit if only else recorded.under(setting), context, old_docs, new_docs,
                                  by_kind=True, selectors_alike=selectors_alike, only=only, setting=setting if only else None)
        if only:
            continue
        if judged.ok:
            judged_any = True
        elif judged.note or (old_docs or new_docs) and any(d for d in old_docs + new_docs):
            judged_all = False  # objects it does not read, or not only objects
        views.append((new_skeleton, not_rendered))
    recorded.replay(old_values, new_values)
    if judged_all and judged_any and sides.complete and _line_hits_judged(sides, emit, views):
        # Every added line the Kubernetes line rules would flag is, for every install setting, either in
        # the skeleton judged above or in a branch that install does not render: the structure's verdict
        # replaces theirs.
        return Parsed(True)
    return Parsed(False, note, keep=True)


class _ChartReads:
    """What the chart's templates read at the change's base (this template's old side included), asked only when a
    K8S-MONITORING-DROPPED finding needs it (a chart's templates can read thousands of value paths): every value
    path read, and whether one is read only as the condition of a block that renders a ``prometheus.io/scrape``
    annotation (the value already decided scraping; _scrape_guards). ``read()`` is None when the chart cannot be
    read."""

    def __init__(self, context: ChangeContext, sides: FileSides) -> None:
        self._context, self._sides = context, sides
        self._loaded = False
        self._texts: list[str] = []
        self._aliases: list[set[str]] = []
        self._found: set[str] | None = None
        self._guards: dict[str, bool] = {}

    def read(self) -> set[str] | None:
        if not self._loaded:
            from reviewer_app.core.risk.structure import helm_template

            self._loaded = True
            sides = self._sides
            files = helm_template._chart_files(self._context, sides.diff.old_path or sides.diff.path, "old")
            if files is not None:
                self._texts = [sides.old.text, *files.values()]
                self._aliases = [helm_template._reads_through_aliases(text) for text in self._texts]
                self._found = set().union(*self._aliases)
        return self._found

    def guards_scrape(self, path: str) -> bool:
        found = self.read()
        if found is None or path not in found:
            return False
        if path not in self._guards:
            self._guards[path] = _scrape_guards(self._texts, self._aliases, path)
        return self._guards[path]


def _scrape_guards(texts: list[str], aliases: list[set[str]], path: str) -> bool:
    """Every read of ``.Values.<path>`` in the texts is spelled out in an ``if`` or ``with`` condition alone on its
    line, whose block holds a ``prometheus.io/scrape`` annotation, and no template reads it through a variable
    (``aliases``: per text, the paths it reads, through variables too)."""
    from reviewer_app.core.risk.structure import helm_template

    spelled = re.compile(r"(?<![\w$])\$?\.Values\." + re.escape(path) + r"\b(?!\.)")
    seen = False
    for text, read in zip(texts, aliases):
        lines = text.split("\n")
        literal = sum(1 for line in lines if spelled.search(line))
        if path in read and not literal:
            return False  # read through a variable: not followed here
        for index, line in enumerate(lines):
            if not spelled.search(line):
                continue
            action = re.match(r"^\s*\{\{-?\s*(if|with|else if)\b[^}]*\}\}\s*$", line)
            if action is None:
                return False
            depth, body = 1, []
            for follow in lines[index + 1:]:
                words = [m.group("word") for m in helm_template.CONTROL.finditer(follow)]
                depth += sum(w in ("if", "with", "range", "define", "block") for w in words) - words.count("end")
                if depth <= 0 or (depth == 1 and "else" in words):
                    break
                body.append(follow)
            if not any(SCRAPE_ANNOTATION in follow for follow in body):
                return False
            seen = True
    return seen


def _guards_changed(sides: FileSides) -> set[str]:
    """The values tested by the conditions on the file's added and removed lines (helm_template._guards paths)."""
    from reviewer_app.core.model import LineKind
    from reviewer_app.core.risk.structure import helm_template

    text = "\n".join(line.text for hunk in sides.diff.hunks for line in hunk.lines
                     if line.kind in (LineKind.ADDED, LineKind.REMOVED))
    return {path for path, _ in helm_template._guards(text)}


class _OptIn:
    """Findings of a template rendered under each install setting, replayed once all are known: what the chart's
    defaults render keeps its severity. A finding only a setting renders, whose values are all off by default
    (``if .Values.x.enabled`` on ``enabled: false``, ``with .Values.y`` on an empty ``y``) and tested by a condition
    the change writes (the option is added or its guard edited with the hazard), reaches no install on the
    defaults, only those that choose the option: high becomes medium (critical high), and the message names the
    value. A guard the change leaves as it was keeps the severity: the installs that already set it get the
    hazard at their upgrade without choosing anything. So does a setting that turns off a value on by default,
    and anything undecided (rendered both ways under the defaults); except a probe the change puts behind a
    condition on a value true by default on both sides (helm_template.kept_by_default): a default install keeps
    it, so high becomes medium, saying so."""

    def __init__(self, inner: Emitter, changed: set[str], old_reads: "_ChartReads | None" = None) -> None:
        self._inner, self._changed, self._old_reads = inner, changed, old_reads
        self._defaults: set[tuple[str, str, int]] = set()
        self._found: dict[tuple[str, str, int], list[tuple[dict[str, object], tuple[Any, ...], dict[str, Any]]]] = {}

    def under(self, setting: dict[str, object]) -> "_Recording":
        return _Recording(self, setting)

    def record(self, setting: dict[str, object], args: tuple[Any, ...], extra: dict[str, Any]) -> None:
        rule, side, line = args[0], args[1], args[2]
        if not setting:
            self._defaults.add((rule, side, line))
            self._inner.emit(*args, **extra)
            return
        self._found.setdefault((rule, side, line), []).append((setting, args, extra))

    def replay(self, old_values: dict, new_values: dict) -> None:
        from reviewer_app.core.risk.structure import helm_template
        from reviewer_app.core.risk.structure.base import catalogue

        for key, found in self._found.items():
            if key in self._defaults:
                for _, args, extra in found:  # rendered by default as well: as it was (the more severe wins)
                    self._inner.emit(*args, **extra)
                continue
            # The fewest values that render it: a single one where one does.
            fewest = min(len(setting) for setting, _, _ in found)
            smallest = [(setting, args, extra) for setting, args, extra in found if len(setting) == fewest]
            reasons = [helm_template.opt_in(setting, old_values, new_values) if set(setting) <= self._changed else None
                       for setting, _, _ in smallest]
            if any(reason is None for reason in reasons):
                opted_out = self._opted_out([setting for setting, _, _ in smallest], new_values) \
                    if key[0] == "K8S-MONITORING-DROPPED" else None
                if opted_out is not None:
                    self._emit_opted_out(smallest[0][1], smallest[0][2], opted_out)
                    continue
                kept = helm_template.kept_by_default([setting for setting, _, _ in smallest], old_values, new_values,
                                                     self._changed) if key[0] == "K8S-PROBE-REMOVED" else None
                if kept is not None:
                    self._emit_kept(smallest[0][1], smallest[0][2], kept)
                    continue
                for _, args, extra in found:
                    self._inner.emit(*args, **extra)
                continue
            setting, args, extra = smallest[0]
            rule, side, line, message = args[:4]
            severity = args[4] if len(args) > 4 else extra.pop("severity", None)
            extra = {k: v for k, v in extra.items() if k != "severity"}
            effective = severity or catalogue()[rule].severity
            if effective in ("high", "critical"):
                lowered = "high" if effective == "critical" else "medium"
                message += (f" {lowered.capitalize()}, not {effective}: rendered only when {reasons[0]}; an install on the "
                            "chart's defaults does not get it.")
                severity = lowered
            self._inner.emit(rule, side, line, message, severity, **extra)


    def _opted_out(self, settings: list[dict[str, object]], new_values: dict) -> tuple[str, str] | None:
        """The value whose turning off alone drops a scrape annotation, and why that is an opt-out: each setting turns
        one value to false that the new values.yaml sets to true, the change writes the condition that tests it,
        and at the base either no template of the chart read it (no install's choice of it mattered) or every
        template read it only to decide whether a scrape annotation renders (an install that turned it off had
        already turned scraping off). Else None."""
        from reviewer_app.core.risk.structure import helm_template

        old_read = self._old_reads.read() if self._old_reads is not None else None
        if old_read is None:
            return None
        paths, whys = set(), set()
        for setting in settings:
            if len(setting) != 1:
                return None
            (path, value), = setting.items()
            if value is not False or helm_template._lookup(new_values, path) is not True or path not in self._changed:
                return None
            if self._old_reads.guards_scrape(path) and not any(path.startswith(read + ".") or read.startswith(path + ".") for read in old_read):
                whys.add("which at the base already decided whether the chart's other templates render their scrape "
                         "annotation (an install that turned it off had turned scraping off)")
            elif any(read == path or path.startswith(read + ".") or read.startswith(path + ".") for read in old_read):
                return None
            else:
                whys.add("which no template of the chart read before")
            paths.add(helm_template.shown_path(path))
        return (" or ".join(sorted(paths)), "; ".join(sorted(whys))) if paths else None

    def _emit_kept(self, args: tuple[Any, ...], extra: dict[str, Any], kept: str) -> None:
        """A probe the change puts behind a condition true by default (helm_template.kept_by_default): medium, saying so."""
        from reviewer_app.core.risk.structure.base import catalogue

        rule, side, line, message = args[:4]
        severity = args[4] if len(args) > 4 else extra.get("severity")
        extra = {k: v for k, v in extra.items() if k != "severity"}
        effective = severity or catalogue()[rule].severity
        if effective in ("high", "critical"):
            message += (f" Medium, not {effective}: the change puts it behind a condition, {kept}. An install on the "
                        "chart's defaults keeps it.")
            severity = "medium"
        self._inner.emit(rule, side, line, message, severity, **extra)

    def _emit_opted_out(self, args: tuple[Any, ...], extra: dict[str, Any], opted: tuple[str, str]) -> None:
        from reviewer_app.core.risk.structure.base import catalogue

        rule, side, line, message = args[:4]
        severity = args[4] if len(args) > 4 else extra.get("severity")
        extra = {k: v for k, v in extra.items() if k != "severity"}
        effective = severity or catalogue()[rule].severity
        if effective in ("high", "critical"):
            path, why = opted
            message += (f" Medium, not {effective}: only when `{path}` is set to false. The change puts the annotation "
                        f"behind that setting, {why}, and whose default (true in the chart's values.yaml) keeps it: an "
                        "install on the defaults keeps the annotation; one that turns it off chooses to lose it.")
            severity = "medium"
        self._inner.emit(rule, side, line, message, severity, **extra)


class _Recording:
    """The emitter one setting's rendering is judged with (see _OptIn)."""

    def __init__(self, owner: _OptIn, setting: dict[str, object]) -> None:
        self._owner, self._setting = owner, setting

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner._inner, name)

    def emit(self, *args: Any, **extra: Any) -> None:
        self._owner.record(self._setting, args, extra)


class _OldUnparsable:
    """An emitter for a template whose old side Helm cannot parse (helm_template.unparsable): no install
    rendered that side, so a field it seems to change (an immutable one) is no change of a running object:
    medium, with the reason (compare with the release before the template broke)."""

    LOWERED = frozenset({"K8S-IMMUTABLE-FIELD"})

    def __init__(self, inner: Emitter, why: str) -> None:
        self._inner, self._why = inner, why

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def emit(self, rule_id: str, side: str, line: int, message: str, severity: str | None = None, **extra: Any) -> None:
        if rule_id in self.LOWERED and severity in (None, "high", "critical"):
            severity = "medium"
            message += (f" Medium: the old template does not parse ({self._why}), so Helm rendered nothing from it and no "
                        "install runs what it seems to hold; the installs running come from the release before it broke.")
        self._inner.emit(rule_id, side, line, message, severity, **extra)


def _structured_line_rules(emit: Emitter) -> list[Any]:
    """The line rules this analyser replaces on a file it reads (their ``added`` pattern is what they match)."""
    return [rule for rule in emit.rules.rules if "kubernetes" in rule.structured and rule.added is not None]


def _line_rule_hits(sides: FileSides, rules: list[Any]) -> Iterator[tuple[Any, int | None]]:
    """(rule, index of the line on the new side, None when the line is not on it) for every added line each
    rule's pattern matches, a match over several lines giving each of them; overlapping matches count."""
    from reviewer_app.core.model import LineKind

    index_of = {number: index for index, number in enumerate(sides.new.numbers)}
    for hunk in sides.diff.hunks:
        added = [line for line in hunk.lines if line.kind is LineKind.ADDED]
        text = "\n".join(line.text for line in added)
        starts = [0]
        for line in added:
            starts.append(starts[-1] + len(line.text) + 1)
        for rule in rules:
            position = 0
            while True:
                match = rule.added.search(text, position)
                if match is None:
                    break
                position = max(match.end(), match.start() + 1)
                first = next(i for i in range(len(added)) if starts[i + 1] > match.start())
                last = next(i for i in range(len(added)) if starts[i + 1] > max(match.end() - 1, match.start()))
                for line in added[first:last + 1]:
                    yield rule, index_of.get(line.new_no)


def _line_hits_judged(sides: FileSides, emit: Emitter, views: list[tuple[str, set[int]]]) -> bool:
    """Each added line that a line rule replaced by this analyser matches is read by the structure under
    every install setting (``views``: the new side's skeleton and the lines it does not render, per
    setting): it stands in that setting's skeleton, or that setting does not render it."""
    views_lines = [(skeleton.split("\n"), not_rendered) for skeleton, not_rendered in views]
    for _rule, index in _line_rule_hits(sides, _structured_line_rules(emit)):
        if index is None:
            return False
        for skeleton_lines, not_rendered in views_lines:
            if index not in not_rendered and (index >= len(skeleton_lines) or not skeleton_lines[index].strip()):
                return False
    return True


def _chart_values(context: ChangeContext, path: str, side: str) -> dict | None:
    """The default values (the chart's values.yaml) of the chart holding the template ``path`` on one side of
    the change; None when they cannot be read (no repository, no chart, no values.yaml, not YAML)."""
    import yaml

    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    parts = path.split("/")
    if "templates" not in parts:
        return None
    chart = "/".join(parts[:len(parts) - 1 - parts[::-1].index("templates")])
    change = context.change
    revision = change.base if side == "old" else change.head
    repo = repository_for(change.base, change.head)
    if repo is None or not revision:
        return None
    cache = context.memo("k8s_values")
    key = (revision, chart)
    if key not in cache:
        prefix = f"{chart}/" if chart else ""
        if git_output(repo, "cat-file", "-e", f"{revision}:{prefix}Chart.yaml") is None:
            cache[key] = None
        else:
            shown = git_output(repo, "show", f"{revision}:{prefix}values.yaml")
            try:
                loaded = yaml.safe_load(shown.decode("utf-8", "replace")) if shown is not None else {}
            except yaml.YAMLError:
                loaded = None
            # A chart without values.yaml (or an empty one) is not read: its values come from elsewhere.
            cache[key] = loaded if isinstance(loaded, dict) and loaded else None
    return cache[key]


def _judge_documents(sides: FileSides, emit: Emitter, context: ChangeContext, old_docs: list[Any], new_docs: list[Any],
                     by_kind: bool = False, selectors_alike: bool = False, only: frozenset[str] | None = None,
                     setting: dict[str, object] | None = None, mixed: bool = False) -> Parsed:
    """``mixed``: a plain manifest (not a template's skeleton), whose objects of kinds this module does not read
    may be set aside when no line rule's hit falls in them but for a wildcard that is no RBAC rule (_mixed_hits_judged)."""
    from reviewer_app.core.risk.structure import rbac  # imported here: rbac reads objects with this module's helpers

    old_objects = list(_objects(old_docs))
    new_objects = list(_objects(new_docs))
    if not old_objects and not new_objects:
        return Parsed(False, "")  # YAML, but not a Kubernetes manifest
    if len(old_objects) + len(new_objects) < sum(1 for d in old_docs + new_docs if d):
        return Parsed(False, "")  # mixed documents (some not objects): leave the file to the line rules
    unknown = sorted({str(o.get("kind")) for o in old_objects + new_objects} - UNDERSTOOD_KINDS)
    if unknown and not ci_only(sides.diff.path):
        # A custom resource (HelmRelease values, an Argo Application, a Kustomization patch, a
        # ConfigMap holding a pod template) may carry pod settings where this analyser does not
        # look: its line rules keep judging the file.
        note = f"{unknown[0]} objects are not analysed by structure, so line rules judged this file"
        if not mixed or not _mixed_hits_judged(sides, emit, new_objects):
            return Parsed(False, note)
        # Every line rule's hit is in an object this module reads, or is a wildcard of a custom resource that is
        # no RBAC rule (a policy's list of the kinds it checks): the objects it reads are judged by structure, for
        # what the line rules would have judged (RBAC, privileges, scale), and the others hold nothing they flag.
        old_objects = [o for o in old_objects if o.get("kind") in UNDERSTOOD_KINDS]
        new_objects = [o for o in new_objects if o.get("kind") in UNDERSTOOD_KINDS]
        only = MIXED_RULES if only is None else only & MIXED_RULES
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
    pairs = rbac.roles_narrowed(pairs, old_objects)
    for before, after in pairs:
        Judge(sides, emit, context, before, after, selectors_alike, only, setting).run()
    # A CI-only manifest is judged whole here, the objects this module does not read included: it
    # configures a throwaway test cluster.
    return Parsed(True)


# What a file mixing objects this module reads with others is judged for: what its line rules flag (RBAC
# wildcards, privileges, scaling to zero) and the RBAC grants around them.
MIXED_RULES = frozenset({"K8S-RBAC-WILDCARD", "K8S-RBAC-WIDENED", "K8S-RBAC-NARROWED", "K8S-PRIVILEGED",
                         "K8S-SCALE-TO-ZERO"})
RBAC_LIST_KEYS = ("apiGroups", "resources", "verbs")


def _mixed_hits_judged(sides: FileSides, emit: Emitter, new_objects: list[Map]) -> bool:
    """Every added line a Kubernetes line rule (one structure replaces) matches lies in an object of a kind this
    module reads, or is a `'*'` of an RBAC-shaped key (apiGroups, resources, verbs) in a map of another kind's
    object that is no policy rule (no ``verbs``, no list of ``resources``: a Gatekeeper constraint's
    ``match.kinds``). A hit anywhere else (in a string, such as a manifest a ConfigMap carries, a cluster-admin
    name, a privilege or a scale in another kind's object, before the first object) keeps the line rules."""
    starts = sorted((obj.line, index) for index, obj in enumerate(new_objects))
    for rule, index in _line_rule_hits(sides, _structured_line_rules(emit)):
        if index is None:
            return False
        owner = [position for start, position in starts if start <= index]
        if not owner:
            return False
        obj = new_objects[owner[-1]]
        if obj.get("kind") in UNDERSTOOD_KINDS:
            continue
        if rule.id != "K8S-RBAC-WILDCARD":
            return False
        keyed = [m for m in _maps(obj) if any(k in m and m.line_of(k) == index for k in RBAC_LIST_KEYS)]
        if not keyed or any("verbs" in m or isinstance(m.get("resources"), list) for m in keyed):
            return False
    return True


def _maps(node: Any) -> Iterator[Map]:
    if isinstance(node, Map):
        yield node
        for value in node.values():
            yield from _maps(value)
    elif isinstance(node, Seq):
        for item in node:
            yield from _maps(item)


# Posture findings (rule -> its default severity) that a new object (one the old side of its file
# did not have) does not carry above medium: nothing that runs today changes (resources/structure/rules.toml).
NEW_OBJECT_LOWERED = {"K8S-RBAC-WIDENED": "high", "K8S-RBAC-WILDCARD": "critical", "K8S-PRIVILEGED": "high"}
# A manifest kept for CI (under .github/) or for a kind cluster (a `kind` folder) configures a throwaway
# test cluster, not a deployed system.
CI_ONLY = re.compile(r"(^|/)(\.github|kind)/")


def ci_only(path: str | None) -> bool:
    return bool(path) and CI_ONLY.search(path) is not None


# Findings that describe what existing installs gain at their upgrade: a chart added whole has none.
# (rule -> its default severity, resources/structure/rules.toml)
NEW_CHART_LOWERED = {"K8S-RBAC-WIDENED": "high", "K8S-RBAC-WILDCARD": "critical", "K8S-PRIVILEGED": "high"}
def new_chart(context: ChangeContext, path: str | None) -> str | None:
    """The folder of the Helm chart holding ``path`` when the change adds that chart's Chart.yaml
    (a chart new with this change: nobody has installed it yet), else None."""
    from reviewer_app.core.model import FileStatus

    if not path:
        return None
    added = {posixpath.dirname(diff.new_path) for diff in context.change.files
             if diff.status is FileStatus.ADDED and diff.new_path and posixpath.basename(diff.new_path) == "Chart.yaml"}
    if added and _chart_deprecated(context):
        # Another chart is deprecated by the same change: the new one is its successor, and the
        # installs of the old one are told to move to it with what it ships by default.
        return None
    folder = posixpath.dirname(path)
    while True:
        if folder in added:
            return folder or "."
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def _chart_deprecated(context: ChangeContext) -> bool:
    """A Chart.yaml the change keeps gains ``deprecated: true``."""
    from reviewer_app.core.model import FileStatus, LineKind

    return any(diff.status is not FileStatus.ADDED and posixpath.basename(diff.new_path or "") == "Chart.yaml"
               and any(line.kind is LineKind.ADDED and re.match(r"^\s*deprecated\s*:\s*[\"']?true", line.text)
                       for hunk in diff.hunks for line in hunk.lines)
               for diff in context.change.files)


# An inline action whose value is a quoted default (`{{ default "data" .Values.name }}`,
# `{{ .Values.name | default "data" }}`): an install that sets nothing renders the literal.
DEFAULT_ACTION = re.compile(r"""\{\{-?\s*(?:default\s+"(?P<a>[^"{}]*)"[^{}]*?|[^{}]*?\|\s*default\s+"(?P<b>[^"{}]*)"\s*)-?\}\}""")


def _defaults_rendered(text: str) -> str:
    """The template with each inline defaulted action replaced by its default: a field made
    overridable with its old literal as the default renders the same for every install that keeps it."""
    return DEFAULT_ACTION.sub(lambda m: m.group("a") if m.group("a") is not None else m.group("b"), text)


def _scrape_unset(sides: FileSides, emit: Emitter, context: ChangeContext) -> None:
    """A template that deletes the ``prometheus.io/scrape`` annotation from what it renders."""
    for index, text in enumerate(sides.new.lines):
        number = sides.new.real_line(index)
        if number in sides.new.changed and SCRAPE_UNSET.search(text):
            emit.emit("K8S-MONITORING-DROPPED", "new", number,
                      f"the template removes the `{SCRAPE_ANNOTATION}` annotation from what it renders: Prometheus scrape "
                      "configs that select targets by it stop scraping these, silently.")


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


def _inside_held_mount(path: str, read_only: bool, old_spec: Map) -> str | None:
    """Why a new hostPath inside a node folder the old pod already mounted adds no reach, or None.

    The old side of the same workload mounted a parent folder of ``path`` (whole: no subPath) with the same or
    wider access (read-write, or the new one is read-only everywhere), and ran a privileged container: the new
    mount shows a part of what the workload already reached."""
    if PLACEHOLDER in path or "{{" in path or not path.startswith("/"):
        return None
    path = path.rstrip("/") or "/"
    privileged = [name for field in ("initContainers", "containers") for name, c in _containers(old_spec, field).items()
                  if _get(c, "securityContext", "privileged") is True]
    if not privileged:
        return None
    for volume in _list(old_spec.get("volumes")):
        parent = _get(volume, "hostPath", "path")
        if not isinstance(parent, str) or PLACEHOLDER in parent or "{{" in parent or not parent.startswith("/"):
            continue
        parent = parent.rstrip("/") or "/"
        if parent == path or not (parent == "/" or path.startswith(parent + "/")):
            continue
        mounts = [(name, m) for field in ("initContainers", "containers") for name, c in _containers(old_spec, field).items()
                  for m in _list(c.get("volumeMounts")) if m.get("name") == volume.get("name")
                  and not m.get("subPath") and not m.get("subPathExpr")]
        writable = [name for name, m in mounts if m.get("readOnly") is not True]
        holders = writable if not read_only else [name for name, _ in mounts]
        if not holders:
            continue
        access = "read-write" if writable else "read-only"
        return (f"it lies inside the node's {parent}, which the workload already mounted {access} (volume "
                f"{volume.get('name')}, container {', '.join(sorted(set(holders)))}), in a workload that already ran the "
                f"privileged container {', '.join(privileged)}: no node folder the workload did not already reach. "
                "Medium: check which container now sees it")
    return None


def _privileged_before(spec: Map, old_spec: Map, volume: Any) -> str | None:
    """Why a new hostPath volume gives its containers nothing new: every container that mounts it ran privileged
    on the old side of the workload (the same name) and runs privileged still, so it already had every device of
    the node, its disks included, and could mount any of the node's folders itself. None otherwise."""
    old_containers = {name: c for field in ("initContainers", "containers") for name, c in _containers(old_spec, field).items()}
    users = [(name, c) for field in ("initContainers", "containers", "ephemeralContainers")
             for name, c in _containers(spec, field).items()
             if any(isinstance(m, Map) and m.get("name") == volume for m in _list(c.get("volumeMounts")))]
    if not users or any(name.startswith("#") for name, _ in users):
        return None
    for name, container in users:
        previous = old_containers.get(name)
        if previous is None or _get(previous, "securityContext", "privileged") is not True \
                or _get(container, "securityContext", "privileged") is not True:
            return None
    names = ", ".join(name for name, _ in users)
    return (f"every container that mounts it ({names}) already ran privileged before this change: a privileged "
            "container has every device of the node, its disks included, and can mount any of its folders itself, "
            "so this adds no reach. Medium: check what the folder holds")


def _another_object(before: Map, after: Map) -> bool:
    """Renamed or of another kind: the API server creates a new object, so no field of the old one is
    updated in place (its immutable fields included). Templated names are not compared."""
    (old_kind, old_namespace, old_name), (kind, namespace, name) = _key(before), _key(after)
    if old_kind != kind:
        return True
    plain = not any("TEMPLATED" in part or "{{" in part for part in (old_namespace, old_name, namespace, name))
    return plain and (old_namespace, old_name) != (namespace, name)


def _name_written(text: str, index: int) -> str | None:
    """The value of the ``name:`` key on the 0-based line ``index`` of a template, as written."""
    lines = text.split("\n")
    match = re.match(r"^\s*name\s*:\s*(?P<value>\S.*?)\s*(#.*)?$", lines[index]) if 0 <= index < len(lines) else None
    return match.group("value") if match else None


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
    # A templated name reads as no string: such containers go by position ("#2"), not all under "None",
    # where they would collide and print as "container None".
    return {(c["name"] if isinstance(c.get("name"), str) and c["name"] else f"#{index + 1}"): c
            for index, c in enumerate(items) if isinstance(c, Map)}


def _paired(spec: Map | None, old_spec: Map | None, field: str = "containers") -> dict[str, Map]:
    """The old container of each new one: by name, else the one renamed into it.

    A name gone while another appears at the same position of the list, or with the same image, is the
    same container renamed (``{{ template "x.name" . }}-controller`` written ``controller``): its
    unchanged settings are not newly gained.
    """
    new, old = _containers(spec, field), _containers(old_spec, field)
    paired = {name: old[name] for name in new if name in old}
    gone = [name for name in old if name not in new]
    new_names, old_names = list(new), list(old)
    for name in new_names:
        if name in paired or not gone:
            continue
        image = _plain(new[name].get("image"))
        match = next((g for g in gone if image is not None and _plain(old[g].get("image")) == image), None)
        if match is None:
            match = next((g for g in gone if old_names.index(g) == new_names.index(name)), None)
        if match is not None:
            paired[name] = old[match]
            gone.remove(match)
    return paired


class Judge:
    """One object of the new side against its old self (None when it is new)."""

    def __init__(self, sides: FileSides, emit: Emitter, context: ChangeContext, before: Map | None, after: Map,
                 selectors_alike: bool = False, only: frozenset[str] | None = None,
                 setting: dict[str, object] | None = None) -> None:
        # only/setting: the template rendered for a release that turns on an option new with the change
        # (setting): only these rules count there.
        self.only, self.setting = only, setting
        # selectors_alike: a template whose selector blocks render the same labels through the chart's
        # helpers on both sides (helm_template.selectors_render_alike): its skeleton's selector is not compared.
        self.selectors_alike = selectors_alike
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

    def emit(self, rule: str, side: str, line: int, message: str, severity: str | None = None,
             acts_now: bool = False, held: str | None = None) -> None:
        """``acts_now``: a grant equal to cluster-admin (``'*'`` on every resource, escalate, bind,
        impersonate, a cluster-admin binding), which no new-component lowering softens. ``held``: why the
        role gains no power by the RBAC grant judged (rbac: held in another form before the change)."""
        if self.only is not None:
            if rule not in self.only:
                return
            if self.setting:
                values = ", ".join(f"{path}={str(value).lower()}" for path, value in self.setting.items())
                message += f" (Rendered for a release that turns on the new option {values}: that release fails to upgrade.)"
        note = held
        if note and rule in ("K8S-RBAC-WIDENED", "K8S-RBAC-WILDCARD") \
                and (severity or NEW_OBJECT_LOWERED[rule]) in ("high", "critical"):
            severity = "medium"
            message += f" Medium: {note}"
        if rule == "K8S-RBAC-WIDENED" and severity in (None, "high", "critical") and _short_lived_hook(self.after) \
                and _chart_of(self.context, self.sides) is not None:
            # Only in a Helm chart: `kubectl apply` of a plain manifest ignores the hook annotations, and the role stays.
            severity = "medium"
            message += (" Lowered to medium: the role is a Helm hook deleted once the hook succeeds, so the grant lives only "
                        "while the chart's own install or upgrade step runs.")
        if rule in NEW_CHART_LOWERED and (severity or NEW_CHART_LOWERED[rule]) in ("high", "critical"):
            chart = new_chart(self.context, self.sides.diff.path)
            if chart is not None:
                # One step down: an all-powerful grant (critical) in a new chart still deserves a look.
                severity = "high" if (severity or NEW_CHART_LOWERED[rule]) == "critical" else "medium"
                message += (f" Lowered to {severity}: the chart {chart} is new in this change (its Chart.yaml is added), so "
                            "no existing install gets this at an upgrade; the chart is reviewed whole.")
        if rule in NEW_OBJECT_LOWERED and ci_only(self.sides.diff.path):
            severity = "low"
            message += (" Low: a CI-only manifest (under .github/ or a kind cluster's folder): it configures a throwaway "
                        "test cluster, no deployed system.")
        if rule in NEW_OBJECT_LOWERED and not acts_now and (severity or NEW_OBJECT_LOWERED[rule]) in ("high", "critical") \
                and self._new_component():
            severity = "medium"
            message += (f" Medium: new {self.label}: nothing running changes; review it as a new component "
                        "(no object of its kind is removed or replaced by the change, so no running workload or role "
                        "gains this at the next apply or upgrade).")
        self.emitter.emit(rule, side, line, f"{self.label}: {message}".replace("TEMPLATED", "{{…}}"), severity)

    def _new_component(self) -> bool:
        """The object is new (its file's old side had no object of its kind and name) and the change
        removes no object of its kind anywhere (it replaces nothing: a manifest moved to another file,
        a Pod rewritten as a controller keep their severities)."""
        if self.before is not None:
            return False
        if "/templates/" in f"/{self.sides.diff.path}" and not self.sides.old.exists and _chart_deprecated(self.context):
            # A template of a chart that succeeds one deprecated by the same change: the old chart's
            # installs move to it with what it ships.
            return False
        kind = str(self.after.get("kind"))
        return re.search(rf"^\s*kind\s*:\s*[\"']?{re.escape(kind)}[\"']?\s*(#.*)?$", _removed_text(self.context),
                         re.MULTILINE) is None

    def run(self) -> None:
        from reviewer_app.core.risk.structure import rbac  # imported here: rbac reads objects with this module's helpers

        kind = self.after.get("kind")
        if kind == "NetworkPolicy" and self.before is None:
            self.network_policy_added()
        if kind in ("Role", "ClusterRole"):
            rbac.judge_role(self)
            if self.before is not None:
                rbac.monitoring_access_lost(self)
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            rbac.judge_binding(self)
        self.privileges()
        self.scale()
        self.scrape_annotation()
        if self.before is not None:
            self.datastore_upgrade()
            self.env_renamed()
            self.probes_and_init_containers()
            if not _another_object(self.before, self.after) and not self._template_renamed():
                self.immutable_fields()

    def _template_renamed(self) -> bool:
        """A chart template whose object's templated name renders differently on the two sides for every
        install (``{{ template "x.fullname" . }}-server`` become ``{{ template "x.fullname" . }}``): the
        upgrade creates an object under the new name rather than updating the old one in place."""
        from reviewer_app.core.risk.structure import helm_template

        assert self.before is not None
        if "/templates/" not in f"/{self.sides.diff.path}" or not (self.sides.old.exists and self.sides.new.exists):
            return False
        old_meta, new_meta = _get(self.before, "metadata"), _get(self.after, "metadata")
        if not isinstance(old_meta, Map) or not isinstance(new_meta, Map) or "name" not in old_meta or "name" not in new_meta:
            return False
        old_value = _name_written(self.sides.old.text, old_meta.line_of("name"))
        new_value = _name_written(self.sides.new.text, new_meta.line_of("name"))
        if old_value is None or new_value is None or "{{" not in old_value + new_value:
            return False
        old_helpers = helm_template._chart_helpers(self.context, self.sides.diff.old_path or self.sides.diff.path, "old")
        new_helpers = helm_template._chart_helpers(self.context, self.sides.diff.path, "new")
        if old_helpers is None or new_helpers is None:
            return False
        old_values = _chart_values(self.context, self.sides.diff.old_path or self.sides.diff.path, "old")
        new_values = _chart_values(self.context, self.sides.diff.path, "new")
        return helm_template.names_render_apart(old_value, new_value, old_helpers, new_helpers, old_values, new_values,
                                                self.sides.old.text, self.sides.new.text)

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

    # -- configuration read by name ---------------------------------------------------------------------
    def env_renamed(self) -> None:
        """An environment variable renamed, same value, same image: the program reads it by its name.

        Unless the version deployed reads the new name (a new image or chart appVersion in the same
        change is taken as that), the setting silently stops reaching it: no error, the default applies.
        """
        assert self.before is not None
        spec, old_spec = _pod_spec(self.after), _pod_spec(self.before)
        if spec is None or old_spec is None or _app_version_changed(self.context):
            return
        old_containers: dict[str, Map] = {}
        for field in ("initContainers", "containers"):
            old_containers.update(_containers(old_spec, field))
        for field in ("initContainers", "containers"):
            for name, container in _containers(spec, field).items():
                previous = old_containers.get(name)
                if previous is None or _plain(container.get("image")) != _plain(previous.get("image")):
                    continue
                new_env, old_env = _env(container), _env(previous)
                gone = {n: entry for n, entry in old_env.items() if n not in new_env}
                for env_name, (item, _) in new_env.items():
                    line = self.new_line(item, "name")
                    if env_name in old_env or line not in self.sides.new.changed:
                        continue
                    value = self._env_value(self.sides.new, item)
                    for old_name, (old_item, _) in gone.items():
                        if value is not None and value == self._env_value(self.sides.old, old_item) and \
                                not re.search(rf"\b{re.escape(old_name)}\b", self.sides.new.text) and \
                                not re.search(rf"name\s*:\s*[\"']?{re.escape(old_name)}[\"']?\s*$", self.context.added_text, re.MULTILINE):
                            chart = PLACEHOLDER in str(container.get("image"))
                            undone = _rename_undone(self.context, self.sides.diff.old_path or self.sides.diff.path,
                                                    old_name, env_name)
                            if undone is not None:
                                self.emit("K8S-ENV-RENAMED", "new", line,
                                          f"container {name}: the environment variable {old_name} is renamed {env_name} with the "
                                          f"same value and the same image. Medium: the change reverts {undone[:12]}, which had "
                                          f"renamed {env_name} to {old_name} in this file: it restores the name the versions "
                                          "deployed before that commit read; check that no version released since reads only "
                                          f"{old_name}.", severity="medium")
                                del gone[old_name]
                                break
                            self.emit("K8S-ENV-RENAMED", "new", line,
                                      f"container {name}: the environment variable {old_name} is renamed {env_name} with the "
                                      "same value and the same image: the program reads its settings by name, so unless the "
                                      "version deployed reads the new one, the setting is silently dropped"
                                      + (" (the image tag is a chart value: every install's own version must read it)." if chart else
                                         ". Medium: the image is pinned in this file, where its author could try the new name."),
                                      severity=None if chart else "medium")
                            del gone[old_name]
                            break

    def _env_value(self, side: Side, item: Map) -> str | None:
        """The value of an env item as written (a template's action text included), or None."""
        if "value" in item:
            index = item.line_of("value")
            text = side.lines[index] if index < len(side.lines) else ""
            return re.sub(r"^\s*-?\s*value\s*:\s*", "", text).strip() or None
        if isinstance(item.get("valueFrom"), Map):
            # As written: a template's references (`{{ .Values.a.key }}`) all read alike once detemplated.
            index = item.line_of("valueFrom")
            indent = len(side.lines[index]) - len(side.lines[index].lstrip(" -")) if index < len(side.lines) else 0
            block = []
            for text in side.lines[index + 1:]:
                if text.strip() and len(text) - len(text.lstrip()) <= indent:
                    break
                block.append(text.strip())
            return " ".join(block) or None
        return None

    # -- monitoring -------------------------------------------------------------------------------------
    def scrape_annotation(self) -> None:
        """``prometheus.io/scrape: "true"`` dropped from an object or its pods: annotation-based scrape
        configs stop scraping it, and nothing fails: the targets just disappear."""
        if self.before is None:
            return
        for path in (("",), ("spec", "template")):
            old_node = self.before if path == ("",) else _get(self.before, *path)
            node = self.after if path == ("",) else _get(self.after, *path)
            old_annotations, annotations = _annotations(old_node), _annotations(node)
            if not _scrape_on(old_annotations) or _scrape_on(annotations):
                continue
            if re.search(r"prometheus\.io/scrape[\"']?\s*:\s*[\"']?true", self.context.added_text, re.IGNORECASE):
                continue  # written again elsewhere (values.yaml, another template branch)
            assert old_annotations is not None
            where = "its pods" if path != ("",) else "it"
            self.emit("K8S-MONITORING-DROPPED", "old", self.old_line(old_annotations, SCRAPE_ANNOTATION),
                      f"loses the `{SCRAPE_ANNOTATION}: \"true\"` annotation: Prometheus scrape configs that select targets by "
                      f"it stop scraping {where}, silently (no alert fires for a target that is no longer discovered).")

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
        if any(isinstance(rule, Map) and not rule for rule in spec.get("ingress") or []):
            return  # an empty ingress rule (`- {}`) admits every source: no client loses access
        if WORKLOAD_ADDED.search(self.context.added_text):
            return  # it comes with the workload it protects
        self.emit("K8S-NETWORK-POLICY-ADDED", "new", self.new_line(self.after, "kind"),
                  "a new ingress NetworkPolicy selects pods that already run: every client it does not allow "
                  "(dashboards, scrapers, other services) loses access to them at the next apply.")

    # -- privileges ----------------------------------------------------------------------------------
    def privileged(self, line: int, message: str, setting: str | None, severity: str | None = None) -> None:
        """A K8S-PRIVILEGED finding, lowered where the privilege is not new to the cluster's workloads.

        ``setting`` (e.g. ``privileged: true``) is removed elsewhere in the change while this object is
        new: the object replaces one that already had it (a Pod rewritten as a controller, a manifest
        moved to another folder). Any other new object is a new component (Judge.emit: medium).
        """
        if self.before is None and setting is not None and _removed_setting(self.context, setting):
            self.emit("K8S-PRIVILEGED", "new", line, f"{message} Lowered to low: the same `{setting}` is removed elsewhere in "
                      "the change (the object replaces one that already had it).", severity="low")
            return
        self.emit("K8S-PRIVILEGED", "new", line, message, severity=severity)

    def privileges(self) -> None:
        spec = _pod_spec(self.after)
        if spec is None:
            return
        old_spec = _pod_spec(self.before) if self.before is not None else None
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(field) is True and not (old_spec is not None and old_spec.get(field) is True):
                self.privileged(self.new_line(spec, field),
                                f"`{field}: true` puts the pod in the node's namespaces: a compromise of it reaches the node.",
                                f"{field}: true")
        old_paths = {str(_get(v, "hostPath", "path")) for v in _list(old_spec.get("volumes") if old_spec else None) if _get(v, "hostPath")}
        old_host_volumes = {str(v.get("name")): str(_get(v, "hostPath", "path"))
                            for v in _list(old_spec.get("volumes") if old_spec else None) if _get(v, "hostPath", "path") is not None}
        volumes = spec.get("volumes")
        for index, volume in enumerate(_list(volumes)):
            host_path = _get(volume, "hostPath", "path")
            if host_path is not None and str(host_path) not in old_paths:
                read_only = _mounts_read_only(spec, _get(volume, "name"))
                benign = _benign_host_path(str(host_path), read_only)
                if benign is None and str(host_path).strip() == PLACEHOLDER:
                    benign = "the path is a chart value: only an install that sets it mounts anything"
                previous = old_host_volumes.get(str(_get(volume, "name")))
                if benign is None and read_only and previous is not None and old_spec is not None and \
                        _mounts_read_only(old_spec, _get(volume, "name")):
                    # The workload already had the node's files in view through this volume, read-only: the
                    # path moves (a fix of where it points), the kind of access does not. Read-only, it cannot
                    # plant anything (a binary, a cron entry, a kubelet manifest) the node then runs.
                    benign = (f"the volume {_get(volume, 'name')} already mounted the node's {previous} read-only, and every "
                              "container still mounts it read-only: the path it points at changes, not the kind of access "
                              "(read, never write). Medium: check what the new path exposes")
                if benign is None and old_spec is not None:
                    benign = _inside_held_mount(str(host_path), read_only, old_spec) \
                        or _privileged_before(spec, old_spec, _get(volume, "name"))
                self.privileged(self.new_line(volumes, index=index),
                                f"mounts the node's {host_path} (hostPath): "
                                + (f"{benign}." if benign else "the container can read or change the node's files."),
                                f"path: {host_path}" if str(host_path).strip() != PLACEHOLDER else None,
                                severity="medium" if benign else None)
        self._security_context(spec.get("securityContext"), old_spec.get("securityContext") if old_spec else None, "the pod")
        old_containers = {}
        for field in ("initContainers", "containers", "ephemeralContainers"):
            old_containers.update(_containers(old_spec, field))
        for field in ("initContainers", "containers", "ephemeralContainers"):
            renamed = _paired(spec, old_spec, field) if old_spec is not None else {}
            for name, container in _containers(spec, field).items():
                previous = old_containers.get(name, renamed.get(name))
                old_context = previous.get("securityContext") if previous is not None else None
                if previous is not None and previous.get("privileged") is True:
                    # The pre-v1 API (v1beta1-3) wrote `privileged: true` on the container itself: moved into
                    # securityContext by a conversion to v1, it was already privileged.
                    merged = Map()
                    merged.update(old_context if isinstance(old_context, Map) else {})
                    merged["privileged"] = True
                    old_context = merged
                self._security_context(container.get("securityContext"), old_context, f"container {name}")

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
                    self.privileged(self.new_line(context, field), f"{who} {why}.", f"{field}: {str(bad).lower()}")
        added = _get(context, "capabilities", "add")
        before = {str(c) for c in _scalars(_get(old, "capabilities", "add"))}
        held = _capability_superset(before, old)
        for index, capability in enumerate(_scalars(added)):
            if str(capability) not in before:
                severe = str(capability).upper() in ("SYS_ADMIN", "ALL", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH")
                message = f"{who} gains the Linux capability {capability}" + (" (close to root on the node)." if severe else ".")
                severity = "high" if severe else "medium"
                if held is not None and str(capability).upper() not in ("ALL", "CAP_ALL"):
                    message += f" {held[1]}"
                    severity = held[0] if SEVERITY_ORDER.index(held[0]) < SEVERITY_ORDER.index(severity) else severity
                self.privileged(self.new_line(added, index=index), message, None, severity=severity)

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
        renamed = {id(old): name for name, old in _paired(spec, old_spec).items()}
        new_containers = _containers(spec)
        for name, old_container in _containers(old_spec).items():
            container = new_containers.get(renamed.get(id(old_container), name))
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

    def _old_template_moves_with_releases(self, old_spec: Map) -> bool:
        """The old side's pod template lines (from ``template:`` to the end of the object) render the image tag or
        the chart's app version, themselves or through the chart's helpers (helm_template.renders_release_version)."""
        from reviewer_app.core.risk.structure import helm_template

        if not self.sides.old.exists or "template" not in old_spec:
            return False
        lines = self.sides.old.text.splitlines()
        start = old_spec.line_of("template")
        if not 0 <= start < len(lines):
            return False
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("---")), len(lines))
        return helm_template.renders_release_version(lines[start:end], self.context,
                                                     self.sides.diff.old_path or self.sides.diff.path, "old")

    def _rendered_on_install_only(self) -> bool:
        """The new template renders the object only inside ``{{ if .Release.IsInstall }}`` (or ``if not
        .Release.IsUpgrade``, or an ``and`` holding one of them): an upgrade leaves it out of the release, and Helm
        deletes the old one rather than patching it."""
        from reviewer_app.core.risk.structure import helm_template

        lines = self.sides.new.text.splitlines()
        start = self.after.line
        if not 0 <= start < len(lines):
            return False
        return any(INSTALL_ONLY.match(scope) for scope in helm_template._scopes(lines)[start])

    def _hook_by_default(self) -> bool:
        """The object's annotations are a chart value inserted whole (``{{- with .Values.job.annotations }}`` /
        ``toYaml``) whose default in the new values.yaml holds ``helm.sh/hook``. Helm merges a release's own values
        into that map key by key, so every release keeps the hook unless it sets the key to null."""
        metadata = _get(self.after, "metadata")
        if not isinstance(metadata, Map) or "annotations" not in metadata:
            return False
        values = _chart_values(self.context, self.sides.diff.path, "new")
        if not values:
            return False
        from reviewer_app.core.risk.structure import helm_template

        lines = self.sides.new.text.splitlines()
        start = metadata.line_of("annotations")
        if not 0 <= start < len(lines):
            return False
        depth = len(lines[start]) - len(lines[start].lstrip())
        scopes = helm_template._scopes(lines)
        for index in range(start + 1, len(lines)):
            line = lines[index]
            if line.strip() and not line.strip().startswith("{{") and len(line) - len(line.lstrip()) <= depth:
                break  # the next key of metadata: the annotations block ends
            # What the line inserts (`toYaml .` inside `with .Values.job.annotations` reads job.annotations).
            for path in helm_template._output_reads(line, scopes[index], {}):
                if _holds_hook(helm_template._lookup(values, ".".join(path))):
                    return True
        return False

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
        # The tool that updates the object in place: Helm for a chart's template, kubectl for a plain manifest.
        chart = _chart_of(self.context, self.sides) is not None
        if chart and self._rendered_on_install_only():
            return  # `helm upgrade` never renders it, so never updates it in place
        tool = "`helm upgrade`" if chart else "`kubectl apply`"
        if kind == "StatefulSet":
            fields = [f for f in set(spec) | set(old_spec) if f not in STATEFULSET_MUTABLE]
        elif kind in ("Deployment", "DaemonSet", "ReplicaSet"):
            fields = ["selector"]
        elif kind == "Service":
            fields = ["clusterIP", "clusterIPs"] if old_spec.get("clusterIP") not in (None, "") else []
        elif kind == "Job":
            # A Helm hook Job of a chart is deleted and created again by each upgrade: its template may change.
            # In a plain manifest the annotation means nothing to `kubectl apply`: judged like any Job.
            hook = _holds_hook(_get(self.after, "metadata", "annotations")) or chart and self._hook_by_default()
            fields = [] if hook and chart else ["selector", "template", "completionMode"]
        elif kind == "PersistentVolumeClaim":
            fields = ["storageClassName", "accessModes", "volumeName", "volumeMode", "selector"]
        else:
            fields = []
        for field in sorted(fields):
            if _plain(spec.get(field)) == _plain(old_spec.get(field)):
                continue
            if _stored(kind, field, spec.get(field)) == _stored(kind, field, old_spec.get(field)):
                # Only a value the API server fills in anyway (apiVersion v1 and kind PersistentVolumeClaim of a
                # claim template, volumeMode Filesystem, podManagementPolicy OrderedReady): the stored object is the same.
                continue
            if field == "selector" and self.selectors_alike:
                continue
            versioned = field == "selector" and "/templates/" in f"/{self.sides.diff.path}" and _old_selector_versioned(self)
            if old_spec.get(field) is None and field not in NO_SERVER_DEFAULT:
                # Written out where the old manifest left it to the API server's default (a selector
                # from the template's labels, the default storage class): most likely the same value.
                continue
            side, line = ("new", _changed_within(self.sides.new, spec, field)) if field in spec else \
                ("old", _changed_within(self.sides.old, old_spec, field))
            readme = _created_fresh(self.context, self.sides.diff.path)
            # A Job of a plain manifest: `kubectl apply` refuses that Job alone and applies the file's other
            # objects, and a Job that has finished holds nothing that deleting it loses. (A chart's Job keeps its
            # level: `helm upgrade` marks the whole release failed, and `--atomic` rolls every object back.)
            job = kind == "Job" and not chart and not readme and not versioned
            # A chart's Job whose old pod template already renders what each release moves (the image tag, the app
            # version): every upgrade to a new version already changed it and was refused the same way.
            moving = kind == "Job" and field == "template" and chart and not readme and not versioned \
                and self._old_template_moves_with_releases(old_spec)
            # The old selector did not select the old pod template's labels: the API server rejects such a
            # workload, so no object was ever created from the old side to be updated in place.
            stillborn = field == "selector" and kind in ("Deployment", "DaemonSet", "ReplicaSet", "StatefulSet") and \
                not readme and not versioned and not chart and "{{" not in self.sides.old.text and \
                _selects(old_spec.get("selector"), _get(old_spec, "template", "metadata", "labels")) is False
            self.emit("K8S-IMMUTABLE-FIELD", side, line,
                      f"spec.{field} cannot be changed on an existing {kind}: {tool} fails on it "
                      "until the object is deleted and recreated"
                      + (" (the volume claims keep the old template)." if field == "volumeClaimTemplates" else ".")
                      + (" Medium: only this Job is refused; `kubectl apply` still applies the file's other objects, "
                         "and a Job that has finished holds nothing that deleting it loses: delete it (or give it "
                         "ttlSecondsAfterFinished) and the next apply creates it from the new template."
                         if job else "")
                      + (f" Medium: {readme} beside the manifest deploys it with `kubectl create -f` and never applies or "
                         "replaces it: `create` makes new objects and refuses existing ones, so the documented way never "
                         "updates a running object in place." if readme else "")
                      + (" Medium: the old selector held the chart's version (`.Chart.Version`), which every release "
                         "changes: every upgrade of an existing install already failed on it, whatever this change writes."
                         if versioned else "")
                      + (" Medium: the old pod template already renders what each release moves (the image tag or the "
                         "chart's app version), so every upgrade to a new version already changed this Job's template "
                         "and was refused the same way: installs already delete the finished Job (or it expires) before "
                         "an upgrade; this change adds no failure a version bump does not." if moving else "")
                      + (f" Low: the old selector ({_selector_text(old_spec.get('selector'))}) does not select the old pod "
                         f"template's labels ({_selector_text(_get(old_spec, 'template', 'metadata', 'labels'))}), which the "
                         f"API server rejects: no {kind} could be created from the old manifest, so there is none to update "
                         "in place; the change fixes a manifest that never applied." if stillborn else ""),
                      severity="low" if stillborn else "medium" if readme or versioned or job or moving else None)


# A block action that renders only at `helm install`: `if .Release.IsInstall`, `if not .Release.IsUpgrade`, or an
# `and` of such a test with others (an `or`, or an else branch, may render at an upgrade too).
INSTALL_ONLY = re.compile(r"if (?:\(?and\b(?!.*\bor\b)(?!.*\bnot \.Release\.IsInstall)[^|]*(?<!not )"
                          r"(?:\.Release\.IsInstall\b|\(?not \.Release\.IsUpgrade\b)"
                          r"|\.Release\.IsInstall\s*$|\(?not \.Release\.IsUpgrade\)?\s*$)")


def _chart_of(context: ChangeContext, sides: FileSides) -> str | None:
    """The folder of the Helm chart whose ``templates/`` holds the file (a Chart.yaml beside that ``templates/``
    on either side of the change, or Go template actions in the file), else None: a plain manifest, applied
    with kubectl. Without the repository at hand, a path under ``templates/`` counts as a chart's template."""
    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    parts = (sides.diff.path or "").split("/")
    if "templates" not in parts[:-1]:
        return None
    chart = "/".join(parts[:len(parts) - 1 - parts[::-1].index("templates")])
    change = context.change
    repo = repository_for(change.base, change.head)
    if repo is None or any("{{" in side.text for side in (sides.old, sides.new) if side.exists):
        # No repository to read, or Go template actions (Helm's syntax, which kubectl cannot apply).
        return chart or "."
    cache = context.memo("k8s_charts")
    if chart not in cache:
        prefix = f"{chart}/" if chart else ""
        cache[chart] = any(git_output(repo, "cat-file", "-e", f"{revision}:{prefix}Chart.yaml") is not None
                           for revision in (change.head, change.base) if revision)
    return (chart or ".") if cache[chart] else None


def _old_selector_versioned(judge: "Judge") -> bool:
    from reviewer_app.core.risk.structure import helm_template

    return helm_template.old_selector_versioned(judge.sides, judge.context)


# Values the API server writes where a manifest leaves them out: writing them out, or dropping them, changes
# nothing stored. (kind, field) -> {key: default} at the field's level; claim templates per entry.
SERVER_DEFAULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("StatefulSet", "podManagementPolicy"): {"": "OrderedReady"},
    ("PersistentVolumeClaim", "volumeMode"): {"": "Filesystem"},
}
CLAIM_TEMPLATE_DEFAULTS = {"apiVersion": "v1", "kind": "PersistentVolumeClaim"}


def _stored(kind: Any, field: str, value: Any) -> Any:
    """A field's value as the API server stores it, for the defaults it fills in (None for a default left out)."""
    value = _plain(value)
    if field == "selector" and kind != "Service" and isinstance(value, dict):
        return _label_selector(value)
    if kind == "StatefulSet" and field == "volumeClaimTemplates" and isinstance(value, list):
        stored = []
        for entry in value:
            if isinstance(entry, dict):
                entry = {k: v for k, v in entry.items() if CLAIM_TEMPLATE_DEFAULTS.get(k, object()) != v}
                claim = entry.get("spec")
                if isinstance(claim, dict) and claim.get("volumeMode") == "Filesystem":
                    entry["spec"] = {k: v for k, v in claim.items() if k != "volumeMode"}
            stored.append(entry)
        return stored
    default = SERVER_DEFAULTS.get((str(kind), field))
    if default is not None and value == default[""]:
        return None
    return value


def _selects(selector: Any, labels: Any) -> bool | None:
    """Whether a workload's label selector selects a pod template's labels: True, False, or None when it cannot
    be read (templated or non-string values, an unknown operator, no selector or labels written)."""
    if not isinstance(selector, dict) or not selector or not isinstance(labels, dict):
        return None
    def plain(value: Any) -> bool:
        return isinstance(value, (str, int, float, bool)) and PLACEHOLDER not in str(value) and "{{" not in str(value)
    if not all(plain(k) and plain(v) for k, v in labels.items()):
        return None
    have = {str(k): str(v) for k, v in labels.items()}
    if not ({"matchLabels", "matchExpressions"} & set(selector)):
        selector = {"matchLabels": selector}  # the pre-LabelSelector form: a bare label map
    required = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if set(selector) - {"matchLabels", "matchExpressions"} or not isinstance(required, dict) or not isinstance(expressions, list):
        return None
    if not all(plain(k) and plain(v) for k, v in required.items()):
        return None
    matched = all(have.get(str(k)) == str(v) for k, v in required.items())
    for expression in expressions:
        if not isinstance(expression, dict) or not plain(expression.get("key")):
            return None
        key, operator, values = str(expression["key"]), expression.get("operator"), expression.get("values") or []
        if not isinstance(values, list) or not all(plain(v) for v in values):
            return None
        if operator == "In":
            matched = matched and have.get(key) in {str(v) for v in values}
        elif operator == "NotIn":
            matched = matched and have.get(key) not in {str(v) for v in values}
        elif operator == "Exists":
            matched = matched and key in have
        elif operator == "DoesNotExist":
            matched = matched and key not in have
        else:
            return None
    return matched


def _selector_text(value: Any) -> str:
    """A selector or label map in one line (``app: a, tier: b``)."""
    value = _plain(value)
    if isinstance(value, dict) and "matchLabels" in value and len(value) == 1:
        value = value["matchLabels"]
    if isinstance(value, dict) and all(not isinstance(v, (dict, list)) for v in value.values()):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _label_selector(value: dict) -> Any:
    """A workload's label selector in one form: the labels it requires (key -> value) and its other
    expressions. The pre-LabelSelector form (a bare label map, as extensions/v1beta1 Deployments wrote it),
    ``matchLabels`` and a ``matchExpressions`` entry ``In`` with one value all require the same labels:
    rewriting one as another selects the same pods and stores the same requirement."""
    if not ({"matchLabels", "matchExpressions"} & set(value)):
        if all(isinstance(v, (str, int, float, bool)) for v in value.values()):
            return {"labels": {str(k): str(v) for k, v in value.items()}, "expressions": []}
        return value
    labels = value.get("matchLabels") or {}
    if not isinstance(labels, dict):
        return value
    required = {str(k): str(v) for k, v in labels.items()}
    others = []
    for expression in value.get("matchExpressions") or []:
        if isinstance(expression, dict) and expression.get("operator") == "In" and \
                isinstance(expression.get("values"), list) and len(expression["values"]) == 1 and \
                required.get(str(expression.get("key")), str(expression["values"][0])) == str(expression["values"][0]):
            required[str(expression.get("key"))] = str(expression["values"][0])
        else:
            others.append(expression)
    extra = {k: v for k, v in value.items() if k not in ("matchLabels", "matchExpressions")}
    return {"labels": required, "expressions": others, **extra}


DATASTORES = frozenset({"mysql", "mariadb", "postgres", "postgresql", "mongo", "mongodb", "elasticsearch", "cassandra",
                        "redis", "couchdb", "cockroach", "cockroachdb", "etcd", "zookeeper", "rabbitmq", "kafka",
                        "opensearch", "influxdb", "neo4j", "clickhouse-server", "memcached"})


# An image built for a sample or a demo (gcr.io/google-samples/cassandra:v13) numbers its own builds:
# its tag says nothing of the data store's version.
OWN_BUILD_REPOSITORY = re.compile(r"(^|[/_.-])(samples?|examples?|demos?)([/_.-]|$)", re.IGNORECASE)
BUILD_NUMBER_TAG = re.compile(r"^v\d+$")


def _image(value: Any) -> tuple[str, int | None] | None:
    """(repository basename, major version) of an image reference; None when it is not a plain string.

    The version is None where the tag is not the data store's own version: a sample or demo
    image's tag, or a bare build number (``v12``, which no official data store image uses).
    """
    if not isinstance(value, str) or "{{" in value or "TEMPLATED" in value:
        return None
    reference = value.split("@", 1)[0]
    name, _, tag = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (reference, "", "")
    major = re.match(r"v?(\d+)", tag)
    if OWN_BUILD_REPOSITORY.search(name.rsplit("/", 1)[0] if "/" in name else "") or BUILD_NUMBER_TAG.match(tag):
        major = None
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


README_NAMES = ("README.md", "README", "README.markdown", "README.rst", "README.txt")
UPDATE_IN_PLACE = re.compile(r"\bkubectl\s+(apply|replace|patch|edit|set)\b|\bhelm\s+upgrade\b|\bkustomize\b")


SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")


def _capability_superset(before: set[str], old_context: Map) -> tuple[str, str] | None:
    """(severity, reason) when the container already held what a new capability adds: it ran privileged or with
    every capability (low), or with SYS_ADMIN, which already reaches root on the node (medium). None otherwise."""
    names = {c.upper().removeprefix("CAP_") for c in before}
    if old_context.get("privileged") is True:
        return ("low", "Low: the container already ran privileged (every capability of the node), so this adds no "
                       "privilege it did not have.")
    if "ALL" in names:
        return ("low", "Low: the container already held every capability (`ALL`), so this adds no privilege it did not have.")
    if "SYS_ADMIN" in names:
        return ("medium", "Medium: the container already held SYS_ADMIN (mounts, namespaces: root on the node in "
                          "practice), so this is no new privilege level.")
    return None


def _created_fresh(context: ChangeContext, path: str | None) -> str | None:
    """The README in the manifest's folder (on the change's new side) when it deploys this manifest with
    ``kubectl create -f`` and nowhere updates objects in place (apply, replace, patch, ``helm upgrade``):
    a walkthrough whose readers create the objects anew. None otherwise, and when the repository is not
    at hand (the diff alone shows no README)."""
    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    change = context.change
    if not path or not change.head:
        return None
    repo = repository_for(change.base, change.head)
    if repo is None:
        return None
    folder, _, name = path.rpartition("/")
    created = re.compile(rf"\bkubectl\s+create\s+(-\S+\s+)*-f\s+(\S*/)?{re.escape(name)}(\?\S*)?(\s|$)", re.MULTILINE)
    for readme in README_NAMES:
        where = f"{folder}/{readme}" if folder else readme
        shown = git_output(repo, "show", f"{change.head}:{where}")
        if shown is None:
            continue
        text = shown.decode("utf-8", "replace")
        if created.search(text) and not UPDATE_IN_PLACE.search(text):
            return where
    return None


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


def _removed_setting(context: ChangeContext, setting: str) -> bool:
    """``key: value`` (quotes and case aside) is on a removed line of the change."""
    key, _, value = setting.partition(":")
    pattern = re.compile(rf"^\s*(-\s*)?{re.escape(key.strip())}\s*:\s*[\"']?{re.escape(value.strip())}[\"']?\s*(#.*)?$",
                         re.IGNORECASE | re.MULTILINE)
    return pattern.search(_removed_text(context)) is not None


def _removed_text(context: ChangeContext) -> str:
    """Every removed line of the change, one text (cached on the context)."""
    cached = getattr(context, "_k8s_removed", None)
    if cached is None:
        from reviewer_app.core.model import LineKind

        cached = "\n".join(line.text for diff in context.change.files for hunk in diff.hunks
                           for line in hunk.lines if line.kind is LineKind.REMOVED)
        setattr(context, "_k8s_removed", cached)
    return cached


def _short_lived_hook(obj: Map) -> bool:
    """A Helm hook object deleted once its hook succeeds (``helm.sh/hook-delete-policy: hook-succeeded``)."""
    annotations = _annotations(obj)
    if not _holds_hook(annotations):
        return False
    return "hook-succeeded" in str(annotations.get("helm.sh/hook-delete-policy", ""))


def _holds_hook(annotations: Any) -> bool:
    """Annotations (a map) that make their object a Helm hook (``helm.sh/hook``)."""
    return isinstance(annotations, dict) and any(str(key) == "helm.sh/hook" for key in annotations)


def _app_version_changed(context: ChangeContext) -> bool:
    """The change sets a chart's appVersion (the application the templates deploy moves on)."""
    for diff in context.change.files:
        if diff.path.endswith("Chart.yaml"):
            for hunk in diff.hunks:
                for line in hunk.lines:
                    if line.kind.name == "ADDED" and re.match(r"^\s*appVersion\s*:", line.text):
                        return True
    return False


REVERTS = re.compile(r"\bThis reverts commit ([0-9a-f]{7,40})\b")


def _rename_undone(context: ChangeContext, path: str, old_name: str, new_name: str) -> str | None:
    """The commit this change reverts (``This reverts commit <sha>`` in its message) when that commit
    itself renamed ``new_name`` to ``old_name`` in ``path``: the parent of the reverted commit reads
    ``new_name`` and not ``old_name``, the reverted commit the other way round. None otherwise, and
    when the repository is not at hand (the message alone proves nothing)."""
    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    change = context.change
    shas = REVERTS.findall(change.message or "")
    if not shas:
        return None
    repo = repository_for(change.base, change.head)
    if repo is None:
        return None

    def text(revision: str) -> str | None:
        shown = git_output(repo, "show", f"{revision}:{path}")
        return None if shown is None else shown.decode("utf-8", "replace")

    def names(body: str | None, name: str) -> bool:
        return body is not None and re.search(rf"name\s*:\s*[\"']?{re.escape(name)}[\"']?\s*$", body, re.MULTILINE) is not None

    for sha in shas:
        before, after = text(f"{sha}^"), text(sha)
        if names(before, new_name) and not names(before, old_name) and names(after, old_name) and not names(after, new_name):
            return sha
    return None


def _env(container: Map) -> dict[str, tuple[Map, Any]]:
    """name -> (the env item, its value or valueFrom) of a container's literal env list."""
    items = container.get("env")
    return {str(item["name"]): (item, _plain(item.get("value", item.get("valueFrom"))))
            for item in _list(items) if isinstance(item.get("name"), str) and PLACEHOLDER not in item["name"]}


def _annotations(node: Any) -> Map | None:
    value = _get(node, "metadata", "annotations")
    return value if isinstance(value, Map) else None


def _scrape_on(annotations: Map | None) -> bool:
    return annotations is not None and str(annotations.get(SCRAPE_ANNOTATION, "")).strip("\"'").lower() == "true"
