"""A file's diff prepared for matching, and regex matches located by line.

Each side of a file (new: added + context lines; old: removed + context lines) is joined into
one text so that a rule's regex scans it in one C-level call; match offsets map back to lines by
binary search. What counts as a hit (docs/risk-rules.md, "Where a pattern matches"):

- a match stays within one hunk: the lines between two hunks are not in the diff, so two hunks
  are never read as if they were adjacent;
- it may run over the context lines of its hunk (``except:`` unchanged, ``pass`` added is a new
  swallowed error), but it counts only when it covers a character of a changed line of its side,
  and it is reported at the first such line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from reviewer_app.core.model import FileDiff, Line, LineKind
from reviewer_app.core.risk.prefilter import accelerated, can_span_lines, literal_lines, prefilter_for


@dataclass(slots=True)
class SideText:
    """One side of one file as the diff shows it, joined so a regex scans it in one call.

    ``lines`` are the changed lines of the side (added for "new", removed for "old"): hits index
    them. ``text`` also holds the context lines of every hunk with a changed line on this side.
    """

    lines: list[Line] = field(default_factory=list)
    hunks: list[int] = field(default_factory=list)  # index of the hunk each changed line belongs to
    order: list[int] = field(default_factory=list)  # position of the changed line among all the file's lines
    text: str = ""
    starts: list[int] = field(default_factory=list)  # offset of each line of ``text``
    changed: list[int] = field(default_factory=list)  # per line of ``text``: index into ``lines``, -1 for context
    segment_of: list[int] = field(default_factory=list)  # per line of ``text``: index into ``segments``
    segments: list[tuple[int, int]] = field(default_factory=list)  # (pos, endpos) of each hunk in ``text``
    _folded: str | None = None
    _changed_text: str | None = None

    @property
    def folded(self) -> str:
        """The text case-folded once, for the literal pre-filters of every rule."""
        if self._folded is None:
            self._folded = self.text.casefold()
        return self._folded

    @property
    def changed_text(self) -> str:
        """The changed lines only, joined (escalation conditions on "the added/removed lines")."""
        if self._changed_text is None:
            self._changed_text = "\n".join(line.text for line in self.lines)
        return self._changed_text


@dataclass(slots=True)
class Hit:
    side: str  # "new" (added line) or "old" (removed line)
    index: int  # index into SideText.lines
    start: int  # the matched span within that line's text (0-based, end exclusive)
    end: int
    matched: str  # the whole match, which may run over several lines


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
        new_side: list[tuple[str, int]] = []  # (text, index into added.lines or -1) for this hunk
        old_side: list[tuple[str, int]] = []
        for line in hunk.lines:
            kind = line.kind
            if kind is LineKind.ADDED:
                new_side.append((line.text, len(added.lines)))
                added.lines.append(line)
                added.hunks.append(hunk_index)
                added.order.append(position)
            elif kind is LineKind.REMOVED:
                old_side.append((line.text, len(removed.lines)))
                removed.lines.append(line)
                removed.hunks.append(hunk_index)
                removed.order.append(position)
            else:
                new_side.append((line.text, -1))
                old_side.append((line.text, -1))
            position += 1
        # A hunk without a changed line on a side cannot give that side a hit: it is left out.
        _append_segment(added, added_texts, new_side, hunk_index)
        _append_segment(removed, removed_texts, old_side, hunk_index)
    added.text = "\n".join(added_texts)
    removed.text = "\n".join(removed_texts)
    return FileView(diff, added, removed)


def _append_segment(side: SideText, texts: list[str], lines: list[tuple[str, int]], hunk_index: int) -> None:
    """Add one hunk's lines to a side, when the hunk changes something on that side."""
    if not side.hunks or side.hunks[-1] != hunk_index:
        return  # no changed line of this side in the hunk
    offset = side.starts[-1] + len(texts[-1]) + 1 if texts else 0
    pos = offset
    segment = len(side.segments)
    for text, changed in lines:
        side.starts.append(offset)
        side.changed.append(changed)
        side.segment_of.append(segment)
        texts.append(text)
        offset += len(text) + 1
    side.segments.append((pos, offset - 1))


