"""Red team: signatures that must not count, made with the real ssh-keygen or framed by hand.

Decisions documented here:
- SSHSIG over sha256 instead of sha512 is accepted, as ``ssh-keygen -Y verify`` accepts it: both are
  strong hashes and the hash name is inside the signed data, so it cannot be swapped afterwards.
- RSA with SHA-1 (``ssh-rsa``) is refused, as OpenSSH refuses it.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_ssh_private_key

from reviewer_app.core.signing import keys, sshsig
from reviewer_app.core.approvals.gate import blocking_findings
from tests.core.approvals.conftest import ssh_keygen_key, ssh_keygen_sign, ssh_keygen_verify

from .world import World, approval_payload, make_world, plain_lines, store_event, tamper

HARMLESS = {"docs/notes.md": "Some notes.\n"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("signatures")
    made = make_world(folder, people=("alice", "bob", "dana", "mallory"))
    made.keys["rsa"] = ssh_keygen_key(folder / "keys", "rsa", key_type="rsa", bits=2048)
    made.configure([*plain_lines(made, "alice", "bob"), f"carol@example.com {made.line('rsa')}"])
    made.branch("harmless", HARMLESS, "Add notes")
    return made


@pytest.fixture
def fresh_db(world: World, tmp_path: Path) -> World:
    world.db_path, world._db = tmp_path / "gate.db", None
    return world


def _only_refusal(world: World) -> tuple[str, str]:
    verdict = world.gate("git:main..harmless").verdicts[0]
    assert not verdict.approved
    (refused,) = verdict.rejected
    return refused.reason, refused.detail


@pytest.mark.parametrize("namespace", ["git", "file", "reviewer-app2", ""])
def test_a_signature_for_another_namespace_is_refused(fresh_db: World, namespace: str) -> None:
    """bob's real key, the real payload, but signed by ssh-keygen for git commits or files."""
    world = fresh_db
    cid = world.analysis("git:main..harmless")["change_id"]
    payload = approval_payload(cid, "bob@example.com", world.keys["bob"].public_key.fingerprint)
    if namespace:
        signature = ssh_keygen_sign(world.keys["bob"].path, payload.encode(), namespace=namespace)
    else:  # ssh-keygen refuses an empty namespace; frame one by hand
        private = load_ssh_private_key(world.keys["bob"].path.read_bytes(), None)
        signature = sshsig.sign(private, payload.encode(), "")
    store_event(world, payload, signature)
    reason, detail = _only_refusal(world)
    assert reason == "wrong namespace" and repr(namespace) in detail


def test_sha256_sshsig_is_accepted_like_openssh_does(fresh_db: World, tmp_path: Path) -> None:
    world = fresh_db
    cid = world.analysis("git:main..harmless")["change_id"]
    payload = approval_payload(cid, "bob@example.com", world.keys["bob"].public_key.fingerprint)
    private = load_ssh_private_key(world.keys["bob"].path.read_bytes(), None)
    signature = sshsig.sign(private, payload.encode(), "reviewer-app", hash_algorithm="sha256")
    allowed = world.repo.path / ".reviewer/allowed_signers"
    assert ssh_keygen_verify(allowed, "bob@example.com", signature, payload.encode(), tmp_path).returncode == 0
    store_event(world, payload, signature)
    assert world.gate("git:main..harmless").approved
    # the hash name is signed: relabelling the same signature as sha512 breaks it
    relabelled = sshsig.SshSignature.parse(signature)
    relabelled = sshsig.SshSignature(relabelled.public_key, relabelled.namespace, relabelled.reserved, "sha512",
                                     relabelled.signature)
    with pytest.raises(sshsig.SignatureError, match="does not match"):
        sshsig.verify(relabelled.armored(), payload.encode(), "reviewer-app")


def test_rsa_with_sha1_is_refused(fresh_db: World, tmp_path: Path) -> None:
    """carol's RSA key is trusted; a signature labelled ``ssh-rsa`` (PKCS#1 v1.5 over SHA-1) is not,
    here or in OpenSSH."""
    world = fresh_db
    cid = world.analysis("git:main..harmless")["change_id"]
    rsa_key = world.keys["rsa"]
    payload = approval_payload(cid, "carol@example.com", rsa_key.public_key.fingerprint)
    private = load_ssh_private_key(rsa_key.path.read_bytes(), None)
    signed = sshsig.signed_data(payload.encode(), "reviewer-app")
    raw = private.sign(signed, padding.PKCS1v15(), hashes.SHA1())  # type: ignore[union-attr, call-arg]
    blob = sshsig.ssh_string(b"ssh-rsa") + sshsig.ssh_string(raw)
    signature = sshsig.SshSignature(rsa_key.public_key, "reviewer-app", b"", "sha512", blob).armored()
    allowed = world.repo.path / ".reviewer/allowed_signers"
    assert ssh_keygen_verify(allowed, "carol@example.com", signature, payload.encode(), tmp_path).returncode != 0
    store_event(world, payload, signature)
    reason, detail = _only_refusal(world)
    assert reason == "bad signature" and "SHA-1" in detail
    # the same key with rsa-sha2-512 (what ssh-keygen makes) is fine
    good = ssh_keygen_sign(rsa_key.path, payload.encode())
    assert sshsig.verify(good, payload.encode(), "reviewer-app").public_key.blob == rsa_key.public_key.blob


