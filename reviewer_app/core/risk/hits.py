"""A file's diff prepared for matching, and regex matches located by line.

The added lines of a file (and, separately, its removed lines) are joined into one text so that
a rule's regex scans them in one C-level call; match offsets map back to lines by binary search.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from reviewer_app.core.model import FileDiff, Line, LineKind
from reviewer_app.core.risk.prefilter import accelerated, candidate_windows, prefilter_for


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
