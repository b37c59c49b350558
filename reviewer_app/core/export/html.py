"""The audit report as one self-contained, print-friendly HTML file.

Inline CSS only: no scripts, no external resources (fonts, images, links), so the file shows the
same offline and in an archive years later. Every piece of text from the data goes through
``html.escape`` (titles and comments are written by whoever made the change). The PDF export
renders this same HTML with Qt, so it keeps to the subset Qt's rich text understands.
"""

from __future__ import annotations

import re
from html import escape as _escape_text

from typing import Any

from reviewer_app.core import evidence as review_evidence
from reviewer_app.core.export.report_model import AuditReport, ChangeAudit, Decision

_CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10pt; color: #111; margin: 2em; }
h1 { font-size: 16pt; margin-bottom: 0.2em; }
h2 { font-size: 12pt; margin-top: 1.6em; border-bottom: 1px solid #999; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 0.8em 0; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.meta td { border: none; padding: 1px 8px 1px 0; }
.id { font-family: 'DejaVu Sans Mono', monospace; font-size: 8pt; }
.approved { color: #0a6b1f; font-weight: bold; }
.notapproved { color: #a00000; font-weight: bold; }
.notevaluated { color: #7a5b00; font-weight: bold; }
.change { page-break-inside: avoid; }
.flag { color: #a00000; font-weight: bold; }
@media print { body { margin: 0; } }
"""

_VERDICT_CLASS = {"approved": "approved", "not approved": "notapproved"}
# What an auditor searches for must never be broken across lines (a PDF's text would then hold
# "alice@acme." and "test"): email addresses, key fingerprints, change ids and finding ids. Qt's rich
# text (the PDF) honours ``white-space: nowrap`` on table cells, not on inline spans, so a short cell
# holding such a token is kept on one line as a whole; the tables take the page's width.
_UNBREAKABLE = re.compile(r"[\w.+-]+@[\w.-]+\w|SHA256:[A-Za-z0-9+/]+=*|sha256:[0-9a-f]{8,64}|[\w-]+@[\w./-]+:\w+:\d+")
_SHORT_CELL = 100  # characters: longer cells (comments, messages) wrap as prose
_NOWRAP = ' style="white-space: nowrap"'


def escape(text: str) -> str:
    return _escape_text(text)


def _td(text: str, css_class: str = "") -> str:
    """One table cell; kept on one line when it is short and holds an email, a fingerprint or an id."""
    keep = _NOWRAP if len(text) <= _SHORT_CELL and _UNBREAKABLE.search(text) else ""
    cls = f' class="{css_class}"' if css_class else ""
    return f"<td{cls}{keep}>{escape(text)}</td>"


def render_html(report: AuditReport) -> str:
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>Reviewer audit report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Reviewer audit report</h1>",
        "<table class=\"meta\" width=\"100%\">",
        _meta_row("Events", str(report.event_count)),
        _meta_row("Changes", str(len(report.changes))),
        _meta_row("Selection", ", ".join(f"{k}={v}" for k, v in report.selection.to_dict().items()) or "everything"),
        _meta_row("Verdicts from", report.context),
        "</table>",
        "<p>Each decision is an SSH signature (namespace reviewer-app) over its payload; "
        "the jsonl export carries them for verification with ssh-keygen.</p>",
    ]
    parts.extend(_change_section(change) for change in report.changes)
    if not report.changes:
        parts.append("<p>No events match the selection.</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _meta_row(label: str, value: str) -> str:
    return f"<tr><td><b>{escape(label)}</b></td>{_td(value)}</tr>"


def _change_section(change: ChangeAudit) -> str:
    verdict_class = _VERDICT_CLASS.get(change.verdict, "notevaluated")
    rows = [
        _meta_row("Change id", change.change_id),
        _meta_row("Author", change.author or "unknown"),
        _meta_row("AI-assisted", _ai_text(change)),
        _meta_row("Risk", f"{change.risk_level or 'unknown'}" + (f" (score {change.risk_score})"
                                                                 if change.risk_score is not None else "")),
        _meta_row("Rule pack", change.rule_pack or "unknown"),
        _meta_row("Services (direct)", ", ".join(change.services_direct) or "none"),
        _meta_row("Services (transitive)", ", ".join(change.services_transitive) or "none"),
    ]
    out = [
        "<div class=\"change\">",
        f"<h2>{escape(change.title)}</h2>",
        "<table class=\"meta\" width=\"100%\">", *rows, "</table>",
        f"<p>Verdict: <span class=\"{verdict_class}\">{escape(change.verdict.upper())}</span></p>",
    ]
    if change.verdict_details:
        out.append("<ul>" + "".join(f"<li>{escape(d)}</li>" for d in change.verdict_details) + "</ul>")
    if change.findings:
        out.append("<table width=\"100%\"><tr><th>Finding</th><th>Severity</th><th>Message</th><th>Acknowledged</th></tr>")
        out.extend(
            f"<tr>{_td(str(f['id']), 'id')}<td>{escape(str(f['severity']))}</td>"
            f"<td>{escape(str(f['message'] or ''))}</td><td>{'yes' if f['acknowledged'] else 'no'}</td></tr>"
            for f in change.findings
        )
        out.append("</table>")
    out.append("<table width=\"100%\"><tr><th>Decision</th><th>Signer</th><th>Level</th><th>Key fingerprint</th>"
               "<th>Signed at (UTC)</th><th>Comment</th><th>Evidence of review</th></tr>")
    out.extend(
        f"<tr><td>{escape(d.type)}</td>{_td(d.principal)}<td>{escape(d.level or 'unknown')}</td>"
        f"{_td(d.fingerprint, 'id')}<td>{escape(d.created_at)}</td><td>{escape(d.comment)}</td>"
        f"<td>{_evidence_cell(d)}</td></tr>"
        for d in change.decisions if not d.is_comment
    )
    out.append("</table>")
    if change.threads:
        out.append("<table width=\"100%\"><tr><th>Thread on</th><th>State</th><th>Comments</th></tr>")
        out.extend(_thread_row(thread) for thread in change.threads)
        out.append("</table>")
    out.append("</div>")
    return "\n".join(out)


def _evidence_cell(decision: Decision) -> str:
    """The signed evidence in words; flags (too fast, unviewed files with findings) in bold as FLAG."""
    if decision.type not in ("approve", "reject"):
        return ""
    text = escape(review_evidence.summary(decision.evidence))
    return text + "".join(f"<br><span class=\"flag\">FLAG: {escape(flag)}</span>" for flag in decision.flags)


def _thread_row(thread: dict[str, Any]) -> str:
    line, end = thread.get("line"), thread.get("end_line")
    where = f"{thread.get('path')}:{line}" + (f"-{end}" if end and end != line else "") + f" ({thread.get('side')})"
    comments = "<br>".join(f"{escape(str(c['principal']))} ({escape(str(c['created_at']))}): "
                           f"{escape(str(c['message']))}" for c in thread["comments"])
    return f"<tr>{_td(where)}<td>{'resolved' if thread.get('resolved') else 'open'}</td><td>{comments}</td></tr>"


def _ai_text(change: ChangeAudit) -> str:
    if change.ai_assisted is None:
        return "unknown"
    if not change.ai_assisted:
        return "no"
    return "yes" + (f" ({', '.join(change.ai_tools)})" if change.ai_tools else "")
