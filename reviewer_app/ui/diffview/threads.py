"""Where comment threads and changed lines sit among the canvas's rows: (path, side, line) <-> row."""

from __future__ import annotations

from reviewer_app.core.model import FileDiff, LineKind
from reviewer_app.ui.diffview.rows import NO_LINE, Row, RowIndex, RowKind

LineKey = tuple[str, str, int]  # (path, "old" | "new", line number)


def row_keys(files: list[FileDiff], row: Row) -> list[tuple[LineKey, LineKind]]:
    """The lines a row shows, each as (path, side, number) with its kind; [] for headers and notes."""
    if row.kind is not RowKind.LINE:
        return []
    diff = files[row.file_index]
    hunk = diff.hunks[row.hunk_index]
    found: list[tuple[LineKey, LineKind]] = []
    old, new = row.old_line(hunk), row.new_line(hunk)
    if new is not None and new.new_no is not None:
        found.append(((diff.path, "new", new.new_no), new.kind))
    if old is not None and old.old_no is not None:  # a context line is on both sides
        found.append(((diff.path, "old", old.old_no), old.kind))
    return found


def changed_keys(files: list[FileDiff], rows: RowIndex, first: int, last: int) -> list[LineKey]:
    """The added and removed lines shown by rows first..last-1."""
    keys: list[LineKey] = []
    for number in range(max(0, first), min(len(rows), last)):
        keys.extend(key for key, kind in row_keys(files, rows.row(number)) if kind is not LineKind.CONTEXT)
    return keys


def anchor_row(files: list[FileDiff], rows: RowIndex, path: str, side: str, line: int) -> int | None:
    """The row showing ``line`` on ``side`` of ``path`` now, or None (collapsed, or not in this diff)."""
    for file_index, diff in enumerate(files):
        if diff.path != path and diff.old_path != path:
            continue
        for hunk_index, hunk in enumerate(diff.hunks):
            for line_index, item in enumerate(hunk.lines):
                number = item.new_no if side == "new" else item.old_no
                wanted = (LineKind.ADDED, LineKind.CONTEXT) if side == "new" else (LineKind.REMOVED, LineKind.CONTEXT)
                if number == line and item.kind in wanted:
                    return rows.line_row(file_index, hunk_index, line_index)
    return None


def current_key(files: list[FileDiff], row: Row) -> LineKey | None:
    """What a comment on this row points at: its new side when it has one (added or context), else its old side."""
    keys = row_keys(files, row)
    return keys[0][0] if keys else None


def step(rows_of_threads: list[int], current: int, forward: bool) -> int | None:
    """The next (or previous) thread row after (before) ``current``, wrapping around."""
    ordered = sorted(set(rows_of_threads))
    if not ordered:
        return None
    if forward:
        return next((r for r in ordered if r > current), ordered[0])
    return next((r for r in reversed(ordered) if r < current), ordered[-1])
