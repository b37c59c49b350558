"""``.reviewer/services.toml``: a service catalog for repositories without Backstage.

    [services.pricing]
    paths = ["services/pricing/", "libs/pricing-rules/**/*.py"]
    tier = 1
    owner = "@acme/payments"
    lifecycle = "production"
    depends_on = ["ledger"]
    provides_apis = ["pricing-api"]
    consumes_apis = ["fx-rates"]

References are plain names (Backstage references like ``component:ledger`` are accepted too). An
API needs no declaration: naming it in ``provides_apis`` is enough for its consumers to find it.
"""

from __future__ import annotations

from typing import Any

from reviewer_app.core.services.fields import ref_list, text_field, tier_value
from reviewer_app.core.services.model import TOML_ORIGIN, RawEntity
from reviewer_app.core.services.refs import DEFAULT_NAMESPACE
from reviewer_app.core.workspace import Workspace

SERVICES_TOML = ".reviewer/services.toml"
_KNOWN_KEYS = frozenset({
    "paths", "tier", "owner", "lifecycle", "system", "kind",
    "depends_on", "dependency_of", "provides_apis", "consumes_apis",
})
_KINDS = ("component", "resource")


def load_services_toml(workspace: Workspace, warnings: list[str]) -> list[RawEntity]:
    text = workspace.read_text(SERVICES_TOML)
    if text is None:
        return []
    return parse_services_toml(text, workspace.describe(SERVICES_TOML), warnings)


def parse_services_toml(text: str, source: str, warnings: list[str]) -> list[RawEntity]:
    import tomllib  # only a repository with a services file pays for the parser

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends with "(at line N, column M)"
        warnings.append(f"{source}: invalid TOML: {exc}")
        return []
    services = document.get("services", {})
    if not isinstance(services, dict):
        warnings.append(f"{source}: 'services' must be a table of [services.NAME] tables; ignored")
        return []
    unknown_tables = sorted(set(document) - {"services"})
    if unknown_tables:
        warnings.append(f"{source}: unknown top-level key(s) {', '.join(unknown_tables)}; ignored")
    entities = []
    for name, table in services.items():
        entity = _entity(name, table, source, warnings)
        if entity is not None:
            entities.append(entity)
    return entities


def _entity(name: str, table: Any, source: str, warnings: list[str]) -> RawEntity | None:
    label = f"services.{name}"
    where = f"{source}: {label}"
    if not isinstance(table, dict):
        warnings.append(f"{where}: must be a table ([services.{name}]); skipped")
        return None
    for key in sorted(set(table) - _KNOWN_KEYS):
        warnings.append(f"{where}: unknown key '{key}' (known: {', '.join(sorted(_KNOWN_KEYS))}); ignored")
    kind = text_field(table.get("kind"), where, "kind", warnings) or "component"
    if kind not in _KINDS:
        warnings.append(f"{where}: kind '{kind}' is not one of {', '.join(_KINDS)}; 'component' is used")
        kind = "component"
    tier = None
    if "tier" in table:
        tier = tier_value(table["tier"])
        if tier is None:
            warnings.append(f"{where}: tier '{table['tier']}' is not a tier (0, 1, 2... or tier-N); ignored")
    return RawEntity(
        kind=kind, namespace=DEFAULT_NAMESPACE, name=name, source_file=source, label=label, folder="",
        owner=text_field(table.get("owner"), where, "owner", warnings),
        lifecycle=text_field(table.get("lifecycle"), where, "lifecycle", warnings),
        system=text_field(table.get("system"), where, "system", warnings),
        tier=tier,
        # No paths means the service owns no files (a database, an external system), not the root.
        path_patterns=ref_list(table.get("paths"), where, "paths", warnings),
        depends_on=ref_list(table.get("depends_on"), where, "depends_on", warnings),
        dependency_of=ref_list(table.get("dependency_of"), where, "dependency_of", warnings),
        provides_apis=ref_list(table.get("provides_apis"), where, "provides_apis", warnings),
        consumes_apis=ref_list(table.get("consumes_apis"), where, "consumes_apis", warnings),
        origin=TOML_ORIGIN,
    )
