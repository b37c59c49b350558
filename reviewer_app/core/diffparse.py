"""Parse unified diffs into the change model.

Accepted inputs: ``git diff`` output, ``git format-patch`` output and mbox files holding several
patches (From/Date/Subject headers, message body, trailers), ``git show``/``git log -p`` output, and
plain ``diff -u`` / ``diff -ru``. Added, deleted, renamed and copied files, mode changes, binary files,
CRLF, "\\ No newline at end of file" and non-UTF-8 bytes are handled; bad input raises ``UserError``
naming the source and line, never anything else.

What is judged must be what git applies (docs/git-parity.md), so every input this parser does not
fully understand is refused rather than skipped: MIME multipart mail and transfer encodings
(``git mailinfo`` would decode them, this parser does not), anything but blank lines after binary
data, unknown lines in a ``diff --git`` header, and traditional headers whose names git would read
otherwise. Mail is split and its headers read as ``git mailsplit``/``git mailinfo`` do (an mbox
message starts at every line git takes for a ``From `` line; the commit message ends at the first
line git takes for the start of the patch).

Speed matters (a 150k-line diff must parse in about the time unidiff takes): one pass over the
lines, dispatch on the first character, no regex per hunk line.
"""

from __future__ import annotations

import re

from reviewer_app.core.lazyregex import lazy_compile  # module patterns: compiled on first use
from reviewer_app.core.model import Change, Commit, FileDiff, FileStatus, Hunk, Line, LineKind, Person
from reviewer_app.core.records import Record
from reviewer_app.errors import UserError, located

_HUNK_HEADER = lazy_compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_MBOX_FROM = lazy_compile(r"^From (\S+) ")
_AM_HEADER = lazy_compile(r"^[!-9;-~]+:")  # git am's test for a header line when it detects a mail
_MIME_FIELDS = ("content-type", "content-transfer-encoding")
_INBODY_HEADER = lazy_compile(r"^(?i:(from|subject|date)):\s*(.*)$")
_STRTOL = lazy_compile(r"\s*[+-]?(\d+)")
_INDEX_LINE = lazy_compile(r"^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: (\d{6}))?$")
_MODE = lazy_compile(r"^[0-7]{6}$")
_BINARY_BLOCK = lazy_compile(r"^(literal|delta) (\d+)$")
_BASE85_LINE = lazy_compile(r"^[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]+$")
_SURROGATE = lazy_compile("[\udc80-\udcff]")
_PATCH_PREFIX = lazy_compile(r"^\s*(\[[^\]]*\]\s*)+")
_GIT_SHOW_COMMIT = lazy_compile(r"^commit ([0-9a-f]{40}|[0-9a-f]{64})\b")

_ADDED, _REMOVED, _CONTEXT = LineKind.ADDED, LineKind.REMOVED, LineKind.CONTEXT


