"""Chain order for a batch of events: every event after the event it names as ``prev``.

Signed ``created_at`` times are claims with one-second resolution, so two events of one signer
often share a second; ordering by time alone can put an event before its predecessor. Within a
batch, an event comes after its ``prev`` (when the batch holds it), ties broken by time then id.
"""

from __future__ import annotations

import heapq
from typing import Protocol, Sequence, TypeVar


class Chained(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Chained)


def chain_sorted(items: Sequence[T], prev_of: dict[str, str | None], created_of: dict[str, str]) -> list[T]:
    """``items`` in topological order of their prev links, otherwise by (created_at, id)."""
    by_id = {item.id: item for item in items}
    waiting: dict[str, list[str]] = {}  # prev id -> ids that must follow it
    ready: list[tuple[str, str]] = []
    for item in items:
        prev = prev_of.get(item.id)
        if prev is not None and prev in by_id and prev != item.id:
            waiting.setdefault(prev, []).append(item.id)
        else:
            heapq.heappush(ready, (created_of.get(item.id, ""), item.id))
    ordered: list[T] = []
    while ready:
        _, item_id = heapq.heappop(ready)
        ordered.append(by_id[item_id])
        for follower in waiting.pop(item_id, []):
            heapq.heappush(ready, (created_of.get(follower, ""), follower))
    # A cycle of prev links cannot be signed honestly (ids are hashes), but never drop anything.
    placed = {item.id for item in ordered}
    ordered.extend(sorted((i for i in items if i.id not in placed), key=lambda i: (created_of.get(i.id, ""), i.id)))
    return ordered
