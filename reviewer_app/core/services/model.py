"""What a catalog is made of: services, APIs, the dependency edges between services.

Every source (Backstage descriptors, ``.reviewer/services.toml``) is first read into ``RawEntity``
records that still hold unresolved references; ``catalog.py`` resolves them into ``Service`` and
``Edge`` objects, so the sources share one resolution and one set of warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer_app.core.records import FrozenRecord, Record

if TYPE_CHECKING:  # only for annotations; the index and CODEOWNERS import nothing from here
    from reviewer_app.core.services.codeowners import CodeOwners
    from reviewer_app.core.services.pathindex import PathIndex

# Kinds that are services: they own paths and take part in the dependency graph.
SERVICE_KINDS = ("component", "resource")
BACKSTAGE_ORIGIN = "backstage"
TOML_ORIGIN = "services.toml"


class RawEntity(Record):
    """One entity as written in its source file, references not yet resolved."""

    __slots__ = FIELDS = (
        "kind", "namespace", "name", "source_file", "label", "folder", "owner", "lifecycle", "system", "tier",
        "path_patterns", "depends_on", "dependency_of", "subcomponent_of", "provides_apis", "consumes_apis",
        "field_names", "origin",
    )

    def __init__(self, kind: str, namespace: str, name: str, source_file: str, label: str, folder: str,
                 owner: str | None = None, lifecycle: str | None = None, system: str | None = None,
                 tier: int | None = None, path_patterns: list[str] | None = None,
                 depends_on: list[str] | None = None, dependency_of: list[str] | None = None,
                 subcomponent_of: list[str] | None = None, provides_apis: list[str] | None = None,
                 consumes_apis: list[str] | None = None, field_names: dict[str, str] | None = None,
                 origin: str = BACKSTAGE_ORIGIN) -> None:
        self.kind = kind  # lower case: component, resource, api, system
        self.namespace = namespace
        self.name = name
        self.source_file = source_file  # as the workspace describes it (``path@rev`` when read from a revision)
        self.label = label  # how warnings name it: ``component:default/pricing`` or ``services.pricing``
        self.folder = folder  # repository folder of the source file ("" for the root)
        self.owner = owner
        self.lifecycle = lifecycle
        self.system = system
        self.tier = tier
        self.path_patterns = path_patterns  # None: the folder of the descriptor (components only)
        # The lists (and field_names) default to empty ones of their own.
        self.depends_on = [] if depends_on is None else depends_on
        self.dependency_of = [] if dependency_of is None else dependency_of
        self.subcomponent_of = [] if subcomponent_of is None else subcomponent_of  # Backstage spec.subcomponentOf
        self.provides_apis = [] if provides_apis is None else provides_apis
        self.consumes_apis = [] if consumes_apis is None else consumes_apis
        # Field names as the source spells them, for warnings ("dependsOn" or "depends_on").
        self.field_names = {} if field_names is None else field_names
        # Backstage references name declared API entities; services.toml may name an API undeclared.
        self.origin = origin

    def field_name(self, key: str) -> str:
        return self.field_names.get(key, key)


class Service(FrozenRecord):
    """A component or resource of the catalog, its references resolved."""

    __slots__ = FIELDS = ("name", "kind", "tier", "owner", "lifecycle", "system", "paths", "depends_on",
                          "provides_apis", "consumes_apis", "source_file")

    def __init__(self, name: str, kind: str, tier: int | None, owner: str | None, lifecycle: str | None,
                 system: str | None, paths: tuple[str, ...], depends_on: tuple[str, ...],
                 provides_apis: tuple[str, ...], consumes_apis: tuple[str, ...], source_file: str) -> None:
        self.name = name  # the catalog key: bare name in the default namespace, else ``namespace/name``
        self.kind = kind  # component or resource
        self.tier = tier  # 0 is the most critical
        self.owner = owner
        self.lifecycle = lifecycle
        self.system = system
        self.paths = paths  # path patterns it owns (a folder, a file, or a gitignore-style glob)
        self.depends_on = depends_on  # services it depends on (from dependsOn and others' dependencyOf)
        self.provides_apis = provides_apis
        self.consumes_apis = consumes_apis
        self.source_file = source_file


class Api(FrozenRecord):
    """An API of the catalog, with the services that provide and consume it."""

    __slots__ = FIELDS = ("name", "owner", "source_file", "providers", "consumers")

    def __init__(self, name: str, owner: str | None, source_file: str | None, providers: tuple[str, ...],
                 consumers: tuple[str, ...]) -> None:
        self.name = name
        self.owner = owner
        self.source_file = source_file  # None when only named by a services.toml provider or consumer
        self.providers = providers
        self.consumers = consumers


class Edge(FrozenRecord):
    """``source`` depends on ``target``: a change to the target can break the source."""

    __slots__ = FIELDS = ("source", "target", "kind", "api")

    def __init__(self, source: str, target: str, kind: str, api: str | None = None) -> None:
        self.source = source
        self.target = target
        # "dependsOn" (also written as the target's dependencyOf), "consumesApi", or "hasPart" (the
        # source is the parent of a subcomponent: breaking a part breaks the whole)
        self.kind = kind
        self.api = api  # the API behind a consumesApi edge


class Catalog(Record):
    """Every service, API and dependency the workspace's sources define, resolved."""

    FIELDS = ("services", "apis", "edges", "path_index", "codeowners", "warnings", "dependents", "rank")

    def __init__(self, services: dict[str, Service], apis: dict[str, Api], edges: list[Edge], path_index: PathIndex,
                 codeowners: CodeOwners | None, warnings: list[str], dependents: dict[str, list[Edge]] | None = None,
                 rank: dict[str, int] | None = None) -> None:
        self.services = services
        self.apis = apis
        self.edges = edges
        self.path_index = path_index
        self.codeowners = codeowners
        self.warnings = warnings
        # Reverse adjacency: service -> edges whose target it is (who depends on it), sorted.
        self.dependents = {} if dependents is None else dependents
        # Position of each service in the display order (tier, a missing tier last, then name): sorting
        # thousands of affected services by a precomputed int is several times cheaper than by tuples.
        self.rank = {} if rank is None else rank

    def service_names_for_path(self, path: str) -> list[str]:
        """The services owning one repository path (several only on a tie of specificity)."""
        return self.path_index.owners(path)


def display_rank(services: dict[str, Service]) -> dict[str, int]:
    """Service name -> position when ordered by tier (a missing tier last), then name."""
    ordered = sorted(services.values(), key=lambda s: (s.tier is None, s.tier or 0, s.name))
    return {service.name: position for position, service in enumerate(ordered)}
