"""Red team, class 5: an attacker holding an export file makes verify-export call it intact.

Every export here is made by the CLI (`reviewer-app export ... --key`), with real ssh-keygen keys,
a real git repository and a real SQLite index; every verdict comes from `reviewer-app verify-export`
with the auditor's own copy of the team's allowed_signers. Each attack is tried the ways an attacker
can leave the bundle's manifest behind:

- ``stale``: the member is edited, the manifest and its signature are left as they were;
- ``resummed``: the manifest's sha256 line is edited together with the member, the signature kept;
- ``resealed``: the manifest is recomputed and signed again with mallory's key (not the team's);
- ``unsigned``: the manifest is recomputed and the exporter's signature and claims are dropped;
- ``format-1``: the bundle is rewritten as a format 1 bundle (before exports were signed).

None may end in exit 0: a problem (FAIL) or an unverified part (UNVERIFIED) names what is wrong.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Callable

import pytest

from reviewer_app.core.signing import keys
from reviewer_app.core.changeid import change_id as change_id_of
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.export import bundle as bundle_format
from reviewer_app.core.provenance import detect

from .world import World, make_world, plain_lines

CONFIG = "".join(f"line {i}\n" for i in range(1, 40))
TRAILER = b"Co-Authored-By: Claude Opus <noreply@anthropic.com>\n"
T = ["2026-11-29T10:00:00Z", "2026-11-29T10:05:00Z", "2026-11-29T10:10:00Z", "2026-11-29T10:15:00Z",
     "2026-11-29T10:20:00Z"]
HOWS = ("stale", "resummed", "resealed", "unsigned", "format-1")
EXPECTED_BY_HOW = {
    "stale": "does not match its sha256 in the manifest",
    "resummed": "the exporter's signature does not hold",
    "resealed": "is not trusted to seal",
    "unsigned": "UNVERIFIED: ",
    "format-1": "UNVERIFIED: ",
}


class Audited:
    """A team repository with two submitted changes and a signed history, and its auditor's files."""

    def __init__(self, world: World, folder: Path) -> None:
        self.world = world
        self.folder = folder
        self.team_signers = folder / "team_allowed_signers"  # the auditor's own copy
        self.team_signers.write_bytes((world.repo.path / ".reviewer/allowed_signers").read_bytes())
        self.feature = world.analysis("git:main..feature")["change_id"]
        self.docs = world.analysis("git:main..docs")["change_id"]
        self.revoke_id = ""

    def export(self, fmt: str, name: str, *extra: str, signed: bool = True) -> Path:
        out = self.folder / name
        seal = ["--key", str(self.world.keys["alice"].path), "--as", "alice@example.com"] if signed else []
        code, _, err = self.world.cli("export", "--format", fmt, "--output", str(out), "--repo",
                                      str(self.world.repo.path), *seal, *extra)
        assert code == 0, err
        return out

    def verify(self, path: Path, *extra: str, strict: bool = True) -> tuple[int, str]:
        """verify-export as an auditor who needs everything verified (--strict): UNVERIFIED is a failure."""
        mode = ("--strict",) if strict else ()
        code, out, err = self.world.cli("verify-export", str(path), "--allowed-signers", str(self.team_signers),
                                        *mode, *extra)
        return code, out + err


def _world(folder: Path, revoked: bool = False) -> World:
    world = make_world(folder, people=("alice", "bob", "carol", "dana", "mallory"))
    trusted = ("alice", "bob", "carol", "mallory") if revoked else ("alice", "bob", "carol")
    world.configure(plain_lines(world, *trusted), revoked=world.line("mallory") + "\n" if revoked else None)
    world.repo.write("app/config.py", CONFIG, dedent=False)
    world.base = world.repo.commit("config", author=("Alice", "alice@example.com"))
    tuned = CONFIG.replace("line 3\n", "line three\n").replace("line 30\n", "line thirty\n")
    world.branch("feature", {"app/config.py": tuned}, "Tune config\n\n" + TRAILER.decode())
    world.branch("docs", {"docs/notes.md": "notes\n"}, "Add notes")
    for branch in ("feature", "docs"):
        code, _, err = world.cli("submit", "--repo", str(world.repo.path), "--git", f"main..{branch}")
        assert code == 0, err
    return world


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    folder = tmp_path_factory.mktemp("tampering")
    made = Audited(_world(folder), folder)
    world = made.world
    world.sign("alice", made.feature, at=T[0])
    world.sign("bob", made.feature, at=T[1])
    made.revoke_id = world.sign("alice", made.feature, type="revoke", at=T[2]).id  # mid-chain: alice signs again
    world.sign("alice", made.docs, at=T[3])
    world.sign("carol", made.feature, at=T[4])
    return made


