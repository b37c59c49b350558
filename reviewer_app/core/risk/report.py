"""``assess``: a change, its provenance and a rule set -> a RiskReport (deterministic)."""

from __future__ import annotations

from typing import Any

from reviewer_app.core.model import Change
from reviewer_app.core.records import FrozenRecord
from reviewer_app.core.risk.engine import evaluate
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.history import History
from reviewer_app.core.risk.rules import RuleSet
from reviewer_app.core.risk.score import ProvenanceLike, judge


class RiskReport(FrozenRecord):
    """A change's risk level and score, the reasons for them and the findings."""

    FIELDS = ("level", "score", "reasons", "findings", "rule_pack")

    def __init__(self, level: str, score: int, reasons: list[str], findings: list[Finding], rule_pack: str) -> None:
        self.level = level  # low | medium | high | critical
        self.score = score  # 0-100, inside the level's band (low 0-24, medium 25-49, high 50-74, critical 75-99)
        self.reasons = reasons
        self.findings = findings
        self.rule_pack = rule_pack  # RuleSet.pack_hash of the rules that produced it

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level, "score": self.score, "reasons": list(self.reasons),
            "findings": [f.to_dict() for f in self.findings], "rule_pack": self.rule_pack,
        }


def assess(change: Change, provenance: ProvenanceLike | None, rules: RuleSet,
           services: dict[str, Any] | None = None, history: History | None = None) -> RiskReport:
    """Run every rule over ``change`` and judge it; the same inputs give byte-identical output."""
    findings = evaluate(change, rules)
    verdict = judge(change, provenance, findings, services, history)
    return RiskReport(verdict.level, verdict.score, list(verdict.reasons), findings, rules.pack_hash)
