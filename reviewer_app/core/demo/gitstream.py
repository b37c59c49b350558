"""Writing the demo's history with ``git fast-import``: one git process for every commit and branch.

Commit ids depend only on content, identities and dates, all fixed here, so every build yields the
same ids. The user's and the system's git configuration are kept out (``GIT_CONFIG_GLOBAL``,
``GIT_CONFIG_NOSYSTEM``): a template directory, hooks or signing settings must not leak in.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reviewer_app.core.demo.templates import TreeFile
from reviewer_app.core.gitcmd import git_env
from reviewer_app.errors import UserError

# Identity for the few git commands that record one (the push's reflog); never the user's own.
_TOOL_IDENTITY = ("Reviewer Demo", "demo@reviewer-app.invalid")
_FIXED_DATE = "2026-03-01T00:00:00Z"


def isolated_env() -> dict[str, str]:
    env = git_env()
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME=_TOOL_IDENTITY[0], GIT_AUTHOR_EMAIL=_TOOL_IDENTITY[1],
        GIT_COMMITTER_NAME=_TOOL_IDENTITY[0], GIT_COMMITTER_EMAIL=_TOOL_IDENTITY[1],
        GIT_AUTHOR_DATE=_FIXED_DATE, GIT_COMMITTER_DATE=_FIXED_DATE,
    )
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_TEMPLATE_DIR"):
        env.pop(name, None)
    return env


def git(cwd: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    """Run git in the isolated environment; a failure is a UserError quoting git's last line."""
    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], input=input_bytes, capture_output=True,
                              env=isolated_env(), timeout=120, check=False)
    except FileNotFoundError as exc:
        raise UserError("git is not installed or not on PATH; the demo needs it") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UserError(f"git {args[0]} failed in {cwd}: {lines[-1] if lines else f'exit status {proc.returncode}'}")
    return proc.stdout


def _timestamp(iso: str) -> str:
    """fast-import's raw date: seconds since the epoch and the zone."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.utcoffset() is None:
        raise UserError(f"{iso}: a demo date needs a time zone (end it with Z)")
    return f"{int(when.timestamp())} +0000"


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


@dataclass
class HistoryStream:
    """Commits to feed to ``git fast-import``; each names its parent by a mark."""

    chunks: list[bytes] = field(default_factory=list)
    _next_mark: int = 1

    def commit(self, ref: str, author: tuple[str, str], date: str, message: str, parent: int | None,
               changed: dict[str, TreeFile], deleted: list[str]) -> int:
        mark = self._next_mark
        self._next_mark += 1
        identity = f"{author[0]} <{author[1]}> {_timestamp(date)}".encode("utf-8")
        lines = [f"commit {ref}\n".encode(), b"mark :%d\n" % mark,
                 b"author " + identity + b"\n", b"committer " + identity + b"\n", _data(message.encode("utf-8"))]
        if parent is not None:
            lines.append(b"from :%d\n" % parent)
        for path in deleted:
            lines.append(b"D " + _quote(path) + b"\n")
        for path, entry in changed.items():
            mode = b"100755" if entry.executable else b"100644"
            lines.append(b"M " + mode + b" inline " + _quote(path) + b"\n" + _data(entry.data))
        self.chunks.append(b"".join(lines))
        return mark

    def run(self, repo: Path) -> None:
        git(repo, "fast-import", "--quiet", "--done", input_bytes=b"".join(self.chunks) + b"done\n")


def _quote(path: str) -> bytes:
    if any(char in path for char in '"\n\\') or path.startswith(" "):
        raise UserError(f"{path}: demo paths must not need quoting")
    return path.encode("utf-8")
