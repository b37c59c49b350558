"""The change model: Change -> FileDiff -> Hunk -> Line.

Plain records (``records.Record``: what ``@dataclass`` would generate, without compiling it at every
start), built by ``diffparse`` and read by every other part (risk rules, services, approvals, the
GUI). Slots keep a 150k-line diff small in memory.
"""

from __future__ import annotations

from enum import Enum

from reviewer_app.core.records import Record


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


class Line(Record):
    """One line of a hunk."""

    __slots__ = FIELDS = ("kind", "old_no", "new_no", "text", "no_newline", "raw")

    def __init__(self, kind: LineKind, old_no: int | None, new_no: int | None, text: str, no_newline: bool = False,
                 raw: bytes | None = None) -> None:
        self.kind = kind
        self.old_no = old_no  # line number on the old side; None for added lines
        self.new_no = new_no  # line number on the new side; None for removed lines
        self.text = text  # without the prefix and without the line ending ("\r" of CRLF files is kept)
        self.no_newline = no_newline  # followed by "\ No newline at end of file"
        # The original bytes when the line was not valid UTF-8 (``text`` then holds U+FFFD
        # replacements); the change id is computed from these so distinct bytes never collide.
        self.raw = raw

    @property
    def prefix(self) -> str:
        return self.kind.value


class Hunk(Record):
    """One ``@@`` section of a file's diff."""

    __slots__ = FIELDS = ("old_start", "old_count", "new_start", "new_count", "section", "lines")

    def __init__(self, old_start: int, old_count: int, new_start: int, new_count: int, section: str,
                 lines: list[Line] | None = None) -> None:
        self.old_start = old_start
        self.old_count = old_count
        self.new_start = new_start
        self.new_count = new_count
        self.section = section  # the text after the second "@@" (often the enclosing function)
        self.lines = [] if lines is None else lines

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


class FileDiff(Record):
    """One file's part of a change: its paths, status, modes and hunks."""

    __slots__ = FIELDS = ("old_path", "new_path", "status", "old_mode", "new_mode", "binary", "old_blob", "new_blob",
                          "similarity", "old_size", "new_size", "hunks")

    def __init__(self, old_path: str | None, new_path: str | None, status: FileStatus, old_mode: str | None = None,
                 new_mode: str | None = None, binary: bool = False, old_blob: str | None = None,
                 new_blob: str | None = None, similarity: int | None = None, old_size: int | None = None,
                 new_size: int | None = None, hunks: list[Hunk] | None = None) -> None:
        self.old_path = old_path  # None when the file is added
        self.new_path = new_path  # None when the file is deleted
        self.status = status
        self.old_mode = old_mode
        self.new_mode = new_mode
        self.binary = binary
        self.old_blob = old_blob  # from the "index" line; used in the change id for binary files only
        self.new_blob = new_blob
        self.similarity = similarity  # rename/copy similarity in percent
        # Sizes in bytes of a binary file's new and old content, from "GIT binary patch" literal blocks.
        self.old_size = old_size
        self.new_size = new_size
        self.hunks = [] if hunks is None else hunks

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


class Person(Record):
    """An author or committer."""

    __slots__ = FIELDS = ("name", "email")

    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email}


class Commit(Record):
    """One commit's metadata, as found in an mbox patch or a git range."""

    __slots__ = FIELDS = ("subject", "message", "author", "committer", "author_date", "commit_date", "sha")

    def __init__(self, subject: str, message: str, author: Person, committer: Person | None = None,
                 author_date: str | None = None, commit_date: str | None = None, sha: str | None = None) -> None:
        self.subject = subject
        self.message = message  # the full message: subject, blank line, body, trailers
        self.author = author
        self.committer = committer
        self.author_date = author_date  # RFC 3339 when it could be parsed, else as given
        self.commit_date = commit_date
        self.sha = sha


class Change(Record):
    """One reviewable change: a single patch, or a whole git range diffed from its merge base."""

    __slots__ = FIELDS = ("title", "message", "author", "committer", "author_date", "commit_date", "files", "commits",
                          "base", "head", "source", "raw")

    def __init__(self, title: str, message: str, author: Person, committer: Person | None, author_date: str | None,
                 commit_date: str | None, files: list[FileDiff], commits: list[Commit] | None = None,
                 base: str | None = None, head: str | None = None, source: str = "", raw: bytes = b"") -> None:
        self.title = title
        self.message = message
        self.author = author
        self.committer = committer
        self.author_date = author_date
        self.commit_date = commit_date
        self.files = files
        self.commits = [] if commits is None else commits
        self.base = base  # full commit ids when known (git ranges; "From <sha>" of format-patch)
        self.head = head
        self.source = source  # where it came from: a file name, "<stdin>", or "git:BASE..HEAD"
        self.raw = raw  # the patch bytes as received (or as produced by git for a range)

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
