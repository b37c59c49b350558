"""The flat row index of the diff canvas: which row shows which file header, hunk header or line.

No Qt here: the canvas asks ``RowIndex.row(i)`` only for the rows it paints, so the index itself
never materialises one object per line. It is a list of *segments* (a file header, a note, a
collapsed body, a hunk header, or the body of one hunk) with their first row; a row is found by
bisecting the segment starts, O(log segments). In the plain unified mode a hunk body maps row
offset k to line k, so building the index of a 150k-line change costs O(files + hunks), not
O(lines). Side-by-side and ignore-whitespace need a per-hunk *layout* (which old/new lines share
a row): ~1 µs a line, so ``build(deadline)`` can stop between hunks and resume (the canvas builds
in slices between event-loop turns); layouts are kept in a cache that outlives one index.
"""

from __future__ import annotations

import difflib
import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from itertools import zip_longest

from reviewer_app.core.model import FileDiff, FileStatus, Hunk, Line, LineKind

NO_LINE = -1
MAX_ALIGNED_PAIRS = 1_000_000  # beyond this, difflib's alignment of a change block may take seconds

# (old line index, new line index, changed): indices into Hunk.lines, NO_LINE for an empty side.
LayoutEntry = tuple[int, int, bool]


class RowKind(IntEnum):
    FILE = 0  # the file header: path (old → new for renames), status, +/- counts
    NOTE = 1  # one sentence about the file: binary, mode change, renamed without changes...
    COLLAPSED = 2  # stands for a hidden body ("N lines hidden, click to expand")
    HUNK = 3  # the "@@ -a,b +c,d @@ section" header
    LINE = 4  # one diff line (unified) or one old/new pair (side by side)


class _Seg(IntEnum):
    FILE = 0
    NOTE = 1
    COLLAPSED = 2
    HUNK = 3
    BODY = 4


@dataclass(slots=True)
class Row:
    """What one painted row shows. Built on demand for visible rows only."""

    kind: RowKind
    file_index: int
    hunk_index: int = NO_LINE
    old_index: int = NO_LINE  # index into the hunk's lines of the line shown on the old side
    new_index: int = NO_LINE
    changed: bool = False  # False for context (and whitespace-only pairs shown as context)
    note: str = ""

    def old_line(self, hunk: Hunk) -> Line | None:
        return hunk.lines[self.old_index] if self.old_index != NO_LINE else None

    def new_line(self, hunk: Hunk) -> Line | None:
        return hunk.lines[self.new_index] if self.new_index != NO_LINE else None


def squeeze_whitespace(text: str) -> str:
    """The text with every whitespace character removed: what ``git diff -w`` compares."""
    return "".join(text.split())


def change_blocks(lines: list[Line]) -> list[tuple[int, list[int], list[int]]]:
    """Runs of the hunk: ``(context_index, [], [])`` or ``(-1, removed_indices, added_indices)``."""
    blocks: list[tuple[int, list[int], list[int]]] = []
    removed: list[int] = []
    added: list[int] = []
    context_kind, removed_kind = LineKind.CONTEXT, LineKind.REMOVED
    index = 0
    for line in lines:
        kind = line.kind
        if kind is context_kind:
            if removed or added:
                blocks.append((NO_LINE, removed, added))
                removed, added = [], []
            blocks.append((index, _NONE, _NONE))
        elif kind is removed_kind:
            if added:  # a "-" after "+" starts a new block (hand-written diffs do this)
                blocks.append((NO_LINE, removed, added))
                removed, added = [], []
            removed.append(index)
        else:
            added.append(index)
        index += 1
    if removed or added:
        blocks.append((NO_LINE, removed, added))
    return blocks


_NONE: list[int] = []  # shared empty list for context blocks (never mutated)


