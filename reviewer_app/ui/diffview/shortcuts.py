"""The keyboard shortcuts of the diff view and the small dialog that lists them ("?").

The keys follow what reviewers already know: GitLab's n/p (next/previous discussion, here
finding), j/k (files) and Gerrit's ]/[ (hunks), v (viewed, GitLab's "mark as viewed").
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

SHORTCUTS: list[tuple[str, str]] = [
    ("n", "Next finding"),
    ("p", "Previous finding"),
    ("j", "Next file"),
    ("k", "Previous file"),
    ("]", "Next hunk"),
    ("[", "Previous hunk"),
    ("v", "Mark the current file viewed (again: not viewed)"),
    ("x", "Collapse or expand the current file"),
    ("s", "Side by side / unified"),
    ("w", "Ignore whitespace changes (on/off)"),
    ("c / r", "Comment on the current line (signed, like an approval)"),
    ("t / T", "Next / previous comment thread"),
    ("?", "This list of shortcuts"),
    ("Ctrl+F", "Find in the diff, across files (Enter or F3: next, Shift+Enter or Shift+F3: previous, Esc: close)"),
    ("↑ ↓ PgUp PgDn Home End", "Move the current line"),
    ("← →", "Scroll long lines sideways"),
    ("Ctrl+C", "Copy the current line"),
]


class ShortcutDialog(QDialog):
    """A non-modal list of the shortcuts; Esc or Close hides it."""

    def __init__(self, shortcuts: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Diff view shortcuts")
        rows = "".join(
            f"<tr><td style='padding-right:16px'><b><code>{escape(key)}</code></b></td><td>{escape(text)}</td></tr>"
            for key, text in shortcuts
        )
        self.label = QLabel(f"<table>{rows}</table>", self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
