"""Where n/p, j/k and ]/[ go, computed on the row index (no Qt).

Findings are ordered by the row that shows them in the current mode (side by side can put a
later removed line below an earlier added one), then by severity. A finding in a collapsed file
is placed on its file's header: stepping onto it opens the file.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from reviewer_app.ui.diffview.findings import FILE_LEVEL, Finding
from reviewer_app.ui.diffview.rows import RowIndex

OrderedFindings = list[tuple[int, Finding]]  # (row, finding), in reading order


def finding_row(rows: RowIndex, finding: Finding) -> int | None:
    """The row showing a finding: its line, else its file's header (collapsed file, file-level finding)."""
    if finding.file_index == FILE_LEVEL:
        return None
    if finding.hunk_index != FILE_LEVEL:
        row = rows.line_row(finding.file_index, finding.hunk_index, finding.line_index)
        if row is not None:
            return row
    return rows.file_rows[finding.file_index]


def ordered_findings(rows: RowIndex, findings: list[Finding]) -> OrderedFindings:
    placed = []
    for sequence, finding in enumerate(findings):
        row = finding_row(rows, finding)
        if row is not None:
            placed.append((row, finding.rank, sequence, finding))
    placed.sort(key=lambda item: item[:3])
    return [(row, finding) for row, _rank, _sequence, finding in placed]


def step_finding(order: OrderedFindings, current_row: int, current_finding: str | None, forward: bool) -> Finding | None:
    """The next (previous) finding after the current one, or after (before) the current row."""
    if not order:
        return None
    position = next(
        (index for index, (row, finding) in enumerate(order) if finding.id == current_finding and row == current_row),
        None,
    )
    if position is not None:
        target = position + (1 if forward else -1)
    elif forward:
        target = next((index for index, (row, _finding) in enumerate(order) if row > current_row), len(order))
    else:
        target = max((index for index, (row, _finding) in enumerate(order) if row < current_row), default=-1)
    return order[target][1] if 0 <= target < len(order) else None


def next_hunk_row(rows: RowIndex, current_row: int) -> int | None:
    position = bisect_right(rows.hunk_rows, current_row)
    return rows.hunk_rows[position] if position < len(rows.hunk_rows) else None


def previous_hunk_row(rows: RowIndex, current_row: int) -> int | None:
    position = bisect_left(rows.hunk_rows, current_row)
    return rows.hunk_rows[position - 1] if position > 0 else None
