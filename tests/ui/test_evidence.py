"""Evidence of review in the desktop app: a clock passed in, a review driven by key presses, signed.

The clock is the window's (``MainWindow(..., clock=...)``), never patched globally; the signature is
made with a real ssh-keygen key and the evidence is read back from the signed payload.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt

from reviewer_app.core import store
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.ui.evidence import IDLE_SECONDS, ReviewEvidence
from reviewer_app.ui.queue_model import COL_STATUS
from reviewer_app.ui.settings import Settings
from tests.ui.marks import OFFSCREEN_SIZE_HINTS
from tests.ui.reviewfixture import SENIORS

pytestmark = OFFSCREEN_SIZE_HINTS


class Clock:
    """Seconds, moved only by the test."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_active_time_caps_idle_gaps_and_stops_in_the_background(review_workspace) -> None:  # type: ignore[no-untyped-def]
    change = parse_patch(review_workspace.risky_patch.read_bytes(), "risky")[0]
    clock = Clock()
    tracker = ReviewEvidence(change, "sha256:x", clock)
    tracker.input()
    clock.advance(30)
    tracker.input()  # 30 s reading
    clock.advance(600)
    tracker.input()  # ten minutes away: only IDLE_SECONDS count
    assert tracker.active_seconds == 30 + IDLE_SECONDS
    tracker.set_window_active(False)
    clock.advance(3600)  # an hour in another program
    tracker.input()  # input elsewhere is not review
    tracker.set_window_active(True)
    clock.advance(5)
    tracker.input()  # the first input after coming back starts the count again
    clock.advance(7)
    assert tracker.active_seconds == 30 + IDLE_SECONDS + 7  # the pending gap counts up to now
    paths = [diff.path for diff in change.files]
    tracker.file_opened(paths[0])
    tracker.file_opened("not/in/the/change.py")
    tracker.lines_on_screen([(paths[0], "new", 1), (paths[0], "new", 10_000)])
    figures = tracker.evidence()
    assert figures["files_viewed"] == 1 and figures["files_total"] == len(paths) and figures["client"] == "gui"
    assert figures["lines_changed"] == sum(d.added + d.removed for d in change.files)
    assert figures["lines_seen"] == (1 if any(l.new_no == 1 and l.kind.value == "+" for h in change.files[0].hunks
                                              for l in h.lines) else 0)


def make_window(qtbot, review_workspace, queued_db, clock: Clock) -> Any:  # type: ignore[no-untyped-def]
    from reviewer_app.ui.main_window import MainWindow

    settings = Settings(identity=SENIORS[0], key_path=str(review_workspace.keys[SENIORS[0]]))
    window = MainWindow(queued_db[0], review_workspace.repo, settings, clock=clock)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.change_loaded, timeout=15000):
        window.refresh_queue()
    return window


def press(qtbot, canvas, key: str, clock: Clock, after: float) -> None:  # type: ignore[no-untyped-def]
    clock.advance(after)
    qtbot.keyClick(canvas, key)
    canvas.viewport().repaint()  # what is on screen now is painted now (the tracker reads the painted rows)


def test_a_review_in_the_window_is_measured_shown_and_signed(qtbot, review_workspace, queued_db) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    window = make_window(qtbot, review_workspace, queued_db, clock)
    try:
        canvas = window.diff.canvas
        canvas.setFocus()
        canvas.viewport().repaint()
        tracker = window._evidence[window.detail.change_id]
        total_files = len(window.detail.change.files)
        assert total_files >= 2
        press(qtbot, canvas, "j", clock, after=20)  # next file: 20 s of reading
        press(qtbot, canvas, "v", clock, after=200)  # marked viewed after a long pause: 60 s count
        window.evidence_watcher.on_application_state(Qt.ApplicationState.ApplicationInactive)
        clock.advance(300)  # the window in the background: nothing counts
        window.evidence_watcher.on_application_state(Qt.ApplicationState.ApplicationActive)
        press(qtbot, canvas, "k", clock, after=1)
        press(qtbot, canvas, "j", clock, after=9)
        assert tracker.active_seconds == 20 + IDLE_SECONDS + 9
        figures = tracker.evidence()
        assert 2 <= figures["files_viewed"] <= total_files and 0 < figures["lines_seen"] <= figures["lines_changed"]

        window.open_approve_dialog()
        dialog = window.approval_dialog
        assert f"you viewed {figures['files_viewed']} of {total_files} files" in dialog.evidence_label.text()
        assert "1 min 29 s of active review" in dialog.evidence_label.text()
        dialog.set_all_acknowledged()
        with qtbot.waitSignal(dialog.decided, timeout=20000):
            qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        event_id = dialog.result_info.event_id
        dialog.accept()
        payload = store.open_db(queued_db[0]).execute("SELECT payload FROM events WHERE id = ?", [event_id]).fetchone()[0]
        assert json.loads(payload)["evidence"] == {**figures, "active_seconds": 89}
    finally:
        window.close()
        window.runner.shutdown()


def test_c_comments_on_the_current_line_and_t_moves_to_the_thread(qtbot, review_workspace, queued_db) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    window = make_window(qtbot, review_workspace, queued_db, clock)
    try:
        canvas = window.diff.canvas
        canvas.setFocus()
        qtbot.keyClick(canvas, "n")  # to the first finding: a changed line
        anchor = canvas.current_anchor()
        assert anchor is not None
        with qtbot.waitSignal(canvas.comment_requested, timeout=5000) as asked:
            qtbot.keyClick(canvas, "c")
        assert tuple(asked.args) == anchor
        box = window.comment_box
        assert box is not None and box.isVisible() and anchor[0] in box.labelText()
        box.setTextValue("Is this safe to run twice?")
        box.accept()  # signs in a worker
        qtbot.waitUntil(lambda: window.inspector.threads.topLevelItemCount() == 1, timeout=20000)
        assert window.inspector.tabText(window.inspector.TAB_THREADS) == "Threads 1"
        thread = window.inspector.threads.threads[0]
        assert (thread.path, thread.side, thread.line) == anchor and thread.comments[0].principal == SENIORS[0]
        model = window.queue.model
        qtbot.waitUntil(lambda: model.open_threads(window.detail.change_id) == 1, timeout=10000)
        status = model.index(model.row_for(window.detail.change_id), COL_STATUS).data()
        assert status.endswith(" · 1 open thread")
        qtbot.keyClick(canvas, "j")  # elsewhere, then back with t
        with qtbot.waitSignal(canvas.thread_activated, timeout=5000) as moved:
            qtbot.keyClick(canvas, "t")
        assert moved.args == [thread.id] and canvas.current_anchor() == anchor
    finally:
        window.close()
        window.runner.shutdown()
