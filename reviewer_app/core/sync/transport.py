"""Talking to the team's remote: fetch the ledger refs, push signer refs fast-forward only.

Both steps are ordinary ``git fetch``/``git push`` runs (so the user's remotes, credentials and SSH
setup apply unchanged). A network or authentication failure becomes one ``RemoteError`` line;
a push that the remote refuses for one ref (someone else moved it) is reported per ref so the
caller can fetch, rebuild the union and try again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.sync import gitobjects
from reviewer_app.core.sync.refs import fetch_refspec, tracking_prefix
from reviewer_app.errors import UserError

# Fetching a few thousand small objects over a slow link still finishes well within this.
_NETWORK_TIMEOUT = 300

# Substrings of git's messages (LC_ALL=C) that mean "could not talk to the remote at all".
_AUTH_HINTS = ("authentication failed", "permission denied", "could not read username", "403", "401")


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
        for ref, reason in sorted(self.rejected.items()):
            if not any(marker in reason for marker in _RETRYABLE):
                raise RemoteError(f"'{remote}' refused the push of {ref}: {reason}; nothing was lost, "
                                  "the events stay queued for the next sync")


def fetch(repo: Path, remote: str) -> dict[str, str]:
    """Fetch every ledger ref into the remote-tracking namespace; returns ``{tracking ref: commit}``.

    ``--prune`` only touches that namespace: a ref deleted on the remote disappears from it, and the
    import reports the deletion (ledger refs are never deleted by this program).
    """
    proc = run_git(
        repo, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-auto-gc", "--prune",
        remote, fetch_refspec(remote), check=False, timeout=_NETWORK_TIMEOUT,
    )
    if proc.returncode != 0:
        raise RemoteError(_describe_failure("fetch from", remote, proc.stderr))
    return gitobjects.list_refs(repo, tracking_prefix(remote))


def push(repo: Path, remote: str, updates: dict[str, str]) -> PushResult:
    """Push ``{ref: commit}`` without force: the remote accepts only fast-forwards.

    ``--no-verify``: the user's pre-push hooks are written for branches, not for ledger refs.
    """
    result = PushResult()
    if not updates:
        return result
    refspecs = [f"{commit}:{ref}" for ref, commit in sorted(updates.items())]
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
    for ref in updates:  # a ref git said nothing about was not pushed
        if ref not in result.accepted and ref not in result.rejected:
            result.rejected[ref] = "no status reported by git push"
    return result


def _describe_failure(action: str, remote: str, stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    meaningful = [line for line in lines if line.lower().startswith(("fatal:", "error:", "ssh:"))] or lines
    detail = meaningful[0] if meaningful else "git gave no reason"
    detail = detail.removeprefix("fatal: ").removeprefix("error: ")
    lowered = " ".join(lines).lower()
    if any(hint in lowered for hint in _AUTH_HINTS):
        kind = "authentication failed"
    else:
        kind = "remote unreachable"
    return f"cannot {action} '{remote}' ({kind}): {detail}; nothing was lost, run sync again later"
