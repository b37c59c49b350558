"""The gate's fetch: what one change needs, not what the organisation ever signed.

1. One ``git fetch`` of the index refs of the judged change ids and the layout marker.
2. The index histories are read (union of every commit) for the names of the deciders.
3. One ``git fetch`` of the whole ledger of every signer who decided on the change (named in the
   index, or by a row the local database already holds about it).
4. The index and those ledgers are imported together as histories, like any sync (each event
   verified against the base's allowed signers): a decider's later revoke or reject is in her own
   chain even if the index lost it, a hole in her chain shows as a broken chain, a commit that
   dropped or rewrote an event is tampering.

So the cost is the size of the index of the change plus the ledgers of its deciders; the other
signers' refs are never listed nor read. Without the marker the remote is in layout 1: the whole
fetch (``fetch_events``) is done instead and a note says how to migrate. An approving signer whose
ledger ref is missing cannot be checked against her chain: the gate fails closed (UserError).
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from reviewer_app.core.signing.allowed_signers import TrustStore
from reviewer_app.core.approvals.events import rows_about_change, verify_event
from reviewer_app.core.sync import engine, gitobjects, ledger, transport
from reviewer_app.core.sync.importer import ImportReport, _ledger_history, import_refs
from reviewer_app.core.sync.refs import INDEX_PREFIX, LAYOUT_REF, index_ref, remote_ref_of, signer_ref
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError


def fetch_for_changes(db: sqlite_utils.Database, repo: Path, remote: str, change_ids: list[str], *,
                      trusted: Workspace, trust: TrustStore | None = None) -> engine.SyncReport:
    """Fetch and import what judging ``change_ids`` needs; no push. See the module docstring.

    ``trust``: ``trusted``'s allowed signers when the caller has loaded them already (the gate has:
    parsing 5,000 lines twice cost a third of a second).
    """
    root = engine._repository(repo)
    report = engine.SyncReport(remote=remote)
    try:
        trust = trust if trust is not None else TrustStore.load(trusted)
        found = transport.fetch_exact(root, remote, [LAYOUT_REF, *(index_ref(c) for c in change_ids)])
        if LAYOUT_REF not in found:
            full = engine.fetch_events(db, root, remote, trusted=trusted)
            full.notes.append(f"'{remote}' keeps ledger layout 1, so every ledger was read; run "
                              "`reviewer-app sync --migrate-layout` once to let the gate read only the change's index")
            return full
        index = {ref: commit for ref, commit in found.items() if ref.startswith(INDEX_PREFIX)}
        index_tracking = transport.tracking_refs(remote, index)
        deciders = sorted(_deciders(db, change_ids) | _named_in_index(root, remote, index_tracking))
        wanted = {signer_ref(p): p for p in deciders}
        ledgers = transport.fetch_exact(root, remote, list(wanted))
        missing = sorted(wanted[ref] for ref in wanted if ref not in ledgers)
        # One import of the index and the ledgers together: two copies of one event path (an edited
        # file beside the genuine one) are compared in one pass, and each chain is checked once, whole.
        report.imported.merge(import_refs(db, root, remote, {**index_tracking, **transport.tracking_refs(remote, ledgers)},
                                          trust, trusted, full=True, narrow=True, also_check=deciders))
        for principal in missing:
            report.imported.rewritten_refs.append(f"{signer_ref(principal)} is missing on '{remote}', though "
                                                  f"{principal} signed decisions about the change")
        missing = [p for p in missing if _has_verified_approval(db, change_ids, p, trust)]
        if missing:
            raise UserError(f"'{remote}' has no ledger ref for {', '.join(missing)}, who signed decisions about "
                            f"{', '.join(change_ids)}: without it no later revoke can be ruled out (ledger refs are "
                            "never deleted by reviewer-app; restore it from a teammate's clone with `sync`)")
        report.fetched_refs = len(found) + len(ledgers)
    except UserError as exc:
        engine._log(db, remote, False, exc.message)
        raise
    engine._log(db, remote, True, report.summary())
    return report


def _deciders(db: sqlite_utils.Database, change_ids: list[str]) -> set[str]:
    """Everyone whose stored event names one of the changes (by column or payload), verified or not:
    reading one ledger too many costs a fetch, missing one could miss a withdrawal."""
    principals: set[str] = set()
    for change_id in change_ids:
        for row in rows_about_change(db, change_id):
            event = row.event()
            for name in (row.columns[2] if len(row.columns) > 2 else None, _payload_principal(event)):
                if isinstance(name, str) and name:
                    principals.add(name)
    for (principal,) in db.execute(
        "SELECT DISTINCT json_extract(payload, '$.principal') FROM quarantine WHERE json_valid(payload) AND "
        f"json_extract(payload, '$.change_id') IN ({','.join('?' * len(change_ids))})", change_ids
    ):
        if isinstance(principal, str) and principal:
            principals.add(principal)
    return principals


def _named_in_index(root: Path, remote: str, index_tracking: dict[str, str]) -> set[str]:
    """The principals the index's event files name, read unverified: only to choose whose ledgers to
    fetch (every event is verified when imported, and a name too many costs one more ref)."""
    candidates, _ = _ledger_history(root, remote, {remote_ref_of(remote, t): (tip, None)
                                                   for t, tip in index_tracking.items()}, ImportReport())
    names: set[str] = set()
    for data in gitobjects.read_blobs(root, [c.blob for c in candidates]).values():
        try:
            payload, _ = ledger.decode_event_file(data)
            principal = json.loads(payload).get("principal")
        except (ValueError, AttributeError):
            continue
        if isinstance(principal, str) and principal:
            names.add(principal)
    return names


def _has_verified_approval(db: sqlite_utils.Database, change_ids: list[str], principal: str, trust: TrustStore) -> bool:
    """Whether the database holds an approval by ``principal`` of one of the changes that verifies:
    one that could count, and so must be checked against her chain."""
    for change_id in change_ids:
        for row in rows_about_change(db, change_id):
            event = row.event()
            if event is None or _payload_principal(event) != principal:
                continue
            if event._parsed.get("type") == "approve" and verify_event(event, trust).ok:
                return True
    return False


def _payload_principal(event: object) -> str | None:
    try:
        return event._parsed.get("principal") if event is not None else None  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 — a payload that does not parse names nobody
        return None


__all__ = ["fetch_for_changes"]
