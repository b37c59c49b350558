"""Checks the gate makes before judging: is this a change an approval can bind to, and can the risk rules see it?

An approval signs a change id; the verdict applies policy to what the diff shows. Each check closes a
way in which the two could come apart, so each refuses (UserError, exit 2) or judges the worst:

- ``check_canonical_paths``: ``git apply`` writes ``payments//charge.py`` to ``payments/charge.py``,
  but every matcher (policy paths, risk globs, CODEOWNERS, the catalog, ``.reviewer/`` detection)
  would see another path. git never writes such paths, so a patch holding one was made by hand.
- ``check_content_bound``: a binary file has no lines; its blob ids stand in for its content in the
  change id. Abbreviated ids, or none, would let two different files share one change id and so one
  approval.
- ``check_config_preimage``: a change to ``.reviewer/`` is judged by the base's configuration only
  if the base really holds what the change edits; otherwise (``--base`` naming the head, a branch
  that already carries the edit) the configuration judging the change could be the change's own.
- ``hidden_content``: paths whose content no risk rule can read (text made to look binary by a
  ``.gitattributes`` ``-diff`` line or a hand-made ``GIT binary patch``, or a submodule bump, whose
  new commit may hold any code). They are not refused: the policy judges them critical
  (policy.HIDDEN_CONTENT), so they need the approvals the worst change would.

gate.py keeps the decision; these functions only answer "may this be judged, and what can't be seen".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.core.approvals import policy as approval_policy
from reviewer_app.core.binarypatch import binary_contents
from reviewer_app.core.gitcmd import run_git
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    from reviewer_app.core.model import Change, FileDiff


def check_canonical_paths(change: "Change") -> None:
    """Refuse paths git would not write: ``git apply`` writes ``payments//charge.py`` to
    ``payments/charge.py``, and every matcher (policy paths, risk globs, CODEOWNERS, the catalog,
    ``.reviewer/`` detection) would have to normalise it the same way to judge the right file."""
    for file in change.files:
        for path in (file.old_path, file.new_path):
            if path is None:
                continue
            parts = path.split("/")
            if "\\" in path or any(part in ("", ".", "..") for part in parts):
                raise UserError(f"{change.source}: {path!r}: not a canonical repository path (empty, '.' or '..' "
                                "parts, or a backslash); git never writes such a path, so the patch was made by hand: "
                                "gate the git range or a patch made by git")


# git calls a file binary when a NUL byte is in its first 8000 bytes (xdiff's buffer_is_binary).
BINARY_SNIFF_BYTES = 8000
SUBMODULE_MODE = "160000"  # a gitlink: the "file" is a commit id of another repository
_FULL_BLOB_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def hidden_content(repo: Path, change: "Change") -> list[str]:
    """Paths whose content the risk rules cannot see: text shown as binary, or a submodule bump.

    ``.gitattributes`` saying ``*.sh -diff`` (in the change itself: git reads it from the checkout) or
    a hand-made ``GIT binary patch`` turns a script into "binary", so no rule sees a line of it; a
    submodule's new commit can hold any code at all. Such a change is judged critical
    (policy.HIDDEN_CONTENT). Real binaries (a NUL byte early on, as git itself decides) are not hidden.
    """
    hidden: list[str] = []
    carried: dict[str, bytes] | None = None
    for file in change.files:
        if SUBMODULE_MODE in (file.old_mode, file.new_mode):
            hidden.append(file.path)
            continue
        if not file.binary:
            continue
        # Only full ids are looked up (check_content_bound refuses others; an id is never read as an option).
        sides = [blob.lower() for blob in (file.old_blob, file.new_blob)
                 if blob and blob.strip("0") and _FULL_BLOB_ID.match(blob.lower())]
        contents = []
        for blob in sides:
            proc = run_git(repo, "cat-file", "blob", blob, check=False)
            if proc.returncode == 0:
                contents.append(proc.stdout)
                continue
            if carried is None:
                carried = binary_contents(change.raw)
            if blob in carried:
                contents.append(carried[blob])
        if not contents or any(b"\0" not in data[:BINARY_SNIFF_BYTES] for data in contents):
            hidden.append(file.path)
    return hidden



def check_content_bound(change: "Change") -> None:
    """Refuse a binary file whose content the change id does not pin down.

    A binary file has no lines: its blob ids stand in for its content. Without an ``index`` line, or
    with abbreviated ids (plain ``git diff``), two different files would share one change id, so an
    approval would not say which content it approved.
    """
    for file in change.files:
        if not file.binary:
            continue
        ids = (file.old_blob or "", file.new_blob or "")
        if not all(_FULL_BLOB_ID.match(blob.lower()) for blob in ids):
            shown = "..".join(blob or "?" for blob in ids)
            raise UserError(f"{change.source}: {file.path}: a binary file without full blob ids (index {shown}); "
                            "its content is not bound by the change id: make the patch with "
                            "`git diff --binary` or `git format-patch` (or gate the git range)")


def check_config_preimage(repo: Path, base_commit: str, change: "Change") -> None:
    """A change to ``.reviewer/`` is judged by the base's configuration only if the base holds what the
    change edits. Otherwise the base is not this change's base (``--base`` naming the head, or a branch
    that already carries the edit) and the configuration judging it may be the change's own: fail closed.
    """
    for file in change.files:
        if not any(p is not None and approval_policy.is_config_path(p) for p in (file.old_path, file.new_path)):
            continue
        problem = _preimage_problem(repo, base_commit, file)
        if problem:
            raise UserError(f"{file.path}: this change edits .reviewer/, but the base {base_commit[:12]} {problem}; "
                            "the configuration that judges it must come from the change's own base "
                            "(name it with --git BASE..HEAD or --base)")


def _preimage_problem(repo: Path, base_commit: str, file: "FileDiff") -> str | None:
    if file.old_path is None:  # an added file: the base must not have it already
        if _base_blob(repo, base_commit, file.new_path or "") is not None:
            return f"already has {file.new_path}"
        return None
    blob = _base_blob(repo, base_commit, file.old_path)
    if blob is None:
        return f"has no {file.old_path}"
    if file.old_blob:
        if not blob.startswith(file.old_blob.lower()):
            return f"holds another version of {file.old_path} (blob {blob[:12]}, the change edits {file.old_blob[:12]})"
        return None
    # No index line (a plain diff -u): every hunk's old side must be in the base's file.
    data = run_git(repo, "cat-file", "blob", blob).stdout
    base_lines = data.split(b"\n")
    for hunk in file.hunks:
        old_side = [line.raw if line.raw is not None else line.text.encode("utf-8", "surrogateescape")
                    for line in hunk.lines if line.kind.value != "+"]
        if old_side and not _contains(base_lines, old_side):
            return f"does not hold the lines the change edits in {file.old_path}"
    return None


def _base_blob(repo: Path, base_commit: str, path: str) -> str | None:
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", f"{base_commit}:{path}", check=False)
    return proc.stdout.decode().strip().lower() if proc.returncode == 0 else None


def _contains(lines: list[bytes], block: list[bytes]) -> bool:
    width = len(block)
    return any(lines[i:i + width] == block for i in range(len(lines) - width + 1))
