"""OpenSSH signatures (SSHSIG, OpenSSH's PROTOCOL.sshsig): framing, armor, signing and verification.

A signature made here verifies with a stock ``ssh-keygen -Y verify``, and one made by ssh-keygen
verifies here. ``cryptography`` does the arithmetic; this module only does the SSH wire framing:

    blob   = "SSHSIG" || uint32 1 || string pubkey || string namespace || string reserved
             || string hash_alg || string signature
    signed = "SSHSIG" || string namespace || string reserved || string hash_alg || string H(message)

Verification covers Ed25519, RSA (rsa-sha2-256 / rsa-sha2-512; SHA-1 "ssh-rsa" is refused as
OpenSSH does), ECDSA (nistp256/384/521), FIDO security keys (sk-ssh-ed25519, sk-ecdsa-nistp256,
touch required) and OpenSSH certificates of any of these (the CA's signature is checked here; whether
the CA is trusted, for whom and when, is allowed_signers' job).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAGIC = b"SSHSIG"
SIG_VERSION = 1
DEFAULT_HASH = "sha512"  # what ssh-keygen uses, so our Ed25519 output is byte-identical to its own
ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
ARMOR_LINE = 70  # ssh-keygen wraps its base64 at 70 columns

_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
_ECDSA_CURVES: dict[str, tuple[str, ec.EllipticCurve, hashes.HashAlgorithm]] = {
    "ecdsa-sha2-nistp256": ("nistp256", ec.SECP256R1(), hashes.SHA256()),
    "ecdsa-sha2-nistp384": ("nistp384", ec.SECP384R1(), hashes.SHA384()),
    "ecdsa-sha2-nistp521": ("nistp521", ec.SECP521R1(), hashes.SHA512()),
}
_RSA_SIG_HASHES: dict[str, hashes.HashAlgorithm] = {"rsa-sha2-256": hashes.SHA256(), "rsa-sha2-512": hashes.SHA512()}


class SignatureError(Exception):
    """A signature that is malformed or does not verify; ``reason`` is a short stable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --- SSH wire encoding ---------------------------------------------------------------------------

def ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def ssh_mpint(value: int) -> bytes:
    """Two's-complement big-endian with a leading zero byte when the top bit is set (RFC 4251)."""
    if value == 0:
        return ssh_string(b"")
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return ssh_string(raw)


class WireReader:
    """Reads SSH wire fields from a byte string; any overrun is a malformed signature."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise SignatureError("bad signature", "truncated SSH wire data")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def uint32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def string(self) -> bytes:
        return self.take(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode("ascii")
        except UnicodeDecodeError as exc:
            raise SignatureError("bad signature", "non-ASCII name in SSH wire data") from exc

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    def at_end(self) -> bool:
        return self.pos == len(self.data)


# --- public keys ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicKey:
    """An SSH public key as its wire blob (what fingerprints and allowed_signers compare)."""

    key_type: str  # "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ...
    blob: bytes

    @classmethod
    def from_blob(cls, blob: bytes) -> "PublicKey":
        return cls(key_type=WireReader(blob).text(), blob=blob)

    # Cached: a sync import reads the fingerprint of every event's key several times, and each read
    # would hash the blob again (and parse a certificate again). The fields are frozen, so it cannot go stale.
    @functools.cached_property
    def fingerprint(self) -> str:
        """As ``ssh-keygen -l`` shows it; a certificate has the fingerprint of the key it certifies."""
        return fingerprint(self.plain.blob)

    @functools.cached_property
    def plain(self) -> "PublicKey":
        """The key itself: a certificate's certified key, or this key when it is not a certificate."""
        return Certificate.parse(self).key if self.is_certificate else self

    @property
    def openssh(self) -> str:
        """The ``type base64`` form of an authorized_keys / allowed_signers line."""
        return f"{self.key_type} {base64.b64encode(self.blob).decode('ascii')}"

    @property
    def is_certificate(self) -> bool:
        return "-cert-v01@openssh.com" in self.key_type

    @property
    def is_security_key(self) -> bool:
        return self.key_type.startswith("sk-")


