"""The jsonl export verifies, each line verifies with ssh-keygen alone, and every tampering shows."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reviewer_app.core.export import ExportFilter, write_export
from reviewer_app.core.export.verify import verify_export
from reviewer_app.errors import UserError
from tests.core.export.conftest import AuditWorld


def _export(world: AuditWorld, tmp_path: Path, selection: ExportFilter | None = None) -> Path:
    out = tmp_path / "audit.jsonl"
    write_export(world.db, "jsonl", out, selection or ExportFilter(), repo=world.repo.path)
    return out


def _signers(world: AuditWorld) -> Path:
    return world.repo.path / ".reviewer" / "allowed_signers"


def _problems(world: AuditWorld, path: Path) -> list[str]:
    return verify_export(path, _signers(world)).problems


def test_export_is_intact_and_shaped_as_documented(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    lines = out.read_bytes().splitlines()
    assert len(lines) == len(world.made) + 1
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records[:-1]] == [e.id for e in world.made]
    assert set(records[0]) == {"id", "type", "change_id", "principal", "created_at", "payload", "signature"}
    close = records[-1]
    assert close["record"] == "reviewer-app/export-close" and close["events"] == 5 and close["complete"] is True
    assert close["heads"]["alice@example.com"] == {"first": world.made[0].id, "last": world.made[4].id, "count": 3}
    result = verify_export(out, _signers(world))
    assert result.problems == [] and result.intact


def test_one_line_verifies_with_ssh_keygen_alone(world: AuditWorld, tmp_path: Path) -> None:
    record = json.loads(_export(world, tmp_path).read_bytes().splitlines()[1])
    (tmp_path / "payload").write_bytes(record["payload"].encode("utf-8"))
    (tmp_path / "sig").write_text(record["signature"], encoding="utf-8")
    with open(tmp_path / "payload", "rb") as payload:
        proc = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(_signers(world)), "-I", record["principal"],
                               "-n", "reviewer-app", "-s", str(tmp_path / "sig")], stdin=payload, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert b"Good \"reviewer-app\" signature for bob@example.com" in proc.stdout


def _rewrite(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(edit(lines)))


def test_edited_byte_in_a_payload_fails_its_signature(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    _rewrite(out, lambda lines: [lines[0].replace(b"HYPERLINK", b"HYPERLINX"), *lines[1:]])
    problems = _problems(world, out)
    assert any(":1: event" in p and "bad signature" in p for p in problems)
    assert any("sha256 over the event lines does not match" in p for p in problems)


def test_edited_unsigned_field_is_caught(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    _rewrite(out, lambda lines: [lines[0], lines[1].replace(b'"type":"approve"', b'"type":"reject"'), *lines[2:]])
    assert any(":2: type 'reject' differs from the signed payload" in p for p in _problems(world, out))


def test_deleted_event_is_caught_by_chain_and_closing_record(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    _rewrite(out, lambda lines: [lines[0], *lines[2:]])  # bob's first event
    problems = _problems(world, out)
    assert any(f"previous event {world.made[1].id} of bob@example.com is not in this complete export" in p
               for p in problems)
    assert any("the closing record says 2 events" in p for p in problems)


def test_inserted_duplicate_event_is_caught(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    _rewrite(out, lambda lines: [lines[0], lines[2], *lines[1:]])
    problems = _problems(world, out)
    assert any("appears twice" in p for p in problems)
    assert any("counts 5 events, the file has 6" in p for p in problems)


def test_reordered_events_are_caught(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    _rewrite(out, lambda lines: [lines[2], lines[0], lines[1], *lines[3:]])  # alice's 2nd before her 1st
    problems = _problems(world, out)
    assert any("comes before its previous event" in p and "reordered" in p for p in problems)


def test_cut_off_tail_is_caught(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    _rewrite(out, lambda lines: lines[:-2])  # alice's last event and the closing record
    assert any("no closing record" in p for p in _problems(world, out))
    out = _export(world, tmp_path)
    _rewrite(out, lambda lines: [*lines[:-2], lines[-1]])  # keep the closing record
    problems = _problems(world, out)
    assert any("alice@example.com: the closing record says 3 events" in p for p in problems)
    out = _export(world, tmp_path)
    out.write_bytes(out.read_bytes()[:-40])  # cut in the middle of a line
    assert any("incomplete" in p for p in _problems(world, out))


def test_untrusted_signer_fails(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path)
    only_bob = tmp_path / "only_bob"
    only_bob.write_text("".join(line for line in _signers(world).read_text().splitlines(keepends=True)
                                if line.startswith("bob@")))
    problems = verify_export(out, only_bob).problems
    assert sum("unknown principal" in p for p in problems) == 3


def test_filtered_export_verifies_without_the_whole_chain(world: AuditWorld, tmp_path: Path) -> None:
    out = _export(world, tmp_path, ExportFilter(change_id=world.other_change_id))
    records = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert {r["change_id"] for r in records[:-1]} == {world.other_change_id}
    assert records[-1]["complete"] is False and records[-1]["filter"] == {"change": world.other_change_id}
    assert _problems(world, out) == []


def test_unreadable_input_is_a_user_error(world: AuditWorld, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read"):
        verify_export(tmp_path / "missing.jsonl", _signers(world))
    out = _export(world, tmp_path)
    with pytest.raises(UserError, match="--allowed-signers"):
        verify_export(out, None)
    with pytest.raises(UserError, match="nope: no such file \\(given with --allowed-signers\\)"):
        verify_export(out, tmp_path / "nope")
    # A revocation list that is not there is an error too: silently applying none would trust revoked keys.
    with pytest.raises(UserError, match="gone: no such file \\(given with --revoked\\)"):
        verify_export(out, _signers(world), tmp_path / "gone")


def test_since_until_select_by_time(world: AuditWorld, tmp_path: Path) -> None:
    created = sorted(e.created_at for e in world.made)
    out = _export(world, tmp_path, ExportFilter.from_cli(since="2000-01-01", until=created[0]))
    assert len(out.read_bytes().splitlines()) == 1  # only the closing record
    with pytest.raises(UserError, match="--since 'yesterday'"):
        ExportFilter.from_cli(since="yesterday")


def test_event_line_is_exactly_canonical_json() -> None:
    from reviewer_app.core.export.jsonl import event_line
    from reviewer_app.core.export.selection import ExportEvent

    event = ExportEvent("sha256:" + "1" * 64, "approve", "sha256:" + "2" * 64, "zoë@example.com",
                        "2026-01-02T03:04:05Z", None, "SHA256:x", '{"comment":"naïve \\"q\\" \\u2028 \\n"}',
                        "-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n")
    record = {"change_id": event.change_id, "created_at": event.created_at, "id": event.id, "payload": event.payload,
              "principal": event.principal, "signature": event.signature, "type": event.type}
    expected = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert event_line(event) == expected.encode("utf-8")


def test_a_file_that_is_no_export_at_all_is_a_user_error(world: AuditWorld, tmp_path: Path) -> None:
    csv_file = tmp_path / "audit.csv"
    write_export(world.db, "csv", csv_file, ExportFilter(), repo=world.repo.path)
    with pytest.raises(UserError, match="audit.csv: a CSV export cannot be verified: .*jsonl, in-toto .* bundle"):
        verify_export(csv_file, _signers(world))
    html_file = tmp_path / "audit.html"
    write_export(world.db, "html", html_file, ExportFilter(), repo=world.repo.path)
    with pytest.raises(UserError, match="audit.html: an HTML report cannot be verified"):
        verify_export(html_file)  # refused for what it is, before asking for --allowed-signers
    other = tmp_path / "notes.txt"
    other.write_bytes(b"just some notes\n")
    with pytest.raises(UserError, match="notes.txt:1: not a reviewer-app export"):
        verify_export(other, _signers(world))
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(UserError, match="empty file"):
        verify_export(empty, _signers(world))
