"""Helm chart templates judged by their text, where YAML cannot parse them (Go template actions).

A template is not YAML until it is rendered, but two hazards read plainly from its text:
  * **selector labels changed.** A workload's ``spec.selector`` is immutable: when the labels
    it matches change (a ``define "*.selectorLabels"`` / ``"*.matchLabels"`` helper whose body
    changes, or the ``matchLabels:`` block of a Deployment, StatefulSet or DaemonSet template),
    ``helm upgrade`` fails on every existing install until the object is deleted by hand. A
    selector that holds the chart's version changes at every release, so every upgrade fails.
    A chart added whole, or a helper only re-indented or re-trimmed (``{{-``), is no change.
  * **a PersistentVolumeClaim template deleted.** ``helm upgrade`` deletes the objects a release
    no longer renders: the claim goes, and with most storage classes its volume and data too.
"""

from __future__ import annotations

import re

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
        _selector_helpers(sides, emit)
        _match_labels(sides, emit)
    if sides.old.exists and not sides.new.exists:
        _pvc_deleted(sides, emit, context)


# `template` and `include` render a named template alike, and `indent` and `nindent` differ only by a
# leading newline, which the YAML around a selector absorbs: rewriting one as the other changes no label.
SAME_RENDERING = ((re.compile(r"\{\{ template \""), '{{ include "'), (re.compile(r"\|\s*nindent\b"), "| indent"))


def _normal(line: str) -> str:
    text = re.sub(r"\s+", " ", TRIM.sub("{{ ", line.replace("-}}", "}}"))).strip()
    for pattern, replacement in SAME_RENDERING:
        text = pattern.sub(replacement, text)
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


def _selector_helpers(sides: FileSides, emit: Emitter) -> None:
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
        # A selector helper new in an existing helpers file: the chart's selectors are being rewired
        # to it (a new chart comes as a file added whole, which is not judged here).
        line = _culprit(sides.new, body)
        if line:
            _emit_selector(emit, line, f"the selector helper `{name}`" + (" (new)" if before is None else ""), sides.new, body)


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


def _previous_content(lines: list[str], index: int) -> str:
    for back in range(index - 1, -1, -1):
        if lines[back].strip():
            return lines[back]
    return ""


def _match_labels(sides: FileSides, emit: Emitter) -> None:
    old_blocks, new_blocks = _match_blocks(sides.old), _match_blocks(sides.new)
    if len(old_blocks) != len(new_blocks):
        return  # a workload added or removed: no selector of an existing object changed in place
    for before, after in zip(old_blocks, new_blocks):
        old_text = sorted(_normal(sides.old.lines[i]) for i in before)
        new_text = sorted(_normal(sides.new.lines[i]) for i in after)
        if old_text == new_text:
            continue
        line = _culprit(sides.new, after)
        if line:
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