@pytest.mark.parametrize("key_type", ["ssh-dss", "ssh-ed448", "x"])
def test_an_unknown_key_type_is_a_bad_signature_not_a_crash(fresh_db: World, key_type: str) -> None:
    world = fresh_db
    cid = world.analysis("git:main..harmless")["change_id"]
    blob = sshsig.ssh_string(key_type.encode()) + sshsig.ssh_string(b"\x01" * 32)
    fake_key = sshsig.PublicKey(key_type, blob)
    payload = approval_payload(cid, "bob@example.com", fake_key.fingerprint)
    signature = sshsig.SshSignature(fake_key, "reviewer-app", b"", "sha512",
                                    sshsig.ssh_string(key_type.encode()) + sshsig.ssh_string(b"\x02" * 64)).armored()
    store_event(world, payload, signature)
    reason, _ = _only_refusal(world)
    assert reason == "bad signature"


@pytest.mark.parametrize("damage", ["truncated", "trailing bytes", "not base64", "no armor", "version 2"])
def test_damaged_signatures_are_refused_not_crashing(fresh_db: World, damage: str) -> None:
    world = fresh_db
    cid = world.analysis("git:main..harmless")["change_id"]
    payload = approval_payload(cid, "bob@example.com", world.keys["bob"].public_key.fingerprint)
    good = ssh_keygen_sign(world.keys["bob"].path, payload.encode())
    blob = sshsig.dearmor(good)
    bad = {
        "truncated": lambda: sshsig.armor(blob[:-5]),
        "trailing bytes": lambda: sshsig.armor(blob + b"\0"),
        "not base64": lambda: good.replace(good.splitlines()[1][:4], "!!!!", 1),
        "no armor": lambda: base64.b64encode(blob).decode(),
        "version 2": lambda: sshsig.armor(blob[:6] + (2).to_bytes(4, "big") + blob[10:]),
    }[damage]()
    store_event(world, payload, bad)
    reason, _ = _only_refusal(world)
    assert reason == "bad signature"


