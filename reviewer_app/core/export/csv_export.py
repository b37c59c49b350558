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
           "acknowledged_findings", "comment", "event_id", "prev"]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(events: Iterable[ExportEvent], titles: dict[str, str], out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for event in events:
        data = event.data
        row = [event.created_at, event.type, event.principal, event.fingerprint, event.change_id,
               titles.get(event.change_id, ""), data.get("risk_level"), " ".join(data.get("acks") or []),
               data.get("comment"), event.id, event.prev]
        writer.writerow([guard_cell(cell) for cell in row])
        count += 1
    text.flush()
    text.detach()  # leave the caller's stream open
    return count
