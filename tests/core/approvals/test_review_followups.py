"""Follow-ups of the approvals red-team review: caches that must not change an answer, the revoke
command's idea of "standing approval" matching the gate's, and the binary-patch decoder's errors."""

from __future__ import annotations

import json
import subprocess
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reviewer_app.cli import main as cli_main
from reviewer_app.core import binarypatch, store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys
from reviewer_app.core.signing.allowed_signers import UNKNOWN_PRINCIPAL, TrustStore

from .conftest import MakeKey
from .team import Team, make_team

AT = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    return make_team(tmp_path_factory.mktemp("followups"))


def test_the_fingerprint_is_computed_once_and_matches_ssh_keygen(make_key: MakeKey) -> None:
    pair = make_key("cached", "ecdsa")
    listed = subprocess.run(["ssh-keygen", "-l", "-f", str(pair.pub_path)], capture_output=True, text=True,
                            check=True).stdout.split()[1]
    key = pair.public_key
    assert "fingerprint" not in vars(key)
    assert key.fingerprint == listed
    assert vars(key)["fingerprint"] == listed  # stored on the instance: the next read does not hash again
    assert key.fingerprint is key.fingerprint


def test_the_per_principal_cache_gives_the_same_decisions_and_follows_a_new_signer_list(make_key: MakeKey,
                                                                                         tmp_path: Path) -> None:
    alice, bob = make_key("alice"), make_key("bob")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.com {alice.line}\n*@example.com,!alice@example.com {bob.line}\n")
    trust = TrustStore.from_files(allowed)
    for _ in range(2):  # the second round is answered from the cache
        assert trust.check("alice@example.com", alice.public_key, events.NAMESPACE, AT).ok
        assert trust.check("bob@example.com", bob.public_key, events.NAMESPACE, AT).ok
        refused = trust.check("alice@example.com", bob.public_key, events.NAMESPACE, AT)
        assert not refused.ok and refused.reason == UNKNOWN_PRINCIPAL
    assert [s.line_no for s in trust.signers_naming("carol@example.com")] == [2]
    assert trust.keys_for("alice@example.com", events.NAMESPACE) == [alice.public_key]
    # Whoever replaces or extends the list gets answers about the new list, not the cached one.
    trust.signers = trust.signers[1:]
    assert trust.check("alice@example.com", alice.public_key, events.NAMESPACE, AT).reason == UNKNOWN_PRINCIPAL
    trust.signers.extend(TrustStore.from_files(allowed).signers[:1])
    assert trust.check("alice@example.com", alice.public_key, events.NAMESPACE, AT).ok


def _signed(signer: keys.Signer, type: str, change_id: str, prev: str | None, comment: str) -> events.SignedEvent:
    payload = events.canonical_json({
        "v": events.PAYLOAD_VERSION, "type": type, "change_id": change_id, "principal": signer.principal,
        "key": signer.fingerprint, "created_at": "2026-11-29T12:00:00Z", "prev": prev, "acks": [], "comment": comment,
    })
    return events.SignedEvent(events.event_id(payload), payload, signer.sign(payload.encode()))


def test_revoke_reads_a_same_second_approve_then_reject_in_chain_order(team: Team, capsys: pytest.CaptureFixture[str]
                                                                       ) -> None:
    """Bob approved, then rejected in the same second; a sync stored the reject's row first. The gate
    sees a standing reject, so revoke must not claim there is an approval to withdraw."""
    repo = str(team.repo.path)
    assert cli_main.main(["submit", "--git", "main..feature", "--repo", repo]) == 0
    change_id = capsys.readouterr().out.split()[0]
    bob = team.signer("bob")
    approve = _signed(bob, "approve", change_id, None, "looks fine")
    reject = _signed(bob, "reject", change_id, approve.id, "no: it deletes the data")
    db = store.open_db()
    assert events.append_events(db, [reject, approve], origin="sync", pushed=True) == 2  # rows: reject, approve

    code = cli_main.main(["revoke", change_id, "--key", str(team.keys["bob"].path), "--as", "bob@example.com",
                          "--repo", repo])
    assert code == 2 and "no standing approval" in capsys.readouterr().err
    assert cli_main.main(["gate", "--git", "main..feature", "--repo", repo]) == 1
    assert "rejected by bob@example.com: no: it deletes the data" in capsys.readouterr().out

    # The other way round (reject, then approve in the same second) the approval stands and can be revoked.
    again = _signed(bob, "approve", change_id, reject.id, "fixed after all")
    assert events.append_events(db, [again], origin="sync", pushed=True) == 1
    code = cli_main.main(["revoke", change_id, "--key", str(team.keys["bob"].path), "--as", "bob@example.com",
                          "--repo", repo])
    assert code == 0 and "revoked the approval" in capsys.readouterr().out


