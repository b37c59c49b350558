"""Signed events: canonical payloads, ids, the append-only log, per-signer chains and verification."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys
from reviewer_app.core.signing.allowed_signers import TrustStore
from reviewer_app.core.approvals.events import SignedEvent
from reviewer_app.errors import UserError

from .conftest import KeyPair, MakeKey, ssh_keygen_verify

CHANGE_A = "sha256:" + "a" * 64
CHANGE_B = "sha256:" + "b" * 64


def ticking_clock(start_minute: int = 0) -> "Iterator[str]":
    minute = start_minute
    while True:
        yield f"2026-11-29T10:{minute:02d}:00Z"
        minute += 1


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    return store.open_db(tmp_path / "events.db")


@pytest.fixture
def alice(make_key: MakeKey) -> KeyPair:
    return make_key("alice")


def approve_fields(**extra: object) -> dict[str, object]:
    return {"rule_pack": "sha256:" + "c" * 64, "risk_level": "high", "acks": ["b@x:new:2", "a@x:new:1"],
            "comment": "looks right", **extra}


def test_canonical_json_and_event_id() -> None:
    payload = events.canonical_json({"b": 1, "a": "é", "c": [2, 1]})
    assert payload == '{"a":"é","b":1,"c":[2,1]}'
    assert events.event_id(payload).startswith("sha256:") and len(events.event_id(payload)) == 71
    assert events.event_id(payload) != events.event_id(payload + " ")


def test_create_event_signs_chains_and_stock_openssh_verifies_it(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    signer = keys.file_signer(alice.path, "alice@example.com")
    clock = ticking_clock()
    first = events.create_event(db, signer, "approve", CHANGE_A, approve_fields(), clock=lambda: next(clock))
    second = events.create_event(db, signer, "revoke", CHANGE_A, {"comment": "oops"}, clock=lambda: next(clock))
    data = first.data
    assert data["v"] == 1 and data["type"] == "approve" and data["prev"] is None
    assert data["acks"] == ["a@x:new:1", "b@x:new:2"]  # sorted
    assert data["key"] == alice.public_key.fingerprint == signer.fingerprint
    assert second.prev == first.id and second.created_at == "2026-11-29T10:01:00Z"
    assert first.id == events.event_id(first.payload)
    # the documented check with stock OpenSSH
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {alice.line}\n")
    proc = ssh_keygen_verify(allowed, "alice@example.com", first.signature, first.payload.encode(), tmp_path)
    assert proc.returncode == 0, proc.stderr
    row = db.execute("SELECT origin, pushed, principal, fingerprint, change_id FROM events WHERE id = ?", [first.id]).fetchone()
    assert row == ("local", 0, "alice@example.com", alice.public_key.fingerprint, CHANGE_A)


def test_append_is_idempotent_and_queries_answer(db, alice: KeyPair, make_key: MakeKey) -> None:  # type: ignore[no-untyped-def]
    clock = ticking_clock()
    signer = keys.file_signer(alice.path, "alice@example.com")
    bob = keys.file_signer(make_key("bob").path, "bob@example.com")
    a1 = events.create_event(db, signer, "approve", CHANGE_A, approve_fields(), clock=lambda: next(clock))
    b1 = events.create_event(db, bob, "reject", CHANGE_A, {"comment": "no"}, clock=lambda: next(clock))
    a2 = events.create_event(db, signer, "approve", CHANGE_B, approve_fields(), clock=lambda: next(clock))
    assert events.append_event(db, a1, origin="sync") is False
    imported = SignedEvent.from_parts(b1.payload, b1.signature)
    assert imported == b1
    assert [e.id for e in events.events_for_change(db, CHANGE_A)] == [a1.id, b1.id]
    assert [e.id for e in events.events_of_principal(db, "alice@example.com")] == [a1.id, a2.id]
    assert [e.id for e in events.all_events(db)] == [a1.id, b1.id, a2.id]
    assert [e.id for e in events.all_events(db, since=b1.created_at)] == [b1.id, a2.id]
    assert [e.id for e in events.all_events(db, until=b1.created_at)] == [a1.id]
    assert events.count_unpushed(db) == 3
    events.mark_pushed(db, [a1.id, b1.id])
    assert [e.id for e in events.unpushed_events(db)] == [a2.id]
    assert events.count_unpushed(db) == 1
    assert events.local_principals(db) == ["alice@example.com", "bob@example.com"]


def test_imported_events_are_not_local(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other_db = store.open_db(tmp_path / "other.db")
    event = events.create_event(other_db, keys.file_signer(alice.path, "alice@example.com"), "approve", CHANGE_A,
                                approve_fields())
    assert events.append_event(db, event, origin="sync", pushed=True) is True
    assert events.append_event(db, event, origin="sync", pushed=True) is False
    assert events.local_principals(db) == []
    assert events.count_unpushed(db) == 0


@pytest.mark.parametrize(("payload", "fragment"), [
    ("not json", "not JSON"),
    ("[1]", "not a JSON object"),
    ('{"v": 1}', "not canonical"),
    ('{"v":2}', "'v'"),
    (events.canonical_json({"v": 1, "type": "merge"}), "'type'"),
    (events.canonical_json({"v": 1, "type": "approve", "change_id": "abc"}), "'change_id'"),
    (events.canonical_json({"v": 1, "type": "submit", "change_id": CHANGE_A, "principal": "a@x", "key": "SHA256:" + "A" * 43,
                            "created_at": "2026-13-45T10:00:00Z", "prev": None}), "not a real date"),
    (events.canonical_json({"v": 1, "type": "submit", "change_id": CHANGE_A, "principal": "a@x", "key": "SHA256:" + "A" * 43,
                            "created_at": "2026-11-29 10:00:00", "prev": None}), "'created_at'"),
    (events.canonical_json({"v": 1, "type": "submit", "change_id": CHANGE_A, "principal": "a@x", "key": "SHA256:" + "A" * 43,
                            "created_at": "2026-11-29T10:00:00Z"}), "'prev'"),
    (events.canonical_json({"v": 1, "type": "approve", "change_id": CHANGE_A, "principal": "a@x", "key": "SHA256:" + "A" * 43,
                            "created_at": "2026-11-29T10:00:00Z", "prev": None, "acks": ["z", "a"]}), "'acks'"),
])
def test_from_parts_refuses_malformed_payloads(payload: str, fragment: str) -> None:
    with pytest.raises(UserError) as exc:
        SignedEvent.from_parts(payload, "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n")
    assert fragment in exc.value.message
    assert exc.value.message.startswith("event sha256:")


# --- verification, table-driven --------------------------------------------------------------------

def _signed(db, key: KeyPair, principal: str = "alice@example.com", namespace: str = "reviewer-app",  # type: ignore[no-untyped-def]
            created_at: str = "2026-11-29T10:00:00Z", change_id: str = CHANGE_A) -> SignedEvent:
    signer = keys.file_signer(key.path, principal)
    if namespace != "reviewer-app":
        signer.namespace = namespace  # type: ignore[union-attr]
    return events.create_event(db, signer, "approve", change_id, approve_fields(), clock=lambda: created_at)


def test_verify_event_reasons(db, make_key: MakeKey, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    alice, bob, retired, stolen, carol = (make_key(n) for n in ("alice", "bob", "retired", "stolen", "carol"))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(
        f"alice@example.com {alice.line}\n"
        f"bob@example.com namespaces=\"git\" {bob.line}\n"
        f"alice@example.com valid-before=\"20261101Z\" {retired.line}\n"
        f"alice@example.com {stolen.line}\n"
        f"carol@example.com cert-authority {carol.line}\n"
    )
    revoked = tmp_path / "revoked_keys"
    revoked.write_text(f"# lost laptop\n{stolen.line}\n")
    trust = TrustStore.from_files(allowed, revoked)

    good = _signed(db, alice)
    other = _signed(db, alice, change_id=CHANGE_B, created_at="2026-11-29T11:00:00Z")
    tampered = SignedEvent(good.id, good.payload.replace("looks right", "looks wrong"), good.signature)
    tampered_with_new_id = SignedEvent(events.event_id(tampered.payload), tampered.payload, good.signature)
    swapped = SignedEvent(good.id, good.payload, other.signature)
    cases = {
        "valid": (good, True, None),
        "tampered payload (id kept)": (tampered, False, "bad signature"),
        "tampered payload (id recomputed)": (tampered_with_new_id, False, "bad signature"),
        "swapped signature": (swapped, False, "bad signature"),
        "wrong namespace in the signature": (_signed(db, alice, namespace="git"), False, "wrong namespace"),
        "namespace not allowed by the signers file": (_signed(db, bob, principal="bob@example.com"), False, "wrong namespace"),
        "unknown principal": (_signed(db, alice, principal="mallory@example.com"), False, "unknown principal"),
        "key of someone else": (_signed(db, bob, principal="alice@example.com"), False, "unknown principal"),
        "expired valid-before": (_signed(db, retired), False, "key not valid at signing time"),
        "valid before expiry": (_signed(db, retired, created_at="2026-10-31T23:00:00Z"), True, None),
        "revoked key": (_signed(db, stolen), False, "revoked"),
        "plain key on a cert-authority line": (_signed(db, carol, principal="carol@example.com"), False, "unknown principal"),
    }
    for name, (event, ok, reason) in cases.items():
        result = events.verify_event(event, trust)
        assert (result.ok, result.reason) == (ok, reason), f"{name}: {result.message}"
        if ok:
            assert result.fingerprint == event.fingerprint and result.key_type == "ssh-ed25519"
        else:
            assert result.detail, name


def test_payload_naming_another_key_is_refused(db, make_key: MakeKey, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    alice, bob = make_key("alice"), make_key("bob")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {alice.line}\n")
    event = _signed(db, alice)
    data = event.data
    data["key"] = bob.public_key.fingerprint
    payload = events.canonical_json(data)
    signer = keys.file_signer(alice.path, "alice@example.com")
    lying = SignedEvent(events.event_id(payload), payload, signer.sign(payload.encode()))
    result = events.verify_event(lying, TrustStore.from_files(allowed, None))
    assert (result.ok, result.reason) == (False, "bad signature")
    assert "payload names key" in (result.detail or "")


# --- chains ----------------------------------------------------------------------------------------

def test_check_chain_finds_missing_reordered_inserted_and_forked_links(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    signer = keys.file_signer(alice.path, "alice@example.com")
    clock = ticking_clock()
    chain = [events.create_event(db, signer, "approve", CHANGE_A, approve_fields(), clock=lambda: next(clock)) for _ in range(4)]
    assert events.check_chain(chain) == []
    assert events.check_chain(events.events_of_principal(db, "alice@example.com")) == []

    missing = events.check_chain([chain[0], chain[1], chain[3]])
    assert any(f"{chain[3].id}: previous event {chain[2].id} is missing" == p for p in missing)
    assert any("missing" in p for p in events.check_chain(chain[1:]))
    reordered = events.check_chain([chain[0], chain[2], chain[1], chain[3]])
    assert any("reordered" in p for p in reordered)
    assert any("back in time" in p for p in reordered)

    # a second machine with an empty database starts another chain: an insertion and a fork
    other = store.open_db(tmp_path / "laptop.db")
    stray = events.create_event(other, signer, "approve", CHANGE_B, approve_fields(), clock=lambda: "2026-11-29T11:00:00Z")
    problems = events.check_chain([*chain, stray])
    assert any("inserted" in p for p in problems)
    assert any(p.startswith("fork:") for p in problems)


def test_events_of_principal_follows_links_not_arrival(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    signer = keys.file_signer(alice.path, "alice@example.com")
    made = [events.create_event(db, signer, "reject", CHANGE_A, {"comment": str(i)}, clock=lambda: "2026-11-29T10:05:00Z")
            for i in range(3)]
    # imported in reverse order, all in the same second: only the links tell the order
    imported = store.open_db(tmp_path / "imported.db")
    for event in reversed(made):
        events.append_event(imported, event, origin="sync")
    ordered = events.events_of_principal(imported, "alice@example.com")
    assert [e.id for e in ordered] == [e.id for e in made]
    assert [json.loads(e.payload)["comment"] for e in ordered] == ["0", "1", "2"]


def test_create_event_rechains_when_another_process_appended_meanwhile(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two processes sign as the same person at once: the second must chain onto the first, not fork."""
    path = tmp_path / "shared.db"
    mine, theirs = store.open_db(path), store.open_db(path)
    inner = keys.file_signer(alice.path, "alice@example.com")
    raced = {"done": False}

    class RacingSigner:
        principal, fingerprint, public_key_line = inner.principal, inner.fingerprint, inner.public_key_line

        def sign(self, data: bytes) -> str:
            if not raced["done"]:  # while we sign, the other process appends its own event
                raced["done"] = True
                events.create_event(theirs, inner, "reject", CHANGE_B, {"comment": "other window"})
            return inner.sign(data)

    event = events.create_event(mine, RacingSigner(), "approve", CHANGE_A, approve_fields())
    chain = events.events_of_principal(mine, "alice@example.com")
    assert [e.id for e in chain][-1] == event.id and len(chain) == 2
    assert event.prev == chain[0].id
    assert events.check_chain(chain) == []


