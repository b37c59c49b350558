"""AI provenance markers: each tool by its own strings; humans named Claude stay human."""

from __future__ import annotations

import pytest

from reviewer_app.core.model import Change, Commit, Person
from reviewer_app.core.provenance import co_authors, detect


def _change(message: str, author: Person = Person("Dana Dev", "dana@example.com"),
            committer: Person | None = None) -> Change:
    subject = message.split("\n", 1)[0]
    commit = Commit(subject=subject, message=message, author=author, committer=committer)
    return Change(title=subject, message=message, author=author, committer=committer, author_date=None,
                  commit_date=None, files=[], commits=[commit])


@pytest.mark.parametrize(
    ("message", "author", "tool"),
    [
        ("Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>", None, "Claude Code"),
        ("Fix\n\nCo-Authored-By: Claude Opus 4.1 <noreply@anthropic.com>", None, "Claude Code"),
        ("Fix\n\n🤖 Generated with [Claude Code](https://claude.ai/code)", None, "Claude Code"),
        ("Fix", Person("Copilot", "198982749+Copilot@users.noreply.github.com"), "GitHub Copilot"),
        ("Fix", Person("copilot-swe-agent[bot]", "x@users.noreply.github.com"), "GitHub Copilot"),
        ("Fix\n\nAgent-Logs-Url: https://github.com/o/r/sessions/abc123", None, "GitHub Copilot"),
        ("Fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>", None, "Cursor"),
        ("Fix\n\nMade-with: Cursor", None, "Cursor"),
        ("Fix", Person("Dana Dev (aider)", "dana@example.com"), "Aider"),
        ("aider: fix the loop", None, "Aider"),
        ("Fix\n\nCo-authored-by: aider (gpt-4o) <noreply@aider.chat>", None, "Aider"),
        ("Fix\n\nhttps://chatgpt.com/codex/tasks/task_e_0123abcd", None, "OpenAI Codex"),
        ("Fix\n\nCo-authored-by: Codex <noreply@openai.com>", None, "OpenAI Codex"),
        ("Fix", Person("devin-ai-integration[bot]", "158243242+devin-ai-integration[bot]@users.noreply.github.com"), "Devin"),
        ("Fix", Person("google-labs-jules[bot]", "x@users.noreply.github.com"), "Jules"),
        ("Fix\n\nCo-authored-by: gemini-code-assist[bot] <x@users.noreply.github.com>", None, "Gemini"),
        ("Fix", Person("amazon-q-developer[bot]", "x@users.noreply.github.com"), "Amazon Q"),
        ("Fix\n\nAssisted-by: GPT-5 <noreply@openai.com>", None, "GPT-5"),
        ("Fix\n\nGenerated-by: Kiro", None, "Kiro"),
        ("Fix\n\nCo-authored-by-AI: Llama 4", None, "Llama 4"),
    ],
)
def test_each_marker_is_detected_with_its_evidence(message: str, author: Person | None, tool: str) -> None:
    prov = detect(_change(message, author or Person("Dana Dev", "dana@example.com")))
    assert prov.ai_assisted is True
    assert tool in prov.tools
    assert prov.evidence, "evidence lines must say why"


@pytest.mark.parametrize(
    "message",
    [
        "Fix\n\nCo-authored-by: Claude Monet <claude@monet.example>",
        "Fix\n\nReviewed-by: Claude Shannon <claude@bell.example>",
        "Use the cursor API for pagination",
        "Mention Claude Code in the docs\n\nWe evaluated Claude Code and Copilot.",
        "Fix\n\nCo-authored-by: Devin Smith <devin@example.com>",
    ],
)
def test_humans_and_mentions_are_not_agents(message: str) -> None:
    prov = detect(_change(message, Person("Claude Dupont", "claude@example.com")))
    assert prov.ai_assisted is False, prov.evidence
    assert prov.tools == []


