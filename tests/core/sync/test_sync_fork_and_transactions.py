"""A fork synced in any row order reads as a fork; index writes join the caller's transaction."""

from __future__ import annotations

import pytest

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.analysis import submit_change
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.sync import run_sync
from reviewer_app.core.sync.dbtx import insert_events, transaction
from reviewer_app.core.workspace import Workspace
from tests.core.sync.conftest import Team, Workstation

CHANGE = "sha256:" + "e" * 64
SAME_SECOND = "2026-11-29T10:00:00Z"


def _sign_same_second(station: Workstation, count: int) -> list[events.SignedEvent]:
    assert station.identity is not None
    signer = station.identity.signer()
    return [events.create_event(station.db, signer, "reject", CHANGE, {"comment": f"{station.name} {n}"},
                                clock=lambda: SAME_SECOND) for n in range(count)]


def test_a_fork_imported_in_any_row_order_is_a_fork_not_tampering(team: Team) -> None:
    """alice signs on two machines between syncs, many events in one second; the importer inserts
    them in ledger (id) order, not chain order, and the chain still reads as a fork."""
    desktop = team.workstation("desktop", "alice@example.com")
    laptop = team.workstation("laptop", "alice@example.com")
    from_desktop = _sign_same_second(desktop, 7)
    from_laptop = _sign_same_second(laptop, 2)
    assert run_sync(desktop.db, desktop.clone.path).pushed_events == 7
    report = run_sync(laptop.db, laptop.clone.path)
    assert report.imported.events_imported == 7
    # The premise: the rows of desktop's events are not in chain order (7 ids in chain order: 1 in 5,040).
    wanted = {event.id for event in from_desktop}
    row_order = [row[0] for row in laptop.db.execute("SELECT id FROM events ORDER BY rowid") if row[0] in wanted]
    assert row_order != [event.id for event in from_desktop]
    assert report.problems == [], report.problems
    assert any("chain fork" in warning for warning in report.imported.warnings)

    chain = events.events_of_principal(laptop.db, "alice@example.com")
    position = {event.id: index for index, event in enumerate(chain)}
    assert len(chain) == 9 and all(e.prev is None or position[e.prev] < position[e.id] for e in chain)
    problems = events.check_chain(chain)
    assert not any("reordered" in p or "missing" in p for p in problems), problems
    assert sum(p.startswith("fork: ") for p in problems) == 1  # both machines started a chain: two roots
    # Both branches travel back: the desktop sees the same union, with no problem either.
    run_sync(laptop.db, laptop.clone.path)
    back = run_sync(desktop.db, desktop.clone.path)
    assert back.imported.events_imported == 2 and back.problems == []
    assert events.events_of_principal(desktop.db, "alice@example.com") == chain
    assert {e.id for e in chain} == {e.id for e in [*from_desktop, *from_laptop]}


def test_index_writes_join_the_callers_transaction(team: Team) -> None:
    """insert_events and save_change (the importer's writes) are rolled back with the caller's
    transaction; ``with db.conn:`` in autocommit mode would have committed it half-way."""
    alice = team.workstation("alice", "alice@example.com")
    source = team.workstation("source", "alice@example.com")
    signed = _sign_same_second(source, 3)
    clone = alice.clone
    clone.git("checkout", "-q", "-b", "feature")
    clone.write("app/main.py", "print('bye')\n")
    clone.commit("Say goodbye")
    [change] = parse_patch(clone.format_patch(), "feature.patch")
    clone.git("checkout", "-q", "main")

    with pytest.raises(RuntimeError, match="interrupted"):
        with transaction(alice.db):
            assert insert_events(alice.db, signed, origin="sync", pushed=True) == 3
            _, created = submit_change(alice.db, change, Workspace(clone.path))
            assert created and alice.db.conn.in_transaction
            raise RuntimeError("interrupted")
    assert alice.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert store.list_changes(alice.db) == []

    with transaction(alice.db):
        assert insert_events(alice.db, signed, origin="sync", pushed=True) == 3
        change_id, created = submit_change(alice.db, change, Workspace(clone.path))
    assert created and [row["change_id"] for row in store.list_changes(alice.db)] == [change_id]
    assert insert_events(alice.db, signed, origin="sync", pushed=True) == 0  # outside a transaction: its own
    assert events.events_of_principal(alice.db, "alice@example.com") == signed