def find_hits(pattern: re.Pattern[str], side_text: SideText, side: str, limit: int = 0,
              accept: Callable[[re.Match[str]], bool] | None = None) -> list[Hit]:
    """Hits of ``pattern`` on the changed lines of one side of a file (at most ``limit`` if set).

    ``accept`` rejects a match before it counts (e.g. a secret whose value is not random enough).
    """
    if not side_text.lines:
        return []
    found: list[Hit] = []
    spans = can_span_lines(pattern)
    fast = accelerated(pattern)
    text = side_text.text
    for pos, endpos in _windows(pattern, side_text, spans):
        # A pattern that can span lines scans a copy of its hunk, so that not even a lookbehind,
        # \A or $ sees past the hunk's ends; a one-line pattern cannot tell the difference.
        matches = fast.finditer(text[pos:endpos]) if spans else fast.finditer(text, pos, endpos)
        if _collect(matches, pos if spans else 0, side_text, side, found, limit, accept):
            break
    return found


def _windows(pattern: re.Pattern[str], side_text: SideText, spans: bool) -> list[tuple[int, int]]:
    """The (pos, endpos) ranges the full pattern must scan to find every hit.

    A pattern that cannot match a newline finds nothing but on the line of its literal, and only
    a changed line matters; one that can is scanned over each hunk holding its literal, as a whole
    (a match never leaves its hunk, so each hunk is scanned on its own).
    """
    prefilter = prefilter_for(pattern)
    lines = None
    if prefilter is not None:
        lines = literal_lines(prefilter, side_text.text, side_text.folded, side_text.starts)
    if lines is None:
        return side_text.segments if spans else [(0, len(side_text.text))]
    if spans:
        segment_of = side_text.segment_of
        return [side_text.segments[s] for s in sorted({segment_of[line] for line in lines})]
    windows: list[tuple[int, int]] = []
    starts, changed, text_lines = side_text.starts, side_text.changed, side_text.lines
    for line in sorted(lines):
        index = changed[line]
        if index < 0:
            continue  # a literal on a context line: a one-line match there is no hit
        pos = starts[line]
        endpos = pos + len(text_lines[index].text)
        if windows and pos <= windows[-1][1] + 1:  # consecutive lines: one scan (no match crosses "\n")
            windows[-1] = (windows[-1][0], endpos)
        else:
            windows.append((pos, endpos))
    return windows


def _collect(matches: Iterator[re.Match[str]], base: int, side_text: SideText, side: str,
             found: list[Hit], limit: int, accept: Callable[[re.Match[str]], bool] | None) -> bool:
    """Append the hits among ``matches`` (offsets ``base`` before the text's); True at ``limit``."""
    starts, changed, lines = side_text.starts, side_text.changed, side_text.lines
    last = len(starts) - 1
    for match in matches:
        match_start, match_end = match.span()
        match_start += base
        match_end += base
        line = bisect.bisect_right(starts, match_start) - 1
        # The first changed line whose text the match covers (a zero-width match: its position).
        while True:
            index = changed[line]
            if index >= 0:
                line_start = starts[line]
                line_end = line_start + len(lines[index].text)
                if max(match_start, line_start) < min(match_end, line_end) or (
                        match_start == match_end and line_start <= match_start <= line_end):
                    break  # an empty changed line is never covered: it writes nothing
            line += 1
            if line > last or starts[line] >= match_end:
                index = -1
                break
        if index < 0 or (accept is not None and not accept(match)):
            continue  # only context (or only line breaks) matched: nothing this change wrote
        start = max(0, match_start - line_start)
        # A match may run on past the end of the line: the span shown to the reviewer stops at the
        # end of the first changed line it covers.
        end = max(start, min(match_end, line_end) - line_start)
        found.append(Hit(side, index, start, end, match.group(0)))
        if limit and len(found) >= limit:
            return True
    return False
