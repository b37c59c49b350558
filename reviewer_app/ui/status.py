"""The status bar: who signs, whether approvals are in sync, which workspace, and what is running."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QStatusBar, QWidget

from reviewer_app.ui.icons import icon


class _IconLabel(QWidget):
    def __init__(self, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel(self)
        self.text = QLabel(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.icon)
        layout.addWidget(self.text)
        self.set_icon(icon_name)

    def set_icon(self, name: str) -> None:
        size = self.fontMetrics().height()
        self.icon.setPixmap(icon(name).pixmap(QSize(size, size), self.devicePixelRatioF()))

    def set(self, text: str, tooltip: str = "") -> None:
        self.text.setText(text)
        self.setToolTip(tooltip or text)


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.identity = _IconLabel("identity", self)
        self.sync = _IconLabel("offline", self)
        self.workspace = _IconLabel("workspace", self)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.identity)
        self.addPermanentWidget(self.sync)
        self.addPermanentWidget(self.workspace)

    def set_identity(self, email: str, key: str) -> None:
        if email:
            self.identity.set(email, f"Signing as {email} with {key or 'no key configured'}")
        else:
            self.identity.set("no identity", "Set your email and key in Settings to sign approvals")

    def set_workspace(self, path: str) -> None:
        self.workspace.set(path or "no workspace", f"Workspace: {path}" if path else "No workspace chosen")

    def set_sync_state(self, online: bool, unpushed: int, last_sync: str | None, error: str | None,
                       running: bool = False) -> None:
        state = "syncing…" if running else ("online" if online and not error else "offline")
        waiting = f"{unpushed} event{'s' if unpushed != 1 else ''} waiting"
        last = f"last sync {last_sync}" if last_sync else "never synced"
        self.sync.set_icon("sync" if running else ("sync-error" if error else ("online" if online else "offline")))
        self.sync.set(f"{state} · {waiting} · {last}", error or f"{state}; {waiting}; {last}")

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # indeterminate until a task reports progress

    def set_progress(self, done: int, total: int) -> None:
        self.progress.show()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
