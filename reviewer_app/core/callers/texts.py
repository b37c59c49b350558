"""The base revision and both sides of each changed file, read with one ``git cat-file --batch``.

Old = the file at the change's base. New = the file at the head commit for a git range; for a patch,
the base text with the patch's hunks applied here (the patch is never written anywhere). A hunk
whose context does not match the base leaves that file out, with a note: its symbols would be guesses.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from reviewer_app.core.gitcmd import git_env, known_tree, run_git
from reviewer_app.core.model import Change, FileDiff, FileStatus, LineKind
from reviewer_app.core.records import Record

MAX_BYTES = 2_000_000  # bigger files are generated or data: not parsed


class FileTexts(Record):
    """A changed file's whole text on both sides of the change."""

    __slots__ = FIELDS = ("diff", "old", "new", "rewritten")

    def __init__(self, diff: FileDiff, old: str | None, new: str | None, rewritten: set[int] | None = None) -> None:
        self.diff = diff
        self.old = old  # None when the file does not exist on that side
        self.new = new
        self.rewritten = set() if rewritten is None else rewritten  # old line numbers the change removes or rewrites


def resolve_base(repo: Path, change: Change, revision: str | None) -> tuple[str, str] | None:
    """The commit the change applies to and its tree: the change's recorded base, else the
    workspace's revision, else HEAD (one ``git rev-parse`` per candidate tried; none for a range's
    base, whose tree the range's own ``git log`` printed)."""
    for candidate in (change.base, revision, "HEAD"):
        if not candidate or candidate.startswith("-"):
            continue
        tree = known_tree(repo, candidate)
        if tree is not None:
            return candidate, tree
        proc = run_git(repo, "rev-parse", "--quiet", f"{candidate}^{{commit}}", f"{candidate}^{{tree}}", check=False)
        lines = proc.stdout.decode().split()
        if proc.returncode == 0 and len(lines) == 2:
            return lines[0], lines[1]
    return None


def read_specs(repo: Path, specs: list[str]) -> dict[str, bytes]:
    """``<rev>:<path>`` (or blob id) -> content, for every spec that names a blob; one git process."""
    wanted = list(dict.fromkeys(s for s in specs if "\n" not in s))
    if not wanted:
        return {}
    proc = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input=("\n".join(wanted) + "\n").encode(),
                          capture_output=True, env=git_env(), timeout=120, check=False)
    found: dict[str, bytes] = {}
    out, pos = proc.stdout, 0
    for spec in wanted:  # answers come in request order, one per line asked
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "<spec> missing", or a tree
        size = int(header[2])
        if size <= MAX_BYTES:
            found[spec] = out[pos:pos + size]
        pos += size + 1
    return found


def apply_hunks(old: str, diff: FileDiff) -> str | None:
    """The new text of ``old`` after ``diff``'s hunks, or None when a hunk's context is not there."""
    lines = old.split("\n")
    result: list[str] = []
    cursor = 0  # index into ``lines`` of the next line not yet copied
    for hunk in diff.hunks:
        start = max(hunk.old_start - 1, 0) if hunk.old_count else hunk.old_start
        if start < cursor:
            return None
        result.extend(lines[cursor:start])
        cursor = start
        for line in hunk.lines:
            if line.kind is LineKind.ADDED:
                result.append(line.text)
                continue
            if cursor >= len(lines) or lines[cursor] != line.text:
                return None
            if line.kind is LineKind.CONTEXT:
                result.append(line.text)
            cursor += 1
    result.extend(lines[cursor:])
    return "\n".join(result)


def _rewritten(diff: FileDiff) -> set[int]:
    return {line.old_no for hunk in diff.hunks for line in hunk.lines
            if line.kind is LineKind.REMOVED and line.old_no}


def read_sides(repo: Path, change: Change, base: str, notes: list[str]) -> list[FileTexts]:
    """Both sides of every text file the change touches (binary files are skipped)."""
    diffs = [d for d in change.files if not d.binary]
    head = change.head if change.head and change.base == base else None
    specs: list[str] = []
    for diff in diffs:
        if diff.status is not FileStatus.ADDED and diff.old_path:
            specs.append(f"{base}:{diff.old_path}")
        if head and diff.status is not FileStatus.DELETED and diff.new_path:
            specs.append(f"{head}:{diff.new_path}")
    blobs = read_specs(repo, specs)
    found: list[FileTexts] = []
    for diff in diffs:
        old: str | None = None
        if diff.status is not FileStatus.ADDED and diff.old_path:
            data = blobs.get(f"{base}:{diff.old_path}")
            if data is None:
                notes.append(f"{diff.old_path}: no readable file at the base {base[:12]} (absent, a submodule, or "
                             f"over {MAX_BYTES // 1_000_000} MB); its symbols were not compared")
                continue
            old = data.decode("utf-8", "replace")
        new: str | None = None
        if diff.status is not FileStatus.DELETED and diff.new_path:
            if head:
                data = blobs.get(f"{head}:{diff.new_path}")
                new = None if data is None else data.decode("utf-8", "replace")
            else:
                new = apply_hunks(old or "", diff)
            if new is None:
                notes.append(f"{diff.path}: the patch does not apply to the base {base[:12]}; its symbols were "
                             "not compared")
                continue
        found.append(FileTexts(diff, old, new, _rewritten(diff)))
    return found
