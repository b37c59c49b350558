"""Writing many rows of the index in one SQLite transaction.

The database runs in autocommit mode (``isolation_level=None``), where ``with db.conn:`` opens no
transaction; an import of thousands of events must be all-or-nothing (a crash leaves the index as
it was, and the next sync imports them again) and must not pay one commit per row.
"""

from __future__ import annotations

from typing import Iterable

import sqlite_utils

from reviewer_app.core.approvals.events import SignedEvent, append_events
from reviewer_app.core.store import transaction  # noqa: F401  (re-exported for the importer)


def insert_events(db: sqlite_utils.Database, events: Iterable[SignedEvent], origin: str, pushed: bool) -> int:
    """Insert verified events; returns how many were new. Existing ids are left untouched: events are immutable.

    The column mapping is events.append_events'; inside :func:`transaction` the rows join it.
    """
    return append_events(db, events, origin, pushed)


def mark_pushed(db: sqlite_utils.Database, event_ids: list[str]) -> None:
    """events.mark_pushed for many ids in one transaction."""
    if not event_ids:
        return
    with transaction(db):
        db.conn.executemany("UPDATE events SET pushed = 1 WHERE id = ? AND pushed = 0", [(i,) for i in event_ids])