@pytest.fixture(scope="module")
def certificates(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """alice's key certified by a trusted CA, by a rogue CA, as a host, for bob, and not yet valid."""
    folder = tmp_path_factory.mktemp("certs")
    trusted = ssh_keygen_key(folder, "trusted_ca")
    rogue = ssh_keygen_key(folder, "rogue_ca")
    made = {}
    for name, ca, extra in [("good", trusted, ["-n", "alice@example.com"]),
                            ("rogue", rogue, ["-n", "alice@example.com"]),
                            ("host", trusted, ["-h", "-n", "alice@example.com"]),
                            ("for_bob", trusted, ["-n", "bob@example.com"]),
                            ("future", trusted, ["-n", "alice@example.com", "-V", "20270101:20280101"]),
                            ("no_principals", trusted, [])]:
        user = ssh_keygen_key(folder, f"alice_{name}")
        subprocess.run(["ssh-keygen", "-q", "-s", str(ca.path), "-I", f"alice-{name}", *extra, str(user.pub_path)],
                       check=True, capture_output=True)
        made[name] = folder / f"alice_{name}-cert.pub"
    made["trusted_ca_line"] = trusted.pub_path
    return made


def _cert_world(world: World, certificates: dict[str, Path]) -> None:
    ca_line = keys.load_public_key(certificates["trusted_ca_line"]).openssh
    world.configure([*plain_lines(world, "bob"), f'alice@example.com cert-authority {ca_line}'])


@pytest.mark.parametrize("cert,reason", [
    ("rogue", "unknown principal"),  # signed by a CA nobody trusts
    ("host", "unknown principal"),  # a host certificate is not a user certificate
    ("for_bob", "unknown principal"),  # the certificate does not list alice
    ("future", "key not valid at signing time"),
    # A certificate without principals is valid for nobody (OpenSSH: "Certificate lacks principal list").
    ("no_principals", "unknown principal"),
])
def test_certificates_that_must_not_count(fresh_db: World, certificates: dict[str, Path], cert: str, reason: str) -> None:
    world = fresh_db
    _cert_world(world, certificates)
    analysis = world.analysis("git:main..harmless")
    signer = keys.file_signer(certificates[cert], "alice@example.com")
    from reviewer_app.core.approvals import events

    events.create_event(world.db, signer, "approve", analysis["change_id"],
                        {"rule_pack": "x", "risk_level": "low", "acks": blocking_findings(analysis), "comment": ""},
                        clock=lambda: "2026-11-29T10:00:00Z")
    assert _only_refusal(world)[0] == reason


def test_a_good_certificate_counts_and_a_forged_ca_signature_does_not(fresh_db: World, certificates: dict[str, Path]) -> None:
    world = fresh_db
    _cert_world(world, certificates)
    analysis = world.analysis("git:main..harmless")
    signer = keys.file_signer(certificates["good"], "alice@example.com")
    from reviewer_app.core.approvals import events

    good = events.create_event(world.db, signer, "approve", analysis["change_id"],
                               {"rule_pack": "x", "risk_level": "low", "acks": [], "comment": ""},
                               clock=lambda: "2026-11-29T10:00:00Z")
    assert world.gate("git:main..harmless").approved
    # Flip one byte of the CA's signature inside the certificate: the certified key still signed the
    # payload, but the certificate no longer holds.
    parsed = sshsig.SshSignature.parse(good.signature)
    cert_blob = bytearray(parsed.public_key.blob)
    cert_blob[-3] ^= 0x01
    forged_key = sshsig.PublicKey(parsed.public_key.key_type, bytes(cert_blob))
    forged = sshsig.SshSignature(forged_key, parsed.namespace, parsed.reserved, parsed.hash_algorithm, parsed.signature)
    tamper(world.db, "DELETE FROM events")
    store_event(world, good.payload, forged.armored())
    reason, detail = _only_refusal(world)
    assert reason == "bad signature" and "CA signature" in detail


def test_a_plain_key_matching_a_cert_authority_line_does_not_count(fresh_db: World, certificates: dict[str, Path]) -> None:
    """Signing with the CA's own key as if it were alice's plain key."""
    world = fresh_db
    _cert_world(world, certificates)
    cid = world.analysis("git:main..harmless")["change_id"]
    ca_private = certificates["trusted_ca_line"].with_suffix("")
    ca_public = keys.load_public_key(certificates["trusted_ca_line"])
    payload = approval_payload(cid, "alice@example.com", ca_public.fingerprint)
    store_event(world, payload, ssh_keygen_sign(ca_private, payload.encode()))
    reason, detail = _only_refusal(world)
    assert reason == "unknown principal" and "cert-authority" in detail


def test_valid_after_in_the_future_is_not_valid_now(fresh_db: World) -> None:
    world = fresh_db
    world.configure([f'bob@example.com valid-after="20261201Z" {world.line("bob")}'])
    analysis = world.analysis("git:main..harmless")
    world.approve_all_findings("bob", analysis)
    assert _only_refusal(world)[0] == "key not valid at signing time"


def test_a_certificate_that_also_names_the_author_is_the_authors(fresh_db: World, tmp_path: Path) -> None:
    """One certificate for dana's two addresses: her approval as dana.oncall@ is still the author's."""
    world = fresh_db
    ca = ssh_keygen_key(tmp_path, "team_ca")
    user = ssh_keygen_key(tmp_path, "dana_laptop")
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca.path), "-I", "dana", "-n",
                    "dana@example.com,dana.oncall@example.com", str(user.pub_path)], check=True, capture_output=True)
    policy = '[people."dana.oncall@example.com"]\nlevel = "senior"\n[defaults]\napprovals = 1\nmin_level = "senior"\n'
    world.configure([f"dana.oncall@example.com cert-authority {ca.line}"], policy=policy)
    analysis = world.analysis("git:main..harmless")
    assert analysis["author"]["email"] == "dana@example.com"
    from reviewer_app.core.approvals import events

    signer = keys.file_signer(tmp_path / "dana_laptop-cert.pub", "dana.oncall@example.com")
    approval = events.create_event(world.db, signer, "approve", analysis["change_id"],
                                   {"rule_pack": "x", "risk_level": "low", "acks": [], "comment": ""},
                                   clock=lambda: "2026-11-29T10:00:00Z")
    verdict = world.gate("git:main..harmless").verdicts[0]
    assert not verdict.approved
    assert [(r.event, r.reason) for r in verdict.rejected] == [(approval.id, "author or co-author")]
    assert "certificate that also names dana@example.com" in verdict.rejected[0].detail
