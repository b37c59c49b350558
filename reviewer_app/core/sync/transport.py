"""Talking to the team's remote: fetch the ledger refs, push signer refs fast-forward only.

Both steps are ordinary ``git fetch``/``git push`` runs (so the user's remotes, credentials and SSH
setup apply unchanged). A network or authentication failure becomes one ``RemoteError`` line;
a push that the remote refuses for one ref (someone else moved it) is reported per ref so the
caller can fetch, rebuild the union and try again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.sync import gitobjects
from reviewer_app.core.sync.refs import EVENTS_PREFIX, events_fetch_refspecs, exact_refspec, tracking_of, tracking_prefix
from reviewer_app.errors import UserError

# Fetching a few thousand small objects over a slow link still finishes well within this.
_NETWORK_TIMEOUT = 300

# Git's messages (LC_ALL=C) that mean "the remote refused our credentials". An HTTP status counts only
# where git reports one ("The requested URL returned error: 403", "HTTP 401"): a bare "403" also
# stands in paths and host names (a checkout under /tmp/pytest-403/ is no refusal).
_AUTH_HINTS = ("authentication failed", "permission denied", "could not read username")
_AUTH_STATUS = re.compile(r"(returned error|\bhttp(/[\d.]+)?)[:\s]+40[13]\b")


class RemoteError(UserError):
    """The remote could not be reached, refused our credentials, or refused the push."""


# Refusals that mean "someone moved the ref meanwhile": fetch, rebuild the union, push again.
_RETRYABLE = ("fetch first", "non-fast-forward", "cannot lock ref", "failed to lock", "failed to update ref",
              "incorrect old value", "stale info", "already exists")


@dataclass
class PushResult:
    accepted: dict[str, str] = field(default_factory=dict)  # ref -> commit now on the remote
    rejected: dict[str, str] = field(default_factory=dict)  # ref -> git's reason

    def raise_if_refused_for_good(self, remote: str) -> None:
        """A refusal that retrying cannot fix (a hook, permissions) is reported at once."""
        # A signer's ledger first: it is the record; the index and the marker follow it.
        for ref, reason in sorted(self.rejected.items(), key=lambda item: (not item[0].startswith(EVENTS_PREFIX), item[0])):
            if not any(marker in reason for marker in _RETRYABLE):
                raise RemoteError(f"'{remote}' refused the push of {ref}: {reason}; nothing was lost, "
                                  "the events stay queued for the next sync")


def fetch(repo: Path, remote: str) -> dict[str, str]:
    """Fetch every signer's ledger ref (and the layout marker); returns ``{tracking ref: commit}`` of the ledgers.

    ``--prune`` only touches those namespaces: a ref deleted on the remote disappears from it, and the
    import reports the deletion (ledger refs are never deleted by this program). The per-change index
    is not fetched: a sync reads whole ledgers, only the gate reads the index (see narrow.py).
    """
    _fetch(repo, remote, events_fetch_refspecs(remote))
    return gitobjects.list_refs(repo, tracking_prefix(remote) + "events/")


def fetch_exact(repo: Path, remote: str, refs: Iterable[str]) -> dict[str, str]:
    """Fetch exactly these refs (ledger, index or layout) where the remote has them; ``{ref: commit}``.

    One ``git fetch`` whatever the number of refs (refspecs on stdin). Its cost is the refs named and
    their objects, not the size of the remote: protocol v2 asks the server only for these prefixes.
    A ref the remote lacks is simply absent from the answer.
    """
    wanted = sorted(set(refs))
    if not wanted:
        return {}
    _fetch(repo, remote, [exact_refspec(remote, ref) for ref in wanted])
    tracking = {tracking_of(remote, ref): ref for ref in wanted}
    found = gitobjects.list_exact_refs(repo, list(tracking))
    return {tracking[name]: commit for name, commit in found.items() if name in tracking}


def tracking_refs(remote: str, found: dict[str, str]) -> dict[str, str]:
    """``{ref: commit}`` from :func:`fetch_exact` as ``{tracking ref: commit}``, what the importer reads."""
    return {tracking_of(remote, ref): commit for ref, commit in found.items()}


def _fetch(repo: Path, remote: str, refspecs: list[str]) -> None:
    proc = run_git(
        repo, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-auto-gc", "--prune", "--stdin",
        remote, input_bytes=("\n".join(refspecs) + "\n").encode("utf-8"), check=False, timeout=_NETWORK_TIMEOUT,
    )
    if proc.returncode != 0:
        raise RemoteError(_describe_failure("fetch from", remote, proc.stderr))


def push(repo: Path, remote: str, updates: dict[str, str]) -> PushResult:
    """Push ``{ref: commit}`` without force: the remote accepts only fast-forwards.

    ``--no-verify``: the user's pre-push hooks are written for branches, not for ledger refs.
    """
    result = PushResult()
    if not updates:
        return result
    refspecs = [f"{commit}:{ref}" for ref, commit in sorted(updates.items())]
    for start in range(0, len(refspecs), _PUSH_BATCH):
        _push_batch(repo, remote, updates, refspecs[start:start + _PUSH_BATCH], result)
    for ref in updates:  # a ref git said nothing about was not pushed
        if ref not in result.accepted and ref not in result.rejected:
            result.rejected[ref] = "no status reported by git push"
    return result


# Refspecs per ``git push`` (it takes no --stdin): a migration pushes one index ref per change.
_PUSH_BATCH = 2000


def _push_batch(repo: Path, remote: str, updates: dict[str, str], refspecs: list[str], result: PushResult) -> None:
    proc = run_git(
        repo, "push", "--porcelain", "--no-verify", remote, *refspecs, check=False, timeout=_NETWORK_TIMEOUT
    )
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or ":" not in parts[1]:
            continue
        flag, target, summary = parts[0], parts[1].split(":", 1)[1], parts[2]
        if target not in updates:
            continue
        if flag in (" ", "*", "=", "+"):
            result.accepted[target] = updates[target]
        elif flag == "!":
            result.rejected[target] = summary.strip()
    if proc.returncode != 0 and not result.rejected:
        raise RemoteError(_describe_failure("push to", remote, proc.stderr))


def _describe_failure(action: str, remote: str, stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    meaningful = [line for line in lines if line.lower().startswith(("fatal:", "error:", "ssh:"))] or lines
    detail = meaningful[0] if meaningful else "git gave no reason"
    detail = detail.removeprefix("fatal: ").removeprefix("error: ")
    lowered = " ".join(lines).lower()
    if any(hint in lowered for hint in _AUTH_HINTS) or _AUTH_STATUS.search(lowered):
        kind = "authentication failed"
    else:
        kind = "remote unreachable"
    return f"cannot {action} '{remote}' ({kind}): {detail}; nothing was lost, run sync again later"
