"""Hand a review to the forge without a network: the JSON bodies of GitHub's "create a review" and GitLab's
"create a merge request discussion" APIs, built from the signed threads and decisions of one change.

A connected machine posts them: ``gh api repos/O/R/pulls/N/reviews --input review.json`` and, for
GitLab, one ``glab api projects/:id/merge_requests/N/discussions`` call per element of the list.
Resolved and outdated threads are not posted on lines (their lines may be gone); outdated ones are
listed in the review's body.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reviewer_app.core import comments as review_comments
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

    from reviewer_app.core.model import Change

FORMATS = ("github", "gitlab")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _thread_text(thread: review_comments.Thread) -> str:
    if len(thread.comments) == 1:
        return thread.comments[0].message
    return "\n\n".join(f"**{c.principal}**: {c.message}" for c in thread.comments)


def _standing_rejections(db: "sqlite_utils.Database", change_id: str) -> list[str]:
    from reviewer_app.core.approvals import events
    from reviewer_app.core.approvals.decisions import standing_decision

    people = {e.principal.lower() for e in events.events_for_change(db, change_id) if e.type in ("approve", "reject")}
    return sorted(p for p in people if (d := standing_decision(db, change_id, p)) is not None and d.type == "reject")


def review_body(db: "sqlite_utils.Database", change_id: str, forge: str, head: str | None = None,
                base: str | None = None) -> Any:
    """The JSON body for ``forge`` (github: one review object; gitlab: a list of discussions)."""
    if forge not in FORMATS:
        raise UserError(f"--format {forge}: must be one of {', '.join(FORMATS)}")
    change = review_comments.load_change(db, change_id)
    threads = review_comments.threads(db, change_id, change=change)
    open_threads = [t for t in threads if not t.resolved and not t.outdated]
    outdated = [t for t in threads if not t.resolved and t.outdated]
    rejected_by = _standing_rejections(db, change_id)
    summary = [f"Review from reviewer-app for {change_id}: {len(open_threads)} open thread(s)."]
    if rejected_by:
        summary.append(f"Changes requested (signed rejection) by {', '.join(rejected_by)}.")
    for thread in outdated:
        summary.append(f"Outdated thread on {thread.path} line {thread.original_line} ({thread.side}): "
                       f"{thread.comments[0].message}")
    if forge == "github":
        body: dict[str, Any] = {"event": "REQUEST_CHANGES" if rejected_by else "COMMENT", "body": "\n\n".join(summary),
                                "comments": [_github_comment(t) for t in open_threads]}
        if head and _COMMIT.match(head):
            body["commit_id"] = head
        return body
    return [_gitlab_discussion(t, change, head, base) for t in open_threads]


def _github_comment(thread: review_comments.Thread) -> dict[str, Any]:
    side = "RIGHT" if thread.side == "new" else "LEFT"
    comment: dict[str, Any] = {"path": thread.path, "line": thread.end_line, "side": side, "body": _thread_text(thread)}
    if thread.end_line != thread.line:  # a range: GitHub anchors it by its last line and names the first
        comment.update(start_line=thread.line, start_side=side)
    return comment


def _gitlab_discussion(thread: review_comments.Thread, change: "Change", head: str | None,
                       base: str | None) -> dict[str, Any]:
    from reviewer_app.core.model import LineKind

    diff = next(d for d in change.files if thread.path in (d.new_path, d.old_path))
    old_line = new_line = None
    for hunk in diff.hunks:  # GitLab wants both numbers for a context line, one for an added or removed line
        for line in hunk.lines:
            number = line.new_no if thread.side == "new" else line.old_no
            if number == thread.end_line and line.kind in (
                    (LineKind.ADDED, LineKind.CONTEXT) if thread.side == "new" else (LineKind.REMOVED, LineKind.CONTEXT)):
                old_line, new_line = (line.old_no if line.kind != LineKind.ADDED else None,
                                      line.new_no if line.kind != LineKind.REMOVED else None)
    position: dict[str, Any] = {"position_type": "text", "new_path": diff.new_path or diff.old_path,
                                "old_path": diff.old_path or diff.new_path, "new_line": new_line, "old_line": old_line}
    if base and _COMMIT.match(base):
        position.update(base_sha=base, start_sha=base)
    if head and _COMMIT.match(head):
        position["head_sha"] = head
    return {"body": _thread_text(thread), "position": position}
