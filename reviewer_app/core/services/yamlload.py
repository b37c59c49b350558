"""Loading catalog YAML fast, with PyYAML's own semantics.

Parsing and tag resolution run in libyaml through ``yaml.CSafeLoader`` when PyYAML has it. Building
Python objects is then PyYAML's ``SafeConstructor``, pure Python and about half of the load time of a
5,000-descriptor catalog. Catalog files hold strings, maps, lists and the odd number, null or bool,
so those nodes are converted directly (numbers and bools by PyYAML's own constructors, so "0x1f" or
"yes" mean what they always meant); a document with anything else (floats, dates, merge keys, custom
tags) is handed to ``SafeConstructor`` unchanged. ``benchmarks/bench_services.py`` measures both.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

# The C loader parses catalog files several times faster; PyYAML built without libyaml lacks it.
Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"


class _NeedsFullConstructor(Exception):
    """A node this shortcut does not build; the whole document goes to SafeConstructor."""


def load_documents(text: str, loader_class: Any = None) -> Iterator[Any]:
    """Like ``yaml.load_all(text, Loader=CSafeLoader)``; raises ``yaml.YAMLError`` on bad input."""
    loader = (loader_class or Loader)(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            try:
                yield _build(node, loader, {})
            except _NeedsFullConstructor:
                yield loader.construct_document(node)
    finally:
        loader.dispose()


def _build(node: Node, loader: Any, built: dict[int, Any]) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    known = built.get(id(node))  # an alias: the same object, as SafeConstructor gives (no blow-up)
    if known is not None:
        return known
    if tag == _MAP and isinstance(node, MappingNode):
        mapping: dict[Any, Any] = {}
        built[id(node)] = mapping
        for key_node, value_node in node.value:
            key = _build(key_node, loader, built)
            if not isinstance(key, Hashable):
                raise _NeedsFullConstructor  # SafeConstructor reports it properly
            mapping[key] = _build(value_node, loader, built)
        return mapping
    if tag == _SEQ and isinstance(node, SequenceNode):
        sequence: list[Any] = []
        built[id(node)] = sequence
        sequence.extend(_build(item, loader, built) for item in node.value)
        return sequence
    if tag == _NULL:
        return None
    if tag == _INT:
        return loader.construct_yaml_int(node)
    if tag == _BOOL:
        return loader.construct_yaml_bool(node)
    raise _NeedsFullConstructor
