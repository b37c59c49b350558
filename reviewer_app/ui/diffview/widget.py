"""DiffView: the widget the main window hosts in its centre.

Left, the file list with the review progress; right, a thin strip of toggles above the painted
diff canvas. The canvas owns all state (change, findings, viewed files, modes); this class
composes the parts, forwards the public API, and re-emits the canvas's signals.

Public API (relied on by the main window):
    set_change(change, findings, generated_paths=frozenset()), clear()
    set_viewed(path, viewed), show_finding(finding_id), show_file(path)
    next_finding()/previous_finding(), next_file()/previous_file(), next_hunk()/previous_hunk()
    set_side_by_side(bool), set_ignore_whitespace(bool), shortcut_help()
    signals file_viewed_changed(str, bool), progress_changed(int viewed, int total),
            finding_activated(str finding_id), current_file_changed(str path)
``finding_activated`` is emitted when the reviewer reaches a finding here (n/p, a click on its
marker), not when the host calls ``show_finding`` (so host and view never echo each other).
Marking a file viewed folds it (as GitLab does); generated files start folded. Changes of mode
or folding re-lay the rows on the next event-loop turn (many calls in one turn cost one rebuild;
``canvas.layout_ready`` tells when, ``canvas.wait_for_layout()`` forces it).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSplitter, QToolButton, QVBoxLayout, QWidget

from reviewer_app.core.model import Change
from reviewer_app.ui.diffview.canvas import DiffCanvas
from reviewer_app.ui.diffview.filelist import FileList
from reviewer_app.ui.diffview.findbar import FindBar
from reviewer_app.ui.diffview.shortcuts import SHORTCUTS, ShortcutDialog


class DiffView(QWidget):
    FILE_LIST_SHARE = 0.15  # of the view's width at first start; the rest is the diff text
    file_viewed_changed = Signal(str, bool)
    progress_changed = Signal(int, int)
    finding_activated = Signal(str)
    current_file_changed = Signal(str)
    since_review_toggled = Signal(bool)  # "Changes since my review" asked for (True) or the whole change (False)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = DiffCanvas(self)
        self.file_list = FileList(self.canvas, self)
        self.progress_label = QLabel(self)
        self.side_by_side_box = QCheckBox("Side by side", self)
        self.whitespace_box = QCheckBox("Ignore whitespace", self)
        self.since_review_box = QCheckBox("Changes since my review", self)
        self.since_review_box.setToolTip("Only what the author changed since the revision you approved or rejected; "
                                         "edits that come from the base moving are greyed")
        self.since_review_box.hide()
        self.help_button = QToolButton(self)
        self.help_button.setText("?")
        self.help_button.setToolTip("Keyboard shortcuts (?)")
        self._help_dialog: ShortcutDialog | None = None
        self.find_bar = FindBar(self)
        self._build_find_actions()
        self._build_layout()
        self._connect()
        self.setFocusProxy(self.canvas)
        self._show_progress(0, 0)

    def _build_layout(self) -> None:
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.progress_label)
        left_layout.addWidget(self.file_list)
        right = QWidget(self)
        strip = QHBoxLayout()
        strip.setContentsMargins(4, 0, 4, 0)
        strip.addWidget(self.side_by_side_box)
        strip.addWidget(self.whitespace_box)
        strip.addWidget(self.since_review_box)
        strip.addStretch(1)
        strip.addWidget(self.help_button)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(strip)
        right_layout.addWidget(self.find_bar)
        right_layout.addWidget(self.canvas, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([int(1000 * self.FILE_LIST_SHARE), int(1000 * (1 - self.FILE_LIST_SHARE))])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        canvas = self.canvas
        canvas.file_viewed_changed.connect(self.file_viewed_changed)
        canvas.progress_changed.connect(self.progress_changed)
        canvas.progress_changed.connect(self._show_progress)
        canvas.finding_activated.connect(self.finding_activated)
        canvas.current_file_changed.connect(self.current_file_changed)
        canvas.current_file_changed.connect(lambda _path: self.file_list.select_file(canvas.current_file))
        canvas.files_changed.connect(self.file_list.refresh_states)
        canvas.mode_changed.connect(self._show_modes)
        canvas.help_requested.connect(self.show_shortcut_help)
        self.file_list.file_selected.connect(self._on_file_selected)
        self.file_list.viewed_toggled.connect(self._on_viewed_toggled)
        self.side_by_side_box.toggled.connect(canvas.set_side_by_side)
        self.whitespace_box.toggled.connect(canvas.set_ignore_whitespace)
        self.since_review_box.toggled.connect(self.since_review_toggled)
        self.help_button.clicked.connect(self.show_shortcut_help)
        self.find_bar.find_requested.connect(self.find)
        self.find_bar.closed.connect(lambda: self.canvas.setFocus(Qt.FocusReason.OtherFocusReason))

    def _build_find_actions(self) -> None:
        """F3 / Shift+F3 step through matches wherever the focus is in the view; Ctrl+F (open_find) is the
        main window's action, so that it reaches the diff from any pane without two actions sharing a key."""
        def action(shortcut: QKeySequence | QKeySequence.StandardKey, slot: object) -> QAction:
            act = QAction(self)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.find_next_action = action(QKeySequence.StandardKey.FindNext, lambda: self.find_bar.request(forward=True))
        self.find_previous_action = action(QKeySequence.StandardKey.FindPrevious,
                                           lambda: self.find_bar.request(forward=False))

    def set_since_review_available(self, available: bool) -> None:
        """Offer the "Changes since my review" toggle only for a later revision of something I reviewed."""
        self.since_review_box.blockSignals(True)
        self.since_review_box.setChecked(False)
        self.since_review_box.blockSignals(False)
        self.since_review_box.setVisible(available)

    def open_find(self) -> None:
        """Show the find bar with the keyboard in it (the selected word is kept for Enter to repeat)."""
        self.find_bar.open_bar()

    def find(self, query: str, forward: bool = True, case_sensitive: bool = False) -> None:
        result = self.canvas.find(query, forward, case_sensitive)
        self.find_bar.show_result(result.ordinal if result else 0, result.total if result else 0)

    # --- the public API ------------------------------------------------------------------------

    def set_change(self, change: Change, findings: list[dict], generated_paths: Iterable[str] = frozenset()) -> None:
        """Show a change; findings are the risk report's dicts. UserError for a malformed finding."""
        self.canvas.set_change(change, findings, generated_paths)
        self.file_list.reload()

    def clear(self) -> None:
        self.canvas.clear()
        self.file_list.reload()

    def set_viewed(self, path: str, viewed: bool) -> None:
        self.canvas.set_viewed(path, viewed)

    def next_finding(self) -> None:
        self.canvas.next_finding()

    def previous_finding(self) -> None:
        self.canvas.previous_finding()

    def next_file(self) -> None:
        self.canvas.next_file()

    def previous_file(self) -> None:
        self.canvas.previous_file()

    def next_hunk(self) -> None:
        self.canvas.next_hunk()

    def previous_hunk(self) -> None:
        self.canvas.previous_hunk()

    def set_side_by_side(self, enabled: bool) -> None:
        self.canvas.set_side_by_side(enabled)

    def set_ignore_whitespace(self, enabled: bool) -> None:
        self.canvas.set_ignore_whitespace(enabled)

    def show_finding(self, finding_id: str) -> bool:
        """Scroll to a finding (opening its file if collapsed); False for an unknown id."""
        return self.canvas.show_finding(finding_id)

    def show_file(self, path: str) -> bool:
        """Scroll to a file's header; False when the change has no such path."""
        return self.canvas.show_file(path)

    def shortcut_help(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every shortcut, in the order the help dialog lists them."""
        return list(SHORTCUTS)

    def show_shortcut_help(self) -> ShortcutDialog:
        if self._help_dialog is None:
            self._help_dialog = ShortcutDialog(self.shortcut_help(), self)
        self._help_dialog.show()
        if QGuiApplication.platformName() != "offscreen":  # offscreen cannot raise windows and warns
            self._help_dialog.raise_()
        return self._help_dialog

    @property
    def help_dialog(self) -> ShortcutDialog | None:
        return self._help_dialog

    # --- internal wiring ------------------------------------------------------------------------

    def _show_progress(self, viewed: int, total: int) -> None:
        self.progress_label.setText(f"Viewed {viewed} of {total} files" if total else "No files")

    def _show_modes(self, side_by_side: bool, ignore_whitespace: bool) -> None:
        for box, value in ((self.side_by_side_box, side_by_side), (self.whitespace_box, ignore_whitespace)):
            if box.isChecked() != value:
                box.blockSignals(True)
                box.setChecked(value)
                box.blockSignals(False)

    def _on_file_selected(self, index: int) -> None:
        change = self.canvas.change
        if change is not None and 0 <= index < len(change.files):
            self.canvas.show_file(change.files[index].path)

    def _on_viewed_toggled(self, index: int, viewed: bool) -> None:
        change = self.canvas.change
        if change is not None and 0 <= index < len(change.files):
            self.canvas.set_viewed(change.files[index].path, viewed)