def fingerprint(blob: bytes) -> str:
    """OpenSSH's ``SHA256:<base64 without padding>`` fingerprint of a public key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def parse_public_key_text(text: str) -> PublicKey:
    """``type base64 [comment]`` -> PublicKey; ValueError names what is wrong."""
    parts = text.split()
    if len(parts) < 2:
        raise ValueError("expected 'key-type base64-key [comment]'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"key is not valid base64: {exc}") from exc
    try:
        key = PublicKey.from_blob(blob)
    except SignatureError as exc:
        raise ValueError(f"key blob is malformed: {exc.detail}") from exc
    if key.key_type != parts[0]:
        raise ValueError(f"key type {parts[0]!r} does not match the key's own type {key.key_type!r}")
    if key.is_certificate:
        try:
            Certificate.parse(key)
        except SignatureError as exc:
            raise ValueError(f"certificate is malformed: {exc.detail}") from exc
    return key


# --- certificates (OpenSSH PROTOCOL.certkeys) -------------------------------------------------------

# The key-specific fields of each certified key type, in wire order.
_CERT_KEY_FIELDS = {
    "ssh-ed25519": ("string",),
    "ssh-rsa": ("mpint", "mpint"),
    "ecdsa-sha2-nistp256": ("string", "string"),
    "ecdsa-sha2-nistp384": ("string", "string"),
    "ecdsa-sha2-nistp521": ("string", "string"),
    "sk-ssh-ed25519@openssh.com": ("string", "string"),
    "sk-ecdsa-sha2-nistp256@openssh.com": ("string", "string", "string"),
}
USER_CERT = 1
_FOREVER = 0xFFFFFFFFFFFFFFFF


@dataclass(frozen=True)
class Certificate:
    key: PublicKey  # the certified key
    serial: int
    cert_type: int  # 1 user, 2 host
    key_id: str
    principals: tuple[str, ...]
    valid_after: int  # seconds since the epoch, UTC
    valid_before: int  # _FOREVER when it never expires
    ca: PublicKey
    body: bytes  # what the CA signed
    signature: bytes

    @classmethod
    def parse(cls, public: PublicKey) -> "Certificate":
        reader = WireReader(public.blob)
        cert_type_name = reader.text()
        plain_type = _plain_cert_type(cert_type_name)
        reader.string()  # nonce
        start = reader.pos
        for _ in _CERT_KEY_FIELDS[plain_type]:
            reader.string()  # an mpint is length-prefixed like a string
        key_fields = public.blob[start:reader.pos]
        serial = int.from_bytes(reader.take(8), "big")
        cert_type = reader.uint32()
        key_id = reader.string().decode("utf-8", "replace")
        principals_reader = WireReader(reader.string())
        principals = []
        while not principals_reader.at_end():
            principals.append(principals_reader.string().decode("utf-8", "replace"))
        valid_after = int.from_bytes(reader.take(8), "big")
        valid_before = int.from_bytes(reader.take(8), "big")
        reader.string(), reader.string(), reader.string()  # critical options, extensions, reserved
        ca = PublicKey.from_blob(reader.string())
        body = public.blob[:reader.pos]
        signature = reader.string()
        if not reader.at_end():
            raise SignatureError("bad signature", "trailing data after the certificate")
        key = PublicKey(plain_type, ssh_string(plain_type.encode("ascii")) + key_fields)
        return cls(key, serial, cert_type, key_id, tuple(principals), valid_after, valid_before, ca, body, signature)

    def verify_ca_signature(self) -> None:
        if self.ca.is_certificate:
            raise SignatureError("bad signature", "a certificate cannot be signed by another certificate")
        if self.ca.is_security_key:
            raise SignatureError("bad signature", "certificates signed by a security-key CA are not supported")
        try:
            _verify_raw(self.ca, self.signature, self.body)
        except SignatureError as exc:
            raise SignatureError("bad signature", f"the certificate's CA signature does not hold: {exc.detail}") from exc

    def valid_at(self, when: int) -> bool:
        # OpenSSH: not yet valid before valid_after, expired from valid_before on
        return self.valid_after <= when < self.valid_before

    def window(self) -> str:
        from datetime import datetime, timezone

        def show(value: int) -> str:
            return "forever" if value >= _FOREVER else datetime.fromtimestamp(value, timezone.utc).isoformat()

        return f"certificate {self.key_id!r} valid from {show(self.valid_after)} until {show(self.valid_before)}"


def _plain_cert_type(cert_type_name: str) -> str:
    prefix = cert_type_name.removesuffix("-cert-v01@openssh.com")
    if prefix == cert_type_name:
        raise SignatureError("bad signature", f"{cert_type_name} is not a certificate type")
    plain = prefix + "@openssh.com" if prefix.startswith("sk-") else prefix
    if plain not in _CERT_KEY_FIELDS:
        raise SignatureError("bad signature", f"unsupported certificate type {cert_type_name}")
    return plain


# --- armor ---------------------------------------------------------------------------------------

def armor(blob: bytes) -> str:
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i:i + ARMOR_LINE] for i in range(0, len(text), ARMOR_LINE)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def dearmor(armored: str) -> bytes:
    lines = [line.strip() for line in armored.strip().splitlines()]
    if len(lines) < 3 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise SignatureError("bad signature", "not an armored SSH signature (BEGIN/END SSH SIGNATURE lines)")
    try:
        return base64.b64decode("".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("bad signature", f"signature is not valid base64: {exc}") from exc


# --- SSHSIG structure ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SshSignature:
    public_key: PublicKey
    namespace: str
    reserved: bytes
    hash_algorithm: str
    signature: bytes  # string sig-type || string sig-bytes [|| sk flags, counter]

    @classmethod
    def parse(cls, armored: str) -> "SshSignature":
        reader = WireReader(dearmor(armored))
        if reader.take(len(MAGIC)) != MAGIC:
            raise SignatureError("bad signature", "missing SSHSIG preamble")
        version = reader.uint32()
        if version != SIG_VERSION:
            raise SignatureError("bad signature", f"unsupported SSHSIG version {version}")
        public_key = PublicKey.from_blob(reader.string())
        namespace_raw = reader.string()
        reserved = reader.string()
        hash_algorithm = reader.text()
        signature = reader.string()
        if not reader.at_end():
            raise SignatureError("bad signature", "trailing data after the signature")
        try:
            namespace = namespace_raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SignatureError("bad signature", "namespace is not UTF-8") from exc
        return cls(public_key, namespace, reserved, hash_algorithm, signature)

    def to_blob(self) -> bytes:
        return (MAGIC + SIG_VERSION.to_bytes(4, "big") + ssh_string(self.public_key.blob)
                + ssh_string(self.namespace.encode("utf-8")) + ssh_string(self.reserved)
                + ssh_string(self.hash_algorithm.encode("ascii")) + ssh_string(self.signature))

    def armored(self) -> str:
        return armor(self.to_blob())


def signed_data(message: bytes, namespace: str, hash_algorithm: str = DEFAULT_HASH, reserved: bytes = b"") -> bytes:
    """The bytes the key actually signs: the namespace is bound in, the message only by its hash."""
    digest = _HASHES[hash_algorithm](message).digest()
    return (MAGIC + ssh_string(namespace.encode("utf-8")) + ssh_string(reserved)
            + ssh_string(hash_algorithm.encode("ascii")) + ssh_string(digest))


# --- signing (in-process, for keys loaded by keys.py) -------------------------------------------

def public_key_of(private_key: object) -> PublicKey:
    """The SSH public key of a ``cryptography`` private key (Ed25519, RSA or ECDSA)."""
    from cryptography.hazmat.primitives import serialization

    public = private_key.public_key()  # type: ignore[attr-defined]
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
    return parse_public_key_text(line)


def sign(private_key: object, message: bytes, namespace: str, hash_algorithm: str = DEFAULT_HASH) -> str:
    """An armored SSHSIG of ``message`` by ``private_key`` (Ed25519, RSA with rsa-sha2-512, or ECDSA)."""
    if hash_algorithm not in _HASHES:
        raise ValueError(f"unsupported hash algorithm {hash_algorithm!r}")
    public = public_key_of(private_key)
    data = signed_data(message, namespace, hash_algorithm)
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        sig = ssh_string(b"ssh-ed25519") + ssh_string(private_key.sign(data))
    elif isinstance(private_key, rsa.RSAPrivateKey):
        raw = private_key.sign(data, padding.PKCS1v15(), hashes.SHA512())
        sig = ssh_string(b"rsa-sha2-512") + ssh_string(raw)
    elif isinstance(private_key, ec.EllipticCurvePrivateKey):
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        _, _, digest_alg = _ECDSA_CURVES[public.key_type]
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(digest_alg)))
        sig = ssh_string(public.key_type.encode("ascii")) + ssh_string(ssh_mpint(r) + ssh_mpint(s))
    else:
        raise ValueError(f"cannot sign in-process with a {type(private_key).__name__}")
    return SshSignature(public, namespace, b"", hash_algorithm, sig).armored()


# --- verification --------------------------------------------------------------------------------

def verify(armored: str, message: bytes, namespace: str) -> SshSignature:
    """Check an armored SSHSIG over ``message`` in ``namespace``; return it, or raise SignatureError.

    This proves only that the key inside the signature signed the message; whether that key is
    trusted for a principal is the job of allowed_signers.TrustStore.
    """
    sig = SshSignature.parse(armored)
    if sig.namespace != namespace:
        raise SignatureError("wrong namespace", f"signed for namespace {sig.namespace!r}, expected {namespace!r}")
    if sig.hash_algorithm not in _HASHES:
        raise SignatureError("bad signature", f"unsupported hash algorithm {sig.hash_algorithm!r}")
    signing_key = sig.public_key
    if signing_key.is_certificate:
        # The certified key made the signature; the CA's signature over the certificate must hold too.
        # Whether that CA is trusted for the principal, and when, is allowed_signers' question.
        certificate = Certificate.parse(signing_key)
        certificate.verify_ca_signature()
        signing_key = certificate.key
    data = signed_data(message, namespace, sig.hash_algorithm, sig.reserved)
    if signing_key.is_security_key:
        _verify_security_key(signing_key, sig.signature, data)
    else:
        _verify_raw(signing_key, sig.signature, data)
    return sig


SK_USER_PRESENCE = 0x01
_SK_TYPES = {"sk-ssh-ed25519@openssh.com": "ssh-ed25519", "sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sha2-nistp256"}


def _verify_security_key(public: PublicKey, signature: bytes, data: bytes) -> None:
    """FIDO security keys (OpenSSH PROTOCOL.u2f): the token signs
    SHA256(application) || flags || counter || SHA256(data), and reports whether a user touched it."""
    plain_type = _SK_TYPES.get(public.key_type)
    if plain_type is None:
        raise SignatureError("bad signature", f"unsupported key type {public.key_type}")
    key_reader = WireReader(public.blob)
    key_reader.text()
    if plain_type == "ssh-ed25519":
        plain_blob = ssh_string(b"ssh-ed25519") + ssh_string(key_reader.string())
    else:
        curve, point = key_reader.string(), key_reader.string()
        plain_blob = ssh_string(plain_type.encode("ascii")) + ssh_string(curve) + ssh_string(point)
    application = key_reader.string()
    reader = WireReader(signature)
    if reader.text() != public.key_type:
        raise SignatureError("bad signature", f"signature type does not match the {public.key_type} key")
    inner = reader.string()
    flags = reader.take(1)
    counter = reader.take(4)
    if not reader.at_end():
        raise SignatureError("bad signature", "trailing data in the security-key signature")
    if not flags[0] & SK_USER_PRESENCE:
        # OpenSSH's own default for sk keys: a signature made without a touch is refused (fail closed).
        raise SignatureError("bad signature", "the security key was not touched (user-presence flag missing)")
    signed = hashlib.sha256(application).digest() + flags + counter + hashlib.sha256(data).digest()
    _verify_raw(PublicKey(plain_type, plain_blob), ssh_string(plain_type.encode("ascii")) + ssh_string(inner), signed)


def _verify_raw(public: PublicKey, signature: bytes, data: bytes) -> None:
    reader = WireReader(signature)
    sig_type = reader.text()
    sig_bytes = reader.string()
    if not reader.at_end():
        raise SignatureError("bad signature", "trailing data in the signature field")
    key_reader = WireReader(public.blob)
    key_reader.text()
    try:
        if public.key_type == "ssh-ed25519":
            if sig_type != "ssh-ed25519":
                raise SignatureError("bad signature", f"{sig_type} signature for an Ed25519 key")
            ed25519.Ed25519PublicKey.from_public_bytes(key_reader.string()).verify(sig_bytes, data)
        elif public.key_type == "ssh-rsa":
            if sig_type == "ssh-rsa":
                raise SignatureError("bad signature", "RSA signature uses SHA-1 (ssh-rsa); OpenSSH refuses it too")
            if sig_type not in _RSA_SIG_HASHES:
                raise SignatureError("bad signature", f"{sig_type} signature for an RSA key")
            e, n = key_reader.mpint(), key_reader.mpint()
            key = rsa.RSAPublicNumbers(e, n).public_key()
            if key.key_size < 1024:
                raise SignatureError("bad signature", f"RSA key of {key.key_size} bits is too small")
            key.verify(sig_bytes, data, padding.PKCS1v15(), _RSA_SIG_HASHES[sig_type])
        elif public.key_type in _ECDSA_CURVES:
            curve_name, curve, digest_alg = _ECDSA_CURVES[public.key_type]
            if sig_type != public.key_type or key_reader.text() != curve_name:
                raise SignatureError("bad signature", f"{sig_type} signature for a {public.key_type} key")
            key = ec.EllipticCurvePublicKey.from_encoded_point(curve, key_reader.string())
            rs = WireReader(sig_bytes)
            der = encode_dss_signature(rs.mpint(), rs.mpint())
            key.verify(der, data, ec.ECDSA(digest_alg))
        else:
            raise SignatureError("bad signature", f"unsupported key type {public.key_type}")
    except InvalidSignature as exc:
        raise SignatureError("bad signature", "the signature does not match the signed data") from exc
    except ValueError as exc:  # a malformed key or point inside the signature
        raise SignatureError("bad signature", f"malformed key or signature: {exc}") from exc
