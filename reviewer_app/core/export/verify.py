"""Checking an export without the database: every signature, every chain link, every manifest entry.

A result has three parts: what was checked, the problems (tampering: the export is NOT intact), and
what could not be verified (the export may be honest, but nothing signed says so). The CLI exits 0
only when there are neither problems nor unverified parts.

What is detected, and how:
- an edited byte: in a payload or signature the signature fails; in the other fields of a line
  they no longer match the signed payload; anywhere, the closing record's sha256 no longer holds;
- a deleted event: the next event of that signer names a previous event that is not there
  (complete exports, and exports filtered by time: see _check_chains), and the closing record's
  per-signer count and head disagree;
- an inserted event: it needs a valid signature by a trusted key, a duplicate id shows, and the
  counts of the closing record disagree;
- reordered events: an event before the event it names as previous; the sha256 changes;
- a cut-off tail: the closing record is missing, or its heads name events that are not there;
- a closing record claiming to be incomplete without naming a filter, or naming a filter its events
  do not keep to.
The closing record is signed only when the exporter sealed the export (``export --key``, seal.py).
Unsealed, someone who rewrites the file can rewrite it consistently (drop a signer's last events and
fix the heads, or claim a filter): verify-export then reports the completeness as unverified.

In-toto statements are not signed as a whole: each review's signature and fields are checked, but the
verdict, levels, risk and services beside them are the exporter's summary and are not re-derived
(the result says so). Bundles: bundle_verify.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.core.approvals import events as event_log
from reviewer_app.core.signing.allowed_signers import TrustStore
from reviewer_app.core.export.intoto import PREDICATE_TYPE, STATEMENT_TYPE
from reviewer_app.core.export.jsonl import CLOSE_RECORD, CLOSE_VERSIONS, EVENT_KEYS
from reviewer_app.core.export.seal import SIGNATURE_FIELD, check_seal, describe_exporter, record_statement
from reviewer_app.core.export.verify_trust import describe_revocations, given_trust, own_revocations
from reviewer_app.errors import UserError

_GZIP_MAGIC = b"\x1f\x8b"
VERIFIABLE = "jsonl, in-toto (.intoto.jsonl) and bundle (.tar.gz)"
# Exports that carry no signatures: a clear refusal rather than "not JSON".
_UNVERIFIABLE = ((b"%PDF", "a PDF report"), (b"<!doctype", "an HTML report"), (b"<html", "an HTML report"),
                 (b"created_at,type,", "a CSV export"), (b"\xef\xbb\xbfcreated_at,type,", "a CSV export"))
FILTER_KEYS = ("since", "until", "service", "change")


@dataclass
class VerifyResult:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # tampering: the export is not intact
    unverified: list[str] = field(default_factory=list)  # claims nothing signed backs

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def verified(self) -> bool:
        """Intact, and everything a verdict or an auditor's reading depends on is covered by a signature."""
        return self.intact and not self.unverified


def verify_export(path: Path, allowed_signers: Path | None = None, revoked: Path | None = None) -> VerifyResult:
    """Verify a jsonl export, an in-toto export or a bundle (detected from the content)."""
    from reviewer_app.core.export.bundle_verify import verify_bundle

    if revoked is not None and allowed_signers is None:
        raise UserError("--revoked needs --allowed-signers")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    trust = given_trust(allowed_signers, revoked) if allowed_signers else None
    if data.startswith(_GZIP_MAGIC):
        return verify_bundle(data, str(path), trust)
    start = data.lstrip()[:32].lower()
    for magic, what in _UNVERIFIABLE:
        if start.startswith(magic):
            raise UserError(f"{path}: {what} cannot be verified: it carries no signatures; verify-export reads "
                            f"{VERIFIABLE} exports")
    if trust is None:
        raise UserError(f"{path}: give --allowed-signers FILE to check the signatures (bundles carry their own)")
    if not data.strip():
        raise UserError(f"{path}: empty file, not an export")
    try:
        first = json.loads(data.split(b"\n", 1)[0].decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}:1: not a reviewer-app export ({VERIFIABLE} can be verified): {exc}") from exc
    if not isinstance(first, dict):
        raise UserError(f"{path}:1: not a reviewer-app export (a JSON object per line expected)")
    if first.get("_type") == STATEMENT_TYPE:
        result = verify_intoto(data, str(path), trust)
    else:
        result = verify_jsonl(data, str(path), trust)
    revocations = own_revocations(trust)
    result.checked.append(describe_revocations([revocations] if revocations else []))
    return result


