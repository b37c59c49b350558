"""Exports of the signed audit trail: jsonl, csv, html, pdf, in-toto and a verifiable bundle.

``write_export(db, format, output, selection, repo=None, progress=None, seal=None) -> ExportResult`` is
the one entry point (``seal``: the exporter's signature over a jsonl closing record or a bundle
manifest, see seal.py); ``verify.verify_export(path, allowed_signers=None, revoked=None) -> VerifyResult``
checks one.
Files are written to a temporary name and renamed, so a failed export never leaves half a file.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable

import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.export.seal import ExportSeal
from reviewer_app.core.export.selection import ExportEvent, ExportFilter, select_events
from reviewer_app.errors import UserError

FORMATS = ("jsonl", "csv", "html", "pdf", "intoto", "bundle")
_BINARY_ONLY = ("pdf", "bundle")
SEALABLE = ("jsonl", "bundle")  # the formats whose every claim a signature can cover


@dataclass
class ExportResult:
    format: str
    output: str
    events: int
    items: int  # lines, rows, statements or files, by format

    def summary(self) -> str:
        return f"exported {self.events} events as {self.format} ({self.items} items) to {self.output}"


Progress = Callable[[int, int], None]  # (events done, events in total), for a GUI's progress bar
PROGRESS_STEP = 1000


class ReportingEvents(list):  # type: ignore[type-arg]
    """The selected events; iterating them reports progress every PROGRESS_STEP events.

    Every writer's main loop iterates the events, so this gives a long export a moving progress bar
    without each writer knowing about it. A writer iterating twice never moves the bar backwards.
    """

    def __init__(self, events: list[ExportEvent], report: Progress) -> None:
        super().__init__(events)
        self._report = report
        self._furthest = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        total = len(self)
        for index, event in enumerate(super().__iter__(), 1):
            if index % PROGRESS_STEP == 0 and index > self._furthest:
                self._furthest = index
                self._report(index, total)
            yield event


def write_export(db: sqlite_utils.Database, fmt: str, output: Path | None, selection: ExportFilter,
                 repo: Path | None = None, progress: Progress | None = None,
                 seal: ExportSeal | None = None) -> ExportResult:
    """Write the selected events as ``fmt`` to ``output`` (None: stdout, text formats only)."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt}: unknown export format (one of {', '.join(FORMATS)})")
    if seal is not None and fmt not in SEALABLE:
        raise UserError(f"--format {fmt}: only {' and '.join(SEALABLE)} exports can be signed (--key)")
    if output is None and fmt in _BINARY_ONLY:
        raise UserError(f"--format {fmt} writes a binary file: give --output FILE")
    report = progress or (lambda done, total: None)
    events = ReportingEvents(select_events(db, selection), report)
    report(0, len(events))
    writer = _WRITERS[fmt]
    if fmt in SEALABLE:
        writer = functools.partial(writer, seal=seal)
    if fmt == "pdf":
        assert output is not None
        result = _atomic_path(output, lambda path: _pdf(db, events, selection, repo, path), fmt, len(events))
    elif output is None:
        buffer = io.BytesIO()
        items = writer(db, events, selection, repo, buffer)
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.flush()
        result = ExportResult(fmt, "stdout", len(events), items)
    else:
        result = _atomic_stream(output, lambda out: writer(db, events, selection, repo, out), fmt, len(events))
    report(len(events), len(events))
    return result


def _jsonl(db: sqlite_utils.Database, events: list[ExportEvent], selection: ExportFilter, repo: Path | None,
           out: IO[bytes], seal: ExportSeal | None = None) -> int:
    from reviewer_app.core.export.jsonl import write_jsonl

    return write_jsonl(events, out, selection, seal) + 1


def _csv(db: sqlite_utils.Database, events: list[ExportEvent], selection: ExportFilter, repo: Path | None,
         out: IO[bytes]) -> int:
    from reviewer_app.core.export.csv_export import write_csv

    titles = {row["change_id"]: row["title"] for row in store.list_changes(db)}
    return write_csv(events, titles, out)