def test_overrides_win_and_say_so() -> None:
    ai = _change("Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    forced_off = detect(ai, override=False)
    assert forced_off.ai_assisted is False and forced_off.overridden
    assert any("overridden" in e for e in forced_off.evidence)
    forced_on = detect(_change("Plain fix"), override=True)
    assert forced_on.ai_assisted is True and forced_on.overridden


def test_human_co_authors_are_listed_and_agents_are_not() -> None:
    change = _change("Fix\n\nCo-authored-by: Pat Pair <Pat@Example.com>\nCo-Authored-By: Claude <noreply@anthropic.com>")
    prov = detect(change)
    assert co_authors(change, prov) == ["pat@example.com"]


def test_a_human_address_on_a_line_that_mentions_an_agent_is_still_a_co_author() -> None:
    change = _change("Fix\n\nCo-authored-by: copilot-swe-agent[bot] Pat <pat@example.com>\n"
                     "Co-authored-by: Gemini <gemini@google.com>\nCo-authored-by: Gail <gail@google.com>")
    prov = detect(change)
    assert co_authors(change, prov) == ["pat@example.com", "gail@google.com"]


# --- every marker documented in docs/provenance.md, and every pattern covered by an example ---------

import re  # noqa: E402
from pathlib import Path  # noqa: E402

from reviewer_app.core.provenance import MARKERS  # noqa: E402

_DOC = Path(__file__).resolve().parents[3] / "docs" / "provenance.md"
_ROW = re.compile(r"^\| (?P<tool>[^|]+?) \| (?P<where>message|identity|identity-name|subject) \| `(?P<example>[^`]+)` \|$")


def _documented() -> list[tuple[str, str, str]]:
    rows = [m.group("tool", "where", "example") for line in _DOC.read_text(encoding="utf-8").splitlines()
            if (m := _ROW.match(line))]
    assert len(rows) >= 40, "the table in docs/provenance.md was not read"
    return rows


def _change_for(where: str, example: str) -> Change:
    if where == "message":
        return _change(f"Tidy the handler\n\n{example}")
    if where == "subject":
        return _change(example)
    name, _, rest = example.partition(" <")
    email = rest.rstrip(">") if rest else "dana@example.com"
    return _change("Tidy the handler", Person(name, email))


@pytest.mark.parametrize(("tool", "where", "example"), _documented())
def test_every_documented_marker_is_detected_with_its_own_line_as_evidence(tool: str, where: str, example: str) -> None:
    prov = detect(_change_for(where, example))
    assert prov.ai_assisted is True
    if not tool.startswith("*"):
        assert tool in prov.tools
    else:  # a generic trailer: the tool is what the trailer names
        assert example.split(":", 1)[1].split("<")[0].strip() in prov.tools
    assert all(line.strip() for line in prov.evidence), f"an empty evidence line for {example!r}: {prov.evidence}"
    if where == "message":
        assert example in prov.evidence


def test_every_pattern_in_the_code_has_a_documented_example() -> None:
    rows = _documented()
    for marker in MARKERS:
        kinds = {"identity": ("identity",), "identity-name": ("identity-name",), "message": ("message",),
                 "subject": ("subject",)}[marker.where]
        examples = [example for _, where, example in rows if where in kinds]
        if marker.where == "identity-name":
            examples = [e.partition(" <")[0] for e in examples]
        assert any(marker.pattern.search(e) for e in examples), f"no example in docs/provenance.md for {marker}"


def test_claude_code_footer_after_a_blank_line_records_the_footer_not_the_blank_line() -> None:
    prov = detect(_change("Fix the cache\n\nBody text.\n\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n"))
    assert prov.evidence == ["🤖 Generated with [Claude Code](https://claude.com/claude-code)"]


def _every_match_holds(items: list, needle: str) -> bool:
    """Whether every match of this parsed sequence holds ``needle`` (case-folded), read from re's own
    parse tree: a run of literals at this level holding it, a group that does, or a branch all of
    whose alternatives do. Conservative: runs are not joined across groups."""
    from re import _constants as sre  # type: ignore[attr-defined]

    run: list[str] = []
    for op, value in [*items, (None, None)]:
        if op is sre.LITERAL:
            run.append(chr(value))
            continue
        if needle in "".join(run).casefold():
            return True
        run = []
        if op is sre.SUBPATTERN and _every_match_holds(list(value[-1]), needle):
            return True
        if op is sre.BRANCH and all(_every_match_holds(list(branch), needle) for branch in value[1]):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and value[0] >= 1 and _every_match_holds(list(value[2]), needle):
            return True
    return False


def test_every_markers_needle_is_in_every_match_it_can_make() -> None:
    """A marker's pattern is searched only in texts holding its needle, so every match must hold it."""
    from re import _parser as sre_parser  # type: ignore[attr-defined]

    for marker in MARKERS:
        assert marker.needle == marker.needle.casefold() and marker.needle.isascii(), marker
        assert _every_match_holds(list(sre_parser.parse(marker.source)), marker.needle), marker
    assert not _every_match_holds(list(sre_parser.parse(r"(?i)(claude|cursor)\[bot\]")), "claude")


def test_folding_keeps_every_character_re_matches_to_an_ascii_letter() -> None:
    """Under IGNORECASE re matches an ASCII letter with a few other characters (the Kelvin sign,
    the long s, dotted and dotless i): the folded text must show the letter where re would match it."""
    import re
    import sys

    from reviewer_app.core.provenance import _folded

    any_letter = re.compile("(?i)[a-z]")
    look_alikes = [chr(code) for code in range(128, sys.maxunicode + 1) if any_letter.fullmatch(chr(code))]
    assert look_alikes  # the Kelvin sign at least
    for char in look_alikes:
        letters = [letter for letter in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch("(?i)" + letter, char)]
        assert letters and all(letter in _folded(char) for letter in letters), (hex(ord(char)), letters)


def test_a_marker_written_with_unicode_look_alikes_is_still_found() -> None:
    # "\u212a" is the Kelvin sign and "\u0131" a dotless i, both matched by re's IGNORECASE.
    assert detect(_change("Fix\n\nCo-authored-by: Copılot <copilot@github.com>\n")).tools == ["GitHub Copilot"]
    assert detect(_change("Fix\n\nMade-with: \u212aursor\n")).tools == []  # K is no C: no false find either
    assert detect(_change("Fix\n\nMade-with: cur\u017for\n")).tools == ["Cursor"]  # the long s
    assert detect(_change("Fix\n\nCo-authored-by: Codex <codex@openai.com>\n")).ai_assisted
