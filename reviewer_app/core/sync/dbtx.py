"""Writing many rows of the index in one SQLite transaction.

The database runs in autocommit mode (``isolation_level=None``), where ``with db.conn:`` opens no
transaction; an import of thousands of events must be all-or-nothing (a crash leaves the index as
it was, and the next sync imports them again) and must not pay one commit per row.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import sqlite_utils

from reviewer_app.core.events import SignedEvent
from reviewer_app.core.store import utc_now


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (including KeyboardInterrupt)."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def insert_events(db: sqlite_utils.Database, events: list[SignedEvent], origin: str, pushed: bool,
                  parsed: dict[str, dict[str, Any]] | None = None) -> int:
    """Insert verified events (columns derived from the payload, as events.append_event does); returns how many were new.

    Call inside :func:`transaction`. Existing ids are left untouched: events are immutable.
    ``parsed`` may hold the payloads already parsed by the caller, by event id.
    """
    now = utc_now()
    rows = []
    for event in events:
        data = parsed[event.id] if parsed is not None and event.id in parsed else event.data
        rows.append((event.id, data["type"], data["change_id"], data["principal"], data["key"], data["created_at"],
                     data["prev"], event.payload, event.signature, origin, int(pushed), now))
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO events (id, type, change_id, principal, fingerprint, created_at, prev, payload, "
        "signature, origin, pushed, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return db.conn.total_changes - before


def mark_pushed(db: sqlite_utils.Database, event_ids: list[str]) -> None:
    """events.mark_pushed for many ids in one transaction."""
    if not event_ids:
        return
    with transaction(db):
        db.conn.executemany("UPDATE events SET pushed = 1 WHERE id = ? AND pushed = 0", [(i,) for i in event_ids])