class _Header(Record):
    """Commit metadata gathered from mail or ``git show`` headers before the diff starts."""

    FIELDS = ("subject", "body", "author", "committer", "author_date", "commit_date", "sha", "extra")

    def __init__(self, subject: str = "", body: str = "", author: Person | None = None,
                 committer: Person | None = None, author_date: str | None = None, commit_date: str | None = None,
                 sha: str | None = None, extra: dict[str, str] | None = None) -> None:
        self.subject = subject
        self.body = body
        self.author = author
        self.committer = committer
        self.author_date = author_date
        self.commit_date = commit_date
        self.sha = sha
        self.extra = {} if extra is None else extra


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
        """Line indexes where a patch begins, as ``git mailsplit`` splits (docs/git-parity.md).

        An input whose first non-blank line is an mbox ``From `` line is an mbox: a message starts at
        every such line (git does not ask for a blank line before it). Anything else is one patch.
        """
        lines = self.lines
        first = next((index for index, line in enumerate(lines) if line.strip()), 0)
        if not is_mbox_from_line(lines[first] if lines else ""):
            return [0]
        return [first] + [index for index in range(first + 1, len(lines)) if is_mbox_from_line(lines[index])]

    def _parse_one(self, start: int, end: int) -> Change:
        self.i = start
        while self.i < end and not self.lines[self.i].strip():
            self.i += 1
        header = _Header()
        first = self.lines[self.i] if self.i < end else ""
        if first.startswith("From ") or first.startswith("From: ") or _is_mail(self.lines, self.i, end):
            header = self._mail_header(end)
        elif _GIT_SHOW_COMMIT.match(first):
            header = self._git_show_header(end)
        else:
            self.i = start
        files = self._files(end)
        if not files:
            where = header.subject or self.source
            raise located(self.source, start + 1, f"no diff found in patch '{where}'")
        return _build_change(header, files)

    # --- commit metadata --------------------------------------------------------------------

    def _mail_header(self, end: int) -> _Header:
        """Headers and commit message as ``git mailinfo`` reads them; MIME it would decode is refused."""
        header = _Header()
        match = _MBOX_FROM.match(self.lines[self.i])
        if match and is_mbox_from_line(self.lines[self.i]):
            header.sha = match.group(1) if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", match.group(1)) else None
            self.i += 1
        fields: dict[str, str] = {}
        field_lines: dict[str, int] = {}
        last = None
        while self.i < end:
            line = self.lines[self.i].rstrip()
            if line == "":
                self.i += 1
                break
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
            elif _is_rfc2822_header(line):
                name, _, value = line.partition(":")
                last = name.lower()
                if last in _MIME_FIELDS and last in fields:
                    raise located(self.source, self.i + 1, f"repeated {name} header: git mailinfo would use "
                                  "the last one, a reader the first; send the patch as git format-patch writes it")
                fields[last], field_lines[last] = value.strip(), self.i + 1
            else:
                break  # not a header: git mailinfo starts the body here too
            self.i += 1
        self._check_mime(fields, field_lines)
        fields.update(self._inbody_headers(end))
        subject = _decode_mime(fields.get("subject", ""))
        header.subject = _PATCH_PREFIX.sub("", subject).strip()
        import email.utils  # mail headers only: a plain diff or a git range never loads the email package

        name, addr = email.utils.parseaddr(_decode_mime(fields.get("from", "")))
        header.author = Person(name or addr, addr)
        header.author_date = _rfc3339_from_mail(fields.get("date"))
        body: list[str] = []
        while self.i < end:
            line = self.lines[self.i].rstrip("\r")
            if _is_patch_break(line):
                break
            body.append(line)
            self.i += 1
        header.body = "\n".join(body).strip("\n")
        return header

    def _inbody_headers(self, end: int) -> dict[str, str]:
        """``From:``, ``Subject:`` and ``Date:`` lines opening the body, which git mailinfo records instead
        of the mail's own (``git format-patch --from`` writes them when the sender is not the author)."""
        found: dict[str, str] = {}
        current = None
        while self.i < end:
            line = self.lines[self.i].rstrip("\r")
            if not line:
                self.i += 1
                if found:
                    break  # a blank line after them ends the in-body headers
                continue
            if current and line[:1] in (" ", "\t"):
                found[current] += " " + line.strip()
            else:
                match = _INBODY_HEADER.match(line)
                if not match or match.group(1).lower() in found:
                    break  # the message starts here
                current = match.group(1).lower()
                found[current] = match.group(2)
            self.i += 1
        return found

    def _check_mime(self, fields: dict[str, str], field_lines: dict[str, int]) -> None:
        """Refuse what ``git mailinfo`` would decode (and this parser would not): a multipart message's
        parts (it finds a ``boundary=`` in any Content-Type), base64 or quoted-printable bodies, and
        format=flowed text. The visible part could be one change while ``git am`` applies another."""
        encoding = fields.get("content-transfer-encoding")
        if encoding is not None and encoding.strip().lower() not in ("7bit", "8bit", "binary"):
            raise located(self.source, field_lines["content-transfer-encoding"],
                          f"Content-Transfer-Encoding {escape_for_display(encoding.strip())!s} is not supported: "
                          "git am would decode the body, this reviewer would not see what it decodes; "
                          "send the patch as git format-patch writes it (7bit or 8bit)")
        content_type = fields.get("content-type")
        if content_type is None:
            return
        lowered = content_type.lower()
        kind = lowered.split(";", 1)[0].strip()
        if "boundary" in lowered or kind.startswith("multipart/"):
            problem = "a MIME multipart message"
        elif re.search(r"format\s*=\s*\"?flowed", lowered):
            problem = "format=flowed text (git mailinfo re-joins its lines)"
        elif not kind.startswith("text/"):
            problem = f"Content-Type {escape_for_display(kind)}"
        else:
            return
        raise located(self.source, field_lines["content-type"],
                      f"{problem} is not supported: git am would apply parts this reviewer does not show; "
                      "send the patch inline, as git format-patch writes it")

    def _git_show_header(self, end: int) -> _Header:
        import email.utils

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
        # git show indents every message line by four spaces; any other line is where the diff (or a
        # diffstat) begins, and must be seen by _files: a "--- a/x" there is a patch git apply applies.
        while self.i < end:
            line = self.lines[self.i].rstrip("\r")
            if line.strip() and not line.startswith("    "):
                break
            message.append(line[4:])
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
        header_lines = 0
        dashes: tuple[str | None, str | None, int] | None = None
        while self.i < end:
            line = lines[self.i].rstrip("\r")
            if line.startswith(("diff --git ", "@@ ", "Binary files ", "GIT binary patch")) or line in ("", "-- "):
                break  # a blank line or the signature ends the header, as in git apply
            if line.startswith("--- "):
                if self.i + 1 >= end or not lines[self.i + 1].startswith("+++ "):
                    raise located(self.source, self.i + 2, "'--- ' line not followed by '+++ '")
                dashes = (_strip_prefix(self._header_path(line[4:], self.i + 1), "a/"),
                          _strip_prefix(self._header_path(lines[self.i + 1][4:], self.i + 2), "b/"), self.i + 1)
                self.i += 2
                break
            self._extended_header(file, line, self.i + 1)
            header_lines += 1
            self.i += 1
        if self.i < end and lines[self.i].startswith("@@ "):
            file.hunks = self._hunks(end)
        elif self.i < end and lines[self.i].startswith(("Binary files ", "GIT binary patch")):
            file.binary = True
            self._binary(file, end)
        self._check_git_names(file, dashes, start_line)
        if not (header_lines or dashes or file.hunks or file.binary):
            raise located(self.source, start_line, "a 'diff --git' line with nothing after it: git apply "
                          "would skip it and read what follows differently")
        if file.status is FileStatus.ADDED:
            file.old_path = None
        elif file.status is FileStatus.DELETED:
            file.new_path = None
        for path in (file.old_path, file.new_path):
            if path is not None:
                _check_path(path, self.source, start_line)
        return file

    def _check_git_names(self, file: FileDiff, dashes: tuple[str | None, str | None, int] | None,
                         start_line: int) -> None:
        """The ``diff --git`` names, the rename/copy lines and the ``---``/``+++`` names must agree.

        git apply reports most disagreements as errors, but not all the same way this parser would
        read them (a ``diff --git a/x b/y`` without a rename line writes y from x and keeps x).
        """
        if file.status in (FileStatus.MODIFIED,) and file.old_path != file.new_path:
            raise located(self.source, start_line, "'diff --git' names two different files without a "
                          "rename or copy line: git does not write such a patch")
        if dashes is None:
            return
        old, new, line_no = dashes
        want_old = None if file.status is FileStatus.ADDED else file.old_path
        want_new = None if file.status is FileStatus.DELETED else file.new_path
        if (old, new) != (want_old, want_new):
            raise located(self.source, line_no, f"the '---'/'+++' names ({old or '/dev/null'}, {new or '/dev/null'}) "
                          "disagree with the 'diff --git' header: git does not write such a patch")

    def _extended_header(self, file: FileDiff, line: str, line_no: int) -> None:
        """One of git's extended header lines (apply.c's table); any other line is refused, because
        git apply would end the header there and read the rest of the block another way."""
        if line.startswith("new file mode "):
            file.status, file.new_mode, file.old_path = FileStatus.ADDED, self._mode(line[14:], line_no), None
        elif line.startswith("deleted file mode "):
            file.status, file.old_mode, file.new_path = FileStatus.DELETED, self._mode(line[18:], line_no), None
        elif line.startswith("old mode "):
            file.old_mode = self._mode(line[9:], line_no)
        elif line.startswith("new mode "):
            file.new_mode = self._mode(line[9:], line_no)
        elif line.startswith(("rename from ", "rename old ")):  # "rename old/new": git's older spelling
            file.status, file.old_path = FileStatus.RENAMED, _unquote(line.split(" ", 2)[2])
        elif line.startswith(("rename to ", "rename new ")):
            file.status, file.new_path = FileStatus.RENAMED, _unquote(line.split(" ", 2)[2])
        elif line.startswith("copy from "):
            file.status, file.old_path = FileStatus.COPIED, _unquote(line[10:])
        elif line.startswith("copy to "):
            file.status, file.new_path = FileStatus.COPIED, _unquote(line[8:])
        elif line.startswith(("similarity index ", "dissimilarity index ")):
            digits = re.sub(r"\D", "", line)
            file.similarity = int(digits) if digits else None
        elif line.startswith("index "):
            match = _INDEX_LINE.match(line)
            if not match:
                raise located(self.source, line_no, f"malformed index line {escape_for_display(line)!s}")
            file.old_blob, file.new_blob = match.group(1).lower(), match.group(2).lower()
            if match.group(3) and not file.old_mode:
                file.old_mode = file.new_mode = match.group(3)
        else:
            raise located(self.source, line_no, f"unknown line {escape_for_display(line[:60])!s} in a 'diff --git' "
                          "header: git apply would end the header here and read the rest differently")

    def _mode(self, text: str, line_no: int) -> str:
        mode = text.strip()
        if not _MODE.match(mode):
            raise located(self.source, line_no, f"malformed file mode {escape_for_display(mode)!s}")
        return mode

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
        """A traditional ``---``/``+++`` diff, named as ``git apply`` (-p1) names it: one file, never a rename."""
        start_line = self.i + 1
        old = self._header_path(self.lines[self.i][4:], self.i + 1)
        new = self._header_path(self.lines[self.i + 1][4:], self.i + 2)
        old, new = self._strip_plain_prefixes(old, new, start_line)
        self.i += 2
        if old is None and new is None:
            raise located(self.source, start_line, "both sides of the diff are /dev/null")
        status = FileStatus.ADDED if old is None else FileStatus.DELETED if new is None else FileStatus.MODIFIED
        file = FileDiff(old_path=old, new_path=new, status=status)
        if self.i < end and self.lines[self.i].startswith("@@ "):
            file.hunks = self._hunks(end)
        else:
            raise located(self.source, self.i + 1, "expected a hunk header '@@ -a,b +c,d @@'")
        for path in (old, new):
            if path is not None:
                _check_path(path, self.source, start_line)
        return file

    def _strip_plain_prefixes(self, old: str | None, new: str | None, line_no: int) -> tuple[str | None, str | None]:
        """Drop each name's first directory, as ``git apply`` (and ``patch -p1``) does: ``a/x b/x`` or
        ``old/x new/x`` (diff -ru) both name x. git applies a traditional diff to one file only, so two
        different names (a rename git would not make) are refused, as are names it reads otherwise."""
        stripped: list[str | None] = []
        for name in (old, new):
            if name is None:
                stripped.append(None)
                continue
            if "/" not in name:
                raise located(self.source, line_no, f"{escape_for_display(name)!s}: a traditional diff's file names "
                              "need a leading directory (a/, b/), which git apply removes")
            if " " in name and name[-1:].isdigit():
                raise located(self.source, line_no, f"{escape_for_display(name)!s}: a file name that ends like a "
                              "timestamp, which git apply would cut off; separate the timestamp with a tab")
            stripped.append(name.split("/", 1)[1])
        first, second = stripped
        if first is not None and second is not None and first != second:
            raise located(self.source, line_no, f"the '---' and '+++' lines name different files ({first}, {second}): "
                          "git apply would change only one of them")
        return first, second

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

    def _binary(self, file: FileDiff, end: int) -> None:
        """A binary file's data, framed exactly as git writes it; nothing may follow but blank lines.

        ``GIT binary patch`` is followed by a forward block and an optional reverse block, each
        ``literal N`` or ``delta N`` and base85 lines up to a blank line (the forward block first: the
        new side). git apply reads whatever follows the data as more patch, so a line there that is
        not the next file, the signature or the next commit would be applied unseen: it is refused.
        """
        lines = self.lines
        first = lines[self.i].rstrip("\r")
        self.i += 1
        if first.startswith("Binary files "):
            if not first.endswith(" differ"):
                raise located(self.source, self.i, "malformed 'Binary files ... differ' line")
        elif first != "GIT binary patch":
            raise located(self.source, self.i, f"malformed binary patch line {escape_for_display(first[:60])!s}")
        else:
            for block in range(2):
                match = _BINARY_BLOCK.match(lines[self.i].rstrip("\r")) if self.i < end else None
                if match is None:
                    if block == 0:
                        raise located(self.source, self.i + 1, "expected 'literal N' or 'delta N' after 'GIT binary patch'")
                    break
                if match.group(1) == "literal":
                    if block == 0:
                        file.new_size = int(match.group(2))
                    else:
                        file.old_size = int(match.group(2))
                self.i += 1
                data_start = self.i
                while self.i < end and lines[self.i].rstrip("\r"):
                    data = lines[self.i].rstrip("\r")
                    if not _BASE85_LINE.match(data) or (len(data) - 1) % 5:
                        raise located(self.source, self.i + 1, "malformed binary patch data (expected git's base85 lines)")
                    self.i += 1
                if self.i == data_start:
                    raise located(self.source, self.i + 1, f"a '{match.group(1)}' block without data")
                if self.i < end:
                    self.i += 1  # the blank line that closes the block
        while self.i < end:
            line = lines[self.i].rstrip("\r")
            if not line.strip():
                self.i += 1
                continue
            if line.startswith("diff --git ") or line == "-- " or _GIT_SHOW_COMMIT.match(line):
                return
            raise located(self.source, self.i + 1, f"unexpected line after the binary data of {file.path}: "
                          "git apply would read it as more patch; only the next 'diff --git', the signature "
                          "('-- ') or the end may follow")


