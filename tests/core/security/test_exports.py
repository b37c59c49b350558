"""Red team: exports that verify-export must not call intact after tampering.

Documented limits (docs/audit.md), shown here rather than hidden: unless the exporter signed the
export (``export --key``), the closing record and the bundle manifest are not signed, so a
consistent rewrite of them can drop events: verify-export reports those parts as unverified; the
in-toto statements are unsigned summaries around signed reviews. A bundle verified with its *own*
allowed_signers proves nothing against someone who rewrote the bundle: verify-export reports the
trust as unverified, and with the team's allowed_signers the forgery shows. The attacks on signed
exports are in test_export_tampering.py.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys
from reviewer_app.core.export import ExportFilter, bundle as bundle_format, write_export
from reviewer_app.core.export.verify import verify_export

from .world import World, approval_payload, make_world, plain_lines


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("exports"), people=("alice", "bob", "dana", "mallory"))
    made.repo.write("assets/logo.bin", b"\x00\x01\x02 logo")
    made.configure(plain_lines(made, "alice", "bob"))
    made.branch("notes", {"docs/notes.md": "notes\n"}, "Add notes")
    made.branch("logo", {}, "noop")
    made.repo.git("checkout", "-q", "logo")
    made.repo.write("assets/logo.bin", b"\x00\x01\x03 new logo")
    made.repo.commit("New logo")
    made.repo.git("checkout", "-q", "main")
    repo = str(made.repo.path)
    for branch in ("notes", "logo"):
        code, out, err = made.cli("submit", "--repo", repo, "--git", f"main..{branch}")
        assert code == 0, err
    notes = made.analysis("git:main..notes")["change_id"]
    logo = made.analysis("git:main..logo")["change_id"]
    made.sign("alice", notes)
    made.sign("bob", logo)
    return made


def _export(world: World, fmt: str, folder: Path) -> Path:
    out = folder / f"export.{ 'tar.gz' if fmt == 'bundle' else fmt}"
    write_export(world.db, fmt, out, ExportFilter(), repo=world.repo.path)
    return out


def _rewrite_bundle(path: Path, change: "dict[str, bytes | None]") -> None:
    """Rewrite members and recompute the (unsigned) manifest, as a careful attacker would."""
    files = bundle_format.read_bundle(path.read_bytes(), str(path))
    files.pop(bundle_format.MANIFEST)
    files.pop(bundle_format.MANIFEST_SIG, None)
    for name, data in change.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    buffer = io.BytesIO()
    bundle_format.write_bundle(files, buffer)
    path.write_bytes(buffer.getvalue())


def test_a_bundle_verified_with_its_own_signers_says_so(world: World, tmp_path: Path) -> None:
    """mallory swaps in her own allowed_signers and an approval signed by her key in alice's name."""
    bundle = _export(world, "bundle", tmp_path)
    honest_signers = tmp_path / "team_allowed_signers"
    honest_signers.write_bytes((world.repo.path / ".reviewer/allowed_signers").read_bytes())
    assert verify_export(bundle).intact
    files = bundle_format.read_bundle(bundle.read_bytes(), "b")
    notes = world.analysis("git:main..notes")["change_id"]
    mallory = world.keys["mallory"]
    forged = world.sign("mallory", notes, principal="alice@example.com", at="2026-11-29T11:00:00Z",
                        db=_scratch_db(tmp_path))
    jsonl = files[bundle_format.EVENTS].decode().splitlines()[:-1]  # drop the closing record, add the event
    jsonl.append(json.dumps({"change_id": forged.change_id, "created_at": forged.created_at, "id": forged.id,
                             "payload": forged.payload, "principal": forged.principal,
                             "signature": forged.signature, "type": forged.type}, sort_keys=True,
                            separators=(",", ":"), ensure_ascii=False))
    _rewrite_bundle(bundle, {
        bundle_format.EVENTS: _close("\n".join(jsonl) + "\n"),
        bundle_format.ALLOWED_SIGNERS: f"alice@example.com {mallory.line}\nbob@example.com {world.line('bob')}\n".encode(),
    })
    own = verify_export(bundle)
    assert any("the bundle's own allowed_signers" in line for line in own.unverified), own.unverified
    assert not own.verified
    with_team = verify_export(bundle, allowed_signers=honest_signers)
    assert not with_team.intact
    assert any(forged.id in problem and "not listed" in problem for problem in with_team.problems), with_team.problems


