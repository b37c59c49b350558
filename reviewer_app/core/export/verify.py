"""Checking an export without the database: every signature, every chain link, every manifest entry.

What is detected, and how:
- an edited byte: in a payload or signature the signature fails; in the other fields of a line
  they no longer match the signed payload; anywhere, the closing record's sha256 no longer holds;
- a deleted event: the next event of that signer names a previous event that is not there
  (complete exports), and the closing record's per-signer count and head disagree;
- an inserted event: it needs a valid signature by a trusted key, a duplicate id shows, and the
  counts of the closing record disagree;
- reordered events: an event before the event it names as previous; the sha256 changes;
- a cut-off tail: the closing record is missing, or its heads name events that are not there.
The closing record is not signed: it detects accidents and careless tampering; someone who
rewrites it must still forge no signature, and the heads can be compared with the team's refs.

In-toto statements are not signed as a whole: each review's signature and fields are checked, but the
verdict, levels, risk and services beside them are the exporter's summary and are not re-derived
(the result says so). Bundle patches are checked against their change ids and their binary data
against the blob ids it claims (core/binarypatch.py).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.core import events as event_log
from reviewer_app.core.allowed_signers import TrustStore
from reviewer_app.core.binarypatch import binary_data_problems
from reviewer_app.core.export import bundle as bundle_format
from reviewer_app.core.export.intoto import PREDICATE_TYPE, STATEMENT_TYPE
from reviewer_app.core.export.jsonl import CLOSE_RECORD, EVENT_KEYS
from reviewer_app.errors import UserError

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class VerifyResult:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_export(path: Path, allowed_signers: Path | None = None, revoked: Path | None = None) -> VerifyResult:
    """Verify a jsonl export, an in-toto export or a bundle (detected from the content)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    given_trust = TrustStore.from_files(allowed_signers, revoked) if allowed_signers else None
    if given_trust is not None and given_trust.missing:
        raise UserError(f"{allowed_signers}: no such allowed_signers file")
    if data.startswith(_GZIP_MAGIC):
        return verify_bundle(data, str(path), given_trust)
    if given_trust is None:
        raise UserError(f"{path}: give --allowed-signers FILE to check the signatures (bundles carry their own)")
    if not data.strip():
        raise UserError(f"{path}: empty file, not an export")
    try:
        first = json.loads(data.split(b"\n", 1)[0].decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}:1: not a reviewer-app export (jsonl, in-toto or bundle): {exc}") from exc
    if not isinstance(first, dict):
        raise UserError(f"{path}:1: not a reviewer-app export (a JSON object per line expected)")
    if first.get("_type") == STATEMENT_TYPE:
        return verify_intoto(data, str(path), given_trust)
    return verify_jsonl(data, str(path), given_trust)


# --- jsonl ---------------------------------------------------------------------------------------

def verify_jsonl(data: bytes, source: str, trust: TrustStore) -> VerifyResult:
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

    _check_chains(events, source, closing, problems)
    if closing is None:
        problems.append(f"{source}: no closing record: the export was cut off (events may be missing at the end)")
    else:
        _check_closing(closing, data[: offsets[closing_line - 1]], events, f"{source}:{closing_line}", problems)
    result.checked.append(f"{len(events)} events read, signatures checked against {trust.source}")
    return result


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


def _check_chains(events: list[tuple[int, Any, dict[str, Any]]], source: str, closing: dict[str, Any] | None,
                  problems: list[str]) -> None:
    complete = bool(closing and closing.get("complete"))
    position: dict[str, int] = {}
    for number, event, _ in events:
        if event.id in position:
            problems.append(f"{source}:{number}: event {event.id} appears twice (first on line {position[event.id]})")
        else:
            position[event.id] = number
    for number, event, data in events:
        prev = data["prev"]
        if prev is None:
            continue
        if prev in position:
            if position[prev] > number:
                problems.append(f"{source}:{number}: event {event.id} comes before its previous event {prev} "
                                f"(line {position[prev]}): reordered")
        elif complete:
            problems.append(f"{source}:{number}: the previous event {prev} of {data['principal']} is not in this "
                            "complete export: deleted")


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
            problems.append(f"{where}: all {want.get('count')} events of {principal} are missing")
        elif want != have:
            problems.append(
                f"{where}: {principal}: the closing record says {want.get('count')} events from {want.get('first')} "
                f"to {want.get('last')}, the file has {have['count']} from {have['first']} to {have['last']}: "
                "events were cut off, removed or added"
            )


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
    return result


