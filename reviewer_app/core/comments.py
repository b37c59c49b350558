"""Line comments as signed events: threads, resolve/reopen, and re-anchoring across inbox revisions.

A ``comment`` event either starts a thread (it names ``path``, ``side`` (old | new), ``line``,
``end_line`` and ``lines``, the text of the anchored lines, so the anchor survives a new revision) or
replies to one (it names only ``thread``, the id of the thread's first comment). ``resolve`` and
``reopen`` name a ``thread`` and ``supersedes``, the thread's resolve or reopen the signer saw last
(null for none); anyone may send them. The one no other supersedes stands (between concurrent ones,
the later by created_at, then id): a reopen signed in the same second as the resolve it answers still wins. These events are signed,
chained, synced and exported exactly like decisions; the gate never counts them.

Across revisions (core/inbox): a thread started on an earlier revision of the same review item is
placed where its anchored lines appear again, on the same path and side, matched by content (the
nearest match to the original line number wins); where they no longer appear it is ``outdated`` and
keeps its original place, as GitHub and Gerrit show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer_app.core.approvals import events
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

    from reviewer_app.core.signing.allowed_signers import TrustStore
    from reviewer_app.core.model import Change

COMMENT, RESOLVE, REOPEN = "comment", "resolve", "reopen"
SIDES = ("old", "new")
_BASE_FIELDS = {"v", "type", "change_id", "principal", "key", "created_at", "prev"}
_ROOT_FIELDS = _BASE_FIELDS | {"path", "side", "line", "end_line", "lines", "message", "thread"}
_REPLY_FIELDS = _BASE_FIELDS | {"message", "thread"}
_STATE_FIELDS = _BASE_FIELDS | {"thread", "supersedes"}
_ID = re.compile(r"^sha256:[0-9a-f]{64}$")
MAX_RANGE = 1000  # lines one comment may span: a bound on what every reader re-anchors


# --- payload checks (called by events.validate_payload) ---------------------------------------------

def check_fields(data: dict[str, Any], name: str) -> None:
    """UserError naming the event and the field when a comment, resolve or reopen payload is not exactly right."""
    def fail(field_name: str, expected: str) -> None:
        raise UserError(f"{name}: field {field_name!r} {expected} (got {data.get(field_name)!r})")

    kind = data["type"]
    thread = data.get("thread")
    if kind == COMMENT and thread is None:
        allowed = _ROOT_FIELDS
    elif kind == COMMENT:
        allowed = _REPLY_FIELDS
    else:
        allowed = _STATE_FIELDS
    unknown = sorted(set(data) - allowed)
    missing = sorted(allowed - set(data))
    if unknown:
        raise UserError(f"{name}: field(s) {', '.join(unknown)} do not belong in a {kind} event"
                        + (" that replies to a thread" if kind == COMMENT and thread is not None else ""))
    if missing:
        raise UserError(f"{name}: a {kind} event needs the field(s) {', '.join(missing)}")
    if thread is not None and not (isinstance(thread, str) and _ID.match(thread)):
        fail("thread", "must be null or sha256:<64 hex> (the thread's first comment)")
    if kind != COMMENT:
        if thread is None:
            fail("thread", "must name the thread (sha256:<64 hex>)")
        supersedes = data["supersedes"]
        if supersedes is not None and not (isinstance(supersedes, str) and _ID.match(supersedes)):
            fail("supersedes", "must be null or sha256:<64 hex> (the resolve or reopen it answers)")
        return
    if not isinstance(data["message"], str) or not data["message"].strip():
        fail("message", "must be non-empty text")
    if thread is not None:
        return
    path = data["path"]
    if not isinstance(path, str) or not path or "\0" in path or path.startswith("/"):
        fail("path", "must be a repository-relative path")
    if data["side"] not in SIDES:
        fail("side", "must be old or new")
    line, end = data["line"], data["end_line"]
    if type(line) is not int or line < 1:
        fail("line", "must be a line number >= 1")
    if type(end) is not int or not line <= end < line + MAX_RANGE:
        fail("end_line", f"must be a line number from line to line + {MAX_RANGE - 1}")
    lines = data["lines"]
    if not isinstance(lines, list) or len(lines) != end - line + 1 or not all(isinstance(t, str) for t in lines):
        fail("lines", "must hold the text of each anchored line (end_line - line + 1 strings)")


# --- the diff a comment points into -------------------------------------------------------------------

def load_change(db: "sqlite_utils.Database", change_id: str) -> "Change":
    """The stored change with this id, parsed from its patch; UserError when it is not here."""
    from reviewer_app.core import store
    from reviewer_app.core.changeid import change_id as compute_id
    from reviewer_app.core.diffparse import parse_patch

    patch = store.get_patch(db, change_id)
    if patch is None:
        raise UserError(f"{change_id}: not in the local database (submit it or sync first)")
    for change in parse_patch(patch, change_id):
        if compute_id(change) == change_id:
            return change
    raise UserError(f"{change_id}: the stored patch no longer yields this change id; re-submit the change")


def diff_lines(change: "Change", path: str, side: str) -> dict[int, str]:
    """Line number -> text of the lines a comment may point at: on the new side added and context lines, on
    the old side removed and context lines (what a reviewer sees of each side)."""
    from reviewer_app.core.model import LineKind

    found: dict[int, str] = {}
    for diff in change.files:
        if path not in (diff.new_path, diff.old_path) or (side == "new" and diff.new_path != path and diff.new_path) \
                or (side == "old" and diff.old_path != path and diff.old_path):
            continue
        for hunk in diff.hunks:
            for line in hunk.lines:
                if side == "new" and line.kind in (LineKind.ADDED, LineKind.CONTEXT) and line.new_no is not None:
                    found[line.new_no] = line.text
                elif side == "old" and line.kind in (LineKind.REMOVED, LineKind.CONTEXT) and line.old_no is not None:
                    found[line.old_no] = line.text
    return found


def anchor_text(change: "Change", change_id: str, path: str, side: str, line: int, end_line: int) -> list[str]:
    """The text of lines ``line``..``end_line`` on ``side`` of ``path``; UserError when any is not in the diff."""
    if side not in SIDES:
        raise UserError(f"--side {side}: must be old or new")
    if line < 1 or end_line < line or end_line - line >= MAX_RANGE:
        raise UserError(f"--line {line} --end-line {end_line}: a range of 1 to {MAX_RANGE} lines from line 1 on")
    if not any(path in (d.new_path, d.old_path) for d in change.files):
        raise UserError(f"--path {path}: not a file of {change_id} (its files: "
                        f"{', '.join(d.path for d in change.files) or 'none'})")
    shown = diff_lines(change, path, side)
    absent = [n for n in range(line, end_line + 1) if n not in shown]
    if absent:
        what = "removed or context" if side == "old" else "added or context"
        raise UserError(f"{path}: line {absent[0]} on the {side} side is not in the diff of {change_id} "
                        f"(a comment points at {what} lines of a hunk)")
    return [shown[n] for n in range(line, end_line + 1)]


# --- threads ----------------------------------------------------------------------------------------

@dataclass
class Comment:
    id: str
    principal: str
    created_at: str
    message: str
    change_id: str
    verified: bool | None = None  # None: no trust store to check against

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "principal": self.principal, "created_at": self.created_at, "message": self.message,
                "change_id": self.change_id, "verified": self.verified}


@dataclass
class Thread:
    id: str
    change_id: str  # where it was started
    path: str
    side: str
    line: int
    end_line: int
    lines: list[str]
    comments: list[Comment] = field(default_factory=list)
    resolved: bool = False
    outdated: bool = False
    original_line: int = 0  # the line on the revision where it was started

    @property
    def principal(self) -> str:
        return self.comments[0].principal if self.comments else ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "side": self.side, "line": self.line,
                "end_line": self.end_line if self.end_line != self.line else None, "resolved": self.resolved,
                "outdated": self.outdated, "change_id": self.change_id, "comments": [c.to_dict() for c in self.comments]}


def revisions_up_to(db: "sqlite_utils.Database", change_id: str) -> list[str]:
    """The change ids of every revision of ``change_id``'s review item up to it, oldest first; [change_id] alone
    when it is no inbox revision."""
    return _revisions(db, change_id, later=False)


def _revisions(db: "sqlite_utils.Database", change_id: str, later: bool) -> list[str]:
    row = db.execute("SELECT item_id, revision FROM inbox_revisions WHERE change_id = ? ORDER BY revision DESC LIMIT 1",
                     [change_id]).fetchone()
    if row is None:
        return [change_id]
    bound = "" if later else " AND revision <= ?"
    found = [r[0] for r in db.execute(f"SELECT change_id FROM inbox_revisions WHERE item_id = ?{bound} ORDER BY revision",
                                      [row[0]] if later else [row[0], row[1]])]
    ordered: list[str] = []
    for item in found if change_id in found else [*found, change_id]:
        if item not in ordered:
            ordered.append(item)
    return ordered


def thread_events(db: "sqlite_utils.Database", change_ids: list[str]) -> list[events.SignedEvent]:
    """Comment, resolve and reopen events about these changes (by their signed payloads), in chain-aware time order."""
    found: dict[str, events.SignedEvent] = {}
    for change_id in change_ids:
        for event in events.events_for_change(db, change_id):
            try:
                kind = event._validated["type"]
            except UserError:
                continue  # a malformed row is the gate's and verify's business; a thread never shows it
            if kind in (COMMENT, RESOLVE, REOPEN):
                found.setdefault(event.id, event)
    return sorted(found.values(), key=lambda e: (e.created_at, e.id))


def threads(db: "sqlite_utils.Database", change_id: str, trust: "TrustStore | None" = None,
            change: "Change | None" = None) -> list[Thread]:
    """The threads of ``change_id``, with those of its earlier inbox revisions re-anchored onto it.

    With ``trust``, each comment says whether its signature verifies by a key allowed for its
    principal; a resolve or reopen counts only when it verifies (without ``trust``, every one does).
    """
    # Threads started on this revision or an earlier one; their replies and states from any revision.
    started_on = set(revisions_up_to(db, change_id))
    found: dict[str, Thread] = {}
    replies: list[events.SignedEvent] = []
    states: list[events.SignedEvent] = []
    for event in thread_events(db, _revisions(db, change_id, later=True)):
        data = event._parsed
        if data["type"] != COMMENT:
            states.append(event)
        elif data["thread"] is not None:
            replies.append(event)
        elif data["change_id"] in started_on:
            found[event.id] = Thread(event.id, data["change_id"], data["path"], data["side"], data["line"],
                                     data["end_line"], list(data["lines"]),
                                     [_comment(event, trust)], original_line=data["line"])
    for event in replies:
        thread = found.get(event._parsed["thread"])
        if thread is not None:
            thread.comments.append(_comment(event, trust))
    counted = [e for e in states if trust is None or events.verify_event(e, trust).ok]
    for thread_id, standing in standing_states(counted).items():
        if thread_id in found:
            found[thread_id].resolved = standing.type == RESOLVE
    moved = [t for t in found.values() if t.change_id != change_id]
    if moved:
        target = change if change is not None else _load_or_none(db, change_id)
        for thread in moved:
            _reanchor(thread, target)
    return sorted(found.values(), key=lambda t: (t.path, t.side, t.line, t.comments[0].created_at, t.id))


def standing_states(states: list[events.SignedEvent]) -> dict[str, events.SignedEvent]:
    """Thread id -> the resolve or reopen that stands: one no other supersedes, the latest of those."""
    superseded = {e._parsed["supersedes"] for e in states}
    standing: dict[str, events.SignedEvent] = {}
    for event in states:
        if event.id in superseded:
            continue
        thread = event._parsed["thread"]
        if thread not in standing or (event.created_at, event.id) > (standing[thread].created_at, standing[thread].id):
            standing[thread] = event
    return standing


def _comment(event: events.SignedEvent, trust: "TrustStore | None") -> Comment:
    data = event._parsed
    verified = None if trust is None else events.verify_event(event, trust).ok
    return Comment(event.id, data["principal"], data["created_at"], data["message"], data["change_id"], verified)


def _load_or_none(db: "sqlite_utils.Database", change_id: str) -> "Change | None":
    try:
        return load_change(db, change_id)
    except UserError:
        return None


def _reanchor(thread: Thread, target: "Change | None") -> None:
    """Place a thread from an earlier revision on ``target`` by the content of its lines, or mark it outdated."""
    if target is None:
        thread.outdated = True
        return
    shown = diff_lines(target, thread.path, thread.side)
    span = thread.end_line - thread.line
    starts = [n for n in shown if all(shown.get(n + i) == text for i, text in enumerate(thread.lines))]
    if not starts:
        thread.outdated = True
        return
    best = min(starts, key=lambda n: (abs(n - thread.original_line), n))
    thread.line, thread.end_line = best, best + span


def find_thread(db: "sqlite_utils.Database", given: str) -> events.SignedEvent:
    """The first comment of a thread, from its full id or a unique prefix of at least 8 hex digits."""
    from reviewer_app.core.approvals.decisions import MIN_PREFIX_DIGITS

    digits = given[len("sha256:"):] if given.startswith("sha256:") else given
    digits = digits.lower()
    if not re.fullmatch(r"[0-9a-f]+", digits or "-") or len(digits) < MIN_PREFIX_DIGITS:
        raise UserError(f"{given}: not a thread id (sha256: and at least {MIN_PREFIX_DIGITS} hex digits, as "
                        "`reviewer-app comments` lists them)")
    rows = db.execute("SELECT id, payload, signature FROM events WHERE id LIKE ? AND type = ?",
                      ["sha256:" + digits + "%", COMMENT]).fetchall()
    roots = {}
    for row in rows:
        event = events.SignedEvent(events.event_id(row[1]), row[1], row[2])
        try:
            data = event._validated
        except UserError:
            continue
        if event.id.startswith("sha256:" + digits) and data["type"] == COMMENT and data["thread"] is None:
            roots[event.id] = event
    if not roots:
        raise UserError(f"{given}: no thread with this id here (sync first, or see `reviewer-app comments CHANGE_ID`)")
    if len(roots) > 1:
        raise UserError(f"{given}: several threads start with these digits: {', '.join(sorted(roots))}")
    return next(iter(roots.values()))


# --- signing -------------------------------------------------------------------------------------------

def comment_fields(change: "Change", change_id: str, path: str, side: str, line: int, end_line: int | None,
                   message: str) -> dict[str, Any]:
    """The fields of a thread's first comment, checked against the diff."""
    end = line if end_line is None else end_line
    if not message.strip():
        raise UserError("--message: a comment says something")
    return {"path": path, "side": side, "line": line, "end_line": end,
            "lines": anchor_text(change, change_id, path, side, line, end), "message": message, "thread": None}


