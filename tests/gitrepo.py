"""Real git repositories for tests: a small helper and the ``git_repo`` fixture."""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXED_DATE = "2026-01-02T03:04:05Z"


@dataclass
class GitRepo:
    path: Path

    def git(self, *args: str, author: tuple[str, str] = ("Dana Dev", "dana@example.com"), date: str = FIXED_DATE) -> str:
        env = {
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
            "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
        }
        import os

        proc = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, env={**os.environ, **env})
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
        return proc.stdout.decode("utf-8", "replace")

    def write(self, rel: str, text: str | bytes, dedent: bool = True) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if dedent else text, encoding="utf-8")
        return path

    def write_files(self, files: dict[str, str | bytes | None]) -> None:
        """Write each file as given (no dedent); None deletes it."""
        for rel, text in files.items():
            if text is None:
                (self.path / rel).unlink()
            else:
                self.write(rel, text, dedent=False)

    def commit(self, message: str, author: tuple[str, str] = ("Dana Dev", "dana@example.com"), date: str = FIXED_DATE) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, author=author, date=date)
        return self.git("rev-parse", "HEAD").strip()

    def format_patch(self, rev: str = "HEAD") -> bytes:
        return subprocess.run(
            ["git", "-C", str(self.path), "format-patch", "--stdout", "-1", rev], capture_output=True, check=True
        ).stdout


def init_repo(path: Path) -> GitRepo:
    path.mkdir(parents=True, exist_ok=True)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    return repo


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty git repository with branch main."""
    return init_repo(tmp_path / "repo")
