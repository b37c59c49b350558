"""Signing keys: key files signed in-process, and keys held by ssh-agent or a token via ssh-keygen.

A ``Signer`` is what events.create_event needs: the principal (email) it signs as, the key's
fingerprint and public line, and ``sign(data) -> armored SSHSIG`` in namespace ``reviewer-app``.

- Ed25519 / RSA / ECDSA key files are loaded with ``cryptography`` and sign in-process.
- A passphrase comes from ``$REVIEWER_APP_KEY_PASSPHRASE`` (scripts) or the ``passphrase_prompt``
  the face passes in (getpass in the CLI, a dialog in the GUI); nothing here talks to a terminal.
- Encrypted keys need the bcrypt KDF; when the ``bcrypt`` module is missing, and for key types
  ``cryptography`` cannot load (security keys), signing goes through ``ssh-keygen -Y sign`` with the
  passphrase handed over by an SSH_ASKPASS helper, never on a command line.
- ``--agent``: ``ssh-keygen -Y sign -f key.pub`` asks ssh-agent (or the token behind it) to sign.
- An OpenSSH certificate (``key-cert.pub``) given as the key signs through ``ssh-keygen -Y sign``,
  with the private key beside it or in ssh-agent.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from reviewer_app.core.signing import sshsig
from reviewer_app.core.signing.sshsig import PublicKey, WireReader
from reviewer_app.errors import UserError

NAMESPACE = "reviewer-app"
PASSPHRASE_ENV = "REVIEWER_APP_KEY_PASSPHRASE"
PassphrasePrompt = Callable[[str], str]

_OPENSSH_PRIVATE_MAGIC = b"openssh-key-v1\0"
_SSH_KEYGEN_TIMEOUT = 120  # a hardware token waits for a touch


class Signer(Protocol):
    principal: str

    @property
    def fingerprint(self) -> str: ...

    @property
    def public_key_line(self) -> str: ...

    def sign(self, data: bytes) -> str: ...


class _NamedByPublicKey:
    """What every signer tells about itself: read from its public key."""

    public_key: PublicKey

    @property
    def fingerprint(self) -> str:
        return self.public_key.fingerprint

    @property
    def public_key_line(self) -> str:
        return self.public_key.openssh


@dataclass
class KeyFileSigner(_NamedByPublicKey):
    """Signs in-process with a private key loaded by ``cryptography``."""

    principal: str
    public_key: PublicKey
    private_key: object = field(repr=False)
    namespace: str = NAMESPACE

    def sign(self, data: bytes) -> str:
        return sshsig.sign(self.private_key, data, self.namespace)


@dataclass
class SshKeygenSigner(_NamedByPublicKey):
    """Signs with ``ssh-keygen -Y sign``: a private key file, or a public key whose secret is in ssh-agent."""

    principal: str
    public_key: PublicKey
    key_path: Path | None = None  # a private key file; None: the agent holds the key
    passphrase: str | None = field(default=None, repr=False)
    namespace: str = NAMESPACE

    def sign(self, data: bytes) -> str:
        with tempfile.TemporaryDirectory(prefix="reviewer-app-sign-") as tmp:
            env = dict(os.environ)
            if self.key_path is not None:
                key_file = self.key_path
            else:
                key_file = Path(tmp) / "signing_key.pub"
                key_file.write_text(self.public_key.openssh + "\n", encoding="ascii")
            if self.passphrase is not None:
                env.update(_askpass_env(Path(tmp), self.passphrase))
            proc = _run_ssh_keygen(["-Y", "sign", "-f", str(key_file), "-n", self.namespace], data, env)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = message[-1] if message else f"exit status {proc.returncode}"
            where = self.key_path or f"ssh-agent key {self.fingerprint}"
            raise UserError(f"{where}: ssh-keygen could not sign: {detail}")
        armored = proc.stdout.decode("ascii", "replace")
        signed_by = sshsig.SshSignature.parse(armored).public_key
        if signed_by.plain.blob != self.public_key.plain.blob:
            raise UserError(f"ssh-keygen signed with {signed_by.fingerprint}, expected {self.fingerprint}")
        return armored


def _askpass_env(folder: Path, passphrase: str) -> dict[str, str]:
    # ssh-keygen reads passphrases only from a terminal or an askpass program; the passphrase
    # travels in the environment of that one child, never in argv where `ps` would show it.
    helper = folder / "askpass.sh"
    helper.write_text('#!/bin/sh\nprintf \'%s\\n\' "$REVIEWER_APP_ASKPASS_VALUE"\n', encoding="ascii")
    helper.chmod(stat.S_IRWXU)
    return {"SSH_ASKPASS": str(helper), "SSH_ASKPASS_REQUIRE": "force", "REVIEWER_APP_ASKPASS_VALUE": passphrase}


def _run_ssh_keygen(args: list[str], data: bytes | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["ssh-keygen", *args], input=data if data is not None else b"", capture_output=True,
            env=env, timeout=_SSH_KEYGEN_TIMEOUT, check=False,
            start_new_session=True,  # no controlling terminal: ssh-keygen must not prompt on it
        )
    except FileNotFoundError as exc:
        raise UserError("ssh-keygen is not installed or not on PATH (OpenSSH client tools are needed)") from exc
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"ssh-keygen {' '.join(args[:2])} timed out after {_SSH_KEYGEN_TIMEOUT} s") from exc


# --- public keys ---------------------------------------------------------------------------------

def load_public_key(path: Path) -> PublicKey:
    """A ``.pub`` file (one ``type base64 [comment]`` line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the public key: {exc}") from exc
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise UserError(f"{path}: no public key in the file")
    try:
        return sshsig.parse_public_key_text(lines[0])
    except ValueError as exc:
        raise UserError(f"{path}:1: not an SSH public key: {exc}") from exc


def public_key_of_private_file(data: bytes) -> PublicKey | None:
    """The public key stored unencrypted at the head of an OpenSSH private key file, if it is one."""
    import base64
    import binascii

    lines = data.decode("ascii", "replace").strip().splitlines()
    if len(lines) < 3 or "BEGIN OPENSSH PRIVATE KEY" not in lines[0]:
        return None
    try:
        blob = base64.b64decode("".join(lines[1:-1]))
        if not blob.startswith(_OPENSSH_PRIVATE_MAGIC):
            return None
        reader = WireReader(blob[len(_OPENSSH_PRIVATE_MAGIC):])
        reader.string(), reader.string(), reader.string()  # cipher, kdf, kdf options
        if reader.uint32() < 1:
            return None
        return PublicKey.from_blob(reader.string())
    except (binascii.Error, sshsig.SignatureError):
        return None


# --- signers -------------------------------------------------------------------------------------

def file_signer(key_path: Path, principal: str, passphrase_prompt: PassphrasePrompt | None = None) -> Signer:
    """A signer for a private key file, asking for its passphrase only when the key is encrypted."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    try:
        data = key_path.read_bytes()
    except OSError as exc:
        raise UserError(f"{key_path}: cannot read the key: {exc.strerror or exc}") from exc
    if data.lstrip().startswith((b"ssh-", b"ecdsa-", b"sk-")):
        if b"-cert-v01@openssh.com" in data.split(None, 1)[0]:
            public = load_public_key(key_path)
            # ssh-keygen signs with a certificate when given it; the private key sits beside it
            # (key and key-cert.pub), or in ssh-agent together with the certificate.
            return SshKeygenSigner(principal, public, key_path=key_path)
        raise UserError(f"{key_path}: this is a public key; give the private key file, or use --agent with --key {key_path}")
    embedded = public_key_of_private_file(data)
    if embedded is None:
        if b"-----BEGIN" in data and b"PRIVATE KEY-----" in data:
            return _pem_signer(key_path, data, principal, passphrase_prompt)
        raise UserError(f"{key_path}: not an OpenSSH private key (expected '-----BEGIN OPENSSH PRIVATE KEY-----')")
    try:
        private = load_ssh_private_key(data, password=None)
    except TypeError:  # "Key is password-protected."
        passphrase = _passphrase_for(key_path, passphrase_prompt)
        try:
            private = load_ssh_private_key(data, password=passphrase.encode("utf-8"))
        except UnsupportedAlgorithm:  # no bcrypt module: let ssh-keygen run the KDF
            return SshKeygenSigner(principal, embedded, key_path=key_path, passphrase=passphrase)
        except ValueError as exc:
            raise UserError(f"{key_path}: wrong passphrase or damaged key ({exc})") from exc
    except UnsupportedAlgorithm:  # e.g. a security key (sk-*): ssh-keygen talks to the token
        return SshKeygenSigner(principal, embedded, key_path=key_path)
    except ValueError as exc:
        raise UserError(f"{key_path}: cannot load the private key: {exc}") from exc
    public = sshsig.public_key_of(private)
    if public.blob != embedded.blob:
        raise UserError(f"{key_path}: the private key does not match the public key stored in the file")
    return KeyFileSigner(principal, public, private)


def _pem_signer(key_path: Path, data: bytes, principal: str, prompt: PassphrasePrompt | None) -> Signer:
    """Older PEM key files (``ssh-keygen -m PEM``: RSA, EC or PKCS#8); their encryption needs no bcrypt."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        private = load_pem_private_key(data, password=None)
    except TypeError:  # encrypted
        passphrase = _passphrase_for(key_path, prompt)
        try:
            private = load_pem_private_key(data, password=passphrase.encode("utf-8"))
        except ValueError as exc:
            raise UserError(f"{key_path}: wrong passphrase or damaged key ({exc})") from exc
    except ValueError as exc:
        raise UserError(f"{key_path}: cannot load the PEM private key: {exc}") from exc
    if not isinstance(private, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        raise UserError(f"{key_path}: {type(private).__name__} keys cannot sign SSH signatures here (use Ed25519, RSA or ECDSA)")
    try:
        public = sshsig.public_key_of(private)
    except ValueError as exc:  # e.g. an EC curve SSH has no name for
        raise UserError(f"{key_path}: this key cannot be used for SSH signatures: {exc}") from exc
    return KeyFileSigner(principal, public, private)


def _passphrase_for(key_path: Path, prompt: PassphrasePrompt | None) -> str:
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env is not None:
        return from_env
    if prompt is None:
        raise UserError(f"{key_path}: the key is passphrase-protected; set {PASSPHRASE_ENV} or run interactively")
    return prompt(f"Enter passphrase for {key_path}: ")


def agent_keys() -> list[PublicKey]:
    """The public keys ssh-agent holds (``ssh-add -L``)."""
    if not os.environ.get("SSH_AUTH_SOCK"):
        raise UserError("--agent: no ssh-agent is reachable (SSH_AUTH_SOCK is not set)")
    try:
        proc = subprocess.run(["ssh-add", "-L"], capture_output=True, timeout=30, check=False, start_new_session=True)
    except FileNotFoundError as exc:
        raise UserError("ssh-add is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise UserError("ssh-add -L timed out: is ssh-agent responding?") from exc
    if proc.returncode == 1:  # the agent holds no identities
        return []
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip() or f"exit status {proc.returncode}"
        raise UserError(f"--agent: cannot list the agent's keys: {detail}")
    keys = []
    for line in proc.stdout.decode("ascii", "replace").splitlines():
        try:
            keys.append(sshsig.parse_public_key_text(line))
        except ValueError:
            continue  # a key type we do not parse is simply not a candidate
    return keys


def agent_signer(principal: str, public_key: PublicKey) -> Signer:
    """A signer whose secret half lives in ssh-agent or on a token behind it."""
    return SshKeygenSigner(principal, public_key, key_path=None)
