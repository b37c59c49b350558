"""``analyze --format text``: the blast radius as a reviewer reads it in a terminal."""

from __future__ import annotations

from reviewer_app.core.services.affected import Affected, AffectedService

MAX_WARNINGS_SHOWN = 10


def _tier(service: AffectedService) -> str:
    return f"tier {service.tier}" if service.tier is not None else "no tier"


def _chain(service: AffectedService) -> str:
    parts = [service.via[0]]
    for edge in service.via_edges:
        arrow = {"consumesApi": f" -[{edge.api}]-> ", "hasPart": " -[part of]-> "}.get(edge.kind, " -> ")
        parts.append(f"{arrow}{edge.source}")
    return "".join(parts)


def render_text(affected: Affected) -> str:
    if not affected.direct and not affected.unowned_paths:
        return "\n".join(["Services: none touched", *_warning_lines(affected)]) + "\n"
    tier = f"; most critical: tier {affected.max_tier}" if affected.max_tier is not None else ""
    lines = [f"Services: {len(affected.direct)} direct, {len(affected.transitive)} depending on them{tier}"]
    for service in affected.direct:
        lines.append(f"  direct      {service.name}  ({_tier(service)}, owner {service.owner or 'unknown'})")
        lines.extend(f"                {path}" for path in service.paths)
    for service in affected.transitive:
        lines.append(
            f"  dependent   {service.name}  ({_tier(service)}, owner {service.owner or 'unknown'})  via {_chain(service)}"
        )
    if affected.unowned_paths:
        lines.append(f"  no service owns: {', '.join(affected.unowned_paths)}")
    lines.append(f"  owners to notify: {', '.join(affected.owners) if affected.owners else 'nobody found'}")
    lines.extend(_warning_lines(affected))
    return "\n".join(lines) + "\n"


def _warning_lines(affected: Affected) -> list[str]:
    if not affected.warnings:
        return []
    lines = [f"  catalog warnings ({len(affected.warnings)}):"]
    lines.extend(f"    {warning}" for warning in affected.warnings[:MAX_WARNINGS_SHOWN])
    if len(affected.warnings) > MAX_WARNINGS_SHOWN:
        lines.append(f"    ... and {len(affected.warnings) - MAX_WARNINGS_SHOWN} more")
    return lines
