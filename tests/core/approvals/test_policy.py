"""Policy semantics, one bullet of docs/approvals.md per test, and errors that name the file and field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reviewer_app.core.approvals import policy as pol
from reviewer_app.core.approvals.policy import Approver
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError

POLICY = """
[people."alice@example.com"]
level = "senior"
teams = ["team-checkout"]
[people."bob@example.com"]
level = "senior"
teams = ["team-search"]
[people."carol@example.com"]
level = "principal"
teams = ["team-platform"]
[people."mike@example.com"]
level = "mid"
teams = ["team-checkout"]
[people."jun@example.com"]
level = "junior"
[people."bot@example.com"]
level = "agent"
teams = ["team-checkout"]

[defaults]
approvals = 1
min_level = "mid"

[[rules]]
name = "AI-assisted change by a junior or mid-level engineer"
when = { ai_assisted = true, author_level = ["junior", "mid"] }
require = { approvals = 1, min_level = "senior" }

[[rules]]
name = "High blast radius"
when = { risk_at_least = "high" }
require = { approvals = 2, min_level = "senior" }

[[rules]]
name = "Tier-0 service"
when = { tier_at_most = 0 }
require = { approvals = 1, min_level = "senior", owner_of_affected = true }
"""

BASE_ANALYSIS: dict[str, Any] = {
    "change_id": "sha256:" + "1" * 64,
    "author": {"name": "Jun", "email": "jun@example.com"},
    "co_authors": [],
    "provenance": {"ai_assisted": False, "tools": []},
    "paths": ["src/app.py"],
    "risk": {"level": "low", "score": 5, "findings": [], "rule_pack": "sha256:" + "2" * 64},
    "services": {"direct": [], "transitive": [], "owners": [], "max_tier": None},
}


@pytest.fixture
def policy() -> pol.Policy:
    return pol.parse_policy(POLICY, ".reviewer/policy.toml")


def analysis(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_ANALYSIS)
    for key, value in changes.items():
        data[key] = value
    return data


def approvals(*principals: str) -> list[Approver]:
    return [Approver(p, f"sha256:{i:064x}") for i, p in enumerate(principals)]


def rules_of(result: pol.Evaluation) -> list[str]:
    return [r.rule for r in result.requirements]


def test_defaults_apply_when_no_rule_matches(policy: pol.Policy) -> None:
    result = pol.evaluate(analysis(), policy, approvals("mike@example.com"))
    assert rules_of(result) == ["defaults"] and result.approved
    assert pol.requirements_for(analysis(), policy) == [
        {"rule": "defaults", "needed": 1, "min_level": "mid", "owner_of_affected": False}]
    assert not pol.evaluate(analysis(), policy, []).approved


def test_ai_rule_matches_junior_and_unknown_authors_only(policy: pol.Policy) -> None:
    ai = {"ai_assisted": True, "tools": ["claude"]}
    assert rules_of(pol.evaluate(analysis(provenance=ai), policy, [])) == ["AI-assisted change by a junior or mid-level engineer"]
    stranger = analysis(provenance=ai, author={"name": "X", "email": "new@example.com"})  # not in roster: junior
    assert rules_of(pol.evaluate(stranger, policy, [])) == ["AI-assisted change by a junior or mid-level engineer"]
    senior_author = analysis(provenance=ai, author={"name": "A", "email": "Alice@Example.com"})
    assert rules_of(pol.evaluate(senior_author, policy, [])) == ["defaults"]


def test_every_matching_rule_must_hold_on_its_own(policy: pol.Policy) -> None:
    change = analysis(provenance={"ai_assisted": True, "tools": []}, risk={**BASE_ANALYSIS["risk"], "level": "critical"})
    one = pol.evaluate(change, policy, approvals("alice@example.com"))
    assert [(r.rule, r.met) for r in one.requirements] == [
        ("AI-assisted change by a junior or mid-level engineer", True), ("High blast radius", False)]
    assert not one.approved
    assert pol.evaluate(change, policy, approvals("alice@example.com", "bob@example.com")).approved


def test_approvers_are_distinct_people(policy: pol.Policy) -> None:
    change = analysis(risk={**BASE_ANALYSIS["risk"], "level": "high"})
    twice = pol.evaluate(change, policy, approvals("alice@example.com", "ALICE@example.com"))
    assert twice.requirements[0].have == 1 and not twice.approved


def test_author_and_co_authors_never_count(policy: pol.Policy) -> None:
    change = analysis(author={"name": "A", "email": "alice@example.com"}, co_authors=["bob@example.com"],
                      risk={**BASE_ANALYSIS["risk"], "level": "high"})
    result = pol.evaluate(change, policy, approvals("alice@example.com", "bob@example.com", "carol@example.com"))
    assert result.requirements[0].approvers == ["carol@example.com"] and not result.approved
    assert [(a.principal, reason) for a, reason, _ in result.not_counted] == [
        ("alice@example.com", pol.AUTHOR), ("bob@example.com", pol.AUTHOR)]


def test_agents_never_count_and_levels_are_ranked(policy: pol.Policy) -> None:
    change = analysis(provenance={"ai_assisted": True, "tools": []})
    result = pol.evaluate(change, policy, approvals("bot@example.com", "mike@example.com", "nobody@example.com"))
    assert not result.approved
    reasons = {a.principal: reason for a, reason, _ in result.not_counted}
    assert reasons == {"bot@example.com": pol.AGENT_REASON, "mike@example.com": pol.LEVEL_TOO_LOW,
                       "nobody@example.com": pol.LEVEL_TOO_LOW}
    assert pol.evaluate(change, policy, approvals("carol@example.com")).approved  # principal >= senior


def test_owner_of_affected_uses_direct_and_transitive_owners(policy: pol.Policy) -> None:
    services = {"direct": [{"name": "search", "tier": 2, "owner": "group:default/team-search"}],
                "transitive": [{"name": "checkout", "tier": 0, "owner": "team-checkout"}],
                "owners": ["group:default/team-search"], "max_tier": 0}
    change = analysis(services=services, author={"name": "C", "email": "carol@example.com"})
    assert rules_of(pol.evaluate(change, policy, [])) == ["Tier-0 service"]
    outsider = pol.evaluate(change, policy, approvals("jun@example.com"))
    assert not outsider.approved
    not_owner = analysis(services={**services, "direct": [], "owners": [], "transitive": [{"name": "x", "tier": 0, "owner": "team-x"}]})
    result = pol.evaluate(not_owner, policy, approvals("carol@example.com"))
    assert not result.approved and result.not_counted[0][1] == pol.NOT_OWNER
    assert pol.evaluate(change, policy, approvals("alice@example.com")).approved  # transitive owner
    assert pol.evaluate(change, policy, approvals("bob@example.com")).approved  # direct owner, Backstage ref form
    assert not pol.evaluate(change, policy, approvals("mike@example.com")).approved  # owner, but only mid


def test_changes_to_reviewer_config_are_critical(policy: pol.Policy) -> None:
    change = analysis(paths=[".reviewer/allowed_signers"], author={"name": "C", "email": "carol@example.com"})
    assert pol.effective_risk_level(change) == "critical"
    assert rules_of(pol.evaluate(change, policy, [])) == ["High blast radius"]
    assert pol.requirements_for(change, policy)[0]["needed"] == 2


def test_missing_defaults_fall_back_to_one_senior() -> None:
    bare = pol.parse_policy('[people."a@x.com"]\nlevel = "mid"\n', "p.toml")
    assert bare.defaults == pol.Requirement(1, "senior")


def test_paths_condition() -> None:
    p = pol.parse_policy('[[rules]]\nname = "migrations"\nwhen = { paths = ["db/**"] }\n'
                         'require = { approvals = 2, min_level = "senior" }\n', "p.toml")
    assert rules_of(pol.evaluate(analysis(paths=["db/001.sql"]), p, [])) == ["migrations"]
    assert rules_of(pol.evaluate(analysis(), p, [])) == ["defaults"]


@pytest.mark.parametrize(("text", "fragment"), [
    ("[defaults\n", "invalid TOML"),
    ("color = 1\n", "color: unknown key"),
    ('[people."alice@example.com"]\nlevel = "boss"\n', 'people."alice@example.com".level: must be one of'),
    ('[people."alice"]\nlevel = "senior"\n', 'people."alice": the key must be an email'),
    ('[people."a@x.com"]\nteams = "t"\nlevel = "mid"\n', 'people."a@x.com".teams: must be a list'),
    ("[defaults]\napprovals = true\n", "defaults.approvals: must be a whole number"),
    ('[defaults]\nmin_level = "agent"\n', "defaults.min_level: must be one of junior, mid, senior, principal"),
    ('[[rules]]\nwhen = {}\nrequire = { approvals = 1 }\n', "rules[0].name: is required"),
    ('[[rules]]\nname = "r"\nwhen = { risk_at_least = "huge" }\nrequire = { approvals = 1 }\n',
     'rules[0] "r".when.risk_at_least: must be one of low'),
    ('[[rules]]\nname = "r"\nwhen = { friday = true }\nrequire = { approvals = 1 }\n', 'rules[0] "r".when.friday: unknown key'),
    ('[[rules]]\nname = "r"\nwhen = {}\n', 'rules[0] "r".require: is required'),
    ('[[rules]]\nname = "r"\nrequire = { approvals = 0 }\n', 'rules[0] "r".require.approvals: must be a whole number >= 1'),
    ('[[rules]]\nname = "r"\nrequire = { owner_of_affected = "yes" }\n', "owner_of_affected: must be true or false"),
])
def test_invalid_policy_names_file_and_field(text: str, fragment: str) -> None:
    with pytest.raises(UserError) as exc:
        pol.parse_policy(text, ".reviewer/policy.toml@abc123")
    assert exc.value.message.startswith(".reviewer/policy.toml@abc123: ")
    assert fragment in exc.value.message


def test_policy_is_read_from_the_revision(git_repo) -> None:  # type: ignore[no-untyped-def]
    git_repo.write(".reviewer/policy.toml", "[defaults]\napprovals = 2\n")
    base = git_repo.commit("policy")
    git_repo.write(".reviewer/policy.toml", "[defaults]\napprovals = 0\n")
    assert pol.load_policy(Workspace(git_repo.path, revision=base)).defaults.approvals == 2
    assert pol.load_policy(Workspace(git_repo.path)).defaults.approvals == 0
    git_repo.git("rm", "-q", "-f", ".reviewer/policy.toml")
    empty = git_repo.commit("no policy")
    assert pol.load_policy_optional(Workspace(git_repo.path, revision=empty)) is None
    with pytest.raises(UserError) as exc:
        pol.load_policy(Workspace(git_repo.path, revision=empty))
    assert exc.value.message.startswith(f".reviewer/policy.toml@{empty}: no approval policy")
    assert "[defaults]" in exc.value.message