def _scratch_db(folder: Path) -> sqlite_utils.Database:
    return store.open_db(folder / "scratch.db")


def _close(body: str) -> bytes:
    """A closing record recomputed over ``body`` (what the unsigned record allows)."""
    import hashlib

    lines = [json.loads(line) for line in body.splitlines()]
    heads: dict[str, dict[str, object]] = {}
    for record in lines:
        head = heads.setdefault(record["principal"], {"first": record["id"], "last": record["id"], "count": 0})
        head["last"] = record["id"]
        head["count"] = int(head["count"]) + 1  # type: ignore[call-overload]
    closing = {"complete": True, "events": len(lines), "filter": {}, "heads": heads,
               "record": "reviewer-app/export-close", "sha256": hashlib.sha256(body.encode()).hexdigest(), "version": 1}
    return (body + json.dumps(closing, sort_keys=True, separators=(",", ":")) + "\n").encode()


def test_a_swapped_binary_in_a_bundle_patch_is_caught(world: World, tmp_path: Path) -> None:
    """The change id hashes a binary file's blob ids, not its data: replacing the data kept the id, and the
    bundle still looked intact. The data must hash to the blob id it claims."""
    bundle = _export(world, "bundle", tmp_path)
    files = bundle_format.read_bundle(bundle.read_bytes(), "b")
    logo = world.analysis("git:main..logo")["change_id"]
    name = f"{bundle_format.PATCH_DIR}{logo.removeprefix('sha256:')}.patch"
    patch = files[name].decode()
    assert "GIT binary patch" in patch
    world.repo.git("checkout", "-q", "-b", "evil-logo", "main")
    world.repo.write("assets/logo.bin", b"\x07\x07 evil logo")
    evil = world.repo.git("diff", "--binary", "--", "assets/logo.bin")
    world.repo.git("checkout", "-q", "-f", "main")
    world.repo.git("branch", "-q", "-D", "evil-logo")
    forged = patch.partition("GIT binary patch")[0] + "GIT binary patch" + evil.partition("GIT binary patch")[2]
    _rewrite_bundle(bundle, {name: forged.encode()})
    result = verify_export(bundle)
    assert not result.intact
    assert any(name in problem and "assets/logo.bin" in problem for problem in result.problems), result.problems


@pytest.mark.parametrize("damage", ["reviews is a string", "a review is a list", "review lacks payload",
                                    "subject is empty", "predicate is a list"])
def test_a_malformed_in_toto_statement_is_a_problem_not_a_crash(world: World, tmp_path: Path, damage: str) -> None:
    path = _export(world, "intoto", tmp_path)
    statements = [json.loads(line) for line in path.read_text().splitlines()]
    target = statements[0]
    if damage == "reviews is a string":
        target["predicate"]["reviews"] = "approved by everyone"
    elif damage == "a review is a list":
        target["predicate"]["reviews"] = [["alice"]]
    elif damage == "review lacks payload":
        del target["predicate"]["reviews"][0]["payload"]
    elif damage == "subject is empty":
        target["subject"] = []
    else:
        target["predicate"] = []
    path.write_text("\n".join(json.dumps(s) for s in statements) + "\n")
    result = verify_export(path, allowed_signers=world.repo.path / ".reviewer/allowed_signers")
    assert not result.intact and any(":1:" in p for p in result.problems), result.problems


def test_an_in_toto_review_moved_to_another_change_is_caught(world: World, tmp_path: Path) -> None:
    path = _export(world, "intoto", tmp_path)
    first, second = [json.loads(line) for line in path.read_text().splitlines()]
    second["predicate"]["reviews"].append(first["predicate"]["reviews"][0])
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    result = verify_export(path, allowed_signers=world.repo.path / ".reviewer/allowed_signers")
    assert any("change_id" in p for p in result.problems), result.problems


