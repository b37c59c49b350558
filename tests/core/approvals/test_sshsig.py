"""SSHSIG interoperability with the real ssh-keygen, both ways, and refusals of bad signatures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_ssh_private_key

from reviewer_app.core.signing import sshsig
from reviewer_app.core.signing.sshsig import SignatureError

from .conftest import MakeKey, ssh_keygen_sign, ssh_keygen_verify

MESSAGE = '{"change_id":"sha256:00","type":"approve","comment":"ünïcode ✓"}'.encode("utf-8")
KEY_KINDS = [("ed25519", None), ("rsa", 2048), ("ecdsa", 256), ("ecdsa", 384), ("ecdsa", 521)]


def _private(path: Path) -> object:
    return load_ssh_private_key(path.read_bytes(), password=None)


def test_ed25519_signature_is_byte_identical_to_ssh_keygen(make_key: MakeKey) -> None:
    key = make_key("alice")
    ours = sshsig.sign(_private(key.path), MESSAGE, "reviewer-app")
    assert ours == ssh_keygen_sign(key.path, MESSAGE)
    assert ours.startswith(sshsig.ARMOR_BEGIN + "\n") and ours.endswith(sshsig.ARMOR_END + "\n")


@pytest.mark.parametrize(("key_type", "bits"), KEY_KINDS)
def test_ssh_keygen_verifies_our_signatures(make_key: MakeKey, tmp_path: Path, key_type: str, bits: int | None) -> None:
    key = make_key(f"k-{key_type}-{bits}", key_type, bits=bits)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {key.line}\n")
    ours = sshsig.sign(_private(key.path), MESSAGE, "reviewer-app")
    proc = ssh_keygen_verify(allowed, "alice@example.com", ours, MESSAGE, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert b'Good "reviewer-app" signature for alice@example.com' in proc.stdout
    # and a byte changed in the message makes stock OpenSSH refuse it too
    assert ssh_keygen_verify(allowed, "alice@example.com", ours, MESSAGE + b" ", tmp_path).returncode != 0


@pytest.mark.parametrize(("key_type", "bits"), KEY_KINDS)
def test_we_verify_ssh_keygen_signatures(make_key: MakeKey, key_type: str, bits: int | None) -> None:
    key = make_key(f"k-{key_type}-{bits}", key_type, bits=bits)
    theirs = ssh_keygen_sign(key.path, MESSAGE)
    sig = sshsig.verify(theirs, MESSAGE, "reviewer-app")
    assert sig.public_key == key.public_key
    assert sig.hash_algorithm == "sha512"
    with pytest.raises(SignatureError) as exc:
        sshsig.verify(theirs, MESSAGE.replace(b"approve", b"reject!"), "reviewer-app")
    assert exc.value.reason == "bad signature"


def test_sha256_variant_interoperates(make_key: MakeKey, tmp_path: Path) -> None:
    key = make_key("alice")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {key.line}\n")
    ours = sshsig.sign(_private(key.path), MESSAGE, "reviewer-app", hash_algorithm="sha256")
    assert sshsig.SshSignature.parse(ours).hash_algorithm == "sha256"
    assert ssh_keygen_verify(allowed, "alice@example.com", ours, MESSAGE, tmp_path).returncode == 0
    assert sshsig.verify(ours, MESSAGE, "reviewer-app").public_key == key.public_key


def test_fingerprint_matches_ssh_keygen(make_key: MakeKey) -> None:
    for key_type, bits in KEY_KINDS[:3]:
        key = make_key(f"fp-{key_type}", key_type, bits=bits)
        listed = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(key.pub_path)],
                                capture_output=True, check=True, text=True).stdout.split()[1]
        assert key.public_key.fingerprint == listed


def test_wrong_namespace_is_refused_even_when_the_math_holds(make_key: MakeKey) -> None:
    key = make_key("alice")
    git_sig = ssh_keygen_sign(key.path, MESSAGE, namespace="git")
    with pytest.raises(SignatureError) as exc:
        sshsig.verify(git_sig, MESSAGE, "reviewer-app")
    assert exc.value.reason == "wrong namespace"
    assert "'git'" in exc.value.detail


def test_swapped_key_in_signature_is_refused(make_key: MakeKey) -> None:
    alice, mallory = make_key("alice"), make_key("mallory")
    sig = sshsig.SshSignature.parse(ssh_keygen_sign(alice.path, MESSAGE))
    forged = sshsig.SshSignature(mallory.public_key, sig.namespace, sig.reserved, sig.hash_algorithm, sig.signature)
    with pytest.raises(SignatureError) as exc:
        sshsig.verify(forged.armored(), MESSAGE, "reviewer-app")
    assert exc.value.reason == "bad signature"


@pytest.mark.parametrize("garbage", [
    "", "hello", f"{sshsig.ARMOR_BEGIN}\n!!!not base64!!!\n{sshsig.ARMOR_END}\n",
    sshsig.armor(b"SSHSIG\x00\x00\x00\x01\x00\x00"),  # truncated
    sshsig.armor(b"NOTSIG\x00\x00\x00\x01"),
])
def test_malformed_signatures_raise_signature_error(garbage: str) -> None:
    with pytest.raises(SignatureError) as exc:
        sshsig.verify(garbage, MESSAGE, "reviewer-app")
    assert exc.value.reason == "bad signature"


def test_rsa_sha1_signature_is_refused(make_key: MakeKey) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = make_key("old", "rsa", bits=2048)
    private = _private(key.path)
    raw = private.sign(sshsig.signed_data(MESSAGE, "reviewer-app"), padding.PKCS1v15(), hashes.SHA1())  # type: ignore[attr-defined]
    blob = sshsig.ssh_string(b"ssh-rsa") + sshsig.ssh_string(raw)
    armored = sshsig.SshSignature(key.public_key, "reviewer-app", b"", "sha512", blob).armored()
    with pytest.raises(SignatureError) as exc:
        sshsig.verify(armored, MESSAGE, "reviewer-app")
    assert "SHA-1" in exc.value.detail


# --- FIDO security keys: no token here, so a software key plays the token's part (same wire format) ---

def _fake_token_signature(kind: str, flags: int) -> tuple[sshsig.PublicKey, str]:
    import hashlib

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    app, counter = b"ssh:", (42).to_bytes(4, "big")
    data = sshsig.signed_data(MESSAGE, "reviewer-app")
    to_sign = hashlib.sha256(app).digest() + bytes([flags]) + counter + hashlib.sha256(data).digest()
    if kind == "ed25519":
        key_type = b"sk-ssh-ed25519@openssh.com"
        private = ed25519.Ed25519PrivateKey.generate()
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        blob = sshsig.ssh_string(key_type) + sshsig.ssh_string(raw) + sshsig.ssh_string(app)
        inner = private.sign(to_sign)
    else:
        key_type = b"sk-ecdsa-sha2-nistp256@openssh.com"
        private_ec = ec.generate_private_key(ec.SECP256R1())
        point = private_ec.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        blob = sshsig.ssh_string(key_type) + sshsig.ssh_string(b"nistp256") + sshsig.ssh_string(point) + sshsig.ssh_string(app)
        r, s = decode_dss_signature(private_ec.sign(to_sign, ec.ECDSA(hashes.SHA256())))
        inner = sshsig.ssh_mpint(r) + sshsig.ssh_mpint(s)
    public = sshsig.PublicKey.from_blob(blob)
    signature = sshsig.ssh_string(key_type) + sshsig.ssh_string(inner) + bytes([flags]) + counter
    return public, sshsig.SshSignature(public, "reviewer-app", b"", "sha512", signature).armored()


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])
def test_security_key_signatures_verify_like_ssh_keygen(kind: str, tmp_path: Path) -> None:
    public, armored = _fake_token_signature(kind, flags=0x01)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {public.openssh}\n")
    assert ssh_keygen_verify(allowed, "alice@example.com", armored, MESSAGE, tmp_path).returncode == 0
    assert sshsig.verify(armored, MESSAGE, "reviewer-app").public_key == public
    with pytest.raises(SignatureError):
        sshsig.verify(armored, MESSAGE + b"!", "reviewer-app")


def test_security_key_signature_without_a_touch_is_refused() -> None:
    _, armored = _fake_token_signature("ed25519", flags=0x00)
    with pytest.raises(SignatureError, match="not touched"):
        sshsig.verify(armored, MESSAGE, "reviewer-app")
