"""Reading fetched ledger refs into the local index: verify every event, set aside what fails.

An event is accepted only when its file name matches its content (id = sha256 of the payload)
and its signature verifies against the team's allowed signers; anything else goes to the
``quarantine`` table with the reason, is reported, and never counts. Quarantined events are
tried again on every sync, so adding a teammate's key to allowed_signers later lets their
earlier approvals in. New events of one sync enter the index in one transaction.

Patches travel unsigned: a patch is accepted only when it parses and its change id (a hash of
its content) is the name it was published under, so a tampered patch cannot stand in for the
change that was approved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from reviewer_app.core import events as event_log
from reviewer_app.core import store
from reviewer_app.core.sync import gitobjects, ledger
from reviewer_app.core.sync.refs import LEDGER_PREFIX, signer_of_ref, tracking_prefix
from reviewer_app.core.sync.dbtx import insert_events, transaction
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError

# The ``source`` of changes that arrived through sync; patches with another source are ours to publish.
SYNC_SOURCE_PREFIX = "reviewer-app-sync:"


@dataclass
class ImportReport:
    events_imported: int = 0
    patches_imported: int = 0
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)  # (id, ref, reason)
    released: int = 0  # previously quarantined events that verify now
    rewritten_refs: list[str] = field(default_factory=list)
    chain_problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def merge(self, other: "ImportReport") -> None:
        self.events_imported += other.events_imported
        self.patches_imported += other.patches_imported
        self.released += other.released
        for name in ("quarantined", "rewritten_refs", "chain_problems", "warnings"):
            mine: list[Any] = getattr(self, name)
            mine.extend(item for item in getattr(other, name) if item not in mine)


@dataclass
class _Candidate:
    content_id: str
    ref: str
    blob: str


def import_refs(
    db: sqlite_utils.Database,
    repo: Path,
    remote: str,
    tracking: dict[str, str],
    trust: Any,
    workspace: Workspace,
    *,
    rebuild: bool = False,
) -> ImportReport:
    """Import what the fetched ``{tracking ref: commit}`` hold that the index does not know yet.

    Refs whose tip has not moved since the last import are skipped. With ``rebuild`` every ref is
    read again and every event re-verified: the events that came from the refs are replaced in one
    transaction, while events signed here (origin local) and events no ref holds any more are kept.
    """
    report = ImportReport()
    changed, vanished = _moved_refs(db, repo, remote, tracking, report, every_ref=rebuild)
    event_candidates, patch_candidates = _ledger_entries(repo, changed, report)
    known = {row[0] for row in db.execute(
        "SELECT id FROM events WHERE origin = 'local'" if rebuild else "SELECT id FROM events")}
    new_events = [c for c in event_candidates.values() if c.content_id not in known]
    touched = _import_events(db, repo, new_events, trust, report, replace_synced=rebuild)
    touched |= _release_quarantined(db, trust, report)
    if rebuild:
        synced = {row[0] for row in db.execute("SELECT id FROM events WHERE origin = 'sync'")}
        kept = len(synced - set(event_candidates))
        if kept:
            report.warnings.append(f"{kept} events received earlier are no longer on any ref of '{remote}': kept")
        touched |= {row[0] for row in db.execute("SELECT DISTINCT principal FROM events")}
    _import_patches(db, repo, patch_candidates, workspace, report)
    for principal in sorted(touched):
        _classify_chain(principal, event_log.check_chain(_chain_of(db, principal)), report)
    # Recorded last: a crash before this line makes the next sync look at these refs again.
    record_tips(db, remote, changed.items())
    forget_tips(db, remote, vanished)
    return report


def _moved_refs(db: sqlite_utils.Database, repo: Path, remote: str, tracking: dict[str, str], report: ImportReport,
                *, every_ref: bool) -> tuple[dict[str, str], list[str]]:
    """``({ledger ref: tip} to read, [ledger refs gone from the remote])``; rewrites and deletions reported."""
    prefix = tracking_prefix(remote)
    seen = _seen_tips(db, remote)
    changed: dict[str, str] = {}
    for tracking_ref, tip in sorted(tracking.items()):
        ledger_ref = LEDGER_PREFIX + tracking_ref[len(prefix):]
        previous = seen.get(ledger_ref)
        if previous and previous != tip:
            _check_append_only(repo, remote, ledger_ref, previous, tip, report)
        if every_ref or previous != tip:
            changed[ledger_ref] = tip
    present = {LEDGER_PREFIX + ref[len(prefix):] for ref in tracking}
    vanished = sorted(ref for ref in seen if ref not in present)
    for ledger_ref in vanished:
        report.rewritten_refs.append(
            f"{ledger_ref} was deleted on '{remote}' (last seen at {seen[ledger_ref][:12]}); "
            "its events stay in the index, and a signer's own sync publishes them again"
        )
    return changed, vanished


def _ledger_entries(repo: Path, refs: dict[str, str], report: ImportReport
                    ) -> tuple[dict[str, _Candidate], dict[str, _Candidate]]:
    """The event files and patch files of these refs' tips, by content id (one ls-tree per ref)."""
    event_candidates: dict[str, _Candidate] = {}
    patch_candidates: dict[str, _Candidate] = {}
    for ledger_ref, tip in refs.items():
        for path, blob in gitobjects.list_tree(repo, tip).items():
            entry = ledger.classify(path)
            if entry is None:
                report.warnings.append(f"{ledger_ref}: ignored unexpected file {path}")
            elif entry.kind == "event":
                event_candidates.setdefault(entry.content_id, _Candidate(entry.content_id, ledger_ref, blob))
            else:
                patch_candidates.setdefault(entry.content_id, _Candidate(entry.content_id, ledger_ref, blob))
    return event_candidates, patch_candidates


