"""Decisions from signed payloads, and import trust from the base.

Someone holding a reviewer's (or a CI cache's) database drops the append-only triggers and edits
rows: the unsigned columns of a revoke, a deleted tail, an inserted row carrying another change's
payload. The gate selects and judges events by what the signature covers; ``--fetch`` re-reads every
ledger ref whatever the database remembers, restores what is missing and replaces what disagrees.
And ``gate --fetch`` verifies imports with the allowed signers of the base, never of the head under
review.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.core import store
from reviewer_app.core.analysis import analyze
from reviewer_app.core.changeid import change_id as change_id_of
from reviewer_app.core.approvals.events import SignedEvent
from reviewer_app.core.approvals.gate import blocking_findings
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.sync import run_sync
from reviewer_app.core.workspace import Workspace
from tests.core.sync.conftest import Identity, allowed_signers_text
from tests.core.sync.ledger_team import (APPROVED_AT, BASE, WITHDRAWN_AT, LedgerTeam, build_ledger_team,
                                         make_identities, other_change, reasons)

ALICE = "alice@example.com"


@pytest.fixture(scope="module")
def identities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    return make_identities(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def world(tmp_path: Path, identities: dict[str, Identity]) -> LedgerTeam:
    return build_ledger_team(tmp_path, identities)


class CachedCi:
    """A CI runner (or a reviewer's machine) whose database persists between gate runs."""

    def __init__(self, world: LedgerTeam) -> None:
        self.world = world
        self.repo = world.ci_clone()
        self.db = self.repo.parent / "cached.db"

    def gate(self, fetch: bool = True) -> tuple[int, dict[str, Any], str]:
        return self.world.gate(self.repo, self.db, fetch=fetch)

    def tamper(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
        """Edit the file as an attacker would: the append-only triggers are dropped first."""
        conn = sqlite3.connect(self.db)
        for trigger in store.APPEND_ONLY_TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.execute(sql, list(params))
        conn.commit()
        conn.close()

    def ids(self) -> set[str]:
        conn = sqlite3.connect(self.db)
        try:
            return {row[0] for row in conn.execute("SELECT id FROM events")}
        finally:
            conn.close()


def _approved_then_revoked(world: LedgerTeam) -> tuple[CachedCi, SignedEvent]:
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    ci = CachedCi(world)
    code, result, err = ci.gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result), (result, err)
    return ci, revoke


COLUMN_EDITS = [
    ("change_id", "sha256:" + "e" * 64),
    ("principal", "zed@example.com"),
    ("type", "approve"),
    ("created_at", "2026-11-29T09:00:00Z"),  # before the approval: a column order would let it stand
    ("prev", None),
    ("fingerprint", "SHA256:" + "A" * 43),
]


@pytest.mark.parametrize("column,value", COLUMN_EDITS, ids=[c for c, _ in COLUMN_EDITS])
def test_an_edited_column_of_a_revoke_decides_nothing_even_without_fetch(world: LedgerTeam, column: str,
                                                                       value: object) -> None:
    ci, revoke = _approved_then_revoked(world)
    ci.tamper(f"UPDATE events SET {column} = ? WHERE id = ?", [value, revoke.id])
    code, result, _ = ci.gate(fetch=False)
    assert code == 1, result
    assert (ALICE, "withdrawn") in reasons(result)  # the payload says revoke, by alice, about this change
    tampered = [r for r in result["rejected"] if r["reason"] == "tampered row"]
    assert [r["event"] for r in tampered] == [revoke.id] and column in tampered[0]["detail"]


@pytest.mark.parametrize("column,value", COLUMN_EDITS, ids=[c for c, _ in COLUMN_EDITS])
def test_fetch_replaces_a_row_that_disagrees_with_its_ref(world: LedgerTeam, column: str, value: object) -> None:
    ci, revoke = _approved_then_revoked(world)
    ci.tamper(f"UPDATE events SET {column} = ? WHERE id = ?", [value, revoke.id])
    code, result, _ = ci.gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert any(f"local row {revoke.id} disagrees" in p and column in p and "replaced" in p
               for p in result["ledger_problems"]), result["ledger_problems"]
    code, result, _ = ci.gate()  # repaired: the row now says what its payload says
    assert code == 1 and "tampered row" not in [r for _, r in reasons(result)] and result["ledger_problems"] == []


def test_a_deleted_tail_is_restored_by_fetch(world: LedgerTeam) -> None:
    """The revoke is alice's last event, so no successor names it: only the ledger can tell."""
    ci, revoke = _approved_then_revoked(world)
    ci.tamper("DELETE FROM events WHERE id = ?", [revoke.id])
    assert revoke.id not in ci.ids()
    code, result, _ = ci.gate()  # the ref's tip has not moved: it is read again all the same
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert revoke.id in ci.ids()


def test_a_tail_deleted_with_its_remembered_tip_and_quarantine_is_restored(world: LedgerTeam) -> None:
    """Also wiping what the database remembers of the refs changes nothing: fetch does not rely on it."""
    ci, revoke = _approved_then_revoked(world)
    ci.tamper("DELETE FROM events WHERE id = ?", [revoke.id])
    ci.tamper("DELETE FROM sync_refs")
    code, result, _ = ci.gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result) and revoke.id in ci.ids()


