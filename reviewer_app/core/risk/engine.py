"""The rule engine: which rules fire where in a change.

Speed matters (a 150k-line diff must be assessed in about the time it takes to parse it), so
the engine never loops rules over lines in Python. Per file it:
  1. decides once per distinct set of path globs which rules apply (pathspec, cached per path);
  2. joins the file's added lines (and, separately, its removed lines) into one text;
  3. finds, with a fast literal scan, the few places each applicable rule can match at all
     (prefilter.py), and runs the rule's compiled regex only there (in C, ``re.finditer``);
  4. maps the few match offsets back to lines with a binary search.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import pathspec

from reviewer_app.core.model import Change, FileDiff, FileStatus, Line, LineKind
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.prefilter import accelerated, candidate_windows, prefilter_for
from reviewer_app.core.risk.rules import SEVERITY_RANK, Rule, RuleSet, max_severity

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


@dataclass(slots=True)
class SideText:
    """One side (added or removed lines) of one file, joined so a regex scans it in one call."""

    lines: list[Line] = field(default_factory=list)
    hunks: list[int] = field(default_factory=list)  # index of the hunk each line belongs to
    order: list[int] = field(default_factory=list)  # position of the line among all the file's lines
    starts: list[int] = field(default_factory=list)  # offset of each line in ``text``
    text: str = ""
    _folded: str | None = None

    @property
    def folded(self) -> str:
        """The text case-folded once, for the literal pre-filters of every rule."""
        if self._folded is None:
            self._folded = self.text.casefold()
        return self._folded


@dataclass(slots=True)
class Hit:
    side: str  # "new" (added line) or "old" (removed line)
    index: int  # index into SideText.lines
    start: int
    end: int
    matched: str


@dataclass(slots=True)
class FileView:
    """A file's diff prepared for matching: both sides joined, the new-side text for guards."""

    diff: FileDiff
    added: SideText
    removed: SideText
    _new_text: str | None = None

    @property
    def new_text(self) -> str:
        """Added and context lines: the part of the new file the diff shows (for 'file_lacks')."""
        if self._new_text is None:
            self._new_text = "\n".join(
                line.text for hunk in self.diff.hunks for line in hunk.lines if line.kind is not LineKind.REMOVED
            )
        return self._new_text

    def side(self, name: str) -> SideText:
        return self.added if name == "new" else self.removed


def prepare(diff: FileDiff) -> FileView:
    added, removed = SideText(), SideText()
    added_texts: list[str] = []
    removed_texts: list[str] = []
    position = 0
    for hunk_index, hunk in enumerate(diff.hunks):
        for line in hunk.lines:
            kind = line.kind
            if kind is LineKind.ADDED:
                added.lines.append(line)
                added.hunks.append(hunk_index)
                added.order.append(position)
                added_texts.append(line.text)
            elif kind is LineKind.REMOVED:
                removed.lines.append(line)
                removed.hunks.append(hunk_index)
                removed.order.append(position)
                removed_texts.append(line.text)
            position += 1
    for side, texts in ((added, added_texts), (removed, removed_texts)):
        side.text = "\n".join(texts)
        offset = 0
        starts = side.starts
        for text in texts:
            starts.append(offset)
            offset += len(text) + 1
    return FileView(diff, added, removed)