def _check_append_only(
    repo: Path, remote: str, ledger_ref: str, previous: str, tip: str, report: ImportReport
) -> None:
    """Ledger refs only ever grow: a tip that is not a fast-forward, or that drops files, is tampering."""
    if not gitobjects.is_ancestor(repo, previous, tip):
        report.rewritten_refs.append(
            f"{ledger_ref} on '{remote}' was rewritten: {tip[:12]} does not descend from {previous[:12]} seen "
            "before; nothing already imported is lost, and its events are still verified one by one"
        )
        return
    altered = gitobjects.removed_or_modified_paths(repo, previous, tip)
    if altered:
        report.rewritten_refs.append(
            f"{ledger_ref} on '{remote}': {len(altered)} files were deleted or changed between {previous[:12]} and "
            f"{tip[:12]} (first: {altered[0]}); ledger refs are append-only, what was imported before stays as it was"
        )


def _import_events(
    db: sqlite_utils.Database, repo: Path, candidates: list[_Candidate], trust: Any, report: ImportReport,
    *, replace_synced: bool = False,
) -> set[str]:
    blobs = gitobjects.read_blobs(repo, [c.blob for c in candidates])
    accepted: list[event_log.SignedEvent] = []
    signer_by_ref: dict[str, str | None] = {}
    rejected: list[tuple[str, str, str, str | None, str | None]] = []  # id, ref, reason, payload, signature
    for candidate in candidates:
        data = blobs.get(candidate.blob)
        if data is None:
            rejected.append((candidate.content_id, candidate.ref, "event file missing from the object store", None, None))
            continue
        try:
            payload, signature = ledger.decode_event_file(data)
        except ValueError as exc:
            rejected.append((candidate.content_id, candidate.ref, f"unreadable event file: {exc}", None, None))
            continue
        # verify_event checks the payload's shape and caches the parse: the fields below cost no more parsing.
        event = event_log.SignedEvent(id=event_log.event_id(payload), payload=payload, signature=signature)
        if event.id != candidate.content_id:
            rejected.append((candidate.content_id, candidate.ref,
                             f"content does not match its name (payload hashes to {event.id})", payload, signature))
            continue
        verdict = event_log.verify_event(event, trust)
        if not verdict.ok:
            rejected.append((event.id, candidate.ref, f"signature not accepted: {verdict.message}", payload, signature))
            continue
        if candidate.ref not in signer_by_ref:
            signer_by_ref[candidate.ref] = signer_of_ref(candidate.ref)
        signer = signer_by_ref[candidate.ref]
        if signer is not None and signer != event.principal:
            report.warnings.append(f"{candidate.ref}: holds an event signed by {event.principal} ({event.id[:19]})")
        accepted.append(event)
    now = store.utc_now()
    with transaction(db):
        if replace_synced:  # rebuild: what came from the refs is replaced by what verifies now
            db.execute("DELETE FROM quarantine")
            db.conn.executemany("DELETE FROM events WHERE id = ? AND origin = 'sync'",
                                [(c.content_id,) for c in candidates])
        report.events_imported += insert_events(db, accepted, origin="sync", pushed=True)
        db.conn.executemany("DELETE FROM quarantine WHERE id = ?", [(event.id,) for event in accepted])
        db.conn.executemany(
            "INSERT OR REPLACE INTO quarantine (id, ref, reason, payload, signature, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(content_id, ref, reason, payload, signature, now) for content_id, ref, reason, payload, signature in rejected],
        )
    report.quarantined.extend((content_id, ref, reason) for content_id, ref, reason, _, _ in rejected)
    return {event.principal for event in accepted}


