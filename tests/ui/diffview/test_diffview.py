"""The DiffView widget, offscreen, with real changes made by git and parsed by diffparse."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from reviewer_app.core.model import Change, FileDiff, FileStatus, Hunk, Line, LineKind
from reviewer_app.errors import UserError
from reviewer_app.ui.diffview import DiffView
from reviewer_app.ui.diffview.canvas import DiffCanvas
from reviewer_app.ui.diffview.rows import NO_LINE, Row, RowKind
from tests.gitrepo import GitRepo
from tests.ui.diffview.helpers import sample_change, two_commit_change
from tests.ui.diffview.synthetic import big_change

# Showing a top-level widget (and the "?" dialog) makes the offscreen platform plugin warn that it
# cannot pass size hints on; only that message is ignored, every other Qt warning still fails.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SHELL = {
    "id": "shell-true@app/main.py:new:6", "rule": "shell-true", "severity": "high", "path": "app/main.py",
    "line": 6, "side": "new", "start": 28, "end": 38, "message": "subprocess with shell=True runs a shell",
    "reference": "https://cwe.mitre.org/data/definitions/78.html",
}
BIDI = {
    "id": "bidi@app/auth.py:new:2", "rule": "trojan-source", "severity": "critical", "path": "app/auth.py",
    "line": 2, "side": "new", "start": 24, "end": 25, "message": "bidirectional control character", "reference": "CVE-2021-42574",
}
OLD_SYSTEM = {
    "id": "os-system@app/main.py:old:5", "rule": "os-system", "severity": "low", "path": "app/main.py",
    "line": 5, "side": "old", "start": 11, "end": 20, "message": "os.system", "reference": "",
}


@pytest.fixture
def view(qtbot: QtBot) -> DiffView:
    widget = DiffView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def line_text(canvas: DiffCanvas, row: Row, side: str = "shown") -> str:
    change = canvas.change
    assert change is not None
    hunk = change.files[row.file_index].hunks[row.hunk_index]
    index = row.old_index if side == "old" else row.new_index if side == "new" else (
        row.old_index if row.changed and row.old_index != NO_LINE else row.new_index)
    return hunk.lines[index].text if index != NO_LINE else ""


def find_row(canvas: DiffCanvas, text: str, side: str = "shown") -> int:
    rows = canvas.rows
    assert rows is not None
    for number in range(len(rows)):
        row = rows.row(number)
        if row.kind is RowKind.LINE and line_text(canvas, row, side) == text:
            return number
    raise AssertionError(f"no row shows {text!r}")


def row_point(canvas: DiffCanvas, row: int, x: int) -> QPoint:
    canvas.scroll_to_row(row, "top")
    height = canvas._metrics.line_height
    return QPoint(x, (row - canvas.top_row()) * height + height // 2)


def distinct_colors(image: QImage, step: int = 7) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}


def test_small_change_renders_rows_and_pixels(view: DiffView, git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    view.set_change(change, [SHELL])
    canvas = view.canvas
    assert canvas.rows is not None
    assert canvas.rows.row(0).kind is RowKind.FILE
    assert find_row(canvas, "    return subprocess.run(cmd, shell=True)") > 0
    image = canvas.viewport().grab().toImage()
    assert len(distinct_colors(image)) > 20  # text, diff backgrounds, markers: far from blank
    added_color = canvas._drawer.colors.added.rgb()
    assert any(image.pixel(x, y) == added_color for x in range(0, image.width(), 5) for y in range(0, image.height(), 3))
    assert view.file_list.topLevelItemCount() == len(change.files)
    assert view.progress_label.text() == f"Viewed 0 of {len(change.files)} files"
    # Syntax colours: Python keywords ("import", "def", "return") in the style's keyword colour.
    from pygments.token import Keyword

    canvas.finish_highlighting()
    keyword = canvas._drawer.pieces.formats.format(Keyword).color
    assert keyword is not None
    image = canvas.viewport().grab().toImage()
    assert any(image.pixel(x, y) == keyword.rgb() for x in range(image.width()) for y in range(0, image.height(), 2))


def test_keyboard_moves_between_findings_files_and_hunks(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    view.set_change(change, [SHELL, BIDI, OLD_SYSTEM])
    canvas = view.canvas
    canvas.setFocus()
    activated: list[str] = []
    view.finding_activated.connect(activated.append)

    qtbot.keyClick(canvas, "n")
    qtbot.keyClick(canvas, "n")
    qtbot.keyClick(canvas, "n")
    # Files are in diff order (app/auth.py first); within main.py the removed line comes first.
    assert activated == [BIDI["id"], OLD_SYSTEM["id"], SHELL["id"]]
    assert canvas.current_row == find_row(canvas, "    return subprocess.run(cmd, shell=True)")
    qtbot.keyClick(canvas, "p")
    assert activated[-1] == OLD_SYSTEM["id"] and canvas.current_row == find_row(canvas, "    return os.system(cmd)")

    files: list[str] = []
    view.current_file_changed.connect(files.append)
    qtbot.keyClick(canvas, "j")
    assert canvas.rows is not None and canvas.current_row == canvas.rows.file_rows[2]
    assert files == [change.files[2].path]
    qtbot.keyClick(canvas, "k")
    qtbot.keyClick(canvas, "k")
    assert canvas.current_row == canvas.rows.file_rows[0] and files[-1] == change.files[0].path

    qtbot.keyClick(canvas, "]")
    first_hunk = canvas.rows.hunk_rows[0]
    assert canvas.current_row == first_hunk
    qtbot.keyClick(canvas, "]")
    assert canvas.current_row == canvas.rows.hunk_rows[1]
    qtbot.keyClick(canvas, "[")
    assert canvas.current_row == first_hunk


def test_v_marks_the_current_file_viewed_and_progress_follows(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    view.set_change(change, [])
    canvas = view.canvas
    canvas.setFocus()
    progress: list[tuple[int, int]] = []
    viewed: list[tuple[str, bool]] = []
    view.progress_changed.connect(lambda done, total: progress.append((done, total)))
    view.file_viewed_changed.connect(lambda path, state: viewed.append((path, state)))

    qtbot.keyClick(canvas, "v")
    total = len(change.files)
    assert viewed == [(change.files[0].path, True)] and progress == [(1, total)]
    assert canvas.is_collapsed(0)  # a viewed file folds away, as in GitLab
    assert view.progress_label.text() == f"Viewed 1 of {total} files"
    assert view.file_list.topLevelItem(0).checkState(0) == Qt.CheckState.Checked

    view.file_list.topLevelItem(1).setCheckState(0, Qt.CheckState.Checked)  # the file list's checkbox
    assert viewed[-1] == (change.files[1].path, True) and progress[-1] == (2, total)
    view.set_viewed(change.files[0].path, False)
    assert viewed[-1] == (change.files[0].path, False) and progress[-1] == (1, total)
    assert not canvas.is_collapsed(0)
    view.set_viewed(change.files[1].path, True)  # no change: no signal
    assert len(progress) == 3


def test_side_by_side_pairs_removed_and_added_lines(view: DiffView, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [SHELL])
    view.set_side_by_side(True)
    canvas = view.canvas
    canvas.wait_for_layout()
    assert view.side_by_side_box.isChecked()
    row_number = find_row(canvas, "def run(cmd):", side="old")
    assert canvas.rows is not None
    row = canvas.rows.row(row_number)
    assert row.changed and line_text(canvas, row, "new") == "def run(cmd, *, shell=False):"
    context = canvas.rows.row(find_row(canvas, "def total(values):", side="old"))
    assert line_text(canvas, context, "new") == "def total(values):" and not context.changed
    # The finding's marker is in the right (new) half only.
    shell_row = find_row(canvas, "    return subprocess.run(cmd, shell=True)", side="new")
    half = canvas.viewport().width() // 2
    assert "shell-true" in canvas.tooltip_at(row_point(canvas, shell_row, half + int(canvas._metrics.number_width) + 4))
    assert canvas.tooltip_at(row_point(canvas, shell_row, int(canvas._metrics.number_width) + 4)) == ""
    assert len(distinct_colors(canvas.viewport().grab().toImage())) > 20


def test_ignore_whitespace_hides_a_reindented_line(view: DiffView, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [])
    canvas = view.canvas
    assert canvas.rows is not None
    assert canvas.rows.row(find_row(canvas, "      result += value")).changed
    view.whitespace_box.setChecked(True)  # the toolbar toggle
    canvas.wait_for_layout()
    assert canvas.ignore_whitespace
    row = canvas.rows.row(find_row(canvas, "      result += value"))
    assert not row.changed and line_text(canvas, row, "old") == "        result += value"
    assert canvas.rows.row(find_row(canvas, "def run(cmd, *, shell=False):")).changed  # real changes stay


def test_generated_files_start_collapsed_and_expand_on_click(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    change = two_commit_change(
        git_repo,
        {"README.md": "hello\n"},
        {
            "api/schema_pb2.py": "# -*- coding: utf-8 -*-\n# @generated by protoc. DO NOT EDIT!\n" + "x = 1\n" * 300,
            "package-lock.json": "{\n" + '  "a": 1,\n' * 200 + "}\n",
            "README.md": "hello world\n",
        },
    )
    view.set_change(change, [], generated_paths={"package-lock.json"})
    canvas = view.canvas
    paths = [diff.path for diff in change.files]
    marked, listed, readme = paths.index("api/schema_pb2.py"), paths.index("package-lock.json"), paths.index("README.md")
    assert canvas.is_collapsed(marked) and canvas.is_collapsed(listed) and not canvas.is_collapsed(readme)
    assert canvas.rows is not None
    collapsed_row = canvas.rows.file_rows[marked] + 1
    assert canvas.rows.row(collapsed_row).kind is RowKind.COLLAPSED
    assert canvas.collapsed_text(marked) == "▸ Generated file · 302 lines hidden · click to expand"
    assert "(generated)" in view.file_list.topLevelItem(marked).text(0)

    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=row_point(canvas, collapsed_row, 200))
    assert not canvas.is_collapsed(marked)
    with qtbot.waitSignal(canvas.layout_ready):  # the rows follow on the next event-loop turn
        pass
    assert canvas.rows.row(canvas.rows.file_rows[marked] + 1).kind is RowKind.HUNK


def test_finding_gutter_tooltip_shows_rule_message_and_reference(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [SHELL])
    canvas = view.canvas
    row = find_row(canvas, "    return subprocess.run(cmd, shell=True)")
    marker_x = int(2 * canvas._metrics.number_width) + 4
    tooltip = canvas.tooltip_at(row_point(canvas, row, marker_x))
    assert tooltip == f"H high · shell-true\n{SHELL['message']}\nReference: {SHELL['reference']}"
    # The underlined span answers too; plain text elsewhere on the line does not.
    text_x = canvas._text_area()[0]
    char = canvas._metrics.char_width
    assert "shell-true" in canvas.tooltip_at(row_point(canvas, row, int(text_x + 30 * char)))
    assert canvas.tooltip_at(row_point(canvas, row, int(text_x + 2 * char))) == ""
    # Clicking the marker activates the finding.
    with qtbot.waitSignal(view.finding_activated) as signal:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=row_point(canvas, row, marker_x))
    assert signal.args == [SHELL["id"]]


def test_trojan_source_line_shows_its_invisible_characters(view: DiffView, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [BIDI])
    canvas = view.canvas
    row = next(n for n in range(len(canvas.rows or [])) if (r := canvas.rows.row(n)).kind is RowKind.LINE and "\u202e" in line_text(canvas, r))
    text_x = int(canvas._text_area()[0])
    tooltip = canvas.tooltip_at(row_point(canvas, row, text_x + 5))
    assert "⟨U+202E⟩ RIGHT-TO-LEFT OVERRIDE" in tooltip and "⟨U+2066⟩ LEFT-TO-RIGHT ISOLATE" in tooltip
    assert "⟨U+2069⟩ POP DIRECTIONAL ISOLATE" in tooltip
    image = canvas.viewport().grab().toImage()
    box = canvas._drawer.colors.marker_box.rgb()
    y = (row - canvas.top_row()) * canvas._metrics.line_height + canvas._metrics.line_height // 2
    assert any(image.pixel(x, y) == box for x in range(text_x, image.width()))  # the marker boxes are painted


def test_binary_and_rename_rows(view: DiffView, git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    view.set_change(change, [])
    canvas = view.canvas
    assert canvas.rows is not None
    notes = {change.files[canvas.rows.row(n).file_index].path: canvas.rows.row(n).note
             for n in range(len(canvas.rows)) if canvas.rows.row(n).kind is RowKind.NOTE}
    assert notes == {"assets/logo.png": "Binary file changed (264 bytes → 264 bytes)", "docs/new_name.md": "Renamed without content changes"}
    renamed = next(i for i, f in enumerate(change.files) if f.status is FileStatus.RENAMED)
    tooltip = canvas.tooltip_at(row_point(canvas, canvas.rows.file_rows[renamed], 100))
    assert tooltip == "docs/old_name.md → docs/new_name.md (100% similar)"
    assert view.file_list.topLevelItem(next(i for i, f in enumerate(change.files) if f.binary)).text(2) == "binary"


def test_help_lists_the_shortcuts(view: DiffView, qtbot: QtBot) -> None:
    keys = dict(view.shortcut_help())
    assert {"n", "p", "j", "k", "]", "[", "v", "?"} <= keys.keys()
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, "?")
    dialog = view.help_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Next finding" in dialog.label.text() and "Previous hunk" in dialog.label.text()
    dialog.hide()


def test_malformed_findings_are_refused_and_the_view_is_unchanged(view: DiffView, git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    view.set_change(change, [SHELL])
    with pytest.raises(UserError, match="field 'severity'"):
        view.set_change(change, [{**SHELL, "severity": "severe"}])
    assert view.canvas.change is change and view.canvas.findings.by_id.keys() == {SHELL["id"]}


def test_clear_empties_everything(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [SHELL])
    with qtbot.waitSignal(view.progress_changed) as signal:
        view.clear()
    assert signal.args == [0, 0]
    assert view.canvas.rows is None and view.canvas.change is None
    assert view.file_list.topLevelItemCount() == 0
    view.next_finding()  # navigation on an empty view is harmless
    view.next_file()
    assert view.show_finding(SHELL["id"]) is False
    image = view.canvas.viewport().grab().toImage()
    assert len(distinct_colors(image, step=3)) > 1  # the "No change selected" text


def test_a_very_long_line_is_highlighted_in_slices_after_the_paint(view: DiffView, qtbot: QtBot) -> None:
    long_line = "var total = items.map(function (x) { return x * 2; });" * 5_000  # 275 kB on one line
    lines = [Line(LineKind.ADDED, None, 1, long_line), Line(LineKind.ADDED, None, 2, "var done = true;")]
    diff = FileDiff(None, "dist/app.min.js", FileStatus.ADDED, hunks=[Hunk(0, 0, 1, 2, "", lines)])
    change = Change("minified", "minified", None, None, None, None, [diff])  # type: ignore[arg-type]
    started = time.perf_counter()
    view.set_change(change, [])
    view.canvas.viewport().repaint()
    assert time.perf_counter() - started < 1.0  # the line was not lexed during the paint
    highlighter = view.canvas.highlighter
    assert highlighter is not None
    qtbot.waitUntil(lambda: highlighter.tokens(0, 0, 0) is not None, timeout=15_000)
    tokens = highlighter.tokens(0, 0, 0)
    assert tokens is not None and tokens[-2] == len(long_line)  # the last token ends the line
    view.canvas.horizontalScrollBar().setValue(view.canvas.horizontalScrollBar().maximum())  # the end is reachable
    assert view.canvas.horizontalScrollBar().maximum() > (len(long_line) - 200) * view.canvas._metrics.char_width


def test_a_150k_line_change_loads_quickly_and_jumps_to_its_last_finding(view: DiffView) -> None:
    change = big_change()
    findings = [
        {"id": f"rule@{diff.path}:new:{diff.hunks[-1].lines[-1].new_no}", "rule": "rule", "severity": "medium",
         "path": diff.path, "line": diff.hunks[-1].lines[-1].new_no, "side": "new", "start": 4, "end": 9,
         "message": "m", "reference": ""}
        for diff in change.files[19::20]  # files 19, 39, ... 119: the last is at the very end
    ]
    started = time.perf_counter()
    view.set_change(change, findings)
    view.canvas.viewport().repaint()
    assert time.perf_counter() - started < 3.0  # ~0.1 s here; generous for a loaded machine
    canvas = view.canvas
    assert canvas.rows is not None and len(canvas.rows) == 156_120
    highlighter = canvas.highlighter
    assert highlighter is not None and highlighter.lexed_lines < 500  # only what is on screen
    last = findings[-1]["id"]
    assert view.show_finding(last)
    finding = canvas.findings.by_id[last]
    assert canvas.current_row == canvas.finding_row(finding) and canvas.current_row > 150_000
    assert canvas.top_row() <= canvas.current_row < canvas.top_row() + canvas.visible_rows()
    canvas.verticalScrollBar().setValue(canvas.verticalScrollBar().maximum())
    canvas.viewport().repaint()
    assert highlighter.lexed_lines < 1_000


def test_side_by_side_of_a_huge_change_is_built_in_slices(view: DiffView, qtbot: QtBot) -> None:
    view.set_change(big_change(), [])
    canvas = view.canvas
    with qtbot.waitSignal(canvas.layout_ready, timeout=10_000):
        view.set_side_by_side(True)
        assert canvas.rebuilding  # still showing the unified rows meanwhile
        assert canvas.rows is not None and not canvas.rows.side_by_side
    assert canvas.rows is not None and canvas.rows.side_by_side and len(canvas.rows) == 132_120


def test_arrow_keys_move_the_current_line_and_ctrl_c_copies_it(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    from PySide6.QtGui import QGuiApplication

    view.set_change(sample_change(git_repo), [])
    canvas = view.canvas
    canvas.setFocus()
    target = find_row(canvas, "def run(cmd, *, shell=False):")
    canvas.go_to_row(target - 1)
    qtbot.keyClick(canvas, Qt.Key.Key_Down)
    assert canvas.current_row == target
    qtbot.keyClick(canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "def run(cmd, *, shell=False):"
    qtbot.keyClick(canvas, Qt.Key.Key_End)
    assert canvas.rows is not None and canvas.current_row == len(canvas.rows) - 1
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert canvas.current_row == 0 and canvas.top_row() == 0


# QToolTip raises its window; the offscreen plugin cannot and says so (harmless, this test only).
@pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support propagateSizeHints")
def test_a_real_tooltip_event_shows_the_finding(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    view.set_change(sample_change(git_repo), [SHELL])
    canvas = view.canvas
    point = row_point(canvas, find_row(canvas, "    return subprocess.run(cmd, shell=True)"), int(2 * canvas._metrics.number_width) + 4)
    QApplication.sendEvent(canvas.viewport(), QHelpEvent(QEvent.Type.ToolTip, point, canvas.viewport().mapToGlobal(point)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2_000)
    assert QToolTip.text() == f"H high · shell-true\n{SHELL['message']}\nReference: {SHELL['reference']}"
    QToolTip.hideText()


def test_review_keys_work_from_the_file_list_too(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    view.set_change(change, [SHELL])
    view.file_list.setFocus()
    with qtbot.waitSignal(view.finding_activated) as signal:
        qtbot.keyClick(view.file_list, "n")
    assert signal.args == [SHELL["id"]]
    clicked = view.file_list.topLevelItem(3)
    view.file_list.itemClicked.emit(clicked, 0)  # a click on a file in the list scrolls the diff to it
    canvas = view.canvas
    assert canvas.rows is not None
    assert canvas.current_file == 3 and canvas.current_row == canvas.rows.file_rows[3]
    assert canvas.top_row() <= canvas.current_row < canvas.top_row() + canvas.visible_rows()


def test_restoring_viewed_on_every_file_rebuilds_the_rows_once(view: DiffView, qtbot: QtBot) -> None:
    change = big_change()
    view.set_change(change, [])
    canvas = view.canvas
    ready: list[bool] = []
    canvas.layout_ready.connect(lambda: ready.append(True))
    progress: list[tuple[int, int]] = []
    view.progress_changed.connect(lambda done, total: progress.append((done, total)))
    started = time.perf_counter()
    for diff in change.files:  # what the host does with the saved review progress
        view.set_viewed(diff.path, True)
    qtbot.waitUntil(lambda: bool(ready))
    assert time.perf_counter() - started < 5.0  # ~0.1 s here
    assert ready == [True] and progress[-1] == (120, 120)
    assert canvas.rows is not None and len(canvas.rows) == 240  # a header and a "viewed, hidden" row per file


def test_the_viewed_box_of_a_file_header_and_a_trojan_path(view: DiffView, qtbot: QtBot) -> None:
    sneaky = "src/admin\u202e_txt.py"  # renders as "src/adminyp.txt_" without the marker
    lines = [Line(LineKind.ADDED, None, 1, "x = 1")]
    diff = FileDiff(None, sneaky, FileStatus.ADDED, hunks=[Hunk(0, 0, 1, 1, "", lines)])
    change = Change("t", "t", None, None, None, None, [diff])  # type: ignore[arg-type]
    view.set_change(change, [])
    assert view.file_list.topLevelItem(0).text(0) == "src/admin⟨U+202E⟩_txt.py"
    canvas = view.canvas
    with qtbot.waitSignal(view.file_viewed_changed) as signal:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=row_point(canvas, 0, canvas.viewport().width() - 20))
    assert signal.args == [sneaky, True]


def test_a_dark_palette_gives_dark_diff_colours(view: DiffView, git_repo: GitRepo) -> None:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.Base, "#1f1f1f"), (QPalette.ColorRole.Text, "#e6e6e6")):
        palette.setColor(role, QColor(color))
    view.setPalette(palette)
    view.set_change(sample_change(git_repo), [])
    colors = view.canvas._drawer.colors
    assert colors.dark and colors.added.lightness() < 100 and colors.base.lightness() < 100
    image = view.canvas.viewport().grab().toImage()
    assert QColor(image.pixel(image.width() - 5, image.height() - 5)).lightness() < 100


def test_s_w_and_x_keys_toggle_modes_and_collapse(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [])
    canvas = view.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, "s")
    qtbot.keyClick(canvas, "w")
    canvas.wait_for_layout()
    assert canvas.rows is not None and canvas.rows.side_by_side and canvas.rows.ignore_whitespace
    assert view.side_by_side_box.isChecked() and view.whitespace_box.isChecked()
    qtbot.keyClick(canvas, "x")  # the current file (the first) folds
    assert canvas.is_collapsed(0)
    canvas.wait_for_layout()
    assert canvas.rows.row(canvas.rows.file_rows[0] + 1).kind is RowKind.COLLAPSED
    qtbot.keyClick(canvas, "s")
    canvas.wait_for_layout()
    assert not canvas.rows.side_by_side and canvas.is_collapsed(0)


def test_a_long_line_with_wide_characters_paints_quickly(view: DiffView) -> None:
    long_line = "価格 = compute('東京', value)  # 税込み\u200b " * 10_000  # 370k columns, not ASCII
    lines = [Line(LineKind.ADDED, None, 1, long_line)]
    diff = FileDiff(None, "prices.py", FileStatus.ADDED, hunks=[Hunk(0, 0, 1, 1, "", lines)])
    view.set_change(Change("wide", "wide", None, None, None, None, [diff]), [])  # type: ignore[arg-type]
    canvas = view.canvas
    canvas.viewport().repaint()
    bar = canvas.horizontalScrollBar()
    bar.setValue(bar.maximum() // 2)
    started = time.perf_counter()
    for _ in range(5):
        canvas.viewport().repaint()
    assert (time.perf_counter() - started) / 5 < 0.25  # a few ms here: neither re-measured nor re-mapped
    assert bar.maximum() > len(long_line) * canvas._metrics.char_width / 2


def test_a_bigger_font_gives_taller_rows(view: DiffView, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [])
    canvas = view.canvas
    before = canvas._metrics.line_height
    font = canvas.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    canvas.setFont(font)
    assert canvas._metrics.line_height > 1.5 * before
    assert canvas.visible_rows() == canvas.viewport().height() // canvas._metrics.line_height


def test_a_change_without_files_shows_a_sentence_and_navigation_is_harmless(view: DiffView, qtbot: QtBot) -> None:
    with qtbot.waitSignal(view.progress_changed) as signal:
        view.set_change(Change("empty", "empty", None, None, None, None, []), [])  # type: ignore[arg-type]
    assert signal.args == [0, 0]
    canvas = view.canvas
    canvas.setFocus()
    for key in "npjk[]vxs?":
        qtbot.keyClick(canvas, key)
    if view.help_dialog is not None:
        view.help_dialog.hide()
    assert canvas.rows is not None and len(canvas.rows) == 0 and view.progress_label.text() == "No files"
    assert len(distinct_colors(canvas.viewport().grab().toImage(), step=3)) > 1  # "This change has no file differences"


def test_the_current_line_is_described_for_screen_readers(view: DiffView, qtbot: QtBot, git_repo: GitRepo) -> None:
    view.set_change(sample_change(git_repo), [SHELL])
    canvas = view.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, "n")
    assert canvas.accessibleDescription() == "app/main.py, line 6 added, 1 finding:     return subprocess.run(cmd, shell=True)"
