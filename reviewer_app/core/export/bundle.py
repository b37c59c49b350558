"""The audit bundle: one deterministic .tar.gz that verifies offline on its own.

    manifest.json        {"format": "reviewer-app-bundle", "version": 2, "files": {path: sha256 hex},
                          "config_commit": <the commit allowed_signers, revoked_keys and policy.toml come from>,
                          and when sealed "exporter": {principal, key}, "exported_at"}
    manifest.sig         the exporter's SSHSIG over manifest.json (exports made with --key; seal.py)
    events.jsonl         the jsonl export (with its closing record)
    allowed_signers      the team's allowed signers in force (from the repository's HEAD)
    revoked_keys         the revocations in force, when there are any
    policy.toml          the approval policy in force, when there is one
    patches/<hex>.patch  the patch of every change the events name that the index holds

Deterministic: members sorted by name, mtime 0, owner 0:0 without names, mode 0644, and a gzip
header without time or name; the same index and configuration give the same bytes (a sealed bundle
also names the time it was sealed).

The manifest lists the sha256 of every member but itself and manifest.sig. Unsealed, it catches
accidents only: whoever rewrites a member can rewrite its line too. Sealed, every byte a decision or an
auditor's reading depends on (events and closing record, patches with their authors, trailers and
positions, policy, allowed signers, revocations) is covered by one signature.
Version 1 bundles (before the seal) had neither manifest.sig nor config_commit.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import re
from typing import IO, Any

from reviewer_app.core.export.seal import ExportSeal

BUNDLE_FORMAT = "reviewer-app-bundle"
BUNDLE_VERSION = 2
BUNDLE_VERSIONS = (1, 2)  # what verify-export reads
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
EVENTS = "events.jsonl"
ALLOWED_SIGNERS = "allowed_signers"
REVOKED_KEYS = "revoked_keys"
POLICY = "policy.toml"
PATCH_DIR = "patches/"
PATCH_NAME = re.compile(r"^patches/[0-9a-f]{64}\.patch$")
CONFIG_FILES = (ALLOWED_SIGNERS, REVOKED_KEYS, POLICY)


def is_known_member(name: str) -> bool:
    """Only these names carry meaning; anything else in a bundle is refused, never ignored."""
    return name in (EVENTS, *CONFIG_FILES) or PATCH_NAME.match(name) is not None


def manifest_bytes(files: dict[str, bytes], config_commit: str | None = None, seal: ExportSeal | None = None) -> bytes:
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    manifest: dict[str, Any] = {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "files": sums,
                                "config_commit": config_commit}
    if seal is not None:
        manifest.update(seal.claims())
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_bundle(files: dict[str, bytes], out: IO[bytes], config_commit: str | None = None,
                 seal: ExportSeal | None = None) -> None:
    """Write ``files`` plus their manifest (and its signature, when sealed) as a deterministic tar.gz."""
    members = dict(files)
    members[MANIFEST] = manifest_bytes(files, config_commit, seal)
    if seal is not None:
        members[MANIFEST_SIG] = seal.sign(members[MANIFEST]).encode("ascii")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(members):
            data = members[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as compressed:
        compressed.write(raw.getvalue())


def read_bundle(data: bytes, source: str) -> dict[str, bytes]:
    """The regular files of a bundle, read in memory (never extracted); ValueError when unreadable."""
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError(f"{source}: not a readable tar.gz bundle ({exc})") from exc
    files: dict[str, bytes] = {}
    with archive:
        try:
            for member in archive:
                if not member.isfile():
                    raise ValueError(f"{source}: member {member.name!r} is not a regular file")
                if member.name.startswith("/") or ".." in member.name.split("/"):
                    raise ValueError(f"{source}: member {member.name!r} has an unsafe path")
                if member.name in files:
                    raise ValueError(f"{source}: member {member.name!r} appears twice")
                extracted = archive.extractfile(member)
                files[member.name] = extracted.read() if extracted else b""
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ValueError(f"{source}: damaged bundle ({exc})") from exc
    return files
