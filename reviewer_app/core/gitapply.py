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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reviewer_app.core.changeid import change_id
from reviewer_app.core.diffparse import escape_for_display, parse_patch
from reviewer_app.core.gitcmd import PINNED_DIFF_OPTIONS, run_git
from reviewer_app.core.ingest import GIT_PREFIX, load_changes, read_patch_bytes
from reviewer_app.core.model import Change, FileDiff
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
    author_name: str | None = None  # from git mailinfo; None for a plain diff
    author_email: str | None = None
    message: str | None = None


def load_changes_as_git_applies(spec: str, repo: Path, base: str, stdin: BinaryIO | None = None) -> list[Change]:
    """The changes in ``spec``, refused unless each is exactly what git applies to ``base``."""
    if spec.startswith(GIT_PREFIX):
        return load_changes(spec, repo, stdin)
    data, source = read_patch_bytes(spec, stdin)
    changes = parse_patch(data, source)
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

    def git(self, *args: str, input_bytes: bytes | None = None, check: bool = True, extra: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
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
            result.author_name = fields.get("Author", "")
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
    if change_id(git_change) != change_id(parsed):
        return "git applies content the patch shows differently (" + _first_difference(parsed, git_change) + ")"
    positions = _positions(git_change)
    for file in parsed.files:
        if _hunk_positions(file) != positions.get(_key(file)):
            return (f"git applies the hunks of {escape_for_display(file.path)} at other lines than the patch "
                    "says (its @@ line numbers are not git's)")
    if applied.author_email is not None:
        problem = _metadata_difference(parsed, applied)
        if problem:
            return problem
    return None


def _key(file: FileDiff) -> tuple[str | None, str | None]:
    return file.old_path, file.new_path


def _hunk_positions(file: FileDiff) -> list[tuple[int, int, int, int]]:
    return [(h.old_start, h.old_count, h.new_start, h.new_count) for h in file.hunks]


def _positions(change: Change) -> dict[tuple[str | None, str | None], list[tuple[int, int, int, int]]]:
    return {_key(file): _hunk_positions(file) for file in change.files}


def _paths(files: list[FileDiff]) -> str:
    return ", ".join(escape_for_display(file.path) for file in files[:3]) + (" …" if len(files) > 3 else "")


def _first_difference(parsed: Change, git_change: Change) -> str:
    mine = {file.path: file for file in parsed.files}
    theirs = {file.path: file for file in git_change.files}
    for path in sorted(set(theirs) - set(mine)):
        return f"git also changes {escape_for_display(path)}, which the patch does not show"
    for path in sorted(set(mine) - set(theirs)):
        return f"the patch shows {escape_for_display(path)}, which git does not change that way"
    for path in sorted(mine):
        a, b = mine[path], theirs[path]
        if (a.status, a.old_path, a.new_path) != (b.status, b.old_path, b.new_path):
            return f"{escape_for_display(path)}: git {b.status.value} it, the patch shows it {a.status.value}"
        if (a.old_mode, a.new_mode) != (b.old_mode, b.new_mode):
            return f"{escape_for_display(path)}: git gives it mode {b.new_mode or b.old_mode}, the patch shows " \
                   f"{a.new_mode or a.old_mode or 'no mode'}"
        if (a.added, a.removed) != (b.added, b.removed):
            return f"{escape_for_display(path)}: git adds {b.added} and removes {b.removed} lines, the patch shows " \
                   f"+{a.added} -{a.removed}"
        if [h.section for h in a.hunks] != [h.section for h in b.hunks] and len(a.hunks) == len(b.hunks):
            return f"{escape_for_display(path)}: the text after @@ is not git's hunk heading"
    return "other lines or hunks than git's own diff of the result"


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
