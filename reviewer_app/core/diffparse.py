"""Parse unified diffs into the change model.

Accepted inputs: ``git diff`` output, ``git format-patch`` output and mbox files holding several
patches (From/Date/Subject headers, message body, trailers), ``git show``/``git log -p`` output, and
plain ``diff -u`` / ``diff -ru``. Added, deleted, renamed and copied files, mode changes, binary files,
CRLF, "\\ No newline at end of file" and non-UTF-8 bytes are handled; bad input raises ``UserError``
naming the source and line, never anything else.

Speed matters (a 150k-line diff must parse in about the time unidiff takes): one pass over the
lines, dispatch on the first character, no regex per hunk line.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from dataclasses import dataclass, field

from reviewer_app.core.model import Change, Commit, FileDiff, FileStatus, Hunk, Line, LineKind, Person
from reviewer_app.errors import UserError, located

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_MBOX_FROM = re.compile(r"^From (\S+) ")
_MAIL_HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$")
_INDEX_LINE = re.compile(r"^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: (\d{6}))?$")
_SURROGATE = re.compile("[\udc80-\udcff]")
_PATCH_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)+")
_GIT_SHOW_COMMIT = re.compile(r"^commit ([0-9a-f]{40}|[0-9a-f]{64})\b")

_ADDED, _REMOVED, _CONTEXT = LineKind.ADDED, LineKind.REMOVED, LineKind.CONTEXT


@dataclass
class _Header:
    """Commit metadata gathered from mail or ``git show`` headers before the diff starts."""

    subject: str = ""
    body: str = ""
    author: Person | None = None
    committer: Person | None = None
    author_date: str | None = None
    commit_date: str | None = None
    sha: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def parse_patch(data: bytes, source: str = "<patch>") -> list[Change]:
    """Parse patch bytes into one Change per patch (an mbox may hold several)."""
    if not data or not data.strip():
        raise UserError(f"{source}: empty input: expected a diff, a format-patch file or an mbox")
    if b"\0" in data[:8192] and not data.lstrip().startswith((b"From ", b"diff ", b"---", b"commit ")):
        raise UserError(f"{source}: binary data, not a diff")
    try:
        text = data.decode("utf-8")
        lossy = False
    except UnicodeDecodeError:
        # Keep every byte (surrogateescape) so the change id sees the real content; lines that
        # were not UTF-8 get a readable U+FFFD version plus their raw bytes in Line.raw.
        text = data.decode("utf-8", "surrogateescape")
        lossy = True
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    parser = _Parser(lines, source, lossy)
    changes = parser.parse()
    for change in changes:
        change.source = source
    if len(changes) == 1:
        changes[0].raw = data
    else:
        for change, (start, end) in zip(changes, parser.spans):
            change.raw = "\n".join(lines[start:end]).encode("utf-8", "surrogateescape") + b"\n"
    return changes


class _Parser:
    def __init__(self, lines: list[str], source: str, lossy: bool) -> None:
        self.lines = lines
        self.source = source
        self.lossy = lossy
        self.i = 0
        self.spans: list[tuple[int, int]] = []

    # --- structure --------------------------------------------------------------------------

    def parse(self) -> list[Change]:
        starts = self._patch_starts()
        changes: list[Change] = []
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else len(self.lines)
            self.spans.append((start, end))
            changes.append(self._parse_one(start, end))
        if not changes:
            raise UserError(
                f"{self.source}: no diff found (expected git diff, format-patch/mbox or diff -u output)"
            )
        return changes

    def _patch_starts(self) -> list[int]:
        """Line indexes where a patch begins: each mbox ``From `` line, else the whole input."""
        starts: list[int] = []
        lines = self.lines
        for index, line in enumerate(lines):
            if line.startswith("From ") and (index == 0 or lines[index - 1].strip() == ""):
                nxt = lines[index + 1] if index + 1 < len(lines) else ""
                if _MAIL_HEADER.match(nxt) and _MBOX_FROM.match(line):
                    starts.append(index)
        if not starts or (starts[0] != 0 and any(line.startswith(("diff ", "--- ", "@@")) for line in lines[: starts[0]])):
            return [0] + starts if starts else [0]
        return starts

    def _parse_one(self, start: int, end: int) -> Change:
        self.i = start
        header = _Header()
        first = self.lines[start] if start < end else ""
        if _MBOX_FROM.match(first) and start + 1 < end and _MAIL_HEADER.match(self.lines[start + 1]):
            header = self._mail_header(end)
        elif _GIT_SHOW_COMMIT.match(first):
            header = self._git_show_header(end)
        files = self._files(end)
        if not files:
            where = header.subject or self.source
            raise located(self.source, start + 1, f"no diff found in patch '{where}'")
        return _build_change(header, files)

    # --- commit metadata --------------------------------------------------------------------

    def _mail_header(self, end: int) -> _Header:
        header = _Header()
        header.sha = _MBOX_FROM.match(self.lines[self.i]).group(1)  # type: ignore[union-attr]
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", header.sha):
            header.sha = None
        self.i += 1
        fields: dict[str, str] = {}
        last = None
        while self.i < end:
            line = self.lines[self.i].rstrip("\r")
            if line == "":
                self.i += 1
                break
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
            else:
                match = _MAIL_HEADER.match(line)
                if not match:
                    break
                last = match.group(1).lower()
                fields[last] = match.group(2)
            self.i += 1
        subject = _decode_mime(fields.get("subject", ""))
        header.subject = _PATCH_PREFIX.sub("", subject).strip()
        name, addr = email.utils.parseaddr(_decode_mime(fields.get("from", "")))
        header.author = Person(name or addr, addr)
        header.author_date = _rfc3339_from_mail(fields.get("date"))
        body: list[str] = []
        while self.i < end:
            line = self.lines[self.i].rstrip("\r")
            if line == "---" or line.startswith("diff --git ") or line.startswith("Index: "):
                break
            body.append(line)
            self.i += 1
        header.body = "\n".join(body).strip("\n")
        return header

    def _git_show_header(self, end: int) -> _Header:
        header = _Header(sha=_GIT_SHOW_COMMIT.match(self.lines[self.i]).group(1))  # type: ignore[union-attr]
        self.i += 1
        while self.i < end and self.lines[self.i].strip():
            line = self.lines[self.i].rstrip("\r")
            key, _, value = line.partition(":")
            value = value.strip()
            if key == "Author":
                name, addr = email.utils.parseaddr(value)
                header.author = Person(name or addr, addr)
            elif key in ("Date", "AuthorDate"):
                header.author_date = _rfc3339_from_mail(value) or value
            elif key == "Commit":
                name, addr = email.utils.parseaddr(value)
                header.committer = Person(name or addr, addr)
            elif key == "CommitDate":
                header.commit_date = _rfc3339_from_mail(value) or value
            self.i += 1
        message: list[str] = []
        while self.i < end and not self.lines[self.i].startswith("diff "):
            line = self.lines[self.i].rstrip("\r")
            message.append(line[4:] if line.startswith("    ") else line.strip())
            self.i += 1
        text = "\n".join(message).strip("\n")
        subject, _, body = text.partition("\n")
        header.subject, header.body = subject.strip(), body.strip("\n")
        return header

    # --- files and hunks --------------------------------------------------------------------

    def _files(self, end: int) -> list[FileDiff]:
        files: list[FileDiff] = []
        lines = self.lines
        while self.i < end:
            line = lines[self.i]
            if line.startswith("diff --git "):
                files.append(self._git_file(end))
            elif line.startswith("--- ") and self.i + 1 < end and lines[self.i + 1].startswith("+++ "):
                files.append(self._plain_file(end))
            elif line.startswith("@@ -"):
                raise located(self.source, self.i + 1, "hunk without a file header (--- / +++ lines)")
            else:
                self.i += 1  # mail text, diffstat, "Only in ...", signature: not part of any file
        return files

    def _git_file(self, end: int) -> FileDiff:
        start_line = self.i + 1
        old_path, new_path = self._paths_from_diff_git(self.lines[self.i][len("diff --git "):].rstrip("\r"))
        file = FileDiff(old_path=old_path, new_path=new_path, status=FileStatus.MODIFIED)
        self.i += 1
        lines = self.lines
        while self.i < end:
            line = lines[self.i].rstrip("\r")
            if line.startswith(("diff --git ", "@@ ", "Binary files ", "GIT binary patch")):
                break
            if line.startswith("--- "):
                if self.i + 1 >= end or not lines[self.i + 1].startswith("+++ "):
                    raise located(self.source, self.i + 2, "'--- ' line not followed by '+++ '")
                file.old_path = _strip_prefix(self._header_path(line[4:], self.i + 1), "a/")
                file.new_path = _strip_prefix(self._header_path(lines[self.i + 1][4:], self.i + 2), "b/")
                self.i += 2
                break
            self._extended_header(file, line)
            self.i += 1
        if self.i < end and lines[self.i].startswith("@@ "):
            file.hunks = self._hunks(end)
        elif self.i < end and lines[self.i].startswith(("Binary files ", "GIT binary patch")):
            file.binary = True
            self._skip_binary(file, end)
        if file.status is FileStatus.MODIFIED:
            if file.old_path is None and file.new_path is not None:
                file.status = FileStatus.ADDED
            elif file.new_path is None and file.old_path is not None:
                file.status = FileStatus.DELETED
        if file.status is FileStatus.ADDED:
            file.old_path = None
        elif file.status is FileStatus.DELETED:
            file.new_path = None
        for path in (file.old_path, file.new_path):
            if path is not None:
                _check_path(path, self.source, start_line)
        return file

    def _extended_header(self, file: FileDiff, line: str) -> None:
        if line.startswith("new file mode "):
            file.status, file.new_mode, file.old_path = FileStatus.ADDED, line[14:].strip(), None
        elif line.startswith("deleted file mode "):
            file.status, file.old_mode, file.new_path = FileStatus.DELETED, line[18:].strip(), None
        elif line.startswith("old mode "):
            file.old_mode = line[9:].strip()
        elif line.startswith("new mode "):
            file.new_mode = line[9:].strip()
        elif line.startswith("rename from "):
            file.status, file.old_path = FileStatus.RENAMED, _unquote(line[12:])
        elif line.startswith("rename to "):
            file.status, file.new_path = FileStatus.RENAMED, _unquote(line[10:])
        elif line.startswith("copy from "):
            file.status, file.old_path = FileStatus.COPIED, _unquote(line[10:])
        elif line.startswith("copy to "):
            file.status, file.new_path = FileStatus.COPIED, _unquote(line[8:])
        elif line.startswith(("similarity index ", "dissimilarity index ")):
            digits = re.sub(r"\D", "", line)
            file.similarity = int(digits) if digits else None
        elif line.startswith("index "):
            match = _INDEX_LINE.match(line)
            if match:
                file.old_blob, file.new_blob = match.group(1).lower(), match.group(2).lower()
                if match.group(3) and not file.old_mode:
                    file.old_mode = file.new_mode = match.group(3)

    def _paths_from_diff_git(self, rest: str) -> tuple[str | None, str | None]:
        if rest.startswith('"'):
            old, remainder = _take_quoted(rest)
            new = _unquote(remainder.strip())
            return _strip_prefix(old, "a/"), _strip_prefix(new, "b/")
        if rest.endswith('"'):
            split = rest.rfind(' "')
            return _strip_prefix(rest[:split], "a/"), _strip_prefix(_unquote(rest[split + 1:]), "b/")
        # "a/P b/P": find the split where both halves name the same path (paths may contain spaces).
        for match in re.finditer(" b/", rest):
            old, new = rest[: match.start()], rest[match.end():]
            if old[2:] == new:
                return old[2:], new
        index = rest.find(" b/")
        if index < 0:
            parts = rest.split(" ", 1)
            return parts[0], parts[-1]
        return _strip_prefix(rest[:index], "a/"), rest[index + 3:]

    def _header_path(self, raw: str, line_no: int) -> str | None:
        raw = raw.rstrip("\r")
        if "\t" in raw and not raw.startswith('"'):
            raw = raw.split("\t", 1)[0]  # diff -u puts a timestamp after a tab
        path = _unquote(raw.strip()) if raw.strip().startswith('"') else raw.strip()
        if path == "/dev/null":
            return None
        if not path:
            raise located(self.source, line_no, "empty file name in diff header")
        return path

    def _plain_file(self, end: int) -> FileDiff:
        start_line = self.i + 1
        old = self._header_path(self.lines[self.i][4:], self.i + 1)
        new = self._header_path(self.lines[self.i + 1][4:], self.i + 2)
        old, new = _strip_plain_prefixes(old, new)
        self.i += 2
        if old is None and new is None:
            raise located(self.source, start_line, "both sides of the diff are /dev/null")
        status = FileStatus.ADDED if old is None else FileStatus.DELETED if new is None else FileStatus.MODIFIED
        if status is FileStatus.MODIFIED and old != new:
            status = FileStatus.RENAMED
        file = FileDiff(old_path=old, new_path=new, status=status)
        if self.i < end and self.lines[self.i].startswith("@@ "):
            file.hunks = self._hunks(end)
        else:
            raise located(self.source, self.i + 1, "expected a hunk header '@@ -a,b +c,d @@'")
        for path in (old, new):
            if path is not None:
                _check_path(path, self.source, start_line)
        return file

    def _hunks(self, end: int) -> list[Hunk]:
        hunks: list[Hunk] = []
        lines = self.lines
        lossy = self.lossy
        while self.i < end and lines[self.i].startswith("@@ "):
            header_no = self.i + 1
            match = _HUNK_HEADER.match(lines[self.i].rstrip("\r"))
            if not match:
                raise located(self.source, header_no, "malformed hunk header (expected '@@ -a,b +c,d @@')")
            old_start, new_start = int(match.group(1)), int(match.group(3))
            old_count = int(match.group(2)) if match.group(2) is not None else 1
            new_count = int(match.group(4)) if match.group(4) is not None else 1
            hunk = Hunk(old_start, old_count, new_start, new_count, match.group(5).rstrip("\r"))
            out = hunk.lines
            append = out.append
            old_left, new_left = old_count, new_count
            old_no, new_no = old_start, new_start
            self.i += 1
            while old_left > 0 or new_left > 0:
                if self.i >= end:
                    raise located(
                        self.source, self.i,
                        f"hunk starting at line {header_no} ends early: {old_left} old and {new_left} new lines missing",
                    )
                line = lines[self.i]
                first = line[:1]
                if first == "+":
                    if new_left <= 0:
                        raise located(self.source, self.i + 1, "more added lines than the hunk header announces")
                    item = Line(_ADDED, None, new_no, line[1:])
                    new_no += 1
                    new_left -= 1
                elif first == "-":
                    if old_left <= 0:
                        raise located(self.source, self.i + 1, "more removed lines than the hunk header announces")
                    item = Line(_REMOVED, old_no, None, line[1:])
                    old_no += 1
                    old_left -= 1
                elif first == " " or line == "" or line == "\r":
                    if old_left <= 0 or new_left <= 0:
                        raise located(self.source, self.i + 1, "more context lines than the hunk header announces")
                    item = Line(_CONTEXT, old_no, new_no, line[1:])
                    old_no += 1
                    new_no += 1
                    old_left -= 1
                    new_left -= 1
                elif first == "\\":
                    if out:
                        out[-1].no_newline = True
                    self.i += 1
                    continue
                else:
                    raise located(
                        self.source, self.i + 1,
                        f"hunk starting at line {header_no} ends early: {old_left} old and {new_left} new lines missing",
                    )
                if lossy and _SURROGATE.search(item.text):
                    item.raw = item.text.encode("utf-8", "surrogateescape")
                    item.text = item.raw.decode("utf-8", "replace")
                append(item)
                self.i += 1
            if self.i < end and lines[self.i].startswith("\\"):
                if out:
                    out[-1].no_newline = True
                self.i += 1
            if self.i < end and _looks_like_hunk_line(lines[self.i]):
                raise located(self.source, self.i + 1,
                              f"more lines than the hunk header at line {header_no} announces")
            hunks.append(hunk)
        return hunks

    def _skip_binary(self, file: FileDiff, end: int) -> None:
        """Skip the base85 data; a "literal N" block gives a size (forward block first: the new side)."""
        self.i += 1
        blocks = 0
        while self.i < end and not self.lines[self.i].startswith(("diff --git ", "-- ")):
            line = self.lines[self.i].rstrip("\r")
            if line.startswith(("literal ", "delta ")):
                blocks += 1
                size = int(line.split(" ", 1)[1]) if line.startswith("literal ") and line[8:].isdigit() else None
                if blocks == 1:
                    file.new_size = size
                elif blocks == 2:
                    file.old_size = size
            self.i += 1


# --- helpers ------------------------------------------------------------------------------------

def _looks_like_hunk_line(line: str) -> bool:
    """A +/-/space line right after a complete hunk: the header's counts were wrong."""
    if line.startswith(("--- ", "+++ ")) or line.rstrip("\r") == "-- ":
        return False
    return line[:1] in ("+", "-", " ")


