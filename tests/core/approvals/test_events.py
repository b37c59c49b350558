"""Signed events: canonical payloads, ids, the append-only log, per-signer chains and verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from reviewer_app.core import events, keys, store
from reviewer_app.core.allowed_signers import TrustStore
from reviewer_app.core.events import SignedEvent
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
