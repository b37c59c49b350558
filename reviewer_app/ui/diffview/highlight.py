"""Lazy syntax highlighting: pygments tokens for the lines on screen, lexed in small cached blocks.

pygments lexes about 10-25k lines/s here, so a 150k-line change is never lexed up front. Each
hunk is lexed per *side* (the old text is context + removed lines, the new text context + added
lines: each is a real excerpt of a file, so the lexer sees sensible code), in blocks of at most
BLOCK_LINES lines and BLOCK_CHARS characters, cached per (file, hunk, side, block). The canvas
asks for the tokens of the rows it paints; a block small enough is lexed on the spot while the
paint's time budget lasts; anything else (a block with a megabyte-long minified line, or the
rest once the budget is spent) is queued and lexed in resumable slices between event-loop
turns, and the canvas repaints as blocks complete. No Qt here.
"""

from __future__ import annotations

import fnmatch
import posixpath
import time
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound

from reviewer_app.core.model import FileDiff, Hunk, LineKind

BLOCK_LINES = 32  # ~3 ms of lexing for dense code: several blocks fit one paint
BLOCK_CHARS = 4_000  # a block with more text than this is always lexed in slices
PAINT_BUDGET_S = 0.015  # lexing done inside one paint (keeps a paint ~30 ms); the rest in slices right after
SECONDS_PER_CHAR = 3e-6  # pygments' Python lexer here (~10k lines/s): a block is lexed in a paint only if it fits
CACHE_BLOCKS = 4_000  # LRU bound: ~128k lines of tokens, a few MB

OLD, NEW = 0, 1

# Per line, flattened (start column, end column, token type id) triples in Line.text columns.
LineTokens = Sequence[int]
BlockKey = tuple[int, int, int, int]  # file, hunk, side, block

TOKEN_TYPES: list[_TokenType] = []  # token type id -> pygments token type
_TOKEN_IDS: dict[_TokenType, int] = {}


def _token_id(token_type: _TokenType) -> int:
    found = _TOKEN_IDS.get(token_type)
    if found is None:
        found = len(TOKEN_TYPES)
        TOKEN_TYPES.append(token_type)
        _TOKEN_IDS[token_type] = found
    return found


def token_spans(tokens: LineTokens) -> list[tuple[int, int, _TokenType]]:
    """The (start, end, token type) spans of one line's tokens."""
    return [(tokens[i], tokens[i + 1], TOKEN_TYPES[tokens[i + 2]]) for i in range(0, len(tokens), 3)]


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


# The tokens of a block of lines: (data, offsets), two flat tuples of ints; line i's tokens are
# data[offsets[i]:offsets[i + 1]]. Plain tuples of ints only: the cyclic garbage collector stops
# tracking them after one look, so a full cache adds nothing to its full passes (per-line lists
# of tuples did, and those passes stalled the UI ~0.1 s at a time while scrolling a big change).
TokenBlock = tuple[tuple[int, ...], tuple[int, ...]]


def pack_block(spans: list[list[int]]) -> TokenBlock:
    offsets = [0]
    for line in spans:
        offsets.append(offsets[-1] + len(line))
    return (tuple(value for line in spans for value in line), tuple(offsets))


def block_line(block: TokenBlock, index: int) -> LineTokens:
    data, offsets = block
    return data[offsets[index]:offsets[index + 1]]


def block_lines(block: TokenBlock) -> int:
    return len(block[1]) - 1


class _LexJob:
    """Lexing of one block that can stop at a deadline and resume later (pygments yields tokens lazily)."""

    __slots__ = ("_spans", "_tokens", "_row", "_column", "_count")

    def __init__(self, lexer: Lexer, lines: list[str]) -> None:
        self._spans: list[list[int]] = [[] for _ in lines]
        self._count = len(lines)
        self._row = 0
        self._column = 0
        # pygments turns "\r" into a line break; CRLF lines keep their "\r", so blank it (same width).
        self._tokens = lexer.get_tokens("\n".join(lines).replace("\r", " "))

    def advance(self, deadline: float) -> bool:
        """Consume tokens until done (True) or past ``deadline`` (False, resumable)."""
        spans, count = self._spans, self._count
        row, column = self._row, self._column
        checked = 0
        for token_type, value in self._tokens:
            parts = value.split("\n")
            type_id = _token_id(token_type)
            for number, part in enumerate(parts):
                if number:
                    row += 1
                    column = 0
                    if row >= count:
                        return True
                if part:
                    end = column + len(part)
                    if not part.isspace():  # blanks are never drawn: fewer runs to paint
                        spans[row] += (column, end, type_id)
                    column = end
            checked += 1
            if checked % 64 == 0 and time.perf_counter() > deadline:
                self._row, self._column = row, column
                return False
        return True


    @property
    def result(self) -> TokenBlock:
        return pack_block(self._spans)


def tokenize_lines(lexer: Lexer, lines: list[str]) -> TokenBlock:
    """Lex ``lines`` as one text and split the tokens back per line."""
    job = _LexJob(lexer, lines)
    job.advance(float("inf"))
    return job.result


# Which lines of a hunk belong to the old and new texts, and where in them:
# ((old text's line indices, new text's line indices), per hunk line its place in its text).
# Plain tuples of ints, for the garbage collector's sake (see TokenBlock).
_HunkSides = tuple[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, ...]]


def _hunk_sides(hunk: Hunk) -> _HunkSides:
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
    return ((tuple(old), tuple(new)), tuple(position))


