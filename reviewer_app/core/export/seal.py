"""The exporter's seal: an SSH signature over what an export claims beyond its signed events.

Events carry their own signatures, but an export also says things no event signs: whether it is
complete, which filter it applied, which patches the reviewers saw (author, message, trailers and
hunk positions are outside the change id), and which policy and allowed signers were in force.
Whoever holds the file can rewrite all of that unless someone signs it. The seal is that signature:
a trusted team member exporting with ``--key`` signs

- in a jsonl export: the closing record (its ``sha256`` covers every event line, and it holds
  ``complete``, ``filter`` and ``heads``);
- in a bundle: ``manifest.json`` (the sha256 of every member, events.jsonl with its closing record
  included), with the signature in ``manifest.sig``.

The signature uses the events' namespace (``reviewer-app``), so the keys the team already lists
can seal; a sealed statement can never pass as an event (it has none of an event's fields:
``validate_payload`` refuses it) and an event never passes as a seal (it has no ``exporter``).
SSHSIG carries no trusted time: ``exported_at`` is what the exporter claims, and validity windows
are checked at that time, as for events; a revoked key never seals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewer_app.core.signing import sshsig
from reviewer_app.core.approvals.events import NAMESPACE, canonical_json, parse_timestamp
from reviewer_app.core.store import utc_now

if TYPE_CHECKING:
    from reviewer_app.core.signing.allowed_signers import TrustStore
    from reviewer_app.core.signing.keys import Signer

SIGNATURE_FIELD = "signature"


@dataclass
class ExportSeal:
    """Signs an export as ``signer`` (a key the team's allowed_signers lists for its principal)."""

    signer: "Signer"
    exported_at: str = ""

    def __post_init__(self) -> None:
        if not self.exported_at:
            self.exported_at = utc_now()

    def claims(self) -> dict[str, Any]:
        """The fields that name the exporter; they are part of what is signed."""
        return {"exporter": {"principal": self.signer.principal, "key": self.signer.fingerprint},
                "exported_at": self.exported_at}

    def sign(self, statement: bytes) -> str:
        return self.signer.sign(statement)


def record_statement(record: dict[str, Any]) -> bytes:
    """The signed bytes of a sealed JSON record: its canonical JSON without the signature field."""
    return canonical_json({k: v for k, v in record.items() if k != SIGNATURE_FIELD}).encode("utf-8")


def seal_record(record: dict[str, Any], seal: ExportSeal) -> dict[str, Any]:
    sealed = {**record, **seal.claims()}
    sealed[SIGNATURE_FIELD] = seal.sign(record_statement(sealed))
    return sealed


def check_seal(statement: bytes, signature: Any, claims: dict[str, Any], trust: "TrustStore", where: str) -> list[str]:
    """Problems with a seal: a signature over ``statement`` by the exporter ``claims`` names, trusted then.

    ``claims`` is the parsed statement (it names ``exporter`` and ``exported_at``). Empty: the seal holds.
    """
    exporter = claims.get("exporter")
    if not isinstance(exporter, dict) or not isinstance(exporter.get("principal"), str) \
            or not isinstance(exporter.get("key"), str):
        return [f"{where}: the seal names no exporter (exporter.principal and exporter.key)"]
    principal, claimed_key = exporter["principal"], exporter["key"]
    try:
        when = parse_timestamp(claims.get("exported_at"))  # type: ignore[arg-type]
    except ValueError as exc:
        return [f"{where}: exported_at: {exc}"]
    if not isinstance(signature, str):
        return [f"{where}: the seal's signature is not an armored SSH signature"]
    try:
        signed = sshsig.verify(signature, statement, NAMESPACE)
    except sshsig.SignatureError as exc:
        return [f"{where}: the exporter's signature does not hold ({exc.reason}: {exc.detail}): "
                "what it covers was changed after signing"]
    key = signed.public_key
    if key.fingerprint != claimed_key:
        return [f"{where}: signed by {key.fingerprint}, but the seal names key {claimed_key}"]
    decision = trust.check(principal, key, NAMESPACE, when)
    if not decision.ok:
        return [f"{where}: the exporter {principal} is not trusted to seal: {decision.reason}: {decision.detail}"]
    return []


def describe_exporter(claims: dict[str, Any]) -> str:
    exporter = claims.get("exporter") or {}
    return f"{exporter.get('principal')} (key {exporter.get('key')}) at {claims.get('exported_at')}"


def parse_json_object(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
