"""The demo people's SSH keys: Ed25519, derived from fixed seeds, so every build has the same keys.

A demo key is ``Ed25519PrivateKey.from_private_bytes(sha256(b"reviewer-app demo " + handle))``.
Anyone can derive them: they exist to show signing, never to protect anything. The key files are
written outside the repository (the keys folder beside it), private files readable by the owner only.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.core.demo.templates import DemoPerson

SEED_PREFIX = b"reviewer-app demo "
NAMESPACE = "reviewer-app"


def demo_private_key(handle: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(SEED_PREFIX + handle.encode("utf-8")).digest())


def public_key_line(handle: str) -> str:
    """``ssh-ed25519 AAAA...`` (no comment), as allowed_signers and revoked_keys list it."""
    public = demo_private_key(handle).public_key()
    return public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")


def write_key_files(people: list[DemoPerson], folder: Path) -> dict[str, Path]:
    """Write ``<handle>`` (mode 0600) and ``<handle>.pub`` for everyone with a key; private paths by handle."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    written: dict[str, Path] = {}
    for person in people:
        if not person.signs:
            continue
        private = demo_private_key(person.handle).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        path = folder / person.handle
        # Created with 0600 from the start: a key must never be readable by others, even briefly.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private)
        os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
        (folder / f"{person.handle}.pub").write_text(f"{public_key_line(person.handle)} {person.email}\n", encoding="utf-8")
        written[person.handle] = path
    return written


def allowed_signers_text(people: list[DemoPerson]) -> str:
    """Everyone with a key may sign reviewer-app events; the policy decides whose approval counts."""
    lines = ["# Who may sign reviewer-app events (OpenSSH allowed_signers). Levels live in policy.toml."]
    lines += [
        f'{person.email} namespaces="{NAMESPACE}" {public_key_line(person.handle)}'
        for person in people if person.signs
    ]
    return "\n".join(lines) + "\n"


def revoked_keys_text(people: list[DemoPerson]) -> str:
    lines = ["# Keys that must no longer verify (ssh-keygen -Y verify -r), e.g. of people who left."]
    lines += [f"{public_key_line(person.handle)} {person.email}" for person in people if person.signs and person.revoked]
    return "\n".join(lines) + "\n"
