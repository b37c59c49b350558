"""Names of the ledger refs: one ref per signer, and a remote-tracking namespace per remote.

A signer is named by the principal's e-mail address. ``alice@example.com`` is already a valid ref
component, so ordinary addresses stay readable in ``git for-each-ref``. Anything that
``git check-ref-format`` rejects (and ``/``, which would nest the ref, and ``%``, our escape
character) is written as ``%XX`` per UTF-8 byte, which is reversible and never produces ``..``,
``@{``, a leading or trailing ``.`` or a ``.lock`` suffix.
"""

from __future__ import annotations

import hashlib
import re

LEDGER_PREFIX = "refs/reviewer-app/"
EVENTS_PREFIX = LEDGER_PREFIX + "events/"
TRACKING_ROOT = "refs/reviewer-app-remote/"

# Bytes that may appear as themselves in a ref component (a strict subset of what git allows).
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_+@=,")
_REMOTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def escape_signer(signer: str) -> str:
    """The ref component for a signer: ``alice@example.com`` stays as it is, oddities become ``%XX``."""
    if not signer:
        raise ValueError("empty signer name")
    out = "".join(chr(byte) if byte in _SAFE else f"%{byte:02X}" for byte in signer.encode("utf-8"))
    # Rules of check-ref-format that the byte set alone does not rule out.
    if out.startswith("."):
        out = "%2E" + out[1:]
    while ".." in out:
        out = out.replace("..", ".%2E")
    if out.endswith("."):
        out = out[:-1] + "%2E"
    if out.endswith(".lock"):
        out = out[: -len(".lock")] + "%2Elock"
    if out == "@":
        out = "%40"
    return out


def unescape_signer(component: str) -> str:
    """The inverse of :func:`escape_signer`."""
    raw = bytearray()
    index = 0
    while index < len(component):
        char = component[index]
        if char == "%" and _is_hex(component[index + 1: index + 3]):
            raw.append(int(component[index + 1: index + 3], 16))
            index += 3
        else:
            raw.extend(char.encode("utf-8"))
            index += 1
    return raw.decode("utf-8", "replace")


def _is_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text)


def signer_ref(signer: str) -> str:
    """The shared ledger ref of one signer: ``refs/reviewer-app/events/<signer>``."""
    return EVENTS_PREFIX + escape_signer(signer)


def tracking_name(remote: str) -> str:
    """A ref-safe name for a remote: its own name, or ``url-<hash>`` when a URL or path was given."""
    if _REMOTE_NAME.match(remote) and not remote.endswith(".lock") and ".." not in remote:
        return remote
    return "url-" + hashlib.sha256(remote.encode("utf-8")).hexdigest()[:16]


def tracking_prefix(remote: str) -> str:
    """Where the remote's ledger refs are fetched to: ``refs/reviewer-app-remote/<remote>/``."""
    return f"{TRACKING_ROOT}{tracking_name(remote)}/"


def fetch_refspec(remote: str) -> str:
    return f"+{LEDGER_PREFIX}*:{tracking_prefix(remote)}*"


def tracking_ref(remote: str, signer: str) -> str:
    """The remote-tracking copy of one signer's ref."""
    return tracking_prefix(remote) + "events/" + escape_signer(signer)


def signer_of_ref(ref: str) -> str | None:
    """The signer named by a ledger or tracking ref, or None when the ref is not a per-signer ref."""
    marker = "/events/"
    if marker not in ref:
        return None
    component = ref.rsplit(marker, 1)[1]
    if not component or "/" in component:
        return None
    return unescape_signer(component)