def test_an_approval_by_an_untrusted_key_in_a_jsonl_export_is_caught(world: World, tmp_path: Path) -> None:
    """mallory's real key signs an approval claiming bob; the closing record is recomputed to match."""
    path = _export(world, "jsonl", tmp_path)
    notes = world.analysis("git:main..notes")["change_id"]
    payload = approval_payload(notes, "bob@example.com", world.keys["mallory"].public_key.fingerprint,
                               at="2026-11-29T12:00:00Z")
    signature = keys.file_signer(world.keys["mallory"].path, "bob@example.com").sign(payload.encode())
    body = path.read_text().splitlines()[:-1]
    body.append(json.dumps({"change_id": notes, "created_at": "2026-11-29T12:00:00Z", "id": events.event_id(payload),
                            "payload": payload, "principal": "bob@example.com", "signature": signature,
                            "type": "approve"}, sort_keys=True, separators=(",", ":")))
    path.write_bytes(_close("\n".join(body) + "\n"))
    result = verify_export(path, allowed_signers=world.repo.path / ".reviewer/allowed_signers")
    assert not result.intact
    assert any("unknown principal" in p for p in result.problems), result.problems


def test_a_gzip_that_is_not_a_bundle_is_an_input_error(tmp_path: Path) -> None:
    from reviewer_app.errors import UserError

    path = tmp_path / "x.tar.gz"
    path.write_bytes(gzip.compress(b"not a tar file at all"))
    with pytest.raises(UserError):
        verify_export(path)
    with tarfile.open(tmp_path / "empty.tar.gz", "w:gz"):
        pass
    with pytest.raises(UserError, match="manifest"):
        verify_export(tmp_path / "empty.tar.gz")


def test_genuine_binary_patches_pass_the_data_check_and_forged_deltas_do_not(git_repo) -> None:  # type: ignore[no-untyped-def]
    """Real ``git diff --binary`` output (literals, and deltas for a large file changed a little) checks out;
    a delta pointing elsewhere does not."""
    import random

    from reviewer_app.core.binarypatch import binary_data_problems

    rng = random.Random(7)
    big = bytes(rng.randrange(256) for _ in range(60_000))
    git_repo.write("big.bin", big)
    git_repo.write("small.bin", b"\x00small")
    git_repo.commit("base")
    changed = bytearray(big)
    changed[1000:1010] = b"\xff" * 10
    git_repo.write("big.bin", bytes(changed))
    git_repo.write("small.bin", b"\x00smaller")
    git_repo.write("new.bin", b"\x00\x01 brand new")
    git_repo.git("add", "-A")
    patch = git_repo.git("diff", "--cached", "--binary").encode()
    assert b"\ndelta " in patch and b"\nliteral " in patch
    assert binary_data_problems(patch) == []
    # Both of big.bin's blocks are deltas, so the patch alone cannot show its content; given the old
    # content (what the reverse block would be as a literal), a forward delta is applied and checked.
    from reviewer_app.core import binarypatch

    lines = patch.decode().split("\n")
    at = lines.index("GIT binary patch", next(i for i, line in enumerate(lines) if line.startswith("diff --git a/big.bin")))
    forward, _ = binarypatch.read_block(lines, at + 1)
    assert forward is not None and forward[0] == "delta"
    assert binarypatch.apply_delta(big, forward[1]) == bytes(changed)
    ids = next(line for line in lines[max(0, at - 3):at] if line.startswith("index ")).split()[1].split("..")
    assert binarypatch.check_data(forward, ("literal", big), ids[0], ids[1]) is None
    other = bytearray(big)
    other[2000:2010] = b"\xee" * 10
    # old data that is not the named blob, or a delta that builds other content, is named
    assert "old data does not hash" in (binarypatch.check_data(forward, ("literal", bytes(other)), ids[0], ids[1]) or "")
    assert "new data does not hash" in (binarypatch.check_data(forward, ("literal", big), ids[0], "f" * 40) or "")


def test_a_message_line_reading_git_binary_patch_is_not_binary_data() -> None:
    from reviewer_app.core.binarypatch import binary_data_problems

    patch = (b"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\n"
             b"GIT binary patch\nliteral 3\n\n---\ndiff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n"
             b"@@ -1 +1 @@\n-a\n+GIT binary patch\n")
    assert binary_data_problems(patch) == []
