"""The two sides of a changed file as text, for the structured analysers.

A parser needs whole files; a diff shows hunks. Three cases:
  * a file added or deleted whole: the diff holds every line of the side that exists, so that
    side is complete (the other side is empty);
  * a range analysed in a repository: both sides come from git, read by the blob ids of the
    diff's ``index`` lines (``--full-index``). A blob id names its content, so the text read is
    the text the diff was made from, whichever clone holds it;
  * a patch alone (no repository, abbreviated or missing blob ids): only the hunks are known.
    ``Side.complete`` is then False and each analyser says what it can still judge.
``Side.numbers`` maps each line of ``Side.text`` to its line number in the real file, so a
finding always points at the real line, even when the text is a fragment made of hunks.
"""

from __future__ import annotations

import contextlib
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from reviewer_app.core.model import FileDiff, FileStatus, LineKind

FULL_BLOB_ID = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
EMPTY_BLOB = re.compile(r"^0+$")
MAX_BLOB_BYTES = 2_000_000  # larger files are not parsed (a generated file, not a hand-written manifest)

# The repository whose objects back the change being assessed (set by analysis.analyze).
_REPOSITORY: ContextVar[Path | None] = ContextVar("reviewer_structure_repository", default=None)


# Ranges this process loaded from a repository, by (base, head): their texts can be read even when
# the caller assesses the change without naming a repository.
_RANGES: dict[tuple[str, str], Path] = {}


def remember_range(base: str, head: str, repo: Path) -> None:
    """Record where the range ``base..head`` was loaded from (ingest.load_git_range calls this)."""
    _RANGES[(base, head)] = repo


def known_repositories() -> list[Path]:
    """Every repository this process reads changes from (the one being assessed, then the ranges' own), once each:
    where a blob named only by its id can be looked up."""
    return list(dict.fromkeys(repo for repo in (_REPOSITORY.get(), *_RANGES.values()) if repo is not None))


def repository_for(base: str | None, head: str | None) -> Path | None:
    """The repository backing the change ``base..head``: the one being assessed, else the one the range
    was loaded from; None when the change came from a patch alone."""
    return _REPOSITORY.get() or (_RANGES.get((base, head)) if base and head else None)


def git_output(repo: Path, *args: str, input_bytes: bytes | None = None, timeout: float = 30) -> bytes | None:
    """The output of ``git args`` in ``repo`` (pinned configuration, replace refs ignored, as every git the
    product runs), or None when git fails, is missing or hangs: the analysers then judge the hunks alone."""
    from reviewer_app.core.gitcmd import run_git
    from reviewer_app.errors import UserError

    try:
        proc = run_git(repo, *args, input_bytes=input_bytes, check=False, timeout=timeout)
    except (UserError, OSError):
        return None
    return proc.stdout if proc.returncode == 0 else None


@contextlib.contextmanager
def repository(path: Path | None) -> Iterator[None]:
    """Within this block, file texts are read from ``path``'s object store when the diff names them."""
    token = _REPOSITORY.set(path)
    try:
        yield
    finally:
        _REPOSITORY.reset(token)


@dataclass(slots=True)
class Side:
    """One side of a file: its text, the real line number of each of its lines, the lines changed.

    A fragment (hunks only) is assembled on first use: most analysers decline a fragment unread.
    """

    _text: str | None
    _numbers: list[int] | None
    changed: set[int] = field(default_factory=set)  # real numbers of the added (new) or removed (old) lines
    complete: bool = True
    exists: bool = True  # False for the old side of an added file and the new side of a deleted one
    _lines: list[str] | None = None
    _build: Callable[[], tuple[str, list[int]]] | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._assemble()
        return self._text  # type: ignore[return-value]

    @property
    def numbers(self) -> list[int]:
        if self._numbers is None:
            self._assemble()
        return self._numbers  # type: ignore[return-value]

    def _assemble(self) -> None:
        text, numbers = self._build() if self._build is not None else ("", [])
        self._text, self._numbers = text, numbers

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def locate(self, needle: re.Pattern[str] | str, start: int = 0, end: int | None = None) -> int:
        """The real line number of the first line of ``lines[start:end]`` that holds ``needle``.

        A changed line is preferred (the culprit is what the change wrote); 0 when none holds it.
        """
        search = needle.search if isinstance(needle, re.Pattern) else (lambda text: needle in text)
        stop = len(self.lines) if end is None else min(end, len(self.lines))
        first = 0
        for index in range(max(0, start), stop):
            if search(self.lines[index]):
                number = self.real_line(index)
                if number in self.changed:
                    return number
                first = first or number
        return first

    def real_line(self, index: int) -> int:
        """The real line number of the 0-based line ``index`` of ``text``."""
        if 0 <= index < len(self.numbers):
            return self.numbers[index]
        return self.numbers[-1] if self.numbers else 0


