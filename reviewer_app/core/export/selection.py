"""Which events an export holds: the filter from the command line, and the events in chain order."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlite_utils

from reviewer_app.core import events as event_log
from reviewer_app.core import store
from reviewer_app.core.sync.ordering import chain_sorted
from reviewer_app.errors import UserError

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ExportEvent:
    """One signed event with its payload parsed once (exports read every field of many events)."""

    id: str
    payload: str
    signature: str
    data: dict[str, Any]

    @property
    def principal(self) -> str:
        return self.data["principal"]

    @property
    def type(self) -> str:
        return self.data["type"]

    @property
    def change_id(self) -> str:
        return self.data["change_id"]

    @property
    def created_at(self) -> str:
        return self.data["created_at"]

    @property
    def prev(self) -> str | None:
        return self.data["prev"]

    @property
    def fingerprint(self) -> str:
        return self.data["key"]


@dataclass(frozen=True)
class ExportFilter:
    since: str | None = None  # RFC 3339 UTC, inclusive
    until: str | None = None  # RFC 3339 UTC, exclusive
    service: str | None = None
    change_id: str | None = None

    @classmethod
    def from_cli(cls, since: str | None = None, until: str | None = None, service: str | None = None,
                 change_id: str | None = None) -> "ExportFilter":
        return cls(_utc(since, "--since"), _utc(until, "--until"), service or None, change_id or None)

    @property
    def complete(self) -> bool:
        """True when nothing is filtered out: every signer's chain must then be whole."""
        return not (self.since or self.until or self.service or self.change_id)

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("since", self.since), ("until", self.until), ("service", self.service),
                                  ("change", self.change_id)) if v}


def _utc(value: str | None, option: str) -> str | None:
    """``YYYY-MM-DD`` (midnight UTC) or RFC 3339 with an offset, as the ``...Z`` form events carry."""
    if not value:
        return None
    text = value.strip()
    if _DAY.match(text):
        text += "T00:00:00Z"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UserError(f"{option} {value!r}: not a date (use YYYY-MM-DD or 2026-11-29T23:59:01Z)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def select_events(db: sqlite_utils.Database, selection: ExportFilter) -> list[ExportEvent]:
    """The events the filter keeps, each after its predecessor, otherwise oldest first."""
    wanted_changes = _changes_of_service(db, selection.service) if selection.service else None
    chosen: list[ExportEvent] = []
    for event in event_log.all_events(db, selection.since, selection.until):
        data = json.loads(event.payload)
        if selection.change_id and data["change_id"] != selection.change_id:
            continue
        if wanted_changes is not None and data["change_id"] not in wanted_changes:
            continue
        chosen.append(ExportEvent(event.id, event.payload, event.signature, data))
    return chain_sorted(chosen, {e.id: e.prev for e in chosen}, {e.id: e.created_at for e in chosen})


def _changes_of_service(db: sqlite_utils.Database, service: str) -> set[str]:
    """Changes whose stored analysis names the service as directly or transitively affected."""
    wanted = service.strip().lower()
    found: set[str] = set()
    for row in store.list_changes(db):
        analysis = store.get_analysis(db, row["change_id"]) or {}
        services = analysis.get("services") or {}
        names = {str(s.get("name", "")).lower() for group in ("direct", "transitive")
                 for s in services.get(group) or [] if isinstance(s, dict)}
        if wanted in names:
            found.add(row["change_id"])
    return found