def test_event_signed_with_a_certificate(db, make_key: MakeKey, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    ca, user = make_key("ca"), make_key("user")
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca.path), "-I", "alice-laptop", "-n", "alice@example.com",
                    str(user.pub_path)], check=True, capture_output=True)
    cert_path = user.pub_path.with_name("user-cert.pub")
    signer = keys.file_signer(cert_path, "alice@example.com")
    assert signer.fingerprint == user.public_key.fingerprint  # a certificate has its key's fingerprint
    event = events.create_event(db, signer, "approve", CHANGE_A, approve_fields())
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"*@example.com cert-authority {ca.line}\n")
    result = events.verify_event(event, TrustStore.from_files(allowed))
    assert result.ok, result.message
    assert result.key_type == "ssh-ed25519-cert-v01@openssh.com"
    # the same CA does not vouch for bob: the certificate names alice only
    as_bob = events.create_event(db, keys.file_signer(cert_path, "bob@example.com"), "approve", CHANGE_A, approve_fields())
    assert events.verify_event(as_bob, TrustStore.from_files(allowed)).reason == "unknown principal"
    # stock OpenSSH agrees
    proc = ssh_keygen_verify(allowed, "alice@example.com", event.signature, event.payload.encode(), tmp_path)
    assert proc.returncode == 0, proc.stderr


