"""git's "GIT binary patch" blocks: decode them, and check the data against the blob ids it claims.

A binary file has no lines, so a change id binds it by its ``index`` blob ids only; the data the
patch carries is what ``git apply`` writes. Two readers need that data checked and decoded:
- verify-export (export/verify.py): a bundle's patch whose data does not hash to its blob ids was
  changed after the approvals were signed (the change id alone would not show it);
- the gate's hidden-content check (gate_checks.py): a hand-made binary patch of a text file, whose
  blob the repository does not hold, is read from the patch itself to see whether it is text.

The format (git's diff.c and apply.c): after ``GIT binary patch``, a forward block and an optional
reverse block, each ``literal N`` or ``delta N`` followed by zlib data in git's base85, one line per
up to 52 bytes, the line's first character giving its length.
"""

from __future__ import annotations

import hashlib
import zlib

_B85_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
_B85_VALUE = {c: i for i, c in enumerate(_B85_ALPHABET)}


def binary_data_problems(patch: bytes) -> list[tuple[str, str]]:
    """(path, problem) for every binary file whose carried data does not hash to the blob id it claims.

    Checked: a ``literal`` block must decode to the blob its side names; a forward ``delta`` is applied
    to the old content when the reverse block is a literal. Two deltas need the old blob, which only
    the repository has; ``git apply`` checks those results itself.
    """
    problems: list[tuple[str, str]] = []
    for path, old_id, new_id, forward, reverse, error in _binary_patches(patch):
        problem = error or check_data(forward, reverse, old_id, new_id)
        if problem:
            problems.append((path, problem))
    return problems


def binary_contents(patch: bytes) -> dict[str, bytes]:
    """Blob id -> content, for every side of a binary file the patch's data spells out and that hashes
    to the id the ``index`` line names (data that does not is left out)."""
    found: dict[str, bytes] = {}
    for _, old_id, new_id, forward, reverse, error in _binary_patches(patch):
        if error or check_data(forward, reverse, old_id, new_id):
            continue
        old, new = _decode_sides(forward, reverse)  # cannot fail: check_data decoded them already
        for side_id, data in ((old_id, old), (new_id, new)):
            if data is not None and side_id.strip("0"):
                found[side_id.lower()] = data
    return found


_BinaryPatch = tuple[str, str, str, "tuple[str, bytes] | None", "tuple[str, bytes] | None", "str | None"]


def _binary_patches(patch: bytes) -> list[_BinaryPatch]:
    """(path header, old id, new id, forward block, reverse block, why unreadable) per ``GIT binary patch``."""
    found: list[_BinaryPatch] = []
    lines = patch.decode("utf-8", "surrogateescape").split("\n")
    i, path, old_id, new_id, previous = 0, "?", "", "", ""
    while i < len(lines):
        line = lines[i].rstrip("\r")
        if line.startswith("diff --git "):
            path, old_id, new_id = line[len("diff --git "):], "", ""
        elif line.startswith("index ") and ".." in line:
            old_id, _, rest = line[len("index "):].partition("..")
            new_id = rest.split()[0] if rest.split() else ""
        elif line == "GIT binary patch" and previous.startswith("index "):  # git writes it right after "index"
            try:
                forward, i = read_block(lines, i + 1)
                reverse, i = read_block(lines, i)
                found.append((path, old_id, new_id, forward, reverse, None))
            except ValueError as exc:
                found.append((path, old_id, new_id, None, None, f"unreadable binary patch data ({exc})"))
                i += 1
            previous = ""
            continue
        previous = line
        i += 1
    return found