class Highlighter:
    """Token cache of one change. ``tokens()`` answers from the cache, lexes now, or queues the block.

    Queued blocks are lexed by ``work()`` in slices of a few milliseconds from the event loop (the
    canvas drives it with a zero timer). No thread: pygments is pure Python, and a lexing thread
    would hold the GIL against the UI thread at every Qt call (the convoy effect), which stalls
    scrolling far more than slicing does.
    """

    def __init__(self, files: list[FileDiff]) -> None:
        self._files = files
        self._aliases: dict[int, str | None] = {}
        self._sides: dict[tuple[int, int], _HunkSides] = {}
        self._cache: OrderedDict[BlockKey, TokenBlock] = OrderedDict()
        self._queue: OrderedDict[BlockKey, _LexJob | None] = OrderedDict()  # None: not started
        self._wanted: set[BlockKey] = set()
        self._visible: set[BlockKey] = set()  # queued blocks the last paint showed unhighlighted
        self._deadline = float("inf")
        self.lexed_lines = 0  # for tests and the benchmark: proves the lexing stays lazy

    def begin_paint(self, budget: float = PAINT_BUDGET_S) -> None:
        """Start a paint: its lexing budget, and a fresh list of the blocks it wants."""
        self._deadline = time.perf_counter() + budget
        self._wanted = set()
        self._visible = set()

    def end_paint(self) -> None:
        """Forget queued blocks the paint did not ask for again (scrolled away)."""
        for key in [key for key in self._queue if key not in self._wanted]:
            del self._queue[key]

    @property
    def has_work(self) -> bool:
        return bool(self._queue)

    @property
    def has_visible_work(self) -> bool:
        """Whether a queued block is on screen (its completion deserves a repaint; a prefetch does not)."""
        return any(key in self._queue for key in self._visible)

    def work(self, budget: float) -> bool:
        """Lex queued blocks for about ``budget`` seconds; True when at least one block completed."""
        deadline = time.perf_counter() + budget
        completed = False
        while self._queue and time.perf_counter() < deadline:
            key, job = next(iter(self._queue.items()))
            if job is None:
                lexer = self.lexer_for_file(key[0])
                if lexer is None:
                    del self._queue[key]
                    continue
                job = _LexJob(lexer, self._block_texts(key))
                self._queue[key] = job
            if job.advance(deadline):
                del self._queue[key]
                self.store(key, job.result)
                completed = True
        return completed

    def lexer_for_file(self, file_index: int) -> Lexer | None:
        if file_index not in self._aliases:
            self._aliases[file_index] = lexer_alias_for(self._files[file_index].path)
        alias = self._aliases[file_index]
        return _lexer(alias) if alias else None

    def tokens(self, file_index: int, hunk_index: int, line_index: int) -> LineTokens | None:
        """Tokens of one line; None for an unknown language or a block still queued."""
        if self.lexer_for_file(file_index) is None:
            return None
        sides = self._hunk_sides(file_index, hunk_index)
        hunk = self._files[file_index].hunks[hunk_index]
        side = OLD if hunk.lines[line_index].kind is LineKind.REMOVED else NEW
        position = sides[1][line_index]
        key = (file_index, hunk_index, side, position // BLOCK_LINES)
        block = self._cache.get(key)
        if block is not None:
            self._cache.move_to_end(key)
            return block_line(block, position % BLOCK_LINES)
        self._wanted.add(key)
        if key not in self._queue:
            texts = self._block_texts(key)
            chars = sum(map(len, texts))
            if chars <= BLOCK_CHARS and time.perf_counter() + chars * SECONDS_PER_CHAR < self._deadline:
                lexer = self.lexer_for_file(file_index)
                assert lexer is not None
                self.store(key, tokenize_lines(lexer, texts))
                return block_line(self._cache[key], position % BLOCK_LINES)
            self._queue[key] = None
        self._visible.add(key)
        return None

    def prefetch(self, file_index: int, hunk_index: int, line_index: int) -> bool:
        """Queue the block of a line about to be shown (the next page); True when it was queued."""
        if self.lexer_for_file(file_index) is None:
            return False
        sides = self._hunk_sides(file_index, hunk_index)
        side = OLD if self._files[file_index].hunks[hunk_index].lines[line_index].kind is LineKind.REMOVED else NEW
        key = (file_index, hunk_index, side, sides[1][line_index] // BLOCK_LINES)
        if key in self._cache or key in self._queue:
            return False
        self._queue[key] = None
        self._wanted.add(key)
        return True

    def store(self, key: BlockKey, block: TokenBlock) -> None:
        self.lexed_lines += block_lines(block)
        self._cache[key] = block
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_BLOCKS:
            self._cache.popitem(last=False)

    def _hunk_sides(self, file_index: int, hunk_index: int) -> _HunkSides:
        sides = self._sides.get((file_index, hunk_index))
        if sides is None:
            sides = _hunk_sides(self._files[file_index].hunks[hunk_index])
            self._sides[(file_index, hunk_index)] = sides
        return sides

    def _block_texts(self, key: BlockKey) -> list[str]:
        file_index, hunk_index, side, block = key
        members = self._hunk_sides(file_index, hunk_index)[0][side]
        lines = self._files[file_index].hunks[hunk_index].lines
        chosen = members[block * BLOCK_LINES:(block + 1) * BLOCK_LINES]
        return [lines[index].text for index in chosen]
