"""Key files (plain and passphrase-protected) and ssh-agent signing, all with the real OpenSSH tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reviewer_app.core.signing import keys, sshsig
from reviewer_app.errors import UserError

from .conftest import MakeKey, ssh_keygen_sign

MESSAGE = b'{"type":"approve"}'


def _decrypted_copy(key: Path, passphrase: str, folder: Path) -> Path:
    copy = folder / "decrypted"
    shutil.copy(key, copy)
    copy.chmod(0o600)
    subprocess.run(["ssh-keygen", "-p", "-q", "-P", passphrase, "-N", "", "-f", str(copy)], check=True, capture_output=True)
    return copy


def test_plain_key_signs_in_process_like_ssh_keygen(make_key: MakeKey) -> None:
    key = make_key("alice")
    signer = keys.file_signer(key.path, "alice@example.com")
    assert isinstance(signer, keys.KeyFileSigner)
    assert signer.fingerprint == key.public_key.fingerprint
    assert signer.public_key_line == key.line
    assert signer.sign(MESSAGE) == ssh_keygen_sign(key.path, MESSAGE)


def test_passphrase_from_prompt(make_key: MakeKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    key = make_key("locked", passphrase="correct horse")
    asked: list[str] = []

    def prompt(message: str) -> str:
        asked.append(message)
        return "correct horse"

    signer = keys.file_signer(key.path, "alice@example.com", passphrase_prompt=prompt)
    assert len(asked) == 1 and str(key.path) in asked[0]
    expected = ssh_keygen_sign(_decrypted_copy(key.path, "correct horse", tmp_path), MESSAGE)
    assert signer.sign(MESSAGE) == expected  # Ed25519 is deterministic: same bytes whichever way we sign
    assert signer.fingerprint == key.public_key.fingerprint


def test_passphrase_from_environment_wins_over_prompt(make_key: MakeKey, monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_key("locked", passphrase="s3cret")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "s3cret")

    def prompt(message: str) -> str:
        raise AssertionError("the prompt must not be used when the environment has the passphrase")

    signature = keys.file_signer(key.path, "alice@example.com", passphrase_prompt=prompt).sign(MESSAGE)
    assert sshsig.verify(signature, MESSAGE, "reviewer-app").public_key == key.public_key


def test_wrong_passphrase_is_a_clear_error(make_key: MakeKey, monkeypatch: pytest.MonkeyPatch) -> None:
    key = make_key("locked", passphrase="right")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "wrong")
    with pytest.raises(UserError) as exc:
        keys.file_signer(key.path, "alice@example.com").sign(MESSAGE)
    assert str(key.path) in exc.value.message and "passphrase" in exc.value.message


def test_protected_key_without_any_way_to_ask(make_key: MakeKey, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    key = make_key("locked", passphrase="pw")
    with pytest.raises(UserError, match=keys.PASSPHRASE_ENV):
        keys.file_signer(key.path, "alice@example.com")


@pytest.mark.parametrize(("content", "fragment"), [
    (None, "cannot read"),
    (b"ssh-ed25519 AAAA comment\n", "this is a public key"),
    (b"hello world\n", "not an OpenSSH private key"),
])
def test_unusable_key_files(tmp_path: Path, content: bytes | None, fragment: str) -> None:
    path = tmp_path / "key"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError) as exc:
        keys.file_signer(path, "alice@example.com")
    assert exc.value.message.startswith(str(path)) and fragment in exc.value.message


def test_rsa_and_ecdsa_key_files_sign_in_process(make_key: MakeKey) -> None:
    for key in (make_key("rsa", "rsa", bits=2048), make_key("ec", "ecdsa", bits=256)):
        signature = keys.file_signer(key.path, "alice@example.com").sign(MESSAGE)
        assert sshsig.verify(signature, MESSAGE, "reviewer-app").public_key == key.public_key


def test_agent_signing_through_ssh_keygen(make_key: MakeKey, ssh_agent: dict[str, str]) -> None:
    key, other = make_key("in-agent"), make_key("not-in-agent")
    assert keys.agent_keys() == []
    subprocess.run(["ssh-add", "-q", str(key.path)], env=ssh_agent, check=True, capture_output=True)
    assert keys.agent_keys() == [key.public_key]
    signer = keys.agent_signer("alice@example.com", key.public_key)
    assert signer.sign(MESSAGE) == ssh_keygen_sign(key.path, MESSAGE)
    with pytest.raises(UserError, match="ssh-keygen could not sign"):
        keys.agent_signer("alice@example.com", other.public_key).sign(MESSAGE)


def test_agent_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with pytest.raises(UserError, match="SSH_AUTH_SOCK"):
        keys.agent_keys()


@pytest.mark.parametrize(("key_type", "bits", "passphrase"), [("rsa", 2048, ""), ("ecdsa", 256, "pem-secret")])
def test_pem_key_files_sign_in_process(tmp_path: Path, key_type: str, bits: int, passphrase: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / f"{key_type}.pem"
    subprocess.run(["ssh-keygen", "-q", "-m", "PEM", "-t", key_type, "-b", str(bits), "-N", passphrase, "-f", str(path)],
                   check=True, capture_output=True)
    assert b"BEGIN OPENSSH" not in path.read_bytes()
    monkeypatch.setenv(keys.PASSPHRASE_ENV, passphrase)
    signer = keys.file_signer(path, "alice@example.com")
    expected = keys.load_public_key(path.with_name(path.name + ".pub"))
    assert signer.fingerprint == expected.fingerprint
    assert sshsig.verify(signer.sign(MESSAGE), MESSAGE, "reviewer-app").public_key == expected
