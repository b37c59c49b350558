"""``.reviewer/inbox.toml``: which review refs count, the default branch, and how old is too old.

    include = ["pull/*", "merge-requests/*", "changes/*", "heads/*"]   # the default: everything
    exclude = ["heads/main", "heads/release/*", "heads/dependabot/*"]
    default_branch = "main"        # default: the remote's HEAD, else main, else master
    max_age_days = 30              # heads last committed longer ago are left out (0: no limit)

Patterns are matched (fnmatch) against the ref below the remote's ``refs/``, without a trailing
``/head``: ``pull/123``, ``merge-requests/7``, ``changes/11/4711/3``, ``heads/feature/x``. The file is a
reviewer's own choice of what to look at, so it is read from the work tree; it decides nothing the
gate relies on.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError

INBOX_PATH = ".reviewer/inbox.toml"
DEFAULT_INCLUDE = ("pull/*", "merge-requests/*", "changes/*", "heads/*")
DEFAULT_MAX_AGE_DAYS = 90
_KNOWN = {"include", "exclude", "default_branch", "max_age_days"}


@dataclass(frozen=True)
class InboxConfig:
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    default_branch: str | None = None  # None: ask the remote
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    source: str = INBOX_PATH
    warnings: list[str] = field(default_factory=list)


def _patterns(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UserError(f"{where}: expected a list of patterns such as [\"pull/*\", \"heads/feature/*\"]")
    return tuple(value)


def load_inbox_config(workspace: Workspace) -> InboxConfig:
    text = workspace.read_text(INBOX_PATH)
    where = workspace.describe(INBOX_PATH)
    if text is None:
        return InboxConfig(source=where)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{where}: {exc}") from exc
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise UserError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(_KNOWN))})")
    include = _patterns(data["include"], f"{where}: include") if "include" in data else DEFAULT_INCLUDE
    exclude = _patterns(data["exclude"], f"{where}: exclude") if "exclude" in data else ()
    branch = data.get("default_branch")
    if branch is not None and (not isinstance(branch, str) or not branch or branch.startswith(("-", "refs/"))):
        raise UserError(f"{where}: default_branch: a branch name such as \"main\"")
    age = data.get("max_age_days", DEFAULT_MAX_AGE_DAYS)
    if isinstance(age, bool) or not isinstance(age, int) or age < 0:
        raise UserError(f"{where}: max_age_days: a whole number of days (0: no limit)")
    return InboxConfig(include, exclude, branch, age, where)
