"""Background tasks: results routed to the UI thread, stale ones dropped, cancellation on shutdown."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread

from reviewer_app.errors import UserError
from reviewer_app.ui.tasks import TaskContext, TaskRunner


def test_results_arrive_on_the_ui_thread(qtbot) -> None:
    runner = TaskRunner()
    ui_thread = QThread.currentThread()
    seen: list[tuple[object, bool]] = []

    def work(_ctx: TaskContext) -> object:
        return QThread.currentThread()

    runner.submit("a", work, lambda worker: seen.append((worker, QThread.currentThread() is ui_thread)))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    worker_thread, on_ui = seen[0]
    assert worker_thread is not ui_thread and on_ui
    runner.shutdown()


def test_a_newer_request_of_the_same_kind_drops_the_older_result(qtbot) -> None:
    runner = TaskRunner()
    release = threading.Event()
    delivered: list[str] = []

    def slow(_ctx: TaskContext) -> str:
        release.wait(5)
        return "old selection"

    runner.submit("detail", slow, delivered.append)
    runner.submit("detail", lambda _ctx: "new selection", delivered.append)
    qtbot.waitUntil(lambda: delivered == ["new selection"], timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=5000)
    assert delivered == ["new selection"]  # the slow, stale answer never reached the view
    runner.shutdown()


def test_other_kinds_run_side_by_side(qtbot) -> None:
    runner = TaskRunner()
    delivered: list[str] = []
    runner.submit("queue", lambda _ctx: "queue", delivered.append)
    runner.submit("detail", lambda _ctx: "detail", delivered.append)
    qtbot.waitUntil(lambda: sorted(delivered) == ["detail", "queue"], timeout=5000)
    runner.shutdown()


def test_errors_are_messages_never_exceptions_in_the_event_loop(qtbot) -> None:
    runner = TaskRunner()
    errors: list[str] = []

    def bad_input(_ctx: TaskContext) -> None:
        raise UserError("patch.diff:3: hunk ends early")

    def bug(_ctx: TaskContext) -> None:
        raise KeyError("oops")

    runner.submit("a", bad_input, lambda _r: None, errors.append)
    runner.submit("b", bug, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    assert "patch.diff:3: hunk ends early" in errors
    assert "internal error: KeyError: 'oops'" in errors
    runner.shutdown()


def test_progress_is_reported_and_shutdown_cancels_then_waits(qtbot) -> None:
    runner = TaskRunner()
    progress: list[tuple[int, int]] = []
    finished: list[str] = []
    started = threading.Event()
    stopped = threading.Event()

    def endless(ctx: TaskContext) -> None:
        started.set()
        step = 0
        try:
            while True:
                step += 1
                ctx.progress(step, 1000)
                time.sleep(0.005)
        finally:
            stopped.set()

    runner.submit("export", endless, lambda _r: finished.append("done"), lambda m: finished.append(m),
                  on_progress=lambda done, total, _m: progress.append((done, total)))
    assert started.wait(5)
    qtbot.waitUntil(lambda: len(progress) >= 3, timeout=5000)
    runner.shutdown()  # raises the cancel flag, then waits: the worker has ended when this returns
    assert stopped.is_set()
    assert runner.submit("late", lambda _ctx: 1, finished.append) == -1
    qtbot.wait(50)
    assert finished == []  # a cancelled task reports nothing
