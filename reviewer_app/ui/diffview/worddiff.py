"""Intra-line (word) differences of paired removed/added lines, computed on demand and cached.

In each change block the i-th removed line is paired with the i-th added line (what GitLab and
Gerrit do). A pair is compared word by word with difflib; only the pairs on screen are ever
compared. Lines that share almost nothing get no word marks: the whole line changed, and
speckling it would hide that.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from reviewer_app.core.model import FileDiff
from reviewer_app.ui.diffview.rows import change_blocks

Ranges = Sequence[tuple[int, int]]  # (start, end) columns in Line.text, end exclusive

_WORD = re.compile(r"\w+|\s+|[^\w\s]")
MIN_SIMILARITY = 0.3  # below this the pair is shown as wholly changed
MAX_PAIR_CHARS = 4_000  # longer pairs: compare the common prefix/suffix only (linear time)


def _words(text: str) -> tuple[list[str], list[int]]:
    words: list[str] = []
    starts: list[int] = []
    for match in _WORD.finditer(text):
        words.append(match.group())
        starts.append(match.start())
    return words, starts


def _prefix_suffix(old: str, new: str) -> tuple[Ranges, Ranges]:
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    old_range = ((prefix, len(old) - suffix),) if prefix < len(old) - suffix else ()
    new_range = ((prefix, len(new) - suffix),) if prefix < len(new) - suffix else ()
    return old_range, new_range


def word_ranges(old: str, new: str) -> tuple[Ranges, Ranges]:
    """Changed column ranges of ``old`` and ``new``; empty when identical or wholly different."""
    if old == new:
        return (), ()
    if len(old) + len(new) > MAX_PAIR_CHARS:
        return _prefix_suffix(old, new)
    old_words, old_starts = _words(old)
    new_words, new_starts = _words(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    if matcher.ratio() < MIN_SIMILARITY:
        return (), ()
    old_ranges: list[tuple[int, int]] = []
    new_ranges: list[tuple[int, int]] = []
    old_starts.append(len(old))
    new_starts.append(len(new))
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i1 < i2:
            _merge(old_ranges, old_starts[i1], old_starts[i2])
        if j1 < j2:
            _merge(new_ranges, new_starts[j1], new_starts[j2])
    # Tuples, not lists: cached by the thousand, and tuples of ints cost the garbage collector nothing.
    return tuple(old_ranges), tuple(new_ranges)


MERGE_GAP = 1  # "os.system" vs "subprocess.run": one mark, not two split by the unchanged "."


def _merge(ranges: list[tuple[int, int]], start: int, end: int) -> None:
    if ranges and start - ranges[-1][1] <= MERGE_GAP:
        ranges[-1] = (ranges[-1][0], end)
    else:
        ranges.append((start, end))


class WordDiffs:
    """Pairs and word differences of one change, cached per hunk and per pair."""

    def __init__(self, files: list[FileDiff]) -> None:
        self._files = files
        self._partners: dict[tuple[int, int], dict[int, int]] = {}
        self._pairs: dict[tuple[int, int, int, int], tuple[Ranges, Ranges]] = {}

    def partner(self, file_index: int, hunk_index: int, line_index: int) -> int | None:
        """The line paired with ``line_index`` in its change block (unified view), if any."""
        key = (file_index, hunk_index)
        partners = self._partners.get(key)
        if partners is None:
            partners = {}
            for _context, removed, added in change_blocks(self._files[file_index].hunks[hunk_index].lines):
                for old, new in zip(removed, added):
                    partners[old] = new
                    partners[new] = old
            self._partners[key] = partners
        return partners.get(line_index)

    def pair(self, file_index: int, hunk_index: int, old_index: int, new_index: int) -> tuple[Ranges, Ranges]:
        """Changed ranges of the removed line ``old_index`` and the added line ``new_index``."""
        key = (file_index, hunk_index, old_index, new_index)
        result = self._pairs.get(key)
        if result is None:
            lines = self._files[file_index].hunks[hunk_index].lines
            result = word_ranges(lines[old_index].text, lines[new_index].text)
            self._pairs[key] = result
        return result

    def ranges(self, file_index: int, hunk_index: int, line_index: int, removed: bool) -> Ranges:
        """Changed ranges of one removed or added line against its partner (unified view)."""
        other = self.partner(file_index, hunk_index, line_index)
        if other is None:
            return ()
        if removed:
            return self.pair(file_index, hunk_index, line_index, other)[0]
        return self.pair(file_index, hunk_index, other, line_index)[1]
