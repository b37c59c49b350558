"""The main window: queue on the left, the diff in the centre, the inspector on the right.

The window owns no review logic: it asks ``ui.backend`` / ``ui.approvals`` (Qt-free) for data in
workers through ``TaskRunner`` and renders the answers. A result for a change the user has left
is dropped by the runner's tokens, so fast clicking never shows the wrong diff.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QLayout, QMainWindow, QMessageBox, QSplitter, QToolBar, QWidget

from reviewer_app.core.gitcmd import configured_email
from reviewer_app.errors import UserError
from reviewer_app.ui import backend
from reviewer_app.ui.backend import ChangeDetail, QueueRow
from reviewer_app.ui.diffview import DiffView
from reviewer_app.ui.evidence import EvidenceWatcher, ReviewEvidence
from reviewer_app.ui.icons import icon
from reviewer_app.ui.inspector import Inspector
from reviewer_app.ui.queue_panel import QueuePanel
from reviewer_app.ui.settings import Settings, save_settings
from reviewer_app.ui.status import StatusBar
from reviewer_app.ui.sync_controller import SyncController
from reviewer_app.ui.tasks import TaskContext, TaskRunner

# Queue, diff, inspector: shares of the window's width at first start. On a wide window the diff gets
# the most: with the file list inside it (DiffView.FILE_LIST_SHARE), its text column is wider than the
# queue, the file list and the inspector together (a 1920-pixel screen at 85%: about 830 against 800
# pixels). Below WIDE_WINDOW the queue's columns and the inspector's four tabs need their room first.
SPLITTER_SHARES = (0.20, 0.60, 0.20)
NARROW_SPLITTER_SHARES = (0.25, 0.46, 0.29)
WIDE_WINDOW = 1500


def splitter_shares(width: int) -> tuple[float, float, float]:
    return SPLITTER_SHARES if width >= WIDE_WINDOW else NARROW_SPLITTER_SHARES


class MainWindow(QMainWindow):
    queue_loaded = Signal()
    change_loaded = Signal(str)  # the change id now shown in the centre and the inspector
    changes_added = Signal(list)  # change ids queued from a file, a drop or a git range
    error_shown = Signal(str)  # every error shown to the user (tests and the screenshot wait on these)

    def __init__(self, db_path: Path | None, workspace_root: Path | None, settings: Settings,
                 parent: QWidget | None = None, clock: Callable[[], float] | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.clock = clock or time.monotonic  # the evidence of review's clock (tests pass their own)
        self._evidence: dict[str, ReviewEvidence] = {}  # by change id, for this window's life
        self.workspace_root = workspace_root
        # Remembered (saved with the layout on close) so the next start opens the same repository.
        self.settings = replace(settings, workspace=str(workspace_root)) if workspace_root else settings
        self.runner = TaskRunner(self)
        self.detail: ChangeDetail | None = None
        self._restoring_viewed = False
        self._pending_select: str | None = None
        self._saved_splitter = False
        self.persist_layout = True  # False for headless screenshots: they must not change the user's layout
        self.approval_dialog: QDialog | None = None  # the open dialogs, for tests and for focus
        self.export_dialog: QDialog | None = None
        self.comment_box: QDialog | None = None
        self.setWindowTitle(f"Reviewer — {workspace_root.name}" if workspace_root else "Reviewer")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        # The window's minimum size is fixed once here, not recomputed from its contents on every
        # change: re-propagating size hints to the platform is slow and unsupported off screen.
        self.setMinimumSize(900, 560)

        self.queue = QueuePanel(self)
        self.diff = DiffView(self)
        self.inspector = Inspector(self)
        self.evidence_watcher = EvidenceWatcher(self.diff.canvas, self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("main")
        self.splitter.addWidget(self.queue)
        self.splitter.addWidget(self.diff)
        self.splitter.addWidget(self.inspector)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self.setCentralWidget(self.splitter)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.sync = SyncController(self.runner, db_path, lambda: self.workspace_root, lambda: self.settings, self)

        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._build_actions()
        self._wire()
        self.restore_layout()
        if not self.settings.identity and workspace_root is not None:
            # Like `reviewer-app approve`, default to the workspace's git user.email; it is saved
            # only if the user saves the settings.
            self.settings.identity = configured_email(Path(workspace_root)) or ""
        self._show_identity()
        self.status.set_workspace(str(workspace_root) if workspace_root else "")
        self.sync.apply_settings()

    # --- construction --------------------------------------------------------------------------
    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: Any,
                icon_name: str | None = None) -> QAction:
        action = QAction(icon(icon_name) if icon_name else QIcon(), text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.open_patch_action = a("Open patch…", QKeySequence.StandardKey.Open, self.open_patch_dialog, "open-patch")
        self.open_range_action = a("Open git range…", "Ctrl+Shift+O", self.open_range_dialog, "git-range")
        self.sync_action = a("Sync approvals", "F5", lambda: self.sync.sync_now(), "sync")
        self.export_action = a("Export…", "Ctrl+E", self.open_export_dialog, "export")
        self.settings_action = a("Settings…", "Ctrl+,", self.open_settings_dialog, "settings")
        self.quit_action = a("Quit", QKeySequence.StandardKey.Quit, self.close)
        self.approve_action = a("Approve…", "Ctrl+Return", self.open_approve_dialog, "approve")
        self.reject_action = a("Reject…", "Ctrl+Shift+Return", self.open_reject_dialog, "reject")
        self.next_change_action = a("Next change", "Alt+Down", lambda: self.queue.move(1))
        self.previous_change_action = a("Previous change", "Alt+Up", lambda: self.queue.move(-1))
        self.find_in_diff_action = a("Find in the diff…", QKeySequence.StandardKey.Find, self.diff.open_find)
        self.search_action = a("Search the queue", "Ctrl+Shift+F", self._focus_search)
        self.next_finding_action = a("Next finding", "F8", self.diff.next_finding)
        self.previous_finding_action = a("Previous finding", "Shift+F8", self.diff.previous_finding)
        self.focus_next_pane_action = a("Next pane", "F6", lambda: self.cycle_focus(1))
        self.shortcuts_action = a("Keyboard shortcuts", "F1", self.show_shortcuts)
        self.tab_actions = [
            a(f"Inspector: {name}", f"Ctrl+{number + 1}", lambda _=False, n=number: self.inspector.setCurrentIndex(n))
            for number, name in enumerate(("Findings", "Services", "Provenance", "Approvals", "Threads"))
        ]
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for action in (self.open_patch_action, self.open_range_action, None, self.export_action, self.sync_action,
                       None, self.settings_action, None, self.quit_action):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        review_menu = menu.addMenu("&Review")
        for action in (self.approve_action, self.reject_action, None, self.next_change_action,
                       self.previous_change_action, self.next_finding_action, self.previous_finding_action):
            review_menu.addSeparator() if action is None else review_menu.addAction(action)
        view_menu = menu.addMenu("&View")
        for action in (self.find_in_diff_action, self.search_action, self.focus_next_pane_action, None, *self.tab_actions):
            view_menu.addSeparator() if action is None else view_menu.addAction(action)
        menu.addMenu("&Help").addAction(self.shortcuts_action)
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main-toolbar")
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.open_patch_action, self.open_range_action, self.approve_action, self.reject_action,
                       self.sync_action, self.export_action, self.settings_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)

    def _wire(self) -> None:
        self.queue.change_selected.connect(self.load_change)
        self.diff.file_viewed_changed.connect(self._on_file_viewed)
        self.diff.progress_changed.connect(self._on_review_progress)
        self.diff.finding_activated.connect(self._on_diff_finding)
        self.inspector.findings.finding_activated.connect(self.diff.show_finding)
        self.inspector.approvals.approve_requested.connect(self.open_approve_dialog)
        self.inspector.approvals.reject_requested.connect(self.open_reject_dialog)
        self.runner.busy_changed.connect(self.status.set_busy)
        self.sync.state_changed.connect(self.status.set_sync_state)
        self.sync.events_imported.connect(self.refresh_queue)
        self.sync.new_high_risk.connect(self.announce_high_risk)
        self.diff.since_review_toggled.connect(self.show_changes_since_review)
        self.diff.canvas.comment_requested.connect(self.open_comment_box)
        self.diff.canvas.thread_activated.connect(self.inspector.show_thread)
        self.inspector.threads.thread_activated.connect(self._show_thread_in_diff)
        self.sync.failed.connect(lambda message: self.status.showMessage(f"Sync failed: {message}", 10000))

    # --- loading -------------------------------------------------------------------------------
    def refresh_queue(self, select: str | None = None) -> None:
        """Reload the queue in a worker; ``select`` a change once it is there."""
        if select:
            self._pending_select = select
        db_path, root, me = self.db_path, self.workspace_root, self.settings.identity
        self.runner.submit("queue", lambda _ctx: backend.load_queue(db_path, root, me),
                           self._on_queue_loaded, self.show_error)

    def _on_queue_loaded(self, rows: list[QueueRow]) -> None:
        self.queue.set_rows(rows)
        wanted, self._pending_select = self._pending_select, None
        selected = bool(wanted) and self.queue.select(wanted)
        if not selected and self.queue.current_change_id() is None and rows:
            self.queue.select_first()
        self.sync.refresh_status()
        self.queue_loaded.emit()
        db_path = self.db_path
        self.runner.submit("thread-counts", lambda _ctx: open_thread_counts(db_path), self.queue.model.set_thread_counts,
                           self.show_error)

    def load_change(self, change_id: str) -> None:
        db_path, root, me = self.db_path, self.workspace_root, self.settings.identity

        def work(context: TaskContext) -> ChangeDetail:
            return backend.load_change_detail(db_path, change_id, root, context, me)

        self.status.showMessage(f"Loading {change_id[:19]}…")
        self.runner.submit("detail", work, self._show_detail, self.show_error)

    def _show_detail(self, detail: ChangeDetail) -> None:
        if detail.change_id != self.queue.current_change_id() and self.queue.current_change_id() is not None:
            return  # the user moved on while this was loading
        self.evidence_watcher.start(None)  # what the next change shows is measured for that change only
        try:
            self.diff.set_change(detail.change, detail.findings, detail.generated_paths)
        except UserError as exc:  # a malformed finding in a stored analysis: say so, keep the window usable
            self.show_error(exc.message)
            return
        self.detail = detail
        self.diff.set_since_review_available(detail.since_review_id is not None)
        self._restoring_viewed = True
        try:
            for path in detail.viewed:
                self.diff.set_viewed(path, True)
        finally:
            self._restoring_viewed = False
        self.inspector.show_detail(detail)
        tracker = self._evidence.get(detail.change_id)
        if tracker is None:
            tracker = self._evidence[detail.change_id] = ReviewEvidence(detail.change, detail.change_id, self.clock)
        self.evidence_watcher.start(tracker)
        self.load_threads(detail.change_id)
        self.status.showMessage(f"{detail.analysis.get('title', '')} — {len(detail.change.files)} files", 5000)
        self.change_loaded.emit(detail.change_id)

    def _on_file_viewed(self, path: str, viewed: bool) -> None:
        if self._restoring_viewed or self.detail is None:
            return
        db_path, change_id = self.db_path, self.detail.change_id
        self.runner.submit("viewed", lambda _ctx: backend.set_viewed(db_path, change_id, path, viewed),
                           lambda _result: None, self.show_error, supersede=False)

    def _on_review_progress(self, viewed: int, total: int) -> None:
        self.status.showMessage(f"Reviewed {viewed} of {total} files", 3000)

    def _on_diff_finding(self, finding_id: str) -> None:
        self.inspector.setCurrentIndex(Inspector.TAB_FINDINGS)
        self.inspector.findings.select_finding(finding_id)

    # --- adding changes --------------------------------------------------------------------------
    def open_patch_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a patch", str(self.workspace_root or ""),
                                              "Patches (*.patch *.diff *.mbox *.eml);;All files (*)")
        if path:
            self.open_patch_file(Path(path))

    def open_patch_file(self, path: Path) -> None:
        db_path, root = self.db_path, self.workspace_root

        def work(context: TaskContext) -> list[str]:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from exc
            return backend.ingest_bytes(db_path, data, str(path), root, context)

        self.runner.submit(f"ingest:{path}", work, self._on_changes_added, self.show_error,
                           lambda done, total, _m: self.status.set_progress(done, total))

    def open_range_dialog(self) -> None:
        from reviewer_app.ui.dialogs import GitRangeDialog

        dialog = GitRangeDialog(str(self.workspace_root or ""), self)
        if dialog.exec():
            self.open_git_range(dialog.repo(), dialog.spec())

    def open_git_range(self, repo: Path, spec: str) -> None:
        db_path, root = self.db_path, self.workspace_root or repo
        self.runner.submit(f"ingest:{spec}", lambda ctx: backend.ingest(db_path, spec, repo, root, ctx),
                           self._on_changes_added, self.show_error)

    def _on_changes_added(self, change_ids: list[str]) -> None:
        self.changes_added.emit(change_ids)
        self.status.showMessage(f"Queued {len(change_ids)} change(s)", 5000)
        self.refresh_queue(select=change_ids[0] if change_ids else None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in paths:
            self.open_patch_file(path)

    # --- approving -----------------------------------------------------------------------------
    def open_approve_dialog(self) -> None:
        self._open_decision_dialog("approve")

    def open_reject_dialog(self) -> None:
        self._open_decision_dialog("reject")

    def _open_decision_dialog(self, decision: str) -> None:
        from reviewer_app.ui.approval_dialog import ApprovalDialog

        if self.detail is None:
            self.status.showMessage("Select a change first", 5000)
            return
        dialog = ApprovalDialog(self.detail, decision, self.settings, self.runner, self.db_path,
                                self.workspace_root, self, evidence=self._evidence.get(self.detail.change_id))
        dialog.decided.connect(self._on_decided)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.approval_dialog = dialog

    # --- line comments (c / r on a line; t / T between threads) ------------------------------------
    def load_threads(self, change_id: str) -> None:
        db_path = self.db_path

        def shown(threads: list[Any]) -> None:
            if self.detail is None or self.detail.change_id != change_id:
                return
            self.diff.canvas.set_threads((t.path, t.side, t.line, t.id) for t in threads if not t.outdated)
            self.inspector.set_threads(threads)

        self.runner.submit("threads", lambda _ctx: comment_threads(db_path, change_id), shown, self.show_error)

    def open_comment_box(self, path: str, side: str, line: int, message: str | None = None) -> bool:
        """Ask for the comment in a window-modal box (unless given), then sign it in a worker."""
        from PySide6.QtWidgets import QInputDialog

        if self.detail is None:
            return False
        if message is None:  # non-blocking, like the error box: workers and the event loop keep running
            box = QInputDialog(self)
            box.setWindowTitle("Comment")
            box.setLabelText(f"{path}, line {line} ({side} side) — signed with your key:")
            box.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.textValueSelected.connect(lambda text: self.open_comment_box(path, side, line, text))
            box.open()
            self.comment_box = box
            return True
        if not message.strip():
            return False
        from reviewer_app.ui.approvals import KeyChoice, key_needs_passphrase

        choice = KeyChoice(key_path=self.settings.key_path, use_agent=self.settings.use_agent)
        passphrase = None
        try:
            if not choice.use_agent and choice.key_path and key_needs_passphrase(Path(choice.key_path).expanduser()):
                from reviewer_app.ui.dialogs import PassphraseDialog

                dialog = PassphraseDialog(f"The key {choice.key_path} is protected by a passphrase.", self)
                passphrase = dialog.passphrase() if dialog.exec() else None
                if passphrase is None:
                    return False
        except UserError as exc:
            self.show_error(exc.message)
            return False
        args = dict(db_path=self.db_path, change_id=self.detail.change_id, path=path, side=side, line=line,
                    message=message.strip(), choice=choice, principal=self.settings.identity, passphrase=passphrase,
                    analysis=self.detail.analysis, workspace_root=self.workspace_root)
        change_id = self.detail.change_id

        def signed(_thread_id: str) -> None:
            self.status.showMessage(f"Comment signed on {path}:{line}", 5000)
            self.load_threads(change_id)
            self.refresh_queue(select=change_id)

        self.runner.submit("comment", lambda _ctx: sign_line_comment(**args), signed, self.show_error, supersede=False)
        return True

    def _show_thread_in_diff(self, path: str, side: str, line: int) -> None:
        if self.diff.canvas.rows is not None:
            from reviewer_app.ui.diffview.threads import anchor_row

            row = anchor_row(self.diff.canvas.change.files if self.diff.canvas.change else [], self.diff.canvas.rows,
                             path, side, line)
            if row is not None:
                self.diff.canvas.go_to_row(row, "center")

    def _on_decided(self, change_id: str) -> None:
        """Refresh the queue row and the policy state at once, then offer the events to the remote."""
        self.refresh_queue(select=change_id)
        if self.detail is not None and self.detail.change_id == change_id:
            self.load_change(change_id)
        self.sync.refresh_status()

    # --- other dialogs -------------------------------------------------------------------------
    def open_export_dialog(self) -> None:
        from reviewer_app.ui.export_dialog import ExportDialog, known_services

        dialog = ExportDialog(self.runner, self.db_path, self.workspace_root, self,
                              services=known_services(self.queue.model.rows()))
        dialog.exported.connect(lambda summary: self.status.showMessage(summary, 10000))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.export_dialog = dialog

    def open_settings_dialog(self) -> None:
        from reviewer_app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, settings: Settings) -> None:
        from PySide6.QtWidgets import QApplication

        from reviewer_app.ui.theme import apply_theme

        theme_changed = settings.theme != self.settings.theme
        self.settings = settings
        try:
            save_settings(self.settings)
        except UserError as exc:
            self.show_error(exc.message)
        if theme_changed:
            apply_theme(QApplication.instance(), settings.theme)
        self._show_identity()
        self.sync.apply_settings()
        self.refresh_queue()

    def _show_identity(self) -> None:
        key = "ssh-agent" if self.settings.use_agent else self.settings.key_path
        self.status.set_identity(self.settings.identity, key)

    # --- keyboard ------------------------------------------------------------------------------
    def _focus_search(self) -> None:
        self.queue.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.queue.search.selectAll()

    def cycle_focus(self, step: int) -> None:
        panes: list[QWidget] = [self.queue.table, self.diff, self.inspector]
        focused = self.focusWidget()
        current = next((n for n, pane in enumerate(panes) if focused is not None and
                        (pane is focused or pane.isAncestorOf(focused))), -1)
        target = panes[(current + step) % len(panes)]
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def shortcut_table(self) -> list[tuple[str, str]]:
        rows = [(action.shortcut().toString(QKeySequence.SequenceFormat.NativeText), action.text().rstrip("…"))
                for action in self.actions() if not action.shortcut().isEmpty()]
        return rows + list(self.diff.shortcut_help())

    def show_shortcuts(self) -> None:
        import html

        rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
                       for k, v in self.shortcut_table())
        box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts", f"<table>{rows}</table>",
                          QMessageBox.StandardButton.Close, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # --- changes since my review ----------------------------------------------------------------
    def show_changes_since_review(self, enabled: bool) -> None:
        """The toggle above the diff: the interdiff since my last decision, or the whole change again."""
        detail = self.detail
        if detail is None:
            return
        if not enabled or detail.since_review_id is None:
            self.diff.set_change(detail.change, detail.findings, detail.generated_paths)
            return
        db_path, root, old, new = self.db_path, self.workspace_root, detail.since_review_id, detail.change_id

        def shown(change: Any) -> None:
            if self.detail is not None and self.detail.change_id == new and self.diff.since_review_box.isChecked():
                self.diff.set_change(change, [])

        self.runner.submit("interdiff", lambda _ctx: backend.load_interdiff(db_path, old, new, root), shown,
                           self.show_error)

    # --- notifications -------------------------------------------------------------------------
    def announce_high_risk(self, items: list[str]) -> None:
        """New high or critical items from the inbox: a desktop notification where there is a system tray,
        and always a status-bar message (offscreen and trayless desktops have only that)."""
        from PySide6.QtWidgets import QSystemTrayIcon

        text = f"{len(items)} new high or critical item(s): " + "; ".join(items[:3]) + ("…" if len(items) > 3 else "")
        self.status.showMessage(text, 30000)
        self.last_announcement = text
        if QSystemTrayIcon.isSystemTrayAvailable():
            if getattr(self, "_tray", None) is None:
                self._tray = QSystemTrayIcon(icon("app"), self)
                self._tray.show()
            self._tray.showMessage("Reviewer", text, QSystemTrayIcon.MessageIcon.Warning, 15000)

    # --- errors --------------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """A non-blocking message box (window-modal): the event loop and the workers keep running."""
        self.status.showMessage(message, 15000)
        box = QMessageBox(QMessageBox.Icon.Critical, "Reviewer", message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("error-box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_shown.emit(message)

    # --- layout persistence and shutdown ---------------------------------------------------------
    def restore_layout(self) -> None:
        sizes = self.settings.splitters.get("main")
        if sizes and len(sizes) == 3 and all(s > 0 for s in sizes):
            self.splitter.setSizes(sizes)
            self._saved_splitter = True
        services = self.settings.splitters.get("services")
        if services and len(services) == 2:
            self.inspector.services.splitter.setSizes(services)
        diff = self.settings.splitters.get("diff")
        if diff and len(diff) == 2 and all(s > 0 for s in diff):
            self.diff.splitter.setSizes(diff)
        widths = self.settings.columns.get("queue")
        if widths:
            self.queue.set_column_widths(widths)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if not self._saved_splitter:  # until the user (or a saved layout) sets it, share the width
            width = max(self.splitter.width(), self.width())
            self.splitter.setSizes([int(width * share) for share in splitter_shares(width)])

    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._saved_splitter = True  # the user chose: stop sharing the width automatically

    def layout_state(self) -> Settings:
        splitters = dict(self.settings.splitters)
        splitters["main"] = self.splitter.sizes()
        splitters["services"] = self.inspector.services.splitter.sizes()
        splitters["diff"] = self.diff.splitter.sizes()
        columns = dict(self.settings.columns)
        columns["queue"] = self.queue.column_widths()
        geometry = self.normalGeometry() if self.isMaximized() else self.geometry()
        window = [geometry.x(), geometry.y(), geometry.width(), geometry.height()]
        return replace(self.settings, splitters=splitters, columns=columns, window=window)

    def save_layout(self) -> None:
        if not self.persist_layout:
            return
        self.settings = self.layout_state()
        try:
            save_settings(self.settings)
        except UserError as exc:
            self.status.showMessage(exc.message, 10000)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.sync.stop()
        self.runner.shutdown()  # cancel flags first, then wait: no worker outlives the window
        super().closeEvent(event)


def open_thread_counts(db_path: Path | None) -> dict[str, int]:
    from reviewer_app.core import comments, store

    db = store.open_db(db_path)
    try:
        return comments.unresolved_counts(db)
    finally:
        db.close()


def comment_threads(db_path: Path | None, change_id: str) -> list[Any]:
    """The change's threads (earlier revisions' re-anchored), read in a worker."""
    from reviewer_app.core import comments, store

    db = store.open_db(db_path)
    try:
        return comments.threads(db, change_id)
    finally:
        db.close()


def sign_line_comment(db_path: Path | None, change_id: str, path: str, side: str, line: int, message: str,
                      choice: Any, principal: str, passphrase: str | None, analysis: dict[str, Any],
                      workspace_root: Path | None) -> str:
    """Sign a thread's first comment with the key of the settings (the rules of `reviewer-app comment`)."""
    from reviewer_app.core import comments, store
    from reviewer_app.core.approvals import decisions
    from reviewer_app.ui.approvals import config_workspace, make_signer

    if not principal:
        raise UserError("settings: identity: set your email before signing (Settings…)")
    db = store.open_db(db_path)
    try:
        fields = comments.comment_fields(comments.load_change(db, change_id), change_id, path, side, line, None,
                                         decisions.checked_comment(message, "comment"))
        prompt = (lambda _text: passphrase) if passphrase is not None else None
        signer = make_signer(choice, decisions.principal_from(principal), prompt)
        decisions.check_trusted(signer, signer.principal, config_workspace(workspace_root, analysis))
        return comments.sign_comment(db, signer, change_id, fields).id
    finally:
        db.close()