# --- chain order over forks, the parse cache, batch appends, timestamps ------------------------------

def _fork_on_two_machines(tmp_path: Path, alice: KeyPair, second: str = "2026-11-29T10:05:00Z"
                          ) -> tuple[SignedEvent, list[SignedEvent], list[SignedEvent]]:
    """alice signs a root, then three events on her desktop and three on her laptop, all in one second."""
    signer = keys.file_signer(alice.path, "alice@example.com")
    desktop, laptop = store.open_db(tmp_path / "desktop.db"), store.open_db(tmp_path / "laptop.db")
    root = events.create_event(desktop, signer, "approve", CHANGE_A, approve_fields(), clock=lambda: second)
    events.append_event(laptop, root, origin="sync", pushed=True)
    on_desktop = [events.create_event(desktop, signer, "reject", CHANGE_A, {"comment": f"desktop {n}"}, clock=lambda: second)
                  for n in range(3)]
    on_laptop = [events.create_event(laptop, signer, "reject", CHANGE_B, {"comment": f"laptop {n}"}, clock=lambda: second)
                 for n in range(3)]
    return root, on_desktop, on_laptop


def _assert_each_after_its_prev(ordered: list[SignedEvent]) -> None:
    position = {event.id: index for index, event in enumerate(ordered)}
    for index, event in enumerate(ordered):
        assert event.prev is None or position[event.prev] < index, f"{event.id} placed before its prev"


