"""allowed_signers and revocation lists: our decisions agree with ssh-keygen -Y verify, errors name the line."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reviewer_app.core.signing import allowed_signers as signers_mod
from reviewer_app.core.signing import sshsig
from reviewer_app.core.signing.allowed_signers import TrustStore, match_pattern_list, parse_openssh_date
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError

from .conftest import MakeKey, ssh_keygen_sign, ssh_keygen_verify

MESSAGE = b"payload"


@pytest.mark.parametrize(("text", "patterns", "expected"), [
    ("alice@example.com", "alice@example.com", True),
    ("alice@example.com", "*@example.com", True),
    ("alice@example.org", "*@example.com", False),
    ("eve@example.com", "*@example.com,!eve@example.com", False),
    ("bob@example.com", "*@example.com,!eve@example.com", True),
    ("ab@x", "a?@x", True),
    ("abc@x", "a?@x", False),
    ("a.b@x", "a*b@x", True),
    ("Alice@example.com", "alice@example.com", False),  # OpenSSH compares principals case-sensitively
])
def test_openssh_pattern_lists(text: str, patterns: str, expected: bool) -> None:
    assert match_pattern_list(text, patterns) is expected


def test_openssh_dates() -> None:
    assert parse_openssh_date("20261101Z") == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert parse_openssh_date("202611011230") == datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)
    assert parse_openssh_date("20261101123059Z") == datetime(2026, 11, 1, 12, 30, 59, tzinfo=timezone.utc)
    for bad in ("2026-11-01", "2026110", "20261301"):
        with pytest.raises(ValueError):
            parse_openssh_date(bad)


def test_decisions_agree_with_ssh_keygen(make_key: MakeKey, tmp_path: Path) -> None:
    alice, team, old, ci, ca = (make_key(n) for n in ("alice", "team", "old", "ci", "ca"))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(
        "# reviewers\n"
        f"alice@example.com {alice.line}\n"
        f'*@example.com,!eve@example.com namespaces="reviewer-app,git" {team.line} shared team key\n'
        f'"bob@example.com" valid-after="20260101Z",valid-before="20261101Z" {old.line}\n'
        f'ci@example.com namespaces="git" {ci.line}\n'
        f'alice@example.com cert-authority {ca.line}\n'
    )
    trust = TrustStore.from_files(allowed)
    cases = [  # (key, principal, time), each judged by us and by ssh-keygen
        (alice, "alice@example.com", "20261129Z"),
        (alice, "bob@example.com", "20261129Z"),
        (team, "carol@example.com", "20261129Z"),
        (team, "eve@example.com", "20261129Z"),
        (team, "carol@example.org", "20261129Z"),
        (old, "bob@example.com", "20261031Z"),
        (old, "bob@example.com", "20261102Z"),
        (old, "bob@example.com", "20251231Z"),
        (ci, "ci@example.com", "20261129Z"),
        (ca, "alice@example.com", "20261129Z"),
    ]
    for key, principal, when in cases:
        signature = ssh_keygen_sign(key.path, MESSAGE)
        theirs = ssh_keygen_verify(allowed, principal, signature, MESSAGE, tmp_path,
                                   extra=["-O", f"verify-time={when}"]).returncode == 0
        ours = trust.check(principal, key.public_key, "reviewer-app", parse_openssh_date(when))
        assert ours.ok is theirs, f"{key.path.name} as {principal} at {when}: ours {ours}, ssh-keygen {theirs}"
    reasons = [
        (alice, "bob@example.com", "unknown principal"),
        (team, "carol@example.org", "unknown principal"),
        (ci, "ci@example.com", "wrong namespace"),
        (ca, "alice@example.com", "unknown principal"),
    ]
    for key, principal, reason in reasons:
        assert trust.check(principal, key.public_key, "reviewer-app", datetime.now(timezone.utc)).reason == reason
    late = trust.check("bob@example.com", old.public_key, "reviewer-app", parse_openssh_date("20261102Z"))
    assert late.reason == "key not valid at signing time" and "2026-11-01" in (late.detail or "")
    assert trust.keys_for("carol@example.com", "reviewer-app") == [team.public_key]
    assert trust.keys_for("ci@example.com", "reviewer-app") == [team.public_key]  # its own key is git-only


def test_revocation_list_of_public_keys_and_binary_krl(make_key: MakeKey, tmp_path: Path) -> None:
    alice, bob = make_key("alice"), make_key("bob")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {alice.line}\nbob@example.com {bob.line}\n")
    now = datetime.now(timezone.utc)
    plain = tmp_path / "revoked_keys"
    plain.write_text(f"{bob.line}\n")
    trust = TrustStore.from_files(allowed, plain)
    assert trust.check("bob@example.com", bob.public_key, "reviewer-app", now).reason == "revoked"
    assert trust.check("alice@example.com", alice.public_key, "reviewer-app", now).ok

    krl = tmp_path / "revoked.krl"
    subprocess.run(["ssh-keygen", "-q", "-k", "-f", str(krl), str(alice.pub_path)], check=True, capture_output=True)
    trust = TrustStore.from_files(allowed, krl)
    assert trust.krl is not None
    assert trust.check("alice@example.com", alice.public_key, "reviewer-app", now).reason == "revoked"
    assert trust.check("bob@example.com", bob.public_key, "reviewer-app", now).ok
    # stock OpenSSH agrees on the same KRL
    signature = ssh_keygen_sign(alice.path, MESSAGE)
    assert ssh_keygen_verify(allowed, "alice@example.com", signature, MESSAGE, tmp_path, extra=["-r", str(krl)]).returncode != 0

    broken = tmp_path / "broken.krl"
    broken.write_bytes(signers_mod.KRL_MAGIC + b"\xff garbage")
    trust = TrustStore.from_files(allowed, broken)
    broken_decision = trust.check("bob@example.com", bob.public_key, "reviewer-app", now)
    assert broken_decision.reason == "revoked"  # fail closed
    assert "could not be checked" in (broken_decision.detail or "")


@pytest.mark.parametrize(("line", "fragment"), [
    ("alice@example.com", "expected 'principals"),
    ("alice@example.com ssh-ed25519 !!!", "base64"),
    ('alice@example.com no-touch-required ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEQBJFKW3EeYTamHC7RmsezjaqeEToIo+rPMsYUeT3C+',
     "unsupported option"),
    ('alice@example.com valid-before="2026-11-01" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEQBJFKW3EeYTamHC7RmsezjaqeEToIo+rPMsYUeT3C+',
     "YYYYMMDD"),
    ('alice@example.com namespaces="git ssh-ed25519 AAAA', "unterminated quote"),
    ("alice@example.com ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIEQBJFKW3EeYTamHC7RmsezjaqeEToIo+rPMsYUeT3C+", "does not match"),
])
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, fragment: str) -> None:
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"# first line is a comment\n\n{line}\n")
    with pytest.raises(UserError) as exc:
        TrustStore.from_files(allowed)
    assert exc.value.message.startswith(f"{allowed}:3: ")
    assert fragment in exc.value.message


def test_bad_revocation_line_names_file_and_line(make_key: MakeKey, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"a@x {make_key('a').line}\n")
    revoked = tmp_path / "revoked_keys"
    revoked.write_text("not a key\n")
    with pytest.raises(UserError, match=rf"^{revoked}:1: not a public key"):
        TrustStore.from_files(allowed, revoked)


def test_load_from_a_git_revision_ignores_the_work_tree(git_repo, make_key: MakeKey) -> None:  # type: ignore[no-untyped-def]
    alice, mallory = make_key("alice"), make_key("mallory")
    git_repo.write(".reviewer/allowed_signers", f"alice@example.com {alice.line}\n")
    base = git_repo.commit("trust alice")
    git_repo.write(".reviewer/allowed_signers", f"alice@example.com {alice.line}\nmallory@example.com {mallory.line}\n")
    git_repo.commit("trust mallory too")
    now = datetime.now(timezone.utc)
    at_base = TrustStore.load(Workspace(git_repo.path, revision=base))
    assert not at_base.check("mallory@example.com", mallory.public_key, "reviewer-app", now).ok
    assert TrustStore.load(Workspace(git_repo.path)).check("mallory@example.com", mallory.public_key, "reviewer-app", now).ok
    assert at_base.source == f".reviewer/allowed_signers@{base}"
    git_repo.git("rm", "-q", ".reviewer/allowed_signers")
    gone = TrustStore.load(Workspace(git_repo.path, revision=git_repo.commit("drop trust")))
    assert gone.missing
    decision = gone.check("alice@example.com", alice.public_key, "reviewer-app", now)
    assert decision.reason == "unknown principal" and "does not exist" in (decision.detail or "")


# --- certificates: our decisions agree with ssh-keygen's -------------------------------------------

def _certify(ca: Path, user_pub: Path, principals: str, *extra: str) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca), "-I", f"id-{principals}", "-n", principals, *extra, str(user_pub)],
                   check=True, capture_output=True)
    return user_pub.with_name(user_pub.name.removesuffix(".pub") + "-cert.pub")


def test_certificate_decisions_agree_with_ssh_keygen(make_key: MakeKey, tmp_path: Path) -> None:
    ca, rogue_ca, user = make_key("ca"), make_key("rogue-ca"), make_key("user")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(
        f"*@example.com cert-authority {ca.line}\n"
        f'ci@example.net cert-authority,namespaces="git" {ca.line}\n'
        f"plain@example.org {user.line}\n"
    )
    trust = TrustStore.from_files(allowed)
    cases = [  # (signing CA, certificate principals, extra ssh-keygen -s options, principal asked, time, expected reason)
        (ca, "alice@example.com", [], "alice@example.com", "20261129Z", None),
        (ca, "alice@example.com,bob@example.com", [], "bob@example.com", "20261129Z", None),
        (ca, "alice@example.com", [], "bob@example.com", "20261129Z", "unknown principal"),
        (ca, "alice@example.com", ["-V", "20260101:20260201"], "alice@example.com", "20261129Z", "key not valid at signing time"),
        (ca, "alice@example.com", ["-V", "20260101:20260201"], "alice@example.com", "20260115Z", None),
        (ca, "alice@example.com", ["-h"], "alice@example.com", "20261129Z", "unknown principal"),
        (rogue_ca, "alice@example.com", [], "alice@example.com", "20261129Z", "unknown principal"),
        (ca, "plain@example.org", [], "plain@example.org", "20261129Z", "unknown principal"),  # a cert never matches a plain line
        (ca, "ci@example.net", [], "ci@example.net", "20261129Z", "wrong namespace"),
    ]
    for signing_ca, cert_principals, extra, principal, when, reason in cases:
        cert_path = _certify(signing_ca.path, user.pub_path, cert_principals, *extra)
        signature = ssh_keygen_sign(cert_path, MESSAGE)  # ssh-keygen signs with the certificate, key beside it
        sig = sshsig.verify(signature, MESSAGE, "reviewer-app")
        assert sig.public_key.is_certificate and sig.public_key.fingerprint == user.public_key.fingerprint
        theirs = ssh_keygen_verify(allowed, principal, signature, MESSAGE, tmp_path,
                                   extra=["-O", f"verify-time={when}"]).returncode == 0
        ours = trust.check(principal, sig.public_key, "reviewer-app", parse_openssh_date(when))
        label = f"{signing_ca.path.name} cert for {cert_principals} {extra} as {principal} at {when}"
        assert ours.ok is theirs, f"{label}: ours {ours}, ssh-keygen {theirs}"
        assert ours.reason == reason, f"{label}: {ours}"


def test_revoking_the_ca_or_the_key_revokes_its_certificates(make_key: MakeKey, tmp_path: Path) -> None:
    ca, user = make_key("ca"), make_key("user")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"*@example.com cert-authority {ca.line}\n")
    cert = sshsig.parse_public_key_text(_certify(ca.path, user.pub_path, "alice@example.com").read_text())
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    for revoked_line in (ca.line, user.line):
        revoked = tmp_path / "revoked_keys"
        revoked.write_text(revoked_line + "\n")
        decision = TrustStore.from_files(allowed, revoked).check("alice@example.com", cert, "reviewer-app", now)
        assert decision.reason == "revoked", decision
    assert TrustStore.from_files(allowed).check("alice@example.com", cert, "reviewer-app", now).ok


def test_forged_certificate_is_a_bad_signature(make_key: MakeKey) -> None:
    ca, user, other = make_key("ca"), make_key("user"), make_key("other")
    cert_key = sshsig.parse_public_key_text(_certify(ca.path, user.pub_path, "alice@example.com").read_text())
    signature = sshsig.SshSignature.parse(ssh_keygen_sign(user.pub_path.with_name("user-cert.pub"), MESSAGE))
    # widen the principals without the CA's consent: the CA signature no longer holds
    forged_blob = cert_key.blob.replace(b"alice@example.com", b"admin@example.com")
    forged = sshsig.SshSignature(sshsig.PublicKey.from_blob(forged_blob), signature.namespace, signature.reserved,
                                 signature.hash_algorithm, signature.signature)
    with pytest.raises(sshsig.SignatureError, match="CA signature"):
        sshsig.verify(forged.armored(), MESSAGE, "reviewer-app")
    del other
