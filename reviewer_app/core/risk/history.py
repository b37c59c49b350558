"""History features of a change, read offline from the local repository at the change's base.

Just-in-time defect prediction (Kamei et al. 2013; McIntosh and Kamei 2018) finds that what the
touched files went through before predicts whether a change will need fixing: how often they
changed (NUC), how many people changed them (NDEV), how long ago (AGE), how many earlier changes
to them were reverts or fixes, and how much the author has worked on them before (SEXP) and in the
repository at all (EXP, left out: on the real-world corpus its weight was negligible, 0.09 standardised,
and it cost a second git process).

One ``git log`` of the touched paths (bounded to the last ``HISTORY_WINDOW`` commits that touch
them) yields every feature. Results are cached in a
SQLite file under the platform cache folder, keyed by base commit, author and paths: a commit's
history never changes. The cache is an optimisation only: when it cannot be opened, features are
computed and not stored; without a repository or a base there are no history features at all, and
the change model falls back to size and diffusion (see jit.py).

Reverts of what no release contained (``restored_by_revert``): a revert brings files back to what
they were before the reverted commit. When that content is the content of a release and what the
revert takes away was in no release, an installation of that release sees nothing new in the file:
the findings on it (a DROP TABLE in a migration every installation applied long ago) describe
history, not this change. Reverting a released change stays a real change.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.core.digest import sha256
from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.model import Change, FileStatus
from reviewer_app.core.records import FrozenRecord
from reviewer_app.core.risk.findings import Finding
from reviewer_app.errors import UserError

if TYPE_CHECKING:  # sqlite3 is imported when a history is looked up, not when analysis starts
    import sqlite3

HISTORY_WINDOW = 2000  # commits touching the paths; older history adds little and costs time
MAX_PATHS = 200  # a change wider than this is judged on its 200 largest files' history
CACHE_ENV = "REVIEWER_APP_CACHE_DIR"
CACHE_VERSION = 2  # bump when the features change meaning, so old cache rows are not reused

_SHA = re.compile(r"^[0-9a-f]{40}$")
# Compiled (and kept in re's cache) when a history is computed or a revert is met: a history read
# from the cache, for a change that reverts nothing, needs none of them.
_REVERT = r"(?m)^Revert\b|This reverts commit [0-9a-f]{7,40}"
_FIX = r"(?i)\b(fix(es|ed)?|bug(fix)?|regression|hotfix)\b"
_NOT_FIX = r"(?i)\b(docs?|typos?|chore|readme|changelog|spelling|lint)\b"
_REVERTED = r"\bThis reverts commit ([0-9a-f]{7,40})\b"
RECENT_REVERT_DAYS = 90  # a revert of an older commit is not taken as undoing unreleased work
RELEASES_LOOKED_AT = 20  # the newest tags made before the change: the releases installations run
_SECONDS_PER_DAY = 86400.0


class History(FrozenRecord):
    """What the touched files went through before the change's base."""

    FIELDS = ("prior_changes", "developers", "age_days", "past_reverts", "past_fixes", "author_changes_here",
              "files_with_history", "files_without_history")

    def __init__(self, prior_changes: int, developers: int, age_days: float, past_reverts: int, past_fixes: int,
                 author_changes_here: int, files_with_history: int, files_without_history: int) -> None:
        self.prior_changes = prior_changes  # earlier commits touching these files (Kamei's NUC)
        self.developers = developers  # distinct authors of those commits (NDEV)
        self.age_days = age_days  # mean days since each touched file last changed (AGE); 0 when none has history
        self.past_reverts = past_reverts  # earlier reverts touching these files
        self.past_fixes = past_fixes  # earlier fixing commits touching these files
        self.author_changes_here = author_changes_here  # the author's earlier commits touching these files (SEXP)
        self.files_with_history = files_with_history  # touched files that existed before
        self.files_without_history = files_without_history  # touched files new to the repository

    def to_dict(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in self.FIELDS}


def history_of(repo: Path | None, change: Change) -> History | None:
    """The change's history features, or None without a repository, a base commit or a readable history."""
    if repo is None or not change.base or not _SHA.match(change.base):
        return None
    author = (change.author.email or "").lower()
    old_paths = _history_paths(change)
    key = _cache_key(change.base, author, old_paths)
    cache = _Cache.open()
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    try:
        history = _compute(repo, change.base, author, old_paths, len(change.files), _change_time(change))
    except UserError:
        return None  # no readable history (not a repository, a base it lacks): fall back, never fail
    if cache is not None:
        cache.put(key, history)
    return history


def _history_paths(change: Change) -> list[str]:
    """Paths as they were at the base (old names of renames), largest changes first, capped."""
    files = [f for f in change.files if f.status is not FileStatus.ADDED and f.old_path]
    files.sort(key=lambda f: (-(f.added + f.removed), f.old_path or ""))
    return sorted({f.old_path for f in files[:MAX_PATHS] if f.old_path})