@pytest.mark.parametrize("fetch", [False, True], ids=["local", "fetch"])
def test_an_edited_id_column_hides_nothing(world: LedgerTeam, fetch: bool) -> None:
    ci, revoke = _approved_then_revoked(world)
    ci.tamper("UPDATE events SET id = ? WHERE id = ?", ["sha256:" + "d" * 64, revoke.id])
    code, result, _ = ci.gate(fetch=fetch)
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)


@pytest.mark.parametrize("fetch", [False, True], ids=["local", "fetch"])
def test_a_corrupted_signature_on_a_revoke_still_withdraws(world: LedgerTeam, fetch: bool) -> None:
    """Making the revoke fail verification must not bring the approval back: a withdrawal is never ignored
    (and with --fetch the row is replaced by the ref's genuine one)."""
    ci, revoke = _approved_then_revoked(world)
    ci.tamper("UPDATE events SET signature = ? WHERE id = ?",
              [revoke.signature.replace(revoke.signature.splitlines()[2], "A" * 70), revoke.id])
    code, result, _ = ci.gate(fetch=fetch)
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    if fetch:
        assert any(f"local row {revoke.id} disagrees" in p and "signature" in p for p in result["ledger_problems"])


def test_a_revoke_row_whose_payload_was_swapped_for_the_approval_is_repaired_by_fetch(world: LedgerTeam) -> None:
    alice = world.workstation("alice", ALICE)
    approval = world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    ci = CachedCi(world)
    assert ci.gate()[0] == 1
    ci.tamper("UPDATE events SET payload = ?, signature = ?, type = 'approve', created_at = ? WHERE id = ?",
              [approval.payload, approval.signature, APPROVED_AT, revoke.id])
    code, result, _ = ci.gate(fetch=False)
    assert code == 1 and (ALICE, "tampered row") in reasons(result)  # a row whose id is not its payload's hash
    code, result, _ = ci.gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert any(f"local row {revoke.id} disagrees" in p and "payload" in p for p in result["ledger_problems"])


def test_a_row_inserted_with_a_payload_for_another_change_does_not_count(world: LedgerTeam) -> None:
    """bob really approved another change; his signed approval is filed under this one by hand."""
    bob = world.workstation("bob", "bob@example.com")
    elsewhere = world.decide(bob, "approve", APPROVED_AT, change_id=other_change(world, "elsewhere"))
    world.publish(bob)
    ci = CachedCi(world)
    code, _, _ = ci.gate()
    assert code == 1
    # The gate fetches only what names this change; a reviewer's machine that synced holds bob's other approval.
    run_sync(store.open_db(ci.db), ci.repo, publish=False)
    for event_id_column in (elsewhere.id, "sha256:" + "b" * 64):
        if event_id_column == elsewhere.id:
            ci.tamper("UPDATE events SET change_id = ? WHERE id = ?", [world.change_id, elsewhere.id])
        else:
            ci.tamper("INSERT INTO events (id, type, change_id, principal, fingerprint, created_at, prev, payload, "
                      "signature, origin, pushed, imported_at) SELECT ?, type, ?, principal, fingerprint, created_at, "
                      "prev, payload, signature, 'sync', 1, imported_at FROM events WHERE id = ?",
                      [event_id_column, world.change_id, elsewhere.id])
        for fetch in (False, True):
            code, result, _ = ci.gate(fetch=fetch)
            assert code == 1, (event_id_column, fetch, result)
            assert ("bob@example.com", "other change id") in reasons(result) or fetch
            assert not any(req["approvers"] for req in result["requirements"])


