"""Chain order for a batch of events: every event after the event it names as ``prev``.

Signed ``created_at`` times are claims with one-second resolution, so two events of one signer
often share a second; ordering by time alone can put an event before its predecessor. Within a
batch, an event comes after its ``prev`` (when the batch holds it), otherwise the given order stands
among events of the same second (the index's insertion order is the best witness we have).

Used for the order of events in an export (export/selection.py), where an event must never come
before its predecessor (verify-export reports that as "reordered"). It differs from
``events.chain_order`` only in how it breaks ties between unlinked events of the same second: by the
position given here, by event id there (a result that depends on the events alone). Neither decides
which of a signer's decisions stands: the gate and ``revoke`` use ``gate.signing_order`` (claimed
time, then the signer's chain), never the order rows come back in.
"""

from __future__ import annotations

import heapq
from typing import Protocol, Sequence, TypeVar


class Chained(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Chained)


def chain_sorted(items: Sequence[T], prev_of: dict[str, str | None], created_of: dict[str, str]) -> list[T]:
    """``items`` in topological order of their prev links, otherwise by (created_at, position given)."""
    index = {}
    for position, item in enumerate(items):
        index.setdefault(item.id, position)
    waiting: dict[str, list[int]] = {}  # prev id -> positions of the items that must follow it
    ready: list[tuple[str, int]] = []
    for position, item in enumerate(items):
        prev = prev_of.get(item.id)
        if prev is not None and prev in index and prev != item.id:
            waiting.setdefault(prev, []).append(position)
        else:
            heapq.heappush(ready, (created_of.get(item.id, ""), position))
    ordered: list[T] = []
    placed: set[int] = set()
    while ready:
        _, position = heapq.heappop(ready)
        placed.add(position)
        ordered.append(items[position])
        for follower in waiting.pop(items[position].id, []):
            heapq.heappush(ready, (created_of.get(items[follower].id, ""), follower))
    # A cycle of prev links cannot be signed honestly (ids are hashes), but never drop anything.
    ordered.extend(item for position, item in enumerate(items) if position not in placed)
    return ordered