def shannon_entropy(text: str) -> float:
    """Bits per character (gitleaks and detect-secrets use the same measure)."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(count / total * math.log2(count / total) for count in Counter(text).values())


def find_hits(pattern: re.Pattern[str], side_text: SideText, side: str, limit: int = 0) -> list[Hit]:
    """Matches of ``pattern`` in one side of a file, located by line (at most ``limit`` if set)."""
    if not side_text.lines:
        return []
    found: list[Hit] = []
    starts = side_text.starts
    text = side_text.text
    prefilter = prefilter_for(pattern)
    windows = None if prefilter is None else candidate_windows(prefilter, text, side_text.folded, starts)
    fast = accelerated(pattern)
    for pos, endpos in [(0, len(text))] if windows is None else windows:
        if _collect(fast, side_text, side, pos, endpos, found, limit):
            break
    return found


def _collect(pattern: re.Pattern[str], side_text: SideText, side: str, pos: int, endpos: int,
             found: list[Hit], limit: int) -> bool:
    """Append the matches in text[pos:endpos]; True when ``limit`` is reached."""
    starts = side_text.starts
    for match in pattern.finditer(side_text.text, pos, endpos):
        index = bisect.bisect_right(starts, match.start()) - 1
        line_start = starts[index]
        line_length = len(side_text.lines[index].text)
        start = min(match.start() - line_start, line_length)
        # A pattern may run on past the end of the line (\s matches the joining newline): the
        # span shown to the reviewer stops at the end of the line where the match begins.
        end = max(start, min(match.end() - line_start, line_length))
        found.append(Hit(side, index, start, end, match.group(0)))
        if limit and len(found) >= limit:
            return True
    return False


@lru_cache(maxsize=512)
def _compiled_spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(globs)


class PathFilter:
    """Which rules apply to a path: one pathspec decision per distinct (include, exclude) pair."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Rule]] = {}
        for rule in rules:
            self.groups.setdefault(rule.path_key, []).append(rule)

    def rules_for(self, paths: tuple[str, ...]) -> list[Rule]:
        applicable: list[Rule] = []
        for (include, exclude), rules in self.groups.items():
            include_spec = _compiled_spec(include)
            exclude_spec = _compiled_spec(exclude) if exclude else None
            if any(include_spec.match_file(p) and not (exclude_spec and exclude_spec.match_file(p)) for p in paths):
                applicable.extend(rules)
        return applicable


def evaluate(change: Change, rules: RuleSet) -> list[Finding]:
    """Every finding of every rule in ``rules`` on ``change``, in a stable order, one per id."""
    path_filter = PathFilter(rules.rules)
    findings: dict[str, Finding] = {}
    change_scope_done: set[str] = set()
    for file_index, diff in enumerate(change.files):
        paths = tuple(dict.fromkeys(p for p in (diff.new_path, diff.old_path) if p))
        applicable = path_filter.rules_for(paths)
        if not applicable:
            continue
        view = prepare(diff)
        for rule in applicable:
            if rule.scope == "change" and rule.id in change_scope_done:
                continue
            for finding in evaluate_rule(rule, view):
                if rule.scope == "change":
                    change_scope_done.add(rule.id)
                previous = findings.get(finding.id)
                if previous is None or SEVERITY_RANK[finding.severity] > SEVERITY_RANK[previous.severity]:
                    findings[finding.id] = finding
    order = {diff.path: index for index, diff in enumerate(change.files)}
    return sorted(findings.values(), key=lambda f: (order.get(f.path, len(order)), f.path, f.line, f.side, f.rule))


def evaluate_rule(rule: Rule, view: FileView) -> list[Finding]:
    hits = rule_hits(rule, view)
    status_fired = (rule.any_change and changes_something(view.diff)) or view.diff.status.value in rule.file_status
    if not hits and not status_fired:
        return []
    if rule.file_lacks is not None and rule.file_lacks.search(view.new_text):
        return []
    if status_fired:  # the file as a whole is the finding (e.g. a deleted test file): no per-line noise
        located = []
        whole_file = True
    elif rule.scope == "line":
        located = [(hit, [hit]) for hit in hits]
        whole_file = False
    elif rule.scope == "hunk":
        by_hunk: dict[int, list[Hit]] = {}
        for hit in hits:
            by_hunk.setdefault(view.side(hit.side).hunks[hit.index], []).append(hit)
        located = [
            (min(group, key=lambda h: view.side(h.side).order[h.index]), group) for _, group in sorted(by_hunk.items())
        ]
        whole_file = False
    else:  # file and change scope: one finding for the file, at line 0
        located = []
        whole_file = True
    results = [line_finding(rule, view, anchor, group) for anchor, group in located]
    if whole_file:
        results.append(file_finding(rule, view, hits))
    return results


