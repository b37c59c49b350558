"""Helm chart templates judged by their text, where YAML cannot parse them (Go template actions).

A template is not YAML until it is rendered, but two hazards read plainly from its text:
  * **selector labels changed.** A workload's ``spec.selector`` is immutable: when the labels
    it matches change (a ``define "*.selectorLabels"`` / ``"*.matchLabels"`` helper whose body
    changes, or the ``matchLabels:`` block of a Deployment, StatefulSet or DaemonSet template),
    ``helm upgrade`` fails on every existing install until the object is deleted by hand. A
    selector that holds the chart's version changes at every release, so every upgrade fails.
    A chart added whole, or a helper only re-indented or re-trimmed (``{{-``), is no change; nor are
    labels moved into (or out of) a helper that renders them alike (the chart's helpers of each side
    are read to compare what the selector renders).
  * **a PersistentVolumeClaim template deleted.** ``helm upgrade`` deletes the objects a release
    no longer renders: the claim goes, and with most storage classes its volume and data too.
"""

from __future__ import annotations

import re
from pathlib import Path

from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.texts import FileSides, Side

DEFINE = re.compile(r"""\{\{-?\s*define\s+"(?P<name>[^"]+)"\s*-?\}\}""")
END = re.compile(r"\{\{-?\s*end\s*-?\}\}")
BLOCK_OPEN = re.compile(r"\{\{-?\s*(if|with|range|define|block)\b")
SELECTOR_HELPER = re.compile(r"(selector|matchlabels)", re.IGNORECASE)
MATCH_LABELS = re.compile(r"^(?P<indent>\s*)matchLabels\s*:\s*$")
SELECTOR_KEY = re.compile(r"^\s*selector\s*:\s*$")
WORKLOAD_KIND = re.compile(r"^\s*kind\s*:\s*[\"']?(Deployment|StatefulSet|DaemonSet|ReplicaSet)\b", re.MULTILINE)
PVC_KIND = re.compile(r"^\s*kind\s*:\s*[\"']?PersistentVolumeClaim\b")
PVC_ADDED = re.compile(r"^\s*kind\s*:\s*[\"']?PersistentVolumeClaim\b", re.MULTILINE)
CHART_VERSION = re.compile(r"\.Chart\.(AppVersion|Version)\b")
TRIM = re.compile(r"\{\{-\s*|\s*-\}\}")


ACTION = re.compile(r"\{\{.*?\}\}")
ACTION_WORD = re.compile(r"\{\{-?\s*(?P<word>if|with|range|define|block|else|end)\b")
ONLY_ACTIONS = re.compile(r"^\s*(\{\{.*?\}\}\s*)+$")
PLACEHOLDER = "TEMPLATED"


def detemplate(text: str) -> str:
    """The template's YAML skeleton, line for line: action-only lines blanked, inline actions replaced.

    Both branches of a conditional stay (a later duplicate key wins), and what an ``include`` or
    ``toYaml`` would insert is unknown (the key reads as empty): enough to read the literal
    structure a template writes out (RBAC rules, probes, security settings, selectors), never to
    judge what it renders from values.
    """
    lines = text.split("\n")
    out: list[str] = []
    in_comment = False
    # One frame per open block: True while in its else branch, whose lines are left out (an else
    # branch often writes the same keys elsewhere, e.g. volumes instead of volumeClaimTemplates).
    frames: list[bool] = []
    for line in lines:
        skipping = any(frames)
        for action in ACTION_WORD.finditer(line):
            word = action.group("word")
            if word in ("if", "with", "range", "define", "block"):
                frames.append(False)
            elif word == "else" and frames:
                frames[-1] = True
            elif word == "end" and frames:
                frames.pop()
        if skipping or (any(frames) and ONLY_ACTIONS.match(line)):
            out.append("")
            continue
        if in_comment:
            out.append("")
            in_comment = "*/}}" not in line and "*/ -}}" not in line
            continue
        if re.match(r"^\s*\{\{-?\s*/\*", line) and "*/" not in line:
            out.append("")
            in_comment = True
            continue
        if ONLY_ACTIONS.match(line):
            out.append("")
            continue
        out.append(ACTION.sub(PLACEHOLDER, line))
    # `- {{ toYaml $item }}` or `key: {{ toYaml . }}` followed by deeper lines: the item or key
    # holds those lines, the placeholder would make it a scalar.
    for index, line in enumerate(out):
        bare = re.sub(r"(^\s*-|:)\s+" + PLACEHOLDER + r"\s*$", r"\1", line)
        if bare != line and _deeper_follows(out, index):
            out[index] = bare
    return "\n".join(out)


def _deeper_follows(lines: list[str], index: int) -> bool:
    indent = len(lines[index]) - len(lines[index].lstrip())
    for follow in lines[index + 1:]:
        if follow.strip():
            return len(follow) - len(follow.lstrip()) > indent
    return False


def judge(sides: FileSides, emit: Emitter, context: ChangeContext) -> None:
    """Emit the findings that a template's text shows (see the module comment)."""
    if sides.old.exists and sides.new.exists and sides.complete:
        _selector_helpers(sides, emit, context)
        _match_labels(sides, emit, context)
    if sides.old.exists and not sides.new.exists:
        _pvc_deleted(sides, emit, context)


# `template` and `include` render a named template alike, and `indent` and `nindent` differ only by a
# leading newline, which the YAML around a selector absorbs: rewriting one as the other changes no label.
SAME_RENDERING = ((re.compile(r"\{\{ template \""), '{{ include "'), (re.compile(r"\|\s*nindent\b"), "| indent"))


# A label's value written as one action, quoted or not (`key: {{ .Release.Name | quote }}`, `key: "{{ .Release.Name }}"`):
# a label value is a string, so an old unquoted rendering that applied was one, and quoting it renders the same.
QUOTED_ACTION = re.compile(r'^(?P<key>[\w./-]+: )(?:"\{\{ (?P<a>[^{}"]*?) \}\}"|\{\{ (?P<b>[^{}"]*?) \| s?quote \}\})$')


def _normal(line: str) -> str:
    text = re.sub(r"\s+", " ", TRIM.sub("{{ ", line.replace("-}}", "}}"))).strip()
    for pattern, replacement in SAME_RENDERING:
        text = pattern.sub(replacement, text)
    quoted = QUOTED_ACTION.match(text)
    if quoted:
        text = f"{quoted.group('key')}{{{{ {quoted.group('a') or quoted.group('b')} }}}}"
    return text


def _defines(side: Side) -> dict[str, list[int]]:
    """define name -> 0-based indices of its body lines (nested blocks followed to their end)."""
    found: dict[str, list[int]] = {}
    lines = side.lines
    index = 0
    while index < len(lines):
        match = DEFINE.search(lines[index])
        if not match:
            index += 1
            continue
        depth, body = 1, []
        index += 1
        while index < len(lines) and depth:
            line = lines[index]
            depth += len(BLOCK_OPEN.findall(line)) - len(END.findall(line))
            if depth > 0:
                body.append(index)
            index += 1
        found[match.group("name")] = body
    return found


def _selector_helpers(sides: FileSides, emit: Emitter, context: ChangeContext) -> None:
    old, new = _defines(sides.old), _defines(sides.new)
    for name, body in new.items():
        if not SELECTOR_HELPER.search(name.rsplit(".", 1)[-1]):
            continue
        before = old.get(name)
        new_text = [_normal(sides.new.lines[i]) for i in body if _normal(sides.new.lines[i])]
        if before is not None:
            old_text = [_normal(sides.old.lines[i]) for i in before if _normal(sides.old.lines[i])]
            if sorted(old_text) == sorted(new_text):
                continue
        elif _selectors_render_alike(context, sides.diff.path):
            # A new helper the chart's workloads now include in their selectors, writing the labels they
            # wrote out before: every rendered selector is what it was.
            continue
        # A selector helper new in an existing helpers file: the chart's selectors are being rewired
        # to it (a new chart comes as a file added whole, which is not judged here).
        line = _culprit(sides.new, body)
        if not line:
            continue
        uses = _label_only_uses(context, sides, name)
        if uses:
            emit.emit("K8S-IMMUTABLE-FIELD", "new", line,
                      f"the selector helper `{name}` changes, but no workload's spec.selector includes it: on both sides "
                      f"of the change the chart's templates include it only under `labels:` keys or in NOTES.txt ({uses}), "
                      "and labels may change on upgrade. Low: check that no selector spells out a label it drops.", severity="low")
            continue
        opt_in = _opt_in_only(sides, context, before, body) if before is not None else None
        if opt_in:
            emit.emit("K8S-IMMUTABLE-FIELD", "new", line,
                      f"the selector helper `{name}` gains labels from `{opt_in}`, which is unset by default: an existing "
                      "install renders the same selector and upgrades as before. Medium: setting or editing that value "
                      "later changes the immutable spec.selector, and that `helm upgrade` fails until the workload is "
                      "deleted.", severity="medium")
            continue
        if before is not None and _holds_chart_version([sides.old.lines[i] for i in before], _chart_helpers(
                context, sides.diff.old_path or sides.diff.path, "old") or {}):
            emit.emit("K8S-IMMUTABLE-FIELD", "new", line, VERSIONED_BEFORE.format(what=f"the selector helper `{name}`"),
                      severity="medium")
            continue
        _emit_selector(emit, line, f"the selector helper `{name}`" + (" (new)" if before is None else ""), sides.new, body)


# -- who includes a selector helper -----------------------------------------------------------------------
# A helper named "*.selectorLabels" may feed only the common labels (a chart that renders a custom resource
# and no Deployment). Its callers are read from the repository at each side of the change (not from the
# change alone): every literal `include`/`template` of it in the chart's templates, followed through the
# helpers that include it. Anything not read plainly keeps the finding (a dynamic include, a mention outside
# the chart's templates, a library chart, a caller whose YAML key is not read as `labels:`).
CALLED = re.compile(r'(?:include|template)\s+"(?P<name>[^"]+)"')
DYNAMIC_CALL = re.compile(r"(?:\binclude|\{\{-?\s*template)\s+(?:\$[\w.]*|\([^)]*\)?)")
DYNAMIC_CALL_ERE = r"(include|\{\{-?[[:space:]]*template)[[:space:]]+[($]"
KEY_WITH_ACTION = re.compile(r"^\s*(?:-\s+)?(?P<key>[\w./-]+)\s*:\s*\{\{")
KEY_OPENER = re.compile(r"^(?P<indent>\s*)(?:-\s+)?(?P<key>[\w./-]+)\s*:\s*$")
KEY_SCALAR = re.compile(r"^(?P<indent>\s*)[\w./\"'-]+\s*:\s*\S")
MAX_CALLERS = 50


def _label_only_uses(context: ChangeContext, sides: FileSides, name: str) -> str | None:
    """Where the chart includes the helper ``name`` (e.g. "cluster.labels -> templates/cluster.yaml"), when on
    both sides of the change every inclusion ends under a ``labels:`` key (or in NOTES.txt); None when any
    inclusion may reach a selector or cannot be read."""
    found: set[str] = set()
    for side, path in (("old", sides.diff.old_path or sides.diff.path), ("new", sides.diff.path)):
        uses = _uses_of(context, path, side, name)
        if uses is None:
            return None
        found |= uses
    if not found:
        return None
    shown = sorted(found)
    return ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")