def _html(db: sqlite_utils.Database, events: list[ExportEvent], selection: ExportFilter, repo: Path | None,
          out: IO[bytes]) -> int:
    from reviewer_app.core.export.html import render_html
    from reviewer_app.core.export.report_model import AuditContext, build_report

    report = build_report(db, events, selection, AuditContext.load(repo))
    out.write(render_html(report).encode("utf-8"))
    return len(report.changes)


def _intoto(db: sqlite_utils.Database, events: list[ExportEvent], selection: ExportFilter, repo: Path | None,
            out: IO[bytes]) -> int:
    from reviewer_app.core.export.intoto import write_intoto
    from reviewer_app.core.export.report_model import AuditContext, build_report

    report = build_report(db, events, selection, AuditContext.load(repo))
    return write_intoto(report, events, out)


def _bundle(db: sqlite_utils.Database, events: list[ExportEvent], selection: ExportFilter, repo: Path | None,
            out: IO[bytes], seal: ExportSeal | None = None) -> int:
    from reviewer_app.core.signing.allowed_signers import ALLOWED_SIGNERS_PATH, REVOKED_KEYS_PATH
    from reviewer_app.core.export import bundle
    from reviewer_app.core.export.jsonl import write_jsonl
    from reviewer_app.core.export.report_model import AuditContext
    from reviewer_app.core.approvals.policy import POLICY_PATH

    context = AuditContext.load(repo)
    workspace = context.workspace
    signers = workspace.read_bytes(ALLOWED_SIGNERS_PATH) if workspace else None
    if signers is None:
        raise UserError("a bundle carries the team's allowed_signers: run inside the team's repository or give "
                        f"--repo DIR (its HEAD must hold {ALLOWED_SIGNERS_PATH})")
    files: dict[str, bytes] = {bundle.ALLOWED_SIGNERS: signers}
    for name, relpath in ((bundle.REVOKED_KEYS, REVOKED_KEYS_PATH), (bundle.POLICY, POLICY_PATH)):
        content = workspace.read_bytes(relpath)
        if content is not None:
            files[name] = content
    events_file = io.BytesIO()
    write_jsonl(events, events_file, selection)  # the manifest's seal covers its closing record
    files[bundle.EVENTS] = events_file.getvalue()
    for change_id in sorted({event.change_id for event in events}):
        patch = store.get_patch(db, change_id)
        if patch is not None:
            files[f"{bundle.PATCH_DIR}{change_id.removeprefix('sha256:')}.patch"] = patch
    bundle.write_bundle(files, out, workspace.revision, seal)
    return len(files) + (2 if seal else 1)


def _pdf(db: sqlite_utils.Database, events: list[ExportEvent], selection: ExportFilter, repo: Path | None,
         path: Path) -> int:
    from reviewer_app.core.export.pdf import write_pdf
    from reviewer_app.core.export.report_model import AuditContext, build_report

    report = build_report(db, events, selection, AuditContext.load(repo))
    write_pdf(report, path)
    return len(report.changes)


_WRITERS: dict[str, Callable[..., int]] = {"jsonl": _jsonl, "csv": _csv, "html": _html, "intoto": _intoto,
                                           "bundle": _bundle, "pdf": _pdf}


def _temporary_beside(output: Path) -> Path:
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"{output}: the folder {folder} does not exist")
    handle, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    return Path(name)


def _atomic_stream(output: Path, write: Callable[[IO[bytes]], int], fmt: str, events: int) -> ExportResult:
    def to_file(path: Path) -> int:
        with open(path, "wb") as out:
            return write(out)

    return _atomic_path(output, to_file, fmt, events)


def _atomic_path(output: Path, write: Callable[[Path], int], fmt: str, events: int) -> ExportResult:
    """Write to a temporary file beside ``output`` and rename it: a failed export leaves no half file."""
    temporary = _temporary_beside(output)
    try:
        items = write(temporary)
        os.replace(temporary, output)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UserError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return ExportResult(fmt, str(output), events, items)


__all__ = ["FORMATS", "ExportFilter", "ExportResult", "write_export"]