def changes_something(diff: FileDiff) -> bool:
    """False only for a file whose diff shows nothing but context (nothing for a reviewer to see)."""
    return (diff.status is not FileStatus.MODIFIED or diff.binary or diff.mode_changed
            or any(line.kind is not LineKind.CONTEXT for hunk in diff.hunks for line in hunk.lines))


def rule_hits(rule: Rule, view: FileView) -> list[Hit]:
    hits: list[Hit] = []
    # A file-level finding needs one hit, not all of them (a pattern like '\S' hits every character).
    limit = 1 if rule.scope in ("file", "change") and not (rule.net_removed or rule.ignore_moved or rule.entropy_group) else 0
    if rule.added is not None and view.added.lines:
        added_hits = find_hits(rule.added, view.added, "new", limit)
        if rule.entropy_group is not None:
            added_hits = [hit for hit in added_hits if secret_is_random(rule, hit, view)]
        hits.extend(added_hits)
    if rule.removed is not None and view.removed.lines:
        removed_hits = find_hits(rule.removed, view.removed, "old", limit)
        if removed_hits and rule.max_pure_removal:
            removed_hits = drop_deleted_blocks(rule, view, removed_hits)
        if removed_hits and rule.guarded_code_kept:
            removed_hits = drop_rewritten_blocks(rule, view, removed_hits)
        if removed_hits and (rule.net_removed or rule.ignore_moved):
            removed_hits = drop_kept(rule, view, removed_hits)
        hits.extend(removed_hits)
    if rule.ignore_lines is not None and hits:
        ignored = rule.ignore_lines.search
        hits = [hit for hit in hits if not ignored(view.side(hit.side).lines[hit.index].text)]
    return hits


