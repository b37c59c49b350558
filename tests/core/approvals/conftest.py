"""Fixtures for the approvals tests: real keys made by ssh-keygen in temporary folders."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from reviewer_app.core.signing import keys
from reviewer_app.core.signing.sshsig import PublicKey


@dataclass
class KeyPair:
    path: Path  # the private key file
    pub_path: Path
    public_key: PublicKey

    @property
    def line(self) -> str:
        return self.public_key.openssh


def ssh_keygen_key(folder: Path, name: str, key_type: str = "ed25519", passphrase: str = "", bits: int | None = None) -> KeyPair:
    path = folder / name
    args = ["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-C", name, "-f", str(path)]
    if bits:
        args += ["-b", str(bits)]
    subprocess.run(args, check=True, capture_output=True)
    pub = path.with_name(name + ".pub")
    return KeyPair(path, pub, keys.load_public_key(pub))


MakeKey = Callable[..., KeyPair]


@pytest.fixture
def make_key(tmp_path: Path) -> MakeKey:
    folder = tmp_path / "keys"
    folder.mkdir()

    def make(name: str, key_type: str = "ed25519", passphrase: str = "", bits: int | None = None) -> KeyPair:
        return ssh_keygen_key(folder, name, key_type, passphrase, bits)

    return make


def ssh_keygen_verify(allowed: Path, principal: str, signature: str, message: bytes, tmp: Path,
                      namespace: str = "reviewer-app", extra: list[str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """What stock OpenSSH says about a signature: ssh-keygen -Y verify."""
    sig_path = tmp / "check.sig"
    sig_path.write_text(signature, encoding="ascii")
    return subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", principal, "-n", namespace, "-s", str(sig_path),
         *(extra or [])],
        input=message, capture_output=True, check=False,
    )


def ssh_keygen_sign(key: Path, message: bytes, namespace: str = "reviewer-app") -> str:
    proc = subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", namespace], input=message,
                          capture_output=True, check=True)
    return proc.stdout.decode("ascii")


@pytest.fixture
def ssh_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A real ssh-agent on a private socket, stopped by its own pid afterwards."""
    sock = tmp_path / "agent.sock"
    out = subprocess.run(["ssh-agent", "-s", "-a", str(sock)], capture_output=True, text=True, check=True).stdout
    pid = int(re.search(r"SSH_AGENT_PID=(\d+)", out).group(1))  # type: ignore[union-attr]
    monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
    try:
        yield {**os.environ, "SSH_AUTH_SOCK": str(sock)}
    finally:
        os.kill(pid, signal.SIGTERM)
