"""The reviewed repository and its configuration (``.reviewer/``, catalog files, CODEOWNERS).

Configuration is read either from the work tree (interactive use) or from one git revision (the
gate reads it from the change's *base*, so a change cannot edit the policy that judges it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from reviewer_app.core.gitcmd import repository_root, run_git
from reviewer_app.errors import UserError

CONFIG_DIR = ".reviewer"
POLICY_PATH = ".reviewer/policy.toml"  # the team's approval policy (core/approvals/policy.py)
# Folders never searched for configuration when the work tree is not a git repository.
_SKIPPED_DIRS = {".git", "node_modules", "vendor", "third_party", ".venv", "venv", "__pycache__", "dist", "build"}


@dataclass
class Workspace:
    """Where a change is judged: a repository's work tree or one of its revisions, or no repository."""

    root: Path | None
    revision: str | None = None  # None: the work tree; else a commit-ish whose tree is read
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    # True once ``root`` is known to be a git work tree (each asking costs a git process).
    _git: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def discover(cls, repo_arg: str | Path | None, revision: str | None = None) -> "Workspace":
        """The workspace named by ``--repo``, else the git repository around the current folder."""
        if repo_arg is not None:
            path = Path(repo_arg).expanduser()
            if not path.is_dir():
                raise UserError(f"{repo_arg}: no such directory (given with --repo)")
            found = repository_root(path)
            return cls(root=found or path.resolve(), revision=revision, _git=found is not None)
        found = repository_root(Path.cwd())
        return cls(root=found, revision=revision, _git=found is not None)

    @property
    def is_git(self) -> bool:
        if not self._git:  # a folder may become a repository while the GUI runs: only "yes" is kept
            self._git = self.root is not None and repository_root(self.root) is not None
        return self._git

    def describe(self, relpath: str) -> str:
        """A name for messages: the path, with ``@rev`` when read from a revision."""
        return f"{relpath}@{self.revision}" if self.revision else relpath

    def read_bytes(self, relpath: str) -> bytes | None:
        """The file's bytes, or None when it does not exist (in the tree or revision)."""
        if self.root is None:
            return None
        if self.revision is None:
            path = self.root / relpath
            try:
                return path.read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                return None
            except OSError as exc:
                raise UserError(f"{relpath}: cannot read: {exc.strerror}") from exc
        proc = run_git(self.root, "cat-file", "blob", f"{self.revision}:{relpath}", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def read_text(self, relpath: str) -> str | None:
        if relpath not in self._cache:
            data = self.read_bytes(relpath)
            self._cache[relpath] = None if data is None else data.decode("utf-8", "replace")
        return self._cache[relpath]

    @cached_property
    def _files(self) -> list[str]:
        if self.root is None:
            return []
        if self.revision is not None:
            out = run_git(self.root, "ls-tree", "-r", "-z", "--name-only", "--full-tree", self.revision).stdout
        elif self.is_git:
            out = run_git(self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
        else:
            return sorted(_walk(self.root))
        return sorted({p for p in out.decode("utf-8", "replace").split("\0") if p})

    def list_files(self) -> list[str]:
        """Repository-relative, '/'-separated paths of tracked and not-ignored files."""
        return list(self._files)


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        rel = Path(folder).relative_to(root)
        found.extend((rel / name).as_posix() for name in files)
    return found
