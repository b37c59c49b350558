"""The demo's data files: they load, and a mistake in them is reported by file, entry and field."""

from __future__ import annotations

import re

import pytest

from reviewer_app.core.demo.fake_secrets import fake_aws_access_key_id, fake_openssh_private_key, placeholders
from reviewer_app.core.demo.roster import policy_text
from reviewer_app.core.demo.scenarios import apply_script, tree_difference
from reviewer_app.core.demo.templates import (
    ChangeScript,
    Edit,
    TreeFile,
    load_change_plan,
    load_people,
    load_platform,
    parse_change_plan,
    parse_people,
)
from reviewer_app.errors import UserError


def test_shipped_data_loads_and_is_consistent() -> None:
    people = load_people()
    plan = load_change_plan(people)
    platform = load_platform()
    levels = {p.level for p in people}
    assert {"junior", "mid", "senior", "agent"} <= levels
    assert len(plan.scripts) >= 12
    assert ".github/workflows/ci.yml" in platform and ".github/CODEOWNERS" in platform
    assert platform["infra/scripts/plan.sh"].executable
    assert not platform["services/checkout/app/orders.py"].executable
    # Every change applies to the platform and changes something.
    values = placeholders()
    for script in plan.scripts:
        changed, deleted = tree_difference(platform, apply_script(platform, script, values))
        assert changed or deleted, script.branch


def test_policy_lists_everyone_but_people_who_left() -> None:
    people = load_people()
    text = policy_text(people)
    for person in people:
        assert (f'[people."{person.email}"]' in text) != person.revoked
    assert 'risk_at_least = "high"' in text and "tier_at_most = 0" in text


def person(handle: str, level: str = "junior") -> dict[str, object]:
    return {"handle": handle, "name": handle.title(), "email": f"{handle}@x.test", "level": level, "teams": ["t"]}


def test_bad_level_names_file_person_and_field() -> None:
    with pytest.raises(UserError, match=re.escape("people.toml: person 'ann': field 'level' must be one of")):
        parse_people({"person": [person("ann", "intern")]})


def test_duplicate_handle_is_refused() -> None:
    with pytest.raises(UserError, match="person 'ann': the handle is used twice"):
        parse_people({"person": [person("ann"), person("ann")]})


def test_handle_must_be_a_safe_file_name() -> None:
    with pytest.raises(UserError, match="field 'handle' names key files"):
        parse_people({"person": [person("../etc")]})


def change(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {"branch": "b1", "author": "ann", "date": "2026-03-09T08:00:00Z", "subject": "s",
                                "edits": [{"write": "a.txt", "text": "x\n"}]}
    entry.update(overrides)
    return entry


def test_unknown_author_is_named() -> None:
    people = parse_people({"person": [person("ann")]})
    with pytest.raises(UserError, match=re.escape("changes.toml: change 'b1': field 'author' names 'bob'")):
        parse_change_plan({"change": [change(author="bob")]}, people)


def test_edit_without_an_action_is_named() -> None:
    people = parse_people({"person": [person("ann")]})
    with pytest.raises(UserError, match=re.escape("change 'b1': edit 1: expected one of 'replace', 'write'")):
        parse_change_plan({"change": [change(edits=[{"text": "x"}])]}, people)


def test_approval_by_a_junior_is_refused() -> None:
    people = parse_people({"person": [person("ann")]})
    data = {"change": [change()], "approval": [{"branch": "b1", "approver": "ann", "date": "2026-03-09T09:00:00Z"}]}
    with pytest.raises(UserError, match=re.escape("approval 1: field 'approver' must name a senior")):
        parse_change_plan(data, people)


def script(*edits: Edit) -> ChangeScript:
    return ChangeScript(branch="b", author="ann", date="2026-03-09T08:00:00Z", subject="s", body="", trailers=(),
                        edits=edits, label="changes.toml: change 'b'")


def test_replace_text_must_occur_exactly_once() -> None:
    tree = {"a.txt": TreeFile(b"one\none\n")}
    with pytest.raises(UserError, match=re.escape("change 'b': edit 1 (a.txt): the text to replace occurs 2 times")):
        apply_script(tree, script(Edit(path="a.txt", old="one", new="two")), {})
    with pytest.raises(UserError, match="occurs 0 times"):
        apply_script(tree, script(Edit(path="a.txt", old="three", new="two")), {})


def test_unknown_placeholder_is_named() -> None:
    with pytest.raises(UserError, match=re.escape("edit 1 (k.txt): unknown placeholder {{nope}}")):
        apply_script({}, script(Edit(path="k.txt", new="{{nope}}")), {"known": "v"})


def test_edits_apply_in_order_and_leave_the_input_alone() -> None:
    tree = {"a.txt": TreeFile(b"alpha\n"), "old.txt": TreeFile(b"bye\n")}
    result = apply_script(tree, script(
        Edit(path="a.txt", old="alpha", new="beta {{k}}"),
        Edit(path="run.sh", new="#!/bin/sh\n", executable=True),
        Edit(path="old.txt", delete=True),
    ), {"k": "v"})
    assert result["a.txt"].data == b"beta v\n"
    assert result["run.sh"].executable
    assert "old.txt" not in result and "old.txt" in tree
    assert tree_difference(tree, result) == ({"a.txt": result["a.txt"], "run.sh": result["run.sh"]}, ["old.txt"])


def test_fake_secrets_are_well_formed_and_stable() -> None:
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", fake_aws_access_key_id())
    assert fake_openssh_private_key() == fake_openssh_private_key()
    assert fake_openssh_private_key().startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")


def test_dates_must_be_fixed_utc_times() -> None:
    people = parse_people({"person": [person("ann")]})
    with pytest.raises(UserError, match=re.escape("change 'b1': field 'date' must be UTC like")):
        parse_change_plan({"change": [change(date="2026-03-09 08:00")]}, people)
