"""Every built-in rule fires on its positive examples and stays silent on its negative ones.

The examples live next to each rule in resources/rules/*.toml, so a rule and its evidence are
edited together; this table-driven test runs all of them through the real engine.
"""

from __future__ import annotations

import pathspec
import pytest

from reviewer_app.core.risk import Rule, load_rules
from reviewer_app.core.risk.engine import evaluate
from reviewer_app.core.risk.rules import SEVERITY_RANK
from tests.core.risk.diffs import one_file_change

RULES = load_rules(None)
DEFAULT_PATH = "src/app/service.py"


def example_path(rule: Rule) -> str:
    return rule.examples.path or DEFAULT_PATH


def findings_for(rule: Rule, example: str) -> list:
    change = one_file_change(example_path(rule), example, status=rule.examples.status)
    return [f for f in evaluate(change, RULES.only(rule.id)) if f.rule == rule.id]


def cases(kind: str) -> list:
    return [pytest.param(rule, example, id=f"{rule.id}-{n}")
            for rule in RULES.rules for n, example in enumerate(getattr(rule.examples, kind))]


def test_pack_is_big_enough_and_every_rule_has_examples() -> None:
    assert len(RULES.rules) >= 58
    missing = [r.id for r in RULES.rules if not r.examples.positive or not r.examples.negative]
    assert missing == []


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_example_path_is_in_scope_of_the_rule(rule: Rule) -> None:
    # Otherwise a negative example would pass only because the path is filtered out.
    include = pathspec.GitIgnoreSpec.from_lines(rule.paths)
    exclude = pathspec.GitIgnoreSpec.from_lines(rule.exclude)
    path = example_path(rule)
    assert include.match_file(path) and not exclude.match_file(path), path


@pytest.mark.parametrize(("rule", "example"), cases("positive"))
def test_positive_example_fires_at_base_severity(rule: Rule, example: str) -> None:
    found = findings_for(rule, example)
    assert found, f"{rule.id} did not fire on {example!r}"
    assert {f.severity for f in found} == {rule.severity}


@pytest.mark.parametrize(("rule", "example"), cases("negative"))
def test_negative_example_is_silent(rule: Rule, example: str) -> None:
    assert findings_for(rule, example) == []


@pytest.mark.parametrize(("rule", "example"), cases("escalated"))
def test_escalated_example_fires_above_base_severity(rule: Rule, example: str) -> None:
    found = findings_for(rule, example)
    assert found
    assert max(SEVERITY_RANK[f.severity] for f in found) > SEVERITY_RANK[rule.severity]
    assert "Raised to" in found[0].message


def test_every_rule_is_in_the_catalogue_of_the_docs() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "risk-rules.md").read_text(encoding="utf-8")
    assert [r.id for r in RULES.rules if f"| {r.id} |" not in docs] == []
