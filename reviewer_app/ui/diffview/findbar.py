"""The find bar above the diff (Ctrl+F): a query, previous/next, "3 of 17", match case, close.

Enter and F3 go to the next match, Shift+Enter and Shift+F3 to the previous one, Esc closes the
bar and gives the keyboard back to the diff. The bar only asks; the canvas finds and moves.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget


class FindBar(QWidget):
    find_requested = Signal(str, bool, bool)  # query, forward, case sensitive
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diff-find-bar")
        self.query = QLineEdit(self)
        self.query.setPlaceholderText("Find in the diff (Enter: next, Shift+Enter: previous)")
        self.query.setClearButtonEnabled(True)
        self.query.setAccessibleName("Find in the diff")
        self.previous_button = QToolButton(self)
        self.previous_button.setText("↑")
        self.previous_button.setToolTip("Previous match (Shift+Enter, Shift+F3)")
        self.next_button = QToolButton(self)
        self.next_button.setText("↓")
        self.next_button.setToolTip("Next match (Enter, F3)")
        self.case_box = QCheckBox("Match case", self)
        self.status = QLabel(self)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.query, 1)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.case_box)
        layout.addWidget(self.status)
        layout.addWidget(self.close_button)
        self.previous_button.clicked.connect(lambda: self.request(forward=False))
        self.next_button.clicked.connect(lambda: self.request(forward=True))
        self.close_button.clicked.connect(self.close_bar)
        self.query.installEventFilter(self)
        self.hide()

    def open_bar(self) -> None:
        self.show()
        self.query.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def request(self, forward: bool) -> None:
        if self.query.text():
            self.find_requested.emit(self.query.text(), forward, self.case_box.isChecked())

    def show_result(self, ordinal: int, total: int) -> None:
        self.status.setText(f"{ordinal} of {total}" if total else "No match")

    def eventFilter(self, watched: object, event: object) -> bool:  # noqa: N802 (Qt naming)
        if watched is self.query and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.request(forward=not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                return True
            if key == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]
