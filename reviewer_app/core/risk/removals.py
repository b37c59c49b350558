"""Filters for hits on removed lines: moves, rewrites and deletions are not lost safety nets.

A removed ``try:`` or ``timeout=`` matters when the code it protected stays and the protection
does not come back. These filters implement the rule options that express that
(``max_pure_removal``, ``guarded_code_kept``, ``ignore_moved``, ``net_removed``).
"""

from __future__ import annotations

import difflib
from collections import Counter

from reviewer_app.core.model import LineKind
from reviewer_app.core.risk.hits import FileView, Hit, find_hits
from reviewer_app.core.risk.rules import Rule


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
