"""Reading fetched ledger refs into the local index: verify every event, set aside what fails.

An event is accepted only when its file name matches its content (id = sha256 of the payload)
and its signature verifies against the team's allowed signers; anything else goes to the
``quarantine`` table with the reason, is reported, and never counts. Quarantined events are
tried again on every sync, so adding a teammate's key to allowed_signers later lets their
earlier approvals in. New events of one sync enter the index in transactions of 20,000.

Patches travel unsigned: a patch is accepted only when it parses and its change id (a hash of
its content) is the name it was published under, so a tampered patch cannot stand in for the
change that was approved.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from reviewer_app.core.approvals import events as event_log
from reviewer_app.core import store
from reviewer_app.core.sync import gitobjects, ledger
from reviewer_app.core.sync.refs import EVENTS_PREFIX, remote_ref_of, signer_of_ref
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
    local_rows: list[str] = field(default_factory=list)  # index rows that disagreed with the ledger
    warnings: list[str] = field(default_factory=list)

    def merge(self, other: "ImportReport") -> None:
        self.events_imported += other.events_imported
        self.patches_imported += other.patches_imported
        self.released += other.released
        for name in ("quarantined", "rewritten_refs", "chain_problems", "local_rows", "warnings"):
            mine: list[Any] = getattr(self, name)
            mine.extend(item for item in getattr(other, name) if item not in mine)


# Events read, verified and inserted per transaction. A first sync of a million events held them all
# in memory at once (3.6 GB); batches bound that, and a crash between two batches loses nothing: the
# tips are recorded last, so the next sync reads the same history and imports what is missing.
_IMPORT_BATCH = 20_000


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
    full: bool = False,
    narrow: bool = False,
    check_chains: bool = True,
    also_check: Iterable[str] = (),
) -> ImportReport:
    """Import every event and patch the fetched ``{tracking ref: commit}`` hold or ever held.

    A ledger ref is read as a history, not as a tip: the union of what every commit since the last
    one imported added, so a later commit that drops an event file (a fast-forward removing a
    revoke) cannot take the event away; such a commit is reported as tampering. Refs whose tip has
    not moved are skipped, unless ``full`` (the gate: every ref's whole history is read whatever
    the database remembers, and every row the refs hold is compared with the ref, see
    :func:`_repair_rows`) or ``rebuild`` (every ref re-read and every event re-verified: the events
    that came from the refs are replaced in one transaction, while events signed here (origin
    local) and events no ref holds any more are kept).

    ``narrow`` (the gate's narrow fetch, narrow.py): ``tracking`` holds only some refs of the remote,
    so the others are not taken for deleted, and only signers' ledger tips are remembered (one row per
    signer, never one per change judged). ``check_chains``: report chain problems of the signers
    touched (off while only the index is read: a signer's chain is checked once her ledger is in);
    ``also_check``: signers whose chains to check even if nothing of theirs was new.
    """
    report = ImportReport()
    changed, vanished = _moved_refs(db, repo, remote, tracking, report, every_ref=rebuild or full)
    if narrow:
        vanished = []
    event_candidates, patch_candidates = _ledger_history(repo, remote, changed, report)
    known = _stored_ids(db, [c.content_id for c in event_candidates], local_only=rebuild)
    new_events = [c for c in event_candidates if c.content_id not in known]
    touched: set[str] = set()
    for start in range(0, max(len(new_events), 1), _IMPORT_BATCH):  # at least once: a rebuild clears the quarantine
        touched |= _import_events(db, repo, new_events[start:start + _IMPORT_BATCH], trust, report,
                                  replace_synced=rebuild, known=known, clear_quarantine=rebuild and start == 0)
    if full and not rebuild:
        touched |= _repair_rows(db, repo, [c for c in event_candidates if c.content_id in known], trust, report)
    touched |= _release_quarantined(db, trust, report)
    if rebuild:
        synced = {row[0] for row in db.execute("SELECT id FROM events WHERE origin = 'sync'")}
        kept = len(synced - {c.content_id for c in event_candidates})
        if kept:
            report.warnings.append(f"{kept} events received earlier are no longer on any ref of '{remote}': kept")
        touched |= {row[0] for row in db.execute("SELECT DISTINCT principal FROM events")}
    _import_patches(db, repo, patch_candidates, workspace, report)
    for principal in sorted(touched | set(also_check) if check_chains else set()):
        _classify_chain(principal, event_log.check_chain(_chain_of(db, principal)), report)
    # Recorded last: a crash before this line makes the next sync look at these refs again.
    record_tips(db, remote, [(ref, tip) for ref, (tip, _) in changed.items()
                             if not narrow or ref.startswith(EVENTS_PREFIX)])
    forget_tips(db, remote, vanished)
    return report


def _moved_refs(db: sqlite_utils.Database, repo: Path, remote: str, tracking: dict[str, str], report: ImportReport,
                *, every_ref: bool) -> tuple[dict[str, tuple[str, str | None]], list[str]]:
    """``({ledger ref: (tip, commit already imported or None)} to read, [ledger refs gone from the remote])``.

    The second member of each pair bounds the history to read: the tip imported last time when the
    new tip descends from it, otherwise None (the whole history). A rewrite (not a fast-forward) and a
    deleted ref are reported. With ``every_ref`` nothing the database remembers is relied on.
    """
    seen = _seen_tips(db, remote)
    changed: dict[str, tuple[str, str | None]] = {}
    for tracking_ref, tip in sorted(tracking.items()):
        ledger_ref = remote_ref_of(remote, tracking_ref)
        previous = seen.get(ledger_ref)
        descends = True
        if previous and previous != tip:
            descends = gitobjects.is_ancestor(repo, previous, tip)
            if not descends:
                report.rewritten_refs.append(
                    f"{ledger_ref} on '{remote}' was rewritten: {tip[:12]} does not descend from {previous[:12]} "
                    "seen before; nothing already imported is lost, and its events are still verified one by one"
                )
        if every_ref or previous != tip:
            changed[ledger_ref] = (tip, previous if previous and descends and not every_ref else None)
    present = {remote_ref_of(remote, ref) for ref in tracking}
    vanished = sorted(ref for ref in seen if ref not in present)
    for ledger_ref in vanished:
        report.rewritten_refs.append(
            f"{ledger_ref} was deleted on '{remote}' (last seen at {seen[ledger_ref][:12]}); "
            "its events stay in the index, and a signer's own sync publishes them again"
        )
    return changed, vanished


def _ledger_history(repo: Path, remote: str, refs: dict[str, tuple[str, str | None]], report: ImportReport
                    ) -> tuple[list[_Candidate], dict[str, _Candidate]]:
    """Every event file and patch file any commit of these refs added (one ``git log`` per ref).

    A file a later commit deletes or overwrites still counts: ledgers only grow, so the commit is
    reported, and the removed version stays a candidate like every other (a revoke dropped by a
    fast-forward is imported all the same). Two versions of one event path are both candidates: the
    one whose payload hashes to the name is the event, the other is set aside.
    """
    events_found: dict[tuple[str, str], _Candidate] = {}
    patch_candidates: dict[str, _Candidate] = {}
    for ledger_ref, (tip, imported) in refs.items():
        for commit in gitobjects.history_changes(repo, tip, imported):
            if commit.removed:
                first = sorted(path for path, _ in commit.removed)[0]
                report.rewritten_refs.append(
                    f"{ledger_ref} on '{remote}': {len(commit.removed)} files were deleted or changed by commit "
                    f"{commit.commit[:12]} (first: {first}); ledger refs are append-only, so this is tampering: "
                    "the removed events still count"
                )
                if len(commit.parents) > 1:
                    report.rewritten_refs.append(f"{ledger_ref} on '{remote}': {commit.commit[:12]} is a merge; "
                                                 "ledger commits never merge")
            for path, blob in [*commit.added, *commit.removed]:
                entry = ledger.classify(path)
                if entry is None:
                    warning = f"{ledger_ref}: ignored unexpected file {path}"
                    if warning not in report.warnings:
                        report.warnings.append(warning)
                elif entry.kind == "event":
                    events_found.setdefault((entry.content_id, blob), _Candidate(entry.content_id, ledger_ref, blob))
                else:
                    patch_candidates.setdefault(entry.content_id, _Candidate(entry.content_id, ledger_ref, blob))
    return list(events_found.values()), patch_candidates


def _import_events(
    db: sqlite_utils.Database, repo: Path, candidates: list[_Candidate], trust: Any, report: ImportReport,
    *, replace_synced: bool = False, known: set[str] | None = None, clear_quarantine: bool = False,
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
    # Another version of an event path (an edited copy next to the genuine file) is reported, but it
    # does not go to the quarantine table when the genuine event is in the index: one id, one record.
    settled = {event.id for event in accepted} | (known or set())
    stored_rejects = [r for r in rejected if r[0] not in settled]
    now = store.utc_now()
    with transaction(db):
        if clear_quarantine:  # rebuild, first batch: the set-aside events are judged again below
            db.execute("DELETE FROM quarantine")
        if replace_synced:  # rebuild: what came from the refs is replaced by what verifies now
            db.conn.executemany("DELETE FROM events WHERE id = ? AND origin = 'sync'",
                                [(c.content_id,) for c in candidates])
        report.events_imported += insert_events(db, accepted, origin="sync", pushed=True)
        db.conn.executemany("DELETE FROM quarantine WHERE id = ?", [(event.id,) for event in accepted])
        db.conn.executemany(
            "INSERT OR REPLACE INTO quarantine (id, ref, reason, payload, signature, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(content_id, ref, reason, payload, signature, now)
             for content_id, ref, reason, payload, signature in stored_rejects],
        )
    report.quarantined.extend((content_id, ref, reason) for content_id, ref, reason, _, _ in rejected)
    return {event.principal for event in accepted}


# The index columns that are copies of payload fields (events.append_events writes them from the payload).
_DERIVED_COLUMNS = (("type", "type"), ("change_id", "change_id"), ("principal", "principal"),
                    ("fingerprint", "key"), ("created_at", "created_at"), ("prev", "prev"))


# 1 when every derived column equals the payload's field (IS: NULL prev equals JSON null).
_COLUMNS_MATCH_PAYLOAD = "(json_valid(payload) AND " + " AND ".join(
    f"{column} IS json_extract(payload, '$.{field_name}')" for column, field_name in _DERIVED_COLUMNS) + ")"


def _repair_rows(db: sqlite_utils.Database, repo: Path, candidates: list[_Candidate], trust: Any,
                 report: ImportReport) -> set[str]:
    """Compare every index row a ref holds with the ref; a row that disagrees is reported and replaced.

    For the gate (``full``): the database is a cache anyone with the file can edit (triggers can be
    dropped), so a row whose payload, derived columns or signature differ from the signed file on
    the ref is not trusted. It is replaced by the ref's version when that verifies; otherwise it is
    only reported (the gate judges the payload it holds, and never counts an approval from a row
    that disagrees with it).
    """
    if not candidates:
        return set()
    blobs = gitobjects.read_blobs(repo, [c.blob for c in candidates])
    genuine: dict[str, tuple[_Candidate, str, str]] = {}
    for candidate in candidates:
        try:
            payload, signature = ledger.decode_event_file(blobs.get(candidate.blob, b""))
        except ValueError:
            continue
        if event_log.event_id(payload) == candidate.content_id:
            genuine.setdefault(candidate.content_id, (candidate, payload, signature))
    rows: dict[str, tuple[Any, ...]] = {}
    ids = list(genuine)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows.update((row[0], row) for row in db.execute(
            "SELECT id, type, change_id, principal, fingerprint, created_at, prev, payload, signature, origin, "
            f"{_COLUMNS_MATCH_PAYLOAD} FROM events WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    replace: list[tuple[event_log.SignedEvent, str]] = []
    for content_id, (candidate, payload, signature) in genuine.items():
        row = rows.get(content_id)
        if row is None:
            continue  # deleted meanwhile: the next fetch imports it
        differs = _row_differences(row, payload, signature, trust)
        if not differs:
            continue
        event = event_log.SignedEvent(content_id, payload, signature)
        verdict = event_log.verify_event(event, trust)
        action = "replaced by the ref's signed version" if verdict.ok else \
            f"not replaced (the ref's version does not verify either: {verdict.message})"
        report.local_rows.append(f"local row {content_id} disagrees with {candidate.ref} in {', '.join(differs)}: "
                                 f"{action}")
        if verdict.ok:
            replace.append((event, row[9] if row[9] in event_log.ORIGINS else "sync"))
    touched: set[str] = set()
    with transaction(db):
        for event, origin in replace:
            try:
                db.conn.execute("DELETE FROM events WHERE id = ?", [event.id])
            except sqlite3.DatabaseError as exc:  # the append-only triggers refuse: keep the report, not the row
                report.local_rows.append(f"local row {event.id} could not be replaced: {exc}")
                continue
            insert_events(db, [event], origin=origin, pushed=True)
            touched.add(event.principal)
    return touched


def _row_differences(row: tuple[Any, ...], payload: str, signature: str, trust: Any) -> list[str]:
    """The columns of an index row that disagree with the signed file on the ref."""
    differs = []
    if row[7] != payload:
        differs.append("payload")
    if differs or not row[10]:  # SQLite said the columns match the payload: the common case needs no parse
        try:
            data = json.loads(payload)
        except ValueError:
            return differs or ["payload"]
        if not isinstance(data, dict):
            return differs or ["payload"]
        for position, (column, field_name) in enumerate(_DERIVED_COLUMNS, start=1):
            if row[position] != data.get(field_name):
                differs.append(column)
    if row[8] != signature and not differs:
        # Two signatures over one payload can both be genuine (ECDSA is randomised, a re-signed copy):
        # only a stored signature that no longer verifies disagrees with the ledger.
        stored = event_log.SignedEvent(row[0], payload, row[8] if isinstance(row[8], str) else "")
        if not event_log.verify_event(stored, trust).ok:
            differs.append("signature")
    elif row[8] != signature:
        differs.append("signature")
    return differs


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
    if not candidates:
        return
    known: set[str] = set()
    ids = sorted(candidates)
    for start in range(0, len(ids), 500):  # only the candidates: never every change ever submitted
        chunk = ids[start:start + 500]
        known.update(row[0] for row in db.execute(
            f"SELECT change_id FROM changes WHERE change_id IN ({','.join('?' * len(chunk))})", chunk))
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


def _stored_ids(db: sqlite_utils.Database, ids: list[str], *, local_only: bool) -> set[str]:
    """Which of ``ids`` the index holds (only those signed here, with ``local_only``).

    Asked for the candidates only: loading every id of a million-event index into a set cost an
    incremental sync more than the hundred new events it imported.
    """
    found: set[str] = set()
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):  # SQLite limits the number of parameters
        chunk = wanted[start:start + 500]
        found.update(row[0] for row in db.execute(
            f"SELECT id FROM events WHERE id IN ({','.join('?' * len(chunk))})"
            + (" AND origin = 'local'" if local_only else ""), chunk))
    return found


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
