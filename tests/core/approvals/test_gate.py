"""The gate, table-driven: every way an approval can be bad is refused with its reason; the right set passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.analysis import analyze
from reviewer_app.core.approvals.events import SignedEvent
from reviewer_app.core.approvals.gate import blocking_findings, run_gate
from reviewer_app.core.ingest import load_changes
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError

from .team import SIGNED_AT, Team, make_team

RANGE = "git:main..feature"


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    return make_team(tmp_path_factory.mktemp("team"))


@pytest.fixture(scope="module")
def analysis(team: Team) -> dict[str, Any]:
    change = load_changes(RANGE, team.repo.path)[0]
    return analyze(change, Workspace(team.repo.path, revision=team.base)).to_dict()


def approve(db: Any, team: Team, name: str, change_id: str, acks: list[str], namespace: str = "reviewer-app",
            at: str = SIGNED_AT) -> SignedEvent:
    fields = {"rule_pack": "sha256:x", "risk_level": "critical", "acks": acks, "comment": f"{name} ok"}
    return events.create_event(db, team.signer(name, namespace), "approve", change_id, fields, clock=lambda: at)


def insert_raw(db: Any, event: SignedEvent, filed_under: str) -> None:
    """Write a row the way a tampering hand (or a broken importer) would: no checks at all."""
    data = json.loads(event.payload) if event.payload.startswith("{") else {}
    db.execute("INSERT INTO events (id, type, change_id, principal, fingerprint, created_at, prev, payload, signature, "
               "origin, pushed, imported_at) VALUES (?, 'approve', ?, ?, ?, ?, NULL, ?, ?, 'sync', 1, ?)",
               [event.id, filed_under, data.get("principal", "x@example.com"), data.get("key", "SHA256:x"),
                data.get("created_at", SIGNED_AT), event.payload, event.signature, SIGNED_AT])
    db.conn.commit()


def test_the_change_is_risky_and_needs_two_seniors(team: Team, analysis: dict[str, Any], tmp_path: Path) -> None:
    assert analysis["risk"]["level"] in ("high", "critical")
    assert blocking_findings(analysis), "the fixture change must carry a finding to acknowledge"
    report = run_gate(store.open_db(tmp_path / "db"), team.repo.path, RANGE)
    assert not report.approved and report.base == team.base
    (verdict,) = report.verdicts
    assert verdict.change_id == analysis["change_id"]
    assert [(r.rule, r.needed, r.have) for r in verdict.requirements] == [("High blast radius", 2, 0)]


def test_the_right_set_of_approvals_passes(team: Team, analysis: dict[str, Any], tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "db")
    acks = blocking_findings(analysis)
    approve(db, team, "alice", analysis["change_id"], acks)
    approve(db, team, "bob", analysis["change_id"], acks)
    report = run_gate(db, team.repo.path, RANGE)
    assert report.approved, report.to_dict()
    assert report.verdicts[0].requirements[0].approvers == ["alice@example.com", "bob@example.com"]
    assert report.verdicts[0].rejected == []
    out = report.to_dict()
    assert out["approved"] is True and out["analysis"]["risk_level"] == analysis["risk"]["level"]
    assert out["requirements"][0] == {"rule": "High blast radius", "needed": 2, "min_level": "senior",
                                      "owner_of_affected": False, "have": 2, "met": True,
                                      "approvers": ["alice@example.com", "bob@example.com"]}


def _tampered(db: Any, scratch: Any, team: Team, cid: str, acks: list[str]) -> str:
    good = approve(scratch, team, "bob", cid, acks)
    payload = good.payload.replace("bob ok", "bob OK!")
    return _raw(db, SignedEvent(events.event_id(payload), payload, good.signature), cid)


def _swapped(db: Any, scratch: Any, team: Team, cid: str, acks: list[str]) -> str:
    bob = approve(scratch, team, "bob", cid, acks)
    alice_sig = approve(scratch, team, "alice", cid, acks, at="2026-11-29T09:00:00Z").signature
    return _raw(db, SignedEvent(bob.id, bob.payload, alice_sig), cid)


def _replayed(db: Any, scratch: Any, team: Team, cid: str, acks: list[str]) -> str:
    elsewhere = approve(scratch, team, "bob", "sha256:" + "e" * 64, acks)
    return _raw(db, elsewhere, cid)


def _raw(db: Any, event: SignedEvent, cid: str) -> str:
    insert_raw(db, event, cid)
    return event.id


def _signed(name: str, namespace: str = "reviewer-app", acked: bool = True) -> "BadApproval":
    return lambda db, scratch, t, c, a: approve(db, t, name, c, a if acked else [], namespace=namespace).id


# The database the gate judges, a scratch one for events carried over by hand, the team, the change, the acks.
BadApproval = Callable[[Any, Any, Team, str, list[str]], str]
CASES: dict[str, tuple[BadApproval, str, str]] = {
    # name: (how the second approval is made, its principal, the reason the gate gives)
    "tampered payload": (_tampered, "bob@example.com", "bad signature"),
    "swapped signature": (_swapped, "bob@example.com", "bad signature"),
    "wrong namespace": (_signed("bob", namespace="git"), "bob@example.com", "wrong namespace"),
    "unknown principal": (_signed("mallory"), "mallory@example.com", "unknown principal"),
    "expired valid-before": (_signed("carol"), "carol@example.com", "key not valid at signing time"),
    "revoked key": (_signed("eve"), "eve@example.com", "revoked"),
    "self-approval": (_signed("dana"), "dana@example.com", "author or co-author"),
    "agent's approval": (_signed("bot"), "bot@example.com", "agent"),
    "level too low": (_signed("mike"), "mike@example.com", "level too low"),
    "replayed onto another change": (_replayed, "bob@example.com", "other change id"),
    "findings not acknowledged": (_signed("bob", acked=False), "bob@example.com", "unacknowledged findings"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_bad_approval_is_refused_with_its_reason(case: str, team: Team, analysis: dict[str, Any], tmp_path: Path) -> None:
    make_bad, principal, reason = CASES[case]
    db, scratch = store.open_db(tmp_path / "db"), store.open_db(tmp_path / "scratch.db")
    cid, acks = analysis["change_id"], blocking_findings(analysis)
    approve(db, team, "alice", cid, acks)  # one good approval; the bad one would have been the second
    bad_id = make_bad(db, scratch, team, cid, acks)
    report = run_gate(db, team.repo.path, RANGE)
    verdict = report.verdicts[0]
    assert not report.approved
    assert verdict.requirements[0].approvers == ["alice@example.com"]
    refusals = [(r.event, r.principal, r.reason) for r in verdict.rejected]
    assert refusals == [(bad_id, principal, reason)], [r.to_dict() for r in verdict.rejected]
    assert verdict.rejected[0].detail


def test_an_approval_of_other_content_does_not_count(team: Team, analysis: dict[str, Any], tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "db")
    acks = blocking_findings(analysis)
    approve(db, team, "alice", analysis["change_id"], acks)
    approve(db, team, "bob", analysis["change_id"], acks)
    # one more byte on the branch: a different change id, and the approvals stay with the old one
    team.repo.git("checkout", "-q", "feature")
    team.repo.write("app/cleanup.py", "# one more line\n" + "import os\n")
    team.repo.commit("tweak", author=("Dana Dev", "dana@example.com"))
    try:
        report = run_gate(db, team.repo.path, RANGE)
    finally:
        team.repo.git("reset", "-q", "--hard", team.head)
        team.repo.git("checkout", "-q", "main")
    assert report.verdicts[0].change_id != analysis["change_id"]
    assert not report.approved
    assert all(r.have == 0 for r in report.verdicts[0].requirements)


def test_later_reject_or_revoke_withdraws_an_approval(team: Team, analysis: dict[str, Any], tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "db")
    cid, acks = analysis["change_id"], blocking_findings(analysis)
    approve(db, team, "alice", cid, acks)
    first_bob = approve(db, team, "bob", cid, acks)
    assert run_gate(db, team.repo.path, RANGE).approved
    events.create_event(db, team.signer("bob"), "revoke", cid, {"comment": "wait"}, clock=lambda: "2026-11-29T10:05:00Z")
    report = run_gate(db, team.repo.path, RANGE)
    assert not report.approved
    assert [(r.event, r.reason) for r in report.verdicts[0].rejected] == [(first_bob.id, "withdrawn")]
    approve(db, team, "bob", cid, acks, at="2026-11-29T10:06:00Z")  # approving again restores it
    assert run_gate(db, team.repo.path, RANGE).approved
    events.create_event(db, team.signer("alice"), "reject", cid, {"comment": "no"}, clock=lambda: "2026-11-29T10:07:00Z")
    assert not run_gate(db, team.repo.path, RANGE).approved


def test_same_second_decisions_follow_the_signers_chain(team: Team, analysis: dict[str, Any], tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "db")
    cid, acks = analysis["change_id"], blocking_findings(analysis)
    approve(db, team, "alice", cid, acks)
    approve(db, team, "bob", cid, acks)
    events.create_event(db, team.signer("bob"), "revoke", cid, {"comment": ""}, clock=lambda: SIGNED_AT)
    assert not run_gate(db, team.repo.path, RANGE).approved


def test_policy_comes_from_the_base_never_the_head(team: Team, analysis: dict[str, Any], tmp_path: Path) -> None:
    repo = team.repo
    repo.git("checkout", "-q", "-b", "sneaky", "feature")
    repo.write(".reviewer/policy.toml", "[defaults]\napprovals = 0\n")
    repo.commit("relax the policy", author=("Dana Dev", "dana@example.com"))
    try:
        report = run_gate(store.open_db(tmp_path / "db"), repo.path, "git:main..sneaky")
        explicit = run_gate(store.open_db(tmp_path / "db2"), repo.path, "git:main..sneaky", base="main")
    finally:
        repo.git("checkout", "-q", "main")
        repo.git("branch", "-q", "-D", "sneaky")
    for verdict in (report.verdicts[0], explicit.verdicts[0]):
        assert verdict.summary["touches_config"] and verdict.summary["judged_as"] == "critical"
        assert [(r.rule, r.needed) for r in verdict.requirements] == [("High blast radius", 2)]
    assert not report.approved


def test_missing_or_invalid_policy_fails_closed(team: Team, tmp_path: Path) -> None:
    repo = team.repo
    repo.git("checkout", "-q", "-b", "nopolicy", "main")
    repo.git("rm", "-q", ".reviewer/policy.toml")
    without = repo.commit("drop policy", author=("Alice", "alice@example.com"))
    repo.write(".reviewer/policy.toml", '[defaults]\nmin_level = "boss"\n')
    broken = repo.commit("broken policy", author=("Alice", "alice@example.com"))
    repo.git("checkout", "-q", "main")
    try:
        db = store.open_db(tmp_path / "db")
        with pytest.raises(UserError, match=rf"^\.reviewer/policy\.toml@{without}: no approval policy"):
            run_gate(db, repo.path, RANGE, base=without)
        with pytest.raises(UserError, match=rf"^\.reviewer/policy\.toml@{broken}: defaults\.min_level: must be one of"):
            run_gate(db, repo.path, RANGE, base=broken)
        with pytest.raises(UserError, match="not a commit"):
            run_gate(db, repo.path, RANGE, base="no-such-branch")
    finally:
        repo.git("branch", "-q", "-D", "nopolicy")
