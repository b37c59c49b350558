"""Backstage descriptors (``catalog-info.yaml``) anywhere in the repository -> ``RawEntity`` records.

Kinds Component, API, Resource and System are read; other kinds (Group, User, Location...) are
legitimate Backstage entities that say nothing about code ownership, so they are passed over silently.
Reviewer-specific facts live in annotations, which Backstage keeps but ignores:
``reviewer-app/tier`` (0 is the most critical; ``spec.tier`` and a ``tier-N`` tag are accepted too)
and ``reviewer-app/paths`` (comma-separated path patterns, repository-relative, or relative to the
descriptor's folder when they start with ``./``).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from reviewer_app.core.services.fields import ref_list, text_field, tier_from_tags, tier_value
from reviewer_app.core.services.model import RawEntity
from reviewer_app.core.services.refs import DEFAULT_NAMESPACE

if TYPE_CHECKING:
    import yaml

DESCRIPTOR_NAMES = frozenset({"catalog-info.yaml", "catalog-info.yml"})
VENDORED_DIRS = frozenset({"node_modules", "vendor", "third_party"})
READ_KINDS = frozenset({"component", "api", "resource", "system"})
TIER_ANNOTATION = "reviewer-app/tier"
PATHS_ANNOTATION = "reviewer-app/paths"

# How reference warnings name fields: "...: dependsOn refers to unknown component:default/ledger".
_FIELD_NAMES = {
    "depends_on": "dependsOn", "dependency_of": "dependencyOf", "subcomponent_of": "subcomponentOf",
    "provides_apis": "providesApis", "consumes_apis": "consumesApis",
    "owner": "spec.owner", "system": "spec.system",
}


def descriptor_paths(files: list[str]) -> list[str]:
    """The catalog descriptors among repository files, vendored folders left out."""
    found = []
    for path in files:
        folder, _, name = path.rpartition("/")
        if name in DESCRIPTOR_NAMES and not VENDORED_DIRS.intersection(folder.split("/")):
            found.append(path)
    return found


def _yaml_error(source: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}: invalid YAML ({problem}); entities after this point are skipped"


def parse_descriptor(text: str, relpath: str, source: str, warnings: list[str]) -> list[RawEntity]:
    """Every Component, API, Resource and System in one (multi-document) descriptor."""
    # PyYAML is imported here, not with the module: a workspace without descriptors (a one-line
    # analyze) never pays for it.
    import yaml

    from reviewer_app.core.services.yamlload import load_documents

    entities: list[RawEntity] = []
    folder = posixpath.dirname(relpath)
    try:
        for number, document in enumerate(load_documents(text), start=1):
            entity = _entity(document, number, folder, source, warnings)
            if entity is not None:
                entities.append(entity)
    except yaml.YAMLError as exc:
        warnings.append(_yaml_error(source, exc))
    except RecursionError:  # Python-side construction recurses; libyaml caps flow nesting itself
        warnings.append(f"{source}: invalid YAML (nested too deeply); entities after this point are skipped")
    return entities


def _entity(document: Any, number: int, folder: str, source: str, warnings: list[str]) -> RawEntity | None:
    if document is None:
        return None  # an empty document, e.g. a trailing "---"
    if not isinstance(document, dict):
        warnings.append(f"{source}: document {number} is not a mapping; skipped")
        return None
    kind = document.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        warnings.append(f"{source}: document {number} has no kind; skipped")
        return None
    kind = kind.strip().lower()
    if kind not in READ_KINDS:
        return None
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if isinstance(name, int) and not isinstance(name, bool):
        name = str(name)  # YAML reads "name: 2048" as a number; Backstage allows digit-only names
    if not isinstance(name, str) or not name.strip():
        warnings.append(f"{source}: document {number} ({kind}) has no metadata.name; skipped")
        return None
    assert isinstance(metadata, dict)
    namespace = text_field(metadata.get("namespace"), source, "metadata.namespace", warnings) or DEFAULT_NAMESPACE
    label = f"{kind}:{namespace}/{name.strip()}"
    where = f"{source}: {label}"
    spec = document.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        warnings.append(f"{where}: spec is not a mapping; ignored")
        spec = {}
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
    return RawEntity(
        kind=kind, namespace=namespace, name=name.strip(), source_file=source, label=label, folder=folder,
        owner=text_field(spec.get("owner"), where, "spec.owner", warnings),
        lifecycle=text_field(spec.get("lifecycle"), where, "spec.lifecycle", warnings),
        system=text_field(spec.get("system"), where, "spec.system", warnings),
        tier=_tier(annotations, spec, metadata.get("tags"), where, warnings),
        path_patterns=_path_patterns(annotations, folder, where, warnings),
        depends_on=ref_list(spec.get("dependsOn"), where, "spec.dependsOn", warnings),
        dependency_of=ref_list(spec.get("dependencyOf"), where, "spec.dependencyOf", warnings),
        subcomponent_of=ref_list(spec.get("subcomponentOf"), where, "spec.subcomponentOf", warnings),
        provides_apis=ref_list(spec.get("providesApis"), where, "spec.providesApis", warnings),
        consumes_apis=ref_list(spec.get("consumesApis"), where, "spec.consumesApis", warnings),
        field_names=_FIELD_NAMES,
    )


def _tier(annotations: dict[str, Any], spec: dict[str, Any], tags: Any, where: str, warnings: list[str]) -> int | None:
    for field_name, value in ((f"annotation {TIER_ANNOTATION}", annotations.get(TIER_ANNOTATION)),
                              ("spec.tier", spec.get("tier"))):
        if value is None:
            continue
        tier = tier_value(value)
        if tier is None:
            warnings.append(f"{where}: {field_name} '{value}' is not a tier (0, 1, 2... or tier-N); ignored")
            continue
        return tier
    return tier_from_tags(tags)


def _path_patterns(annotations: dict[str, Any], folder: str, where: str, warnings: list[str]) -> list[str] | None:
    value = annotations.get(PATHS_ANNOTATION)
    if value is None:
        return None
    if not isinstance(value, str):
        warnings.append(f"{where}: annotation {PATHS_ANNOTATION} must be a comma-separated string; ignored")
        return None
    patterns = []
    for part in value.split(","):
        pattern = part.strip()
        if pattern.startswith("./"):
            pattern = posixpath.join(folder, pattern[2:]) if folder else pattern[2:]
        if pattern:
            patterns.append(pattern)
    if not patterns:
        warnings.append(f"{where}: annotation {PATHS_ANNOTATION} lists no paths; the descriptor's folder is used")
        return None
    return patterns