def _compute(repo: Path, base: str, author: str, paths: list[str], touched: int, now: int | None) -> History:
    if not paths:
        return History(0, 0, 0.0, 0, 0, 0, 0, touched)
    out = run_git(
        repo, "log", "--no-merges", f"--max-count={HISTORY_WINDOW}", "--no-renames", "--name-only",
        "--format=%x1e%H%x00%ae%x00%ct%x00%B%x00", base, "--", *paths,
    ).stdout.decode("utf-8", "replace")
    wanted = set(paths)
    last_change: dict[str, int] = {}
    authors: set[str] = set()
    prior = reverts = fixes = mine = 0
    revert, fix, not_fix = re.compile(_REVERT), re.compile(_FIX), re.compile(_NOT_FIX)
    for record in out.split("\x1e")[1:]:
        fields = record.split("\x00")
        if len(fields) < 5:
            continue
        _sha, email, stamp, message, names = fields[0], fields[1].lower(), int(fields[2] or 0), fields[3], fields[4]
        prior += 1
        authors.add(email)
        mine += email == author
        if revert.search(message):
            reverts += 1
        elif fix.search(message.split("\n", 1)[0]) and not not_fix.search(message.split("\n", 1)[0]):
            fixes += 1
        for name in names.split("\n"):
            if name in wanted and name not in last_change:
                last_change[name] = stamp  # log is newest first: the first sighting is the last change
    # Age is measured from when the change was written; without a date, from the newest earlier change.
    now = now if now is not None else max(last_change.values(), default=0)
    ages = [max(0.0, (now - stamp) / _SECONDS_PER_DAY) for stamp in last_change.values()]
    return History(
        prior_changes=prior, developers=len(authors), age_days=round(sum(ages) / len(ages), 1) if ages else 0.0,
        past_reverts=reverts, past_fixes=fixes, author_changes_here=mine,
        files_with_history=len(last_change), files_without_history=touched - len(last_change),
    )


def _change_time(change: Change) -> int | None:
    """When the change was written (author date), as a Unix time; None when the change does not say."""
    from datetime import datetime

    for value in (change.author_date, change.commit_date):
        if value:
            try:
                return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
            except ValueError:
                continue
    return None


def _cache_key(base: str, author: str, paths: list[str]) -> str:
    digest = sha256("\0".join([str(CACHE_VERSION), base, author, *paths]).encode("utf-8", "replace"))
    return digest.hexdigest()


