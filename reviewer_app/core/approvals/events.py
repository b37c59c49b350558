"""Signed events: canonical payloads, content ids, per-signer hash chains, and the event log queries.

An event is a canonical JSON payload (UTF-8, sorted keys, no whitespace) plus an armored SSHSIG of
exactly those bytes. Its id is ``sha256:`` + sha256 of the payload, so the same decision signed once
has one id everywhere and importing it twice is a no-op. Every payload names the signer's previous
event (``prev``): a per-principal chain in which a deleted, inserted or reordered event shows.

Payload fields: ``v`` (1), ``type`` (submit | approve | reject | revoke | comment | resolve | reopen),
``change_id``, ``principal`` (email), ``key`` (SHA256 fingerprint), ``created_at`` (UTC,
``2026-11-29T23:59:01Z``), ``prev``; approvals add ``rule_pack``, ``risk_level``, ``acks`` (sorted
finding ids) and ``comment``; approvals and rejections may add ``evidence`` (core/evidence.py). Line
comments and their resolve/reopen events are checked field by field in core/comments.py; the gate
never counts them.

SSHSIG carries no trusted time: ``created_at`` is what the signer claims. Validity windows are
checked at that time; ``valid-before`` and revocation are what bound a stolen key.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol, Sequence, TypeVar

from reviewer_app.core.signing import sshsig
from reviewer_app.core.store import PAYLOAD_CHANGE_ID, PAYLOAD_PRINCIPAL, transaction, utc_now
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

    from reviewer_app.core.signing.allowed_signers import TrustStore
    from reviewer_app.core.signing.keys import Signer

PAYLOAD_VERSION = 1
NAMESPACE = "reviewer-app"
EVENT_TYPES = ("submit", "approve", "reject", "revoke", "comment", "resolve", "reopen")
_ID = re.compile(r"^sha256:[0-9a-f]{64}$")
_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_COLUMNS = "id, payload, signature"


def canonical_json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_id(payload: str) -> str:
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def parse_timestamp(value: str) -> datetime:
    """``2026-11-29T23:59:01Z`` as an aware UTC datetime; ValueError for any other shape or an impossible date.

    fromisoformat is about 10x faster than strptime (it runs for every event verified), but it also
    accepts other ISO 8601 shapes (offsets, fractions, a space instead of ``T``): the pattern keeps
    the one format events use. Python 3.11 reads the trailing ``Z`` as UTC.
    """
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError(f"not a UTC timestamp like 2026-11-29T23:59:01Z: {value!r}")
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class SignedEvent:
    id: str
    payload: str  # the exact signed string
    signature: str  # armored SSHSIG

    @classmethod
    def from_parts(cls, payload: str, signature: str) -> "SignedEvent":
        """An event from its signed payload and signature; UserError when the payload is malformed.

        This checks shape only; whether the signature holds and the key is trusted is verify_event's job.
        """
        event = cls(id=event_id(payload) if isinstance(payload, str) else "", payload=payload, signature=signature)
        event._validated  # noqa: B018 -- raises UserError for a malformed payload, and caches the parse
        if not isinstance(signature, str) or sshsig.ARMOR_BEGIN not in signature:
            raise UserError(f"event {event.id}: signature is not an armored SSH signature")
        return event

    # The caches below live in the instance __dict__, which cached_property writes directly (the
    # frozen __setattr__ is not involved); the dataclass's __eq__ and __hash__ use only the three
    # fields, so a parsed event still equals and hashes like an unparsed one.

    @cached_property
    def _parsed(self) -> dict[str, Any]:
        # Parsed once per object: chain ordering and check_chain read prev/created_at/principal of
        # thousands of events. Reuses the validated parse when validation already ran.
        validated = self.__dict__.get("_validated")
        return validated if validated is not None else json.loads(self.payload)

    @cached_property
    def _validated(self) -> dict[str, Any]:
        """The payload checked by validate_payload (UserError otherwise, not cached); validated once per object."""
        data = validate_payload(self.payload)
        self.__dict__.setdefault("_parsed", data)  # one parse serves both: the same dict, never handed out
        return data

    @property
    def data(self) -> dict[str, Any]:
        """The payload as a dict (a deep copy: the cached parse, like the event itself, never changes)."""
        return _json_copy(self._parsed)

    @property
    def type(self) -> str:
        return self._parsed["type"]

    @property
    def change_id(self) -> str:
        return self._parsed["change_id"]

    @property
    def principal(self) -> str:
        return self._parsed["principal"]

    @property
    def fingerprint(self) -> str:
        return self._parsed["key"]

    @property
    def created_at(self) -> str:
        return self._parsed["created_at"]

    @property
    def prev(self) -> str | None:
        return self._parsed["prev"]


def _json_copy(value: Any) -> Any:
    # Payloads hold lists (acks) inside the object: a shallow copy would let a caller edit the cache.
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def validate_payload(payload: str) -> dict[str, Any]:
    """The parsed payload, or UserError naming the event and the field that is wrong."""
    name = f"event {event_id(payload)}" if isinstance(payload, str) else "event"
    if not isinstance(payload, str):
        raise UserError(f"{name}: payload is not text")
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise UserError(f"{name}: payload is not JSON: {exc.msg} at character {exc.pos}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{name}: payload is not a JSON object")
    if canonical_json(data) != payload:
        raise UserError(f"{name}: payload is not canonical JSON (sorted keys, no whitespace)")
    checks: list[tuple[str, bool, str]] = [
        ("v", data.get("v") == PAYLOAD_VERSION, f"must be {PAYLOAD_VERSION}"),
        ("type", data.get("type") in EVENT_TYPES, f"must be one of {', '.join(EVENT_TYPES)}"),
        ("change_id", isinstance(data.get("change_id"), str) and bool(_ID.match(data["change_id"])), "must be sha256:<64 hex>"),
        ("principal", isinstance(data.get("principal"), str) and "@" in data["principal"], "must be an email"),
        ("key", isinstance(data.get("key"), str) and bool(_FINGERPRINT.match(data["key"])), "must be SHA256:<base64>"),
        ("created_at", isinstance(data.get("created_at"), str) and bool(_TIMESTAMP.match(data["created_at"])),
         "must be UTC RFC 3339 like 2026-11-29T23:59:01Z"),
        ("prev", "prev" in data and (data["prev"] is None or (isinstance(data["prev"], str) and bool(_ID.match(data["prev"])))),
         "must be null or sha256:<64 hex>"),
    ]
    for field_name, ok, expected in checks:
        if not ok:
            raise UserError(f"{name}: field {field_name!r} {expected} (got {data.get(field_name)!r})")
    try:
        parse_timestamp(data["created_at"])
    except ValueError as exc:
        raise UserError(f"{name}: field 'created_at' is not a real date: {data['created_at']!r}") from exc
    if data["type"] == "approve":
        acks = data.get("acks")
        if not isinstance(acks, list) or not all(isinstance(a, str) for a in acks) or acks != sorted(set(acks)):
            raise UserError(f"{name}: field 'acks' must be a sorted list of unique finding ids")
    if data["type"] in ("approve", "reject") and "evidence" in data:
        from reviewer_app.core import evidence

        evidence.check(data["evidence"], name)
    if data["type"] in ("comment", "resolve", "reopen"):
        from reviewer_app.core import comments

        comments.check_fields(data, name)
    return data


# --- creating and storing ------------------------------------------------------------------------

def create_event(db: "sqlite_utils.Database", signer: "Signer", type: str, change_id: str, fields: dict[str, Any],
                 clock: Callable[[], str] = utc_now) -> SignedEvent:
    """Sign a new event as ``signer`` (chained to its last event in ``db``) and append it locally."""
    if type not in EVENT_TYPES:
        raise UserError(f"unknown event type {type!r} (expected one of {', '.join(EVENT_TYPES)})")
    reserved = {"v", "type", "change_id", "principal", "key", "created_at", "prev"} & set(fields)
    if reserved:
        raise UserError(f"event fields {sorted(reserved)} are set by create_event, not by the caller")
    data = dict(fields)
    if "acks" in data:
        data["acks"] = sorted(set(data["acks"]))
    data.update(v=PAYLOAD_VERSION, type=type, change_id=change_id, principal=signer.principal,
                key=signer.fingerprint, created_at=clock())
    for _ in range(_CHAIN_RETRIES):
        # Signing can wait on a hardware token, so it happens outside any lock; the tip is then
        # re-read under the write lock and, if another process appended meanwhile, we sign again.
        prev = _chain_tip(db, signer.principal)
        payload = canonical_json({**data, "prev": prev})
        validate_payload(payload)  # before signing: a malformed field must not cost a hardware-token touch
        event = SignedEvent(id=event_id(payload), payload=payload, signature=signer.sign(payload.encode("utf-8")))
        if db.conn.in_transaction:  # the caller's transaction already holds the tip steady
            _insert(db, event, origin="local", pushed=False)
            return event
        db.execute("BEGIN IMMEDIATE")
        try:
            if _chain_tip(db, signer.principal) != prev:
                db.execute("ROLLBACK")
                continue
            _insert(db, event, origin="local", pushed=False)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return event
    raise UserError(f"{signer.principal}: other processes kept appending events; try again")


_CHAIN_RETRIES = 3


def _chain_tip(db: "sqlite_utils.Database", principal: str) -> str | None:
    chain = events_of_principal(db, principal)
    return chain[-1].id if chain else None


ORIGINS = ("local", "sync")

# The one place that maps a payload to the events table's columns.
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (id, type, change_id, principal, fingerprint, created_at, prev, payload, "
    "signature, origin, pushed, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def append_event(db: "sqlite_utils.Database", event: SignedEvent, origin: str = "local", pushed: bool = False) -> bool:
    """Append to the log; False when the event is already there. Columns are derived from the payload."""
    return append_events(db, [event], origin, pushed) == 1


def append_events(db: "sqlite_utils.Database", events: Iterable[SignedEvent], origin: str, pushed: bool) -> int:
    """Append many events in one transaction; returns how many were new (ids already stored are left as they are).

    Every payload is checked and every id matched to its payload before anything is written, so a
    malformed event (UserError naming it) leaves the log untouched. Inside a transaction the caller
    opened, the rows join it; otherwise this opens its own (all or nothing, one commit).
    """
    if origin not in ORIGINS:
        raise UserError(f"unknown event origin {origin!r} (expected one of {', '.join(ORIGINS)})")
    now = utc_now()
    rows = [_row(event, origin, pushed, now) for event in events]
    if not rows:
        return 0
    with transaction(db):
        before = db.conn.total_changes
        db.conn.executemany(_INSERT_EVENT, rows)
        return db.conn.total_changes - before


def _row(event: SignedEvent, origin: str, pushed: bool, imported_at: str) -> tuple[Any, ...]:
    data = event._validated
    if event.id != event_id(event.payload):
        raise UserError(f"event {event.id}: id does not match its payload (expected {event_id(event.payload)})")
    return (event.id, data["type"], data["change_id"], data["principal"], data["key"], data["created_at"],
            data["prev"], event.payload, event.signature, origin, int(pushed), imported_at)


def _insert(db: "sqlite_utils.Database", event: SignedEvent, origin: str, pushed: bool) -> bool:
    """One row, in the transaction the caller holds."""
    return db.conn.execute(_INSERT_EVENT, _row(event, origin, pushed, utc_now())).rowcount == 1


# --- queries -------------------------------------------------------------------------------------

def _rows(db: "sqlite_utils.Database", where: str, params: list[Any], order: str = "created_at, rowid") -> list[SignedEvent]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY {order}", params).fetchall()
    return [SignedEvent(id=r[0], payload=r[1], signature=r[2]) for r in rows]


def events_for_change(db: "sqlite_utils.Database", change_id: str) -> list[SignedEvent]:
    """Events whose signed payload is about ``change_id``, oldest first (ids recomputed from the payloads).

    Rows are found by the ``change_id`` column or by the payload's own field (an indexed expression),
    so a row whose column was edited is still found, and one filed here with another change's payload
    is not returned. The gate reads :func:`rows_about_change` instead, to report such rows.
    """
    found: dict[str, SignedEvent] = {}
    for row in rows_about_change(db, change_id):
        event = row.event()
        if event is not None and event.id not in found and event._parsed.get("change_id") == change_id:
            found[event.id] = event
    return list(found.values())


def events_of_principal(db: "sqlite_utils.Database", principal: str) -> list[SignedEvent]:
    """One principal's events (by their signed payloads) in chain order: each after its ``prev``, otherwise
    by created_at and id. Ids are recomputed from the payloads; unreadable payloads are left out."""
    rows = db.execute(f"SELECT {_STORED_COLUMNS} FROM events WHERE principal = ? OR {PAYLOAD_PRINCIPAL} = ? "
                      "ORDER BY created_at, rowid", [principal, principal]).fetchall()
    found: dict[str, SignedEvent] = {}
    for row in rows:
        event = StoredRow.from_row(row).event()
        if event is not None and event.id not in found and event._parsed.get("principal") == principal:
            found[event.id] = event
    return chain_order(list(found.values()))


# The index columns that copy a payload field (written by _row from the verified payload).
DERIVED_COLUMNS = (("type", "type"), ("change_id", "change_id"), ("principal", "principal"),
                   ("fingerprint", "key"), ("created_at", "created_at"), ("prev", "prev"))
_STORED_COLUMNS = "id, type, change_id, principal, fingerprint, created_at, prev, payload, signature"


@dataclass(frozen=True)
class StoredRow:
    """One row of the events table as it is stored. Only ``payload`` and ``signature`` are evidence; the
    other columns are unsigned copies that anyone holding the database file can edit."""

    row_id: Any
    columns: tuple[Any, ...]  # in DERIVED_COLUMNS order
    payload: Any
    signature: Any

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "StoredRow":
        return cls(row[0], tuple(row[1:7]), row[7], row[8])

    def event(self) -> SignedEvent | None:
        """The event the payload is (its id computed from the payload), or None when the payload is not JSON text."""
        if not isinstance(self.payload, str):
            return None
        event = SignedEvent(event_id(self.payload), self.payload, self.signature)
        try:
            parsed = event._parsed
        except ValueError:
            return None
        return event if isinstance(parsed, dict) else None

    def disagreements(self) -> list[str]:
        """The columns that say something else than the signed payload (``id`` included); [] when they agree."""
        event = self.event()
        if event is None:
            return ["payload"]
        data = event._parsed
        differs = ["id"] if self.row_id != event.id else []
        differs += [column for (column, field_name), value in zip(DERIVED_COLUMNS, self.columns)
                    if value != data.get(field_name)]
        return differs


def rows_about_change(db: "sqlite_utils.Database", change_id: str) -> list[StoredRow]:
    """Every row filed under ``change_id`` or whose payload names it, oldest first (both through an index)."""
    rows = db.execute(f"SELECT {_STORED_COLUMNS} FROM events WHERE change_id = ? OR {PAYLOAD_CHANGE_ID} = ? "
                      "ORDER BY created_at, rowid", [change_id, change_id]).fetchall()
    return [StoredRow.from_row(row) for row in rows]


class ChainLink(Protocol):
    """What chain_order and check_chain read of an event (SignedEvent, or a row of the index)."""

    @property
    def id(self) -> str: ...

    @property
    def principal(self) -> str: ...

    @property
    def created_at(self) -> str: ...

    @property
    def prev(self) -> str | None: ...


Link = TypeVar("Link", bound=ChainLink)


def chain_order(events: Sequence[Link]) -> list[Link]:
    """Every event after the event its ``prev`` names (topological order); ties by created_at, then id.

    The result depends only on the events, not on the order given (e.g. the index's insertion
    order): a fork (one person signing on two machines between syncs) then reads as a fork, each
    branch after the event it grew from, and never as "reordered". Events whose ``prev`` is absent
    (missing, or the chain start) are roots. A cycle cannot be signed honestly (ids are hashes of
    payloads naming ``prev``), but nothing is ever dropped: its events follow, by created_at and id.
    """
    present = {event.id for event in events}
    followers: dict[str, list[int]] = {}  # prev id -> positions of the events that name it
    roots: list[int] = []
    for position, event in enumerate(events):
        prev = event.prev
        if prev is not None and prev in present and prev != event.id:
            followers.setdefault(prev, []).append(position)
        else:
            roots.append(position)
    if len(roots) == 1 and all(len(after) == 1 for after in followers.values()):
        placed = _single_line(events, roots[0], followers)  # the usual case: no fork, no stray
    else:
        placed = _by_time_among_ready(events, roots, followers)
    if len(placed) < len(events):
        done = set(placed)
        placed.extend(sorted((p for p in range(len(events)) if p not in done),
                             key=lambda p: (events[p].created_at, events[p].id, p)))
    return [events[position] for position in placed]


def _single_line(events: Sequence[Link], root: int, followers: dict[str, list[int]]) -> list[int]:
    """One root and at most one follower each: the only topological order, walked without a heap."""
    placed = [root]
    after = followers.get(events[root].id)
    while after and len(placed) < len(events):
        placed.append(after[0])
        after = followers.get(events[after[0]].id)
    return placed


def _by_time_among_ready(events: Sequence[Link], roots: list[int], followers: dict[str, list[int]]) -> list[int]:
    """Kahn's algorithm: of the events whose prev is placed, the earliest (created_at, id) goes next."""
    # The position in the key only separates exact duplicates, so events are never compared.
    ready = [(events[p].created_at, events[p].id, p) for p in roots]
    heapq.heapify(ready)
    placed: list[int] = []
    seen: set[str] = set()
    while ready:
        _, event_id_, position = heapq.heappop(ready)
        placed.append(position)
        if event_id_ in seen:  # a duplicate: its followers were released by the first copy
            continue
        seen.add(event_id_)
        for follower in followers.get(event_id_, ()):
            heapq.heappush(ready, (events[follower].created_at, events[follower].id, follower))
    return placed


