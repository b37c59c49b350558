"""CSV for spreadsheets: one row per event, readable columns, no formula injection.

A cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, or a tab
or carriage return that some programs skip before looking) is prefixed with a single quote. The
signed payload is not in the CSV (a spreadsheet is not where signatures are checked): use jsonl.
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any, Iterable

from reviewer_app.core.export.selection import ExportEvent

COLUMNS = ["created_at", "type", "principal", "key_fingerprint", "change_id", "change_title", "risk_level",
           "acknowledged_findings", "comment", "event_id", "prev",
           # evidence of review (approve, reject): a spreadsheet review of review quality
           "client", "files_viewed", "files_total", "lines_seen", "lines_changed", "active_seconds", "lines_per_hour",
           # line comments (comment, resolve, reopen)
           "thread", "path", "side", "line", "end_line"]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _evidence_cells(evidence: Any) -> list[Any]:
    if not isinstance(evidence, dict):
        return [None] * 7
    active, changed = evidence.get("active_seconds"), evidence.get("lines_changed")
    rate = None if active is None or not changed else ("inf" if active == 0 else round(changed * 3600 / active))
    return [evidence.get("client"), evidence.get("files_viewed"), evidence.get("files_total"), evidence.get("lines_seen"),
            changed, active, rate]


def _comment_cells(event_id: str, kind: str, data: dict[str, Any]) -> list[Any]:
    if kind not in ("comment", "resolve", "reopen"):
        return [None] * 5
    thread = data.get("thread") or event_id  # a thread's first comment is the thread
    return [thread, data.get("path"), data.get("side"), data.get("line"), data.get("end_line")]


def write_csv(events: Iterable[ExportEvent], titles: dict[str, str], out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for event in events:
        data = event.data
        row = [event.created_at, event.type, event.principal, event.fingerprint, event.change_id,
               titles.get(event.change_id, ""), data.get("risk_level"), " ".join(data.get("acks") or []),
               data.get("comment") if event.type not in ("comment",) else data.get("message"), event.id, event.prev,
               *_evidence_cells(data.get("evidence") if event.type in ("approve", "reject") else None),
               *_comment_cells(event.id, event.type, data)]
        writer.writerow([guard_cell(cell) for cell in row])
        count += 1
    text.flush()
    text.detach()  # leave the caller's stream open
    return count