def _b85_lines(data: bytes) -> str:
    """git's base85 data lines for ``data`` (the encoder, written from the format's description)."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
    lines = []
    for start in range(0, len(data), 52):
        chunk = data[start:start + 52]
        head = chr(ord("A") + len(chunk) - 1) if len(chunk) <= 26 else chr(ord("a") + len(chunk) - 27)
        padded = chunk + b"\0" * (-len(chunk) % 4)
        body = ""
        for i in range(0, len(padded), 4):
            value = int.from_bytes(padded[i:i + 4], "big")
            digits = []
            for _ in range(5):
                value, digit = divmod(value, 85)
                digits.append(alphabet[digit])
            body += "".join(reversed(digits))
        lines.append(head + body)
    return "\n".join(lines)


def _binary_patch(forward: tuple[str, bytes], reverse: tuple[str, bytes], old_id: str, new_id: str) -> bytes:
    blocks = "\n\n".join(f"{kind} {len(raw)}\n{_b85_lines(zlib.compress(raw))}" for kind, raw in (forward, reverse))
    return (f"diff --git a/x.bin b/x.bin\nindex {old_id}..{new_id} 100644\nGIT binary patch\n{blocks}\n\n").encode()


def test_a_broken_delta_is_a_named_problem_never_an_exception() -> None:
    old = b"\0old content of the file"
    old_id = binarypatch.blob_id(old, "0" * 40)
    # The delta's header claims a base of another size; then one that stops inside a copy instruction.
    other_base = bytes([len(old) + 5, 3]) + b"\x03new"
    truncated = bytes([len(old), 4]) + b"\x91"  # copy: offset byte and size byte promised, neither given
    for delta, fragment in ((other_base, "made against other content"), (truncated, "truncated delta")):
        patch = _binary_patch(("delta", delta), ("literal", old), old_id, "f" * 40)
        [(path, problem)] = binarypatch.binary_data_problems(patch)
        assert path == "a/x.bin b/x.bin" and "does not apply" in problem and fragment in problem
        assert binarypatch.binary_contents(patch) == {}  # unverifiable data is never taken for content
    with pytest.raises(ValueError, match="truncated"):
        binarypatch.apply_delta(old, truncated)


def test_a_genuine_delta_decodes_to_both_sides() -> None:
    old = b"\0" + b"a" * 40
    new = old + b"tail"
    delta = bytes([len(old), len(new), 0x90, len(old), 4]) + b"tail"  # copy all of old, insert "tail"
    old_id, new_id = binarypatch.blob_id(old, "0" * 40), binarypatch.blob_id(new, "0" * 40)
    patch = _binary_patch(("delta", delta), ("literal", old), old_id, new_id)
    assert binarypatch.binary_data_problems(patch) == []
    assert binarypatch.binary_contents(patch) == {old_id: old, new_id: new}


def test_verify_export_says_an_in_toto_verdict_is_an_unsigned_summary(team: Team, tmp_path: Path) -> None:
    """The signed reviews are checked; the verdict beside them is the exporter's word, and the result says so."""
    from reviewer_app.core.export.intoto import PREDICATE_TYPE, STATEMENT_TYPE
    from reviewer_app.core.export.verify import verify_export

    change_id = "sha256:" + "c" * 64
    review = _signed(team.signer("alice"), "approve", change_id, None, "fine")
    statement = {
        "_type": STATEMENT_TYPE, "predicateType": PREDICATE_TYPE,
        "subject": [{"name": "x", "digest": {"sha256": "c" * 64}}],
        "predicate": {"change": {"id": change_id}, "verdict": {"result": "approved", "details": []},
                      "reviews": [{"event_id": review.id, "type": "approve", "principal": "alice@example.com",
                                   "level": "senior", "key_fingerprint": team.keys["alice"].public_key.fingerprint,
                                   "created_at": "2026-11-29T12:00:00Z", "payload": review.payload,
                                   "signature": review.signature}]},
    }
    allowed = team.repo.path / ".reviewer" / "allowed_signers"
    path = tmp_path / "audit.intoto.jsonl"
    for verdict in ("approved", "not approved"):  # either way: nothing signed says which
        statement["predicate"]["verdict"]["result"] = verdict  # type: ignore[index]
        path.write_text(json.dumps(statement) + "\n")
        result = verify_export(path, allowed_signers=allowed)
        assert result.intact, result.problems
        assert any(line.startswith("not re-derived: each statement's verdict") for line in result.checked)
    statement["predicate"]["reviews"][0]["principal"] = "bob@example.com"  # type: ignore[index]
    path.write_text(json.dumps(statement) + "\n")
    assert any("principal" in p for p in verify_export(path, allowed_signers=allowed).problems)
