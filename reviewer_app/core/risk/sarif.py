"""SARIF 2.1.0 output, so code-scanning tools (GitHub, GitLab, IDEs) can show the findings."""

from __future__ import annotations

from typing import Any

from reviewer_app.core.model import Change
from reviewer_app.core.risk.report import RiskReport
from reviewer_app.core.risk.rules import Rule, RuleSet

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# SARIF knows error | warning | note; our four severities fold onto them, the exact one is a property.
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning reads a 0-10 "security-severity" to rank alerts.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


def to_sarif(items: list[tuple[Change, RiskReport]], rules: RuleSet) -> dict[str, Any]:
    from reviewer_app import __version__

    index = {rule.id: number for number, rule in enumerate(rules.rules)}
    results = [
        _result(change, report, finding, index)
        for change, report in items
        for finding in report.findings
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "reviewer-app",
                "version": __version__,
                "rules": [_descriptor(rule) for rule in rules.rules],
                "properties": {"rulePack": rules.pack_hash},
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def _descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.id.title().replace("-", ""),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.message},
        "help": {
            "text": f"{rule.message} Reference: {rule.reference}.",
            "markdown": f"**{rule.title}**\n\n{rule.message}\n\n*Reference:* {rule.reference}",
        },
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": {
            "severity": rule.severity, "scope": rule.scope, "paths": list(rule.paths),
            "security-severity": SECURITY_SEVERITY[rule.severity], "origin": rule.origin,
        },
    }


def _result(change: Change, report: RiskReport, finding: Any, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": finding.path}}
    if finding.line > 0:  # SARIF lines and columns are 1-based; file-level findings carry no region
        location["region"] = {
            "startLine": finding.line, "startColumn": finding.start + 1, "endColumn": max(finding.end, finding.start) + 1,
        }
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"reviewerFindingId/v1": finding.id},
        "properties": {
            "severity": finding.severity, "side": finding.side, "reference": finding.reference,
            "change": change.title or change.source, "changeLevel": report.level, "changeScore": report.score,
        },
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    return result
