"""The callers as text for ``reviewer-app analyze``: each changed symbol, its uses under each service."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reviewer_app.core.diffparse import escape_for_display

NO_SERVICE = "(no service)"


def render_text(report: Any) -> str:
    """``Callers:`` then, per symbol with uses, the services and their ``path:line  snippet`` lines."""
    if report is None:
        return "Callers: not computed"
    lines = ["Callers:"]
    lines += [f"  note: {escape_for_display(note)}" for note in report.notes]
    used = [s for s in report.symbols if s.uses]
    quiet = [s for s in report.symbols if not s.uses]
    for symbol in used:
        renamed = f" (was {symbol.old_name})" if symbol.old_name else ""
        lines.append(f"  {escape_for_display(symbol.symbol)}{renamed}  {symbol.kind}, {symbol.change}  "
                     f"{escape_for_display(symbol.path)}:{symbol.line}")
        if symbol.signature_problem:
            lines.append(f"    signature: {escape_for_display(symbol.signature_problem)}")
        groups: dict[str, list[Any]] = defaultdict(list)
        for use in symbol.outside():
            groups[use.service or NO_SERVICE].append(use)
        for service, group in groups.items():
            lines.append(f"    {escape_for_display(service)}")
            lines += [f"      {escape_for_display(u.path)}:{u.line}  {escape_for_display(u.snippet)}" for u in group]
        inside = symbol.inside()
        if inside:
            lines.append("    inside this change")
            lines += [f"      {escape_for_display(u.path)}:{u.line}  {'(rewritten) ' if u.updated else ''}"
                      f"{escape_for_display(u.snippet)}" for u in inside]
    if quiet:
        shown = ", ".join(f"{escape_for_display(s.symbol)} ({s.change})" for s in quiet[:10])
        more = f" and {len(quiet) - 10} more" if len(quiet) > 10 else ""
        lines.append(f"  no uses elsewhere: {shown}{more}")
    if not report.symbols and not report.notes:
        lines.append("  no changed functions, classes, constants, routes or schema")
    return "\n".join(lines)
