"""Is a rule's match inside a comment? Decided by the language's pygments lexer.

``# terraform destroy`` in a shell script, ``-- DROP TABLE`` in a migration, ``// timeout: 0`` in
Go are notes, not code: a rule does not fire there unless it says ``in_comments = true`` (secrets,
scanner suppressions and Trojan Source characters matter wherever they are).

Only the lines where a rule already matched are tokenized (the pre-filter leaves few), with the
lexer chosen by file name and cached. A diff shows a file in pieces, so a lexer can start in the
middle of a block comment or a string and get the state wrong. The engine must fail closed:
a match counts as commented out only when BOTH the line lexed on its own AND the line lexed
inside the shown lines of its hunk say so. A line that only looks commented in one reading (the
body of a YAML block scalar, a heredoc, the inside of a ``/* ... */`` whose start the hunk does
not show) stays code, at the price of a little noise.
"""

from __future__ import annotations

import bisect
from functools import lru_cache
from typing import Any

# Common extensions mapped to pygments aliases: get_lexer_for_filename walks every lexer's
# filename globs (about 10 ms a call), get_lexer_by_name does not.
_ALIASES = {
    "py": "python", "pyi": "python", "go": "go", "tf": "terraform", "hcl": "terraform", "tfvars": "terraform",
    "yaml": "yaml", "yml": "yaml", "sh": "bash", "bash": "bash", "zsh": "bash", "sql": "sql", "js": "javascript",
    "mjs": "javascript", "cjs": "javascript", "jsx": "jsx", "ts": "typescript", "tsx": "tsx", "json": "json",
    "toml": "toml", "rb": "ruby", "java": "java", "kt": "kotlin", "rs": "rust", "cs": "csharp", "php": "php",
    "scala": "scala", "c": "c", "h": "c", "cc": "cpp", "cpp": "cpp", "hpp": "cpp", "ini": "ini", "cfg": "ini",
    "ps1": "powershell", "lua": "lua", "ex": "elixir", "exs": "elixir", "swift": "swift",
}
_BY_NAME = {"dockerfile": "docker", "containerfile": "docker", "makefile": "make", "jenkinsfile": "groovy"}
# Documentation formats are judged by their file role (roles.py), not by their comments.
_NOT_LEXED = frozenset({"md", "markdown", "mdx", "rst", "adoc", "txt"})
HUNK_WINDOW = 200  # lines of the hunk lexed before and after the matched line
# A line longer than this is machine-written (a bundle, a source map): pygments takes seconds per
# megabyte on it, so a hit there is taken as code, never as a comment (the finding stays: fail closed).
MAX_LEXED_LINE = 20_000
# Characters a comment of the language can start with: a match with none of them before its end
# on its line is code, and nothing needs lexing (most hits). Unknown languages get them all.
_HASH, _C_LIKE = "#", "/*"
_COMMENT_STARTS = {
    "python": _HASH, "yaml": _HASH, "bash": _HASH, "ruby": _HASH, "toml": _HASH, "docker": _HASH, "make": _HASH,
    "elixir": _HASH, "terraform": _HASH + _C_LIKE, "php": _HASH + _C_LIKE, "sql": "-/*#", "lua": "-",
    "ini": ";#", "powershell": "#<", "go": _C_LIKE, "javascript": _C_LIKE, "jsx": _C_LIKE, "typescript": _C_LIKE,
    "tsx": _C_LIKE, "java": _C_LIKE, "kotlin": _C_LIKE, "rust": _C_LIKE, "csharp": _C_LIKE, "scala": _C_LIKE,
    "c": _C_LIKE, "cpp": _C_LIKE, "swift": _C_LIKE, "groovy": _C_LIKE, "json": _C_LIKE,
}
_ANY_START = "#/*-;<%'"


def _lexer_key(path: str) -> str:
    """A pygments alias (``python``) or, for an extension not in the table, ``*.ext``."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.startswith(("dockerfile", "containerfile")):
        return "docker"
    if name in _BY_NAME:
        return _BY_NAME[name]
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension in _NOT_LEXED or not extension:
        return ""
    return _ALIASES.get(extension, "*." + extension)


@lru_cache(maxsize=256)
def _lexer(key: str) -> Any:
    """The lexer for a file kind (None when pygments knows none, and for documentation)."""
    if not key:
        return None
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    from pygments.util import ClassNotFound

    options = {"stripnl": False, "stripall": False, "ensurenl": False}
    try:
        if key.startswith("*."):
            return get_lexer_for_filename("file" + key[1:], **options)
        return get_lexer_by_name(key, **options)
    except ClassNotFound:
        return None


def lexer_for(path: str) -> Any:
    return _lexer(_lexer_key(path))


def comment_starts(path: str) -> frozenset[str]:
    """The characters a comment can start with in this file's language."""
    return frozenset(_COMMENT_STARTS.get(_lexer_key(path), _ANY_START))


def comment_spans(lexer: Any, text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the comment tokens of ``text``, in order, touching spans merged.

    Preprocessor lines (``#include``) are code, not comments, although pygments files them under
    Comment.
    """
    from pygments.token import Comment

    preproc = (Comment.Preproc, Comment.PreprocFile)
    spans: list[tuple[int, int]] = []
    for index, token, value in lexer.get_tokens_unprocessed(text):
        if token in Comment and not any(token in p for p in preproc):
            end = index + len(value)
            if spans and spans[-1][1] >= index:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((index, end))
    return spans


def _covered(spans: list[tuple[int, int]], text: str, start: int, end: int) -> bool:
    """Every non-blank character of text[start:end] lies inside a comment span."""
    position = start
    while position < end:
        if text[position].isspace():
            position += 1
            continue
        at = bisect.bisect_right(spans, (position, float("inf"))) - 1
        if at < 0 or not spans[at][0] <= position < spans[at][1]:
            return False
        position = spans[at][1]
    return True


class CommentOracle:
    """Answers "is this span commented out?" for one side of one file, lexing lazily."""

    def __init__(self, lexer: Any) -> None:
        self.lexer = lexer
        self._windows: dict[tuple[int, int], tuple[str, list[int], list[tuple[int, int]]]] = {}
        # A line lexed alone, once: a bundled or minified line (megabytes) can hold thousands of hits,
        # and lexing it again for each made one commit take minutes.
        self._lines: dict[str, list[tuple[int, int]]] = {}

    def in_comment(self, line_text: str, start: int, end: int, shown: list[str], index: int) -> bool:
        """Whether text[start:end] of a line is comment both alone and among ``shown`` lines.

        ``shown`` is the hunk's lines on this side (changed and context) and ``index`` the line's
        position among them.
        """
        if start >= end or not line_text[start:end].strip() or len(line_text) > MAX_LEXED_LINE:
            return False
        # A final newline: several lexers only end a line comment at one (bash: '#.*\n').
        spans_alone = self._lines.get(line_text)
        if spans_alone is None:
            spans_alone = self._lines[line_text] = comment_spans(self.lexer, line_text + "\n")
        if not _covered(spans_alone, line_text, start, end):
            return False
        first = max(0, index - HUNK_WINDOW)
        last = min(len(shown), index + HUNK_WINDOW + 1)
        key = (id(shown), first)
        window = self._windows.get(key)
        if window is None:
            text = "\n".join(shown[first:last]) + "\n"
            starts: list[int] = []
            offset = 0
            for line in shown[first:last]:
                starts.append(offset)
                offset += len(line) + 1
            window = (text, starts, comment_spans(self.lexer, text))
            self._windows[key] = window
        text, starts, spans = window
        base = starts[index - first]
        return _covered(spans, text, base + start, base + end)