def _chart_at(context: ChangeContext, path: str, side: str) -> tuple[str, str, Path] | None:
    """(the chart folder of ``path``, the revision of ``side``, the repository), None when one is unknown."""
    from reviewer_app.core.risk.structure.texts import repository_for

    chart = _chart_folder(path)
    change = context.change
    revision = change.base if side == "old" else change.head
    repo = repository_for(change.base, change.head)
    if chart is None or repo is None or not revision:
        return None
    return chart, revision, repo


def _uses_of(context: ChangeContext, path: str, side: str, name: str) -> set[str] | None:
    from reviewer_app.core.risk.structure.texts import git_output

    found = _chart_at(context, path, side)
    if found is None:
        return None
    chart, revision, repo = found
    cache = context.memo("helm_helper_uses")
    key = (revision, chart, name)
    if key in cache:
        return cache[key]
    cache[key] = None
    chart_yaml = _read(context, revision, f"{chart}/Chart.yaml" if chart else "Chart.yaml")
    if chart_yaml is None or re.search(r"^type\s*:\s*[\"']?library\b", chart_yaml, re.MULTILINE):
        return None  # a library chart's helpers are included by other charts, which are not read here
    folder = f"{chart}/templates/" if chart else "templates/"
    uses: set[str] = set()
    pending, seen = [name], {name}
    while pending:
        helper = pending.pop()
        callers = _callers(repo, revision, helper)
        if callers is None:
            return None
        for file, number, dynamic in callers:
            if dynamic:
                if file.startswith(chart + "/" if chart else ""):
                    return None  # an include whose name is computed may be this helper
                continue
            if not file.startswith(folder):
                return None  # mentioned outside the chart's templates (a subchart, a parent, a values string)
            text = _read(context, revision, file)
            if text is None:
                return None
            lines = text.split("\n")
            index = number - 1
            if index >= len(lines) or not any(m.group("name") == helper for m in CALLED.finditer(lines[index])):
                if DEFINE.search(lines[index] if index < len(lines) else "") or \
                        re.search(r"^\s*\{\{-?\s*/\*|^\s*#", lines[index] if index < len(lines) else ""):
                    continue  # the definition itself, or a comment naming it
                return None
            enclosing = _enclosing_define(lines, index)
            if enclosing is not None:
                if enclosing not in seen:
                    seen.add(enclosing)
                    pending.append(enclosing)
                continue
            shown = file[len(folder):]
            if shown == "NOTES.txt":
                uses.add(f"{helper} -> NOTES.txt")
                continue
            if file.endswith(".tpl") or _owning_key(lines, index) != "labels":
                return None
            uses.add(f"{helper} -> {shown}")
            if len(uses) > MAX_CALLERS:
                return None
    cache[key] = uses
    return uses


def _callers(repo, revision: str, name: str) -> list[tuple[str, int, bool]] | None:
    """(path, line, dynamic) of every line in the repository's template-like files that names the helper, or
    that includes a template whose name is computed (``include (printf "%s.labels" ...)``, ``include $name``;
    dynamic True). Including a template file by its path (``.Template.BasePath``) is no helper call."""
    from reviewer_app.core.risk.structure.texts import git_output

    spelled = "".join(c if c.isalnum() or c == "_" else f"[{c}]" for c in name)
    listed = git_output(repo, "grep", "-n", "--null", "-E", "-e", f'"{spelled}"', "-e", DYNAMIC_CALL_ERE, revision,
                        "--", "*.tpl", "*.yaml", "*.yml", "*.txt", "*.json")
    if listed is None:
        # No match (git grep exits 1) or a failure: a helper defined in the chart is always found.
        return None
    found = []
    for row in listed.decode("utf-8", "replace").splitlines():
        parts = row.split("\0", 2)
        if len(parts) < 3:
            return None
        file = parts[0].split(":", 1)[1] if ":" in parts[0] else parts[0]
        try:
            number = int(parts[1])
        except ValueError:
            return None
        dynamic = any(_may_name(call.group(0), name) for call in DYNAMIC_CALL.finditer(parts[2]))
        if f'"{name}"' in parts[2]:
            found.append((file, number, False))
        if dynamic:
            found.append((file, number, True))
    return found


COMPUTED_NAME = re.compile(r'\(\s*(?P<fn>printf|print)\s+(?P<args>(?:"[^"]*"\s*)+)')


def _may_name(call: str, name: str) -> bool:
    """Whether an include whose name is computed may include the helper ``name``: not when it includes a
    template file by its path (``.Template.BasePath``), nor when the name is built from literals that begin
    otherwise (``printf "%s%s" "cluster.color-" $x`` begins with "cluster.color-")."""
    if ".Template.BasePath" in call:
        return False
    computed = COMPUTED_NAME.search(call)
    if computed is None:
        return True
    literals = re.findall(r'"([^"]*)"', computed.group("args"))
    if computed.group("fn") == "print":
        prefix = "".join(literals)
    else:
        prefix, rest = literals[0], literals[1:]
        while rest and "%" in prefix and prefix[prefix.index("%"):].startswith("%s"):
            prefix = prefix.replace("%s", rest.pop(0), 1)
        prefix = prefix.split("%", 1)[0]
    shared = min(len(prefix), len(name))
    return prefix[:shared] == name[:shared]


def _enclosing_define(lines: list[str], index: int) -> str | None:
    """The name of the ``define`` whose body holds line ``index``, if any."""
    at = 0
    while at < len(lines):
        match = DEFINE.search(lines[at])
        if not match:
            at += 1
            continue
        start, depth = at, 1
        at += 1
        while at < len(lines) and depth:
            depth += len(BLOCK_OPEN.findall(lines[at])) - len(END.findall(lines[at]))
            at += 1
        if start < index < at:
            return match.group("name")
    return None


def _owning_key(lines: list[str], index: int) -> str | None:
    """The YAML key whose value a template line renders into: ``key: {{ include ... }}`` on the line itself,
    else the nearest ``key:`` opener above it, past blank lines, action-only lines and sibling ``k: v``
    entries of one indentation; None when the text around it is read any other way."""
    same_line = KEY_WITH_ACTION.match(lines[index])
    if same_line:
        return same_line.group("key")
    if not ONLY_ACTIONS.match(lines[index]):
        return None
    sibling: int | None = None
    for back in range(index - 1, -1, -1):
        text = lines[back]
        if not text.strip() or ONLY_ACTIONS.match(text):
            continue
        opener = KEY_OPENER.match(text)
        if opener:
            if sibling is not None and len(opener.group("indent")) >= sibling:
                return None
            return opener.group("key")
        scalar = KEY_SCALAR.match(text)
        if scalar and (sibling is None or len(scalar.group("indent")) == sibling):
            sibling = len(scalar.group("indent"))
            continue
        return None
    return None


def _opt_in_only(sides: FileSides, context: ChangeContext, before: list[int], body: list[int]) -> str | None:
    """The values (dotted) of the conditionals a helper's body gains, when under the chart's default values of
    each side the body renders the same lines as before: only an option left off by default is new."""
    from reviewer_app.core.risk.structure.kubernetes import _chart_values

    old_values = _chart_values(context, sides.diff.old_path or sides.diff.path, "old")
    new_values = _chart_values(context, sides.diff.path, "new")
    if old_values is None or new_values is None:
        return None
    old_body = "\n".join(sides.old.lines[i] for i in before)
    new_body = "\n".join(sides.new.lines[i] for i in body)
    gained = values_read(new_body, conditions_only=True) - values_read(old_body, conditions_only=True)
    if not gained:
        return None
    old_rendered = [_normal(line) for line in render_defaults(old_body, old_values)[0].split("\n") if _normal(line)]
    new_rendered = [_normal(line) for line in render_defaults(new_body, new_values)[0].split("\n") if _normal(line)]
    if sorted(old_rendered) != sorted(new_rendered):
        return None
    return ", ".join(sorted(gained))


VERSIONED_BEFORE = ("{what} changes which labels a workload's spec.selector matches, but the old selector held the chart's "
                    "version (`.Chart.Version`), which every release changes: every upgrade of an existing install already "
                    "failed on the immutable selector, whatever this change writes. Medium: existing installs still need the "
                    "workload deleted once; check that the new selector is stable.")


CHART_VERSION_ONLY = re.compile(r"\.Chart\.Version\b")
# What a chart's release moves: its version, its app version, or the image tag value (which the chart's own releases
# bump): `.Chart.AppVersion` (also `.context.Chart.AppVersion` inside a helper), `.Values.image.tag`, `.Values.tag`.
RELEASE_VERSIONED = re.compile(r"\bChart\.(?:App)?Version\b|\.Values(?:\.[A-Za-z0-9_]+)*\.(?:tag|imageTag|image_tag)\b")


def _holds_chart_version(lines: list[str], helpers: dict[str, list[str]], depth: int = 0,
                         pattern: re.Pattern[str] = CHART_VERSION_ONLY) -> bool:
    """The lines render the chart's version (``.Chart.Version``, or what ``pattern`` matches), themselves or through
    the helpers they include (followed anywhere on a line, e.g. ``helm.sh/chart: {{ include "x.chart" . }}``)."""
    for line in lines:
        if pattern.search(line):
            return True
        if depth < 5:
            for name in INCLUDED.findall(line):
                body = helpers.get(name)
                if body is not None and _holds_chart_version(body, helpers, depth + 1, pattern):
                    return True
    return False


def renders_release_version(lines: list[str], context: ChangeContext, path: str, side: str) -> bool:
    """The template lines render something each release of the chart moves (``RELEASE_VERSIONED``), themselves or
    through the chart's helpers on ``side``."""
    helpers = _chart_helpers(context, path, side)
    return helpers is not None and _holds_chart_version(lines, helpers, pattern=RELEASE_VERSIONED)


def old_selector_versioned(sides: FileSides, context: ChangeContext) -> bool:
    """Every ``selector: matchLabels:`` block of the template's old side renders the chart's version."""
    if not (sides.old.exists and sides.complete):
        return False
    blocks = _match_blocks(sides.old)
    helpers = _chart_helpers(context, sides.diff.old_path or sides.diff.path, "old") if blocks else None
    return bool(blocks) and helpers is not None and \
        all(_holds_chart_version([sides.old.lines[i] for i in block], helpers) for block in blocks)


def _culprit(side: Side, body: list[int]) -> int:
    """The changed line of a block, preferring one that puts the chart's version into it."""
    changed = [side.real_line(i) for i in body if side.real_line(i) in side.changed]
    versioned = [side.real_line(i) for i in body if side.real_line(i) in side.changed and CHART_VERSION.search(side.lines[i])]
    return (versioned or changed or [0])[0]