class _Cache:
    """history.sqlite under the platform cache folder (or $REVIEWER_APP_CACHE_DIR)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @classmethod
    def open(cls) -> _Cache | None:
        import sqlite3

        try:
            folder = cache_dir()
            folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(folder / "history.sqlite", timeout=2, isolation_level=None)
            conn.execute("CREATE TABLE IF NOT EXISTS history (key TEXT PRIMARY KEY, features TEXT NOT NULL)")
            return cls(conn)
        except (OSError, sqlite3.Error):
            return None  # a read-only home or a locked file: compute without caching

    def get(self, key: str) -> History | None:
        import sqlite3

        try:
            row = self.conn.execute("SELECT features FROM history WHERE key = ?", (key,)).fetchone()
            return History(**json.loads(row[0])) if row else None
        except (sqlite3.Error, ValueError, TypeError):
            return None

    def put(self, key: str, history: History) -> None:
        import sqlite3

        try:
            self.conn.execute("INSERT OR REPLACE INTO history (key, features) VALUES (?, ?)",
                              (key, json.dumps(history.to_dict(), sort_keys=True)))
        except sqlite3.Error:
            pass


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    if sys.platform.startswith("linux"):
        # The XDG rule platformdirs follows on Linux, without importing it (a tenth of a one-line
        # analyze's imports, tempfile and shutil with it): $XDG_CACHE_HOME when absolute, else ~/.cache.
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        if os.path.isabs(xdg):
            return Path(xdg) / "reviewer-app"
        if os.path.isabs(os.environ.get("HOME", "")):
            return Path(os.path.expanduser("~/.cache")) / "reviewer-app"
    import platformdirs  # other platforms, or no usable home folder

    return Path(platformdirs.user_cache_dir("reviewer-app", appauthor=False))


def restored_by_revert(repo: Path | None, change: Change) -> dict[str, str]:
    """Files a revert brings back to a release's content, replacing content no release had:
    path -> why nothing changes there for an installation ("restores <file> as released in <tag>").

    The change must say ``This reverts commit <sha>``; a reverted commit the repository has must be
    recent and in no tag made before the change without the revert; the releases are the newest
    tags made before the change (their trees, so a squash-merged branch commit named in the message
    is judged by content). A file counts when its content after the change is a release's and its
    content before the change is in none of them (a file the revert deletes: in none either way).
    Empty without a repository, a message naming a reverted commit, or tags.
    """
    shas = re.findall(_REVERTED, change.message or "")
    if repo is None or not shas or not change.base or not change.head:
        return {}
    try:
        return _restored(repo, change, shas)
    except (UserError, ValueError, OSError):
        return {}  # no readable history: nothing is lowered


MIGRATION_RULES = "DB-"  # the rules whose findings a restored release makes moot (resources/rules/data.toml)


def lower_restored(repo: Path | None, change: Change, findings: list[Finding], floor: str = "low",
                   restored: dict[str, str] | None = None) -> list[Finding]:
    """``findings`` with the migration findings (``DB-*``) on files a revert restores as released
    lowered to ``floor``, saying why; ``restored``: ``restored_by_revert``'s answer when known.

    Only migrations: one a release shipped has run on every installation of it, and running it is
    what its findings warn about. Code restored as released is another matter: the revert may bring
    back a bug the reverted commit had fixed (a swallowed error), which stays as judged.
    """
    import dataclasses

    from reviewer_app.core.risk.rules import SEVERITY_RANK

    if not any(f.rule.startswith(MIGRATION_RULES) and SEVERITY_RANK[f.severity] > SEVERITY_RANK[floor] for f in findings):
        return findings
    if restored is None:
        restored = restored_by_revert(repo, change)
    if not restored:
        return findings
    out = []
    for finding in findings:
        reason = restored.get(finding.path)
        if reason and finding.rule.startswith(MIGRATION_RULES) and SEVERITY_RANK[finding.severity] > SEVERITY_RANK[floor]:
            finding = dataclasses.replace(finding, severity=floor, message=(
                f"{finding.message} Lowered to {floor}: {reason}, so no installation of a release runs anything "
                "new here (what a release shipped, its installations have applied)."))
        out.append(finding)
    return out


def _git(repo: Path, *args: str, input_bytes: bytes | None = None) -> str:
    proc = run_git(repo, *args, input_bytes=input_bytes, check=False)
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else ""


def _restored(repo: Path, change: Change, shas: list[str]) -> dict[str, str]:
    when = _git(repo, "log", "-1", "--format=%ct", change.head).strip()
    if not when:
        return {}
    now = int(when)
    for sha in shas:
        resolved = _git(repo, "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}").strip()
        if not resolved:
            continue  # a squash-merged branch commit this clone lacks: the trees below decide
        stamp = _git(repo, "log", "-1", "--format=%ct", resolved).strip()
        if not stamp or now - int(stamp) > RECENT_REVERT_DAYS * _SECONDS_PER_DAY:
            return {}
        released = _git(repo, "for-each-ref", f"--contains={resolved}", f"--no-contains={change.head}",
                        "--format=%(creatordate:unix)", "refs/tags")
        if any(line and int(line) <= now for line in released.split()):
            return {}  # a release shipped the reverted commit: undoing it is a real change
    tags = []  # full ref names (a branch may share a tag's short name)
    for line in _git(repo, "for-each-ref", "--sort=-creatordate", "--format=%(creatordate:unix) %(refname)",
                     "refs/tags").splitlines():
        stamp, _, name = line.partition(" ")
        if stamp.isdigit() and int(stamp) <= now and name:
            tags.append(name)
            if len(tags) == RELEASES_LOOKED_AT:
                break
    if not tags:
        return {}
    files = [(f.new_path if f.status is not FileStatus.DELETED else None,
              f.old_path if f.status is not FileStatus.ADDED else None, f.path) for f in change.files]
    paths = sorted({p for new, old, _ in files for p in (new, old) if p})
    if not paths:
        return {}
    revisions = [change.head, change.base, *tags]
    query = "".join(f"{revision}:{path}\n" for revision in revisions for path in paths)
    answers = _git(repo, "cat-file", "--batch-check=%(objectname)", input_bytes=query.encode("utf-8")).splitlines()
    if len(answers) != len(revisions) * len(paths):
        return {}
    blob = {}
    for index, answer in enumerate(answers):
        revision, path = revisions[index // len(paths)], paths[index % len(paths)]
        blob[revision, path] = answer if _SHA.match(answer) else None  # "<name> missing" when absent
    restored: dict[str, str] = {}
    for new, old, path in files:
        after = blob[change.head, new] if new else None
        before = blob[change.base, old] if old else None
        if after == before:
            continue
        if before is not None and any(blob[tag, old] == before for tag in tags):
            continue  # what the change replaces was released: replacing it is new to that release
        if after is None:
            if old is None or any(blob[tag, old] is not None for tag in tags):
                continue  # the file was released (in some form): deleting it is new to that release
            restored[path] = (f"the change reverts unreleased work and deletes {path}, which no release "
                              f"({_short(tags[0])} and the {len(tags) - 1} before it) contained")
            continue
        tag = next((tag for tag in tags if blob[tag, new] == after), None)
        if tag is not None:
            restored[path] = f"the change reverts unreleased work and restores {path} as released in {_short(tag)}"
    return restored


def _short(ref: str) -> str:
    return ref.removeprefix("refs/tags/")
