"""A file's diff prepared for matching, and regex matches located by line.

The added lines of a file (and, separately, its removed lines) are joined into one text so that
a rule's regex scans it in one C-level call; match offsets map back to lines by binary search.
What a match may cover (docs/risk-rules.md, "Where a pattern matches"): the changed lines of one
side of one file as if they were consecutive. Unchanged lines between them, shown as context or
not shown at all, are skipped rather than read, so filler the change did not write (blank lines,
a comment block) cannot split a statement apart from its rule; a match is reported at the first
line whose text it covers.
"""

from __future__ import annotations

import bisect
import re
from typing import Callable, Iterator

from reviewer_app.core.model import FileDiff, Line, LineKind
from reviewer_app.core.records import Record
from reviewer_app.core.risk.prefilter import UNBOUNDED, accelerated, line_reach, literal_lines, prefilter_for


class SideText(Record):
    """One side (added or removed lines) of one file, joined so a regex scans it in one call."""

    __slots__ = FIELDS = ("lines", "hunks", "order", "starts", "text", "_folded", "_non_blank")

    def __init__(self, lines: list[Line] | None = None, hunks: list[int] | None = None,
                 order: list[int] | None = None, starts: list[int] | None = None, text: str = "",
                 _folded: str | None = None, _non_blank: list[int] | None = None) -> None:
        self.lines = [] if lines is None else lines
        self.hunks = [] if hunks is None else hunks  # index of the hunk each line belongs to
        self.order = [] if order is None else order  # position of the line among all the file's lines
        self.starts = [] if starts is None else starts  # offset of each line in ``text``
        self.text = text
        self._folded = _folded
        self._non_blank = _non_blank

    @property
    def folded(self) -> str:
        """The text case-folded once, for the literal pre-filters of every rule."""
        if self._folded is None:
            self._folded = self.text.casefold()
        return self._folded

    @property
    def non_blank(self) -> list[int]:
        """Indexes of the lines with a non-whitespace character (the steps of ``line_reach``)."""
        if self._non_blank is None:
            self._non_blank = [index for index, line in enumerate(self.lines) if not line.text.isspace() and line.text]
        return self._non_blank


class Hit(Record):
    __slots__ = FIELDS = ("side", "index", "start", "end", "matched", "at_start", "at_end")

    def __init__(self, side: str, index: int, start: int, end: int, matched: str, at_start: int = -1,
                 at_end: int = -1) -> None:
        self.side = side  # "new" (added line) or "old" (removed line)
        self.index = index  # index into SideText.lines
        self.start = start  # the matched span within that line's text (0-based, end exclusive)
        self.end = end
        self.matched = matched  # the whole match, which may run over several lines
        # Where the pattern's ``at`` group matched (offsets in the side's joined text), -1 when it has
        # none: the line a rule names as the culprit, e.g. the ``name='asn',`` of a RemoveField.
        self.at_start = at_start
        self.at_end = at_end


class FileView(Record):
    """A file's diff prepared for matching: both sides joined, the new-side text for guards."""

    __slots__ = FIELDS = ("diff", "added", "removed", "_new_text", "_blocks", "_whole_new")

    def __init__(self, diff: FileDiff, added: SideText, removed: SideText, _new_text: str | None = None,
                 _blocks: tuple[list[int], list[int]] | None = None,
                 _whole_new: tuple[list[str] | None] | None = None) -> None:
        self.diff = diff
        self.added = added
        self.removed = removed
        self._new_text = _new_text
        self._blocks = _blocks
        self._whole_new = _whole_new  # (the whole new side, or None) once read

    @property
    def new_text(self) -> str:
        """Added and context lines: the part of the new file the diff shows (for 'file_lacks')."""
        if self._new_text is None:
            self._new_text = "\n".join(
                line.text for hunk in self.diff.hunks for line in hunk.lines if line.kind is not LineKind.REMOVED
            )
        return self._new_text

    def whole_new_lines(self) -> list[str] | None:
        """The whole new side of the file (``removals.new_lines``: a blob read), read once however many
        findings of the file ask; None when it cannot be read."""
        if self._whole_new is None:
            from reviewer_app.core.risk.removals import new_lines

            self._whole_new = (new_lines(self.diff),)
        return self._whole_new[0]

    def side(self, name: str) -> SideText:
        return self.added if name == "new" else self.removed

    @property
    def blocks(self) -> tuple[list[int], list[int]]:
        """The edit each added and each removed line belongs to: a run of changed lines between
        context lines. A removed and an added line with the same number are two sides of one edit.
        Computed when first asked (only where a rule has hits on both sides)."""
        if self._blocks is None:
            added: list[int] = []
            removed: list[int] = []
            block = 0
            for hunk in self.diff.hunks:
                block += 1
                changed = False
                for line in hunk.lines:
                    if line.kind is LineKind.ADDED:
                        added.append(block)
                    elif line.kind is LineKind.REMOVED:
                        removed.append(block)
                    elif changed:
                        block += 1  # a context line after changed lines ends the edit
                    changed = line.kind is not LineKind.CONTEXT
            self._blocks = (added, removed)
        return self._blocks


