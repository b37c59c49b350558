"""Audit exports show threads and each approval's evidence, flag fast or partial reviews, and verify."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.cli import main as cli_main
from reviewer_app.core import store
from reviewer_app.core.approvals import decisions
from tests.core.approvals.team import Team, make_team


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    return make_team(tmp_path_factory.mktemp("team"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sign_approval(team: Team, change_id: str, who: str, review: dict[str, Any] | None) -> str:
    db = store.open_db()
    analysis = store.get_analysis(db, change_id)
    assert analysis is not None
    draft = decisions.draft_decision(db, change_id, "approve", analysis, f"{who}@example.com", ack_all=True,
                                     evidence=review)
    return decisions.sign_draft(db, team.signer(who), draft).id


def test_reports_show_threads_evidence_and_flags_and_the_intoto_export_verifies(team: Team, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = str(team.repo.path)
    code, out, err = run(capsys, "submit", "--git", "main..feature", "--repo", repo)
    assert code == 0, err
    change = out.split()[0]
    hasty = sign_approval(team, change, "alice", {"files_viewed": 0, "files_total": 1, "lines_seen": 0,
                                                  "lines_changed": 5, "active_seconds": 10, "client": "gui"})
    careful = sign_approval(team, change, "bob", {"files_viewed": 1, "files_total": 1, "lines_seen": 5,
                                                  "lines_changed": 5, "active_seconds": 120, "client": "gui"})
    at_terminal = sign_approval(team, change, "mike", None)  # the command line's evidence: nothing measured
    code, out, err = run(capsys, "comment", change, "--path", "app/cleanup.py", "--line", "5", "--message",
                         "rm -rf of the database folder?", "--key", str(team.keys["bob"].path), "--as",
                         "bob@example.com", "--repo", repo)
    assert code == 0, err
    thread = out.strip()

    html = tmp_path / "audit.html"
    assert run(capsys, "export", "--format", "html", "--output", str(html), "--repo", repo)[0] == 0
    page = html.read_text()
    assert "FLAG: 1,800 lines per hour (over 500)" in page
    assert "FLAG: at least 1 unviewed file(s) held findings" in page
    assert "gui: 1/1 files viewed, 5/5 changed lines seen, 120 s active" in page
    assert "cli: signed at the command line" in page
    assert "app/cleanup.py:5 (new)" in page and "rm -rf of the database folder?" in page
    assert page.count("FLAG:") == 2  # bob's review is within the rate and saw every file

    table = tmp_path / "audit.csv"
    assert run(capsys, "export", "--format", "csv", "--output", str(table))[0] == 0
    rows = {row["event_id"]: row for row in csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))}
    assert (rows[hasty]["client"], rows[hasty]["lines_per_hour"], rows[hasty]["files_viewed"]) == ("gui", "1800", "0")
    assert (rows[at_terminal]["client"], rows[at_terminal]["active_seconds"], rows[at_terminal]["lines_changed"]) == \
        ("cli", "", "5")
    assert (rows[thread]["thread"], rows[thread]["path"], rows[thread]["line"], rows[thread]["comment"]) == \
        (thread, "app/cleanup.py", "5", "rm -rf of the database folder?")

    statements = tmp_path / "audit.intoto.jsonl"
    assert run(capsys, "export", "--format", "intoto", "--output", str(statements), "--repo", repo)[0] == 0
    predicate = json.loads(statements.read_text().splitlines()[0])["predicate"]
    reviews = {r["event_id"]: r for r in predicate["reviews"]}
    assert reviews[careful]["evidence"]["active_seconds"] == 120 and reviews[careful]["evidence_flags"] == []
    assert reviews[hasty]["evidence_flags"] == ["1,800 lines per hour (over 500)",
                                                "at least 1 unviewed file(s) held findings"]
    assert reviews[thread]["type"] == "comment" and predicate["threads"][0]["id"] == thread
    allowed = tmp_path / "allowed_signers"
    allowed.write_text((team.repo.path / ".reviewer" / "allowed_signers").read_text())
    code, out, err = run(capsys, "verify-export", str(statements), "--allowed-signers", str(allowed))
    assert ": intact, but 1 parts are UNVERIFIED" in out, out + err
    # The comment inside the statement is checked like a decision: an edited message is caught.
    line = statements.read_text().replace("rm -rf of the database folder?", "looks fine", 1)
    statements.write_text(line)
    code, out, err = run(capsys, "verify-export", str(statements), "--allowed-signers", str(allowed))
    assert code == 1 and thread in out + err and ": intact" not in out, out + err
