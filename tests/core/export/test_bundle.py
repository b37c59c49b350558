"""The bundle: deterministic, self-verifying, and every changed, added or missing member shows."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

from reviewer_app.core.export import ExportFilter, write_export
from reviewer_app.core.export.bundle import read_bundle, write_bundle
from reviewer_app.core.export.verify import verify_export
from tests.core.export.conftest import AuditWorld


def _bundle(world: AuditWorld, path: Path) -> Path:
    write_export(world.db, "bundle", path, ExportFilter(), repo=world.repo.path)
    return path


def _repack(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    """Rewrite a bundle's members (as someone editing the archive would), keeping it a valid tar.gz."""
    files = read_bundle(path.read_bytes(), str(path))
    edit(files)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(raw.getvalue()))


def test_bundle_layout_is_deterministic_and_verifies(world: AuditWorld, tmp_path: Path) -> None:
    first = _bundle(world, tmp_path / "one.tar.gz")
    second = _bundle(world, tmp_path / "two.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as archive:
        members = archive.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {m.mtime for m in members} == {0} and {m.uid for m in members} == {0}
    patch_names = {f"patches/{cid.removeprefix('sha256:')}.patch" for cid in (world.change_id, world.other_change_id)}
    assert set(names) == {"allowed_signers", "events.jsonl", "manifest.json", "policy.toml"} | patch_names
    files = read_bundle(first.read_bytes(), "one")
    manifest = json.loads(files["manifest.json"])
    assert manifest["files"]["events.jsonl"] == hashlib.sha256(files["events.jsonl"]).hexdigest()
    result = verify_export(first)  # the bundle's own allowed_signers
    assert result.problems == [], result.problems


def test_every_member_change_is_detected(world: AuditWorld, tmp_path: Path) -> None:
    path = _bundle(world, tmp_path / "b.tar.gz")

    def edit_event(files: dict[str, bytes]) -> None:
        files["events.jsonl"] = files["events.jsonl"].replace(b"fine by me", b"fine by mE")
    _repack(path, edit_event)
    problems = verify_export(path).problems
    assert any("events.jsonl does not match its sha256" in p for p in problems)
    assert any("bad signature" in p for p in problems)

    path = _bundle(world, tmp_path / "c.tar.gz")
    patch = f"patches/{world.change_id.removeprefix('sha256:')}.patch"

    def edit_patch_and_add(files: dict[str, bytes]) -> None:
        files[patch] = files[patch].replace(b"fixed", b"owned")
        files["extra.txt"] = b"hello"
        del files["policy.toml"]
    _repack(path, edit_patch_and_add)
    problems = verify_export(path).problems
    assert any(f"{patch} does not match its sha256" in p for p in problems)
    assert any(f"{patch} does not hash to its change id" in p for p in problems)
    assert any("extra.txt is not listed" in p for p in problems)
    assert any("policy.toml is listed in the manifest but missing" in p for p in problems)


def test_cli_export_and_verify_exit_codes(world: AuditWorld, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reviewer_app", "--db", str(world.db_path), *args],
                              capture_output=True, text=True, timeout=120)

    signers = str(world.repo.path / ".reviewer" / "allowed_signers")
    alice = world.people["alice@example.com"]
    bundle = tmp_path / "audit.tar.gz"
    made = cli("export", "--format", "bundle", "--output", str(bundle), "--repo", str(world.repo.path),
               "--key", str(alice.key), "--as", alice.email)
    assert made.returncode == 0, made.stderr
    assert "exported 5 events as bundle" in made.stderr and "signed by alice@example.com" in made.stderr
    ok = cli("verify-export", str(bundle), "--allowed-signers", signers)
    assert ok.returncode == 0 and ok.stdout.strip().endswith("intact and verified"), ok.stdout
    assert "manifest signed by the exporter alice@example.com" in ok.stdout
    # Checked only against the keys the bundle carries, nothing says they are the team's: not verified.
    own = cli("verify-export", str(bundle))
    assert own.returncode == 0 and "UNVERIFIED:" in own.stdout and "intact, but" in own.stdout, own.stdout
    assert "FAIL:" not in own.stdout
    strict = cli("verify-export", str(bundle), "--strict")
    assert strict.returncode == 1 and "--strict: NOT verified" in strict.stdout, strict.stdout
    unsigned = tmp_path / "unsigned.tar.gz"
    assert cli("export", "--format", "bundle", "--output", str(unsigned), "--repo", str(world.repo.path)).returncode == 0
    plain = cli("verify-export", str(unsigned), "--allowed-signers", signers, "--strict")
    assert plain.returncode == 1 and "unsigned bundle (exported without --key)" in plain.stdout, plain.stdout

    jsonl = tmp_path / "audit.jsonl"
    assert cli("export", "--format", "jsonl", "--output", str(jsonl), "--repo", str(world.repo.path)).returncode == 0
    lines = jsonl.read_bytes().splitlines(keepends=True)
    jsonl.write_bytes(b"".join([lines[0], *lines[2:]]))
    bad = cli("verify-export", str(jsonl), "--allowed-signers", signers)
    assert bad.returncode == 1 and "NOT intact" in bad.stdout and "FAIL:" in bad.stdout

    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"\x1f\x8b not really gzip")
    unreadable = cli("verify-export", str(garbage))
    assert unreadable.returncode == 2 and unreadable.stderr.count("\n") == 1

    pdf_to_stdout = cli("export", "--format", "pdf", "--output", "-")
    assert pdf_to_stdout.returncode == 2 and "--output FILE" in pdf_to_stdout.stderr


def test_bundle_needs_the_teams_signers(world: AuditWorld, tmp_path: Path) -> None:
    import pytest

    from reviewer_app.errors import UserError

    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    with pytest.raises(UserError, match="allowed_signers"):
        write_export(world.db, "bundle", tmp_path / "x.tar.gz", ExportFilter(), repo=outside)
    assert not (tmp_path / "x.tar.gz").exists()


def test_write_bundle_round_trips(tmp_path: Path) -> None:
    out = io.BytesIO()
    write_bundle({"b.txt": b"2", "a.txt": b"1"}, out)
    files = read_bundle(out.getvalue(), "mem")
    assert files["a.txt"] == b"1" and files["b.txt"] == b"2" and "manifest.json" in files


def test_cli_export_of_one_change_by_prefix_and_by_unknown_full_id(world: AuditWorld, tmp_path: Path) -> None:
    out = tmp_path / "one.jsonl"
    prefix = world.other_change_id.removeprefix("sha256:")[:10]
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "--db", str(world.db_path), "export", "--format",
                           "jsonl", "--output", str(out), "--change", prefix], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_bytes().splitlines()) == 4  # approve, reject, revoke + closing
    unknown = "sha256:" + "9" * 64
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "--db", str(world.db_path), "export", "--format",
                           "jsonl", "--output", str(out), "--change", unknown], capture_output=True, text=True)
    assert proc.returncode == 0 and len(out.read_bytes().splitlines()) == 1
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "--db", str(world.db_path), "export", "--format",
                           "jsonl", "--output", str(out), "--change", "zz"], capture_output=True, text=True)
    assert proc.returncode == 2 and "no such change" in proc.stderr


def test_cli_text_export_to_stdout(world: AuditWorld) -> None:
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "--db", str(world.db_path), "export", "--format",
                           "jsonl", "--output", "-"], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 6 and json.loads(lines[-1])["record"] == "reviewer-app/export-close"
    assert b"to stdout" in proc.stderr
