"""Findings from the blast radius, in the risk report's own Finding model.

* CALLERS-REMOVED-SYMBOL-IN-USE (critical): a removed symbol still used where the change did not
  rewrite the use (outside the change, or a line of a touched file the change left as it was).
* CALLERS-RENAMED-SYMBOL-IN-USE (critical): the same for the old name of a renamed symbol.
* CALLERS-MOVED-SYMBOL-IN-USE (critical): a Python module moved to another path while its names
  are still imported from the old one.
* CALLERS-SIGNATURE-CHANGED (high): parameters added without a default, removed or reordered
  (or, outside Python, a changed parameter list) while such uses remain.
* CALLERS-TIER0-BODY-CHANGED (medium): the body of a function used by another, tier-0 service changed.

Uses in test code are listed but raise no finding (a stale test fails its own run).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reviewer_app.core.callers.model import ADDED, MODIFIED, REMOVED, RENAMED, ChangedSymbol, Use
from reviewer_app.core.risk.findings import Finding

REFERENCE = "docs/callers.md"
SHOWN_PER_SERVICE = 3


def stale_uses(symbol: ChangedSymbol) -> list[Use]:
    """Uses in deployed code the change did not rewrite: they still say what the base said.

    Test code is listed with the uses but raises no finding: a stale test fails the test run,
    which shows itself; a stale caller in a service fails in production."""
    return [u for u in symbol.uses if not u.updated and not u.in_test]


def calls(uses: list[Use]) -> list[Use]:
    """Uses other than imports: an import keeps working whatever the parameters are."""
    return [u for u in uses if not u.is_import]


def describe(uses: list[Use]) -> str:
    """``imported by pricing: services/pricing/api.py:1; used by checkout: a.py:3, b.py:9``."""
    groups: dict[str, list[Use]] = defaultdict(list)
    for use in uses:
        groups[use.service or "no service"].append(use)
    parts = []
    for service, group in groups.items():
        verb = "imported" if all(u.is_import for u in group) else "used"
        places = ", ".join(f"{u.path}:{u.line}" for u in group[:SHOWN_PER_SERVICE])
        more = f" and {len(group) - SHOWN_PER_SERVICE} more" if len(group) > SHOWN_PER_SERVICE else ""
        parts.append(f"{verb} by {service}: {places}{more}")
    return "; ".join(parts)


def callers_findings(symbols: list[ChangedSymbol], tiers: dict[str, int | None],
                     owners: dict[str, list[str]] | None = None) -> list[Finding]:
    """``tiers``: service -> tier; ``owners``: a changed file's path -> the services owning it."""
    owners = owners or {}
    found: list[Finding] = []
    for symbol in symbols:
        stale = stale_uses(symbol)
        place = dict(path=symbol.path, side=symbol.side, line=symbol.line, start=0, end=0,
                     reference=REFERENCE, scope="file")
        if symbol.change == REMOVED and stale:
            found.append(Finding("CALLERS-REMOVED-SYMBOL-IN-USE", "critical",
                                 message=f"removes `{symbol.symbol}`, still {describe(stale)}", **place))
        elif symbol.change == RENAMED and stale and symbol.old_name == symbol.name:
            found.append(Finding("CALLERS-MOVED-SYMBOL-IN-USE", "critical",
                                 message=f"moves `{symbol.name}` from {symbol.base_path} to {symbol.path}, still "
                                         f"{describe(stale)} from the old module", **place))
        elif symbol.change == RENAMED and stale:
            found.append(Finding("CALLERS-RENAMED-SYMBOL-IN-USE", "critical",
                                 message=f"renames `{symbol.old_name}` to `{symbol.name}`, `{symbol.old_name}` still "
                                         f"{describe(stale)}", **place))
        elif symbol.change in (MODIFIED, ADDED) and symbol.signature_problem and calls(stale):
            found.append(Finding("CALLERS-SIGNATURE-CHANGED", "high",
                                 message=f"`{symbol.symbol}` {symbol.signature_problem}; calls not updated: "
                                         f"{describe(calls(stale))}", **place))
        elif symbol.change == MODIFIED and symbol.body_changed:
            # Another service's tier-0 code: a change inside a tier-0 service is already weighed
            # as such by the service reach (core/risk/score.py).
            own = set(owners.get(symbol.base_path, []))
            tier0 = [u for u in symbol.outside() if not u.in_test
                     and any(tiers.get(s) == 0 and s not in own for s in u.service.split(", "))]
            if tier0:
                found.append(Finding("CALLERS-TIER0-BODY-CHANGED", "medium",
                                     message=f"changes the body of `{symbol.symbol}`, called by tier-0 "
                                             f"{describe(tier0)}", **place))
    return found


def join_report(report: Any, extra: list[Finding], change: Any, provenance: Any, services: dict[str, Any] | None,
                history: Any = None) -> Any:
    """The risk report with ``extra`` findings added and the change judged again with them.

    ``judge`` (core/risk/score.py) is what turns findings into a level, score and reasons, so the
    callers' findings weigh exactly as rule findings do (a critical one makes the change critical).
    """
    if not extra:
        return report
    from reviewer_app.core.risk.report import RiskReport
    from reviewer_app.core.risk.score import judge

    findings = [*report.findings, *extra]
    verdict = judge(change, provenance, findings, services, history)
    return RiskReport(verdict.level, verdict.score, list(verdict.reasons), findings, report.rule_pack)