def _emit_selector(emit: Emitter, line: int, what: str, side: Side, body: list[int]) -> None:
    versioned = any(CHART_VERSION.search(side.lines[i]) for i in body)
    emit.emit("K8S-IMMUTABLE-FIELD", "new", line,
              f"{what} changes which labels a workload's spec.selector matches; the selector is immutable, so "
              "`helm upgrade` fails on every existing install until the Deployment, StatefulSet or DaemonSet is deleted"
              + (" — and it holds the chart's version, so it changes at every release." if versioned else "."),
              severity="critical" if versioned else None)


def _match_blocks(side: Side) -> list[list[int]]:
    """0-based line indices of each ``selector: matchLabels:`` block's body."""
    if not WORKLOAD_KIND.search(side.text):
        return []
    blocks: list[list[int]] = []
    lines = side.lines
    for index, line in enumerate(lines):
        match = MATCH_LABELS.match(line)
        if not match or index == 0 or not SELECTOR_KEY.match(_previous_content(lines, index)):
            continue
        indent = len(match.group("indent"))
        body = []
        for follow in range(index + 1, len(lines)):
            text = lines[follow]
            if not text.strip():
                continue
            if len(text) - len(text.lstrip()) <= indent:
                break
            body.append(follow)
        blocks.append(body)
    return blocks


SIMPLE_TERM = re.compile(r"(?:\$\w*)?(?:\.[A-Za-z_]\w*)+|\.|\$\w*")
DOT_READ = re.compile(r"(?:^|[\s(])\.(?:[A-Za-z_]|\s|\)|$)")


def _dot_scopes(lines: list[str]) -> list[tuple[str, ...]]:
    """For each line, the ``range`` and ``with`` blocks open around it (their opening actions, normalised):
    where ``.`` is rebound. Two lines with the same scope read the same object as ``.``."""
    scopes: list[tuple[str, ...]] = []
    stack: list[str] = []
    for line in lines:
        scopes.append(tuple(s for s in stack if s))
        for action in CONTROL.finditer(line):
            word = action.group("word")
            if word in ("if", "with", "range", "define", "block"):
                stack.append(_normal(action.group(0)) if word in ("with", "range", "define", "block") else "")
            elif word == "end" and stack:
                stack.pop()
    return scopes


VARIABLE_DEFINED = re.compile(r"\{\{-?\s*\$(?P<name>\w+)\s*:=\s*(?P<value>.+?)\s*-?\}\}")
VARIABLE_USED = re.compile(r"\$(\w+)\b")


def _same_call(old: Side, new: Side, before: list[int], after: list[int], old_helpers: dict[str, list[str]],
               new_helpers: dict[str, list[str]]) -> bool:
    """The selector block calls the same helpers with the same arguments on both sides, one side through
    a template variable (``$dict := dict "ctx" . ...`` then ``include "x.selectorLabels" $dict``), and
    every helper it reaches has the same body on both sides: the same labels render, whatever they are.
    A variable defined twice, or not at all, is no proof."""
    def spelled_out(side: Side, block: list[int]) -> list[str] | None:
        scopes = _dot_scopes(side.lines)
        defined: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for number, line in enumerate(side.lines):
            for match in VARIABLE_DEFINED.finditer(line):
                defined.setdefault(match.group("name"), []).append((match.group("value"), scopes[number]))
        out = []
        for index in block:
            text = side.lines[index]
            for name in set(VARIABLE_USED.findall(text)):
                values = defined.get(name)
                if values is None or len(values) != 1:
                    return None
                value, scope = values[0]
                if SIMPLE_TERM.fullmatch(value) and scope == scopes[index]:
                    # A field or variable read where `.` is what it is where the variable is used (both in the
                    # same range or with block): `$name := .name` then `{{ $name }}` prints what `{{ .name }}` did.
                    pass
                elif not (value.startswith("(") and value.endswith(")")):
                    value = f"({value})"
                if scope != scopes[index] and DOT_READ.search(value):
                    # `.` is another object where the variable is defined: spelled out with that scope, so it
                    # matches only the same variable on the other side, never the same words read here.
                    value = f"{value}@[{' / '.join(scope)}]"
                text = re.sub(rf"\${name}\b", lambda _: value, text)
            out.append(_normal(text))
        return sorted(out)

    old_text, new_text = spelled_out(old, before), spelled_out(new, after)
    if old_text is None or old_text != new_text:
        return False
    reached = {name for line in old_text for name in INCLUDED.findall(line)}
    seen: set[str] = set()
    while reached:
        name = reached.pop()
        seen.add(name)
        body = old_helpers.get(name)
        if body is None or body != new_helpers.get(name):
            return False
        reached |= {n for line in body for n in INCLUDED.findall(line)} - seen
    return True


def _previous_content(lines: list[str], index: int) -> str:
    for back in range(index - 1, -1, -1):
        if lines[back].strip():
            return lines[back]
    return ""


def _match_labels(sides: FileSides, emit: Emitter, context: ChangeContext | None = None) -> None:
    old_blocks, new_blocks = _match_blocks(sides.old), _match_blocks(sides.new)
    if len(old_blocks) != len(new_blocks):
        return  # a workload added or removed: no selector of an existing object changed in place
    helpers = None
    for before, after in zip(old_blocks, new_blocks):
        old_text = sorted(_normal(sides.old.lines[i]) for i in before)
        new_text = sorted(_normal(sides.new.lines[i]) for i in after)
        if old_text == new_text:
            continue
        if context is not None:
            # The labels moved into (or out of) a helper: compare what the selector renders.
            if helpers is None:
                helpers = (_chart_helpers(context, sides.diff.old_path or sides.diff.path, "old"),
                           _chart_helpers(context, sides.diff.path, "new"))
            if helpers[0] is not None and helpers[1] is not None and (
                    _same_call(sides.old, sides.new, before, after, helpers[0], helpers[1])
                    or _labels_alike(context, sides.diff.old_path or sides.diff.path, sides.diff.path, sides.old.lines,
                                     sides.new.lines, before, after, helpers[0], helpers[1])):
                continue
        line = _culprit(sides.new, after)
        if not line:
            continue
        if context is not None and helpers is not None and helpers[0] is not None and \
                _holds_chart_version([sides.old.lines[i] for i in before], helpers[0]):
            emit.emit("K8S-IMMUTABLE-FIELD", "new", line, VERSIONED_BEFORE.format(what="the workload's `selector.matchLabels`"),
                      severity="medium")
            continue
        _emit_selector(emit, line, "the workload's `selector.matchLabels`", sides.new, after)


def _pvc_deleted(sides: FileSides, emit: Emitter, context: ChangeContext) -> None:
    for index, line in enumerate(sides.old.lines):
        if PVC_KIND.match(line):
            moved = PVC_ADDED.search(context.added_text) is not None
            emit.emit("K8S-PVC-DELETED", "old", sides.old.real_line(index),
                      "the PersistentVolumeClaim template is deleted: `helm upgrade` deletes the claim of every install, "
                      "and with it (for most storage classes) the volume and its data"
                      + ("; a claim template is added elsewhere in the change, check that it keeps the same name." if moved else "."),
                      severity="medium" if moved else None)
            return


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    """A helper file (``templates/_helpers.tpl``): no YAML to parse, only its text to judge."""
    judge(sides, emit, context)
    return Parsed(False, "a Helm template is not YAML until rendered, so line rules judged it as well", keep=True)


# -- a template rendered with the chart's default values ------------------------------------------------
# What an existing install gets when it sets nothing: a conditional on a value is decided by the chart's
# values.yaml of the same side, and an inline boolean or number value is written in. Only what is read
# plainly is decided (`if`/`with` on values, `not`, `and`, `or`, `eq`, `ne`, `empty`); anything else stays as
# written, for detemplate to read both ways.
VALUES_PATH = re.compile(r"^(?P<root>\$)?\.Values((?:\.[A-Za-z0-9_]+)+)$")
INLINE_VALUE = re.compile(r"\{\{-?\s*(?P<root>\$)?\.Values(?P<path>(?:\.[A-Za-z0-9_]+)+)\s*-?\}\}")
CONTROL = re.compile(r"\{\{-?\s*(?P<word>if|with|range|define|block|else|end)\b(?P<rest>.*?)\s*-?\}\}")
UNKNOWN = object()


PATH_PART = re.compile(r'"[^"]*"|[^.]+')


def _parts(path: str) -> list[str]:
    """The keys of a value path: ``a.b`` or, for a key read with ``index``, ``a."b.c"`` (quoted key kept whole)."""
    return [part[1:-1] if part.startswith('"') else part for part in PATH_PART.findall(path.strip("."))]


def shown_path(path: str) -> str:
    """A value path as a chart's users write it (``server.config.exec.enabled``)."""
    return ".".join(_parts(path))


def _lookup(values: dict, path: str) -> object:
    node: object = values
    for part in _parts(path):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


INSERTED_VALUE = re.compile(r"^\s*\{\{-\s*toYaml\s+(?P<root>\$)?\.Values(?P<path>(?:\.[A-Za-z0-9_]+)+)\s*\|\s*n?indent\s+"
                            r"(?P<indent>\d+)\s*-?\}\}\s*$")
BARE_KEY = re.compile(r"^(?P<indent>\s*(?:-\s+)?)[\w./\"'-]+\s*:\s*$")


