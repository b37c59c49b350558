"""The demo's review queue: real analysis of real git ranges, stored in a real SQLite file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.demo import DemoResult, build_demo
from reviewer_app.core.approvals.gate import run_gate

BENIGN = {"maya/checkout-readme-port", "nora/search-pagination-test", "omar/login-session-digest",
          "leo/checkout-order-docstring"}
# The rule each dangerous change is shaped to trip (ids of the built-in pack, resources/rules/).
EXPECTED_RULES = {
    "copilot/recreate-staging": {"OPS-IAC-DESTRUCTIVE-COMMAND", "INFRA-TF-PREVENT-DESTROY-OFF"},
    "aiko/cost-explorer-access": {"IAM-ADMIN-WILDCARD"},
    "leo/pause-checkout": {"K8S-SCALE-TO-ZERO"},
    "priya/drop-legacy-amount": {"DB-DROP-COLUMN"},
    "ravi/simplify-gateway-client": {"RESILIENCE-REMOVED"},
    "nora/skip-flaky-cart-tests": {"TEST-DISABLED-OR-DELETED"},
    "aiko/ci-unblock": {"CI-CHECK-BYPASS"},
    "priya/runbook-replica-disk": {"OPS-RM-RF"},
    "leo/cost-explorer-local-creds": {"SECRET-AWS-ACCESS-KEY"},
    "ravi/search-reindex-deploy-key": {"SECRET-PRIVATE-KEY"},
    "jonas/passkeys-for-everyone": {"ROLLOUT-FLAG-TO-100"},
}
EXPECTED_TOOLS = {
    "copilot/recreate-staging": "GitHub Copilot",
    "aiko/cost-explorer-access": "Claude Code",
    "leo/pause-checkout": "Cursor",
    "priya/drop-legacy-amount": "Aider",
}


@dataclass
class Built:
    result: DemoResult
    db_path: Path

    def analysis(self, branch: str) -> dict:
        db = store.open_db(self.db_path)
        try:
            found = store.get_analysis(db, self.result.change_ids[self.result.branches.index(branch)])
        finally:
            db.close()
        assert found is not None
        return found


def build(folder: Path) -> Built:
    db_path = folder / "reviewer.db"
    db = store.open_db(db_path)
    try:
        result = build_demo(folder / "shop", db)
    finally:
        db.close()
    return Built(result, db_path)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("demo"))


def pack_rule_ids() -> set[str]:
    ids: set[str] = set()
    for entry in (resources.files("reviewer_app.resources") / "rules").iterdir():
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            ids.update(rule["id"] for rule in data.get("rules", data.get("rule", [])) if "id" in rule)
    return ids


def test_queue_holds_every_change(built: Built) -> None:
    db = store.open_db(built.db_path)
    rows = store.list_changes(db)
    db.close()
    assert len(rows) == len(built.result.change_ids) >= 12
    assert {row["change_id"] for row in rows} == set(built.result.change_ids)
    assert built.result.newly_queued == len(rows)
    assert {row["workspace"] for row in rows} == {str(built.result.paths.repo)}


def test_most_changes_are_ai_assisted_with_the_right_tool(built: Built) -> None:
    assisted = [b for b in built.result.branches if built.analysis(b)["provenance"]["ai_assisted"]]
    assert len(assisted) > len(built.result.branches) * 2 // 3
    for branch, tool in EXPECTED_TOOLS.items():
        assert tool in built.analysis(branch)["provenance"]["tools"], branch
    assert not built.analysis("omar/login-session-digest")["provenance"]["ai_assisted"]


def test_dangerous_changes_get_their_findings(built: Built) -> None:
    for branch, rules in EXPECTED_RULES.items():
        risk = built.analysis(branch)["risk"]
        fired = {finding["rule"] for finding in risk["findings"]}
        assert rules <= fired, (branch, fired)
        assert risk["level"] in ("high", "critical"), branch
    # The expectations name rules of the built-in pack, not rules this test made up.
    assert set().union(*EXPECTED_RULES.values()) <= pack_rule_ids()


def test_benign_changes_have_no_findings(built: Built) -> None:
    assert len(BENIGN) >= 3
    for branch in BENIGN:
        risk = built.analysis(branch)["risk"]
        assert risk["findings"] == [], branch
        assert risk["level"] == "low", branch


def test_blast_radius_of_the_shared_pricing_library(built: Built) -> None:
    services = built.analysis("priya/round-discounts-down")["services"]
    assert [s["name"] for s in services["direct"]] == ["pricing-rules"]
    transitive = {s if isinstance(s, str) else s["name"] for s in services["transitive"]}
    assert {"checkout", "cart", "storefront"} <= transitive
    assert services["max_tier"] == 0
    assert services["warnings"] == []


def test_policy_requirements_follow_the_rules(built: Built) -> None:
    names = {r["rule"] for r in built.analysis("priya/drop-legacy-amount")["policy"]["requirements"]}
    assert "AI-assisted change by a junior or mid-level engineer" in names
    assert "High or critical risk" in names
    tier0 = built.analysis("omar/login-session-digest")["policy"]["requirements"]
    assert [r["rule"] for r in tier0] == ["Touches a tier-0 service"]


def test_recorded_approvals_are_judged_by_the_gate(built: Built) -> None:
    repo = built.result.paths.repo
    assert len(built.result.approval_ids) == 2
    db = store.open_db(built.db_path)
    try:
        approved = run_gate(db, repo, "git:main..omar/login-session-digest")
        half = run_gate(db, repo, "git:main..priya/drop-legacy-amount")
        untouched = run_gate(db, repo, "git:main..leo/checkout-order-docstring")
        stored = [e.id for e in events.all_events(db)]
    finally:
        db.close()
    assert approved.approved and approved.verdicts[0].rejected == []
    assert not half.approved
    assert any(r.met for r in half.verdicts[0].requirements)  # the senior of the AI rule is there
    assert not untouched.approved
    assert sorted(stored) == sorted(built.result.approval_ids)


def test_two_builds_give_the_same_change_and_event_ids(built: Built, tmp_path: Path) -> None:
    other = build(tmp_path)
    assert other.result.change_ids == built.result.change_ids
    assert other.result.approval_ids == built.result.approval_ids
    assert len(set(built.result.change_ids)) == len(built.result.change_ids)


def test_rebuilding_into_the_same_database_adds_nothing(tmp_path: Path) -> None:
    first = build(tmp_path)
    second = build(tmp_path)
    assert second.result.change_ids == first.result.change_ids
    assert second.result.newly_queued == 0
    db = store.open_db(first.db_path)
    try:
        assert len(store.list_changes(db)) == len(first.result.change_ids)
        assert len(list(events.all_events(db))) == len(first.result.approval_ids)
    finally:
        db.close()
