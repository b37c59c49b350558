"""What the author changed between two revisions of a review item, with rebase edits set apart.

A file is listed only when the author's own diff of it differs between the two revisions (compared
without line numbers, so lines that only moved because the base moved do not count). For such a
file, the hunks are git's diff from the old head to the new head; a hunk whose every changed line is
also a change of the base between the two revisions came from the rebase (other people's work), and
is labelled ``from_rebase``, as Gerrit marks edits due to a rebase. When the commits are not in the
repository (changes that arrived as patch files), the two patches are compared instead (``basis``
"patches"): the hunks then show the new-side text of the author's diffs, and nothing is labelled a
rebase.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.gitcmd import PINNED_DIFF_OPTIONS, run_git, run_git_without_worktree
from reviewer_app.core.model import Change, FileDiff, LineKind
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils


def _stored_change(db: "sqlite_utils.Database", change_id: str) -> tuple[Change, str | None, str | None]:
    from reviewer_app.core import store

    patch = store.get_patch(db, change_id)
    row = db.execute("SELECT base, head, source FROM changes WHERE change_id = ?", [change_id]).fetchone()
    if patch is None or row is None:
        raise UserError(f"{change_id}: not in the local database (sync or submit it first)")
    changes = parse_patch(patch, row[2] or change_id)
    return changes[0], row[0], row[1]


def _file_text(file: FileDiff) -> str:
    """The author's diff of one file without positions: what a revision says about that file."""
    header = f"{file.status.value} {file.old_path} {file.new_path} {file.old_mode} {file.new_mode} {file.new_blob if file.binary else ''}"
    body = "\n".join(f"{line.kind.value}{line.text}" for hunk in file.hunks for line in hunk.lines)
    return header + "\n" + body


def _by_path(change: Change) -> dict[str, FileDiff]:
    return {file.path: file for file in change.files}


def _has_commit(repo: Path | None, commit: str | None) -> bool:
    if repo is None or not commit:
        return False
    return run_git(repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0


def _git_diff(repo: Path, old: str, new: str, paths: list[str]) -> Change | None:
    out = run_git_without_worktree(repo, "diff", *PINNED_DIFF_OPTIONS, old, new, "--", *paths).stdout
    if not out.strip():
        return None
    return parse_patch(out, f"{old[:12]}..{new[:12]}")[0]


def _changed_lines(file: FileDiff) -> set[str]:
    return {f"{line.kind.value}{line.text}" for hunk in file.hunks for line in hunk.lines
            if line.kind is not LineKind.CONTEXT}


def _hunk_dict(hunk: Any, from_rebase: bool) -> dict[str, Any]:
    return {"old_start": hunk.old_start, "old_count": hunk.old_count, "new_start": hunk.new_start,
            "new_count": hunk.new_count, "section": hunk.section, "from_rebase": from_rebase,
            "lines": [f"{line.kind.value}{line.text}" for line in hunk.lines]}


def interdiff(db: "sqlite_utils.Database", repo: Path | None, old_id: str, new_id: str) -> dict[str, Any]:
    old_change, old_base, old_head = _stored_change(db, old_id)
    new_change, new_base, new_head = _stored_change(db, new_id)
    old_files, new_files = _by_path(old_change), _by_path(new_change)
    touched = sorted(path for path in set(old_files) | set(new_files)
                     if (path in old_files) != (path in new_files)
                     or _file_text(old_files[path]) != _file_text(new_files[path]))
    use_git = all(_has_commit(repo, c) for c in (old_base, old_head, new_base, new_head))
    files: list[dict[str, Any]] = []
    if use_git and touched:
        assert repo is not None and old_head and new_head and old_base and new_base
        heads = _git_diff(repo, old_head, new_head, touched)
        base_moves = _git_diff(repo, old_base, new_base, touched) if old_base != new_base else None
        rebase_lines = {f.path: _changed_lines(f) for f in (base_moves.files if base_moves else [])}
        for file in heads.files if heads else []:
            moved = rebase_lines.get(file.path, set())
            hunks = [_hunk_dict(h, bool(moved) and all(
                f"{line.kind.value}{line.text}" in moved for line in h.lines if line.kind is not LineKind.CONTEXT))
                for h in file.hunks]
            own = [h for h in hunks if not h["from_rebase"]]
            files.append({"path": file.path, "old_path": file.old_path, "status": file.status.value,
                          "added": sum(1 for h in own for line in h["lines"] if line.startswith("+")),
                          "removed": sum(1 for h in own for line in h["lines"] if line.startswith("-")),
                          "from_rebase": bool(hunks) and not own, "hunks": hunks})
        listed = {f["path"] for f in files}
        for path in touched:  # the author's diff changed, but the heads agree on the file: a revert of an edit
            if path not in listed:
                files.append({"path": path, "old_path": None, "status": "unchanged", "added": 0, "removed": 0,
                              "from_rebase": False, "hunks": []})
    else:
        for path in touched:
            old_lines = _new_side(old_files.get(path))
            new_lines = _new_side(new_files.get(path))
            diff = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=3))[2:]
            files.append({"path": path, "old_path": None, "status": "modified",
                          "added": sum(1 for line in diff if line.startswith("+")),
                          "removed": sum(1 for line in diff if line.startswith("-")),
                          "from_rebase": False, "hunks": [{"lines": [l for l in diff if not l.startswith("@@")],
                                                            "from_rebase": False}] if diff else []})
    files.sort(key=lambda f: f["path"])
    return {"old": old_id, "new": new_id, "basis": "git" if use_git else "patches", "files": files}


def _new_side(file: FileDiff | None) -> list[str]:
    if file is None:
        return []
    return [line.text for hunk in file.hunks for line in hunk.lines if line.kind is not LineKind.REMOVED]


def render_text(result: dict[str, Any]) -> str:
    lines = [f"interdiff {result['old'][:19]}… → {result['new'][:19]}… ({result['basis']})"]
    if not result["files"]:
        lines.append("  the author changed nothing between these revisions")
    for file in result["files"]:
        note = "  (only edits from the rebase)" if file["from_rebase"] else ""
        lines.append(f"  {file['path']}  +{file['added']} -{file['removed']}{note}")
        for hunk in file["hunks"]:
            label = "  [from the rebase: other people's changes]" if hunk.get("from_rebase") else ""
            if "old_start" in hunk:
                lines.append(f"    @@ -{hunk['old_start']},{hunk['old_count']} +{hunk['new_start']},{hunk['new_count']} @@{label}")
            lines.extend(f"    {line}" for line in hunk["lines"])
    return "\n".join(lines)