def _release_quarantined(db: sqlite_utils.Database, trust: Any, report: ImportReport) -> set[str]:
    """Try set-aside events again: the allowed signers may have gained the key since."""
    rows = db.execute(
        "SELECT id, ref, payload, signature FROM quarantine WHERE payload IS NOT NULL AND signature IS NOT NULL"
    ).fetchall()
    released: list[event_log.SignedEvent] = []
    for content_id, _ref, payload, signature in rows:
        try:
            event = event_log.SignedEvent.from_parts(payload, signature)
        except UserError:
            continue
        if event.id == content_id and event_log.verify_event(event, trust).ok:
            released.append(event)
    if not released:
        return set()
    with transaction(db):
        insert_events(db, released, origin="sync", pushed=True)
        db.conn.executemany("DELETE FROM quarantine WHERE id = ?", [(event.id,) for event in released])
    report.released += len(released)
    report.events_imported += len(released)
    return {event.principal for event in released}


def _import_patches(
    db: sqlite_utils.Database, repo: Path, candidates: dict[str, _Candidate], workspace: Workspace, report: ImportReport
) -> None:
    from reviewer_app.core.analysis import submit_change
    from reviewer_app.core.changeid import change_id
    from reviewer_app.core.diffparse import parse_patch
    known = {row[0] for row in db.execute("SELECT change_id FROM changes").fetchall()}
    wanted = [c for c in candidates.values() if c.content_id not in known]
    blobs = gitobjects.read_blobs(repo, [c.blob for c in wanted])
    for candidate in wanted:
        where = f"{candidate.ref}:{ledger.patch_path(candidate.content_id)}"
        data = blobs.get(candidate.blob)
        if data is None:
            report.warnings.append(f"{where}: patch missing from the object store")
            continue
        try:
            changes = parse_patch(data, SYNC_SOURCE_PREFIX + candidate.ref)
        except UserError as exc:
            report.warnings.append(f"{where}: patch set aside, it does not parse: {exc}")
            continue
        if len(changes) != 1 or change_id(changes[0]) != candidate.content_id:
            report.warnings.append(f"{where}: patch set aside, its content does not match its change id")
            continue
        try:
            _, created = submit_change(db, changes[0], workspace)
        except UserError as exc:
            report.warnings.append(f"{where}: patch set aside, analysis failed: {exc}")
            continue
        report.patches_imported += int(created)


def _seen_tips(db: sqlite_utils.Database, remote: str) -> dict[str, str]:
    return dict(db.execute("SELECT ref, commit_id FROM sync_refs WHERE remote = ?", [remote]).fetchall())


def forget_tips(db: sqlite_utils.Database, remote: str, refs: list[str]) -> None:
    """Stop expecting refs the remote no longer has (their deletion has been reported once)."""
    if refs:
        with transaction(db):
            db.conn.executemany("DELETE FROM sync_refs WHERE remote = ? AND ref = ?", [(remote, ref) for ref in refs])


@dataclass(frozen=True)
class _ChainLink:
    """The four fields check_chain reads, from the index's columns: parsing 10,000 payloads six
    times over to check one new event would cost most of an incremental sync."""

    id: str
    principal: str
    created_at: str
    prev: str | None


def _chain_of(db: sqlite_utils.Database, principal: str) -> list[_ChainLink]:
    # chain_order does not depend on the row order, so no ORDER BY: events_principal serves the lookup.
    rows = db.execute("SELECT id, principal, created_at, prev FROM events WHERE principal = ?", [principal]).fetchall()
    return event_log.chain_order([_ChainLink(*row) for row in rows])


def record_tips(db: sqlite_utils.Database, remote: str, tips: Iterable[tuple[str, str]]) -> None:
    """Remember the last commit seen on each ledger ref of a remote (rewrite detection)."""
    now = store.utc_now()
    with transaction(db):
        db.conn.executemany(
            "INSERT OR REPLACE INTO sync_refs (remote, ref, commit_id, seen_at) VALUES (?, ?, ?, ?)",
            [(remote, ref, commit, now) for ref, commit in tips],
        )


# What check_chain says about a chain that forks because one person signed on two machines between
# syncs: each machine chained to the last event it knew. Every event in a fork is still signed by
# the key; a deleted or reordered event reads differently ("missing", "comes before") and always counts.
_FORK_SYMPTOMS = ("fork: ", "starts a second chain", "not to the event just before it", "goes back in time")


def _classify_chain(principal: str, problems: list[str], report: ImportReport) -> None:
    forked = any(p.startswith("fork: ") or "starts a second chain" in p for p in problems)
    for problem in problems:
        if forked and any(symptom in problem for symptom in _FORK_SYMPTOMS):
            report.warnings.append(f"{principal}: chain fork (signed on two machines between syncs?): {problem}")
        else:
            report.chain_problems.append(f"{principal}: {problem}")
