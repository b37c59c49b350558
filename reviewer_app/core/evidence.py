"""Evidence of review: what a reviewer looked at before signing, as carried in a signed approve or reject.

``evidence = {files_viewed, files_total, lines_seen, lines_changed, active_seconds, client}``. The
desktop app (``client = "gui"``) measures the viewing figures (ui/evidence.py); a decision signed at
the command line (``client = "cli"``) carries the change's own totals and nulls for what nobody
measured (files_viewed, lines_seen, active_seconds). Nothing else is recorded (docs/comments-and-evidence.md).

The figures are the signer's claim, signed like the rest of the payload. The gate judges them
against the change it recomputed: rates and coverage use the larger of the claimed and the real
number of changed lines, so a figure about a smaller diff never makes a review look more thorough.
"""

from __future__ import annotations

from typing import Any

from reviewer_app.errors import UserError

FIELDS = ("files_viewed", "files_total", "lines_seen", "lines_changed", "active_seconds", "client")
CLIENTS = ("gui", "cli")
VIEWING_FIGURES = ("files_viewed", "lines_seen", "active_seconds")  # measured only by the desktop app
# Review research (SmartBear/Cisco): defect discovery falls off beyond about 500 lines per hour.
AUDIT_LINES_PER_HOUR = 500


def changed_lines(analysis: dict[str, Any]) -> int:
    """Added plus removed lines of the analysed change."""
    return int(analysis.get("added") or 0) + int(analysis.get("removed") or 0)


def cli_evidence(analysis: dict[str, Any]) -> dict[str, Any]:
    """The evidence of a decision signed at the command line: the change's totals, no viewing figures."""
    return {"files_viewed": None, "files_total": len(analysis.get("files") or []), "lines_seen": None,
            "lines_changed": changed_lines(analysis), "active_seconds": None, "client": "cli"}


def check(evidence: Any, name: str) -> None:
    """UserError naming the event when ``evidence`` is not exactly the documented object."""
    def fail(message: str) -> None:
        raise UserError(f"{name}: field 'evidence' {message} (got {evidence!r})")

    if not isinstance(evidence, dict) or set(evidence) != set(FIELDS):
        fail(f"must be an object with exactly {', '.join(FIELDS)}")
    client = evidence["client"]
    if client not in CLIENTS:
        fail(f"client must be one of {', '.join(CLIENTS)}")
    for key in FIELDS[:-1]:
        value = evidence[key]
        if client == "cli" and key in VIEWING_FIGURES:
            if value is not None:
                fail(f"{key} must be null for a decision signed at the command line (nothing was measured)")
            continue
        if type(value) is not int or value < 0:  # bool is an int: refused by the exact type
            fail(f"{key} must be a whole number >= 0")
    if client == "gui":
        if evidence["files_viewed"] > evidence["files_total"]:
            fail("files_viewed must not exceed files_total")
        if evidence["lines_seen"] > evidence["lines_changed"]:
            fail("lines_seen must not exceed lines_changed")


def lines_per_hour(lines: int, active_seconds: int) -> float:
    return float("inf") if active_seconds <= 0 else lines * 3600 / active_seconds


def _number(value: float) -> str:
    return "an unbounded number of" if value == float("inf") else f"{round(value):,}"


def shortfall(principal: str, evidence: dict[str, Any] | None, real_changed: int, *, min_coverage: float | None,
              max_lines_per_hour: int | None, client: str | None) -> str | None:
    """Why this approval's evidence falls short of the requirement, in the reviewer's terms; None when it does not."""
    if min_coverage is None and max_lines_per_hour is None and client is None:
        return None
    if not evidence:
        return (f"{principal}'s approval carries no evidence of review (signed before evidence was recorded); "
                "the rule requires it")
    if client is not None and evidence.get("client") != client:
        return (f"{principal} signed from the {'command line' if evidence.get('client') == 'cli' else evidence.get('client')}"
                f" ({evidence.get('client')}); the rule requires a review in the desktop app ({client})")
    changed = max(real_changed, int(evidence.get("lines_changed") or 0))
    if min_coverage is not None:
        seen = evidence.get("lines_seen")
        if seen is None:
            return f"{principal}'s approval records no lines seen (signed at the command line); the rule needs {min_coverage:.0%}"
        coverage = 1.0 if changed == 0 else seen / changed
        if coverage + 1e-9 < min_coverage:
            return (f"{principal} saw {seen:,} of {changed:,} changed lines ({coverage:.0%}); the rule needs "
                    f"{min_coverage:.0%}")
    if max_lines_per_hour is not None:
        active = evidence.get("active_seconds")
        if active is None:
            return f"{principal}'s approval records no review time (signed at the command line); the rule allows " \
                   f"{max_lines_per_hour:,} lines per hour"
        rate = lines_per_hour(changed, active)
        if changed and rate > max_lines_per_hour:
            return (f"{principal} approved {changed:,} changed lines after {active:,} s of review "
                    f"({_number(rate)} lines per hour; the rule allows {max_lines_per_hour:,})")
    return None


def unviewed_with_findings(evidence: dict[str, Any] | None, findings: list[dict[str, Any]]) -> int:
    """How many files that held findings were certainly not viewed: the evidence counts viewed files, it does
    not name them, so this is the lower bound (files with findings beyond the number viewed)."""
    if not evidence or evidence.get("files_viewed") is None:
        return 0
    with_findings = len({str(f.get("path")) for f in findings if f.get("path")})
    return max(0, with_findings - int(evidence["files_viewed"]))


def audit_flags(evidence: dict[str, Any] | None, real_changed: int, unviewed_holding_findings: int = 0) -> list[str]:
    """What an auditor should look at twice: faster than 500 lines per hour, or unviewed files that held findings."""
    if not evidence:
        return ["no evidence of review recorded"]
    flags: list[str] = []
    active = evidence.get("active_seconds")
    changed = max(real_changed, int(evidence.get("lines_changed") or 0))
    if active is not None and changed:
        rate = lines_per_hour(changed, active)
        if rate > AUDIT_LINES_PER_HOUR:
            flags.append(f"{_number(rate)} lines per hour (over {AUDIT_LINES_PER_HOUR})")
    if unviewed_holding_findings:
        flags.append(f"at least {unviewed_holding_findings} unviewed file(s) held findings")
    return flags


def summary(evidence: dict[str, Any] | None) -> str:
    """One line for reports: ``gui: 7/9 files, 1,200/1,900 lines seen, 1,340 s``."""
    if not evidence:
        return "no evidence recorded"
    if evidence.get("client") == "cli":
        return f"cli: signed at the command line ({evidence.get('lines_changed') or 0:,} changed lines; nothing measured)"
    return (f"gui: {evidence['files_viewed']}/{evidence['files_total']} files viewed, {evidence['lines_seen']:,}/"
            f"{evidence['lines_changed']:,} changed lines seen, {evidence['active_seconds']:,} s active")
