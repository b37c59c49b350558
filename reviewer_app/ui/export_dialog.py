"""Export the audit trail from the window: format, dates, service; written in a worker with progress."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from reviewer_app.ui.tasks import TaskContext, TaskRunner

FORMATS = {  # format -> (file suffix, what it is for)
    "jsonl": (".jsonl", "signed events, one per line (verifiable with ssh-keygen)"),
    "csv": (".csv", "a spreadsheet of decisions"),
    "html": (".html", "a readable audit report"),
    "pdf": (".pdf", "the audit report as PDF"),
    "intoto": (".intoto.jsonl", "in-toto attestations"),
    "bundle": (".tar.gz", "everything, with a manifest, for offline verification"),
}


def run_export(db_path: Path | None, fmt: str, output: Path, since: str | None, until: str | None,
               service: str | None, repo: Path | None, context: TaskContext) -> str:
    """Qt-free: write the export and return its one-line summary."""
    from reviewer_app.core import store
    from reviewer_app.core.export import ExportFilter, write_export

    selection = ExportFilter.from_cli(since=since, until=until, service=service)
    db = store.open_db(db_path)
    try:
        context.check()
        kwargs: dict[str, Any] = {"repo": repo}
        if "progress" in inspect.signature(write_export).parameters:  # per-event progress when the core offers it
            kwargs["progress"] = lambda done, total: context.progress(done, total, "")
        result = write_export(db, fmt, output, selection, **kwargs)
    finally:
        db.close()
    return result.summary() if hasattr(result, "summary") else f"wrote {output}"


class ExportDialog(QDialog):
    exported = Signal(str)  # the summary, once the file is written

    def __init__(self, runner: TaskRunner, db_path: Path | None, repo: Path | None, parent: QWidget | None = None,
                 services: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the audit trail")
        self.runner = runner
        self.db_path = db_path
        self.repo = repo
        self._token = 0
        self.format = QComboBox(self)
        for name, (_suffix, purpose) in FORMATS.items():
            self.format.addItem(f"{name} — {purpose}", name)
        self.since_enabled = QCheckBox("from", self)
        self.since = QDateEdit(QDate.currentDate().addMonths(-1), self)
        self.until_enabled = QCheckBox("before", self)
        self.until = QDateEdit(QDate.currentDate().addDays(1), self)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.since_enabled.toggled.connect(self.since.setEnabled)
        self.until_enabled.toggled.connect(self.until.setEnabled)
        self.service = QComboBox(self)
        self.service.setEditable(True)
        self.service.addItem("")
        self.service.addItems(sorted(set(services or [])))
        self.service.lineEdit().setPlaceholderText("all services")
        self.output = QLineEdit(self)
        self.output.setPlaceholderText("where to write the file")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.export_button = QPushButton("Export", self)
        self.export_button.setDefault(True)
        self.close_button = QPushButton("Close", self)
        dates = QHBoxLayout()
        for widget in (self.since_enabled, self.since, self.until_enabled, self.until):
            dates.addWidget(widget)
        dates.addStretch(1)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.export_button)
        form = QFormLayout(self)
        form.addRow("Format:", self.format)
        form.addRow("Dates:", dates)
        form.addRow("Service:", self.service)
        form.addRow("File:", out_row)
        form.addRow(self.progress)
        form.addRow(self.message)
        form.addRow(buttons)
        self.export_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        self.format.currentIndexChanged.connect(self._suggest_suffix)

    def chosen_format(self) -> str:
        return str(self.format.currentData())

    def _suggest_suffix(self) -> None:
        text = self.output.text().strip()
        if not text:
            return
        path = Path(text)
        stem = path.name.split(".")[0] or "audit"
        self.output.setText(str(path.with_name(stem + FORMATS[self.chosen_format()][0])))

    def _browse(self) -> None:
        suffix = FORMATS[self.chosen_format()][0]
        path, _ = QFileDialog.getSaveFileName(self, "Export to", f"audit{suffix}")
        if path:
            self.output.setText(path)

    def selection(self) -> tuple[str | None, str | None, str | None]:
        since = self.since.date().toString("yyyy-MM-dd") if self.since_enabled.isChecked() else None
        until = self.until.date().toString("yyyy-MM-dd") if self.until_enabled.isChecked() else None
        service = self.service.currentText().strip() or None
        return since, until, service

    def start(self) -> bool:
        """Start the export in a worker; False (with the reason shown) when the input is incomplete."""
        text = self.output.text().strip()
        if not text:
            self.message.setText("Choose a file to write.")
            return False
        output = Path(text).expanduser()
        if not output.parent.is_dir():
            self.message.setText(f"{output.parent}: no such folder")
            return False
        since, until, service = self.selection()
        if since and until and since >= until:
            self.message.setText(f"the start date {since} is not before the end date {until}")
            return False
        args = (self.db_path, self.chosen_format(), output, since, until, service, self.repo)
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the core reports counts
        self.progress.show()
        self.message.setText(f"Exporting to {output}…")
        self._token = self.runner.submit("export", lambda ctx: run_export(*args, ctx), self._done, self._failed,
                                         self._progressed, supersede=False)
        return True

    def _progressed(self, done: int, total: int, _message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, summary: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.export_button.setEnabled(True)
        self.message.setText(summary)
        self.exported.emit(summary)

    def _failed(self, message: str) -> None:
        self.progress.hide()
        self.export_button.setEnabled(True)
        self.message.setText(f"Export failed: {message}")

    def reject(self) -> None:
        self.runner.cancel(self._token)  # closing stops a long export (cooperatively)
        super().reject()


def known_services(rows: list[Any]) -> list[str]:
    return sorted({name for row in rows for name in getattr(row, "services", [])})
