"""The Qt-free layer under the window: queue rows, statuses, stale analyses, review progress."""

from __future__ import annotations

import json

import pytest

from reviewer_app.core import store
from reviewer_app.errors import UserError
from reviewer_app.ui import backend
from reviewer_app.ui.approvals import KeyChoice, sign_decision
from tests.ui.reviewfixture import SENIORS


def sign(db_path, review_workspace, change_id: str, principal: str, decision: str = "approve") -> None:
    db = store.open_db(db_path)
    analysis = store.get_analysis(db, change_id)
    db.close()
    acks = [f["id"] for f in analysis["risk"]["findings"] if f["severity"] in ("high", "critical")]
    sign_decision(db_path, change_id, decision, acks, "looked at it" if decision == "reject" else "",
                  KeyChoice(str(review_workspace.keys[principal])), principal, None, analysis, review_workspace.repo)


def statuses(db_path, review_workspace, me: str) -> dict[str, tuple[str, str]]:
    rows = backend.load_queue(db_path, review_workspace.repo, me)
    return {row.change_id: (row.status, f"{row.approvals_have}/{row.approvals_need}") for row in rows}


def test_statuses_follow_signed_events(queued_db, review_workspace) -> None:
    db_path, (risky_id, docs_id) = queued_db
    sam, ria = SENIORS
    assert statuses(db_path, review_workspace, sam)[risky_id] == ("needs my review", "0/2")
    sign(db_path, review_workspace, risky_id, sam)
    assert statuses(db_path, review_workspace, sam)[risky_id] == ("waiting for others", "1/2")
    assert statuses(db_path, review_workspace, ria)[risky_id] == ("needs my review", "1/2")
    sign(db_path, review_workspace, risky_id, ria)
    assert statuses(db_path, review_workspace, ria)[risky_id] == ("approved", "2/2")
    sign(db_path, review_workspace, docs_id, ria, "reject")
    assert statuses(db_path, review_workspace, sam)[docs_id][0] == "rejected"


def test_queue_rows_carry_services_tier_and_tools(queued_db, review_workspace) -> None:
    db_path, (risky_id, docs_id) = queued_db
    rows = {row.change_id: row for row in backend.load_queue(db_path, review_workspace.repo, "")}
    risky = rows[risky_id]
    assert (risky.critical_service, risky.max_tier, risky.ai_tools) == ("orders-db", 0, ["Claude Code"])
    assert risky.services[0] == "orders-db" and "storefront" in risky.services
    assert "orders-db" in risky.search_text() and "claude code" in risky.search_text()
    assert rows[docs_id].services == [] and rows[docs_id].max_tier is None


def test_a_stale_analysis_is_recomputed_with_the_current_rules(queued_db, review_workspace) -> None:
    db_path, (risky_id, _) = queued_db
    db = store.open_db(db_path)
    stored = store.get_analysis(db, risky_id)
    current_pack = stored["risk"]["rule_pack"]
    stale = dict(stored, risk=dict(stored["risk"], rule_pack="sha256:" + "0" * 64, findings=[]))
    with db.conn:
        db.execute("UPDATE changes SET analysis = ? WHERE change_id = ?", [json.dumps(stale), risky_id])
    db.close()
    detail = backend.load_change_detail(db_path, risky_id, review_workspace.repo)
    assert detail.analysis["risk"]["rule_pack"] == current_pack
    assert {f["rule"] for f in detail.findings} >= {"DB-DROP-TABLE", "DB-MASS-DATA-CHANGE"}


def test_review_progress_round_trip(queued_db) -> None:
    db_path, (risky_id, _) = queued_db
    backend.set_viewed(db_path, risky_id, "a.py", True)
    backend.set_viewed(db_path, risky_id, "b.py", True)
    backend.set_viewed(db_path, risky_id, "a.py", False)
    db = store.open_db(db_path)
    assert backend.viewed_paths(db, risky_id) == {"b.py"}
    db.close()


def test_unknown_change_is_a_user_error(queued_db) -> None:
    with pytest.raises(UserError, match="no such change in the queue"):
        backend.load_change_detail(queued_db[0], "sha256:" + "f" * 64, None)


def test_a_broken_policy_fails_closed(queued_db, review_workspace, tmp_path) -> None:
    import shutil

    from tests.gitrepo import GitRepo

    copy = tmp_path / "copy"
    shutil.copytree(review_workspace.repo, copy)
    GitRepo(copy).write(".reviewer/policy.toml", "[defaults]\napprovals = -1\n", dedent=False)
    GitRepo(copy).commit("break the policy")
    db_path, (risky_id, _) = queued_db
    detail = backend.load_change_detail(db_path, risky_id, copy)
    assert detail.approval.error and "approvals" in detail.approval.error
    assert not detail.approval.satisfied
    row = next(r for r in backend.load_queue(db_path, copy, "") if r.change_id == risky_id)
    assert row.approvals_detail.startswith("policy error: .reviewer/policy.toml")


def test_my_own_change_waits_for_others(queued_db, review_workspace) -> None:
    db_path, (risky_id, docs_id) = queued_db
    assert statuses(db_path, review_workspace, "dana@example.com")[risky_id][0] == "waiting for others"
    assert statuses(db_path, review_workspace, "DANA@example.com")[docs_id][0] == "waiting for others"
