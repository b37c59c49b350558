"""Verifying a bundle offline: its manifest, the exporter's seal, the events and every patch.

What a verdict or an auditor's reading of a bundle depends on, and what covers each:

| member / field                         | covered by                                                      |
|----------------------------------------|-----------------------------------------------------------------|
| events (payload, signature)            | each event's own signature, against the trust in use            |
| event order, counts, heads             | events.jsonl's closing record, bound by the manifest's sha256   |
| complete / filter claims               | the closing record (sealed: signed; unsealed: checked for sense) |
| patches: diff content                  | the change id the approvals sign (parsed and re-hashed here)    |
| patches: author, message, AI trailers, | the manifest's sha256, signed by the exporter's seal;           |
|   hunk positions, binary data          |   binary data also against its blob ids (binarypatch.py)        |
| policy.toml, allowed_signers,          | the manifest's sha256 under the seal; config_commit says which  |
|   revoked_keys                         |   commit they came from                                          |
| which keys are trusted                 | --allowed-signers (yours), else the bundle's own: unverified    |

Without a seal (a bundle exported without --key, or a format 1 bundle) the manifest is only a
checksum list that whoever edits a member can rewrite: everything in the third column is reported
as unverified, and verify-export does not exit 0. A member the format does not define is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from reviewer_app.core.signing.allowed_signers import TrustStore
from reviewer_app.core.binarypatch import binary_data_problems
from reviewer_app.core.export import bundle as bundle_format
from reviewer_app.core.export.seal import check_seal, describe_exporter
from reviewer_app.core.export.verify import VerifyResult, verify_jsonl
from reviewer_app.core.export.verify_trust import (Revocations, describe_revocations, own_revocations,
                                                   with_revocations)
from reviewer_app.errors import UserError

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_UNSEALED_PARTS = ("patches (authors, messages, AI trailers, hunk positions), policy.toml, allowed_signers, "
                   "revoked_keys and the closing record's completeness claims are unverified")


def verify_bundle(data: bytes, source: str, given_trust: TrustStore | None) -> VerifyResult:
    try:
        files = bundle_format.read_bundle(data, source)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    manifest_data = files.get(bundle_format.MANIFEST)
    if manifest_data is None:
        raise UserError(f"{source}: no {bundle_format.MANIFEST}: not a reviewer-app bundle")
    manifest, listed = _read_manifest(manifest_data, f"{source}:{bundle_format.MANIFEST}")
    version = manifest["version"]
    result = VerifyResult()
    _check_members(files, listed, version, source, result)

    trust, revocations = _trust(files, source, given_trust, result)
    sealed = _check_manifest_seal(files, manifest, version, source, trust, result)
    events_data = files.get(bundle_format.EVENTS)
    named_changes: set[str] = set()
    if events_data is None:
        result.problems.append(f"{source}: no {bundle_format.EVENTS}")
    else:
        inner = verify_jsonl(events_data, f"{source}:{bundle_format.EVENTS}", trust, sealed_elsewhere=True)
        result.checked += inner.checked
        result.problems += inner.problems
        named_changes = _changes_named(events_data)
    _check_patches(files, source, named_changes, result)
    result.checked.append(describe_revocations(revocations))
    if sealed:
        commit = manifest.get("config_commit")
        result.checked.append(f"allowed_signers, revoked_keys and policy.toml are those of commit {commit}, "
                              "as the exporter signed" if commit else
                              "the exporter signed allowed_signers, revoked_keys and policy.toml (no commit named)")
    return result


def _read_manifest(data: bytes, where: str) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        manifest = json.loads(data.decode("utf-8"))
        listed = manifest["files"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise UserError(f"{where}: unreadable manifest ({exc})") from exc
    if manifest.get("format") != bundle_format.BUNDLE_FORMAT:
        raise UserError(f"{where}: format {manifest.get('format')!r} is not {bundle_format.BUNDLE_FORMAT!r}")
    if manifest.get("version") not in bundle_format.BUNDLE_VERSIONS:
        raise UserError(f"{where}: bundle version {manifest.get('version')!r} is not one this program reads "
                        f"({', '.join(map(str, bundle_format.BUNDLE_VERSIONS))}); a newer reviewer-app may")
    if not isinstance(listed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in listed.items()):
        raise UserError(f"{where}: 'files' must map member names to sha256 hex")
    return manifest, listed


def _check_members(files: dict[str, bytes], listed: dict[str, str], version: int, source: str,
                   result: VerifyResult) -> None:
    """Every member listed with its sha256, every listed member present, nothing the format does not define."""
    own = {bundle_format.MANIFEST} | ({bundle_format.MANIFEST_SIG} if version >= 2 else set())
    for name, expected in sorted(listed.items()):
        content = files.get(name)
        if not bundle_format.is_known_member(name):
            result.problems.append(f"{source}: the manifest lists {name}, which is not a member a bundle has")
        if content is None:
            result.problems.append(f"{source}: {name} is listed in the manifest but missing")
        elif not _SHA256_HEX.match(expected) or hashlib.sha256(content).hexdigest() != expected:
            result.problems.append(f"{source}: {name} does not match its sha256 in the manifest: changed")
    for name in sorted(set(files) - set(listed) - own):
        result.problems.append(f"{source}: {name} is not listed in the manifest: added")
    result.checked.append(f"manifest (format {version}): {len(listed)} files listed")


def _trust(files: dict[str, bytes], source: str, given: TrustStore | None, result: VerifyResult
           ) -> tuple[TrustStore, list[Revocations]]:
    """The keys to check against, with every revocation list in play: the auditor's and the bundle's."""
    carried = files.get(bundle_format.REVOKED_KEYS)
    bundle_revocations = (Revocations.parse(carried, f"{source}:{bundle_format.REVOKED_KEYS}")
                          if carried is not None else None)
    if given is None:
        trust = _trust_from_bundle(files, source)
        lists = [bundle_revocations] if bundle_revocations else []
        digest = hashlib.sha256(files.get(bundle_format.ALLOWED_SIGNERS, b"")).hexdigest()
        keys = ", ".join(sorted({s.key.fingerprint for s in trust.signers})) or "no keys"
        result.unverified.append(
            f"{source}: trust: signatures were checked against the bundle's own allowed_signers (sha256 {digest}; "
            f"{keys}): this shows the events match the keys inside the bundle, not that those are your team's keys; "
            "give --allowed-signers FILE (your copy of .reviewer/allowed_signers) to check against them")
        return with_revocations(trust, lists), lists
    lists = [r for r in (own_revocations(given), bundle_revocations) if r is not None]
    carried_signers = files.get(bundle_format.ALLOWED_SIGNERS)
    if carried_signers is not None:
        result.checked.append(f"signers: {given.source} (the bundle's allowed_signers, sha256 "
                              f"{hashlib.sha256(carried_signers).hexdigest()}, is not used for trust)")
    return with_revocations(given, lists), lists


def _trust_from_bundle(files: dict[str, bytes], source: str) -> TrustStore:
    signers = files.get(bundle_format.ALLOWED_SIGNERS)
    if signers is None:
        raise UserError(f"{source}: the bundle has no allowed_signers; give --allowed-signers FILE")
    with tempfile.TemporaryDirectory(prefix="reviewer-app-verify-") as folder:
        signers_path = Path(folder) / bundle_format.ALLOWED_SIGNERS
        signers_path.write_bytes(signers)
        trust = TrustStore.from_files(signers_path, None)
    trust.source = f"{source}:{bundle_format.ALLOWED_SIGNERS}"
    return trust


def _check_manifest_seal(files: dict[str, bytes], manifest: dict[str, Any], version: int, source: str,
                         trust: TrustStore, result: VerifyResult) -> bool:
    """True when the exporter's signature over manifest.json holds, with a trusted key."""
    signature = files.get(bundle_format.MANIFEST_SIG)
    where = f"{source}:{bundle_format.MANIFEST_SIG}"
    if version == 1:
        result.unverified.append(f"{source}: format 1 bundle (made before exports were signed): {_UNSEALED_PARTS}")
        return False
    if signature is None:
        if "exporter" in manifest:
            result.problems.append(f"{source}: the manifest names an exporter but {bundle_format.MANIFEST_SIG} is "
                                   "missing: the signature was removed")
        else:
            result.unverified.append(f"{source}: unsigned bundle (exported without --key): {_UNSEALED_PARTS}")
        return False
    try:
        armored = signature.decode("ascii")
    except UnicodeDecodeError:
        armored = None
    found = check_seal(files[bundle_format.MANIFEST], armored, manifest, trust, where)
    result.problems += found
    if found:
        return False
    result.checked.append(f"manifest signed by the exporter {describe_exporter(manifest)}: every member's sha256, "
                          "so every byte of the events, patches, policy and signers files, is covered")
    return True


def _changes_named(events_data: bytes) -> set[str]:
    named = set()
    for line in events_data.splitlines():
        try:
            record = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and isinstance(record.get("change_id"), str):
            named.add(record["change_id"])
    return named


def _check_patches(files: dict[str, bytes], source: str, named_changes: set[str], result: VerifyResult) -> None:
    """Each patch must still hash to the change id it is named by (what the approvals are bound to)."""
    from reviewer_app.core.changeid import change_id
    from reviewer_app.core.diffparse import parse_patch

    patches = sorted(name for name in files if bundle_format.PATCH_NAME.match(name))
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
    without = sorted(named_changes - {"sha256:" + n[len(bundle_format.PATCH_DIR):-len('.patch')] for n in patches})
    if without:
        result.checked.append(f"{len(without)} changes named by events have no patch in the bundle "
                              f"(the exporter's index did not hold it): {', '.join(without)}")
