"""Sync from the window: on demand and every N minutes, in a worker, with state for the status bar.

A sync exchanges the signed events and then brings the inbox up to date (review refs fetched, new
revisions analysed), all in the worker; new high or critical items are announced (``new_high_risk``),
which the window shows as a desktop notification where the desktop has a system tray.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from reviewer_app.errors import UserError
from reviewer_app.ui.settings import Settings
from reviewer_app.ui.tasks import TaskContext, TaskRunner


def _status(db_path: Path | None) -> dict[str, Any]:
    from reviewer_app.core import store
    from reviewer_app.core.sync import sync_status

    db = store.open_db(db_path)
    try:
        return sync_status(db)
    finally:
        db.close()


def _sync(db_path: Path | None, repo: Path, remote: str, context: TaskContext) -> dict[str, Any]:
    from reviewer_app.core import store
    from reviewer_app.core.sync import run_sync, sync_status

    db = store.open_db(db_path)
    try:
        context.check()
        report = run_sync(db, repo, remote)
        result: dict[str, Any] = {"summary": report.summary(), "imported": report.imported.events_imported,
                                  "problems": list(report.problems), "status": sync_status(db), "alerts": []}
        context.check()
        try:
            from reviewer_app.core.inbox import sync_inbox

            inbox = sync_inbox(db, repo, remote, progress=lambda done, total: context.check())
        except UserError as exc:
            result["problems"].append(f"inbox: {exc.message}")
        else:
            result["summary"] += f"; inbox: {inbox.summary()}"
            result["imported"] += len(inbox.new_items) + len(inbox.new_revisions) + len(inbox.closed)
            result["alerts"] = list(inbox.high_or_critical)
            result["problems"].extend(f"inbox: {p}" for p in inbox.problems)
        return result
    finally:
        db.close()


class SyncController(QObject):
    # online, events waiting, last sync (str | None), last error (str | None), running
    state_changed = Signal(bool, int, object, object, bool)
    events_imported = Signal()
    new_high_risk = Signal(list)  # "PR #12: title" of new high or critical revisions
    finished = Signal(bool, str)  # ok, summary or error
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, db_path: Path | None, workspace: Callable[[], Path | None],
                 settings: Callable[[], Settings], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._db_path = db_path
        self._workspace = workspace
        self._settings = settings
        self._running = False
        self._last: dict[str, Any] = {"unpushed": 0, "last_sync": None, "last_error": None}
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.sync_now)

    def apply_settings(self) -> None:
        minutes = self._settings().sync_interval_minutes
        if minutes > 0 and self._settings().remote:
            self.timer.start(minutes * 60_000)
        else:
            self.timer.stop()
        self.refresh_status()

    def stop(self) -> None:
        self.timer.stop()

    def refresh_status(self) -> None:
        db_path = self._db_path
        self._runner.submit("sync-status", lambda _ctx: _status(db_path), self._show_status, lambda _m: None)

    def sync_now(self) -> None:
        if self._running:
            return
        repo = self._workspace()
        remote = self._settings().remote or "origin"
        if repo is None:
            self.failed.emit("no workspace: open a repository (--workspace) to sync its approvals")
            return
        self._running = True
        self._emit(running=True)
        db_path = self._db_path
        self._runner.submit("sync", lambda ctx: _sync(db_path, repo, remote, ctx), self._done, self._error,
                            supersede=False)

    def _done(self, result: dict[str, Any]) -> None:
        self._running = False
        self._show_status(result["status"])
        if result["imported"]:
            self.events_imported.emit()
        if result.get("alerts"):
            self.new_high_risk.emit(list(result["alerts"]))
        summary = result["summary"] + (f"; {len(result['problems'])} problem(s)" if result["problems"] else "")
        self.finished.emit(True, summary)

    def _error(self, message: str) -> None:
        self._running = False
        self._last["last_error"] = message
        self._emit()
        self.failed.emit(message)
        self.finished.emit(False, message)

    def _show_status(self, status: dict[str, Any]) -> None:
        self._last = dict(status)
        self._emit()

    def _emit(self, running: bool = False) -> None:
        error = self._last.get("last_error")
        online = bool(self._last.get("last_sync")) and not error
        self.state_changed.emit(online, int(self._last.get("unpushed") or 0), self._last.get("last_sync"), error,
                                running or self._running)

    @property
    def running(self) -> bool:
        return self._running