@pytest.fixture
def signed_bundle(audited: Audited, tmp_path: Path) -> Path:
    original = audited.folder / "sealed.tar.gz"
    if not original.exists():
        audited.export("bundle", "sealed.tar.gz")
    copy = tmp_path / "audit.tar.gz"
    shutil.copy(original, copy)
    return copy


# --- rewriting a bundle as an attacker would ---------------------------------------------------------

def _members(path: Path) -> dict[str, bytes]:
    return bundle_format.read_bundle(path.read_bytes(), str(path))


def _pack(path: Path, members: dict[str, bytes]) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(raw.getvalue()))


def _sums(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}


def rewrite(path: Path, edit: Callable[[dict[str, bytes]], None], how: str, world: World) -> None:
    files = _members(path)
    manifest_bytes = files.pop(bundle_format.MANIFEST)
    signature = files.pop(bundle_format.MANIFEST_SIG)
    manifest = json.loads(manifest_bytes)
    edit(files)
    if how == "stale":
        files[bundle_format.MANIFEST], files[bundle_format.MANIFEST_SIG] = manifest_bytes, signature
    elif how == "resummed":
        manifest["files"] = _sums(files)
        files[bundle_format.MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
        files[bundle_format.MANIFEST_SIG] = signature
    elif how == "resealed":
        mallory = world.keys["mallory"]
        manifest["files"] = _sums(files)
        manifest["exporter"] = {"principal": "alice@example.com", "key": mallory.public_key.fingerprint}
        files[bundle_format.MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
        signer = keys.file_signer(mallory.path, "alice@example.com")
        files[bundle_format.MANIFEST_SIG] = signer.sign(files[bundle_format.MANIFEST]).encode()
    elif how == "unsigned":
        for claim in ("exporter", "exported_at"):
            manifest.pop(claim)
        manifest["files"] = _sums(files)
        files[bundle_format.MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
    elif how == "format-1":
        old = {"format": bundle_format.BUNDLE_FORMAT, "version": 1, "files": _sums(files)}
        files[bundle_format.MANIFEST] = json.dumps(old, indent=2, sort_keys=True).encode() + b"\n"
    else:
        raise AssertionError(how)
    _pack(path, files)


def _patch_name(change_id: str) -> str:
    return f"{bundle_format.PATCH_DIR}{change_id.removeprefix('sha256:')}.patch"


def _event_lines(files: dict[str, bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in files[bundle_format.EVENTS].splitlines()[:-1]]


def _closing_over(events: list[dict[str, object]], complete: bool = True, selection: dict[str, str] | None = None,
                  version: int = 2) -> bytes:
    """events.jsonl with a closing record recomputed over ``events``: sha256, counts and heads all consistent."""
    body = "".join(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for e in events)
    heads: dict[str, dict[str, object]] = {}
    for event in events:
        head = heads.setdefault(str(event["principal"]), {"first": event["id"], "last": event["id"], "count": 0})
        head["last"] = event["id"]
        head["count"] = int(head["count"]) + 1  # type: ignore[call-overload]
    closing = {"complete": complete, "events": len(events), "filter": selection or {}, "heads": heads,
               "record": "reviewer-app/export-close", "sha256": hashlib.sha256(body.encode()).hexdigest(),
               "version": version}
    return (body + json.dumps(closing, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _without(events: list[dict[str, object]], event_id: str) -> list[dict[str, object]]:
    kept = [e for e in events if e["id"] != event_id]
    assert len(kept) == len(events) - 1
    return kept


# --- the attacks ----------------------------------------------------------------------------------------

def _same_change_id(before: bytes, after: bytes) -> None:
    """The edit is outside the change id: the check every earlier bundle relied on cannot see it."""
    assert before != after
    assert change_id_of(parse_patch(after, "after")[0]) == change_id_of(parse_patch(before, "before")[0])


def attack_patch_author(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        name = _patch_name(a.feature)
        edited = files[name].replace(b"From: Dana Dev <dana@example.com>", b"From: Alice <alice@example.com>")
        _same_change_id(files[name], edited)
        files[name] = edited
    return edit


def attack_ai_trailer(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        name = _patch_name(a.feature)
        edited = files[name].replace(TRAILER, b"")
        _same_change_id(files[name], edited)
        assert detect(parse_patch(files[name], "x")[0]).ai_assisted and not detect(parse_patch(edited, "y")[0]).ai_assisted
        files[name] = edited
    return edit


def attack_hunk_position(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        name = _patch_name(a.feature)
        edited, count = re.subn(rb"@@ -27,7 \+27,7 @@", b"@@ -17,7 +17,7 @@", files[name])
        assert count == 1
        _same_change_id(files[name], edited)
        files[name] = edited
    return edit


def attack_policy(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        edited = files[bundle_format.POLICY].replace(b"approvals = 2", b"approvals = 1")
        assert edited != files[bundle_format.POLICY]
        files[bundle_format.POLICY] = edited
    return edit


def attack_allowed_signers(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        files[bundle_format.ALLOWED_SIGNERS] += f"mallory@example.com {a.world.line('mallory')}\n".encode()
    return edit


def attack_added_file(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        files["README-auditor.txt"] = b"all approvals were checked by hand\n"
    return edit


def attack_added_patch(a: Audited) -> Callable[[dict[str, bytes]], None]:
    """Another change's patch filed under a name it hashes to: only the manifest can say it was not exported."""
    def edit(files: dict[str, bytes]) -> None:
        patch = files[_patch_name(a.docs)].replace(b"+notes", b"+other notes")
        files[_patch_name(change_id_of(parse_patch(patch, "p")[0]))] = patch
    return edit


def attack_revoke_deleted_complete(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        files[bundle_format.EVENTS] = _closing_over(_without(_event_lines(files), a.revoke_id))
    return edit


def attack_complete_flipped(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        files[bundle_format.EVENTS] = _closing_over(_without(_event_lines(files), a.revoke_id), complete=False)
    return edit


def attack_filter_claims_since(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        files[bundle_format.EVENTS] = _closing_over(_without(_event_lines(files), a.revoke_id), complete=False,
                                                    selection={"since": T[0]})
    return edit


def attack_filter_claims_change(a: Audited) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        files[bundle_format.EVENTS] = _closing_over(_without(_event_lines(files), a.revoke_id), complete=False,
                                                    selection={"change": a.feature})
    return edit


def attack_filter_claims_service(a: Audited) -> Callable[[dict[str, bytes]], None]:
    """A service filter cannot be checked from the file: only the exporter's signature can vouch for it."""
    def edit(files: dict[str, bytes]) -> None:
        files[bundle_format.EVENTS] = _closing_over(_without(_event_lines(files), a.revoke_id), complete=False,
                                                    selection={"service": "web"})
    return edit


# attack -> the problem it causes whatever happens to the manifest (None: only the manifest's seal shows it)
ATTACKS: dict[str, tuple[Callable[[Audited], Callable[[dict[str, bytes]], None]], str | None]] = {
    "patch author edited": (attack_patch_author, None),
    "AI trailer removed": (attack_ai_trailer, None),
    "hunk position moved": (attack_hunk_position, None),
    "policy.toml edited": (attack_policy, None),
    "allowed_signers edited": (attack_allowed_signers, None),
    "file added": (attack_added_file, "README-auditor.txt"),
    "patch added": (attack_added_patch, None),
    "mid-chain revoke deleted": (attack_revoke_deleted_complete, "is not in this complete export: deleted"),
    "complete flag flipped": (attack_complete_flipped, "says the export is incomplete but names no filter"),
    "filter claims --since": (attack_filter_claims_since, "falls inside the claimed time window"),
    "filter claims --change": (attack_filter_claims_change, "is outside the filter the closing record claims"),
    "filter claims --service": (attack_filter_claims_service, None),
}


def test_the_untampered_signed_bundle_is_intact_and_verified(audited: Audited, signed_bundle: Path) -> None:
    code, out = audited.verify(signed_bundle)
    assert code == 0, out
    assert out.strip().endswith("intact and verified")
    assert "manifest signed by the exporter alice@example.com" in out
    assert f"those of commit {audited.world.base}" in out


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_tampered_bundle_never_verifies(audited: Audited, signed_bundle: Path, attack: str, how: str) -> None:
    make_edit, always = ATTACKS[attack]
    rewrite(signed_bundle, make_edit(audited), how, audited.world)
    code, out = audited.verify(signed_bundle)
    assert code == 1, out
    assert "intact and verified" not in out
    added = attack in ("file added", "patch added")
    assert ("is not listed in the manifest: added" if how == "stale" and added else EXPECTED_BY_HOW[how]) in out, out
    if how in ("unsigned", "format-1"):
        label = ("unsigned bundle (exported without --key)" if how == "unsigned"
                 else "format 1 bundle (made before exports were signed)")
        assert f"{label}: patches (authors, messages, AI trailers, hunk positions), policy.toml" in out, out
    if always is not None:
        assert always in out, out


def test_a_checksum_line_edited_with_its_file_breaks_the_exporters_signature(audited: Audited,
                                                                             signed_bundle: Path) -> None:
    """The manifest is a checksum list anyone can recompute; the exporter's signature over it is not."""
    rewrite(signed_bundle, attack_policy(audited), "resummed", audited.world)
    manifest = json.loads(_members(signed_bundle)[bundle_format.MANIFEST])
    assert manifest["files"][bundle_format.POLICY] == hashlib.sha256(_members(signed_bundle)[bundle_format.POLICY]).hexdigest()
    code, out = audited.verify(signed_bundle)
    assert code == 1 and "FAIL: " in out and "manifest.sig: the exporter's signature does not hold" in out, out


def test_removing_only_the_signature_is_tampering(audited: Audited, signed_bundle: Path) -> None:
    files = _members(signed_bundle)
    del files[bundle_format.MANIFEST_SIG]
    _pack(signed_bundle, files)
    code, out = audited.verify(signed_bundle)
    assert code == 1 and "names an exporter but manifest.sig is missing: the signature was removed" in out, out


def test_a_format_1_bundle_verifies_with_a_clear_message(audited: Audited, signed_bundle: Path) -> None:
    """Bundles written before exports were signed: read, checked as far as they go, and said to be unverified."""
    rewrite(signed_bundle, lambda files: None, "format-1", audited.world)
    code, out = audited.verify(signed_bundle)
    assert code == 1 and "FAIL" not in out, out
    assert "UNVERIFIED: " in out and "format 1 bundle (made before exports were signed)" in out
    assert "--strict: NOT verified" in out
    code, out = audited.verify(signed_bundle, strict=False)
    assert code == 0 and "intact, but" in out and "FAIL" not in out


def test_an_unknown_bundle_version_is_an_input_error(audited: Audited, signed_bundle: Path) -> None:
    files = _members(signed_bundle)
    manifest = json.loads(files[bundle_format.MANIFEST])
    manifest["version"] = 9
    files[bundle_format.MANIFEST] = json.dumps(manifest).encode()
    _pack(signed_bundle, files)
    code, out = audited.verify(signed_bundle)
    assert code == 2 and "bundle version 9 is not one this program reads" in out, out


# --- jsonl: the closing record is what the exporter signs ----------------------------------------------

@pytest.fixture
def signed_jsonl(audited: Audited, tmp_path: Path) -> Path:
    original = audited.folder / "sealed.jsonl"
    if not original.exists():
        audited.export("jsonl", "sealed.jsonl")
    copy = tmp_path / "audit.jsonl"
    shutil.copy(original, copy)
    return copy


def _jsonl_events(path: Path) -> tuple[list[dict[str, object]], dict[str, object]]:
    lines = [json.loads(line) for line in path.read_bytes().splitlines()]
    return lines[:-1], lines[-1]


def test_the_untampered_signed_jsonl_is_intact_and_verified(audited: Audited, signed_jsonl: Path) -> None:
    code, out = audited.verify(signed_jsonl)
    assert code == 0 and "closing record signed by the exporter alice@example.com" in out, out
    _, closing = _jsonl_events(signed_jsonl)
    assert closing["version"] == 2 and closing["exporter"]["principal"] == "alice@example.com"  # type: ignore[index]


@pytest.mark.parametrize("claims", [
    {"complete": False, "filter": {}},
    {"complete": False, "filter": {"since": T[0]}},
    {"complete": False, "filter": {"change": "FEATURE"}},
    {"complete": False, "filter": {"service": "web"}},
    {"complete": True, "filter": {}},
])
@pytest.mark.parametrize("seal", ["kept", "stripped", "format-1"])
def test_a_jsonl_with_a_revoke_deleted_and_its_claims_rewritten_never_verifies(
        audited: Audited, signed_jsonl: Path, claims: dict[str, object], seal: str) -> None:
    events, closing = _jsonl_events(signed_jsonl)
    selection = {k: (audited.feature if v == "FEATURE" else v) for k, v in claims["filter"].items()}  # type: ignore[union-attr]
    rebuilt = json.loads(_closing_over(_without(events, audited.revoke_id), bool(claims["complete"]), selection,
                                       version=1 if seal == "format-1" else 2).splitlines()[-1])
    if seal == "kept":
        rebuilt.update(exporter=closing["exporter"], exported_at=closing["exported_at"], signature=closing["signature"])
    body = "".join(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for e in _without(events, audited.revoke_id))
    signed_jsonl.write_bytes((body + json.dumps(rebuilt, sort_keys=True, separators=(",", ":")) + "\n").encode())
    code, out = audited.verify(signed_jsonl)
    assert code == 1, out
    if seal == "kept":
        assert "the exporter's signature does not hold" in out, out
    else:
        assert "UNVERIFIED: " in out and ("format 1 export" if seal == "format-1" else "unsigned export") in out, out


def test_a_jsonl_resealed_by_a_key_the_team_does_not_list_fails(audited: Audited, signed_jsonl: Path) -> None:
    from reviewer_app.core.export.seal import record_statement

    events, closing = _jsonl_events(signed_jsonl)
    rebuilt = json.loads(_closing_over(_without(events, audited.revoke_id)).splitlines()[-1])
    mallory = audited.world.keys["mallory"]
    rebuilt.update(exporter={"principal": "mallory@example.com", "key": mallory.public_key.fingerprint},
                   exported_at=closing["exported_at"])
    rebuilt["signature"] = keys.file_signer(mallory.path, "mallory@example.com").sign(record_statement(rebuilt))
    body = "".join(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for e in _without(events, audited.revoke_id))
    signed_jsonl.write_bytes((body + json.dumps(rebuilt, sort_keys=True, separators=(",", ":")) + "\n").encode())
    code, out = audited.verify(signed_jsonl)
    assert code == 1 and "the exporter mallory@example.com is not trusted to seal: unknown principal" in out, out


def test_only_jsonl_and_bundle_exports_can_be_signed(audited: Audited) -> None:
    code, _, err = audited.world.cli("export", "--format", "csv", "--output", str(audited.folder / "x.csv"),
                                     "--key", str(audited.world.keys["alice"].path), "--as", "alice@example.com")
    assert code == 2 and "only jsonl and bundle exports can be signed" in err


def test_verify_export_on_csv_and_html_says_which_formats_it_reads(audited: Audited) -> None:
    for fmt, what in (("csv", "a CSV export"), ("html", "an HTML report")):
        path = audited.export(fmt, f"audit.{fmt}", signed=False)
        code, out = audited.verify(path)
        assert code == 2 and f"{what} cannot be verified" in out and "jsonl, in-toto" in out and "bundle" in out


# --- revoked keys: trust given on the command line adds to the bundle's revocations ----------------------

@pytest.fixture(scope="module")
def revoked_world(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    """mallory's key was stolen: the team revoked it in .reviewer/revoked_keys, but the thief signed with it."""
    folder = tmp_path_factory.mktemp("revoked")
    made = Audited(_world(folder, revoked=True), folder)
    made.world.sign("alice", made.feature, at=T[0])
    made.world.sign("mallory", made.feature, at=T[1])
    return made


@pytest.fixture
def revoked_bundle(revoked_world: Audited, tmp_path: Path) -> Path:
    original = revoked_world.folder / "sealed.tar.gz"
    if not original.exists():
        revoked_world.export("bundle", "sealed.tar.gz")
    copy = tmp_path / "audit.tar.gz"
    shutil.copy(original, copy)
    return copy


def test_the_bundles_revocations_apply_with_the_auditors_allowed_signers(revoked_world: Audited,
                                                                        revoked_bundle: Path) -> None:
    code, out = revoked_world.verify(revoked_bundle)
    assert code == 1, out
    assert "FAIL: " in out and "revoked: key" in out and "revoked_keys" in out, out
    assert "revocations applied: " in out and "revoked_keys (1 keys)" in out, out


def test_an_auditors_revocation_list_adds_to_the_bundles(revoked_world: Audited, revoked_bundle: Path,
                                                         tmp_path: Path) -> None:
    unrelated = tmp_path / "auditor_revoked"
    unrelated.write_text(revoked_world.world.line("dana") + "\n")
    code, out = revoked_world.verify(revoked_bundle, "--revoked", str(unrelated))
    assert code == 1 and "revoked: key" in out, out
    assert f"{unrelated} (1 keys)" in out and "revoked_keys (1 keys)" in out, out


def test_a_krl_in_the_bundle_applies_too(revoked_world: Audited, revoked_bundle: Path, tmp_path: Path) -> None:
    krl = tmp_path / "revoked.krl"
    subprocess.run(["ssh-keygen", "-q", "-k", "-f", str(krl), str(revoked_world.world.keys["mallory"].pub_path)],
                   check=True)
    files = _members(revoked_bundle)
    files[bundle_format.REVOKED_KEYS] = krl.read_bytes()
    _pack(revoked_bundle, files)
    code, out = revoked_world.verify(revoked_bundle)
    assert code == 1 and "revoked" in out and "a binary KRL" in out, out


@pytest.mark.parametrize("how", HOWS)
def test_removing_the_bundles_revocations_never_verifies(revoked_world: Audited, revoked_bundle: Path,
                                                        how: str) -> None:
    def drop(files: dict[str, bytes]) -> None:
        del files[bundle_format.REVOKED_KEYS]
    rewrite(revoked_bundle, drop, how, revoked_world.world)
    code, out = revoked_world.verify(revoked_bundle)
    assert code == 1, out
    if how == "stale":
        assert "revoked_keys is listed in the manifest but missing" in out, out
    else:
        assert EXPECTED_BY_HOW[how] in out or "revoked" in out, out


def test_a_revoked_exporter_cannot_seal(revoked_world: Audited, tmp_path: Path) -> None:
    out = tmp_path / "by-mallory.tar.gz"
    files = _members(revoked_world.export("bundle", "unsealed.tar.gz", signed=False))
    files.pop(bundle_format.MANIFEST)
    mallory = revoked_world.world.keys["mallory"]
    manifest = {"format": bundle_format.BUNDLE_FORMAT, "version": 2, "files": _sums(files), "config_commit": None,
                "exporter": {"principal": "mallory@example.com", "key": mallory.public_key.fingerprint},
                "exported_at": T[2]}
    files[bundle_format.MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
    files[bundle_format.MANIFEST_SIG] = keys.file_signer(mallory.path, "mallory@example.com").sign(
        files[bundle_format.MANIFEST]).encode()
    _pack(out, files)
    code, text = revoked_world.verify(out)
    assert code == 1 and "the exporter mallory@example.com is not trusted to seal: revoked" in text, text


# --- honest exports stay verifiable: the checks above must not cry wolf -----------------------------

@pytest.mark.parametrize("selection", [("--since", T[2]), ("--until", T[3]), ("--since", T[1], "--until", T[4]),
                                       ("--change", "FEATURE")])
def test_honest_filtered_signed_exports_verify(audited: Audited, tmp_path: Path, selection: tuple[str, ...]) -> None:
    argv = [audited.feature if value == "FEATURE" else value for value in selection]
    for fmt, name in (("jsonl", "filtered.jsonl"), ("bundle", "filtered.tar.gz")):
        path = audited.export(fmt, name, *argv)
        code, out = audited.verify(path)
        assert code == 0 and "FAIL" not in out and "UNVERIFIED" not in out, out


def test_honest_unsigned_exports_are_intact_but_not_verified(audited: Audited) -> None:
    for fmt, name in (("jsonl", "plain.jsonl"), ("bundle", "plain.tar.gz")):
        path = audited.export(fmt, name, signed=False)
        code, out = audited.verify(path)
        assert code == 1 and "FAIL" not in out and "--strict: NOT verified" in out, out
        assert "unsigned export (made without --key)" in out or "unsigned bundle (exported without --key)" in out
        # Without --strict: no tampering found is exit 0, and the last line still says what is unverified.
        code, out = audited.verify(path, strict=False)
        assert code == 0 and "FAIL" not in out and "intact, but" in out.splitlines()[-1] and "UNVERIFIED" in out, out
    closing_v1 = json.loads((audited.folder / "plain.jsonl").read_bytes().splitlines()[-1])
    closing_v1["version"] = 1
    lines = (audited.folder / "plain.jsonl").read_bytes().splitlines()[:-1]
    old = audited.folder / "format1.jsonl"
    old.write_bytes(b"\n".join([*lines, json.dumps(closing_v1).encode()]) + b"\n")
    code, out = audited.verify(old)
    assert code == 1 and "FAIL" not in out and "format 1 export: the closing record is not signed" in out, out
    assert audited.verify(old, strict=False)[0] == 0


def test_verified_output_names_each_signers_head_to_compare_with_the_refs(audited: Audited, signed_bundle: Path) -> None:
    code, out = audited.verify(signed_bundle)
    assert code == 0
    assert "head of alice@example.com: 3 events, last sha256:" in out and "head of carol@example.com: 1 events" in out


def test_in_toto_summaries_are_reported_unverified(audited: Audited) -> None:
    code, out = audited.verify(audited.export("intoto", "audit.intoto.jsonl", signed=False))
    assert code == 1 and "FAIL" not in out, out
    assert "UNVERIFIED: " in out and "in-toto statements are not signed as a whole" in out


@pytest.mark.parametrize("field, value, named", [
    ("complete", "yes", "'complete' must be true or false"),
    ("filter", "everything", "'filter' must be an object of non-empty strings"),
    ("filter", {"author": "dana@example.com"}, "the filter names author, which no export applies"),
    ("version", 3, "closing record version 3 is not one this program reads"),
    ("heads", ["alice@example.com"], "has events but is not in the closing record"),
    ("signature", 5, "the seal's signature is not an armored SSH signature"),
    ("exporter", "alice@example.com", "the seal names no exporter"),
    ("exported_at", "yesterday", "exported_at: not a UTC timestamp"),
])
def test_a_malformed_closing_record_is_named_never_a_crash(audited: Audited, signed_jsonl: Path, field: str,
                                                           value: object, named: str) -> None:
    lines = signed_jsonl.read_bytes().splitlines()
    closing = json.loads(lines[-1])
    closing[field] = value
    signed_jsonl.write_bytes(b"\n".join([*lines[:-1], json.dumps(closing).encode()]) + b"\n")
    code, out = audited.verify(signed_jsonl)
    assert code == 1 and "FAIL: " in out and named in out, out