# --- how git reads mail (builtin/mailsplit.c, mailinfo.c, builtin/am.c) ---------------------------

def is_mbox_from_line(line: str) -> bool:
    """git mailsplit's ``is_from_line``: ``From `` and something ending in a time and a year after 1990.

    Mirrored exactly, because it decides where git am starts a new message (and a new commit).
    """
    length = len(line) + 1  # git's buffer holds the newline
    if length < 20 or not line.startswith("From "):
        return False
    colon = line.rfind(":", 4, length - 2)
    if colon < 0:
        return False

    def digit(index: int) -> bool:
        return 0 <= index < len(line) and line[index].isdigit()

    if not all(digit(colon + offset) for offset in (-4, -2, -1, 1, 2)):
        return False
    year = _STRTOL.match(line, colon + 3)
    return bool(year) and int(year.group(1)) > 90  # type: ignore[union-attr]


def _is_rfc2822_header(line: str) -> bool:
    """git mailinfo's ``is_rfc2822_header``: a name of printable characters up to a colon (or a From line)."""
    if line.startswith(("From ", ">From ")):
        return True
    for ch in line:
        if ch == ":":
            return True
        if not 33 <= ord(ch) <= 126:
            return False
    return False


def _is_mail(lines: list[str], start: int, end: int) -> bool:
    """git am's ``is_mail``: every line up to the first blank one is a header (or folded into one)."""
    seen = False
    for index in range(start, end):
        line = lines[index].rstrip("\r")
        if not line:
            break
        if line[0] in (" ", "\t"):
            continue
        if not _AM_HEADER.match(line):
            return False
        seen = True
    return seen


