"""The change model: Change -> FileDiff -> Hunk -> Line.

Plain dataclasses, built by ``diffparse`` and read by every other part (risk rules, services,
approvals, the GUI). Slots keep a 150k-line diff small in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class LineKind(str, Enum):
    """The prefix of a hunk line: ' ' context, '-' removed, '+' added."""

    CONTEXT = " "
    REMOVED = "-"
    ADDED = "+"


class FileStatus(str, Enum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"


@dataclass(slots=True)
class Line:
    """One line of a hunk."""

    kind: LineKind
    old_no: int | None  # line number on the old side; None for added lines
    new_no: int | None  # line number on the new side; None for removed lines
    text: str  # without the prefix and without the line ending ("\r" of CRLF files is kept)
    no_newline: bool = False  # followed by "\ No newline at end of file"
    # The original bytes when the line was not valid UTF-8 (``text`` then holds U+FFFD
    # replacements); the change id is computed from these so distinct bytes never collide.
    raw: bytes | None = None

    @property
    def prefix(self) -> str:
        return self.kind.value


@dataclass(slots=True)
class Hunk:
    """One ``@@`` section of a file's diff."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str  # the text after the second "@@" (often the enclosing function)
    lines: list[Line] = field(default_factory=list)

    # Counted in a list (about twice as fast as a generator): a large diff's counts are read
    # several times (the change's totals, the change model, the JSON), over every line each time.
    @property
    def added(self) -> int:
        added = LineKind.ADDED
        return [line.kind is added for line in self.lines].count(True)

    @property
    def removed(self) -> int:
        removed = LineKind.REMOVED
        return [line.kind is removed for line in self.lines].count(True)


@dataclass(slots=True)
class FileDiff:
    """One file's part of a change: its paths, status, modes and hunks."""

    old_path: str | None  # None when the file is added
    new_path: str | None  # None when the file is deleted
    status: FileStatus
    old_mode: str | None = None
    new_mode: str | None = None
    binary: bool = False
    old_blob: str | None = None  # from the "index" line; used in the change id for binary files only
    new_blob: str | None = None
    similarity: int | None = None  # rename/copy similarity in percent
    # Sizes in bytes of a binary file's new and old content, from "GIT binary patch" literal blocks.
    old_size: int | None = None
    new_size: int | None = None
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The path a reviewer knows the file by: the new path, or the old one for deletions."""
        return self.new_path if self.new_path is not None else (self.old_path or "")

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)

    @property
    def mode_changed(self) -> bool:
        return self.old_mode is not None and self.new_mode is not None and self.old_mode != self.new_mode


@dataclass(slots=True)
class Person:
    """An author or committer."""

    name: str
    email: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email}


@dataclass(slots=True)
class Commit:
    """One commit's metadata, as found in an mbox patch or a git range."""

    subject: str
    message: str  # the full message: subject, blank line, body, trailers
    author: Person
    committer: Person | None = None
    author_date: str | None = None  # RFC 3339 when it could be parsed, else as given
    commit_date: str | None = None
    sha: str | None = None


@dataclass(slots=True)
class Change:
    """One reviewable change: a single patch, or a whole git range diffed from its merge base."""

    title: str
    message: str
    author: Person
    committer: Person | None
    author_date: str | None
    commit_date: str | None
    files: list[FileDiff]
    commits: list[Commit] = field(default_factory=list)
    base: str | None = None  # full commit ids when known (git ranges; "From <sha>" of format-patch)
    head: str | None = None
    source: str = ""  # where it came from: a file name, "<stdin>", or "git:BASE..HEAD"
    raw: bytes = b""  # the patch bytes as received (or as produced by git for a range)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)

    @property
    def paths(self) -> list[str]:
        """Every path the change touches (old and new sides of renames), sorted, unique."""
        seen = {p for f in self.files for p in (f.old_path, f.new_path) if p}
        return sorted(seen)
