"""YAML documents as plain Python values that remember the line of every key and item.

PyYAML's composer (libyaml when available) gives nodes with positions; this turns them into
``Map`` (a dict) and ``Seq`` (a list) whose ``lines`` say where each key or item starts, so a
finding points at the culprit line. Only the safe core schema is built (no tags run code).
"""

from __future__ import annotations

from typing import Any, Iterator

import yaml

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    _Loader = yaml.SafeLoader


class Map(dict):
    line: int = 0  # 0-based line in the text

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class Seq(list):
    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


TRUE = frozenset({"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
FALSE = frozenset({"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})


def load_all(text: str) -> list[Any]:
    """Every document of ``text`` (empty ones dropped). Raises yaml.YAMLError when it is not YAML."""
    return [_build(node) for node in yaml.compose_all(text, Loader=_Loader) if node is not None]


def _build(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        result = Map()
        result.line = node.start_mark.line
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = _build(value_node)
                for item in merged if isinstance(merged, list) else [merged]:
                    if isinstance(item, Map):
                        for key, value in item.items():
                            result.setdefault(key, value)
                            result.lines.setdefault(key, item.line_of(key))
                continue
            key = _build(key_node)
            key = str(key) if not isinstance(key, str) else key
            result[key] = _build(value_node)
            result.lines[key] = key_node.start_mark.line
        return result
    if isinstance(node, yaml.SequenceNode):
        seq = Seq()
        seq.line = node.start_mark.line
        for item in node.value:
            seq.append(_build(item))
            seq.lines.append(item.start_mark.line)
        return seq
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    value = node.value
    tag = node.tag
    if tag == "tag:yaml.org,2002:bool":
        return value in TRUE
    if tag == "tag:yaml.org,2002:int":
        try:
            return int(value.replace("_", ""), 0) if not value.startswith("0") or value == "0" else int(value, 8 if value[1:2].isdigit() else 0)
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:float":
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:null":
        return None
    return value


def flatten(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], tuple[Any, Any, Any]]]:
    """(path, (scalar, parent node, key or index)) for every scalar; list items are keyed by name when they have one."""
    if isinstance(node, Map):
        for key, value in node.items():
            if isinstance(value, (Map, Seq)):
                yield from flatten(value, path + (key,))
            else:
                yield path + (key,), (value, node, key)
    elif isinstance(node, Seq):
        for index, item in enumerate(node):
            label = f"[{item.get('name')}]" if isinstance(item, Map) and item.get("name") is not None else index
            if isinstance(item, (Map, Seq)):
                yield from flatten(item, path + (label,))
            else:
                yield path + (label,), (item, node, index)


def line_of(node: Any, key: Any) -> int:
    """The 0-based line of ``node[key]`` (a Map key or a Seq index)."""
    if isinstance(node, Map):
        return node.line_of(key)
    if isinstance(node, Seq) and isinstance(key, int) and key < len(node.lines):
        return node.lines[key]
    return getattr(node, "line", 0)
