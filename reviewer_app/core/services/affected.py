"""Which services a change touches, and which depend on them: the blast radius.

Changed paths map to their owning services (the *direct* ones). Every service that depends on a
direct one (``dependsOn``, a ``dependencyOf`` written the other way, or consuming an API a direct
service provides) is affected *transitively*, to any depth. One breadth-first walk from all direct
services at once gives each dependent its shortest explaining chain (``via``); a visited set stops
cycles. Orderings are fixed (tier, then name; a missing tier last: ``Catalog.rank``) so the JSON is
reproducible.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from reviewer_app.core.records import Record
from reviewer_app.core.services.model import Catalog, Edge, display_rank


class AffectedService(Record):  # not frozen: a frozen __init__ costs a setattr call per field, 5,000 times
    """A service a change reaches, directly or through what depends on it."""

    __slots__ = FIELDS = ("name", "kind", "tier", "owner", "lifecycle", "paths", "via_edges")

    def __init__(self, name: str, kind: str, tier: int | None, owner: str | None, lifecycle: str | None,
                 paths: tuple[str, ...] = (), via_edges: tuple[Edge, ...] = ()) -> None:
        self.name = name
        self.kind = kind
        self.tier = tier
        self.owner = owner
        self.lifecycle = lifecycle
        self.paths = paths  # changed paths it owns (direct services only)
        # The shortest chain of edges from a direct service to this one (transitive services only);
        # ``via`` is derived from it on demand, since a big blast reaches thousands of services.
        self.via_edges = via_edges

    @property
    def via(self) -> tuple[str, ...]:
        """Service names from a direct service to this one: ``("pricing-rules", "pricing", "checkout")``."""
        if not self.via_edges:
            return ()
        return (self.via_edges[0].target, *(edge.source for edge in self.via_edges))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "tier": self.tier, "owner": self.owner, "lifecycle": self.lifecycle}
        if self.via:
            data["via"] = list(self.via)
            # Per hop of ``via`` (compact for big blasts): the edge kind, and the API consumed or None.
            data["via_kinds"] = [edge.kind for edge in self.via_edges]
            data["via_apis"] = [edge.api for edge in self.via_edges]
        else:
            data["paths"] = list(self.paths)
        return data


class Affected(Record):
    """The services a change reaches, their owners, and the paths no service owns."""

    FIELDS = ("direct", "transitive", "owners", "unowned_paths", "max_tier", "warnings", "path_services")

    def __init__(self, direct: list[AffectedService], transitive: list[AffectedService], owners: list[str],
                 unowned_paths: list[str], max_tier: int | None, warnings: list[str] | None = None,
                 path_services: dict[str, list[str]] | None = None) -> None:
        self.direct = direct
        self.transitive = transitive
        self.owners = owners
        self.unowned_paths = unowned_paths
        self.max_tier = max_tier  # the most critical (lowest) tier reached; None when none has a tier
        self.warnings = [] if warnings is None else warnings
        # changed path -> owning services
        self.path_services = {} if path_services is None else path_services

    @property
    def names(self) -> list[str]:
        return [service.name for service in (*self.direct, *self.transitive)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "direct": [service.to_dict() for service in self.direct],
            "transitive": [service.to_dict() for service in self.transitive],
            "owners": list(self.owners),
            "unowned_paths": list(self.unowned_paths),
            "max_tier": self.max_tier,
            "warnings": list(self.warnings),
        }


def affected(catalog: Catalog, paths: list[str]) -> Affected:
    """The services ``paths`` (repository-relative) reach, directly and through their dependents."""
    owned: dict[str, list[str]] = {}
    path_services: dict[str, list[str]] = {}
    unowned: list[str] = []
    owners: set[str] = set()
    for path in sorted({path for path in paths if path}):
        names = catalog.path_index.owners(path)
        path_services[path] = names
        if not names:
            unowned.append(path)
        for name in names:
            owned.setdefault(name, []).append(path)
        # CODEOWNERS speaks for paths no service claims, and for services that name no owner.
        if catalog.codeowners is not None and all(catalog.services[n].owner is None for n in names):
            owners.update(catalog.codeowners.owners_of(path))

    rank = (catalog.rank or display_rank(catalog.services)).__getitem__  # a hand-built Catalog has none
    direct_services = [catalog.services[name] for name in sorted(owned, key=rank)]
    direct = [
        AffectedService(s.name, s.kind, s.tier, s.owner, s.lifecycle, paths=tuple(owned[s.name]))
        for s in direct_services
    ]
    transitive = _dependents(catalog, [s.name for s in direct_services])
    transitive.sort(key=lambda service: rank(service.name))
    reached = [*direct, *transitive]
    owners.update(service.owner for service in reached if service.owner)
    tiers = [service.tier for service in reached if service.tier is not None]
    return Affected(
        direct=direct, transitive=transitive, owners=sorted(owners), unowned_paths=unowned,
        max_tier=min(tiers) if tiers else None, warnings=list(catalog.warnings), path_services=path_services,
    )


def _dependents(catalog: Catalog, direct: list[str]) -> list[AffectedService]:
    """Breadth-first over reverse edges from all direct services: shortest ``via`` chains, no loops."""
    chain: dict[str, tuple[Edge, ...]] = {name: () for name in direct}
    queue = deque(direct)
    found: list[AffectedService] = []
    services, dependents = catalog.services, catalog.dependents
    while queue:
        name = queue.popleft()
        for edge in dependents.get(name, ()):
            source = edge.source
            if source in chain:
                continue
            edges = chain[source] = (*chain[name], edge)
            queue.append(source)
            service = services[source]
            found.append(AffectedService(source, service.kind, service.tier, service.owner, service.lifecycle,
                                         (), edges))
    return found
