"""Where each service sits in the blast-radius picture: layers by hop distance from the change.

Qt-free and cheap (one breadth-first search). The inspector is tall and narrow, so layers run top
to bottom: row 0 holds the services the change touches directly, row n the services n hops away,
and a last band the rest of the neighbourhood. A layer wider than ``PER_ROW`` wraps onto more rows.
Inside a layer affected services come before context ones, each by tier (0 first) then name.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

NODE_W, NODE_H = 170.0, 46.0
H_GAP, V_GAP, LAYER_GAP = 14.0, 12.0, 40.0
PER_ROW = 2  # the inspector is narrow; a layer of many services wraps downwards
MAX_CONTEXT = 6  # unaffected neighbours are context, not the point: the nearest and most critical few


@dataclass
class PlacedNode:
    id: str
    name: str
    role: str  # "direct" | "transitive" | "other"
    tier: int | None
    owner: str
    hops: int | None
    x: float
    y: float


def node_role(node: dict[str, Any]) -> str:
    affected = node.get("affected")
    if affected in ("direct", "transitive"):
        return str(affected)
    if affected is True:
        return "direct"
    return "other"


def _tier(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def hop_distances(graph: dict[str, Any]) -> dict[str, int]:
    """Undirected hops from the nearest directly affected service."""
    neighbours: dict[str, set[str]] = {}
    for edge in graph.get("edges") or []:
        source, target = str(edge.get("source")), str(edge.get("target"))
        neighbours.setdefault(source, set()).add(target)
        neighbours.setdefault(target, set()).add(source)
    start = [str(n["id"]) for n in graph.get("nodes") or [] if node_role(n) == "direct"]
    distance = {node_id: 0 for node_id in start}
    queue = deque(start)
    while queue:
        current = queue.popleft()
        for other in sorted(neighbours.get(current, ())):
            if other not in distance:
                distance[other] = distance[current] + 1
                queue.append(other)
    return distance


def drawn_nodes(graph: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Every affected service and the ``MAX_CONTEXT`` nearest, most critical others; how many were left out."""
    distance = hop_distances(graph)
    nodes = graph.get("nodes") or []
    affected = [n for n in nodes if node_role(n) != "other"]
    context = sorted((n for n in nodes if node_role(n) == "other"),
                     key=lambda n: (distance.get(str(n.get("id")), 99), *_order(n)[1:]))
    return affected + context[:MAX_CONTEXT], max(0, len(context) - MAX_CONTEXT)


def layered_layout(graph: dict[str, Any]) -> list[PlacedNode]:
    distance = hop_distances(graph)
    layers: dict[int, list[dict[str, Any]]] = {}
    unrelated: list[dict[str, Any]] = []
    for node in drawn_nodes(graph)[0]:
        role = node_role(node)
        hops = distance.get(str(node.get("id")))
        if role == "transitive" and hops is None:
            hops = 1  # the catalog says it depends on the change, even if no edge was exported
        if hops is None:
            unrelated.append(node)
        else:
            layers.setdefault(0 if role == "direct" else max(hops, 1), []).append(node)
    if unrelated:
        layers[max(layers, default=-1) + 1] = unrelated
    placed: list[PlacedNode] = []
    y = 0.0
    for layer in sorted(layers):
        group = sorted(layers[layer], key=_order)
        for start in range(0, len(group), PER_ROW):
            row = group[start:start + PER_ROW]
            offset = (PER_ROW - len(row)) * (NODE_W + H_GAP) / 2  # centre short rows
            for column, node in enumerate(row):
                node_id = str(node.get("id"))
                owner = node.get("owner") or ""
                placed.append(PlacedNode(
                    id=node_id, name=str(node.get("name") or node_id), role=node_role(node),
                    tier=_tier(node.get("tier")), owner=", ".join(owner) if isinstance(owner, list) else str(owner),
                    hops=distance.get(node_id), x=offset + column * (NODE_W + H_GAP), y=y,
                ))
            y += NODE_H + V_GAP
        y += LAYER_GAP - V_GAP
    return placed


def _order(node: dict[str, Any]) -> tuple[int, int, str]:
    """Affected services before context ones, then by tier (0 first), then by name."""
    role_rank = {"direct": 0, "transitive": 1}.get(node_role(node), 2)
    tier = _tier(node.get("tier"))
    return (role_rank, tier if tier is not None else 99, str(node.get("name") or node.get("id")))


def chain_edges(chain: list[str], graph: dict[str, Any]) -> set[tuple[str, str]]:
    """The exported edges joining consecutive services of a ``via`` chain (either direction)."""
    names = {str(n.get("name")): str(n.get("id")) for n in graph.get("nodes") or []}
    ids = [names.get(step, step) for step in chain]
    wanted = {frozenset(pair) for pair in zip(ids, ids[1:], strict=False)}  # consecutive steps
    found = set()
    for edge in graph.get("edges") or []:
        pair = (str(edge.get("source")), str(edge.get("target")))
        if frozenset(pair) in wanted:
            found.add(pair)
    return found
