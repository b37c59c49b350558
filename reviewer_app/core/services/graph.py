"""The service graph as plain data for the GUI (which draws it; nothing here knows Qt).

A catalog of thousands of services cannot be drawn whole, so ``neighbourhood=N`` keeps only the
affected services and those within N hops of them (edges followed both ways).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from reviewer_app.core.services.affected import Affected
from reviewer_app.core.services.model import Catalog, Edge


def _undirected(catalog: Catalog) -> dict[str, list[str]]:
    neighbours: dict[str, list[str]] = {}
    for edge in catalog.edges:
        neighbours.setdefault(edge.source, []).append(edge.target)
        neighbours.setdefault(edge.target, []).append(edge.source)
    return neighbours


def _within(catalog: Catalog, start: list[str], hops: int) -> set[str]:
    neighbours = _undirected(catalog)
    distance = {name: 0 for name in start}
    queue = deque(start)
    while queue:
        name = queue.popleft()
        if distance[name] >= hops:
            continue
        for other in neighbours.get(name, ()):
            if other not in distance:
                distance[other] = distance[name] + 1
                queue.append(other)
    return set(distance)


def graph_export(catalog: Catalog, affected: Affected | None = None, neighbourhood: int | None = None) -> dict[str, Any]:
    """``{nodes, edges, affected{direct, transitive}, total_nodes, total_edges, truncated}``.

    Nodes are services (``id`` is the catalog name); an edge ``source -> target`` means the source
    depends on the target. ``neighbourhood`` limits the export to the affected services and their
    N-hop surroundings (0: the affected services alone); without it the whole catalog is exported.
    """
    direct = [s.name for s in affected.direct] if affected else []
    transitive = [s.name for s in affected.transitive] if affected else []
    marks: dict[str, str] = {name: "transitive" for name in transitive}
    marks.update({name: "direct" for name in direct})
    if neighbourhood is None:
        keep = set(catalog.services)
    else:
        keep = _within(catalog, [*direct, *transitive], max(0, neighbourhood))
    nodes = [
        {
            "id": service.name, "name": service.name, "kind": service.kind, "tier": service.tier,
            "owner": service.owner, "lifecycle": service.lifecycle, "system": service.system,
            "affected": marks.get(service.name),
        }
        for service in catalog.services.values() if service.name in keep
    ]
    edges = [_edge(edge) for edge in catalog.edges if edge.source in keep and edge.target in keep]
    return {
        "nodes": nodes,
        "edges": edges,
        "affected": {"direct": direct, "transitive": transitive},
        "total_nodes": len(catalog.services),
        "total_edges": len(catalog.edges),
        "truncated": len(nodes) < len(catalog.services),
    }


def _edge(edge: Edge) -> dict[str, Any]:
    return {"source": edge.source, "target": edge.target, "kind": edge.kind, "api": edge.api}
