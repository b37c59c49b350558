"""CSV, HTML, PDF and in-toto exports: content, escaping and verification."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from reviewer_app.core.export import ExportFilter, write_export
from reviewer_app.core.export.csv_export import guard_cell
from reviewer_app.core.export.intoto import PREDICATE_TYPE, STATEMENT_TYPE
from reviewer_app.core.export.verify import verify_export
from tests.core.export.conftest import EVIL_TITLE, AuditWorld


def test_csv_guards_formulas_and_keeps_one_row_per_event(world: AuditWorld, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    write_export(world.db, "csv", out, ExportFilter(), repo=world.repo.path)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == len(world.made)
    comments = [row["comment"] for row in rows]
    assert comments == ["'=HYPERLINK(\"http://evil\")", "fine by me", "ok", "'+1 but no", "'@later"]
    assert rows[0]["change_title"] == EVIL_TITLE and rows[0]["event_id"] == world.made[0].id
    assert guard_cell("-2+3") == "'-2+3" and guard_cell("plain") == "plain" and guard_cell(None) == ""


def test_html_is_self_contained_and_escapes_everything(world: AuditWorld, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    write_export(world.db, "html", out, ExportFilter(), repo=world.repo.path)
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "Fix &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    for external in ("src=", "href=", "@import", "url("):
        assert external not in page
    assert "=HYPERLINK(&quot;http://evil&quot;)" in page  # comments escaped too
    # The change alice (senior) approved meets the default rule; the verdict comes from the policy.
    evil = page.split("<h2>")[1]
    assert "APPROVED" in evil and "senior" in evil and world.people["alice@example.com"].email in evil
    assert "SHA256:" in evil  # key fingerprints are shown
    other = page.split("<h2>")[2]
    assert "NOT APPROVED" in other and "revoke" in other


def test_pdf_is_produced(world: AuditWorld, tmp_path: Path) -> None:
    pytest.importorskip("PySide6.QtGui")
    out = tmp_path / "audit.pdf"
    result = write_export(world.db, "pdf", out, ExportFilter(), repo=world.repo.path)
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000
    assert result.items == 2
    assert not list(tmp_path.glob(".audit.pdf.*"))  # the temporary file was renamed


def test_intoto_statements_per_approved_change(world: AuditWorld, tmp_path: Path) -> None:
    out = tmp_path / "audit.intoto.jsonl"
    write_export(world.db, "intoto", out, ExportFilter(), repo=world.repo.path)
    statements = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert len(statements) == 2
    first = statements[0]
    assert first["_type"] == STATEMENT_TYPE and first["predicateType"] == PREDICATE_TYPE
    assert first["subject"] == [{"name": EVIL_TITLE, "digest": {"sha256": world.change_id.removeprefix("sha256:")}}]
    predicate = first["predicate"]
    assert [r["principal"] for r in predicate["reviews"]] == ["alice@example.com", "bob@example.com"]
    assert predicate["reviews"][0]["payload"] == world.made[0].payload
    assert predicate["verdict"]["result"] == "approved" and predicate["rule_pack"]
    signers = world.repo.path / ".reviewer" / "allowed_signers"
    assert verify_export(out, signers).problems == []
    out.write_bytes(out.read_bytes().replace(b"fine by me", b"fine by us"))
    assert any("bad signature" in p for p in verify_export(out, signers).problems)


def test_service_filter_uses_the_stored_analysis(world: AuditWorld, tmp_path: Path) -> None:
    out = tmp_path / "none.jsonl"
    result = write_export(world.db, "jsonl", out, ExportFilter(service="no-such-service"), repo=world.repo.path)
    assert result.events == 0


def test_progress_is_reported_from_start_to_end(world: AuditWorld, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    write_export(world.db, "csv", tmp_path / "p.csv", ExportFilter(), repo=world.repo.path,
                 progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 5), (5, 5)]


def test_report_shows_findings_and_which_ones_approvers_acknowledged(world: AuditWorld, tmp_path: Path) -> None:
    from reviewer_app.core.analysis import submit_change
    from reviewer_app.core.diffparse import parse_patch
    from reviewer_app.core.workspace import Workspace

    repo = world.repo
    repo.write("web/client.py", "import requests\ndef fetch(url):\n    return requests.get(url, timeout=5)\n")
    repo.commit("client")
    repo.git("checkout", "-q", "-b", "risky")
    repo.write("web/client.py", "import requests\ndef fetch(url):\n    return requests.get(url, verify=False)\n")
    repo.commit("Skip TLS checks\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    [change] = parse_patch(repo.format_patch(), "risky.patch")
    change_id, _ = submit_change(world.db, change, Workspace(repo.path))
    from reviewer_app.core import store

    found = store.get_analysis(world.db, change_id)["risk"]["findings"]
    # The one acknowledged first, the high finding (TLS verification off) left unacknowledged.
    findings = [f["id"] for f in sorted(found, key=lambda f: f["severity"] == "high")]
    assert len(findings) >= 2 and found and any(f["severity"] == "high" for f in found)
    world.sign("alice@example.com", "approve", change_id, acks=findings[:1], comment="one only")
    out = tmp_path / "risky.html"
    write_export(world.db, "html", out, ExportFilter(change_id=change_id), repo=repo.path)
    page = out.read_text(encoding="utf-8")
    assert "Skip TLS checks" in page and "AI-assisted</b></td><td>yes (Claude" in page
    assert f"<td class=\"id\" style=\"white-space: nowrap\">{findings[0]}</td>" in page
    rows = {line.split("</td>")[0].split(">")[-1]: line for line in page.splitlines() if 'class="id"' in line
            and "@" in line and "</td><td>" in line}
    assert rows[findings[0]].endswith("<td>yes</td></tr>") and rows[findings[1]].endswith("<td>no</td></tr>")
    assert "NOT APPROVED" in page and "unacknowledged findings" in page


def test_iterating_the_selected_events_reports_progress_and_never_goes_back() -> None:
    from reviewer_app.core.export import PROGRESS_STEP, ReportingEvents

    seen: list[tuple[int, int]] = []
    events = ReportingEvents(list(range(2 * PROGRESS_STEP + 5)), lambda done, total: seen.append((done, total)))  # type: ignore[arg-type]
    assert sum(1 for _ in events) == len(events)
    assert list(events)[-1] == 2 * PROGRESS_STEP + 4  # a second pass yields everything again
    assert seen == [(PROGRESS_STEP, 2 * PROGRESS_STEP + 5), (2 * PROGRESS_STEP, 2 * PROGRESS_STEP + 5)]


def _split_tokens(page: str, width: float) -> list[str]:
    """Tokens an auditor searches for that Qt's layout (the PDF's) breaks across lines at ``width`` pixels."""
    from reviewer_app.core.export.html import _UNBREAKABLE
    from reviewer_app.core.export.pdf import report_document

    document = report_document(page)
    document.setTextWidth(width)
    document.documentLayout().documentSize()  # lay everything out
    broken = []
    block = document.begin()
    while block.isValid():
        layout, text = block.layout(), block.text()
        lines = [(layout.lineAt(i).textStart(), layout.lineAt(i).textStart() + layout.lineAt(i).textLength())
                 for i in range(layout.lineCount())]
        for match in _UNBREAKABLE.finditer(text):
            if not any(start <= match.start() and match.end() <= end for start, end in lines):
                broken.append(match.group())
        block = block.next()
    return broken


def test_the_pdf_layout_never_breaks_an_email_fingerprint_or_id(world: AuditWorld, tmp_path: Path, qapp) -> None:
    """The PDF is this HTML laid out by Qt: at A4 text width and narrower, no token is split across lines."""
    out = tmp_path / "audit.html"
    write_export(world.db, "html", out, ExportFilter(), repo=world.repo.path)
    page = out.read_text(encoding="utf-8")
    assert 'width="100%"' in page  # the tables take the page's width (Qt reads the attribute, not the CSS)
    assert _split_tokens(page, 640.0) == []  # A4 portrait's text width, as print_() lays the PDF out