# --- bundle --------------------------------------------------------------------------------------

def verify_bundle(data: bytes, source: str, given_trust: TrustStore | None) -> VerifyResult:
    try:
        files = bundle_format.read_bundle(data, source)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    result = VerifyResult()
    manifest_data = files.get(bundle_format.MANIFEST)
    if manifest_data is None:
        raise UserError(f"{source}: no {bundle_format.MANIFEST}: not a reviewer-app bundle")
    try:
        manifest = json.loads(manifest_data.decode("utf-8"))
        listed: dict[str, str] = dict(manifest["files"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{source}:{bundle_format.MANIFEST}: unreadable manifest ({exc})") from exc
    for name, expected in sorted(listed.items()):
        content = files.get(name)
        if content is None:
            result.problems.append(f"{source}: {name} is listed in the manifest but missing")
        elif hashlib.sha256(content).hexdigest() != expected:
            result.problems.append(f"{source}: {name} does not match its sha256 in the manifest: changed")
    for name in sorted(set(files) - set(listed) - {bundle_format.MANIFEST}):
        result.problems.append(f"{source}: {name} is not listed in the manifest: added")
    result.checked.append(f"manifest: {len(listed)} files listed")

    trust = given_trust or _trust_from_bundle(files, source)
    if given_trust is None:
        # The bundle vouches for itself here: whoever rewrote it could have swapped in their own keys.
        digest = hashlib.sha256(files.get(bundle_format.ALLOWED_SIGNERS, b"")).hexdigest()
        keys = ", ".join(sorted({s.key.fingerprint for s in trust.signers})) or "no keys"
        result.checked.append(
            f"signatures checked against the bundle's own allowed_signers (sha256 {digest}; {keys}): this shows "
            "the events match the keys inside the bundle, not that those are your team's keys; "
            "give --allowed-signers FILE (your copy of .reviewer/allowed_signers) to check against them")
    events_data = files.get(bundle_format.EVENTS)
    if events_data is None:
        result.problems.append(f"{source}: no {bundle_format.EVENTS}")
    else:
        inner = verify_jsonl(events_data, f"{source}:{bundle_format.EVENTS}", trust)
        result.checked += inner.checked
        result.problems += inner.problems
    _check_patches(files, source, result)
    return result


def _trust_from_bundle(files: dict[str, bytes], source: str) -> TrustStore:
    signers = files.get(bundle_format.ALLOWED_SIGNERS)
    if signers is None:
        raise UserError(f"{source}: the bundle has no allowed_signers; give --allowed-signers FILE")
    with tempfile.TemporaryDirectory(prefix="reviewer-app-verify-") as folder:
        signers_path = Path(folder) / bundle_format.ALLOWED_SIGNERS
        signers_path.write_bytes(signers)
        revoked_path = None
        if bundle_format.REVOKED_KEYS in files:
            revoked_path = Path(folder) / bundle_format.REVOKED_KEYS
            revoked_path.write_bytes(files[bundle_format.REVOKED_KEYS])
        trust = TrustStore.from_files(signers_path, revoked_path)
    trust.source = f"{source}:{bundle_format.ALLOWED_SIGNERS}"
    return trust


def _check_patches(files: dict[str, bytes], source: str, result: VerifyResult) -> None:
    """Each patch must still hash to the change id it is named by (what the approvals are bound to)."""
    from reviewer_app.core.changeid import change_id
    from reviewer_app.core.diffparse import parse_patch

    patches = sorted(name for name in files if name.startswith(bundle_format.PATCH_DIR))
    for name in patches:
        expected = "sha256:" + name[len(bundle_format.PATCH_DIR):].removesuffix(".patch")
        try:
            changes = parse_patch(files[name], f"{source}:{name}")
        except UserError as exc:
            result.problems.append(f"{source}: {name} does not parse: {exc.message}")
            continue
        if len(changes) != 1 or change_id(changes[0]) != expected:
            result.problems.append(f"{source}: {name} does not hash to its change id: changed")
            continue
        # The change id hashes a binary file's blob ids, not the data the patch carries for it.
        for path, problem in binary_data_problems(files[name]):
            result.problems.append(f"{source}: {name}: {path}: {problem}")
    result.checked.append(f"{len(patches)} patches match their change ids")