def all_events(db: "sqlite_utils.Database", since: str | None = None, until: str | None = None) -> Iterator[SignedEvent]:
    """Every event in created_at order; ``since`` inclusive, ``until`` exclusive (RFC 3339 strings)."""
    clauses, params = ["1"], []
    if since is not None:
        clauses.append("created_at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("created_at < ?")
        params.append(until)
    cursor = db.execute(f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(clauses)} ORDER BY created_at, rowid", params)
    for row in cursor:
        yield SignedEvent(id=row[0], payload=row[1], signature=row[2])


def unpushed_events(db: "sqlite_utils.Database") -> list[SignedEvent]:
    """Local events not yet pushed, oldest first (each signer's chain stays in order)."""
    return _rows(db, "pushed = 0 AND origin = 'local'", [])


def count_unpushed(db: "sqlite_utils.Database") -> int:
    return db.execute("SELECT COUNT(*) FROM events WHERE pushed = 0 AND origin = 'local'").fetchone()[0]


def mark_pushed(db: "sqlite_utils.Database", ids: list[str]) -> None:
    if not ids:
        return
    with transaction(db):  # one commit for all, not one per row
        db.conn.executemany("UPDATE events SET pushed = 1 WHERE id = ?", [(i,) for i in ids])


def local_principals(db: "sqlite_utils.Database") -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT principal FROM events WHERE origin = 'local' ORDER BY principal")]


# --- verification --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str | None  # a stable code: "bad signature", "wrong namespace", "unknown principal", ...
    principal: str | None
    fingerprint: str | None
    key_type: str | None
    detail: str | None = None  # the human explanation behind the code

    @property
    def message(self) -> str:
        if self.ok:
            return "ok"
        return f"{self.reason}: {self.detail}" if self.detail else str(self.reason)


def verify_event(event: SignedEvent, trust: "TrustStore", namespace: str = NAMESPACE) -> Verification:
    """Does the signature hold over the payload, by a key that ``trust`` allows for the principal then?"""
    try:
        data = event._validated
    except UserError as exc:
        return Verification(False, "bad signature", None, None, None, f"malformed payload: {exc.message}")
    principal, claimed = data["principal"], data["key"]
    if event.id != event_id(event.payload):
        return Verification(False, "bad signature", principal, claimed, None, "event id does not match the payload")
    try:
        sig = sshsig.verify(event.signature, event.payload.encode("utf-8"), namespace)
    except sshsig.SignatureError as exc:
        return Verification(False, exc.reason, principal, claimed, None, exc.detail)
    key = sig.public_key
    fingerprint = key.fingerprint  # computed (hashed) on each access: read once
    if fingerprint != claimed:
        return Verification(False, "bad signature", principal, fingerprint, key.key_type,
                            f"signed by {fingerprint}, but the payload names key {claimed}")
    decision = trust.check(principal, key, namespace, parse_timestamp(data["created_at"]))
    return Verification(decision.ok, decision.reason, principal, fingerprint, key.key_type, decision.detail)


def check_chain(events_of_one_principal: Sequence[ChainLink]) -> list[str]:
    """Problems in one principal's chain as given (in chain order): missing, inserted or reordered links, forks."""
    problems: list[str] = []
    position = {e.id: i for i, e in enumerate(events_of_one_principal)}
    children: dict[str | None, list[str]] = {}
    principals = {e.principal for e in events_of_one_principal}
    if len(principals) > 1:
        problems.append(f"events of several principals in one chain: {', '.join(sorted(principals))}")
    for i, event in enumerate(events_of_one_principal):
        children.setdefault(event.prev, []).append(event.id)
        if i and event.created_at < events_of_one_principal[i - 1].created_at:
            problems.append(f"{event.id}: created_at {event.created_at} goes back in time along the chain")
        expected = events_of_one_principal[i - 1].id if i else None
        if event.prev == expected:
            continue
        if event.prev is None:
            problems.append(f"{event.id}: starts a second chain (prev is null but it is not the first event): inserted")
        elif event.prev not in position:
            problems.append(f"{event.id}: previous event {event.prev} is missing")
        elif position[event.prev] >= i:
            problems.append(f"{event.id}: comes before its previous event {event.prev}: reordered")
        else:
            problems.append(f"{event.id}: links to {event.prev}, not to the event just before it")
    for prev, ids in children.items():
        if len(ids) > 1:
            problems.append(f"fork: {len(ids)} events share the previous event {prev or 'null (the chain start)'}: "
                            f"{', '.join(ids)}")
    return problems