ANCHOR = "at"  # the regex group that moves a finding from the match's first line to the culprit


def anchored(hit: Hit, side_text: SideText) -> Hit:
    """The hit moved to where its pattern's ``at`` group matched, when that group took part.

    A multi-line operation (``migrations.RemoveField(`` then ``model_name=…`` then ``name='asn',``)
    is found by its first line, but what a reviewer must look at is the line naming what is lost.
    """
    if hit.at_start < 0:
        return hit
    index = bisect.bisect_right(side_text.starts, hit.at_start) - 1
    line_start = side_text.starts[index]
    line_end = line_start + len(side_text.lines[index].text)
    start = min(hit.at_start, line_end) - line_start
    end = max(start, min(hit.at_end, line_end) - line_start)
    return Hit(hit.side, index, start, end, hit.matched)


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


ACCELERATE_FROM_CHARS = 20_000


def find_hits(pattern: re.Pattern[str], side_text: SideText, side: str, limit: int = 0,
              accept: Callable[[re.Match[str]], bool] | None = None) -> list[Hit]:
    """Hits of ``pattern`` in one side of a file, located by line (at most ``limit`` if set).

    ``accept`` rejects a match before it counts (e.g. a secret whose value is not random enough).
    """
    if not side_text.lines:
        return []
    found: list[Hit] = []
    # The first-character lookahead pays for its second compile only on long texts; a short file
    # (a one-line commit) scans faster than it compiles.
    fast = accelerated(pattern) if len(side_text.text) >= ACCELERATE_FROM_CHARS else pattern
    for pos, endpos in _windows(pattern, side_text):
        if _collect(fast.finditer(side_text.text, pos, endpos), side_text, side, found, limit, accept):
            break
    return found


def _windows(pattern: re.Pattern[str], side_text: SideText) -> list[tuple[int, int]]:
    """The (pos, endpos) ranges the full pattern must scan to find every match.

    Every match holds a literal of the pre-filter. A pattern that cannot match a line break
    matches nothing but on a line with one. One that can reaches at most ``line_reach`` gaps
    between non-blank lines from its literal (``DROP``, blank lines, ``TABLE``: one gap), so it
    runs from the k-th non-blank line before each literal line to the k-th after; when nothing
    bounds its reach (``[^;]*``), it runs over the whole text as soon as a literal occurs.
    Windows that touch are merged, so no match is cut in two.
    """
    whole = [(0, len(side_text.text))]
    prefilter = prefilter_for(pattern)
    if prefilter is None:
        return whole
    lines = literal_lines(prefilter, side_text.text, side_text.text if prefilter.exact else side_text.folded,
                          side_text.starts)
    if lines is None:
        return whole
    if not lines:
        return []
    reach = line_reach(pattern)
    if reach == UNBOUNDED:
        return whole
    starts, text_lines = side_text.starts, side_text.lines
    last = len(text_lines) - 1
    spans: list[tuple[int, int]] = []  # (first line, last line) of each window
    if reach:
        steps = int(reach)
        non_blank = side_text.non_blank
        for line in sorted(lines):
            rank = bisect.bisect_left(non_blank, line)  # non-blank lines before this one
            first = non_blank[rank - steps] if rank >= steps else 0
            end = non_blank[rank + steps] if rank + steps < len(non_blank) else last
            spans.append((first, end))
    else:
        spans = [(line, line) for line in sorted(lines)]
    windows: list[tuple[int, int]] = []
    for first, end in spans:
        pos = starts[first]
        endpos = starts[end] + len(text_lines[end].text)
        # Touching windows become one scan. For one-line patterns that is only a saving (no match
        # crosses the line break between them); for the others it keeps a match from being cut.
        if windows and pos <= windows[-1][1] + 1:
            windows[-1] = (windows[-1][0], max(windows[-1][1], endpos))
        else:
            windows.append((pos, endpos))
    return windows


def _collect(matches: Iterator[re.Match[str]], side_text: SideText, side: str, found: list[Hit], limit: int,
             accept: Callable[[re.Match[str]], bool] | None) -> bool:
    """Append the hits among ``matches``; True when ``limit`` is reached."""
    starts, lines = side_text.starts, side_text.lines
    last = len(starts) - 1
    for match in matches:
        match_start, match_end = match.span()
        index = bisect.bisect_right(starts, match_start) - 1
        # The first line whose text the match covers: a match that begins with the line break
        # (``\s+DROP``) or with empty lines belongs to the line where its text is.
        while True:
            line_start = starts[index]
            line_end = line_start + len(lines[index].text)
            if max(match_start, line_start) < min(match_end, line_end) or index == last or starts[index + 1] >= match_end:
                break
            index += 1
        if accept is not None and not accept(match):
            continue
        start = min(max(0, match_start - line_start), line_end - line_start)
        # A match may run on past the end of the line: the span shown to the reviewer stops at the
        # end of the line it is reported at.
        end = max(start, min(match_end, line_end) - line_start)
        at_start, at_end = match.span(ANCHOR) if ANCHOR in match.re.groupindex else (-1, -1)
        found.append(Hit(side, index, start, end, match.group(0), at_start, at_end))
        if limit and len(found) >= limit:
            return True
    return False