def _build_change(header: _Header, files: list[FileDiff]) -> Change:
    author = header.author or Person("unknown", "")
    message = header.subject + ("\n\n" + header.body if header.body else "")
    title = header.subject or _title_from_files(files)
    commit = Commit(
        subject=header.subject, message=message, author=author, committer=header.committer,
        author_date=header.author_date, commit_date=header.commit_date, sha=header.sha,
    )
    has_commit = bool(header.subject or header.author)
    return Change(
        title=title, message=message, author=author, committer=header.committer,
        author_date=header.author_date, commit_date=header.commit_date, files=files,
        commits=[commit] if has_commit else [], head=header.sha,
    )


def _title_from_files(files: list[FileDiff]) -> str:
    if len(files) == 1:
        return f"Change to {files[0].path}"
    return f"Change to {len(files)} files"


def _decode_mime(value: str) -> str:
    try:
        parts = email.header.decode_header(value)
    except (ValueError, email.errors.HeaderParseError):  # type: ignore[attr-defined]
        return value
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            try:
                out.append(chunk.decode(charset or "utf-8", "replace"))
            except LookupError:
                out.append(chunk.decode("utf-8", "replace"))
        else:
            out.append(chunk)
    return "".join(out)


def _rfc3339_from_mail(value: str | None) -> str | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    text = parsed.isoformat()
    return text.replace("+00:00", "Z")


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(value: str) -> str:
    """Undo git's C-style quoting of a path: ``"a/caf\\303\\251"`` -> ``a/café``."""
    value = value.strip()
    if not (len(value) >= 2 and value[0] == '"' and value[-1] == '"'):
        return value
    body = value[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt.isdigit() and i + 3 < len(body) + 1:
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "replace")