def _whitespace_matches(lines: list[Line], removed: list[int], added: list[int]) -> list[tuple[str, list[int], list[int]]]:
    """Split a change block into runs that differ only in whitespace ("equal") and real changes."""
    old = [squeeze_whitespace(lines[i].text) for i in removed]
    new = [squeeze_whitespace(lines[i].text) for i in added]
    if old == new:
        return [("equal", removed, added)]
    if set(old).isdisjoint(new):  # the common case: real edits, no alignment needed
        return [("replace", removed, added)]
    if len(old) * len(new) > MAX_ALIGNED_PAIRS:  # a huge block: compare line by line, in order
        return [("equal" if a == b else "replace", [i], [j]) for a, b, i, j in zip(old, new, removed, added)] + [
            ("replace", removed[len(new):], added[len(old):])
        ]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(tag, removed[i1:i2], added[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]


def hunk_layout(lines: list[Line], side_by_side: bool, ignore_whitespace: bool) -> list[LayoutEntry]:
    """Which lines share each row of this hunk in the given mode."""
    layout: list[LayoutEntry] = []
    append = layout.append
    for context, removed, added in change_blocks(lines):
        if context != NO_LINE:
            append((context, context, False))
            continue
        if ignore_whitespace and removed and added:
            runs = _whitespace_matches(lines, removed, added)
        else:
            runs = [("replace", removed, added)]
        for tag, old, new in runs:
            if tag == "equal":  # whitespace-only: one unchanged row showing both line numbers
                layout.extend([(o, n, False) for o, n in zip(old, new)])
            elif side_by_side:
                if len(old) == len(new):
                    layout.extend([(o, n, True) for o, n in zip(old, new)])
                else:
                    layout.extend([(NO_LINE if o is None else o, NO_LINE if n is None else n, True) for o, n in zip_longest(old, new)])
            else:
                layout.extend([(o, NO_LINE, True) for o in old])
                layout.extend([(NO_LINE, n, True) for n in new])
    return layout


def unified_entry(lines: list[Line], index: int) -> LayoutEntry:
    """The layout entry of line ``index`` in the plain unified mode (no stored layout)."""
    kind = lines[index].kind
    if kind is LineKind.CONTEXT:
        return (index, index, False)
    if kind is LineKind.REMOVED:
        return (index, NO_LINE, True)
    return (NO_LINE, index, True)


def file_notes(diff: FileDiff) -> list[str]:
    """Sentences that explain a file whose hunks alone would not (binary, renames, modes, empties)."""
    notes: list[str] = []
    if diff.binary:
        sizes = _binary_sizes(diff)
        notes.append(f"Binary file changed{sizes}")
    if diff.mode_changed:
        notes.append(f"Mode changed {diff.old_mode} → {diff.new_mode}")
    if not diff.binary and not diff.hunks:
        if diff.status in (FileStatus.RENAMED, FileStatus.COPIED):
            verb = "Renamed" if diff.status is FileStatus.RENAMED else "Copied"
            notes.append(f"{verb} without content changes")
        elif diff.status is FileStatus.ADDED:
            notes.append("Empty file added")
        elif diff.status is FileStatus.DELETED:
            notes.append("Empty file deleted")
        elif not diff.mode_changed:
            notes.append("No content changes")
    return notes


def _binary_sizes(diff: FileDiff) -> str:
    # The model may carry sizes (from a git binary patch or the object store); show them when known.
    old_size = getattr(diff, "old_size", None)
    new_size = getattr(diff, "new_size", None)
    if old_size is None and new_size is None:
        return ""
    def fmt(size: int | None) -> str:
        return "—" if size is None else f"{size:,} bytes"
    return f" ({fmt(old_size)} → {fmt(new_size)})"


def file_title(diff: FileDiff) -> str:
    """``old → new (93% similar)`` for renames and copies, else the path."""
    if diff.status in (FileStatus.RENAMED, FileStatus.COPIED) and diff.old_path and diff.new_path:
        similarity = f" ({diff.similarity}% similar)" if diff.similarity is not None else ""
        return f"{diff.old_path} → {diff.new_path}{similarity}"
    return diff.path


def body_size(diff: FileDiff) -> int:
    """Lines in the file's hunks (what a collapsed file hides)."""
    return sum(len(hunk.lines) for hunk in diff.hunks)


class RowIndex:
    """Rows of a whole change in one mode; rebuilt (cheaply) when the mode or collapsing changes."""

    def __init__(
        self,
        files: list[FileDiff],
        side_by_side: bool = False,
        ignore_whitespace: bool = False,
        collapsed: frozenset[int] | set[int] = frozenset(),
        layout_cache: dict[tuple[bool, bool, int, int], list[LayoutEntry]] | None = None,
    ) -> None:
        self.files = files
        self.side_by_side = side_by_side
        self.ignore_whitespace = ignore_whitespace
        self.collapsed = frozenset(collapsed)
        # Layouts survive rebuilds (collapsing a file, marking it viewed) when the caller keeps the cache.
        self._layout_cache = layout_cache if layout_cache is not None else {}
        self._seg_start: list[int] = []
        self._seg_info: list[tuple[_Seg, int, int, str]] = []  # kind, file, hunk, note text
        self._layouts: dict[tuple[int, int], list[LayoutEntry]] = {}
        self._inverse: dict[tuple[int, int], dict[int, int]] = {}
        self.file_rows: list[int] = []  # the header row of each file
        self.hunk_rows: list[int] = []  # every visible hunk header row, ascending
        self._hunk_row: dict[tuple[int, int], int] = {}
        self._body_row: dict[tuple[int, int], int] = {}
        self.row_count = 0
        self.complete = False
        self._steps = self._build()

    @classmethod
    def built(cls, files: list[FileDiff], **options: object) -> "RowIndex":
        """An index built completely, at once (fine for small changes and the plain unified mode)."""
        index = cls(files, **options)  # type: ignore[arg-type]
        index.build()
        return index

    def build(self, deadline: float | None = None) -> bool:
        """Build until done (True) or until ``time.perf_counter()`` passes ``deadline`` (False).

        Side-by-side and ignore-whitespace layouts cost ~1 µs a line: a 150k-line change takes
        longer than one event-loop turn may, so the canvas builds it in slices and keeps showing
        the previous index meanwhile.
        """
        for _ in self._steps:
            if deadline is not None and time.perf_counter() > deadline:
                return False
        self.complete = True
        return True

    @property
    def needs_layout(self) -> bool:
        return self.side_by_side or self.ignore_whitespace

    def _add(self, kind: _Seg, file_index: int, hunk_index: int, rows: int, note: str = "") -> int:
        start = self.row_count
        self._seg_start.append(start)
        self._seg_info.append((kind, file_index, hunk_index, note))
        self.row_count += rows
        return start

    def _build(self) -> Iterator[None]:
        needs_layout = self.needs_layout
        for file_index, diff in enumerate(self.files):
            self.file_rows.append(self._add(_Seg.FILE, file_index, NO_LINE, 1))
            for note in file_notes(diff):
                self._add(_Seg.NOTE, file_index, NO_LINE, 1, note)
            if file_index in self.collapsed and diff.hunks:
                self._add(_Seg.COLLAPSED, file_index, NO_LINE, 1)
                continue
            shown = 0
            for hunk_index, hunk in enumerate(diff.hunks):
                if needs_layout:
                    cache_key = (self.side_by_side, self.ignore_whitespace, file_index, hunk_index)
                    layout = self._layout_cache.get(cache_key)
                    if layout is None:
                        layout = hunk_layout(hunk.lines, self.side_by_side, self.ignore_whitespace)
                        self._layout_cache[cache_key] = layout
                        yield  # a slice boundary: only computed layouts cost time
                    if self.ignore_whitespace and not any(entry[2] for entry in layout):
                        continue  # nothing but whitespace changed in this hunk
                    self._layouts[(file_index, hunk_index)] = layout
                    rows = len(layout)
                else:
                    rows = len(hunk.lines)
                header = self._add(_Seg.HUNK, file_index, hunk_index, 1)
                self.hunk_rows.append(header)
                self._hunk_row[(file_index, hunk_index)] = header
                self._body_row[(file_index, hunk_index)] = self._add(_Seg.BODY, file_index, hunk_index, rows)
                shown += 1
            if diff.hunks and not shown:
                self._add(_Seg.NOTE, file_index, NO_LINE, 1, "Only whitespace changed (hidden)")

    # --- lookups -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.row_count

    def row(self, row: int) -> Row:
        """What row ``row`` shows; IndexError outside 0..len-1."""
        if not 0 <= row < self.row_count:
            raise IndexError(row)
        seg = bisect_right(self._seg_start, row) - 1
        kind, file_index, hunk_index, note = self._seg_info[seg]
        if kind is _Seg.FILE:
            return Row(RowKind.FILE, file_index)
        if kind is _Seg.NOTE:
            return Row(RowKind.NOTE, file_index, note=note)
        if kind is _Seg.COLLAPSED:
            return Row(RowKind.COLLAPSED, file_index)
        if kind is _Seg.HUNK:
            return Row(RowKind.HUNK, file_index, hunk_index)
        offset = row - self._seg_start[seg]
        layout = self._layouts.get((file_index, hunk_index))
        if layout is None:
            entry = unified_entry(self.files[file_index].hunks[hunk_index].lines, offset)
        else:
            entry = layout[offset]
        return Row(RowKind.LINE, file_index, hunk_index, entry[0], entry[1], entry[2])

    def file_of_row(self, row: int) -> int:
        """The file a row belongs to (the last file for rows past the end); -1 when empty."""
        if not self.file_rows:
            return NO_LINE
        return bisect_right(self.file_rows, row) - 1 if row >= 0 else 0

    def hunk_header_row(self, file_index: int, hunk_index: int) -> int | None:
        return self._hunk_row.get((file_index, hunk_index))

    def line_row(self, file_index: int, hunk_index: int, line_index: int) -> int | None:
        """The row showing line ``line_index`` of a hunk; None when the hunk is hidden or collapsed."""
        body = self._body_row.get((file_index, hunk_index))
        if body is None:
            return None
        layout = self._layouts.get((file_index, hunk_index))
        if layout is None:
            return body + line_index
        inverse = self._inverse.get((file_index, hunk_index))
        if inverse is None:
            inverse = {}
            for offset, (old, new, _changed) in enumerate(layout):
                inverse[old] = offset
                inverse[new] = offset
            inverse.pop(NO_LINE, None)
            self._inverse[(file_index, hunk_index)] = inverse
        offset = inverse.get(line_index)
        return None if offset is None else body + offset
