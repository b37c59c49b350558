"""Backstage entity references: ``[kind:][namespace/]name``.

A reference may leave out its kind and namespace where the field implies them (``dependsOn: [pricing]``
means ``component:<own namespace>/pricing``; ``consumesApis: [pricing-api]`` means an API), so parsing
takes the defaults from the field and the referencing entity, as Backstage's own catalog does.
"""

from __future__ import annotations

from reviewer_app.core.records import FrozenRecord

DEFAULT_NAMESPACE = "default"


class EntityRef(FrozenRecord):
    """A Backstage entity reference, defaults filled in."""

    __slots__ = FIELDS = ("kind", "namespace", "name")

    def __init__(self, kind: str, namespace: str, name: str) -> None:
        self.kind = kind  # lower case: component, api, resource, system, group, user
        self.namespace = namespace
        self.name = name

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"


def parse_ref(text: str, default_kind: str, default_namespace: str = DEFAULT_NAMESPACE) -> tuple[EntityRef, bool]:
    """The reference, and whether its kind was written explicitly (so no other kind may be tried)."""
    text = text.strip()
    kind, explicit_kind = default_kind, False
    if ":" in text:
        written_kind, text = text.split(":", 1)
        kind, explicit_kind = written_kind.strip().lower(), True
    namespace = default_namespace
    if "/" in text:
        namespace, text = text.split("/", 1)
    return EntityRef(kind, namespace.strip() or default_namespace, text.strip()), explicit_kind


def service_key(namespace: str, name: str) -> str:
    """The name a service is known by in the catalog: bare in the default namespace, else ``ns/name``."""
    return name if namespace == DEFAULT_NAMESPACE else f"{namespace}/{name}"


def owner_label(owner: str) -> str:
    """A short owner name for people: ``group:default/payments`` -> ``payments``; users keep ``user:``.

    Groups are by far the usual owners, so their kind and the default namespace are dropped; anything
    else (a user, another namespace) keeps what tells it apart.
    """
    ref, explicit = parse_ref(owner, "group")
    label = service_key(ref.namespace, ref.name)
    return label if ref.kind == "group" else f"{ref.kind}:{label}"
