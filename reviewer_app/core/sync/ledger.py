"""What a ledger commit holds: the file layout of events and patches in a signer's ref.

    events/<first 2 hex>/<64 hex>.json   {"payload": <the exact signed string>, "signature": <armored SSHSIG>}
    patches/<64 hex>.patch               the raw patch of a submitted change, named by its change id

The two-hex fan-out keeps every tree small, so adding one event rewrites two small trees instead of
one tree listing every event ever made. File names are content ids, so two machines that add the
same event produce the same path and the union of two trees is simply the union of their entries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

ID_PREFIX = "sha256:"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class LedgerEntry:
    kind: str  # "event" | "patch"
    content_id: str  # "sha256:<hex>": the event id or the change id


def event_path(event_id: str) -> str:
    hex_id = _hex_of(event_id)
    return f"events/{hex_id[:2]}/{hex_id}.json"


def patch_path(change_id: str) -> str:
    return f"patches/{_hex_of(change_id)}.patch"


def classify(path: str) -> LedgerEntry | None:
    """Which event or patch a path in a ledger tree holds; None for anything else."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "events" and parts[2].endswith(".json"):
        hex_id = parts[2][: -len(".json")]
        if _HEX64.match(hex_id) and parts[1] == hex_id[:2]:
            return LedgerEntry("event", ID_PREFIX + hex_id)
    if len(parts) == 2 and parts[0] == "patches" and parts[1].endswith(".patch"):
        hex_id = parts[1][: -len(".patch")]
        if _HEX64.match(hex_id):
            return LedgerEntry("patch", ID_PREFIX + hex_id)
    return None


def encode_event_file(payload: str, signature: str) -> bytes:
    return (json.dumps({"payload": payload, "signature": signature}, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def decode_event_file(data: bytes) -> tuple[str, str]:
    """``(payload, signature)`` of an event file; ValueError says what is wrong with it."""
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a JSON event file ({exc})") from exc
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    payload, signature = record.get("payload"), record.get("signature")
    if not isinstance(payload, str) or not isinstance(signature, str):
        raise ValueError("'payload' and 'signature' must both be strings")
    return payload, signature


def _hex_of(content_id: str) -> str:
    hex_id = content_id[len(ID_PREFIX):] if content_id.startswith(ID_PREFIX) else content_id
    if not _HEX64.match(hex_id):
        raise ValueError(f"{content_id}: not a sha256 content id")
    return hex_id
