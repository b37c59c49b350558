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


# --- the per-change index (layout 2) ---------------------------------------------------------------
#
# Every event is also filed on a small ref named by the change it is about, so that the gate can
# fetch what names one change without fetching everyone's ledger. It lives outside
# ``refs/reviewer-app/`` so that clients of layout 1, which fetch ``refs/reviewer-app/*``, do not
# pull millions of index refs; ``refs/reviewer-app/layout`` tells them (and the gate) that it exists.

INDEX_PREFIX = "refs/reviewer-app-index/"
LAYOUT_REF = LEDGER_PREFIX + "layout"
_TRACKED_INDEX = "index/"


def index_ref(change_id: str) -> str:
    """``refs/reviewer-app-index/<hex[:2]>/<hex>``: the events about one change (two-hex fan-out keeps
    loose-ref folders small on servers that do not pack refs)."""
    hex_id = _change_hex(change_id)
    return f"{INDEX_PREFIX}{hex_id[:2]}/{hex_id}"


def tracking_of(remote: str, ref: str) -> str:
    """Where a ledger, index or layout ref of ``remote`` is fetched to."""
    if ref.startswith(INDEX_PREFIX):
        return tracking_prefix(remote) + _TRACKED_INDEX + ref[len(INDEX_PREFIX):]
    if ref.startswith(LEDGER_PREFIX):
        return tracking_prefix(remote) + ref[len(LEDGER_PREFIX):]
    raise ValueError(f"{ref}: not a reviewer-app ref")


def remote_ref_of(remote: str, tracking: str) -> str:
    """The inverse of :func:`tracking_of`."""
    rest = tracking[len(tracking_prefix(remote)):]
    if rest.startswith(_TRACKED_INDEX):
        return INDEX_PREFIX + rest[len(_TRACKED_INDEX):]
    return LEDGER_PREFIX + rest


def events_fetch_refspecs(remote: str) -> list[str]:
    """Every signer's ledger ref and the layout marker; never the index (a sync does not need it)."""
    prefix = tracking_prefix(remote)
    return [f"+{EVENTS_PREFIX}*:{prefix}events/*", f"+{LAYOUT_REF}*:{prefix}layout*"]


def exact_refspec(remote: str, ref: str) -> str:
    """A refspec for one ref that is no error when the remote lacks it.

    ``ref*`` is a pattern, so a missing ref fetches nothing instead of failing the whole fetch; it
    can also match longer names (``alice@example.com.x``), which the caller filters out. Protocol v2
    sends it as a ``ref-prefix``, so the server lists only the refs that start with it.
    """
    return f"+{ref}*:{tracking_of(remote, ref)}*"


def _change_hex(change_id: str) -> str:
    hex_id = change_id[len("sha256:"):] if change_id.startswith("sha256:") else change_id
    if len(hex_id) != 64 or any(c not in "0123456789abcdef" for c in hex_id):
        raise ValueError(f"{change_id}: not a sha256 change id")
    return hex_id
