"""Small dialogs: open a git range, type a key passphrase."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)


class GitRangeDialog(QDialog):
    """Repository + ``BASE..HEAD``; the range is checked by git when it is loaded (in a worker)."""

    def __init__(self, repo: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open a git range")
        self.repo_edit = QLineEdit(repo, self)
        self.repo_edit.setAccessibleName("Repository folder")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.range_edit = QLineEdit("main..HEAD", self)
        self.range_edit.setAccessibleName("Revision range")
        self.error = QLabel(self)
        repo_row = QHBoxLayout()
        repo_row.addWidget(self.repo_edit, 1)
        repo_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Repository:", repo_row)
        form.addRow("Range (BASE..HEAD):", self.range_edit)
        form.addRow(self.error)
        buttons = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(buttons, self)
        self.buttons.accepted.connect(self._check_and_accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Repository", self.repo_edit.text())
        if folder:
            self.repo_edit.setText(folder)

    def problem(self) -> str | None:
        repo, spec = self.repo_edit.text().strip(), self.range_edit.text().strip()
        if not repo or not Path(repo).expanduser().is_dir():
            return f"{repo or '(empty)'}: not a folder"
        if ".." not in spec or spec.startswith("..") or spec.endswith(".."):
            return f"{spec or '(empty)'}: expected BASE..HEAD, e.g. main..feature"
        return None

    def _check_and_accept(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        self.accept()

    def repo(self) -> Path:
        return Path(self.repo_edit.text().strip()).expanduser()

    def spec(self) -> str:
        return f"git:{self.range_edit.text().strip()}"


class PassphraseDialog(QDialog):
    """Asks for a key's passphrase; the text is never stored."""

    def __init__(self, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Key passphrase")
        self.field = QLineEdit(self)
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName("Passphrase")
        form = QFormLayout(self)
        form.addRow(QLabel(prompt, self))
        form.addRow("Passphrase:", self.field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def passphrase(self) -> str:
        return self.field.text()
