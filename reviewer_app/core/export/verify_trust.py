"""Which keys and revocations verify-export checks against, and saying so.

Revocations only ever add up: trust given on the command line (``--allowed-signers``, ``--revoked``)
replaces the bundle's allowed signers, but the bundle's own ``revoked_keys`` still apply on top of it.
Dropping them silently let an approval by a key the team had revoked pass as intact. A revocation
list can only make signatures fail, so taking it from an untrusted bundle costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.signing.allowed_signers import KRL_MAGIC, TrustStore, parse_revoked_keys
from reviewer_app.core.signing.sshsig import PublicKey
from reviewer_app.errors import UserError


@dataclass
class UnionTrust(TrustStore):
    """A TrustStore whose revocations are the union of several lists (several KRLs included)."""

    more_krls: list[TrustStore] = field(default_factory=list)

    def is_revoked(self, key: PublicKey) -> bool:
        return super().is_revoked(key) or any(other.is_revoked(key) for other in self.more_krls)


@dataclass
class Revocations:
    """One revocation list: its plain key blobs or its binary KRL, and where it came from."""

    source: str
    blobs: set[bytes] = field(default_factory=set)
    krl: bytes | None = None

    @classmethod
    def parse(cls, data: bytes, source: str) -> "Revocations":
        if data.startswith(KRL_MAGIC):
            return cls(source, krl=data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
        return cls(source, blobs=parse_revoked_keys(text, source))

    def describe(self) -> str:
        return f"{self.source} (a binary KRL)" if self.krl is not None else f"{self.source} ({len(self.blobs)} keys)"


def given_trust(allowed_signers: Path, revoked: Path | None) -> TrustStore:
    """The trust an auditor names on the command line; a named file that is missing is an error, never nothing."""
    for path, option in ((allowed_signers, "--allowed-signers"), (revoked, "--revoked")):
        if path is not None and not path.is_file():
            raise UserError(f"{path}: no such file (given with {option})")
    return TrustStore.from_files(allowed_signers, revoked)


def own_revocations(trust: TrustStore) -> Revocations | None:
    """The revocation list a TrustStore was loaded with, if any."""
    if trust.krl is None and not trust.revoked_blobs:
        return None
    return Revocations(trust.revoked_source, set(trust.revoked_blobs), trust.krl)


def with_revocations(trust: TrustStore, lists: list[Revocations]) -> UnionTrust:
    """``trust``'s signers, revoking every key any of ``lists`` revokes."""
    blobs: set[bytes] = set()
    krls = [r for r in lists if r.krl is not None]
    for revocations in lists:
        blobs |= revocations.blobs
    first_krl = krls[0].krl if krls else None
    more = [TrustStore(signers=[], krl=r.krl, source=trust.source, revoked_source=r.source) for r in krls[1:]]
    return UnionTrust(signers=trust.signers, revoked_blobs=blobs, krl=first_krl, source=trust.source,
                      revoked_source=" + ".join(r.source for r in lists) or "no revocation list",
                      missing=trust.missing, more_krls=more)


def describe_revocations(lists: list[Revocations]) -> str:
    if not lists:
        return "revocations applied: none (no revocation list was given or carried)"
    return "revocations applied: " + "; ".join(r.describe() for r in lists)
