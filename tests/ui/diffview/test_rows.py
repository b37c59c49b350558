"""The row index (Qt-free): which row shows what, in every mode, and how fast it is built."""

from __future__ import annotations

import time

from reviewer_app.core.model import FileDiff, FileStatus, Hunk, Line, LineKind
from reviewer_app.ui.diffview.rows import NO_LINE, RowIndex, RowKind, file_notes, file_title, hunk_layout
from tests.ui.diffview.synthetic import big_change


def _hunk(*spec: str) -> Hunk:
    """Lines from "+text", "-text", " text" strings with consistent numbers."""
    lines, old_no, new_no = [], 1, 1
    for item in spec:
        kind, text = LineKind(item[0]), item[1:]
        if kind is LineKind.ADDED:
            lines.append(Line(kind, None, new_no, text))
            new_no += 1
        elif kind is LineKind.REMOVED:
            lines.append(Line(kind, old_no, None, text))
            old_no += 1
        else:
            lines.append(Line(kind, old_no, new_no, text))
            old_no += 1
            new_no += 1
    return Hunk(1, old_no - 1, 1, new_no - 1, "", lines)


def _file(path: str, *hunks: Hunk) -> FileDiff:
    return FileDiff(path, path, FileStatus.MODIFIED, hunks=list(hunks))


def test_unified_rows_follow_the_model_in_order() -> None:
    diff = _file("a.py", _hunk(" keep", "-old", "+new"), _hunk(" tail", "+more"))
    rows = RowIndex.built([diff])
    kinds = [rows.row(i).kind for i in range(len(rows))]
    assert kinds == [RowKind.FILE, RowKind.HUNK, RowKind.LINE, RowKind.LINE, RowKind.LINE, RowKind.HUNK, RowKind.LINE, RowKind.LINE]
    removed = rows.row(3)
    assert (removed.old_index, removed.new_index, removed.changed) == (1, NO_LINE, True)
    assert rows.hunk_rows == [1, 5]
    assert rows.line_row(0, 1, 1) == 7
    assert rows.file_of_row(7) == 0


def test_side_by_side_pairs_removed_with_added_and_pads_the_shorter_side() -> None:
    lines = _hunk(" a", "-b1", "-b2", "-b3", "+c1", "+c2", " d").lines
    layout = hunk_layout(lines, side_by_side=True, ignore_whitespace=False)
    assert layout == [(0, 0, False), (1, 4, True), (2, 5, True), (3, NO_LINE, True), (6, 6, False)]


def test_ignore_whitespace_turns_reindented_lines_into_context_and_hides_empty_hunks() -> None:
    only_whitespace = _hunk(" x", "-    y = 1", "+  y  =  1", " z")
    real = _hunk("-a = 1", "+a = 2")
    rows = RowIndex.built([_file("a.py", only_whitespace, real)], ignore_whitespace=True)
    shown = [rows.row(i) for i in range(len(rows))]
    assert [row.kind for row in shown] == [RowKind.FILE, RowKind.HUNK, RowKind.LINE, RowKind.LINE]
    assert shown[1].hunk_index == 1  # the whitespace-only hunk is gone
    assert all(row.changed for row in shown[2:])

    partly = _hunk("-if x:", "-    go()", "+if y:", "+  go()")
    layout = hunk_layout(partly.lines, side_by_side=False, ignore_whitespace=True)
    assert (1, 3, False) in layout  # "go()" re-indented: one unchanged row
    assert (0, NO_LINE, True) in layout and (NO_LINE, 2, True) in layout

    all_whitespace = RowIndex.built([_file("b.py", only_whitespace)], ignore_whitespace=True)
    assert all_whitespace.row(1).kind is RowKind.NOTE
    assert "whitespace" in all_whitespace.row(1).note


def test_collapsed_file_is_one_row_and_its_lines_have_no_row() -> None:
    first = _file("gen.lock", _hunk("+a", "+b", "+c"))
    second = _file("b.py", _hunk("+d"))
    rows = RowIndex.built([first, second], collapsed={0})
    assert [rows.row(i).kind for i in range(len(rows))] == [RowKind.FILE, RowKind.COLLAPSED, RowKind.FILE, RowKind.HUNK, RowKind.LINE]
    assert rows.line_row(0, 0, 1) is None
    assert rows.file_rows == [0, 2]


def test_binary_rename_and_mode_changes_get_a_sentence() -> None:
    binary = FileDiff("logo.png", "logo.png", FileStatus.MODIFIED, binary=True)
    renamed = FileDiff("old.py", "new.py", FileStatus.RENAMED, similarity=93)
    executable = FileDiff("run.sh", "run.sh", FileStatus.MODIFIED, old_mode="100644", new_mode="100755")
    assert file_notes(binary) == ["Binary file changed"]
    assert file_notes(renamed) == ["Renamed without content changes"]
    assert file_title(renamed) == "old.py → new.py (93% similar)"
    assert file_notes(executable) == ["Mode changed 100644 → 100755"]
    rows = RowIndex.built([binary, renamed])
    assert [(rows.row(i).kind, rows.row(i).note) for i in range(len(rows))] == [
        (RowKind.FILE, ""), (RowKind.NOTE, "Binary file changed"), (RowKind.FILE, ""), (RowKind.NOTE, "Renamed without content changes"),
    ]


def test_sliced_build_gives_the_same_rows_as_a_whole_build() -> None:
    change = big_change(files=6, lines_per_file=300)
    whole = RowIndex.built(change.files, side_by_side=True, ignore_whitespace=True)
    sliced = RowIndex(change.files, side_by_side=True, ignore_whitespace=True)
    slices = 0
    while not sliced.build(deadline=time.perf_counter() - 1):  # an expired deadline: one step per call
        slices += 1
    assert slices > 10
    assert len(sliced) == len(whole)
    assert [sliced.row(i) for i in range(0, len(whole), 7)] == [whole.row(i) for i in range(0, len(whole), 7)]


def test_plain_index_of_150k_lines_is_built_without_touching_every_line() -> None:
    change = big_change()  # 120 files, 150,000 lines
    started = time.perf_counter()
    rows = RowIndex.built(change.files)
    elapsed = time.perf_counter() - started
    assert len(rows) == 150_000 + 120 + 120 * 50  # lines + file headers + hunk headers
    last = rows.row(len(rows) - 1)
    assert (last.file_index, last.hunk_index, last.kind) == (119, 49, RowKind.LINE)
    assert elapsed < 0.5  # ~15 ms here; generous for a loaded machine


def test_ignore_whitespace_on_a_huge_block_compares_line_by_line_quickly() -> None:
    old = [f"-    value_{n} = {n}" for n in range(3000)]
    new = [f"+  value_{n}  =  {n}" if n % 2 else f"+value_{n} = {n + 1}" for n in range(3000)]
    hunk = _hunk(*old, *new)
    started = time.perf_counter()
    layout = hunk_layout(hunk.lines, side_by_side=True, ignore_whitespace=True)
    assert time.perf_counter() - started < 2.0
    assert layout[1] == (1, 3001, False)  # odd lines only changed their spacing
    assert layout[0] == (0, 3000, True)
    assert len(layout) == 3000
