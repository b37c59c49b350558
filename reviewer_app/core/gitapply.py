"""What git applies: a patch or mbox applied by git itself to the base, and compared with what was parsed.

The gate judges the change the parser read; CI and maintainers apply the file with ``git am`` or
``git apply``. If the two readings differ (a MIME attachment ``git mailinfo`` decodes, a diff hidden
where the parser skips, a header git reads another way), an approval of what was shown would count
for what is applied. So, for a patch file (a git range is already git's own diff), the gate asks git:

1. split the input as ``git am`` does: ``git mailsplit`` for mail (``git am``'s own format detection),
   ``git mailinfo`` per message for the exact patch text and the author and message git would record;
   a plain diff is one patch, as ``git apply`` reads it;
2. apply each patch in order with ``git apply --cached`` into a scratch index read from the base
   (objects go to a scratch directory: the reviewed repository is not written to);
3. diff consecutive trees with the pinned options (gitcmd.PINNED_DIFF_OPTIONS): git's view of each change;
4. compare change ids, hunk positions and the recorded author and message with the parsed change,
   message by message; and for mail, check that ``git apply`` of the whole file gives the same tree.

Any difference, or a patch git will not apply to the base, is a UserError (exit 2): the gate fails
closed and says to gate the git range or a patch made by ``git format-patch``. docs/git-parity.md.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reviewer_app.core.approvals import gate_checks
from reviewer_app.core.changeid import change_id
from reviewer_app.core.diffparse import escape_for_display, parse_patch
from reviewer_app.core.gitcmd import PINNED_DIFF_OPTIONS, run_git
from reviewer_app.core.ingest import GIT_PREFIX, load_changes, read_patch_bytes
from reviewer_app.core.model import Change, FileDiff, FileStatus
from reviewer_app.errors import UserError

# git am's defaults, pinned so that a machine's configuration cannot change what is applied.
_APPLY_CONFIG = ("-c", "apply.whitespace=nowarn", "-c", "apply.ignoreWhitespace=no")
_MAIL_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_ADVICE = "gate the git range (--git BASE..HEAD) or a patch made by git format-patch"


@dataclass
class AppliedPatch:
    """One patch as git applies it: git's own diff of the result, and the author and message git records."""

    label: str  # "message 2" in an mbox, "the patch" otherwise
    change: Change | None  # None when applying it changed nothing
    author_email: str | None = None  # from git mailinfo; None for a plain diff
    message: str | None = None


def load_changes_as_git_applies(spec: str, repo: Path, base: str, stdin: BinaryIO | None = None) -> list[Change]:
    """The changes in ``spec``, refused unless each is exactly what git applies to ``base``."""
    if spec.startswith(GIT_PREFIX):
        return load_changes(spec, repo, stdin)
    data, source = read_patch_bytes(spec, stdin)
    changes = parse_patch(data, source)
    for change in changes:
        # The gate's own checks first: "not a canonical path" or "edits .reviewer/ but the base holds
        # another version" say more than "git disagrees", which is what those patches also get.
        gate_checks.check_canonical_paths(change)
        gate_checks.check_content_bound(change)
        gate_checks.check_config_preimage(repo, base, change)
    check_git_parity(repo, base, data, source, changes)
    return changes


def check_git_parity(repo: Path, base: str, data: bytes, source: str, changes: list[Change]) -> None:
    """Raise UserError unless git applies exactly ``changes`` (parsed from ``data``) to ``base``, in order."""
    with _Scratch(repo, base) as scratch:
        applied = scratch.apply_input(data, source)
        if len(applied) != len(changes):
            raise UserError(f"{source}: git reads {len(applied)} patch(es) where this reviewer reads {len(changes)}; "
                            f"{_ADVICE}")
        for parsed, mine in zip(changes, applied):
            problem = _difference(parsed, mine)
            if problem:
                raise UserError(f"{source}: {mine.label}: {problem}; {_ADVICE}")
        if am_format(data) == "mbox":
            scratch.check_whole_file(data, source)


# --- running git in a scratch index ---------------------------------------------------------------

