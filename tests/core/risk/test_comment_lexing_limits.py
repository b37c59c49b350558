"""Comment lexing stays bounded on machine-written lines: a line is lexed alone once however many hits
it holds, and a line too long to lex in time counts as code (the hit stands)."""

from __future__ import annotations

from pygments.lexers import PythonLexer

from reviewer_app.core.risk.comments import MAX_LEXED_LINE, CommentOracle


class CountingPythonLexer(PythonLexer):
    """The real Python lexer, counting how often it is run."""

    runs = 0

    def get_tokens_unprocessed(self, text, stack=("root",)):  # type: ignore[no-untyped-def]
        CountingPythonLexer.runs += 1
        return super().get_tokens_unprocessed(text, stack)


def test_a_line_with_many_hits_is_lexed_alone_once() -> None:
    CountingPythonLexer.runs = 0
    oracle = CommentOracle(CountingPythonLexer())
    line = "x = 1  # " + " ".join(f"token{n}" for n in range(200))
    shown = [line]
    starts = [line.index(f"token{n} ") for n in range(199)]
    assert all(oracle.in_comment(line, s, s + 5, shown, 0) for s in starts)
    assert CountingPythonLexer.runs == 2  # the line alone, and its hunk window: once each


def test_a_line_too_long_to_lex_counts_as_code() -> None:
    oracle = CommentOracle(PythonLexer())
    short = "# password = 'hunter2'"
    assert oracle.in_comment(short, 2, 10, [short], 0)
    long = "# password = 'hunter2'" + " x" * MAX_LEXED_LINE
    assert not oracle.in_comment(long, 2, 10, [long], 0)
