"""The first window's size and proportions, remembered geometry, and Ctrl+F search inside the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from reviewer_app.ui.app import FIRST_START_SHARE, initial_geometry
from reviewer_app.ui.diffview.search import DiffSearch
from reviewer_app.ui.diffview.widget import DiffView
from reviewer_app.ui.main_window import SPLITTER_SHARES
from tests.gitrepo import GitRepo
from tests.ui.diffview.helpers import two_commit_change


def test_first_start_takes_85_percent_of_the_screen_centred() -> None:
    x, y, w, h = initial_geometry((0, 0, 1920, 1080), [])
    assert (w, h) == (int(1920 * FIRST_START_SHARE), int(1080 * FIRST_START_SHARE))
    assert (x, y) == ((1920 - w) // 2, (1080 - h) // 2)


def test_a_saved_geometry_is_used_when_it_still_fits_and_ignored_when_it_does_not() -> None:
    assert initial_geometry((0, 0, 1920, 1080), [100, 50, 1200, 800]) == (100, 50, 1200, 800)
    # Saved on a larger monitor, or off this screen now: start at 85% instead.
    assert initial_geometry((0, 0, 1366, 768), [0, 0, 2500, 1400])[2] == int(1366 * FIRST_START_SHARE)
    assert initial_geometry((0, 0, 1920, 1080), [5000, 40, 1200, 800])[0] < 1920


def test_the_diff_text_is_wider_than_queue_file_list_and_inspector_together() -> None:
    width = int(1920 * FIRST_START_SHARE)
    queue, diff, inspector = (width * share for share in SPLITTER_SHARES)
    file_list = diff * DiffView.FILE_LIST_SHARE
    assert diff - file_list > queue + file_list + inspector


@pytest.fixture
def three_file_change(git_repo: GitRepo):
    before = {f"svc/{name}.py": "".join(f"value_{name}_{i} = {i}\n" for i in range(40)) for name in "abc"}
    after = {path: text.replace("= 7\n", "= 70  # needle\n").replace("= 30\n", "= 300  # NEEDLE\n")
             for path, text in before.items()}
    return two_commit_change(git_repo, before, after)


def test_search_lists_matches_in_reading_order_and_respects_case(three_file_change) -> None:
    files = three_file_change.files
    search = DiffSearch(files, "needle")
    assert [files[f].path for f, _h, _l in search.matches] == ["svc/a.py"] * 2 + ["svc/b.py"] * 2 + ["svc/c.py"] * 2
    assert len(DiffSearch(files, "NEEDLE", case_sensitive=True).matches) == 3
    assert DiffSearch(files, "absent").step((0, 0, 0), True) is None
    last = search.step(search.matches[-1], True)
    assert last is not None and last.ordinal == 1  # wraps around to the first match


def test_ctrl_f_in_the_main_window_finds_across_files_and_back(qtbot, three_file_change, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWER_APP_CONFIG_DIR", str(tmp_path / "config"))
    from reviewer_app.ui.main_window import MainWindow
    from reviewer_app.ui.settings import Settings

    window = MainWindow(tmp_path / "reviewer.db", None, Settings())
    qtbot.addWidget(window)
    window.persist_layout = False
    window.show()
    view = window.diff
    view.set_change(three_file_change, [])
    view.canvas.set_collapsed(2, True)  # a collapsed (viewed) file is opened by the search
    view.canvas.wait_for_layout()
    window.find_in_diff_action.trigger()
    assert view.find_bar.isVisible()
    qtbot.keyClicks(view.find_bar.query, "needle")
    paths = []
    for _ in range(6):
        qtbot.keyClick(view.find_bar.query, Qt.Key.Key_Return)
        view.canvas.wait_for_layout()
        paths.append(view.canvas.current_row_description().split(",")[0])
    assert paths == ["svc/a.py", "svc/a.py", "svc/b.py", "svc/b.py", "svc/c.py", "svc/c.py"]
    assert not view.canvas.is_collapsed(2)
    assert view.find_bar.status.text() == "6 of 6"
    assert "NEEDLE" in view.canvas.current_line_text()
    qtbot.keyClick(view.find_bar.query, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.find_bar.status.text() == "5 of 6"
    assert "needle" in view.canvas.current_line_text()
    qtbot.keyClick(view.find_bar.query, Qt.Key.Key_Escape)
    assert not view.find_bar.isVisible()
    window.close()


def test_window_geometry_and_splitters_are_remembered(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWER_APP_CONFIG_DIR", str(tmp_path / "config"))
    from reviewer_app.ui.main_window import MainWindow
    from reviewer_app.ui.settings import Settings, load_settings

    window = MainWindow(tmp_path / "reviewer.db", None, Settings())
    qtbot.addWidget(window)
    window.setGeometry(20, 30, 1300, 900)
    window.show()
    window.diff.splitter.setSizes([300, 700])
    window.close()
    saved = load_settings()
    assert saved.window[2:] == [1300, 900]
    assert len(saved.splitters["diff"]) == 2
    again = MainWindow(tmp_path / "reviewer.db", None, saved)
    qtbot.addWidget(again)
    again.setGeometry(*saved.window)
    again.show()
    left, right = again.diff.splitter.sizes()
    saved_left, saved_right = saved.splitters["diff"]
    assert abs(left / (left + right) - saved_left / (saved_left + saved_right)) < 0.02
    again.persist_layout = False
    again.close()