def test_a_fork_reads_as_a_fork_whatever_the_insertion_order(alice: KeyPair, tmp_path: Path) -> None:
    root, on_desktop, on_laptop = _fork_on_two_machines(tmp_path, alice)
    assert on_desktop[0].prev == root.id == on_laptop[0].prev
    # The union arrives children first (as a sync may insert them): row order says nothing about the chain.
    union = store.open_db(tmp_path / "union.db")
    assert events.append_events(union, [*reversed(on_laptop), *reversed(on_desktop), root], origin="sync", pushed=True) == 7
    ordered = events.events_of_principal(union, "alice@example.com")
    assert len(ordered) == 7 and ordered[0] == root
    _assert_each_after_its_prev(ordered)
    # Both branches start in the same second: the one with the smaller id comes first.
    assert ordered[1] == min(on_desktop[0], on_laptop[0], key=lambda e: e.id)
    problems = events.check_chain(ordered)
    assert not any("reordered" in p or "missing" in p or "back in time" in p for p in problems), problems
    assert [p for p in problems if p.startswith("fork: ")] == [
        f"fork: 2 events share the previous event {root.id}: {ordered[1].id}, "
        f"{(on_laptop[0] if ordered[1] == on_desktop[0] else on_desktop[0]).id}"
    ]


