"""Fetching the remote's review refs into ``refs/reviewer-app/inbox/<remote>/`` (one git process).

``--prune`` removes the private copies of refs the remote no longer has (a merged and deleted pull
request branch, an abandoned change), so the next discovery closes their items. Nothing outside the
private namespace is written: no branch, remote-tracking ref, FETCH_HEAD or configuration.
"""

from __future__ import annotations

import re
from pathlib import Path

from reviewer_app.core.gitcmd import run_git
from reviewer_app.errors import UserError

INBOX_PREFIX = "refs/reviewer-app/inbox/"
# Remote ref pattern -> where it lands below refs/reviewer-app/inbox/<remote>/.
REFSPECS = (
    ("refs/pull/*/head", "pull/*"),
    ("refs/merge-requests/*/head", "merge-requests/*"),
    ("refs/changes/*", "changes/*"),
    ("refs/heads/*", "heads/*"),
)
_REMOTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def inbox_prefix(remote: str) -> str:
    if not _REMOTE_NAME.match(remote):
        raise UserError(f"{remote}: a remote name (as in `git remote`), not a URL or option")
    return f"{INBOX_PREFIX}{remote}/"


def fetch_review_refs(repo: Path, remote: str) -> None:
    """One ``git fetch`` of every review ref kind; UserError with git's reason when the remote does not answer."""
    prefix = inbox_prefix(remote)
    specs = [f"+{source}:{prefix}{target}" for source, target in REFSPECS]
    # --refmap= (empty): no "opportunistic" update of refs/remotes/<remote>/* from the configured refspecs.
    run_git(repo, "fetch", "--quiet", "--no-tags", "--prune", "--no-write-fetch-head", "--no-auto-gc", "--refmap=",
            "--no-recurse-submodules", remote, *specs, timeout=600)


def local_review_refs(repo: Path, remote: str) -> dict[str, tuple[str, int]]:
    """``{ref below the inbox prefix: (commit, committer time)}`` of the fetched copies."""
    prefix = inbox_prefix(remote)
    out = run_git(repo, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(objecttype)",
                  prefix).stdout.decode("utf-8", "replace")
    found: dict[str, tuple[str, int]] = {}
    for line in out.splitlines():
        parts = line.split("\0")
        if len(parts) != 4 or parts[3] != "commit":
            continue
        found[parts[0][len(prefix):]] = (parts[1], int(parts[2] or 0))
    return found


def remote_default_branch(repo: Path, remote: str) -> str | None:
    """The remote's HEAD branch (``git ls-remote --symref``), or None when it does not say."""
    proc = run_git(repo, "ls-remote", "--symref", remote, "HEAD", check=False, timeout=120)
    match = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", proc.stdout.decode("utf-8", "replace"), re.MULTILINE)
    return match.group(1) if match else None