def unrenderable(text: str, values: dict) -> bool:
    """The rendered template (``render_defaults``) is not YAML under ``values``: a value inserted with
    ``{{- toYaml .Values.x | nindent N }}`` under a bare ``key:`` at column N or deeper that renders as a
    scalar (null, ``{}``, ``[]``, a string) lands beside the key, not under it, which YAML rejects. No
    install can have applied that rendering, so no running object carries its form.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = INSERTED_VALUE.match(line)
        if match is None:
            continue
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), None)
        key = BARE_KEY.match(previous) if previous is not None else None
        if key is None:
            continue
        column = len(key.group("indent"))
        value = _lookup(values, match.group("path"))
        if int(match.group("indent")) <= column and not (isinstance(value, (dict, list)) and value):
            return True
    return False


def _truthy(value: object) -> bool:
    return value not in (None, False, 0, "", 0.0) and not (isinstance(value, (dict, list)) and not value)


def _tokens(text: str) -> list[str] | None:
    tokens = re.findall(r'"[^"]*"|\(|\)|[^\s()]+', text)
    return tokens if "".join(tokens).replace(" ", "") == re.sub(r"\s+", "", text) else None


def _evaluate(text: str, values: dict, nested: bool) -> object:
    """The value of a template condition under ``values``, or UNKNOWN.

    ``nested``: inside a ``with`` or ``range``, where ``.`` is rebound and only ``$.Values`` reads values.
    """
    tokens = _tokens(text)
    if not tokens:
        return UNKNOWN
    position = 0

    def term() -> object:
        nonlocal position
        if position >= len(tokens):
            return UNKNOWN
        token = tokens[position]
        position += 1
        if token == "(":
            value = call()
            if position >= len(tokens) or tokens[position] != ")":
                return UNKNOWN
            position += 1
            return value
        if token.startswith('"'):
            return token[1:-1]
        if token in ("true", "false"):
            return token == "true"
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        match = VALUES_PATH.match(token)
        if match and (match.group("root") or not nested):
            found = _lookup(values, match.group(2))
            # A global value missing from the chart's own defaults is often set by a parent chart.
            return UNKNOWN if found is None and match.group(2).startswith(".global.") else found
        if token in ("not", "and", "or", "eq", "ne", "empty", "index"):
            position -= 1
            return call()
        return UNKNOWN

    def call() -> object:
        nonlocal position
        if position >= len(tokens):
            return UNKNOWN
        word = tokens[position]
        if word not in ("not", "and", "or", "eq", "ne", "empty", "index"):
            return term()
        position += 1
        arguments = []
        while position < len(tokens) and tokens[position] != ")":
            arguments.append(term())
        if any(a is UNKNOWN for a in arguments) or not arguments:
            return UNKNOWN
        if word == "index":
            # `index .Values.x "a.b"`: a key with a dot in it, read from a map of the values.
            node = arguments[0]
            for key in arguments[1:]:
                if not isinstance(node, dict) or not isinstance(key, str):
                    return UNKNOWN  # a list, or nil (Helm fails to render): not decided here
                node = node.get(key)
            return node
        if word in ("not", "empty"):
            # Sprig's `empty` is true for what a condition reads as false (unset, "", 0, false, {} or []).
            return not _truthy(arguments[0]) if len(arguments) == 1 else UNKNOWN
        if word in ("eq", "ne"):
            if len(arguments) != 2:
                return UNKNOWN
            return (arguments[0] == arguments[1]) == (word == "eq")
        truths = [_truthy(a) for a in arguments]
        return all(truths) if word == "and" else any(truths)

    value = call()
    return value if position == len(tokens) else UNKNOWN


def render_defaults(text: str, values: dict, new_empty: frozenset[str] = frozenset()) -> tuple[str, set[int]]:
    """The template as an install with the default ``values`` renders it, line for line, and the
    0-based indices of the lines that install does not get (a branch whose condition is false).

    A conditional is decided only when each of its actions (``if``, ``else``, ``end``) stands alone on its
    line and its conditions read values plainly; the lines of the branches not taken and the action lines
    are blanked. An inline ``{{ .Values.x }}`` holding a boolean or a number is written in, and one holding a
    list of scalars as Go's fmt prints it (``[ReadWriteOnce]``, which YAML reads as that list). A list of scalars
    is written in too where it is inserted whole (``{{- toYaml .Values.x | nindent N }}``, _list_inserted) or
    walked by a ``range`` over one item whose body prints only the item (_range_body): a template rewritten
    from one of these forms to another renders the same value, and compares so.

    ``new_empty``: value paths new with the change and empty by default (new_empty_values). A ``range`` over one
    of them (read plainly, or through a variable the file sets once from ``.Values``) renders nothing while
    ``values`` leave it empty: an install that has not set the new value gets none of its body. Its lines
    are blanked, not counted as a branch not taken, so line rules still read them (what opting in renders).
    """
    lines = text.split("\n")
    aliases = _value_aliases(text) if new_empty else {}
    # Each open block: [word, decided?, branches [(condition value, first body line)], action lines, nested]
    stack: list[dict] = []
    blank: set[int] = set()
    dropped: set[int] = set()
    written: dict[int, str] = {}  # body lines of a range over a one-item list, the item written in
    for index, line in enumerate(lines):
        actions = list(CONTROL.finditer(line))
        alone = len(actions) == 1 and ONLY_ACTIONS.match(line) is not None
        for action in actions:
            word, rest = action.group("word"), action.group("rest").strip()
            nested = any(frame["word"] in ("with", "range", "define", "block") for frame in stack)
            if word in ("if", "with", "range", "define", "block"):
                inside_define = any(frame["word"] in ("define", "block") for frame in stack)
                value = _evaluate(rest, values, nested) if word in ("if", "with") and alone and not inside_define else UNKNOWN
                if word == "range" and alone and not inside_define:
                    value = _range_item(rest, values, nested)
                    if value is UNKNOWN and _ranges_over_new_empty(rest, values, nested, new_empty, aliases):
                        value = NOTHING
                stack.append({"word": word, "branches": [(value, index + 1)], "actions": [index], "ok": alone})
            elif word == "else" and stack:
                frame = stack[-1]
                condition = rest[2:].strip() if rest.startswith("if") else None
                value = (_evaluate(condition, values, nested) if condition is not None else True) if alone else UNKNOWN
                frame["branches"].append((value, index + 1))
                frame["actions"].append(index)
                frame["ok"] = frame["ok"] and alone
            elif word == "end" and stack:
                frame = stack.pop()
                frame["actions"].append(index)
                if frame["word"] == "range" and frame["ok"] and alone and len(frame["branches"]) == 1 and \
                        frame["branches"][0][0] is NOTHING:
                    blank.update(range(frame["branches"][0][1], index))
                    blank.update(frame["actions"])
                    owner = _sole_owner(lines, frame["actions"][0], index)
                    if owner is not None:
                        blank.add(owner)  # `annotations:` holding only the range: absent, as Helm renders it (null)
                    continue
                if frame["word"] == "range" and frame["ok"] and alone and len(frame["branches"]) == 1:
                    item, start = frame["branches"][0]
                    body = _range_body(lines[start:index], item)
                    if body is not None:
                        written.update(zip(range(start, index), body))
                        blank.update(frame["actions"])
                    continue
                if frame["word"] not in ("if", "with") or not frame["ok"] or not alone:
                    continue
                if any(value is UNKNOWN for value, _ in frame["branches"]):
                    continue
                if frame["word"] == "with" and len(frame["branches"]) == 1 and _truthy(frame["branches"][0][0]):
                    continue  # the body renders with `.` rebound: left as written
                taken = next((i for i, (value, _) in enumerate(frame["branches"]) if _truthy(value)), None)
                ends = [start - 1 for _, start in frame["branches"][1:]] + [index]
                for number, (_, start) in enumerate(frame["branches"]):
                    if number != taken:
                        for line_index in range(start, ends[number]):
                            dropped.add(line_index)
                blank.update(frame["actions"])
    out = []
    for index, line in enumerate(lines):
        if index in blank or index in dropped:
            out.append("")
            continue
        if index in written:
            out.append(written[index])
            continue
        inserted = _list_inserted(line, out, values)
        out.append(inserted if inserted is not None else INLINE_VALUE.sub(lambda m: _inline(m, values), line))
    return "\n".join(out), dropped


NOTHING = object()  # a range over a value new with the change and empty by default: renders nothing
RANGE_COLLECTION = re.compile(r"^(?:\$\w+\s*(?:,\s*\$\w+\s*)?:=\s*)?(?P<collection>\S+)$")
ALIAS_ROOT = re.compile(r"^\$(?P<name>\w+)(?P<path>(?:\.[A-Za-z0-9_]+)*)$")


def _value_aliases(text: str) -> dict[str, str]:
    """Variables the file sets once, outside any block that rebinds ``.``, to a value path (``{{- $db := .Values.persistence.db -}}``):
    name -> path. A variable set twice, assigned again (``$db = ...``) or set inside a block is left out."""
    counts: dict[str, int] = {}
    found: dict[str, str] = {}
    depth = 0
    frames: list[bool] = []
    for line in text.split("\n"):
        for action in re.finditer(r"\{\{.*?\}\}", line):
            body = action.group(0)
            word = ACTION_WORD.match(body)
            for match in VARIABLE_DEFINED.finditer(body):
                counts[match.group("name")] = counts.get(match.group("name"), 0) + 1
                path = VALUES_PATH.match(match.group("value").strip())
                if depth == 0 and path:
                    found[match.group("name")] = path.group(2)
            if word is not None:
                # Only blocks that rebind `.` count: a variable set inside an `if` reads the chart's values alike.
                if word.group("word") in ("if", "with", "range", "define", "block"):
                    frames.append(word.group("word") != "if")
                elif word.group("word") == "end" and frames:
                    frames.pop()
                depth = sum(frames)
    reassigned = set(re.findall(r"\$(\w+)\s*=[^=]", text))
    return {name: path for name, path in found.items() if counts.get(name) == 1 and name not in reassigned}


def _ranges_over_new_empty(rest: str, values: dict, nested: bool, new_empty: frozenset[str],
                           aliases: dict[str, str]) -> bool:
    """``range [$k, $v :=] <collection>`` over a value of ``new_empty`` that ``values`` leave empty."""
    match = RANGE_COLLECTION.match(rest.strip())
    if match is None:
        return False
    collection = match.group("collection")
    plain = VALUES_PATH.match(collection)
    if plain is not None:
        if nested and not plain.group("root"):
            return False
        path = plain.group(2)
    else:
        alias = ALIAS_ROOT.match(collection)
        if alias is None or alias.group("name") not in aliases:
            return False
        path = aliases[alias.group("name")] + alias.group("path")
    value = _lookup(values, path)
    return path.strip(".") in new_empty and (value == {} or value == [] or value is None)


NAME_HELPER = re.compile(r'^\s*\{\{-?\s*printf\s+"(?P<format>[^"%]*%s[^"%]*)"\s+\(\s*(?:include|template)\s+"(?P<inner>[^"]+)"'
                         r'\s+\.\s*\)\s*-?\}\}\s*$')
NAME_CALL = re.compile(r'\{\{-?\s*(?:include|template)\s+"(?P<name>[^"]+)"\s+\.\s*-?\}\}')


def expand_name_helpers(text: str, helpers: dict[str, list[str]] | None, other: dict[str, list[str]] | None) -> str:
    """The template with each call of a name helper (a ``define`` whose whole body is ``printf "%s-suffix" (include
    "x.fullname" .)``) written out as its text, ``{{ include "x.fullname" . }}-suffix``, line for line: a name moved
    into such a helper then reads as it did. Only where the helper it includes reaches the same bodies in
    ``helpers`` and ``other`` (the chart's helpers on the two sides of the change); the rest is left as written."""
    if not helpers or other is None:
        return text

    def same(name: str, seen: set[str]) -> bool:
        body = helpers.get(name)
        if body is None or body != other.get(name):
            return False
        seen.add(name)
        return all(same(n, seen) for line in body for n in INCLUDED.findall(line) if n not in seen)

    def written(match: re.Match[str]) -> str:
        body = [line for line in helpers.get(match.group("name"), []) if line.strip()]
        helper = NAME_HELPER.match(body[0]) if len(body) == 1 else None
        if helper is None or not same(helper.group("inner"), set()):
            return match.group(0)
        return helper.group("format").replace("%s", '{{ include "' + helper.group("inner") + '" . }}')

    return NAME_CALL.sub(written, text)


def _sole_owner(lines: list[str], opener: int, end: int) -> int | None:
    """The bare ``key:`` line just before a range that is all the key holds (the next line after the range's end
    is no deeper than the key): its index, else None."""
    key = next((i for i in range(opener - 1, -1, -1) if lines[i].strip()), None)
    if key is None or not re.match(r"^\s*[\w./\"'-]+\s*:\s*$", lines[key]):
        return None
    indent = len(lines[key]) - len(lines[key].lstrip())
    after = next((lines[i] for i in range(end + 1, len(lines)) if lines[i].strip()), None)
    if after is not None and len(after) - len(after.lstrip()) > indent:
        return None
    return key


def _reads_through_aliases(text: str) -> set[str]:
    """values_read, a variable set once from a value path (_value_aliases) read as what it reaches: ``$db.size``
    reads ``persistence.db.size``, and ``$db`` alone the whole of ``persistence.db``; the definition itself reads
    nothing. A variable defined otherwise leaves its own reads in values_read."""
    aliases = _value_aliases(text)
    if not aliases:
        return values_read(text)
    defined = re.compile(r"\{\{-?\s*\$(?:" + "|".join(map(re.escape, aliases)) + r")\s*:=\s*[^}]*\}\}")
    found = values_read(defined.sub("", text))
    for action in ACTION.finditer(defined.sub("", text)):
        for match in re.finditer(r"\$(\w+)((?:\.[A-Za-z0-9_]+)*)", action.group(0)):
            if match.group(1) in aliases:
                found.add((aliases[match.group(1)] + match.group(2)).strip("."))
    return found


def new_empty_values(old_text: str | None, new_text: str, old_values: dict, new_values: dict) -> frozenset[str]:
    """Value paths the new chart's values.yaml holds empty (``{}`` or ``[]``) that the old values.yaml does not hold
    and the old template does not read: new with the change, so no existing install has set them."""
    old_read = _reads_through_aliases(old_text) if old_text is not None else set()
    found: set[str] = set()

    def walk(node: object, prefix: str) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if value == {} or value == []:
                if _lookup(old_values, path) is None and not any(
                        read == path or read.startswith(path + ".") or path.startswith(read + ".") for read in old_read):
                    found.add(path)
            else:
                walk(value, path)

    walk(new_values, "")
    return frozenset(found)


def _inline(match: re.Match[str], values: dict) -> str:
    value = _lookup(values, match.group("path"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if _scalar_list(value):
        # Go's fmt of a list: `[a b]`, items unquoted; YAML reads one item as that list (and several as one
        # string, as the API server does). Items YAML would not read back (a `#`, a bracket) are left as written.
        printed = "[" + " ".join(_go_scalar(item) for item in value) + "]"  # type: ignore[union-attr]
        return printed if _flow_list(printed) else match.group(0)
    return match.group(0)


def _flow_list(text: str) -> bool:
    import yaml

    try:
        return isinstance(yaml.safe_load(text), list)
    except yaml.YAMLError:
        return False


def _scalar_list(value: object) -> bool:
    """A list of strings, integers or booleans (access modes, hosts, arguments)."""
    return isinstance(value, list) and all(isinstance(item, (str, int)) for item in value)


def _go_scalar(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


RANGE_OVER = re.compile(r"^(?P<root>\$)?\.Values(?P<path>(?:\.[A-Za-z0-9_]+)+)$")
# What a range body over scalars may print: the item, plainly or quoted (Helm's `quote` is Go's %q).
ITEM_ACTION = re.compile(r"\{\{-?\s*(?:\.\s*(?:\|\s*quote\s*)?|quote\s+\.\s*)-?\}\}")
ONE_ITEM = object()


def _range_item(rest: str, values: dict, nested: bool) -> object:
    """``(ONE_ITEM, item)`` for ``range .Values.x`` over a list of one scalar (``$.Values`` when nested), else UNKNOWN."""
    match = RANGE_OVER.match(rest)
    if match is None or (nested and not match.group("root")):
        return UNKNOWN
    value = _lookup(values, match.group("path"))
    return (ONE_ITEM, value[0]) if _scalar_list(value) and len(value) == 1 else UNKNOWN  # type: ignore[arg-type,index]


def _range_body(body: list[str], item: object) -> list[str] | None:
    """The body of a range over one item, rendered once with the item written in; None when the body holds
    another action than printing the item, or a trim inside a line (it is then left as written)."""
    if not (isinstance(item, tuple) and len(item) == 2 and item[0] is ONE_ITEM):
        return None
    value = item[1]
    out = []
    for line in body:
        rest = ITEM_ACTION.sub("", line)
        if ACTION.search(rest) or "{{" in rest or ("{{-" in line and not line.lstrip().startswith("{{-")):
            return None
        printed = ITEM_ACTION.sub(lambda m: _quoted(value) if "quote" in m.group(0) else _go_scalar(value), line)
        out.append("" if not printed.strip() else printed)
    return out


def _quoted(item: object) -> str:
    import json

    return json.dumps(_go_scalar(item), ensure_ascii=False)


INSERTED_LIST = re.compile(r"^\s*\{\{-\s*toYaml\s+(?P<root>\$)?\.Values(?P<path>(?:\.[A-Za-z0-9_]+)+)\s*\|\s*nindent\s+"
                           r"(?P<indent>\d+)\s*-?\}\}\s*$")


def _list_inserted(line: str, before: list[str], values: dict) -> str | None:
    """``{{- toYaml .Values.x | nindent N }}`` on a line of its own, x a non-empty list of scalars, as the line
    Helm writes: one item as its ``- item`` line at column N; several, under a bare ``key:`` left of column N,
    as one flow sequence (the same list, on one line). None otherwise (left as written)."""
    import json

    match = INSERTED_LIST.match(line)
    if match is None:
        return None
    value = _lookup(values, match.group("path"))
    if not _scalar_list(value) or not value:
        return None
    indent = " " * int(match.group("indent"))
    if len(value) == 1:  # type: ignore[arg-type]
        return indent + "- " + json.dumps(value[0], ensure_ascii=False)  # type: ignore[index]
    previous = next((text for text in reversed(before) if text.strip()), None)
    key = BARE_KEY.match(previous) if previous is not None else None
    if key is None or len(key.group("indent")) >= len(indent):
        return None
    return indent + json.dumps(value, ensure_ascii=False)


# -- selectors rendered through the chart's helpers -----------------------------------------------------
INCLUDE_LINE = re.compile(r"""^\s*\{\{-?\s*(?:include|template)\s+"(?P<name>[^"]+)"\s+(?P<arg>[.$]|@SELF|\(\s*dict\s[^()]*\))\s*"""
                          r"""(?:\|\s*n?indent\s+\d+\s*)?-?\}\}\s*$""")
QUOTED_VALUE = re.compile(r"""^(?P<key>[^:]+:\s*)(?P<q>["'])(?P<value>.*)(?P=q)$""")
# A field of the data a helper was called with (`.ctx`, `.component`), not of a value path (`.Values.ctx`).
FIELD = re.compile(r"(?<![\w$.)\]\"])\.(?P<key>[A-Za-z_]\w*)(?P<rest>(?:\.[A-Za-z_]\w*)*)")
SELF_ARGUMENT = re.compile(r"""((?:include|template)\s+"[^"]+"\s+)\.(?=\s*(?:\||-?\}\}))""")
ROOT = "."


def _dict_binding(argument: str) -> dict[str, str] | None:
    """``(dict "ctx" . "component" "x" "memberlist" true)`` -> key -> what it holds: ``.`` (the chart's root
    context), a literal (``"x"``, ``true``, a number) or a value path (``.Values.a``); None when not read plainly."""
    tokens = _tokens(argument.strip()[1:-1])
    if not tokens or tokens[0] != "dict" or len(tokens) % 2 != 1:
        return None
    binding: dict[str, str] = {}
    for key, value in zip(tokens[1::2], tokens[2::2]):
        if not key.startswith('"'):
            return None
        if value in (".", "$"):
            binding[key[1:-1]] = ROOT
        elif value.startswith('"') or value in ("true", "false") or re.fullmatch(r"-?\d+", value) or VALUES_PATH.match(value):
            binding[key[1:-1]] = value.lstrip("$")
        else:
            return None
    return binding


def _bound(lines: list[str], binding: dict[str, str]) -> list[str] | None:
    """A helper's body as it renders for a call with a dict: each field of the dict written in (``.ctx.Release.Name``
    -> ``.Release.Name``, ``.component`` -> ``"x"``), an include passing the dict on marked ``@SELF``. None when the
    body reads a field the dict does not hold, ``$`` (the dict itself), or a field under a literal."""
    out = []
    problem = False

    def field(found: re.Match[str]) -> str:
        nonlocal problem
        held = binding.get(found.group("key"))
        rest = found.group("rest")
        if held is None or (rest and held != ROOT and not held.startswith(".")):
            problem = True
            return found.group(0)
        if held == ROOT:
            return rest or "."
        return held + rest

    def action(match: re.Match[str]) -> str:
        nonlocal problem
        text = SELF_ARGUMENT.sub(r"\1@SELF", match.group(0))
        if "$" in text or re.match(r"\{\{-?\s*(range|with|define|block)\b", text):
            problem = True  # the dict itself, or `.` rebound
        # Strings are left as they are: a field is read outside them.
        parts = re.split(r'("[^"]*")', text)
        return "".join(part if part.startswith('"') else FIELD.sub(field, part) for part in parts)

    for line in lines:
        out.append(ACTION.sub(action, line))
        if problem:
            return None
    return out


def _rendered_labels(lines: list[str], helpers: dict[str, list[str]], depth: int = 0,
                     values: dict | None = None, binding: dict[str, str] | None = None) -> list[str] | None:
    """The label lines a selector block renders, its whole-line includes of the chart's helpers expanded
    (sorted, normalised, quotes around a value dropped); None when a helper is unknown or a conditional is
    left undecided. ``values``: the conditionals of the block and of the helpers it includes are decided
    with them (render_defaults). ``binding``: the dict the helper whose body ``lines`` are was called with
    (``include "x.selectorLabels" (dict "ctx" . "component" "y")``), None for the chart's root context."""
    if binding is not None:
        bound = _bound(lines, binding)
        if bound is None:
            return None
        lines = bound
    if values is not None:
        lines = render_defaults("\n".join(lines), values)[0].split("\n")
    out: list[str] = []
    for line in lines:
        match = INCLUDE_LINE.match(line)
        if match:
            body = helpers.get(match.group("name"))
            if body is None or depth > 5:
                return None
            argument = match.group("arg")
            if argument == "@SELF":
                passed = binding
            elif argument.startswith("("):
                passed = _dict_binding(argument)
                if passed is None:
                    return None
            elif binding is None:
                passed = None
            else:
                return None  # `$` inside a helper called with a dict: the dict itself
            expanded = _rendered_labels(body, helpers, depth + 1, values, passed)
            if expanded is None:
                return None
            out.extend(expanded)
            continue
        text = _normal(line)
        if not text or ONLY_ACTIONS.match(text):
            if text:
                return None  # a conditional or a toYaml: what it renders is not read here
            continue
        quoted = QUOTED_VALUE.match(text)
        out.append(f"{quoted.group('key')}{quoted.group('value')}" if quoted else text)
    return sorted(out)


def _variables_spelled(lines: list[str], block: list[int]) -> list[str]:
    """The block's lines with each template variable defined once in the file (``$dict := dict ...``) written in
    where it is used; a variable defined twice or not at all is left as it is (not read as an include's argument)."""
    defined: dict[str, list[str]] = {}
    for line in lines:
        for match in VARIABLE_DEFINED.finditer(line):
            defined.setdefault(match.group("name"), []).append(match.group("value"))
    out = []
    for index in block:
        text = lines[index]
        for name in set(VARIABLE_USED.findall(text)):
            values = defined.get(name)
            if values is not None and len(values) == 1:
                value = values[0] if values[0].startswith("(") and values[0].endswith(")") else f"({values[0]})"
                text = re.sub(rf"\${name}\b", lambda _: value, text)
        out.append(text)
    return out


def _chart_folder(path: str) -> str | None:
    parts = path.split("/")
    if "templates" not in parts:
        return None
    return "/".join(parts[:len(parts) - 1 - parts[::-1].index("templates")])


def _read(context: ChangeContext, revision: str, path: str) -> str | None:
    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    repo = repository_for(context.change.base, context.change.head)
    shown = git_output(repo, "show", f"{revision}:{path}") if repo is not None else None
    return shown.decode("utf-8", "replace") if shown is not None else None


def _chart_files(context: ChangeContext, path: str, side: str) -> dict[str, str] | None:
    """The chart's template files (path -> text) on one side of the change, None when not readable."""
    from reviewer_app.core.risk.structure.texts import git_output

    found = _chart_at(context, path, side)
    if found is None:
        return None
    chart, revision, repo = found
    cache = context.memo("helm_chart_files")
    key = (revision, chart)
    if key not in cache:
        folder = f"{chart}/templates/" if chart else "templates/"
        listed = git_output(repo, "ls-tree", "-r", "--name-only", revision, "--", folder)
        files: dict[str, str] | None = None
        if listed is not None:
            files = {}
            for name in listed.decode("utf-8", "replace").splitlines()[:200]:
                if name.endswith((".tpl", ".yaml", ".yml")):
                    text = _read(context, revision, name)
                    if text is not None:
                        files[name] = text
        cache[key] = files
    return cache[key]


def _chart_helpers(context: ChangeContext, path: str, side: str) -> dict[str, list[str]] | None:
    """name -> body lines of every ``define`` in the chart's templates on one side."""
    files = _chart_files(context, path, side)
    if files is None:
        return None
    helpers: dict[str, list[str]] = {}
    for name, text in files.items():
        if name.endswith(".tpl"):
            lines = text.split("\n")
            index = 0
            while index < len(lines):
                match = DEFINE.search(lines[index])
                if not match:
                    index += 1
                    continue
                depth, body = 1, []
                index += 1
                while index < len(lines) and depth:
                    depth += len(BLOCK_OPEN.findall(lines[index])) - len(END.findall(lines[index]))
                    if depth > 0:
                        body.append(lines[index])
                    index += 1
                helpers[match.group("name")] = body
    return helpers


def _selectors_render_alike(context: ChangeContext, path: str) -> bool:
    """Every workload template of the chart renders the same selector labels on both sides (through each
    side's helpers); False when the chart cannot be read or a selector cannot be rendered."""
    old_files, new_files = _chart_files(context, path, "old"), _chart_files(context, path, "new")
    old_helpers, new_helpers = _chart_helpers(context, path, "old"), _chart_helpers(context, path, "new")
    if old_files is None or new_files is None or old_helpers is None or new_helpers is None:
        return False
    for name, text in new_files.items():
        if name.endswith(".tpl") or name not in old_files:
            continue
        old_lines, new_lines = old_files[name].split("\n"), text.split("\n")
        old_blocks, new_blocks = _match_blocks_of(old_lines), _match_blocks_of(new_lines)
        if len(old_blocks) != len(new_blocks):
            return False
        for before, after in zip(old_blocks, new_blocks):
            if not _labels_alike(context, name, name, old_lines, new_lines, before, after, old_helpers, new_helpers):
                return False
    return True


def _match_blocks_of(lines: list[str]) -> list[list[int]]:
    from reviewer_app.core.risk.structure.texts import Side

    return _match_blocks(Side("\n".join(lines), list(range(1, len(lines) + 1))))


def selectors_render_alike(sides: FileSides, context: ChangeContext) -> bool:
    """The template's ``selector: matchLabels:`` blocks, as many on both sides, render the same labels
    through each side's helpers (and at least one of them is written differently)."""
    if not (sides.old.exists and sides.new.exists and sides.complete):
        return False
    old_blocks, new_blocks = _match_blocks(sides.old), _match_blocks(sides.new)
    if not old_blocks or len(old_blocks) != len(new_blocks):
        return False
    old_helpers = _chart_helpers(context, sides.diff.old_path or sides.diff.path, "old")
    new_helpers = _chart_helpers(context, sides.diff.path, "new")
    if old_helpers is None or new_helpers is None:
        return False
    for before, after in zip(old_blocks, new_blocks):
        if not _labels_alike(context, sides.diff.old_path or sides.diff.path, sides.diff.path, sides.old.lines,
                             sides.new.lines, before, after, old_helpers, new_helpers):
            return False
    return True


COMPARED = re.compile(r"""\beq\s+(?:\$?\.Values((?:\.\w+)+)\s+"([^"]*)"|"([^"]*)"\s+\$?\.Values((?:\.\w+)+))""")
INCLUDED = re.compile(r'(?:include|template)\s+"([^"]+)"')
MAX_SETTINGS = 32


def _labels_alike(context: ChangeContext, old_path: str, new_path: str, old_lines: list[str], new_lines: list[str],
                  before: list[int], after: list[int], old_helpers: dict[str, list[str]],
                  new_helpers: dict[str, list[str]]) -> bool:
    """A selector block (line indices ``before``/``after`` of each side's template) renders the same labels
    through each side's helpers.

    Where a helper decides its labels by values (``if eq .Values.mode "daemonset"``), each setting of the
    values the template or those helpers compare with a literal (their defaults, then each literal) is
    rendered: a setting under which neither side renders the workload (the template's own guard, ``if eq
    .Values.mode "daemonset"``) is no install of it; under every other setting both sides must render it with
    the same labels."""
    old_block, new_block = _variables_spelled(old_lines, before), _variables_spelled(new_lines, after)
    old_labels = _rendered_labels(old_block, old_helpers)
    new_labels = _rendered_labels(new_block, new_helpers)
    if old_labels is not None and new_labels is not None:
        return old_labels == new_labels
    from reviewer_app.core.risk.structure.kubernetes import _chart_values

    old_values, new_values = _chart_values(context, old_path, "old"), _chart_values(context, new_path, "new")
    if old_values is None or new_values is None:
        return False
    old_text, new_text = "\n".join(old_lines), "\n".join(new_lines)
    compared: dict[str, set[str]] = {}
    for text in [old_text, new_text] + _included_bodies(old_block, old_helpers) + _included_bodies(new_block, new_helpers):
        for match in COMPARED.finditer(text):
            path, literal = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
            compared.setdefault(path.strip("."), set()).add(literal)
    settings: list[dict[str, object]] = [{}]
    for path in sorted(compared):
        settings = [dict(s, **{path: literal}) for s in settings for literal in sorted(compared[path])] + settings
        if len(settings) > MAX_SETTINGS:
            return False
    verdict = _alike_under(settings, old_values, new_values, old_text, new_text, old_block, new_block, before, after,
                           old_helpers, new_helpers)
    if verdict is not None:
        return verdict
    # No setting renders the workload: the template's own switches turned over (each, then all), for a
    # workload the defaults leave off (`if .Values.metricsGenerator.enabled` on false).
    switches = sorted(p for p in values_read(old_text, True) | values_read(new_text, True)
                      if p not in compared and (_lookup(old_values, p) is None or isinstance(_lookup(old_values, p), bool)))
    flips = [{p: not _truthy(_lookup(old_values, p))} for p in switches]
    if len(flips) > 1:
        flips.append({k: v for flip in flips for k, v in flip.items()})
    flipped = [dict(s, **flip) for flip in flips for s in settings]
    if len(flipped) > MAX_SETTINGS:
        return False
    return bool(_alike_under(flipped, old_values, new_values, old_text, new_text, old_block, new_block, before, after,
                             old_helpers, new_helpers))


def _alike_under(settings: list[dict[str, object]], old_values: dict, new_values: dict, old_text: str, new_text: str,
                 old_block: list[str], new_block: list[str], before: list[int], after: list[int],
                 old_helpers: dict[str, list[str]], new_helpers: dict[str, list[str]]) -> bool | None:
    """Whether the selector renders the same labels under each setting that renders the workload on either side;
    None when no setting renders it."""
    rendered = False
    for setting in settings:
        old_setting, new_setting = with_settings(old_values, setting), with_settings(new_values, setting)
        old_on = not set(before) & render_defaults(old_text, old_setting)[1]
        new_on = not set(after) & render_defaults(new_text, new_setting)[1]
        if not old_on and not new_on:
            continue
        if old_on != new_on:
            return False
        old_labels = _rendered_labels(old_block, old_helpers, values=old_setting)
        if old_labels is None or old_labels != _rendered_labels(new_block, new_helpers, values=new_setting):
            return False
        rendered = True
    return True if rendered else None


def _included_bodies(lines: list[str], helpers: dict[str, list[str]], depth: int = 0) -> list[str]:
    """The bodies of the helpers that ``lines`` include, followed through the helpers they include."""
    bodies: list[str] = []
    for line in lines:
        for name in INCLUDED.findall(line):
            body = helpers.get(name)
            if body is not None and depth < 5:
                bodies.append("\n".join(body))
                bodies += _included_bodies(body, helpers, depth + 1)
    return bodies


VALUE_REFERENCE = re.compile(r"(?<![\w$])\$?\.Values((?:\.[A-Za-z0-9_]+)+)")
MAX_FLIPPED = 12


def values_read(text: str, conditions_only: bool = False) -> set[str]:
    """The value paths (``a.b``) a template reads inside its actions (only its ``if``/``with`` conditions)."""
    found: set[str] = set()
    for action in (CONTROL.finditer(text) if conditions_only else ACTION.finditer(text)):
        if conditions_only and action.group("word") not in ("if", "with", "else"):
            continue
        found.update(m.group(1).strip(".") for m in VALUE_REFERENCE.finditer(action.group(0)))
    return found


def install_settings(old_text: str | None, new_text: str, old_values: dict) -> list[dict[str, object]]:
    """The settings an existing install may have, as value path -> value: none (the defaults), then each
    value it could already set turned the other way, then all of them at once.

    A value it could already set: one the old template read or the old values.yaml held. A value new with
    the change keeps its default: no install has set it yet (a new opt-in whose default keeps the old
    behaviour changes nothing).
    """
    old_read = values_read(old_text) if old_text is not None else set()
    # Switches: values a condition tests, or a boolean written into a field, whose default is a boolean
    # or unset (a string compared or a map walked into is not turned over).
    tested = values_read(old_text or "", True) | values_read(new_text, True) | {
        p for p in old_read | values_read(new_text) if isinstance(_lookup(old_values, p), bool)}
    existing = sorted(p for p in tested if (p in old_read or _lookup(old_values, p) is not None)
                      and (_lookup(old_values, p) is None or isinstance(_lookup(old_values, p), bool))
                      and not any(other.startswith(p + ".") for other in tested))[:MAX_FLIPPED]
    flips = {p: not _truthy(_lookup(old_values, p)) for p in existing}
    settings: list[dict[str, object]] = [{}] + [{p: v} for p, v in flips.items()]
    if len(flips) > 1:
        settings.append(dict(flips))
    return settings


def new_switches(old_text: str | None, new_text: str, old_values: dict, new_values: dict) -> list[dict[str, object]]:
    """Each value new with the change that a condition of the new template tests, turned the other way
    from its new default: what a release that starts using the new option renders. Only an immutable
    field counts there (the release that sets it fails to upgrade); what an option grants is the
    choice of whoever turns it on."""
    old_read = values_read(old_text) if old_text is not None else set()
    tested = values_read(new_text, True)
    fresh = sorted(p for p in tested if p not in old_read and _lookup(old_values, p) is None
                   and not any(other.startswith(p + ".") for other in tested))[:MAX_FLIPPED]
    return [{p: not _truthy(_lookup(new_values, p))} for p in fresh]


INDEXED = re.compile(r'\(\s*index\s+(?P<base>\$?\.Values(?:\.[A-Za-z0-9_]+)+)(?P<keys>(?:\s+"[^"]*")+)\s*\)')
LITERAL_TEST = re.compile(r'\b(?:eq|ne)\s+(?:(?P<a>\S+)\s+"(?P<la>[^"]*)"|"(?P<lb>[^"]*)"\s+(?P<b>\S+))')
SET = "set"  # what an empty value is set to, to render what its guard holds
OFF_WORDS = frozenset({"false", "no", "off", "disabled", "none", "0"})


def _guards(text: str) -> list[tuple[str, str | None]]:
    """The values the conditions (``if``, ``else if``, ``with``) of a template test, as (path, literal): the literal a
    condition compares the value with (``eq .Values.x "true"``), or None. A key read with ``index`` is a path
    of its own (``server.config."exec.enabled"``)."""
    found: list[tuple[str, str | None]] = []
    for action in CONTROL.finditer(text):
        if action.group("word") not in ("if", "with", "else"):
            continue
        condition = action.group("rest")
        names: dict[str, str] = {}

        def named(match: re.Match[str]) -> str:
            keys = re.findall(r'"[^"]*"', match.group("keys"))
            path = VALUES_PATH.match(match.group("base")).group(2).strip(".") + "".join(f".{k}" for k in keys)  # type: ignore[union-attr]
            token = f"@{len(names)}"
            names[token] = path
            return token

        condition = INDEXED.sub(named, condition)
        for test in LITERAL_TEST.finditer(condition):
            operand, literal = (test.group("a"), test.group("la")) if test.group("a") else (test.group("b"), test.group("lb"))
            plain = VALUES_PATH.match(operand)
            path = names.get(operand) or (plain.group(2).strip(".") if plain else None)
            if path:
                found.append((path, literal))
        found += [(path, None) for path in names.values()]
        found += [(m.group(1).strip("."), None) for m in VALUE_REFERENCE.finditer(condition)]
    return found


def off_by_default(value: object) -> bool:
    """A chart default that leaves an option off: false, unset, empty, zero, or a string spelling off."""
    return not _truthy(value) or (isinstance(value, str) and value.strip().lower() in OFF_WORDS)


def guard_switches(old_text: str | None, new_text: str, old_values: dict,
                   taken: list[dict[str, object]]) -> list[dict[str, object]]:
    """Settings an existing install may have that install_settings does not turn over: a tested value whose default
    is empty or zero (``with .Values.extraRules`` on ``[]``) set to something, a key read with ``index``, and a value
    set to the literal a condition compares it with (``eq (index .Values.server.config "exec.enabled") "true"``
    on the default ``"false"``). Only a value off by default (off_by_default) is set, so what these settings render
    reaches no install on the defaults. As in install_settings, only values an install could already set count: ones
    the old template tested or the old values.yaml held."""
    old_guards = {path for path, _ in _guards(old_text or "")}
    chosen: list[dict[str, object]] = []
    seen = {tuple(sorted((k, repr(v)) for k, v in setting.items())) for setting in taken}
    for path, literal in _guards(old_text or "") + _guards(new_text):
        default = _lookup(old_values, path)
        parent = ".".join(PATH_PART.findall(path)[:-1])
        if path not in old_guards and default is None and not (
                path.endswith('"') and isinstance(_lookup(old_values, parent), dict)):
            # A key read with `index` from a map the old values held (`server.config`, passed through whole to a
            # ConfigMap) is one an install could already set, even where the old defaults did not list it.
            continue
        if not off_by_default(default):
            continue  # on by default: what an install turning it off or to another value renders is not read here
        if literal is not None:
            value: object = literal
        elif default is None or isinstance(default, bool):
            value = not _truthy(default)
        else:
            value = {dict: {SET: True}, list: [SET], str: SET}.get(type(default), 1)
        if value == default:
            continue
        key = ((path, repr(value)),)
        if key in seen:
            continue
        seen.add(key)
        chosen.append({path: value})
        if len(chosen) >= MAX_FLIPPED:
            break
    return chosen


def _shown_value(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (dict, list)) and not value:
        return "empty"
    return str(value)


def opt_in(setting: dict[str, object], old_values: dict, new_values: dict) -> str | None:
    """Why a setting is an option the chart leaves off by default, said for a finding's message, or None when one of
    its values is on by default (an install turning it off is no opt-in: its findings keep their severity)."""
    parts = []
    for path, value in setting.items():
        default = _lookup(old_values, path)
        default = default if default is not None else _lookup(new_values, path)
        parent = ".".join(PATH_PART.findall(path)[:-1])
        if default is None and not (parent and any(isinstance(_lookup(v, parent), dict) for v in (old_values, new_values))):
            # Unset, and in no map the chart's values declare: it may come from a parent chart or another values
            # file, so its default is not known here.
            return None
        if not off_by_default(default):
            return None
        # A value set to the literal a condition compares it with is named with it; a switch or a placeholder is not.
        to = f" to {_shown_value(value)}" if isinstance(value, str) and value != SET else ""
        parts.append(f"{shown_path(path)} is set{to} (chart default {_shown_value(default)})")
    return " and ".join(parts) if parts else None


def with_settings(values: dict, settings: dict[str, object]) -> dict:
    """``values`` with each path of ``settings`` set (a copy; maps on the way are created)."""
    import copy

    result = copy.deepcopy(values)
    for path, value in settings.items():
        node = result
        parts = _parts(path)
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return result


# -- a template Helm cannot parse ------------------------------------------------------------------------
BLOCK_WORDS = ("if", "with", "range", "define", "block")


def unparsable(text: str) -> str | None:
    """Why Go's template parser rejects the text (Helm then renders nothing of the chart), or None.

    Read plainly: an action left open (``{{`` without ``}}``), a brace or an unbalanced parenthesis inside
    an action outside its string literals (``{{ .x } }}``), a comment left open, or an ``end`` without its
    block (or a block without its ``end``). Anything else is taken as parsing.
    """
    position, depth = 0, 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            break
        inner = start + 2
        if text.startswith("-", inner) and inner + 1 < len(text) and text[inner + 1] in " \t\r\n":
            inner += 1
        stripped = text[inner:].lstrip()
        if stripped.startswith("/*"):
            close = text.find("*/", inner)
            if close < 0:
                return "a comment is left open"
            end = text.find("}}", close)
            if end < 0:
                return "a comment's action is left open"
            position = end + 2
            continue
        index, parens, quote = inner, 0, None
        while index < len(text):
            char = text[index]
            if quote:
                if char == "\\" and quote != "`":
                    index += 2
                    continue
                if char == quote:
                    quote = None
            elif char in "\"'`":
                quote = char
            elif text.startswith("}}", index):
                break
            elif char in "{}":
                return f"`{text[start:index + 1].strip()}`: a brace inside an action"
            elif char == "(":
                parens += 1
            elif char == ")":
                parens -= 1
                if parens < 0:
                    return f"`{text[start:index + 1].strip()}`: a parenthesis closed that was not open"
            index += 1
        if index >= len(text):
            return f"`{text[start:start + 40].strip()}`: an action left open"
        if parens:
            return f"`{text[start:index + 2].strip()}`: a parenthesis left open"
        word = re.match(r"-?\s*(\w+)", text[start + 2:index])
        if word and word.group(1) in BLOCK_WORDS:
            depth += 1
        elif word and word.group(1) == "end":
            depth -= 1
            if depth < 0:
                return "an `end` without its block"
        position = index + 2
    return "a block without its `end`" if depth > 0 else None


HELPER_CALL = re.compile(r'^(?:include|template)\s+"(?P<name>[^"]+)"\s+\.$')


def _name_parts(value: str, helpers: dict[str, list[str]], depth: int = 0) -> list[tuple[str, str]] | None:
    """A templated scalar as its literal text and actions, ``("text", ...)`` / ``("action", ...)``, with the
    calls of a helper whose body is one line of text inlined; another helper call stands for its name and
    body (with the bodies it calls), so a helper changed by the change compares unequal. None when a helper
    it calls is not defined in the chart."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in ACTION.finditer(value):
        if match.start() > position:
            parts.append(("text", value[position:match.start()]))
        position = match.end()
        inner = re.sub(r"\s+", " ", match.group(0)[2:-2].strip("-").strip())
        call = HELPER_CALL.match(inner)
        if call is None:
            parts.append(("action", inner))
            continue
        body = helpers.get(call.group("name"))
        if body is None or depth >= 5:
            return None
        lines = [line.strip() for line in body if line.strip()]
        if len(lines) == 1 and CONTROL.search(lines[0]) is None:
            inlined = _name_parts(lines[0], helpers, depth + 1)
            if inlined is None:
                return None
            parts += inlined
        else:
            parts.append(("action", "call " + call.group("name") + "\n" + "\n".join(
                [*body, *_included_bodies(body, helpers, depth + 1)])))
    if position < len(value):
        parts.append(("text", value[position:]))
    return parts


TEMPLATE_VARIABLE = re.compile(r"\$(?P<name>[A-Za-z_]\w*)")


def names_render_apart(old_value: str, new_value: str, old_helpers: dict[str, list[str]],
                       new_helpers: dict[str, list[str]], old_values: dict | None = None, new_values: dict | None = None,
                       old_text: str = "", new_text: str = "") -> bool:
    """Two templated names (``{{ template "x.fullname" . }}-server`` and ``{{ template "x.fullname" . }}``)
    render to different names for every install: the same actions (the helpers they call through each
    side's helpers alike, the chart values they read with the same defaults, the template variables they
    read assigned alike in ``old_text`` and ``new_text``) around literal text of another length. False
    whenever that is not certain."""
    old_parts = _name_parts(old_value.strip().strip("\"'"), old_helpers)
    new_parts = _name_parts(new_value.strip().strip("\"'"), new_helpers)
    if old_parts is None or new_parts is None:
        return False
    actions = [p for kind, p in old_parts if kind == "action"]
    if actions != [p for kind, p in new_parts if kind == "action"]:
        return False
    read = {match.group(1) for action in actions for match in VALUE_REFERENCE.finditer(action)}
    if read and (old_values is None or new_values is None
                 or any(_lookup(old_values, path) != _lookup(new_values, path) for path in read)):
        return False  # a default the change edits may make up for the literal text
    for action in actions:
        if action.startswith("call "):
            continue  # a helper's variables are its own, and its body is compared whole
        for name in {match.group("name") for match in TEMPLATE_VARIABLE.finditer(action)}:
            assigned = re.compile(rf"\${name}\s*:?=")
            if _assignments(old_text, assigned) != _assignments(new_text, assigned):
                return False
    return sum(len(p) for kind, p in old_parts if kind == "text") != sum(len(p) for kind, p in new_parts if kind == "text")


def _assignments(text: str, assigned: re.Pattern[str]) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if assigned.search(line)]


# -- a chart default that only moved ------------------------------------------------------------------------
# A value new in values.yaml (``restic.podSecurityContext.runAsUser: 0``) that the templates insert into a field
# (``securityContext:`` of the DaemonSet's pod) where, at the base, the same template wrote the same setting
# literally (``runAsUser: 0``) or inserted another value that held it by default (``podSecurityContext``): what a
# default install renders is the same, the setting only moved into the values.
KEY_LINE = re.compile(r"""^(?P<key>"[^"]*"|'[^']*'|[^\s:#{"'][^:#]*?)\s*:(?:\s+(?P<rest>.*?))?\s*$""")
OUTPUT_WORDS = frozenset({"if", "with", "range", "define", "block", "else", "end", "template"})


def _field_paths(lines: list[str]) -> list[tuple[tuple[str, ...], str | None] | None]:
    """Per line, (the YAML key path it writes, from the document's ``kind``, list items named by a literal
    ``name:``; the text after the key, None for a bare ``key:``), or None for a line that writes no key
    (blank, a comment, actions only, a scalar list item)."""
    out: list[tuple[tuple[str, ...], str | None] | None] = []
    stack: list[tuple[int, str]] = []
    kind = ""
    for line in lines:
        stripped = line.strip()
        if stripped == "---":
            stack, kind = [], ""
        if not stripped or stripped.startswith("#") or ONLY_ACTIONS.match(line) or stripped == "---":
            out.append(None)
            continue
        indent = len(line) - len(line.lstrip())
        item = stripped.startswith("-")
        # A list item may sit at the indentation of the key holding the list (`containers:` / `- name: x`).
        while stack and (stack[-1][0] > indent or (stack[-1][0] == indent and (not item or stack[-1][1].startswith("-")))):
            stack.pop()
        content = stripped
        while content.startswith("- ") or content == "-":
            content = content[1:].lstrip()
            named = re.match(r"^name\s*:\s*(?P<name>[^{#]+?)\s*$", content)
            stack.append((indent, "-" + (named.group("name").strip("\"'") if named else "")))
            indent = len(line) - len(content)
        match = KEY_LINE.match(content)
        if match is None:
            out.append(None)
            continue
        key = match.group("key").strip("\"'")
        rest = match.group("rest")
        if indent == 0 and key == "kind" and rest:
            kind = rest.strip("\"'")
        path = (kind,) + tuple(name for _, name in stack) + (key,)
        out.append((path, rest or None))
        if not rest:
            stack.append((indent, key))
    return out


def _scopes(lines: list[str]) -> list[list[str]]:
    """Per line, the block actions (``if …``, ``with …``, ``range …``, ``define …``) it sits in, outermost first,
    each as its normalised text (``with .Values.x``); an ``else`` branch reads ``else <opening>``."""
    out: list[list[str]] = []
    stack: list[str] = []
    for line in lines:
        opened = list(stack)
        for action in CONTROL.finditer(line):
            word, rest = action.group("word"), " ".join(action.group("rest").split())
            if word in ("if", "with", "range", "define", "block"):
                stack.append(f"{word} {rest}")
            elif word == "else" and stack:
                stack[-1] = f"else {stack[-1]}"
            elif word == "end" and stack:
                stack.pop()
        # A line opening a block on its own belongs to the enclosing scope; a line inside one, to that block.
        out.append(opened if ONLY_ACTIONS.match(line) else list(stack) if len(stack) >= len(opened) else opened)
    return out


def _output_reads(line: str, scopes: list[str], variables: dict[str, str]) -> set[tuple[str, ...]]:
    """The value paths an output action of the line inserts (``toYaml .Values.x``, ``.Values.x | default …``, ``toYaml .``
    inside ``with .Values.x``, a variable set once from values)."""
    found: set[tuple[str, ...]] = set()
    for action in ACTION.finditer(line):
        body = action.group(0)
        word = ACTION_WORD.match(body)
        if (word is not None and word.group("word") in OUTPUT_WORDS) or re.match(r"\{\{-?\s*(/\*|\$\w+\s*:?=)", body):
            continue
        text = body
        if re.search(r"(?<![\w$.\]])\.(?=\s|\)|\||-?\}\})", text):
            # `.` itself: what the innermost `with` binds
            binder = next((scope for scope in reversed(scopes) if scope.startswith(("with ", "range "))), None)
            if binder is not None and binder.startswith("with "):
                text += " " + binder[5:]
        for name, value in variables.items():
            text = re.sub(rf"\${name}(?!\w)", f" {value} ", text)
        found.update(tuple(_parts(m.group(1))) for m in VALUE_REFERENCE.finditer(text))
    return found


def _variables(text: str) -> dict[str, str]:
    """Variables defined once in the file: name -> the text of their definition."""
    counts: dict[str, int] = {}
    found: dict[str, str] = {}
    for match in VARIABLE_DEFINED.finditer(text):
        counts[match.group("name")] = counts.get(match.group("name"), 0) + 1
        found[match.group("name")] = match.group("value")
    return {name: value for name, value in found.items() if counts[name] == 1}


def _fields_of_reads(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...], list[str], int]]:
    """(value path inserted, the field path it lands in, the blocks around it, its line) for every output action of a
    template."""
    lines = text.split("\n")
    fields, scopes, variables = _field_paths(lines), _scopes(lines), _variables(text)
    found = []
    for index, line in enumerate(lines):
        if "{{" not in line:
            continue
        reads = _output_reads(line, scopes[index], variables)
        if not reads:
            continue
        if fields[index] is not None:
            target = fields[index][0]  # `key: {{ … }}`
        else:
            previous = next((i for i in range(index - 1, -1, -1) if lines[i].strip() and not ONLY_ACTIONS.match(lines[i])), None)
            if previous is None or fields[previous] is None or fields[previous][1] is not None:
                continue
            target = fields[previous][0]  # a bare `key:` followed by `{{ toYaml … | nindent N }}`
        found += [(read, target, scopes[index], index) for read in reads]
    return found


def _same_value(found: object, value: object) -> bool:
    return type(found) is type(value) and found == value


def _literal(text: str | None) -> object:
    import yaml

    if text is None or "{{" in text:
        return UNKNOWN
    try:
        return yaml.safe_load(text.split(" #")[0])
    except yaml.YAMLError:
        return UNKNOWN


def moved_default(context: ChangeContext, values_file: str, path: tuple[str, ...], value: object,
                  old_values: dict) -> str | None:
    """Where a new chart default ``path: value`` came from when the base rendered it already (see above), said for
    a finding's message, or None: when the templates of either side cannot be read, the value lands in no field a
    template of the base wrote, or the base wrote it there only under a condition the new template does not hold
    and the base defaults do not make true (fail closed)."""
    chart = values_file.rsplit("/", 1)[0] if "/" in values_file else ""
    probe = f"{chart}/templates/_" if chart else "templates/_"
    new_files = _chart_files(context, probe, "new")
    old_files = _chart_files(context, probe, "old")
    if not new_files or not old_files:
        return None
    path = tuple(str(p) for p in path)
    for name, text in sorted(new_files.items()):
        if name not in old_files or name.endswith(".tpl"):
            continue
        for read, target, scopes, _ in _fields_of_reads(text):
            if not read or path[:len(read)] != read:
                continue
            field = target + path[len(read):]
            reason = _base_wrote(old_files[name], field, value, old_values, set(scopes))
            if reason is not None:
                shown = ".".join(part if not part.startswith("-") else f"[{part[1:]}]" for part in field[1:]).replace(".[", "[")
                return f"{reason}, which {name} at the base rendered into the same field (`{shown}` of its {field[0] or 'object'})"
    return None


def _base_wrote(text: str, field: tuple[str, ...], value: object, old_values: dict, kept: set[str]) -> str | None:
    lines = text.split("\n")
    fields, scopes = _field_paths(lines), _scopes(lines)

    def rendered(index: int) -> bool:
        nested = False
        for scope in scopes[index]:
            word, _, rest = scope.partition(" ")
            if scope not in kept and not (word in ("if", "with") and _truthy(_evaluate(rest, old_values, nested))):
                return False
            nested = nested or word == "with"
        return True

    for index, found in enumerate(fields):
        if found is not None and found[0] == field and _same_value(_literal(found[1]), value) and rendered(index):
            return f"the template's own `{field[-1]}: {found[1]}`"
    for read, target, _, index in _fields_of_reads(text):
        if field[:len(target)] != target:
            continue
        source = read + field[len(target):]
        if _same_value(_lookup(old_values, ".".join(source)), value) and rendered(index):
            return f"the value `{'.'.join(source)}` (default {_shown_value(value)})"
    return None


def kept_by_default(settings: list[dict[str, object]], old_values: dict, new_values: dict, written: set[str]) -> str | None:
    """Why what a template stops rendering only under ``settings`` is kept by a default install, said for a finding's
    message, or None. Each setting turns off a single value that the chart's values.yaml sets to true on both sides of
    the change, tested by a condition the change writes (``written``: the paths of the conditions on its added and
    removed lines): "kept while `metrics.enabled` is true, its default; dropped when it is turned off". Anything else
    (a value off or unset by default, a setting of several values, a condition the change leaves as it was) is None."""
    paths = set()
    for setting in settings:
        if len(setting) != 1:
            return None
        (path, value), = setting.items()
        if value is not False or _lookup(new_values, path) is not True or _lookup(old_values, path) is not True \
                or path not in written:
            return None
        paths.add(shown_path(path))
    if not paths:
        return None
    named = " and ".join(f"`{path}`" for path in sorted(paths))
    if len(paths) == 1:
        return f"kept while {named} is true, its default; dropped when it is turned off"
    return f"kept while {named} are true, their defaults; dropped when one is turned off"