def test_chain_order_does_not_depend_on_the_order_given(alice: KeyPair, tmp_path: Path) -> None:
    import random

    root, on_desktop, on_laptop = _fork_on_two_machines(tmp_path, alice)
    everything = [root, *on_desktop, *on_laptop]
    expected = events.chain_order(everything)
    shuffler = random.Random(7)
    for _ in range(20):
        shuffled = everything[:]
        shuffler.shuffle(shuffled)
        assert events.chain_order(shuffled) == expected
    _assert_each_after_its_prev(expected)


def test_chain_order_ties_by_created_at_then_id_and_keeps_strays(alice: KeyPair, tmp_path: Path) -> None:
    signer = keys.file_signer(alice.path, "alice@example.com")
    # Three separate roots (three empty databases): later seconds go later, whatever the ids.
    roots = [events.create_event(store.open_db(tmp_path / f"m{n}.db"), signer, "reject", CHANGE_A, {"comment": str(n)},
                                 clock=lambda n=n: f"2026-11-29T10:0{n // 2}:00Z") for n in range(4)]
    ordered = events.chain_order(list(reversed(roots)))
    assert [e.created_at for e in ordered] == sorted(e.created_at for e in roots)
    assert ordered[:2] == sorted(roots[:2], key=lambda e: e.id) and ordered[2:] == sorted(roots[2:], key=lambda e: e.id)

    # An event whose prev is missing is a root of its own, placed by time; nothing is dropped.
    clock = ticking_clock()
    chain_db = store.open_db(tmp_path / "chain.db")
    chain = [events.create_event(chain_db, signer, "reject", CHANGE_B, {"comment": str(n)}, clock=lambda: next(clock))
             for n in range(4)]
    gapped = events.chain_order([chain[3], chain[1], chain[0]])
    assert gapped == [chain[0], chain[1], chain[3]]
    assert any("is missing" in p for p in events.check_chain(gapped))


