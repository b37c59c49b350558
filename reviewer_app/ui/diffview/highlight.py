"""Lazy syntax highlighting: pygments tokens for the lines on screen, lexed in small cached blocks.

pygments lexes about 10-25k lines/s here, so a 150k-line change is never lexed up front. Each
hunk is lexed per *side* (the old text is context + removed lines, the new text context + added
lines: each is a real excerpt of a file, so the lexer sees sensible code), in blocks of at most
BLOCK_LINES lines and BLOCK_CHARS characters, cached per (file, hunk, side, block). The canvas
asks for the tokens of the rows it paints; a block small enough is lexed on the spot while the
paint's time budget lasts, anything else (a block with a megabyte-long minified line, or the
rest once the budget is spent) goes to a worker and the canvas repaints when it arrives.

No Qt here except the optional worker hook: ``schedule`` is a callable given by the canvas.
"""

from __future__ import annotations

import fnmatch
import posixpath
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound

from reviewer_app.core.model import FileDiff, Hunk, LineKind

BLOCK_LINES = 48  # ~5 ms of lexing for dense code: several blocks fit one paint
BLOCK_CHARS = 12_000  # a block with longer text than this is lexed in the worker
PAINT_BUDGET_S = 0.035  # lexing done inside one paint; the rest waits for the worker
CACHE_BLOCKS = 4_000  # LRU bound: ~200k lines of tokens

OLD, NEW = 0, 1

# Per line: (start column, end column, token type) in Line.text columns.
LineTokens = list[tuple[int, int, _TokenType]]
BlockKey = tuple[int, int, int, int]  # file, hunk, side, block


@lru_cache(maxsize=1)
def _filename_patterns() -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    """pygments' filename patterns, split into exact names, "*.ext" suffixes and other globs.

    ``get_lexer_for_filename`` tries every pattern of every lexer (~30 ms a call); this table
    costs ~5 ms once and answers in a dict lookup.
    """
    exact: dict[str, str] = {}
    suffix: dict[str, str] = {}
    globs: list[tuple[str, str]] = []
    for _name, aliases, patterns, _mimes in get_all_lexers(plugins=False):
        if not aliases:
            continue
        for pattern in patterns:
            if pattern.startswith("*.") and not any(c in pattern[2:] for c in "*?["):
                suffix.setdefault(pattern[1:].lower(), aliases[0])
            elif not any(c in pattern for c in "*?["):
                exact.setdefault(pattern, aliases[0])
            else:
                globs.append((pattern, aliases[0]))
    return exact, suffix, globs


def lexer_alias_for(path: str) -> str | None:
    """The pygments alias for a file name, None for unknown types (shown unhighlighted)."""
    name = posixpath.basename(path)
    exact, suffix, globs = _filename_patterns()
    if name in exact:
        return exact[name]
    _stem, dot, ext = name.rpartition(".")
    if dot and "." + ext.lower() in suffix:
        return suffix["." + ext.lower()]
    for pattern, alias in globs:
        if fnmatch.fnmatchcase(name, pattern):
            return alias
    return None