@dataclass(slots=True)
class FileSides:
    diff: FileDiff
    old: Side
    new: Side

    @property
    def complete(self) -> bool:
        return self.old.complete and self.new.complete


class BlobReader:
    """Reads blobs by id from a repository with one ``git cat-file --batch`` per change."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo

    def read(self, blob_ids: list[str]) -> dict[str, str]:
        wanted = [b for b in dict.fromkeys(blob_ids) if FULL_BLOB_ID.match(b) and not EMPTY_BLOB.match(b)]
        if not wanted:
            return {}
        out = git_output(self.repo, "cat-file", "--batch", input_bytes=("\n".join(wanted) + "\n").encode(), timeout=60)
        return {} if out is None else _parse_batch(out)  # no git, or it hung: the analysers fall back to the hunks


def _parse_batch(out: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    pos = 0
    while pos < len(out):
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].decode("ascii", "replace").split()
        pos = end + 1
        if len(header) != 3 or header[1] != "blob":  # "<id> missing", or not a blob
            continue
        size = int(header[2])
        content = out[pos:pos + size]
        pos += size + 1
        if size <= MAX_BLOB_BYTES:
            found[header[0]] = content.decode("utf-8", "replace")
    return found


def sides_for(diffs: list[FileDiff], base: str | None = None, head: str | None = None) -> dict[int, FileSides]:
    """FileSides for each diff (keyed by its index in ``diffs``), full texts read where possible."""
    repo = repository_for(base, head)
    blobs: dict[str, str] = {}
    if repo is not None:
        ids = [b for d in diffs if d.status is not FileStatus.ADDED and d.status is not FileStatus.DELETED
               for b in (d.old_blob or "", d.new_blob or "")]
        blobs = BlobReader(repo).read(ids) if ids else {}
    return {index: _sides(diff, blobs) for index, diff in enumerate(diffs)}


def _sides(diff: FileDiff, blobs: dict[str, str]) -> FileSides:
    if diff.status is FileStatus.ADDED:
        new = _whole_side(diff, LineKind.ADDED)
        return FileSides(diff, Side("", [], complete=True, exists=False), new)
    if diff.status is FileStatus.DELETED:
        old = _whole_side(diff, LineKind.REMOVED)
        return FileSides(diff, old, Side("", [], complete=True, exists=False))
    old_text = blobs.get(diff.old_blob or "")
    new_text = blobs.get(diff.new_blob or "")
    if old_text is not None and new_text is not None:
        old, new = _full_side(old_text, diff, LineKind.REMOVED), _full_side(new_text, diff, LineKind.ADDED)
        # A patch's index line is only a claim: the texts count only if every line the diff shows
        # is there, at its number. Otherwise a patch could name a harmless blob while its hunks add
        # something else, and the analysers would judge the wrong file.
        if _agrees(diff, old, "old_no", LineKind.ADDED) and _agrees(diff, new, "new_no", LineKind.REMOVED):
            return FileSides(diff, old, new)
    return FileSides(diff, _fragment_side(diff, LineKind.REMOVED), _fragment_side(diff, LineKind.ADDED))


def _agrees(diff: FileDiff, side: Side, attr: str, other: LineKind) -> bool:
    lines = side.lines
    for hunk in diff.hunks:
        for line in hunk.lines:
            if line.kind is other:
                continue
            number = getattr(line, attr)
            if not number or number > len(lines) or lines[number - 1] != line.text:
                return False
    return True


def _changed(diff: FileDiff, kind: LineKind) -> set[int]:
    attr = "new_no" if kind is LineKind.ADDED else "old_no"
    return {getattr(line, attr) or 0 for hunk in diff.hunks for line in hunk.lines if line.kind is kind}


def _whole_side(diff: FileDiff, kind: LineKind) -> Side:
    attr = "new_no" if kind is LineKind.ADDED else "old_no"
    lines = [line for hunk in diff.hunks for line in hunk.lines if line.kind is kind]
    return Side("\n".join(line.text for line in lines) + ("\n" if lines else ""),
                [getattr(line, attr) or 0 for line in lines], _changed(diff, kind), complete=True)


def _full_side(text: str, diff: FileDiff, kind: LineKind) -> Side:
    count = text.count("\n") + 1
    return Side(text, list(range(1, count + 1)), _changed(diff, kind), complete=True)


def _fragment_side(diff: FileDiff, kind: LineKind) -> Side:
    """The hunks' lines of one side (context plus that side's changes), in order, assembled on first use."""
    attr = "new_no" if kind is LineKind.ADDED else "old_no"

    def build() -> tuple[str, list[int]]:
        texts: list[str] = []
        numbers: list[int] = []
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is LineKind.CONTEXT or line.kind is kind:
                    texts.append(line.text)
                    numbers.append(getattr(line, attr) or 0)
        return "\n".join(texts) + ("\n" if texts else ""), numbers

    return Side(None, None, _changed(diff, kind), complete=False, _build=build)
