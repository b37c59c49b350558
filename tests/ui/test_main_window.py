"""The main window on a real workspace: queue, selection, inspector, keyboard, drops, persistence."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from reviewer_app.ui.inspector import Inspector
from reviewer_app.ui.queue_model import COL_APPROVALS, COL_RISK, COL_SERVICES, COL_STATUS, COL_TITLE
from reviewer_app.ui.settings import load_settings
from tests.gitrepo import GitRepo
from tests.ui.marks import OFFSCREEN_SIZE_HINTS

pytestmark = OFFSCREEN_SIZE_HINTS


def test_opens_on_the_riskiest_change_with_findings_and_tier0_services(make_window, queued_db) -> None:
    window = make_window()
    risky_id, docs_id = queued_db[1]
    assert window.queue.model.rowCount() == 2
    assert window.queue.current_change_id() == risky_id  # riskiest first
    assert window.detail is not None and window.detail.change_id == risky_id
    top = window.queue.proxy.index(0, COL_RISK).data()
    assert top.startswith("C critical")  # letter and word, not colour alone
    assert window.queue.proxy.index(0, COL_SERVICES).data().startswith("orders-db [T0]")
    assert window.queue.proxy.index(0, COL_APPROVALS).data() == "0/2"
    assert window.queue.proxy.index(0, COL_STATUS).data() == "needs my review"
    findings = window.inspector.findings
    labels = [findings.tree.topLevelItem(n).text(0) for n in range(findings.tree.topLevelItemCount())]
    assert labels[:2] == ["C critical", "C critical"]
    assert "DB-DROP-TABLE@db/migrations/0042_cleanup.sql:new:2" in findings.finding_ids()
    services = window.inspector.services
    rows = {services.list.topLevelItem(n).text(0): services.list.topLevelItem(n).text(2)
            for n in range(services.list.topLevelItemCount())}
    assert rows["orders-db"] == "T0"
    assert "Tier 0: orders-db" in services.summary.text()
    assert set(services.graph_view.node_ids()) >= {"orders-db", "checkout", "storefront"}


def test_search_filters_by_service_and_tool(make_window) -> None:
    window = make_window()
    window.queue.search.setText("orders-db")
    assert window.queue.proxy.rowCount() == 1
    window.queue.search.setText("claude")
    assert window.queue.proxy.rowCount() == 1
    window.queue.search.setText("nothing-matches-this")
    assert window.queue.proxy.rowCount() == 0
    assert window.queue.count.text() == "0 of 2 changes"
    window.queue.search.clear()
    assert window.queue.proxy.rowCount() == 2


def test_keyboard_moves_between_changes_tabs_and_panes(make_window, queued_db, qtbot) -> None:
    window = make_window()
    risky_id, docs_id = queued_db[1]
    window.activateWindow()
    window.queue.table.setFocus()
    with qtbot.waitSignal(window.change_loaded, timeout=10000) as blocker:
        qtbot.keyClick(window.queue.table, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert blocker.args == [docs_id]
    assert window.queue.current_change_id() == docs_id
    with qtbot.waitSignal(window.change_loaded, timeout=10000) as blocker:
        qtbot.keyClick(window.queue.table, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert blocker.args == [risky_id]
    qtbot.keyClick(window.queue.table, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.inspector.currentIndex() == Inspector.TAB_PROVENANCE
    assert "Claude Code" in window.inspector.provenance.toPlainText()
    qtbot.keyClick(window.queue.table, Qt.Key.Key_F,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.queue.search.hasFocus()
    qtbot.keyClick(window.queue.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.diff.find_bar.isVisible() and window.diff.find_bar.query.hasFocus()
    shortcuts = dict((text, key) for key, text in window.shortcut_table())
    assert shortcuts["Approve"] and shortcuts["Next change"] and shortcuts["Open patch"]


def test_fast_switching_shows_only_the_last_selected_change(make_window, queued_db, qtbot) -> None:
    window = make_window()
    risky_id, docs_id = queued_db[1]
    for _ in range(5):  # each selection supersedes the previous request; stale results are dropped
        window.queue.select(docs_id)
        window.queue.select(risky_id)
    window.queue.select(docs_id)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=15000)
    assert window.detail is not None and window.detail.change_id == docs_id


def _drop(window, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_a_bad_patch_dropped_on_the_window_shows_an_error_not_a_crash(make_window, review_workspace, qtbot) -> None:
    window = make_window()
    with qtbot.waitSignal(window.error_shown, timeout=10000) as blocker:
        _drop(window, review_workspace.bad_patch)
    assert "broken.patch" in blocker.args[0]
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and "broken.patch" in boxes[-1].text()
    boxes[-1].close()
    assert window.queue.model.rowCount() == 2  # the queue is untouched and the window still works


def test_a_good_patch_dropped_is_queued_and_selected(make_window, review_workspace, tmp_path, qtbot) -> None:
    window = make_window()
    repo = GitRepo(review_workspace.repo)
    repo.git("checkout", "-q", "-b", "web-copy", "main")
    try:
        repo.write("web/index.html", "<h1>Shop!</h1>\n", dedent=False)
        repo.commit("Louder heading")
        patch = tmp_path / "web.patch"
        patch.write_bytes(repo.format_patch())
    finally:
        repo.git("checkout", "-q", "main")
        repo.git("branch", "-q", "-D", "web-copy")
    with qtbot.waitSignal(window.changes_added, timeout=10000) as added:
        _drop(window, patch)
    new_id = added.args[0][0]
    qtbot.waitUntil(lambda: window.detail is not None and window.detail.change_id == new_id, timeout=10000)
    assert window.queue.model.rowCount() == 3
    assert window.detail.analysis["title"] == "Louder heading"


def test_viewed_files_are_remembered_in_the_database(make_window, queued_db, qtbot) -> None:
    window = make_window()
    risky_id = queued_db[1][0]
    path = "db/migrations/0042_cleanup.sql"
    window.diff.set_viewed(path, True)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=5000)
    from reviewer_app.core import store

    db = store.open_db(queued_db[0])
    rows = db.execute("SELECT path, viewed FROM review_progress WHERE change_id = ?", [risky_id]).fetchall()
    db.close()
    assert rows == [(path, 1)]
    window.close()
    restored: list[tuple[str, bool]] = []
    second = make_window(load=False)
    second.diff.file_viewed_changed.connect(lambda p, v: restored.append((p, v)))
    with qtbot.waitSignal(second.change_loaded, timeout=10000):
        second.refresh_queue()
    assert (path, True) in restored and second.detail.viewed == {path}


def test_splitter_sizes_and_column_widths_persist(make_window, config_dir, qtbot) -> None:
    window = make_window()
    window.splitter.setSizes([300, 700, 280])
    window.queue.table.setColumnWidth(COL_RISK, 133)
    sizes = window.splitter.sizes()
    window.close()
    saved = load_settings()
    assert saved.splitters["main"] == sizes
    assert saved.columns["queue"][COL_RISK] == 133
    assert (config_dir / "settings.json").is_file()
    second = make_window(settings=saved, load=False)
    assert second.splitter.sizes() == sizes
    assert second.queue.table.columnWidth(COL_RISK) == 133


def test_the_workspace_is_remembered_for_the_next_start(make_window, review_workspace) -> None:
    window = make_window(load=False)
    window.close()
    assert load_settings().workspace == str(review_workspace.repo)


def test_closing_cancels_running_work_and_waits_for_it(make_window, qtbot) -> None:
    import threading
    import time

    window = make_window()
    started, ended = threading.Event(), threading.Event()

    def long_work(context) -> None:
        started.set()
        try:
            while True:  # a long export, say: it checks its cancel flag between steps
                context.check()
                time.sleep(0.01)
        finally:
            ended.set()

    window.runner.submit("export", long_work, lambda _r: None)
    assert started.wait(5)
    window.close()  # raises the flags, then waits: no thread outlives the window
    assert ended.is_set()
    assert not window.runner.is_busy()


def test_everything_important_is_in_sight_at_1280x800_and_1920x1080(make_window, qtbot) -> None:
    window = make_window()
    for width, height in ((1280, 800), (1920, 1080)):
        window.resize(width, height)
        qtbot.waitUntil(lambda w=width: window.width() == w, timeout=5000)
        bar = window.inspector.tabBar()
        assert all(bar.tabRect(n).right() <= bar.width() for n in range(bar.count())), width
        table = window.queue.table
        qtbot.waitUntil(lambda: table.columnViewportPosition(COL_APPROVALS) + table.columnWidth(COL_APPROVALS)
                        <= table.viewport().width(), timeout=5000)  # risk, title, approvals without scrolling
        assert table.columnWidth(COL_TITLE) >= 120
        sizes = window.splitter.sizes()
        assert min(sizes) >= 0.19 * width  # no pane squeezed away
