"""``load_catalog(workspace)``: every source merged into one resolved, validated catalog.

Order of sources: Backstage descriptors (by path), then ``.reviewer/services.toml``; the first
definition of a name wins and later ones are reported. References are resolved against everything
loaded, so a services.toml service may depend on a Backstage component and the other way round.
Nothing is cached between calls: the GUI may hold catalogs of several workspaces at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer_app.core.services.backstage import descriptor_paths, parse_descriptor
from reviewer_app.core.services.model import (
    BACKSTAGE_ORIGIN, SERVICE_KINDS, Api, Catalog, Edge, RawEntity, Service, display_rank,
)
from reviewer_app.core.services.pathindex import PathIndex
from reviewer_app.core.services.refs import EntityRef, owner_label, parse_ref, service_key
from reviewer_app.core.services.services_toml import load_services_toml
from reviewer_app.core.workspace import Workspace

if TYPE_CHECKING:
    from reviewer_app.core.services.codeowners import CodeOwners

# GitHub reads the first of these that exists.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def load_catalog(workspace: Workspace) -> Catalog:
    warnings: list[str] = []
    entities = _read_entities(workspace, warnings)
    return build_catalog(entities, warnings, load_codeowners(workspace, warnings))


def load_codeowners(workspace: Workspace, warnings: list[str]) -> CodeOwners | None:
    """The first CODEOWNERS file found, parsed; None when the repository has none."""
    for location in CODEOWNERS_LOCATIONS:
        text = workspace.read_text(location)
        if text is not None:
            # Imported here: most repositories have no CODEOWNERS, and its model costs start-up time.
            from reviewer_app.core.services.codeowners import parse_codeowners

            return parse_codeowners(text, workspace.describe(location), warnings)
    return None


def _read_entities(workspace: Workspace, warnings: list[str]) -> list[RawEntity]:
    paths = descriptor_paths(workspace.list_files())
    texts: dict[str, str | None] = {}
    if paths:  # the batch reader is imported only for a workspace that has descriptors
        from reviewer_app.core.services.reading import read_texts

        texts = read_texts(workspace, paths)
    entities: list[RawEntity] = []
    for path in paths:
        text = texts[path]
        if text is not None:
            entities.extend(parse_descriptor(text, path, workspace.describe(path), warnings))
    entities.extend(load_services_toml(workspace, warnings))
    return entities


class _Resolver:
    """Turns written references into catalog names, warning about the ones that lead nowhere."""

    def __init__(self, entities: list[RawEntity], warnings: list[str]) -> None:
        self.warnings = warnings
        self.by_ref: dict[tuple[str, str, str], RawEntity] = {}
        self.services: dict[str, RawEntity] = {}
        for entity in entities:
            self._register(entity)

    def _register(self, entity: RawEntity) -> None:
        ref = (entity.kind, entity.namespace, entity.name)
        first = self.by_ref.get(ref)
        key = service_key(entity.namespace, entity.name)
        if first is None and entity.kind in SERVICE_KINDS:
            first = self.services.get(key)  # a component and a resource may not share a catalog name
        if first is not None:
            self.warnings.append(
                f"{entity.source_file}: {entity.label}: duplicate name '{key}' "
                f"(first defined in {first.source_file} as {first.label}); this one is ignored"
            )
            return
        self.by_ref[ref] = entity
        if entity.kind in SERVICE_KINDS:
            self.services[key] = entity
        if entity.owner is None:
            self.warnings.append(f"{entity.source_file}: {entity.label}: missing owner ({entity.field_name('owner')})")

    def service(self, owner: RawEntity, text: str, field_key: str) -> str | None:
        """The catalog name of a component or resource referenced from ``owner``'s field."""
        ref, explicit_kind = parse_ref(text, "component", owner.namespace)
        kinds = (ref.kind,) if explicit_kind else SERVICE_KINDS
        for kind in kinds:
            if kind in SERVICE_KINDS and (kind, ref.namespace, ref.name) in self.by_ref:
                return service_key(ref.namespace, ref.name)
        self.warn_unknown(owner, field_key, ref)
        return None

    def api(self, owner: RawEntity, text: str) -> tuple[str, EntityRef]:
        ref, _ = parse_ref(text, "api", owner.namespace)
        return service_key(ref.namespace, ref.name), ref

    def warn_unknown(self, owner: RawEntity, field_key: str, ref: EntityRef) -> None:
        self.warnings.append(
            f"{owner.source_file}: {owner.label}: {owner.field_name(field_key)} refers to unknown {ref}"
        )


_EdgeKey = tuple[str, str, str, str | None]
_ApiUse = tuple[RawEntity, EntityRef, str]  # who names the API, as what, in which field


def build_catalog(entities: list[RawEntity], warnings: list[str], codeowners: CodeOwners | None = None) -> Catalog:
    """Resolve raw entities into services, APIs and edges; every problem becomes a warning."""
    resolver = _Resolver(entities, warnings)
    edges = _dependency_edges(resolver)
    providers, consumers, api_uses = _api_users(resolver)
    apis = _apis(resolver, providers, consumers, api_uses)
    for api in apis.values():
        for consumer in api.consumers:
            for provider in api.providers:
                if provider != consumer:
                    key = (consumer, provider, "consumesApi", api.name)
                    edges.setdefault(key, Edge(consumer, provider, "consumesApi", api.name))

    edge_list = sorted(edges.values(), key=lambda e: (e.source, e.target, e.kind, e.api or ""))
    services = _services(resolver, edge_list, providers, consumers)
    _report_cycles(resolver, edge_list, warnings)
    dependents: dict[str, list[Edge]] = {}
    for edge in edge_list:
        dependents.setdefault(edge.target, []).append(edge)
    return Catalog(
        services=services, apis=apis, edges=edge_list,
        path_index=_path_index(resolver, warnings), codeowners=codeowners,
        warnings=warnings, dependents=dependents, rank=display_rank(services),
    )


