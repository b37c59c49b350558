"""Searching the text of a change: which lines hold a query, in reading order, across files.

No Qt here. The canvas asks for the match after (or before) the current line; the list of
matches is computed once per query (one pass over the lines, ~40 ms for 150k lines) and then
stepped through by bisection, so pressing Enter again costs nothing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from reviewer_app.core.model import FileDiff

# (file index, hunk index, line index in the hunk): the reading order of the diff.
Position = tuple[int, int, int]


@dataclass(frozen=True)
class SearchResult:
    position: Position
    ordinal: int  # 1-based, for "3 of 17"
    total: int


class DiffSearch:
    """The lines of ``files`` containing ``query`` (case-insensitive unless ``case_sensitive``)."""

    def __init__(self, files: list[FileDiff], query: str, case_sensitive: bool = False) -> None:
        self.query = query
        self.case_sensitive = case_sensitive
        needle = query if case_sensitive else query.casefold()
        found: list[Position] = []
        if needle:
            for file_index, diff in enumerate(files):
                for hunk_index, hunk in enumerate(diff.hunks):
                    for line_index, line in enumerate(hunk.lines):
                        text = line.text if case_sensitive else line.text.casefold()
                        if needle in text:
                            found.append((file_index, hunk_index, line_index))
        self.matches = found

    def matches_query(self, query: str, case_sensitive: bool) -> bool:
        return query == self.query and case_sensitive == self.case_sensitive

    def step(self, position: Position, forward: bool) -> SearchResult | None:
        """The next match strictly after ``position`` (or before it), wrapping around; None if none."""
        if not self.matches:
            return None
        if forward:
            index = bisect_right(self.matches, position)
            index = 0 if index >= len(self.matches) else index
        else:
            index = bisect_left(self.matches, position) - 1
            index = len(self.matches) - 1 if index < 0 else index
        return SearchResult(self.matches[index], index + 1, len(self.matches))