def reply_fields(db: "sqlite_utils.Database", change_id: str, thread_id: str, message: str) -> dict[str, Any]:
    """The fields of a reply, filed under ``change_id``: the thread must be one of that change's (started on it
    or on an earlier revision of its review item)."""
    if not message.strip():
        raise UserError("--message: a reply says something")
    root = find_thread(db, thread_id)
    if root.change_id not in revisions_up_to(db, change_id):
        raise UserError(f"--reply-to {thread_id}: the thread belongs to {root.change_id}, not to {change_id} "
                        "or an earlier revision of it")
    return {"message": message, "thread": root.id}


def sign_comment(db: "sqlite_utils.Database", signer: Any, change_id: str, fields: dict[str, Any]) -> events.SignedEvent:
    return events.create_event(db, signer, COMMENT, change_id, fields)


def sign_state(db: "sqlite_utils.Database", signer: Any, thread_id: str, reopen: bool = False) -> events.SignedEvent:
    """Resolve (or reopen) a thread: filed under the change where the thread was started."""
    root = find_thread(db, thread_id)
    states = [e for e in thread_events(db, [root.change_id]) if e.type != COMMENT and e._parsed["thread"] == root.id]
    last = standing_states(states).get(root.id)
    return events.create_event(db, signer, REOPEN if reopen else RESOLVE, root.change_id,
                               {"thread": root.id, "supersedes": last.id if last else None})


def unresolved_counts(db: "sqlite_utils.Database") -> dict[str, int]:
    """Change id -> unresolved threads started on it (no re-anchoring, no signature check: the queue's badge)."""
    rows = db.execute("SELECT payload, signature FROM events WHERE type IN ('comment', 'resolve', 'reopen')").fetchall()
    roots: dict[str, str] = {}  # thread id -> change id
    states: list[events.SignedEvent] = []
    for payload, signature in rows:
        event = events.SignedEvent(events.event_id(payload), payload, signature)
        try:
            data = event._validated
        except UserError:
            continue
        if data["type"] == COMMENT and data["thread"] is None:
            roots[event.id] = data["change_id"]
        elif data["type"] != COMMENT:
            states.append(event)
    resolved = {thread for thread, e in standing_states(states).items() if e.type == RESOLVE}
    counts: dict[str, int] = {}
    for thread, change in roots.items():
        if thread not in resolved:
            counts[change] = counts.get(change, 0) + 1
    return counts