def _dependency_edges(resolver: _Resolver) -> dict[_EdgeKey, Edge]:
    """Edges dependent -> dependency: dependsOn; dependencyOf turned round; parent -> subcomponent."""
    edges: dict[_EdgeKey, Edge] = {}
    for name, entity in resolver.services.items():
        for text in entity.depends_on:
            target = resolver.service(entity, text, "depends_on")
            if target is not None:
                edges.setdefault((name, target, "dependsOn", None), Edge(name, target, "dependsOn"))
        for text in entity.dependency_of:
            source = resolver.service(entity, text, "dependency_of")
            if source is not None:
                edges.setdefault((source, name, "dependsOn", None), Edge(source, name, "dependsOn"))
        for text in entity.subcomponent_of:
            parent = resolver.service(entity, text, "subcomponent_of")
            if parent is not None:
                edges.setdefault((parent, name, "hasPart", None), Edge(parent, name, "hasPart"))
    return edges


def _api_users(
    resolver: _Resolver,
) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, list[_ApiUse]]]:
    """api -> providing services, api -> consuming services, and every mention for warnings."""
    providers: dict[str, set[str]] = {}
    consumers: dict[str, set[str]] = {}
    uses: dict[str, list[_ApiUse]] = {}
    for name, entity in resolver.services.items():
        for field_key, users in (("provides_apis", providers), ("consumes_apis", consumers)):
            for text in getattr(entity, field_key):
                api_name, ref = resolver.api(entity, text)
                users.setdefault(api_name, set()).add(name)
                uses.setdefault(api_name, []).append((entity, ref, field_key))
    return providers, consumers, uses


def _apis(
    resolver: _Resolver,
    providers: dict[str, set[str]],
    consumers: dict[str, set[str]],
    api_uses: dict[str, list[_ApiUse]],
) -> dict[str, Api]:
    """Declared API entities, plus APIs that services.toml names without declaring."""
    apis: dict[str, Api] = {}
    declared = {service_key(e.namespace, e.name): e for (kind, _, _), e in resolver.by_ref.items() if kind == "api"}
    for api_name in sorted(set(declared) | set(providers) | set(consumers)):
        entity = declared.get(api_name)
        for user, ref, field_key in api_uses.get(api_name, []):
            # Backstage references an API *entity*; services.toml only needs someone to provide it.
            needs_entity = user.origin == BACKSTAGE_ORIGIN
            if entity is None and (needs_entity or (field_key == "consumes_apis" and api_name not in providers)):
                resolver.warn_unknown(user, field_key, ref)
        apis[api_name] = Api(
            name=api_name,
            owner=owner_label(entity.owner) if entity is not None and entity.owner else None,
            source_file=entity.source_file if entity is not None else None,
            providers=tuple(sorted(providers.get(api_name, ()))),
            consumers=tuple(sorted(consumers.get(api_name, ()))),
        )
    return apis


def _services(
    resolver: _Resolver, edges: list[Edge], providers: dict[str, set[str]], consumers: dict[str, set[str]]
) -> dict[str, Service]:
    depends_on: dict[str, set[str]] = {}
    for edge in edges:
        if edge.kind == "dependsOn":
            depends_on.setdefault(edge.source, set()).add(edge.target)
    provided: dict[str, set[str]] = {}
    consumed: dict[str, set[str]] = {}
    for table, target in ((providers, provided), (consumers, consumed)):
        for api_name, names in table.items():
            for name in names:
                target.setdefault(name, set()).add(api_name)
    services = {}
    for name in sorted(resolver.services):
        entity = resolver.services[name]
        services[name] = Service(
            name=name, kind=entity.kind, tier=entity.tier,
            owner=owner_label(entity.owner) if entity.owner else None,
            lifecycle=entity.lifecycle, system=entity.system,
            paths=tuple(_ownership_patterns(entity)),
            depends_on=tuple(sorted(depends_on.get(name, ()))),
            provides_apis=tuple(sorted(provided.get(name, ()))),
            consumes_apis=tuple(sorted(consumed.get(name, ()))),
            source_file=entity.source_file,
        )
    return services


def _ownership_patterns(entity: RawEntity) -> list[str]:
    if entity.path_patterns is not None:
        return entity.path_patterns
    # A component owns the folder of its descriptor; a resource (a database, a queue) owns files
    # only when it lists them, since its descriptor usually sits beside the code that uses it.
    return [entity.folder + "/" if entity.folder else "/"] if entity.kind == "component" else []


def _path_index(resolver: _Resolver, warnings: list[str]) -> PathIndex:
    index = PathIndex()
    for name, entity in resolver.services.items():
        for pattern in _ownership_patterns(entity):
            if not index.add(name, pattern):
                warnings.append(f"{entity.source_file}: {entity.label}: path pattern '{pattern}' is not valid; ignored")
    return index


def _report_cycles(resolver: _Resolver, edges: list[Edge], warnings: list[str]) -> None:
    if not edges:
        return
    from reviewer_app.core.services.cycles import shortest_loop, strongly_connected  # only a catalog with edges can loop

    graph: dict[str, list[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge.target)
    for component in strongly_connected(graph):
        first = component[0]
        loop = shortest_loop(graph, first, set(component))
        entity = resolver.services[first]
        extra = f" ({len(component)} services in the cycle)" if len(component) > len(loop) - 1 else ""
        warnings.append(f"{entity.source_file}: {entity.label}: dependency cycle {' -> '.join(loop)}{extra}")