@lru_cache(maxsize=64)
def _lexer(alias: str) -> Lexer | None:
    try:
        # stripnl=False keeps leading/trailing blank lines, so token lines match diff lines.
        return get_lexer_by_name(alias, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


def tokenize_lines(lexer: Lexer, lines: list[str]) -> list[LineTokens]:
    """Lex ``lines`` as one text and split the tokens back per line."""
    result: list[LineTokens] = [[] for _ in lines]
    row = 0
    column = 0
    count = len(lines)
    # pygments turns "\r" into a line break; CRLF lines keep their "\r", so blank it (same width).
    text = "\n".join(lines).replace("\r", " ")
    for token_type, value in lexer.get_tokens(text):
        parts = value.split("\n")
        for number, part in enumerate(parts):
            if number:
                row += 1
                column = 0
                if row >= count:
                    return result
            if part:
                result[row].append((column, column + len(part), token_type))
                column += len(part)
    return result


class _HunkSides:
    """Which lines of a hunk belong to the old and new texts, and where in them."""

    __slots__ = ("members", "position")

    def __init__(self, hunk: Hunk) -> None:
        old: list[int] = []
        new: list[int] = []
        position: list[int] = []
        for index, line in enumerate(hunk.lines):
            if line.kind is LineKind.ADDED:
                position.append(len(new))
                new.append(index)
            elif line.kind is LineKind.REMOVED:
                position.append(len(old))
                old.append(index)
            else:
                position.append(len(new))  # context lines are read from the new text
                old.append(index)
                new.append(index)
        self.members = (old, new)
        self.position = position


class Highlighter:
    """Token cache of one change. ``tokens()`` answers from the cache, lexes, or schedules."""

    def __init__(self, files: list[FileDiff], schedule: Callable[[BlockKey, Callable[[], list[LineTokens]]], None] | None = None) -> None:
        self._files = files
        self._schedule = schedule
        self._aliases: dict[int, str | None] = {}
        self._sides: dict[tuple[int, int], _HunkSides] = {}
        self._cache: OrderedDict[BlockKey, list[LineTokens]] = OrderedDict()
        self._pending: set[BlockKey] = set()
        self._deadline = float("inf")
        self.lexed_lines = 0  # for tests and the benchmark: proves the lexing stays lazy

    def begin_paint(self) -> None:
        """Start a paint's lexing budget."""
        self._deadline = time.perf_counter() + PAINT_BUDGET_S

    def lexer_for_file(self, file_index: int) -> Lexer | None:
        if file_index not in self._aliases:
            self._aliases[file_index] = lexer_alias_for(self._files[file_index].path)
        alias = self._aliases[file_index]
        return _lexer(alias) if alias else None

    def tokens(self, file_index: int, hunk_index: int, line_index: int) -> LineTokens | None:
        """Tokens of one line; None when unknown language or not lexed yet (then it is on its way)."""
        if self.lexer_for_file(file_index) is None:
            return None
        sides = self._hunk_sides(file_index, hunk_index)
        hunk = self._files[file_index].hunks[hunk_index]
        side = OLD if hunk.lines[line_index].kind is LineKind.REMOVED else NEW
        position = sides.position[line_index]
        key = (file_index, hunk_index, side, position // BLOCK_LINES)
        block = self._cache.get(key)
        if block is not None:
            self._cache.move_to_end(key)
            return block[position % BLOCK_LINES]
        if key in self._pending:
            return None
        texts = self._block_texts(key)
        if sum(map(len, texts)) <= BLOCK_CHARS and (time.perf_counter() < self._deadline or self._schedule is None):
            self.store(key, self._lex(file_index, texts))
            return self._cache[key][position % BLOCK_LINES]
        if self._schedule is None:
            return None
        self._pending.add(key)
        lexer = self.lexer_for_file(file_index)
        assert lexer is not None
        self._schedule(key, lambda: tokenize_lines(lexer, texts))
        return None

    def store(self, key: BlockKey, block: list[LineTokens]) -> None:
        """Keep a lexed block (called directly, or with a worker's result)."""
        self._pending.discard(key)
        self.lexed_lines += len(block)
        self._cache[key] = block
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_BLOCKS:
            self._cache.popitem(last=False)

    def drop_pending(self, key: BlockKey) -> None:
        """A worker failed or was cancelled: allow asking again."""
        self._pending.discard(key)

    def _hunk_sides(self, file_index: int, hunk_index: int) -> _HunkSides:
        sides = self._sides.get((file_index, hunk_index))
        if sides is None:
            sides = _HunkSides(self._files[file_index].hunks[hunk_index])
            self._sides[(file_index, hunk_index)] = sides
        return sides

    def _block_texts(self, key: BlockKey) -> list[str]:
        file_index, hunk_index, side, block = key
        members = self._hunk_sides(file_index, hunk_index).members[side]
        lines = self._files[file_index].hunks[hunk_index].lines
        chosen = members[block * BLOCK_LINES:(block + 1) * BLOCK_LINES]
        return [lines[index].text for index in chosen]

    def _lex(self, file_index: int, texts: list[str]) -> list[LineTokens]:
        lexer = self.lexer_for_file(file_index)
        assert lexer is not None
        return tokenize_lines(lexer, texts)
