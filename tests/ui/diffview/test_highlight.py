"""Syntax highlighting is lazy, per visible block, and its tokens line up with the diff's lines."""

from __future__ import annotations

from pygments.token import Keyword, Name, String

from reviewer_app.core.model import FileDiff, FileStatus, Hunk, Line, LineKind
from reviewer_app.ui.diffview.highlight import (
    BLOCK_LINES, Highlighter, block_line, block_lines, lexer_alias_for, token_spans, tokenize_lines,
)
from tests.ui.diffview.synthetic import big_change


def test_lexer_is_chosen_from_the_file_name() -> None:
    assert lexer_alias_for("src/app/main.py") == "python"
    assert lexer_alias_for("web/index.JS") == "javascript"
    assert lexer_alias_for("Dockerfile") == "docker"
    assert lexer_alias_for("notes.unknown-extension") is None


def test_tokens_are_split_back_per_line_even_with_crlf() -> None:
    from pygments.lexers import PythonLexer

    lines = ["def f(x):\r", "    return 'a'\r"]
    block = tokenize_lines(PythonLexer(stripnl=False), lines)
    tokens = [token_spans(block_line(block, index)) for index in range(block_lines(block))]
    assert len(tokens) == 2
    first = {lines[0][s:e]: t for s, e, t in tokens[0]}
    assert first["def"] in Keyword and first["f"] in Name.Function
    assert any(lines[1][s:e] == "return" and t in Keyword for s, e, t in tokens[1])
    assert any(t in String for _s, _e, t in tokens[1])  # the quoted 'a' (pygments splits the quotes)
    assert max(e for _s, e, _t in tokens[1]) <= len(lines[1])


def test_removed_lines_are_lexed_from_the_old_text_and_added_from_the_new() -> None:
    lines = [
        Line(LineKind.CONTEXT, 1, 1, "x = '''start"),
        Line(LineKind.REMOVED, 2, None, "inside the old string'''"),
        Line(LineKind.ADDED, None, 2, "'''"),
        Line(LineKind.ADDED, None, 3, "import os"),
    ]
    highlighter = Highlighter([FileDiff("a.py", "a.py", FileStatus.MODIFIED, hunks=[Hunk(1, 2, 1, 3, "", lines)])])
    removed = highlighter.tokens(0, 0, 1)
    assert removed is not None and all(t in String for _s, _e, t in token_spans(removed))
    added = highlighter.tokens(0, 0, 3)
    assert added is not None and any(t in Keyword for _s, _e, t in token_spans(added))


def test_only_the_requested_block_of_a_huge_change_is_lexed() -> None:
    change = big_change()
    highlighter = Highlighter(change.files)
    highlighter.begin_paint()
    tokens = highlighter.tokens(119, 49, 24)  # the last line of the last file
    assert tokens
    assert 0 < highlighter.lexed_lines <= BLOCK_LINES
    assert highlighter.tokens(119, 49, 23) is not None
    assert highlighter.lexed_lines <= BLOCK_LINES  # served from the cache


def test_token_types_the_style_does_not_name_fall_back_to_their_parent() -> None:
    from pygments.token import Literal

    from reviewer_app.ui.diffview.style import TokenFormats

    formats = TokenFormats(dark=False)
    yaml_scalar = Literal.Scalar.Plain  # emitted by the YAML lexer, unknown to the default style
    assert formats.format(yaml_scalar) == formats.format(Literal)