@dataclass(frozen=True)
class _Link:
    """Index columns (as the sync importer reads them): chain_order works on any ChainLink."""

    id: str
    principal: str
    created_at: str
    prev: str | None


def test_chain_order_survives_a_cycle_and_duplicates() -> None:
    # A cycle cannot be signed (ids hash the payload naming prev), but a corrupted index could hold one.
    a = _Link("sha256:" + "1" * 64, "a@x", "2026-11-29T10:00:00Z", "sha256:" + "2" * 64)
    b = _Link("sha256:" + "2" * 64, "a@x", "2026-11-29T10:01:00Z", "sha256:" + "1" * 64)
    start = _Link("sha256:" + "3" * 64, "a@x", "2026-11-29T09:00:00Z", None)
    assert events.chain_order([b, a, start]) == [start, a, b]
    assert events.chain_order([start, start]) == [start, start]


class _CountingJson:
    """The json module, counting payload parses (events.json is swapped for it in one test)."""

    def __init__(self) -> None:
        self.loads_calls = 0

    def loads(self, text: str) -> Any:
        self.loads_calls += 1
        return json.loads(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)


def test_payload_is_parsed_once_per_event_and_equality_ignores_the_cache(
        db, alice: KeyPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    signer = keys.file_signer(alice.path, "alice@example.com")
    clock = ticking_clock()
    for _ in range(5):
        events.create_event(db, signer, "approve", CHANGE_A, approve_fields(), clock=lambda: next(clock))
    counting = _CountingJson()
    monkeypatch.setattr(events, "json", counting)
    chain = events.events_of_principal(db, "alice@example.com")
    assert events.check_chain(chain) == []
    assert [e.type for e in chain] == ["approve"] * 5 and all(e.prev or e is chain[0] for e in chain)
    assert counting.loads_calls == 5  # one parse per event, however many fields are read
    trust = TrustStore.from_files(_allowed(alice, tmp_path))
    assert all(events.verify_event(e, trust).ok for e in chain)
    assert counting.loads_calls == 10  # verification validates once more (strictly), and caches that too
    assert all(events.verify_event(e, trust).ok for e in chain)
    assert counting.loads_calls == 10

    parsed, fresh = chain[0], SignedEvent(chain[0].id, chain[0].payload, chain[0].signature)
    assert "_parsed" in vars(parsed) and "_parsed" not in vars(fresh)
    assert parsed == fresh and hash(parsed) == hash(fresh) and len({parsed, fresh}) == 1
    assert parsed != SignedEvent(parsed.id, parsed.payload, chain[1].signature)
    copy = parsed.data
    copy["comment"] = "changed"
    copy["acks"].append("forged@x:new:9")
    # data hands out deep copies; the cache stays as signed
    assert parsed.data["comment"] == "looks right" and parsed.data["acks"] == ["a@x:new:1", "b@x:new:2"]
    assert parsed.data == json.loads(parsed.payload)


def _allowed(key: KeyPair, folder: Path) -> Path:
    allowed = folder / "allowed_signers"
    allowed.write_text(f"alice@example.com {key.line}\n")
    return allowed


def _statements(db) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    db.conn.set_trace_callback(lambda sql: seen.append(sql.split()[0].upper()))
    return seen


def test_append_events_writes_a_batch_in_one_transaction(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = store.open_db(tmp_path / "source.db")
    signer = keys.file_signer(alice.path, "alice@example.com")
    clock = ticking_clock()
    made = [events.create_event(source, signer, "approve", CHANGE_A, approve_fields(), clock=lambda: next(clock))
            for _ in range(30)]
    statements = _statements(db)
    assert events.append_events(db, iter(made[:20]), origin="sync", pushed=True) == 20  # any iterable
    assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1 and statements.count("INSERT") == 20
    # Duplicates are no-ops: only the new ten count.
    assert events.append_events(db, made, origin="sync", pushed=True) == 10
    assert events.append_events(db, made, origin="sync", pushed=True) == 0
    assert events.append_events(db, [], origin="sync", pushed=True) == 0
    db.conn.set_trace_callback(None)
    # What another connection sees is committed, with the columns derived from the payloads.
    other = store.open_db(tmp_path / "events.db")
    rows = other.execute("SELECT id, type, change_id, principal, fingerprint, created_at, prev, origin, pushed "
                         "FROM events ORDER BY created_at").fetchall()
    assert [r[0] for r in rows] == [e.id for e in made]
    assert rows[1] == (made[1].id, "approve", CHANGE_A, "alice@example.com", alice.public_key.fingerprint,
                       "2026-11-29T10:01:00Z", made[0].id, "sync", 1)
    assert events.events_of_principal(other, "alice@example.com") == made


def test_append_events_is_all_or_nothing(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = store.open_db(tmp_path / "source.db")
    signer = keys.file_signer(alice.path, "alice@example.com")
    good = [events.create_event(source, signer, "reject", CHANGE_A, {"comment": str(n)}) for n in range(3)]
    malformed = SignedEvent(events.event_id('{"v":1}'), '{"v":1}', good[0].signature)
    with pytest.raises(UserError) as exc:
        events.append_events(db, [*good, malformed], origin="sync", pushed=True)
    assert exc.value.message.startswith(f"event {malformed.id}: field 'type'")
    wrong_id = SignedEvent("sha256:" + "f" * 64, good[1].payload, good[1].signature)
    with pytest.raises(UserError, match="id does not match its payload"):
        events.append_events(db, [good[0], wrong_id], origin="sync", pushed=True)
    with pytest.raises(UserError, match="unknown event origin 'elsewhere'"):
        events.append_events(db, good, origin="elsewhere", pushed=True)
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0

    # Inside the caller's transaction the rows join it: rolled back with it, not committed on their own.
    db.execute("BEGIN IMMEDIATE")
    assert events.append_events(db, good, origin="sync", pushed=True) == 3
    assert events.append_event(db, good[0], origin="sync") is False
    assert db.conn.in_transaction
    db.execute("ROLLBACK")
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert events.append_events(db, good, origin="local", pushed=False) == 3
    statements = _statements(db)
    events.mark_pushed(db, [e.id for e in good])
    assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1
    assert events.count_unpushed(db) == 0


@pytest.mark.parametrize("value", [
    "2026-11-29T10:00:00+00:00", "2026-11-29 10:00:00Z", "2026-11-29T10:00:00.5Z", "20261129T100000Z",
    "2026-11-29T10:00:00z", "2026-11-29T10:00Z", "2026-02-30T10:00:00Z", "2026-11-29T24:00:00Z", "", " 2026-11-29T10:00:00Z",
])
def test_parse_timestamp_refuses_every_other_shape(value: str) -> None:
    with pytest.raises(ValueError):
        events.parse_timestamp(value)


def test_parse_timestamp_reads_utc_and_verification_rejects_impossible_dates(db, alice: KeyPair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    assert events.parse_timestamp("2028-02-29T23:59:01Z") == datetime(2028, 2, 29, 23, 59, 1, tzinfo=timezone.utc)
    signer = keys.file_signer(alice.path, "alice@example.com")
    good = events.create_event(db, signer, "approve", CHANGE_A, approve_fields())
    data = good.data
    data["created_at"] = "2027-02-29T10:00:00Z"  # 2027 is no leap year
    payload = events.canonical_json(data)
    impossible = SignedEvent(events.event_id(payload), payload, signer.sign(payload.encode()))
    result = events.verify_event(impossible, TrustStore.from_files(_allowed(alice, tmp_path)))
    assert (result.ok, result.reason) == (False, "bad signature") and "not a real date" in (result.detail or "")
