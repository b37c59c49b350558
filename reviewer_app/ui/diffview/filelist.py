"""The file list beside the diff: path, finding count with its worst severity, +/- and "viewed".

A QTreeWidget is plenty for the ~100s of files of a change. Checking an item marks the file
viewed through the canvas (the single owner of that state); the list only mirrors it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from reviewer_app.ui.diffview.canvas import DiffCanvas
from reviewer_app.ui.diffview.display import display_text
from reviewer_app.ui.diffview.findings import SEVERITY_LETTER
from reviewer_app.ui.diffview.rows import file_title

PATH, FINDINGS, LINES = 0, 1, 2


class FileList(QTreeWidget):
    file_selected = Signal(int)
    viewed_toggled = Signal(int, bool)

    def __init__(self, canvas: DiffCanvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._canvas = canvas
        self._updating = False
        self.setColumnCount(3)
        self.setHeaderLabels(["File (✓ viewed)", "Findings", "+/−"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(PATH, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FINDINGS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(LINES, QHeaderView.ResizeMode.ResizeToContents)
        self.itemChanged.connect(self._on_item_changed)
        self.itemClicked.connect(self._on_item_clicked)
        self.itemActivated.connect(self._on_item_clicked)

    def reload(self) -> None:
        """Rebuild the items from the canvas's change (a few hundred at most)."""
        self._updating = True
        try:
            self.clear()
            change = self._canvas.change
            if change is None:
                return
            findings = self._canvas.findings
            for index, diff in enumerate(change.files):
                item = QTreeWidgetItem()
                title = display_text(file_title(diff)).text  # a bidi control in a path is shown, not obeyed
                item.setText(PATH, title + ("  (generated)" if self._canvas.is_generated(index) else ""))
                item.setToolTip(PATH, f"{title}\n{diff.status.value}")
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                count = findings.count_per_file[index]
                worst = findings.worst_per_file[index]
                item.setText(FINDINGS, f"{count} {SEVERITY_LETTER[worst]}" if count and worst else "")
                if count and worst:
                    item.setToolTip(FINDINGS, f"{count} finding{'s' if count != 1 else ''}, worst {worst}")
                added, removed = self._canvas.file_stats(index)
                item.setText(LINES, "binary" if diff.binary else f"+{added} −{removed}")
                item.setData(PATH, Qt.ItemDataRole.UserRole, index)
                self.addTopLevelItem(item)
            self.refresh_states()
        finally:
            self._updating = False

    def refresh_states(self) -> None:
        """Mirror the viewed checkmarks and the current file."""
        was_updating = self._updating
        self._updating = True
        try:
            for index in range(self.topLevelItemCount()):
                item = self.topLevelItem(index)
                state = Qt.CheckState.Checked if self._canvas.is_viewed(index) else Qt.CheckState.Unchecked
                if item.checkState(PATH) != state:
                    item.setCheckState(PATH, state)
            self.select_file(self._canvas.current_file)
        finally:
            self._updating = was_updating

    def select_file(self, index: int) -> None:
        if 0 <= index < self.topLevelItemCount():
            item = self.topLevelItem(index)
            if self.currentItem() is not item:
                was_updating = self._updating
                self._updating = True
                try:
                    self.setCurrentItem(item)
                finally:
                    self._updating = was_updating
            self.scrollToItem(item)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != PATH:
            return
        index = item.data(PATH, Qt.ItemDataRole.UserRole)
        self.viewed_toggled.emit(index, item.checkState(PATH) == Qt.CheckState.Checked)

    def _on_item_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if not self._updating:
            self.file_selected.emit(item.data(PATH, Qt.ItemDataRole.UserRole))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # The review shortcuts (n/p/j/k/]/[/v/?) work wherever the focus is inside the view.
        if self._canvas.handle_shortcut(event):
            event.accept()
            return
        super().keyPressEvent(event)
