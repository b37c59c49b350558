"""Risk annotations: a declarative rule pack, the rule engine, the change-level model, SARIF.

Public API (see docs/internals.md and docs/risk-rules.md):
    load_rules(workspace) -> RuleSet
    assess(change, provenance, rules, services=None) -> RiskReport
    render_text(report) -> str
    to_sarif([(change, report), ...], rules) -> dict
"""

from __future__ import annotations

from typing import Any

from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.loader import load_rules
from reviewer_app.core.risk.report import RiskReport, assess
from reviewer_app.core.risk.rules import SEVERITIES, Rule, RuleSet
from reviewer_app.core.risk.text import render_text

__all__ = [
    "SEVERITIES", "Finding", "RiskReport", "Rule", "RuleSet", "assess", "load_rules", "render_text", "to_sarif",
]


def __getattr__(name: str) -> Any:
    if name == "to_sarif":  # imported on first use: only ``--format sarif`` writes SARIF
        from reviewer_app.core.risk.sarif import to_sarif

        return to_sarif
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
