"""Well-formed but fake secrets for the "committed a key" changes, made at build time.

They are generated rather than stored so that no secret-shaped string sits in this repository (secret
scanners, push protection). They are derived from fixed seeds, so the change ids stay the same.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_SEED = b"reviewer-app demo fake secret "


def _digest(label: str) -> bytes:
    return hashlib.sha256(_SEED + label.encode("ascii")).digest()


def fake_aws_access_key_id() -> str:
    """``AKIA`` and 16 characters of A-Z2-7, the shape of a real AWS access key id."""
    return "AKIA" + base64.b32encode(_digest("aws key id")).decode("ascii")[:16]


def fake_aws_secret_access_key() -> str:
    return base64.b64encode(_digest("aws secret") + _digest("aws secret 2")).decode("ascii")[:40]


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def fake_openssh_private_key(comment: str = "reindex@search") -> str:
    """An unencrypted OpenSSH Ed25519 private key file, byte-for-byte the same on every build.

    ``cryptography`` writes a random check number into the file, which would change the change id
    of the patch that commits it; so the (simple) unencrypted format is written here.
    """
    private = Ed25519PrivateKey.from_private_bytes(_digest("openssh key"))
    seed = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public_blob = _ssh_string(b"ssh-ed25519") + _ssh_string(public)
    check = _digest("check")[:4]
    section = (check + check + _ssh_string(b"ssh-ed25519") + _ssh_string(public)
               + _ssh_string(seed + public) + _ssh_string(comment.encode("utf-8")))
    section += bytes(range(1, 1 + (-len(section) % 8)))  # padding 1, 2, 3... to the 8-byte block
    blob = (b"openssh-key-v1\0" + _ssh_string(b"none") + _ssh_string(b"none") + _ssh_string(b"")
            + struct.pack(">I", 1) + _ssh_string(public_blob) + _ssh_string(section))
    text = base64.b64encode(blob).decode("ascii")
    body = "\n".join(text[i:i + 70] for i in range(0, len(text), 70))
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"


def placeholders() -> dict[str, str]:
    """The ``{{name}}`` placeholders changes.toml may use, with their values."""
    return {
        "fake_aws_access_key_id": fake_aws_access_key_id(),
        "fake_aws_secret_access_key": fake_aws_secret_access_key(),
        "fake_openssh_private_key": fake_openssh_private_key(),
    }