# --- jsonl ---------------------------------------------------------------------------------------

def verify_jsonl(data: bytes, source: str, trust: TrustStore, sealed_elsewhere: bool = False) -> VerifyResult:
    """Verify a jsonl export; ``sealed_elsewhere``: a bundle's signed manifest covers these bytes."""
    result = VerifyResult()
    problems = result.problems
    if not data.endswith(b"\n"):
        problems.append(f"{source}: the last line is incomplete: the file was cut")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    closing: dict[str, Any] | None = None
    closing_line = 0
    events: list[tuple[int, event_log.SignedEvent, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{source}:{number}: not a JSON line ({exc})")
            continue
        if not isinstance(record, dict):
            problems.append(f"{source}:{number}: not a JSON object")
            continue
        if record.get("record") == CLOSE_RECORD:
            if closing is not None:
                problems.append(f"{source}:{number}: a second closing record")
            closing, closing_line = record, number
            continue
        if closing is not None:
            problems.append(f"{source}:{number}: an event after the closing record (line {closing_line})")
        checked = _check_event_line(record, f"{source}:{number}", trust, problems)
        if checked:
            events.append((number, *checked))

    result.checked.append(f"{len(events)} events read, signatures checked against {trust.source}")
    if closing is None:
        _check_chains(events, source, {}, problems)
        problems.append(f"{source}: no closing record: the export was cut off (events may be missing at the end)")
        return result
    where = f"{source}:{closing_line}"
    selection = _check_claims(closing, where, problems)
    _check_chains(events, source, selection, problems)
    _check_filter(events, source, selection, problems)
    _check_closing(closing, data[: offsets[closing_line - 1]], events, where, problems)
    _check_closing_seal(closing, where, trust, sealed_elsewhere, result)
    _report_heads(closing, result)
    return result


_HEADS_SHOWN = 20


def _report_heads(closing: dict[str, Any], result: VerifyResult) -> None:
    """Each signer's last event, to compare with their ref on the team's remote: no export can show that
    a signer's newest events (a revoke, say) were never in it; the ref can."""
    heads = closing.get("heads") if isinstance(closing.get("heads"), dict) else {}
    for principal, head in sorted(heads.items())[:_HEADS_SHOWN]:
        if isinstance(head, dict):
            result.checked.append(f"head of {principal}: {head.get('count')} events, last {head.get('last')}")
    if len(heads) > _HEADS_SHOWN:
        result.checked.append(f"... and the heads of {len(heads) - _HEADS_SHOWN} more signers (in the closing record)")


def _check_event_line(record: dict[str, Any], where: str, trust: TrustStore, problems: list[str]
                      ) -> tuple[event_log.SignedEvent, dict[str, Any]] | None:
    keys = set(record)
    if keys != set(EVENT_KEYS):
        problems.append(f"{where}: fields {sorted(keys)} are not those of an event line {list(EVENT_KEYS)}")
        if not {"payload", "signature"} <= keys:
            return None
    payload, signature = record["payload"], record["signature"]
    if not isinstance(payload, str) or not isinstance(signature, str):
        problems.append(f"{where}: payload and signature must be strings")
        return None
    # verify_event checks the payload's shape as well as the signature; one more parse gives the fields.
    event = event_log.SignedEvent(id=event_log.event_id(payload), payload=payload, signature=signature)
    verification = event_log.verify_event(event, trust)
    if not verification.ok:
        problems.append(f"{where}: event {event.id}: {verification.message}")
    try:
        data = event_log.validate_payload(payload) if not verification.ok else json.loads(payload)
    except UserError:
        return None  # already reported as a malformed payload
    if record.get("id") != event.id:
        problems.append(f"{where}: id {record.get('id')} is not the hash of the payload ({event.id})")
    for name in ("type", "change_id", "principal", "created_at"):
        if record.get(name) != data[name]:
            problems.append(f"{where}: {name} {record.get(name)!r} differs from the signed payload ({data[name]!r})")
    return event, data


def _check_claims(closing: dict[str, Any], where: str, problems: list[str]) -> dict[str, str] | None:
    """The filter the closing record claims, checked for shape and against its ``complete`` flag.

    None when the claims cannot be read (then no chain gap is excused). An export without a filter
    is complete: a record saying "incomplete" without naming a filter was rewritten to hide deleted
    events from the chain check, and is refused.
    """
    version, complete, selection = closing.get("version"), closing.get("complete"), closing.get("filter")
    if version not in CLOSE_VERSIONS:
        problems.append(f"{where}: closing record version {version!r} is not one this program reads "
                        f"({', '.join(map(str, CLOSE_VERSIONS))})")
    if not isinstance(complete, bool):
        problems.append(f"{where}: 'complete' must be true or false, not {complete!r}")
        return None
    if not isinstance(selection, dict) or not all(isinstance(v, str) and v for v in selection.values()):
        problems.append(f"{where}: 'filter' must be an object of non-empty strings, not {selection!r}")
        return None
    unknown = sorted(set(selection) - set(FILTER_KEYS))
    if unknown:
        problems.append(f"{where}: the filter names {', '.join(unknown)}, which no export applies "
                        f"(known: {', '.join(FILTER_KEYS)})")
        return None
    if not complete and not selection:
        problems.append(f"{where}: the closing record says the export is incomplete but names no filter: an export "
                        "without a filter holds every event, so this record was rewritten (events removed?)")
        return None
    if complete and selection:
        problems.append(f"{where}: the closing record says the export is complete but names the filter {selection}")
        return None
    return dict(selection)


def _check_filter(events: list[tuple[int, Any, dict[str, Any]]], source: str, selection: dict[str, str] | None,
                  problems: list[str]) -> None:
    """Every event must be one the claimed filter keeps (the service filter needs analyses: not checkable here)."""
    if not selection:
        return
    since, until, change = selection.get("since"), selection.get("until"), selection.get("change")
    for number, event, data in events:
        created = data["created_at"]
        if (since and created < since) or (until and created >= until) or (change and data["change_id"] != change):
            problems.append(f"{source}:{number}: event {event.id} ({created}, {data['change_id']}) is outside the "
                            f"filter the closing record claims ({selection})")


def _check_chains(events: list[tuple[int, Any, dict[str, Any]]], source: str, selection: dict[str, str] | None,
                  problems: list[str]) -> None:
    """Duplicates, order, and gaps in each signer's chain that the claimed filter does not explain.

    - No filter, or only ``until``: every earlier event of a chain is in the file (a chain's times
      never go back), so every ``prev`` must be there.
    - ``since`` (with or without ``until``): a signer's events in a time window are one stretch of
      the chain, so only the event before that stretch may be absent: the one the signer's first
      event in the file names (fork branches share it); any other absent ``prev`` is a deletion.
    - ``change`` or ``service``: other changes' events are legitimately absent; no gap is checkable.
    ``selection`` None (unreadable claims): treated as no filter, so no gap is excused.
    """
    position: dict[str, int] = {}
    for number, event, _ in events:
        if event.id in position:
            problems.append(f"{source}:{number}: event {event.id} appears twice (first on line {position[event.id]})")
        else:
            position[event.id] = number
    keys = set(selection or {})
    every_prev = keys <= {"until"}
    one_gap = not every_prev and keys <= {"since", "until"}
    window_start: dict[str, str | None] = {}  # principal -> the prev its first event names
    for _, _, data in events:
        window_start.setdefault(data["principal"], data["prev"])
    for number, event, data in events:
        prev = data["prev"]
        if prev is None:
            continue
        if prev in position:
            if position[prev] > number:
                problems.append(f"{source}:{number}: event {event.id} comes before its previous event {prev} "
                                f"(line {position[prev]}): reordered")
        elif every_prev:
            kind = "complete export" if not keys else "export (filtered only by --until, so every earlier event is in)"
            problems.append(f"{source}:{number}: the previous event {prev} of {data['principal']} is not in this "
                            f"{kind}: deleted")
        elif one_gap and prev != window_start[data["principal"]]:
            problems.append(f"{source}:{number}: the previous event {prev} of {data['principal']} is not in this "
                            "export, and it falls inside the claimed time window (only the event before the "
                            "signer's first one may be outside it): deleted")


def _check_closing(closing: dict[str, Any], body: bytes, events: list[tuple[int, Any, dict[str, Any]]],
                   where: str, problems: list[str]) -> None:
    if hashlib.sha256(body).hexdigest() != closing.get("sha256"):
        problems.append(f"{where}: the sha256 over the event lines does not match the closing record: lines were "
                        "changed, added, removed or reordered")
    if closing.get("events") != len(events):
        problems.append(f"{where}: the closing record counts {closing.get('events')} events, the file has {len(events)}")
    actual: dict[str, dict[str, Any]] = {}
    for _, event, data in events:
        head = actual.setdefault(data["principal"], {"first": event.id, "last": event.id, "count": 0})
        head["last"] = event.id
        head["count"] += 1
    claimed = closing.get("heads") if isinstance(closing.get("heads"), dict) else {}
    for principal in sorted(set(claimed) | set(actual)):
        want, have = claimed.get(principal), actual.get(principal)
        if want is None:
            problems.append(f"{where}: {principal} has events but is not in the closing record: inserted")
        elif have is None:
            problems.append(f"{where}: all {want.get('count') if isinstance(want, dict) else want} events of "
                            f"{principal} are missing")
        elif want != have:
            problems.append(
                f"{where}: {principal}: the closing record says {want.get('count')} events from {want.get('first')} "
                f"to {want.get('last')}, the file has {have['count']} from {have['first']} to {have['last']}: "
                "events were cut off, removed or added"
                if isinstance(want, dict) else f"{where}: {principal}: unreadable head {want!r}"
            )


def _check_closing_seal(closing: dict[str, Any], where: str, trust: TrustStore, sealed_elsewhere: bool,
                        result: VerifyResult) -> None:
    """The exporter's signature over the closing record, or a plain statement of what that leaves open."""
    complete = closing.get("complete")
    claim = "complete" if complete is True else f"filtered by {closing.get('filter')}"
    if SIGNATURE_FIELD in closing:
        found = check_seal(record_statement(closing), closing[SIGNATURE_FIELD], closing, trust, where)
        result.problems += found
        if not found:
            result.checked.append(f"closing record signed by the exporter {describe_exporter(closing)}: "
                                  f"the claim '{claim}', the counts and the heads are theirs")
        return
    if "exporter" in closing:
        result.problems.append(f"{where}: the closing record names an exporter but carries no signature: removed")
        return
    if sealed_elsewhere:
        return
    what = "format 1 export" if closing.get("version") == 1 else "unsigned export (made without --key)"
    result.unverified.append(
        f"{where}: {what}: the closing record is not signed, so its claim '{claim}' and its heads are unverified: "
        "a signer's last events (or, under a filter, any event) may have been removed and the record rewritten; "
        "compare the heads with the signers' refs on the team's remote, or ask for an export signed with --key")


# --- in-toto -------------------------------------------------------------------------------------

def verify_intoto(data: bytes, source: str, trust: TrustStore) -> VerifyResult:
    result = VerifyResult()
    count = 0
    for number, line in enumerate(data.splitlines(), start=1):
        where = f"{source}:{number}"
        try:
            statement = json.loads(line.decode("utf-8"))
            predicate = statement["predicate"]
            change_id = predicate["change"]["id"]
            digest = statement["subject"][0]["digest"]["sha256"]
            reviews = predicate["reviews"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
            result.problems.append(f"{where}: not an in-toto statement of this tool ({exc})")
            continue
        count += 1
        if statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
            result.problems.append(f"{where}: unexpected _type or predicateType")
        if f"sha256:{digest}" != change_id:
            result.problems.append(f"{where}: the subject digest {digest} is not the change id {change_id}")
        if not isinstance(reviews, list) or not all(isinstance(review, dict) for review in reviews):
            result.problems.append(f"{where}: predicate.reviews must be a list of review objects")
            continue
        for review in reviews:
            checked = _check_event_line(
                {k: review.get(k) for k in ("payload", "signature")} | {
                    "id": review.get("event_id"), "type": review.get("type"), "principal": review.get("principal"),
                    "created_at": review.get("created_at"), "change_id": change_id},
                where, trust, result.problems)
            if checked and checked[1]["key"] != review.get("key_fingerprint"):
                result.problems.append(f"{where}: review {checked[0].id}: key_fingerprint differs from the payload")
    result.checked.append(f"{count} statements read, review signatures checked against {trust.source}")
    # Re-deriving a verdict needs the policy and the change's analysis at its base, which a statement
    # does not carry; saying so keeps an auditor from reading "intact" as "the verdict holds".
    result.checked.append("not re-derived: each statement's verdict, levels, risk and services are unsigned "
                          "summaries written by the exporter; the signed reviews are the evidence "
                          "(run `reviewer-app gate` on the change to judge it again)")
    result.unverified.append(f"{source}: in-toto statements are not signed as a whole: everything outside the signed "
                             "reviews (verdict, levels, title, author, AI provenance, risk, services, acknowledged "
                             "findings) is the exporter's unsigned word, and a statement left out does not show")
    return result


# Bundles are read by bundle_verify; the name stays importable from here.
def verify_bundle(data: bytes, source: str, given: TrustStore | None) -> VerifyResult:
    from reviewer_app.core.export.bundle_verify import verify_bundle as verify

    return verify(data, source, given)