def test_a_row_given_the_deleted_revokes_id_cannot_fill_the_hole(world: LedgerTeam) -> None:
    """The revoke in the middle of alice's chain is deleted, and a copy of another of her events is filed
    under the revoke's id: ids are computed from payloads, so the hole still shows (and --fetch puts the
    revoke back)."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    following = world.decide(alice, "approve", "2026-11-29T12:00:00Z", change_id=other_change(world, "next"))
    world.publish(alice)
    ci = CachedCi(world)
    assert ci.gate()[0] == 1
    ci.tamper("DELETE FROM events WHERE id = ?", [revoke.id])
    ci.tamper("INSERT INTO events SELECT ?, type, change_id, principal, fingerprint, created_at, prev, payload, "
              "signature, origin, pushed, imported_at FROM events WHERE id = ?", [revoke.id, following.id])
    code, result, _ = ci.gate(fetch=False)
    assert code == 1 and reasons(result) == [(ALICE, "broken chain")]
    code, result, _ = ci.gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)


# --- import trust from the base, never from the head under review -----------------------------------

def _trust_change(world: LedgerTeam, allowed_signers: str) -> tuple[str, str]:
    """A branch ``trust`` whose head rewrites allowed_signers; returns (its change id, its head)."""
    seed = world.team.seed
    seed.git("checkout", "-q", "-b", "trust", "main")
    seed.write(".reviewer/allowed_signers", allowed_signers, dedent=False)
    head = seed.commit("Rotate reviewer keys")
    seed.git("checkout", "-q", "main")
    seed.git("push", "-q", "origin", "trust")
    return change_id_of(load_git_range(seed.path, "main..trust")), head


def _acks(world: LedgerTeam) -> list[str]:
    change = load_git_range(world.team.seed.path, "main..trust")
    return blocking_findings(analyze(change, Workspace(world.team.seed.path, revision="main")).to_dict())


def test_a_head_that_narrows_a_signers_validity_cannot_keep_her_revoke_out(world: LedgerTeam,
                                                                           identities: dict[str, Identity]) -> None:
    """The head limits alice's key to before her revoke: imported with the head's trust, the revoke was
    set aside and her approval (valid at the base) counted."""
    people = [identities[e] for e in ("alice@example.com", "bob@example.com", "carol@example.com")]
    narrowed = allowed_signers_text(people).replace(
        f'{ALICE} namespaces="reviewer-app"', f'{ALICE} namespaces="reviewer-app",valid-before="20261129103000Z"')
    change, _ = _trust_change(world, narrowed)
    alice = world.workstation("alice", ALICE)
    acks = _acks(world)
    from reviewer_app.core.approvals import events

    signer = identities[ALICE].signer()
    events.create_event(alice.db, signer, "approve", change, {"acks": acks, "comment": "ok", "risk_level": "critical",
                                                              "rule_pack": "sha256:test"}, clock=lambda: APPROVED_AT)
    revoke = events.create_event(alice.db, signer, "revoke", change, {"comment": "no"}, clock=lambda: WITHDRAWN_AT)
    world.publish(alice)
    code, result, err = world.fresh_ci_gate(checkout="origin/trust", spec=f"{BASE}..HEAD")
    assert code == 1, (result, err)
    assert (ALICE, "withdrawn") in reasons(result)
    assert not any(revoke.id in p for p in result["ledger_problems"])  # not set aside: the base trusts it


def test_a_key_the_head_adds_imports_nothing_and_counts_for_nothing(world: LedgerTeam,
                                                                   identities: dict[str, Identity]) -> None:
    """The head lists mallory's key for carol; mallory signs as carol and pushes to carol's ref."""
    people = [identities[e] for e in ("alice@example.com", "bob@example.com", "carol@example.com")]
    mallory = identities["mallory@example.com"]
    widened = allowed_signers_text(people) + f'carol@example.com namespaces="reviewer-app" {mallory.public_line}\n'
    change, _ = _trust_change(world, widened)
    forger = world.workstation("mallory", "mallory@example.com")
    from reviewer_app.core.approvals import events
    from reviewer_app.core.signing import keys

    forged = events.create_event(forger.db, keys.file_signer(mallory.key, "carol@example.com"), "approve", change,
                                 {"acks": _acks(world), "comment": "lgtm", "risk_level": "critical",
                                  "rule_pack": "sha256:test"}, clock=lambda: APPROVED_AT)
    forger.clone.git("config", "user.email", "carol@example.com")
    from reviewer_app.core.sync import run_sync

    run_sync(forger.db, forger.clone.path)  # lands on refs/reviewer-app/events/carol@example.com
    repo = world.ci_clone(checkout="origin/trust")
    db = repo.parent / "ci.db"
    code, result, _ = world.gate(repo, db, spec=f"{BASE}..HEAD")
    assert code == 1
    assert not any(req["approvers"] for req in result["requirements"])
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM events WHERE id = ?", [forged.id]).fetchone()[0] == 0
        reason = conn.execute("SELECT reason FROM quarantine WHERE id = ?", [forged.id]).fetchone()
    finally:
        conn.close()
    assert reason and "unknown principal" in reason[0]
    assert any(forged.id in p and "set aside" in p for p in result["ledger_problems"])


def test_a_revoke_dated_in_the_future_still_withdraws(world: LedgerTeam) -> None:
    """A future date is refused so that an approval cannot outlive a later revoke; a withdrawal gains
    nothing by its date, so a skewed clock on the revoking machine must not bring the approval back."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", "2099-01-01T00:00:00Z")
    world.publish(alice)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert (revoke.id, "key not valid at signing time") in [(r["event"], r["reason"]) for r in result["rejected"]]