def _take_quoted(value: str) -> tuple[str, str]:
    """Split a leading quoted path from the rest of the line."""
    i = 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == '"':
            return _unquote(value[: i + 1]), value[i + 1 :]
        i += 1
    return _unquote(value), ""


def _strip_prefix(path: str | None, prefix: str) -> str | None:
    if path is None:
        return None
    return path[len(prefix):] if path.startswith(prefix) else path


def _strip_plain_prefixes(old: str | None, new: str | None) -> tuple[str | None, str | None]:
    """``a/x b/x`` or ``old/x new/x`` (diff -ru): drop the first component, as ``patch -p1`` would."""
    if old is not None and new is not None:
        old_parts, new_parts = old.split("/", 1), new.split("/", 1)
        if len(old_parts) == 2 and len(new_parts) == 2 and old_parts[0] != new_parts[0]:
            return old_parts[1], new_parts[1]
        if old.startswith("a/") and new.startswith("b/"):
            return old[2:], new[2:]
        return old, new
    single = old if old is not None else new
    assert single is not None
    if single.startswith(("a/", "b/")):
        single = single[2:]
    return (None, single) if old is None else (single, None)


def _check_path(path: str, source: str, line_no: int) -> None:
    """Refuse paths that would escape the repository when the patch is applied."""
    parts = path.replace("\\", "/").split("/")
    if path.startswith("/") or ".." in parts:
        raise located(source, line_no, f"unsafe path {escape_for_display(path)!s} (absolute or containing '..')")
    if "\0" in path:
        raise located(source, line_no, "path contains a NUL byte")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def escape_for_display(text: str) -> str:
    """Make control, bidirectional and invisible characters visible: ``\\x1b``, ``<U+202E>``."""
    def visible(match: re.Match[str]) -> str:
        code = ord(match.group(0))
        return f"\\x{code:02x}" if code < 0x80 else f"<U+{code:04X}>"

    return _CONTROL.sub(visible, text)
