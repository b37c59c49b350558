"""Red team: a change cannot loosen the rules that judge it.

The policy, allowed_signers and revoked_keys come from the base; a change that edits them is judged
critical; a base that already carries the change's own edits to .reviewer/ (``--base`` naming the
head, a branch built on the edit) fails closed with exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.core.approvals import policy as approval_policy
from reviewer_app.core.approvals.gate import run_gate
from reviewer_app.errors import UserError

from .world import STRICT_POLICY, World, make_world, plain_lines

LOOSE_POLICY = '[people."mallory@example.com"]\nlevel = "principal"\n[defaults]\napprovals = 1\nmin_level = "junior"\n'


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("config"))
    made.configure(plain_lines(made, "alice", "bob", "carol"))
    signers = made.repo.path.joinpath(".reviewer/allowed_signers").read_text()
    # The attacker's branch: their key and a loose policy in the change's own head, plus code.
    made.branch("takeover", {
        ".reviewer/allowed_signers": signers + f"mallory@example.com {made.line('mallory')}\n",
        ".reviewer/policy.toml": LOOSE_POLICY,
        "app/payments.py": "def charge(amount):\n    return amount\n",
    }, "Small payments helper", author=("Mallory", "mallory@example.com"))
    return made


@pytest.fixture
def fresh_db(world: World, tmp_path: Path) -> World:
    world.db_path, world._db = tmp_path / "gate.db", None
    return world


def test_keys_and_rules_added_by_the_change_itself_do_not_count(fresh_db: World) -> None:
    world = fresh_db
    analysis = world.analysis("git:main..takeover")
    world.approve_all_findings("mallory", analysis)
    verdict = world.gate("git:main..takeover").verdicts[0]
    assert not verdict.approved
    assert verdict.summary["touches_config"] and verdict.summary["judged_as"] == "critical"
    assert [(r.rule, r.needed, r.min_level) for r in verdict.requirements] == [("High risk", 2, "senior")]
    assert [r.reason for r in verdict.rejected] == ["unknown principal"]  # mallory is unknown at the base
    code, out = world.cli_gate_json("--git", "main..takeover")
    assert code == 1 and out["approved"] is False


def test_base_naming_the_head_fails_closed(fresh_db: World) -> None:
    """``--base takeover`` would read the attacker's policy and signers: the base holds the change's own edits."""
    world = fresh_db
    analysis = world.analysis("git:main..takeover", base="takeover")
    world.approve_all_findings("mallory", analysis)  # valid under the head's own allowed_signers
    with pytest.raises(UserError, match=r"^\.reviewer/allowed_signers: this change edits \.reviewer/, but the base "):
        world.gate("git:main..takeover", base="takeover")
    code, out = world.cli_gate_json("--git", "main..takeover", "--base", "takeover")
    assert code == 2 and out["approved"] is False and "edits .reviewer/" in out["error"]


def test_a_patch_file_gated_against_its_own_head_fails_closed(fresh_db: World, tmp_path: Path) -> None:
    world = fresh_db
    patch = tmp_path / "takeover.patch"
    patch.write_bytes(world.repo.format_patch("takeover"))
    code, out = world.cli_gate_json(str(patch), "--base", "takeover")
    assert code == 2 and "edits .reviewer/" in out["error"]
    code, out = world.cli_gate_json(str(patch), "--base", "main")
    assert code == 1 and out["analysis"]["judged_as"] == "critical"


def test_a_plain_diff_without_index_lines_is_checked_by_its_lines(fresh_db: World, tmp_path: Path) -> None:
    """diff -u has no blob ids: the hunks' old lines must be in the base's file."""
    world = fresh_db
    diff = world.repo.git("diff", "main", "takeover", "--", ".reviewer/policy.toml")
    plain = "\n".join(line for line in diff.splitlines() if not line.startswith(("index ", "diff --git"))) + "\n"
    patch = tmp_path / "plain.diff"
    patch.write_text(plain)
    code, out = world.cli_gate_json(str(patch), "--base", "main")
    assert code == 1 and out["analysis"]["touches_config"] is True
    code, out = world.cli_gate_json(str(patch), "--base", "takeover")
    assert code == 2 and "does not hold the lines" in out["error"]


def test_renaming_the_policy_away_is_a_change_to_reviewer(fresh_db: World) -> None:
    world = fresh_db
    world.branch("rename", {}, "noop")  # a branch to rename on
    world.repo.git("checkout", "-q", "rename")
    world.repo.git("mv", ".reviewer/policy.toml", "policy-archive.toml")
    world.repo.commit("Archive the policy", author=("Dana Dev", "dana@example.com"))
    world.repo.git("checkout", "-q", "main")
    verdict = world.gate("git:main..rename").verdicts[0]
    assert verdict.summary["touches_config"] and verdict.summary["judged_as"] == "critical"
    assert not verdict.approved


@pytest.mark.parametrize("path", [".reviewer/policy.toml", "./.reviewer/policy.toml", ".Reviewer/policy.toml",
                                  ".REVIEWER/allowed_signers", "docs/../.reviewer/revoked_keys",
                                  ".reviewer//policy.toml", ".reviewer"])
def test_every_spelling_of_the_config_folder_is_config(path: str) -> None:
    assert approval_policy.is_config_path(path)
    assert approval_policy.touches_config({"files": [{"path": path, "old_path": None, "new_path": path}]})


@pytest.mark.parametrize("path", ["app/.reviewer/policy.toml", ".reviewers/x", "reviewer/policy.toml"])
def test_lookalike_paths_are_not_config(path: str) -> None:
    assert not approval_policy.is_config_path(path)


def test_a_hand_made_patch_with_a_dotted_path_fails_closed(fresh_db: World, tmp_path: Path) -> None:
    world = fresh_db
    patch = tmp_path / "dotted.patch"
    patch.write_text(
        "diff --git a/./.reviewer/policy.toml b/./.reviewer/policy.toml\n"
        "--- a/./.reviewer/policy.toml\n+++ b/./.reviewer/policy.toml\n"
        "@@ -1 +1 @@\n-[people.\"alice@example.com\"]\n+[people.\"mallory@example.com\"]\n")
    with pytest.raises(UserError, match="not a canonical repository path"):
        run_gate(world.db, world.repo.path, str(patch), base="main")


def test_a_policy_with_no_rule_for_critical_changes_still_guards_reviewer(tmp_path: Path) -> None:
    """``approvals = 0`` defaults (no approval for ordinary changes) is the team's choice; but a change to
    .reviewer/ then needed nobody at all. A built-in floor asks one senior for it."""
    world = make_world(tmp_path, people=("alice", "dana"))
    world.configure(plain_lines(world, "alice"), policy='[people."alice@example.com"]\nlevel = "senior"\n'
                                                        '[defaults]\napprovals = 0\nmin_level = "junior"\n')
    world.branch("notes", {"docs/notes.md": "hi\n"}, "notes")
    world.branch("selfserve", {".reviewer/allowed_signers": f"dana@example.com {world.line('dana')}\n"}, "me too")
    assert world.gate("git:main..notes").approved  # the explicit choice for ordinary changes stands
    verdict = world.gate("git:main..selfserve").verdicts[0]
    assert not verdict.approved
    assert [(r.rule, r.needed, r.min_level) for r in verdict.requirements] == [
        ("defaults", 0, "junior"), (approval_policy.CONFIG_FLOOR_RULE, 1, "senior")]
    world.approve_all_findings("alice", world.analysis("git:main..selfserve"))
    assert world.gate("git:main..selfserve").approved


def test_the_strict_policy_needs_no_floor(tmp_path: Path) -> None:
    """When a rule already asks a senior for critical changes, the floor adds no second line."""
    policy = approval_policy.parse_policy(STRICT_POLICY, "p")
    analysis = {"files": [{"path": ".reviewer/policy.toml"}], "risk": {"level": "low"}}
    assert approval_policy.requirements_for(analysis, policy) == [
        {"rule": "High risk", "needed": 2, "min_level": "senior", "owner_of_affected": False}]
