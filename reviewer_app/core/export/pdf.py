"""The audit report as PDF, through Qt's QTextDocument and QPdfWriter.

This is the one place in the core that imports Qt, and only inside the function: the core and the
CLI must run without Qt (CI images often lack its libraries), and only a PDF export needs it.
Qt needs an application object for fonts; with no display we ask for the offscreen platform. A
QApplication (not the lighter QGuiApplication) is created, so that a GUI started later in the same
process (the desktop app, the test suite) can still have the QApplication its widgets need.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reviewer_app.core.export.html import render_html
from reviewer_app.core.export.report_model import AuditReport
from reviewer_app.errors import UserError


def report_document(html: str) -> Any:
    """The report as Qt lays it out for the PDF. Lines break between words only: Qt's default also breaks
    inside a word that does not fit the rest of a line, which cut "(sha256:…)" and e-mail addresses in two
    (an auditor searching the PDF's text would not find them)."""
    from PySide6.QtGui import QTextDocument, QTextOption

    document = QTextDocument()
    option = document.defaultTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    document.setDefaultTextOption(option)
    document.setHtml(html)
    return document


def write_pdf(report: AuditReport, output: Path) -> None:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        # Imported here, not at module level: see the module docstring.
        from PySide6.QtCore import QMarginsF
        from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        raise UserError(f"{output}: PDF export needs PySide6 (Qt), which cannot be loaded here: {exc}") from exc

    app = QGuiApplication.instance() or QApplication(["reviewer-app"])
    writer = QPdfWriter(str(output))
    writer.setTitle("Reviewer audit report")
    writer.setCreator("reviewer-app")
    writer.setResolution(300)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(5, 5, 5, 5), QPageLayout.Unit.Millimeter))
    document = report_document(render_html(report))
    # No page size on the document: print_() then lays it out for the writer's resolution (fonts at
    # their point size), paginates, adds 2 cm margins inside the page layout's and numbers the pages.
    document.print_(writer)
    # Destroy both now, in this thread: the file is finished when the writer goes away, and the
    # document's layout timers must not outlive a worker thread's event dispatcher.
    del writer, document, app
    if not output.exists() or output.stat().st_size == 0:
        raise UserError(f"{output}: Qt wrote no PDF")