class _Scratch:
    """A temporary index and object directory over ``repo``'s objects, starting at ``base``."""

    def __init__(self, repo: Path, base: str) -> None:
        self.repo = repo
        self.base = base

    def __enter__(self) -> "_Scratch":
        self._tmp = tempfile.TemporaryDirectory(prefix="reviewer-app-apply-")
        self.dir = Path(self._tmp.name)
        (self.dir / "empty").mkdir()
        (self.dir / "objects").mkdir()
        git_dir = self._text(run_git(self.repo, "rev-parse", "--absolute-git-dir").stdout)
        objects = self._text(run_git(self.repo, "rev-parse", "--git-path", "objects").stdout)
        objects_dir = Path(objects) if Path(objects).is_absolute() else (self.repo / objects)
        self.env = {
            "GIT_INDEX_FILE": str(self.dir / "index"),
            # New blobs and trees go to the scratch directory; the repository's objects are read through it.
            "GIT_OBJECT_DIRECTORY": str(self.dir / "objects"),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects_dir.resolve()),
        }
        self.global_args = (f"--git-dir={git_dir}", f"--work-tree={self.dir / 'empty'}")
        try:
            self.git("read-tree", self.base)
        except BaseException:
            self._tmp.cleanup()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    @staticmethod
    def _text(raw: bytes) -> str:
        return raw.decode("utf-8", "replace").strip()

    def git(self, *args: str, input_bytes: bytes | None = None, check: bool = True,
            extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[bytes]:
        return run_git(self.dir / "empty", *args, input_bytes=input_bytes, check=check, env=self.env,
                       global_args=(*self.global_args, *extra))

    def apply_input(self, data: bytes, source: str) -> list[AppliedPatch]:
        kind = am_format(data)
        if kind == "mbox":
            return self._apply_mail(data, source)
        if kind != "diff":
            raise UserError(f"{source}: git am would read this file as {kind}, which this reviewer does not; {_ADVICE}")
        return [self._apply_one(data, "the patch", source)]

    def _apply_mail(self, data: bytes, source: str) -> list[AppliedPatch]:
        mbox, out = self.dir / "input.mbox", self.dir / "split"
        mbox.write_bytes(data)
        out.mkdir()
        # git am runs "git mailsplit -b" (a mail without a From line is one message); --keep-cr keeps
        # the content as written (git am's am.keepcr), so CRLF files are judged as they are.
        self.git("mailsplit", "-b", "--keep-cr", f"-o{out}", "--", str(mbox))
        applied: list[AppliedPatch] = []
        for number, message_file in enumerate(sorted(out.iterdir()), start=1):
            msg, patch = self.dir / f"msg{number}", self.dir / f"patch{number}"
            info = self.git("mailinfo", "-u", "--no-scissors", str(msg), str(patch),
                            input_bytes=message_file.read_bytes()).stdout.decode("utf-8", "replace")
            fields = dict(line.split(": ", 1) for line in info.splitlines() if ": " in line)
            result = self._apply_one(patch.read_bytes(), f"message {number}", source)
            result.author_email = fields.get("Email", "")
            result.message = msg.read_bytes().decode("utf-8", "replace")
            applied.append(result)
        return applied

    def check_whole_file(self, data: bytes, source: str) -> None:
        """Applied with ``git apply`` instead of ``git am``, the whole file must give the same tree."""
        final = self.tree()
        self.git("read-tree", self.base)
        self._run_apply(data, "the whole file (as git apply reads it)", source)
        if self.tree() != final:
            raise UserError(f"{source}: git apply and git am apply different content from this file; {_ADVICE}")

    def _apply_one(self, patch: bytes, label: str, source: str) -> AppliedPatch:
        before = self.tree()
        self._run_apply(patch, label, source)
        after = self.tree()
        if after == before:
            return AppliedPatch(label, None)
        # Diffed with an empty index, as git ranges are (gitcmd.run_git_without_worktree): no
        # .gitattributes of the base's files may turn a script into "binary" or change a hunk heading.
        diff = run_git(self.dir / "empty", "diff", *PINNED_DIFF_OPTIONS, before, after, "--",
                       env={**self.env, "GIT_INDEX_FILE": str(self.dir / "no-index")},
                       global_args=self.global_args).stdout
        [change] = parse_patch(diff, f"git's diff of {label}")
        return AppliedPatch(label, change)

    def _run_apply(self, patch: bytes, label: str, source: str) -> None:
        proc = self.git("apply", "--cached", input_bytes=patch, check=False, extra=_APPLY_CONFIG)
        if proc.returncode != 0:
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            why = escape_for_display(lines[-1] if lines else f"exit status {proc.returncode}")
            raise UserError(f"{source}: {label}: git cannot apply it to the base {self.base[:12]} ({why}); "
                            "the gate judges a patch as git applies it to the base (give --base)")

    def tree(self) -> str:
        return self._text(self.git("write-tree").stdout)


def am_format(data: bytes) -> str:
    """What ``git am`` takes the file for (builtin/am.c detect_patch_format): "mbox", "diff" (git am
    refuses it; git apply reads it), or the name of a format this reviewer does not read."""
    lines = data.split(b"\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    first = lines[start].rstrip(b"\r") if lines else b""
    if first.startswith(b"From "):  # also "From: "
        return "mbox"
    if first.startswith(b"# This series applies on GIT commit"):
        return "an StGit series"
    if first == b"# HG changeset patch":
        return "a Mercurial patch"
    second = lines[start + 1].rstrip(b"\r") if start + 1 < len(lines) else b""
    third = lines[start + 2] if start + 2 < len(lines) else b""
    if first and not second and third.startswith((b"From:", b"Author:", b"Date:")):
        return "an StGit patch"
    if _headers_only(lines[start:]):
        return "mbox"
    return "diff"


def _headers_only(lines: list[bytes]) -> bool:
    """git am's ``is_mail``: every line before the first blank one is a header or folded into one."""
    for line in lines:
        line = line.rstrip(b"\r")
        if not line:
            return True
        if line[:1] in (b" ", b"\t"):
            continue
        if not _MAIL_HEADER_LINE.match(line):
            return False
    return True


# --- comparing -------------------------------------------------------------------------------------

def _difference(parsed: Change, applied: AppliedPatch) -> str | None:
    """Why ``parsed`` is not what git applies, in one phrase, or None."""
    if applied.change is None:
        return "git applies nothing from it, while this reviewer reads changes to " + _paths(parsed.files)
    git_change = applied.change
    if change_id(git_change) != change_id(parsed) or _positions(git_change) != _positions(parsed):
        problem = _file_differences(parsed, git_change)
        if problem:
            return problem
    if applied.author_email is not None:
        return _metadata_difference(parsed, applied)
    return None


def _key(file: FileDiff) -> tuple[str | None, str | None]:
    return file.old_path, file.new_path


def _positions(change: Change) -> dict[tuple[str | None, str | None], list[tuple[int, int, int, int]]]:
    return {_key(file): [(h.old_start, h.old_count, h.new_start, h.new_count) for h in file.hunks]
            for file in change.files}


def _paths(files: list[FileDiff]) -> str:
    return ", ".join(escape_for_display(file.path) for file in files[:3]) + (" …" if len(files) > 3 else "")


def _file_differences(parsed: Change, git_change: Change) -> str | None:
    """File by file: the same files, statuses, content and hunk positions as git's own diff.

    Two forms of the same content are accepted, because neither hides anything: a diff without mode
    lines (``diff -u``) when git keeps a regular file's mode, and a binary patch whose full blob ids
    are the blobs git writes (a ``-diff`` attribute; the gate judges such a file as hidden content).
    """
    mine = {_key(file): file for file in parsed.files}
    theirs = {_key(file): file for file in git_change.files}
    for key in sorted(set(theirs) - set(mine), key=str):
        return f"git applies content the patch shows differently (git changes {_name(theirs[key])}, " \
               "which the patch does not show that way)"
    for key in sorted(set(mine) - set(theirs), key=str):
        return f"git applies content the patch shows differently (the patch shows {_name(mine[key])}, " \
               "which git does not change that way)"
    for key in sorted(mine, key=str):
        problem = _one_file_difference(mine[key], theirs[key])
        if problem:
            return f"git applies content the patch shows differently ({escape_for_display(mine[key].path)}: {problem})"
    return None


def _name(file: FileDiff) -> str:
    if file.old_path and file.new_path and file.old_path != file.new_path:
        return f"{escape_for_display(file.old_path)} -> {escape_for_display(file.new_path)} ({file.status.value})"
    return f"{escape_for_display(file.path)} ({file.status.value})"


_REGULAR = "100644"


def _one_file_difference(a: FileDiff, b: FileDiff) -> str | None:
    if a.status is not b.status:
        return f"git {b.status.value} it, the patch shows it {a.status.value}"
    modes_given = a.old_mode is not None or a.new_mode is not None
    if modes_given and (a.old_mode, a.new_mode) != (b.old_mode, b.new_mode):
        return f"git gives it mode {b.new_mode or b.old_mode}, the patch shows {a.new_mode or a.old_mode}"
    if not modes_given and not _mode_kept(b):
        return f"git gives it mode {b.new_mode or b.old_mode}, the patch shows no mode"
    if a.binary:
        return None if _same_blobs(a, b) else "the binary patch's blob ids are not the blobs git writes"
    if b.binary:
        return "git writes it as binary, the patch shows lines"
    if len(a.hunks) != len(b.hunks):
        return f"git's diff has {len(b.hunks)} hunk(s), the patch {len(a.hunks)}"
    for mine, theirs in zip(a.hunks, b.hunks):
        if [(l.kind, l.raw or l.text, l.no_newline) for l in mine.lines] != \
                [(l.kind, l.raw or l.text, l.no_newline) for l in theirs.lines]:
            return f"git adds {b.added} and removes {b.removed} lines, the patch shows +{a.added} -{a.removed}" \
                if (a.added, a.removed) != (b.added, b.removed) else "other lines or hunks than git's own diff"
        if (mine.old_start, mine.old_count, mine.new_start, mine.new_count) != \
                (theirs.old_start, theirs.old_count, theirs.new_start, theirs.new_count):
            return "git applies its hunks at other lines than the patch says (its @@ line numbers are not git's)"
        if mine.section != theirs.section:
            return "the text after @@ is not git's hunk heading"
    return None


def _mode_kept(git_file: FileDiff) -> bool:
    """A patch without mode lines may stand for git's change if git keeps the mode (or creates a regular file)."""
    if git_file.status is FileStatus.ADDED:
        return git_file.new_mode == _REGULAR
    if git_file.status is FileStatus.DELETED:
        return True
    return git_file.old_mode == git_file.new_mode


def _same_blobs(a: FileDiff, b: FileDiff) -> bool:
    """Full blob ids on both sides (git's diff uses --full-index; the parser's must be full to count)."""
    return all(x and y and x.lower() == y.lower() and len(x) in (40, 64)
               for x, y in ((a.old_blob, b.old_blob), (a.new_blob, b.new_blob)))


def _stripspace(text: str) -> str:
    """git stripspace: trailing white space off each line, runs of blank lines as one, none at either end."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def _metadata_difference(parsed: Change, applied: AppliedPatch) -> str | None:
    """The author and message decide who may not approve and whether the change is AI-assisted."""
    email = (applied.author_email or "").strip().lower()
    if email != (parsed.author.email or "").strip().lower():
        return f"git records the author {escape_for_display(email) or '(none)'}, this reviewer reads " \
               f"{escape_for_display(parsed.author.email) or '(none)'}"
    body = parsed.message.split("\n", 1)[1] if "\n" in parsed.message else ""
    if _stripspace(applied.message or "") != _stripspace(body):
        return "git records another commit message than this reviewer reads (in-body headers, or text it " \
               "takes for the message)"
    return None


__all__ = ["AppliedPatch", "am_format", "check_git_parity", "load_changes_as_git_applies"]
