"""A read-only view of one file at one revision, scrolled to a line: where a caller uses a symbol.

The text comes from git (the object store at the change's base), never from the work tree, so the
reviewer sees the caller as it is in the code the change applies to.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget


class FileViewer(QDialog):
    def __init__(self, path: str, revision: str, text: str, line: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{path} @ {revision[:12]} (read-only)")
        self.resize(900, 640)
        self.header = QLabel(f"{path} at {revision[:12]}, line {line}", self)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName(f"{path} at {revision[:12]}")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setPlainText(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.go_to_line(line)

    def go_to_line(self, line: int) -> None:
        """Put the cursor on ``line`` (1-based), centre it and mark it."""
        block = self.text.document().findBlockByNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        self.text.setTextCursor(cursor)
        self.text.centerCursor()
        mark = QTextEdit.ExtraSelection()
        mark.format.setBackground(QColor(self.palette().highlight().color()).lighter(160))
        mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        mark.cursor = cursor
        self.text.setExtraSelections([mark])

    def current_line(self) -> int:
        return self.text.textCursor().blockNumber() + 1


def open_file_at(repository: Path | None, revision: str | None, path: str, line: int,
                 parent: QWidget | None = None) -> FileViewer | None:
    """Show ``path`` at ``revision`` (non-modal); None with a message box when it cannot be read."""
    from PySide6.QtWidgets import QMessageBox

    from reviewer_app.core.callers import file_at

    text = file_at(repository, revision, path) if repository is not None and revision else None
    if text is None:
        QMessageBox.information(parent, "File not available",
                                f"{path} cannot be read at {revision or 'an unknown base'}: the change's repository "
                                "is not open here.")
        return None
    viewer = FileViewer(path, revision or "", text, line, parent)
    viewer.show()
    return viewer