def _is_patch_break(line: str) -> bool:
    """git mailinfo's ``patchbreak``: where the commit message ends and the patch begins."""
    if line.startswith(("diff -", "Index: ")):
        return True
    if len(line) + 1 < 4 or not line.startswith("---"):
        return False
    rest = line[3:]
    if rest.startswith(" ") and len(rest) > 1 and not rest[1].isspace():
        return True  # "--- <file name>" starts a patch without headers
    return rest.strip() == ""  # "---" and only white space: the separator


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
    import email.errors
    import email.header

    try:
        parts = email.header.decode_header(value)
    except (ValueError, email.errors.HeaderParseError):
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
    import email.utils

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


def _check_path(path: str, source: str, line_no: int) -> None:
    """Refuse paths that would escape the repository when the patch is applied."""
    parts = path.replace("\\", "/").split("/")
    if path.startswith("/") or ".." in parts:
        raise located(source, line_no, f"unsafe path {escape_for_display(path)!s} (absolute or containing '..')")
    if "\0" in path:
        raise located(source, line_no, "path contains a NUL byte")


_CONTROL = lazy_compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def escape_for_display(text: str) -> str:
    """Make control, bidirectional and invisible characters visible: ``\\x1b``, ``<U+202E>``."""
    def visible(match: re.Match[str]) -> str:
        code = ord(match.group(0))
        return f"\\x{code:02x}" if code < 0x80 else f"<U+{code:04X}>"

    return _CONTROL.sub(visible, text)
