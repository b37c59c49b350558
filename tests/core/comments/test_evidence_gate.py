"""The gate counts an approval for a rule that requires evidence of review only when the signed evidence holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reviewer_app.core import evidence
from reviewer_app.core.approvals import events, gate
from reviewer_app.core.signing.allowed_signers import TrustStore
from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.approvals.policy import parse_policy
from reviewer_app.core.workspace import Workspace
from reviewer_app.core import store
from reviewer_app.errors import UserError
from tests.core.approvals.team import Team, make_team

POLICY = """\
[people."alice@example.com"]
level = "senior"
[people."bob@example.com"]
level = "senior"

[defaults]
approvals = 1
min_level = "senior"

[[rules]]
name = "Read it in the app"
when = { risk_at_least = "low" }
require = { approvals = 1, min_level = "senior", min_coverage = 1.0, max_lines_per_hour = 500, client = "gui" }

[[rules]]
name = "Anyone senior"
when = { risk_at_least = "low" }
require = { approvals = 1, min_level = "senior" }
"""


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    return make_team(tmp_path_factory.mktemp("team"))


@pytest.fixture
def world(team: Team, tmp_path: Path) -> tuple[Any, dict[str, Any], TrustStore]:
    db = store.open_db(tmp_path / "gate.db")
    workspace = Workspace(team.repo.path, revision=team.base)
    analysis = analyze(load_git_range(team.repo.path, "main..feature"), workspace).to_dict()
    return db, analysis, TrustStore.load(workspace)


def gui(seen: int, changed: int, seconds: int, viewed: int = 1) -> dict[str, Any]:
    return {"files_viewed": viewed, "files_total": 1, "lines_seen": seen, "lines_changed": changed,
            "active_seconds": seconds, "client": "gui"}


def approve(team: Team, db: Any, analysis: dict[str, Any], review: dict[str, Any] | None, who: str = "alice") -> None:
    fields: dict[str, Any] = {"acks": gate.blocking_findings(analysis), "comment": "", "risk_level": "high",
                              "rule_pack": analysis["risk"]["rule_pack"]}
    if review is not None:
        fields["evidence"] = review
    events.create_event(db, team.signer(who), "approve", analysis["change_id"], fields)


def verdict(db: Any, analysis: dict[str, Any], trust: TrustStore) -> dict[str, dict[str, Any]]:
    result = gate.judge(db, analysis, parse_policy(POLICY, "policy.toml"), trust)
    return {r.rule: r.to_dict() for r in result.requirements}


def test_a_careful_review_in_the_app_counts_for_both_rules(team: Team, world) -> None:  # type: ignore[no-untyped-def]
    db, analysis, trust = world
    changed = evidence.changed_lines(analysis)
    assert changed == 5
    approve(team, db, analysis, gui(seen=5, changed=5, seconds=40))  # 450 lines per hour
    rules = verdict(db, analysis, trust)
    assert rules["Read it in the app"]["met"] and rules["Anyone senior"]["met"]
    assert rules["Read it in the app"]["evidence"] == {"client": "gui", "max_lines_per_hour": 500, "min_coverage": 1.0}


@pytest.mark.parametrize("review, words", [
    (gui(seen=4, changed=5, seconds=600), "alice@example.com saw 4 of 5 changed lines (80%); the rule needs 100%"),
    (gui(seen=5, changed=5, seconds=10),
     "alice@example.com approved 5 changed lines after 10 s of review (1,800 lines per hour; the rule allows 500)"),
    ({**evidence.cli_evidence({"added": 5, "files": [{}]})},
     "alice@example.com signed from the command line (cli); the rule requires a review in the desktop app (gui)"),
    (None, "alice@example.com's approval carries no evidence of review"),
])
def test_coverage_rate_client_and_missing_evidence_fail_the_evidence_rule_only(  # type: ignore[no-untyped-def]
        team: Team, world, review, words) -> None:
    db, analysis, trust = world
    approve(team, db, analysis, review)
    rules = verdict(db, analysis, trust)
    assert rules["Anyone senior"]["met"] and rules["Anyone senior"]["approvers"] == ["alice@example.com"]
    evidence_rule = rules["Read it in the app"]
    assert not evidence_rule["met"] and evidence_rule["approvers"] == []
    assert evidence_rule["evidence_shortfalls"] and evidence_rule["evidence_shortfalls"][0].startswith(words)
    report = gate.GateReport("0" * 40, [gate.judge(db, analysis, parse_policy(POLICY, "policy.toml"), trust)])
    assert f"not counted here: {words}" in gate.render_text(report)


def test_a_claim_about_fewer_lines_is_judged_against_the_real_change(team: Team, world) -> None:  # type: ignore[no-untyped-def]
    db, analysis, trust = world
    approve(team, db, analysis, gui(seen=1, changed=1, seconds=10))  # 1 line in 10 s: 360/h as claimed
    rules = verdict(db, analysis, trust)
    assert not rules["Read it in the app"]["met"]
    assert "saw 1 of 5 changed lines" in rules["Read it in the app"]["evidence_shortfalls"][0]


def test_the_reason_reads_like_the_issue_says() -> None:
    review = {"files_viewed": 9, "files_total": 9, "lines_seen": 1900, "lines_changed": 1900, "active_seconds": 40,
              "client": "gui"}
    assert evidence.shortfall("alice", review, 1900, min_coverage=None, max_lines_per_hour=500, client=None) == \
        "alice approved 1,900 changed lines after 40 s of review (171,000 lines per hour; the rule allows 500)"
    assert evidence.shortfall("alice", review, 1900, min_coverage=1.0, max_lines_per_hour=None, client="gui") is None
    assert evidence.audit_flags(review, 1900) == ["171,000 lines per hour (over 500)"]


@pytest.mark.parametrize("bad, words", [
    ({"client": "gui"}, "must be an object with exactly"),
    ({**gui(1, 5, 10), "client": "phone"}, "client must be one of"),
    ({**gui(6, 5, 10)}, "lines_seen must not exceed lines_changed"),
    ({**gui(1, 5, 10), "active_seconds": True}, "active_seconds must be a whole number"),
    ({**gui(1, 5, 10), "client": "cli"}, "files_viewed must be null for a decision signed at the command line"),
])
def test_malformed_evidence_is_refused_before_signing(team: Team, world, bad, words) -> None:  # type: ignore[no-untyped-def]
    db, analysis, _ = world
    with pytest.raises(UserError, match=words):
        approve(team, db, analysis, bad)


@pytest.mark.parametrize("require, words", [
    ("min_coverage = 1.5", "min_coverage: must be a share from 0 to 1"),
    ("max_lines_per_hour = 0", "max_lines_per_hour: must be a whole number >= 1"),
    ('client = "cli"', 'client: must be "gui"'),
])
def test_policy_evidence_requirements_are_checked(require: str, words: str) -> None:
    text = f'[[rules]]\nname = "x"\nrequire = {{ approvals = 1, {require} }}\n'
    with pytest.raises(UserError, match=words):
        parse_policy(text, "policy.toml")
