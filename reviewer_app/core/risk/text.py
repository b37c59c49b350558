"""The plain-text view of a RiskReport (``analyze --format text``): findings grouped by file."""

from __future__ import annotations

from reviewer_app.core.risk.report import RiskReport


def render_text(report: RiskReport) -> str:
    lines = [f"Risk: {report.level.upper()} ({report.score}/100)"]
    lines.extend(f"  - {reason}" for reason in report.reasons)
    if not report.findings:
        lines.append("No findings.")
    by_path: dict[str, list] = {}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    for path, findings in by_path.items():
        lines.append("")
        lines.append(path)
        for finding in findings:
            where = "file" if finding.line == 0 else f"{'+' if finding.side == 'new' else '-'}{finding.line}"
            lines.append(f"  {where:>7}  {finding.severity.upper():<8} {finding.rule}: {finding.message}")
            lines.append(f"  {'':>7}  {'':<8} ref: {finding.reference}  [{finding.id}]")
    lines.append("")
    lines.append(f"Rule pack {report.rule_pack}")
    return "\n".join(lines) + "\n"
