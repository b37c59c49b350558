"""Which service owns a repository path: a folder-prefix index, with globs only where written.

Most services own a folder (the one holding their descriptor, or a plain path in their annotation),
so a lookup walks the path's ancestors in a dict: O(depth), whatever the number of services. Only
patterns with glob characters are matched with ``pathspec``, and each is filed under the literal
folder it starts with, so a path only meets the globs written for its own ancestors.

When several services match a path the most specific wins: the longest pattern (a folder's length,
or a glob's length without its leading and trailing ``/``); services tied on that length all own it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer_app.core.records import FrozenRecord

if TYPE_CHECKING:  # imported where a pattern is compiled: most analyses have no CODEOWNERS
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

_GLOB_CHARS = frozenset("*?[")


def _has_glob(text: str) -> bool:
    return any(char in _GLOB_CHARS for char in text)


def literal_folder(pattern: str) -> str | None:
    """The repository path a glob-free pattern names (``services/pricing/**`` -> ``services/pricing``).

    None when the pattern really is a glob. A trailing ``/**`` or ``/`` only says "everything below",
    which a folder prefix already means.
    """
    text = pattern.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.lstrip("/")
    if text.endswith("/**"):
        text = text[:-3]
    text = text.rstrip("/")
    if text in ("", "**"):
        return ""
    return None if _has_glob(text) else text


def _glob_bucket(pattern: str) -> str:
    """The literal folder a glob is anchored under; "" when it may match at any depth."""
    text = pattern.strip().lstrip("/").rstrip("/")
    if "/" not in text and not pattern.strip().startswith("/"):
        return ""  # gitignore rule: no inner slash means "at any depth"
    literal: list[str] = []
    for segment in text.split("/"):
        if _has_glob(segment):
            break
        literal.append(segment)
    return "/".join(literal)


class _Glob(FrozenRecord):
    """A service's path pattern with glob characters."""

    __slots__ = FIELDS = ("service", "pattern", "specificity")

    def __init__(self, service: str, pattern: GitIgnoreSpecPattern, specificity: int) -> None:
        self.service = service
        self.pattern = pattern
        self.specificity = specificity


def _ancestors(path: str) -> list[str]:
    """``a/b/c`` -> ``["a/b/c", "a/b", "a", ""]``: the path itself first, the root last."""
    found = [path]
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        found.append(path)
    if path:
        found.append("")
    return found


class PathIndex:
    def __init__(self) -> None:
        self._folders: dict[str, list[str]] = {}
        self._globs: dict[str, list[_Glob]] = {}

    def add(self, service: str, pattern: str) -> bool:
        """File one ownership pattern; False when it cannot own anything (a negation, a comment, junk)."""
        if pattern.strip().startswith(("!", "#")):
            return False
        folder = literal_folder(pattern)
        if folder is not None:
            self._folders.setdefault(folder, []).append(service)
            return True
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern  # only globs reach here

        text = pattern.strip()
        try:
            compiled = GitIgnoreSpecPattern(text)
        except (ValueError, TypeError):
            return False
        if compiled.include is not True:  # a negation or a comment owns nothing
            return False
        glob = _Glob(service, compiled, len(text.strip("/")))
        self._globs.setdefault(_glob_bucket(text), []).append(glob)
        return True

    def owners(self, path: str) -> list[str]:
        """The services owning ``path`` (repository-relative, ``/``-separated); [] when none does."""
        path = path.strip("/")
        best, winners = -1, set()
        literal_found = False
        for folder in _ancestors(path):
            if not literal_found and folder in self._folders:
                literal_found = True  # the deepest folder is the most specific literal match
                if len(folder) > best:
                    best, winners = len(folder), set()
                if len(folder) == best:
                    winners.update(self._folders[folder])
            for glob in self._globs.get(folder, ()):
                if glob.specificity < best or glob.pattern.match_file(path) is None:
                    continue
                if glob.specificity > best:
                    best, winners = glob.specificity, set()
                winners.add(glob.service)
        return sorted(winners)
