"""What a catalog is made of: services, APIs, the dependency edges between services.

Every source (Backstage descriptors, ``.reviewer/services.toml``) is first read into ``RawEntity``
records that still hold unresolved references; ``catalog.py`` resolves them into ``Service`` and
``Edge`` objects, so the sources share one resolution and one set of warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations; the index and CODEOWNERS import nothing from here
    from reviewer_app.core.services.codeowners import CodeOwners
    from reviewer_app.core.services.pathindex import PathIndex

# Kinds that are services: they own paths and take part in the dependency graph.
SERVICE_KINDS = ("component", "resource")
BACKSTAGE_ORIGIN = "backstage"
TOML_ORIGIN = "services.toml"


@dataclass(slots=True)
class RawEntity:
    """One entity as written in its source file, references not yet resolved."""

    kind: str  # lower case: component, resource, api, system
    namespace: str
    name: str
    source_file: str  # as the workspace describes it (``path@rev`` when read from a revision)
    label: str  # how warnings name it: ``component:default/pricing`` or ``services.pricing``
    folder: str  # repository folder of the source file ("" for the root)
    owner: str | None = None
    lifecycle: str | None = None
    system: str | None = None
    tier: int | None = None
    path_patterns: list[str] | None = None  # None: the folder of the descriptor (components only)
    depends_on: list[str] = field(default_factory=list)
    dependency_of: list[str] = field(default_factory=list)
    subcomponent_of: list[str] = field(default_factory=list)  # Backstage spec.subcomponentOf (one parent)
    provides_apis: list[str] = field(default_factory=list)
    consumes_apis: list[str] = field(default_factory=list)
    # Field names as the source spells them, for warnings ("dependsOn" or "depends_on").
    field_names: dict[str, str] = field(default_factory=dict)
    # Backstage references name declared API entities; services.toml may name an API undeclared.
    origin: str = BACKSTAGE_ORIGIN

    def field_name(self, key: str) -> str:
        return self.field_names.get(key, key)


@dataclass(frozen=True, slots=True)
class Service:
    """A component or resource of the catalog, its references resolved."""

    name: str  # the catalog key: bare name in the default namespace, else ``namespace/name``
    kind: str  # component or resource
    tier: int | None  # 0 is the most critical
    owner: str | None
    lifecycle: str | None
    system: str | None
    paths: tuple[str, ...]  # path patterns it owns (a folder, a file, or a gitignore-style glob)
    depends_on: tuple[str, ...]  # services it depends on (from dependsOn and others' dependencyOf)
    provides_apis: tuple[str, ...]
    consumes_apis: tuple[str, ...]
    source_file: str


@dataclass(frozen=True, slots=True)
class Api:
    """An API of the catalog, with the services that provide and consume it."""

    name: str
    owner: str | None
    source_file: str | None  # None when only named by a services.toml provider or consumer
    providers: tuple[str, ...]
    consumers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` depends on ``target``: a change to the target can break the source."""

    source: str
    target: str
    # "dependsOn" (also written as the target's dependencyOf), "consumesApi", or "hasPart" (the
    # source is the parent of a subcomponent: breaking a part breaks the whole)
    kind: str
    api: str | None = None  # the API behind a consumesApi edge


@dataclass
class Catalog:
    """Every service, API and dependency the workspace's sources define, resolved."""

    services: dict[str, Service]
    apis: dict[str, Api]
    edges: list[Edge]
    path_index: PathIndex
    codeowners: CodeOwners | None
    warnings: list[str]
    # Reverse adjacency: service -> edges whose target it is (who depends on it), sorted.
    dependents: dict[str, list[Edge]] = field(default_factory=dict)
    # Position of each service in the display order (tier, a missing tier last, then name): sorting
    # thousands of affected services by a precomputed int is several times cheaper than by tuples.
    rank: dict[str, int] = field(default_factory=dict)

    def service_names_for_path(self, path: str) -> list[str]:
        """The services owning one repository path (several only on a tie of specificity)."""
        return self.path_index.owners(path)


def display_rank(services: dict[str, Service]) -> dict[str, int]:
    """Service name -> position when ordered by tier (a missing tier last), then name."""
    ordered = sorted(services.values(), key=lambda s: (s.tier is None, s.tier or 0, s.name))
    return {service.name: position for position, service in enumerate(ordered)}