def read_block(lines: list[str], i: int) -> tuple[tuple[str, bytes] | None, int]:
    """One ``literal N`` / ``delta N`` block: (kind, inflated bytes) and the index after it."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not lines[i].startswith(("literal ", "delta ")):
        return None, i
    kind, _, size_text = lines[i].rstrip("\r").partition(" ")
    i += 1
    data = bytearray()
    while i < len(lines) and lines[i].strip():
        data += _b85_line(lines[i].rstrip("\r"))
        i += 1
    try:
        inflated = zlib.decompress(bytes(data))
    except zlib.error as exc:
        raise ValueError(f"{kind} data does not inflate: {exc}") from exc
    if not size_text.isdigit() or len(inflated) != int(size_text):
        raise ValueError(f"{kind} says {size_text} bytes, holds {len(inflated)}")
    return (kind, inflated), i


def _b85_line(line: str) -> bytes:
    """git's base85: a length character (A-Z 1-26, a-z 27-52), then 5 characters per 4 bytes."""
    if not line:
        raise ValueError("empty data line")
    head = line[0]
    length = ord(head) - ord("A") + 1 if "A" <= head <= "Z" else ord(head) - ord("a") + 27 if "a" <= head <= "z" else 0
    body = line[1:].encode("ascii", "replace")
    if length <= 0 or len(body) % 5 or len(body) // 5 * 4 < length:
        raise ValueError(f"malformed base85 line {line[:12]!r}")
    out = bytearray()
    for start in range(0, len(body), 5):
        value = 0
        for c in body[start:start + 5]:
            if c not in _B85_VALUE:
                raise ValueError(f"invalid base85 character {chr(c)!r}")
            value = value * 85 + _B85_VALUE[c]
        if value > 0xFFFFFFFF:
            raise ValueError("base85 group out of range")
        out += value.to_bytes(4, "big")
    return bytes(out[:length])


def check_data(forward: tuple[str, bytes] | None, reverse: tuple[str, bytes] | None,
               old_id: str, new_id: str) -> str | None:
    """Why one file's blocks do not spell out the blobs ``old_id`` and ``new_id``, or None.

    A forward delta with no literal to apply it to (its base only the repository holds) passes:
    nothing here can check it, and ``git apply`` will.
    """
    if forward is None:
        return "a binary patch without data"
    try:
        old, new = _decode_sides(forward, reverse)
    except ValueError as exc:
        return f"the delta does not apply to the old data ({exc})"
    if old is not None and old_id.strip("0") and blob_id(old, old_id) != old_id.lower():
        return f"the old data does not hash to blob {old_id}"
    if new is not None and new_id.strip("0") and blob_id(new, new_id) != new_id.lower():
        return f"the new data does not hash to blob {new_id}: the binary content was replaced"
    return None


def _decode_sides(forward: tuple[str, bytes] | None, reverse: tuple[str, bytes] | None
                  ) -> tuple[bytes | None, bytes | None]:
    """(old content, new content) as far as the blocks alone give them; ValueError for a broken delta."""
    old = reverse[1] if reverse is not None and reverse[0] == "literal" else None
    if forward is None:
        return old, None
    if forward[0] == "literal":
        return old, forward[1]
    return old, (apply_delta(old, forward[1]) if old is not None else None)


def blob_id(data: bytes, like: str) -> str:
    """git's object id of a blob, SHA-1 or SHA-256 by the length of the id it is compared with."""
    algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """git's delta format: source and target sizes, then copy (high bit set) and insert instructions.

    Malformed data (truncated, copying past the base, the wrong size) is a ValueError, never an IndexError:
    the delta comes from an untrusted patch.
    """
    try:
        return _apply_delta(base, delta)
    except IndexError as exc:
        raise ValueError("truncated delta instruction") from exc


def _apply_delta(base: bytes, delta: bytes) -> bytes:
    pos = 0

    def varint() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            if pos >= len(delta):
                raise ValueError("truncated delta header")
            byte = delta[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    if varint() != len(base):
        raise ValueError("delta made against other content")
    size = varint()
    out = bytearray()
    while pos < len(delta):
        op = delta[pos]
        pos += 1
        if op & 0x80:
            offset = length = 0
            for bit in range(4):
                if op & (1 << bit):
                    offset |= delta[pos] << (8 * bit)
                    pos += 1
            for bit in range(3):
                if op & (0x10 << bit):
                    length |= delta[pos] << (8 * bit)
                    pos += 1
            length = length or 0x10000
            if offset + length > len(base):
                raise ValueError("delta copies past the end of its base")
            out += base[offset:offset + length]
        elif op:
            out += delta[pos:pos + op]
            pos += op
        else:
            raise ValueError("delta opcode 0")
    if len(out) != size:
        raise ValueError("delta result has the wrong size")
    return bytes(out)
