"""The rule engine: which rules fire where in a change.

Speed matters (a 150k-line diff must be assessed in about the time it takes to parse it), so
the engine never loops rules over lines in Python. Per file it:
  1. decides once per distinct set of path globs which rules apply (pathspec, cached per path);
  2. joins the file's added lines (and, separately, its removed lines) into one text (hits.py);
  3. finds, with a fast literal scan, the few places each applicable rule can match at all
     (prefilter.py), and runs the rule's compiled regex only there (in C, ``re.finditer``): on
     that line, or over the whole text when the regex can match a line break;
  4. maps the few match offsets back to lines with a binary search, filters removed-line hits
     that are moves or rewrites (removals.py), and turns what is left into findings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Iterable

import pathspec

from reviewer_app.core.model import Change, FileDiff, FileStatus, Line, LineKind
from reviewer_app.core.risk import structure
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.hits import FileView, Hit, find_hits, prepare
from reviewer_app.core.risk.removals import drop_deleted_blocks, drop_kept, drop_rewritten_blocks
from reviewer_app.core.risk.rules import SEVERITY_RANK, Rule, RuleSet, max_severity

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def shannon_entropy(text: str) -> float:
    """Bits per character (gitleaks and detect-secrets use the same measure)."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(count / total * math.log2(count / total) for count in Counter(text).values())


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
    # Parsers where they exist (structure/): their findings join, the line rules they cover step aside.
    structured = structure.analyse(change, rules)
    for file_index, diff in enumerate(change.files):
        paths = tuple(dict.fromkeys(p for p in (diff.new_path, diff.old_path) if p))
        applicable = structured.line_rules(diff, path_filter.rules_for(paths))
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
    structured.merge_into(findings, rules)
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
        accept = (lambda match: secret_is_random(rule, match)) if rule.entropy_group is not None else None
        hits.extend(find_hits(rule.added, view.added, "new", limit, accept))
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


def secret_is_random(rule: Rule, match: re.Match[str]) -> bool:
    """Keep a secret-looking match only when its captured value looks random enough."""
    assert rule.entropy_group is not None
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
