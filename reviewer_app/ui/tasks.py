"""Background work for the window: small tasks on a QThreadPool that report through signals.

Every request is tagged with a token. Starting a new request of the same *kind* (say, "load the
selected change") supersedes the older one, whose result is then dropped when it arrives: a slow
answer for a change the user has already left never overwrites the current view. Cancellation is
cooperative (a flag the task checks); on close we raise every flag and wait for the pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from reviewer_app.errors import UserError


class Cancelled(Exception):
    """Raised inside a task when its cancel flag is set; never reported to the user."""


@dataclass
class TaskContext:
    """What a task function receives: a cancel check and a progress reporter (both thread-safe)."""

    cancel_event: threading.Event
    report: Callable[[int, int, str], None]

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()

    def progress(self, done: int, total: int, message: str = "") -> None:
        self.check()
        self.report(done, total, message)


TaskFunction = Callable[[TaskContext], Any]


class _Channel(QObject):
    """Lives in the UI thread; workers emit on it, so the slots run on the UI thread (queued)."""

    finished = Signal(int, object)
    failed = Signal(int, str)
    progressed = Signal(int, int, int, str)


class _Runnable(QRunnable):
    def __init__(self, token: int, fn: TaskFunction, channel: _Channel, cancel_event: threading.Event) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._token = token
        self._fn = fn
        self._channel = channel
        self._cancel_event = cancel_event

    def run(self) -> None:  # runs on a pool thread
        context = TaskContext(self._cancel_event, self._report)
        try:
            if self._cancel_event.is_set():
                raise Cancelled()
            result = self._fn(context)
        except Cancelled:
            self._channel.failed.emit(self._token, "")
        except UserError as exc:
            self._channel.failed.emit(self._token, exc.message)
        except Exception as exc:  # the window shows it; a worker must never take the app down
            self._channel.failed.emit(self._token, f"internal error: {type(exc).__name__}: {exc}")
        else:
            self._channel.finished.emit(self._token, result)

    def _report(self, done: int, total: int, message: str) -> None:
        self._channel.progressed.emit(self._token, done, total, message)


@dataclass
class _Pending:
    kind: str
    on_done: Callable[[Any], None]
    on_error: Callable[[str], None] | None
    on_progress: Callable[[int, int, str], None] | None
    cancel_event: threading.Event = field(default_factory=threading.Event)


class TaskRunner(QObject):
    """Starts tasks and routes their results back, dropping superseded and cancelled ones."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._channel = _Channel(self)
        self._channel.finished.connect(self._on_finished)
        self._channel.failed.connect(self._on_failed)
        self._channel.progressed.connect(self._on_progress)
        self._next_token = 0
        self._pending: dict[int, _Pending] = {}
        self._latest: dict[str, int] = {}
        self._closed = False

    def submit(
        self,
        kind: str,
        fn: TaskFunction,
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        supersede: bool = True,
    ) -> int:
        """Run ``fn(context)`` on a worker; with ``supersede`` an older request of this kind is dropped."""
        if self._closed:
            return -1
        self._next_token += 1
        token = self._next_token
        if supersede and kind in self._latest:
            self.cancel(self._latest[kind])
        self._latest[kind] = token
        pending = _Pending(kind, on_done, on_error, on_progress)
        self._pending[token] = pending
        was_idle = len(self._pending) == 1
        self._pool.start(_Runnable(token, fn, self._channel, pending.cancel_event))
        if was_idle:
            self.busy_changed.emit(True)
        return token

    def cancel(self, token: int) -> None:
        pending = self._pending.get(token)
        if pending is not None:
            pending.cancel_event.set()

    def is_busy(self) -> bool:
        return bool(self._pending)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every started task has returned (results are delivered later by the event loop)."""
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self) -> None:
        """Raise every cancel flag, then wait for the workers: no thread outlives the window."""
        self._closed = True
        for pending in self._pending.values():
            pending.cancel_event.set()
        self._pool.waitForDone()
        self._pending.clear()

    def _take(self, token: int) -> _Pending | None:
        pending = self._pending.pop(token, None)
        if pending is not None and not self._pending:
            self.busy_changed.emit(False)
        if pending is None or pending.cancel_event.is_set() or self._closed:
            return None
        if self._latest.get(pending.kind, token) != token:
            return None  # a newer request of the same kind exists: this result is stale
        return pending

    @Slot(int, object)
    def _on_finished(self, token: int, result: object) -> None:
        pending = self._take(token)
        if pending is not None:
            pending.on_done(result)

    @Slot(int, str)
    def _on_failed(self, token: int, message: str) -> None:
        pending = self._take(token)
        if pending is not None and message and pending.on_error is not None:
            pending.on_error(message)

    @Slot(int, int, int, str)
    def _on_progress(self, token: int, done: int, total: int, message: str) -> None:
        pending = self._pending.get(token)
        if pending is None or pending.cancel_event.is_set() or pending.on_progress is None:
            return
        pending.on_progress(done, total, message)
