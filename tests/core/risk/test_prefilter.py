"""The literal pre-filter, the windows and the first-character lookahead never change what a pattern finds."""

from __future__ import annotations

import random
import re

import pytest

from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.hits import SideText, find_hits, prepare
from reviewer_app.core.risk.prefilter import accelerated, prefilter_for
from tests.core.risk.diffs import file_from

RULES = load_rules(None)
FILLER = [
    "    result = compute(values, retries=3)", "    # the token is read from the environment", "import os",
    "    if err != nil {", "    except ValueError as exc:", "ALTER TABLE x ADD COLUMN y int;", "  replicas: 3",
    "    return {\"key\": KEY_NAME}", "", "\tfmt.Println(\"grant\")", "    timeout = settings.TIMEOUT",
]


def naive(pattern: re.Pattern[str], side: SideText) -> list[tuple[int, int]]:
    """Every match of the plain pattern over the whole joined text, as (line index, column), at the
    first line whose text it covers (a match may begin with a line break before that line)."""
    found = []
    rows = [(start, start + len(line.text)) for start, line in zip(side.starts, side.lines)]
    for match in pattern.finditer(side.text):
        begin, end = match.span()
        covered = [i for i, (a, b) in enumerate(rows) if max(begin, a) < min(end, b)]
        index = covered[0] if covered else max(i for i, (a, _) in enumerate(rows) if a <= begin)
        found.append((index, min(max(0, begin - rows[index][0]), rows[index][1] - rows[index][0])))
    return found


def mixed_hunks(example: str, seed: int) -> list[str]:
    """The example twice among noise lines (added, removed and context), cut into a few hunks."""
    rng = random.Random(seed)
    body = [rng.choice("++---   ") + rng.choice(FILLER) for _ in range(40)]
    body.insert(rng.randrange(len(body)), example.strip("\n"))
    body.insert(rng.randrange(len(body)), example.strip("\n"))
    lines = "\n".join(body).split("\n")
    cuts = sorted(rng.sample(range(1, len(lines)), 3))
    return ["\n".join(lines[a:b]) for a, b in zip([0, *cuts], [*cuts, len(lines)])]


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_engine_hits_equal_a_plain_scan(rule) -> None:
    examples = rule.examples.positive + rule.examples.negative + rule.examples.escalated
    for seed, example in enumerate(examples):
        view = prepare(file_from(rule.examples.path or "src/x.py", *mixed_hunks(example, seed)))
        for pattern, side, name in ((rule.added, view.added, "new"), (rule.removed, view.removed, "old")):
            if pattern is None:
                continue
            hits = [(h.index, h.start) for h in find_hits(pattern, side, name)]
            assert hits == naive(pattern, side), (rule.id, example)


@pytest.mark.parametrize(("pattern", "text"), [
    (r"(?i)kelvin", "\u212aelvin"),  # re folds KELVIN SIGN to k: the lookahead must allow it
    (r"(?i)\bstate\b", "\u017ftate"),  # LATIN SMALL LONG S folds to s
    (r"(a)?bcdef", "xx bcdef"),  # optional first item: the first character is unknown
    (r"(?i)(?:drop|)table", "TABLE"),  # an empty branch: no required literal
    (r"x*[\u202a-\u202e]", "abc\u202e"),
    (r"^\s*resource", "  resource"),
])
def test_acceleration_keeps_every_match(pattern: str, text: str) -> None:
    compiled = re.compile(pattern, re.MULTILINE)
    expected = [m.span() for m in compiled.finditer(text)]
    assert expected  # the sample does match
    assert [m.span() for m in accelerated(compiled).finditer(text)] == expected
    prefilter = prefilter_for(compiled)
    if prefilter is not None and prefilter.literals:
        assert any(literal in text.casefold() for literal in prefilter.literals)


def test_requirements_of_real_rules_are_selective() -> None:
    drop = prefilter_for(RULES.by_id("DB-DROP-TABLE").added)
    assert drop is not None and any(lit in "drop table x" for lit in drop.literals)
    assert not any(lit in "select 1" for lit in drop.literals)
    bidi = prefilter_for(RULES.by_id("TROJAN-SOURCE-BIDI").added)
    assert bidi is not None and bidi.non_ascii