def drop_deleted_blocks(rule: Rule, view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed hits in hunks that only delete, and delete a lot: the code went with its safety net."""
    pure_deletions = {
        index for index, hunk in enumerate(view.diff.hunks)
        if hunk.removed > rule.max_pure_removal and hunk.added == 0
    }
    return [hit for hit in removed_hits if view.removed.hunks[hit.index] not in pure_deletions]


SIMILAR = 0.75  # difflib ratio above which a removed line counts as kept (lightly edited)
SMALL_REMOVAL = 4  # a hunk removing this few lines removes a guard, not the code it guarded
TRIVIAL_LINES = frozenset({"", "{", "}", "};", "})", "pass", "else:", "finally:", "} else {", "end"})


def drop_rewritten_blocks(rule: Rule, view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed guards count only where the guarded code stays (``guarded_code_kept``).

    A hunk qualifies when it removes at most SMALL_REMOVAL lines, or when at least half of its
    other removed lines come back, re-indented or lightly edited, among its added lines (a
    try/except unwrapped, ``if err != nil`` dropped around a call that stays).
    A block that is rewritten wholesale takes its old error handling with it: that is a
    redesign for the reviewer to read, not a safety net quietly dropped.
    """
    assert rule.removed is not None
    kept_hunks: set[int] = set()
    for index in {view.removed.hunks[hit.index] for hit in removed_hits}:
        lines = view.diff.hunks[index].lines
        removed = [line.text.strip() for line in lines if line.kind is LineKind.REMOVED]
        if len(removed) <= SMALL_REMOVAL:
            kept_hunks.add(index)
            continue
        others = [text for text in removed if text not in TRIVIAL_LINES and not rule.removed.search(text)]
        added = [line.text.strip() for line in lines if line.kind is LineKind.ADDED]
        if not others or 2 * sum(1 for text in others if _comes_back(text, added)) >= len(others):
            kept_hunks.add(index)
    return [hit for hit in removed_hits if view.removed.hunks[hit.index] in kept_hunks]


def _comes_back(text: str, added: list[str]) -> bool:
    """The removed line reappears among the added ones, as is or lightly edited (err -> _)."""
    if text in added:
        return True
    matcher = difflib.SequenceMatcher(None, text, autojunk=False)
    for candidate in added[:200]:  # bounded: only hunks with a removed guard get here
        matcher.set_seq2(candidate)
        if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR:
            return True
    return False


def drop_kept(rule: Rule, view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed hits that are really moves (``ignore_moved``) or offset by additions (``net_removed``)."""
    assert rule.removed is not None
    on_added = find_hits(rule.removed, view.added, "new")
    if rule.ignore_moved:
        kept = {_normalize(hit.matched) for hit in on_added}
        removed_hits = [hit for hit in removed_hits if _normalize(hit.matched) not in kept]
    if rule.net_removed:
        added_per_hunk = Counter(view.added.hunks[hit.index] for hit in on_added)
        removed_per_hunk = Counter(view.removed.hunks[hit.index] for hit in removed_hits)
        removed_hits = [
            hit for hit in removed_hits
            if removed_per_hunk[view.removed.hunks[hit.index]] > added_per_hunk[view.removed.hunks[hit.index]]
        ]
    return removed_hits


def _normalize(text: str) -> str:
    return " ".join(text.split())


def secret_is_random(rule: Rule, hit: Hit, view: FileView) -> bool:
    """Keep a secret-looking match only when its captured value looks random enough."""
    assert rule.added is not None and rule.entropy_group is not None
    text = view.added.lines[hit.index].text
    match = rule.added.search(text, hit.start)
    if match is None:
        return False
    value = match.group(rule.entropy_group) or ""
    threshold = rule.min_entropy_hex if value and set(value) <= HEX_DIGITS and rule.min_entropy_hex else rule.min_entropy
    return shannon_entropy(value) >= threshold


def line_finding(rule: Rule, view: FileView, anchor: Hit, group: list[Hit]) -> Finding:
    line = view.side(anchor.side).lines[anchor.index]
    number = (line.new_no if anchor.side == "new" else line.old_no) or 0
    hunk_index = view.side(anchor.side).hunks[anchor.index]
    hunk = view.diff.hunks[hunk_index]
    line_texts = [view.side(hit.side).lines[hit.index].text for hit in group]
    severity, because = escalated(rule, line_texts, _texts(hunk.lines, LineKind.ADDED), _texts(hunk.lines, LineKind.REMOVED))
    path = view.diff.path if anchor.side == "new" else (view.diff.old_path or view.diff.path)
    return Finding(rule.id, severity, path, anchor.side, number, anchor.start, anchor.end,
                   _message(rule, severity, because), rule.reference, rule.scope)


def file_finding(rule: Rule, view: FileView, hits: list[Hit]) -> Finding:
    # Escalation conditions on "the line" look at every added line of the file (hits may be capped).
    line_texts = [line.text for line in view.added.lines] or [view.side(hit.side).lines[hit.index].text for hit in hits]
    severity, because = escalated(rule, line_texts, view.added.text, view.removed.text)
    side = "old" if view.diff.status is FileStatus.DELETED else "new"
    return Finding(rule.id, severity, view.diff.path, side, 0, 0, 0, _message(rule, severity, because),
                   rule.reference, rule.scope)


def _texts(lines: list[Line], kind: LineKind) -> str:
    return "\n".join(line.text for line in lines if line.kind is kind)


def escalated(rule: Rule, line_texts: list[str], added_text: str, removed_text: str) -> tuple[str, list[str]]:
    """The rule's severity raised by every escalation whose conditions all hold, and why."""
    severity = rule.severity
    reasons: list[str] = []
    for escalation in rule.escalate:
        if escalation.line is not None and not any(escalation.line.search(text) for text in line_texts):
            continue
        if escalation.added is not None and not escalation.added.search(added_text):
            continue
        if escalation.removed is not None and not escalation.removed.search(removed_text):
            continue
        if SEVERITY_RANK[escalation.severity] > SEVERITY_RANK[rule.severity]:
            severity = max_severity(severity, escalation.severity)
            reasons.append(escalation.because)
    return severity, reasons


def _message(rule: Rule, severity: str, because: list[str]) -> str:
    if not because:
        return rule.message
    return f"{rule.message} Raised to {severity}: {'; '.join(because)}."
