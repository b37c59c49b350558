"""Configuration keys and feature flags a change removes from a configuration file.

A configuration file is a ``.yaml``/``.yml``/``.json``/``.toml``/``.ini``/``.properties`` file whose
path says it is configuration (``config``, ``settings``, ``flags``, ``features``), or a ``.env`` file.
Keys are read on both sides (every mapping key, at any depth); a key only on the old side is removed.
Only distinctive keys are kept (at least four characters and a ``_``, ``-`` or ``.``, a capital
inside, or all capitals): ``name`` or ``port`` would be found in every file and prove nothing.
A file under ``flag``/``feature`` paths holds feature flags, anything else configuration keys.
Uses (uses.py) are the key written in quotes in code, or as an environment variable
(``process.env.KEY``, ``$KEY``, ``${KEY}``), outside configuration files.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reviewer_app.core.callers.model import REMOVED, ChangedSymbol

_CONFIG_EXTENSIONS = (".yaml", ".yml", ".json", ".toml", ".ini", ".properties", ".cfg")
_CONFIG_WORDS = ("config", "settings", "flag", "feature")
_SKIPPED = (".github/", ".reviewer/", "catalog-info.", "package.json", "package-lock.json", "tsconfig")
# Compiled (and kept in re's cache) for the first configuration file a change touches.
_DISTINCTIVE = r"^(?=.{4,}$)[A-Za-z_][\w.-]*$"
_ASSIGNMENT = r"^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*[=:]"


def is_config_file(path: str) -> bool:
    lower = path.lower()
    name = lower.rsplit("/", 1)[-1]
    if any(part in lower for part in _SKIPPED):
        return False
    if name == ".env" or name.endswith(".env") or name.startswith(".env."):
        return True
    return lower.endswith(_CONFIG_EXTENSIONS) and any(word in lower for word in _CONFIG_WORDS)


def _distinctive(key: str) -> bool:
    if not re.match(_DISTINCTIVE, key):
        return False
    return any(c in key for c in "_-.") or key.isupper() or any(c.isupper() for c in key[1:])


def _keys(path: str, text: str | None) -> dict[str, int] | None:
    """Key -> first line it appears on; None when the file does not parse."""
    if not text:
        return {}
    lower = path.lower()
    names: list[str] = []
    try:
        if lower.endswith((".yaml", ".yml")):
            import yaml

            for document in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                _walk(document, names)
        elif lower.endswith(".json"):
            _walk(json.loads(text), names)
        elif lower.endswith(".toml"):
            import tomllib  # only a changed TOML file pays for the parser

            _walk(tomllib.loads(text), names)
        else:
            names = [m.group(1) for m in map(re.compile(_ASSIGNMENT).match, text.split("\n")) if m]
    except Exception:  # noqa: BLE001 - each format's parser has its own errors; a bad file is skipped
        return None
    lines = text.split("\n")
    found: dict[str, int] = {}
    for key in names:
        if key in found or not _distinctive(key):
            continue
        found[key] = next((n for n, line in enumerate(lines, 1) if key in line), 0)
    return found


def _walk(value: Any, names: list[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            names.append(str(key))
            _walk(inner, names)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, names)


def config_symbols(path: str, old: str | None, new: str | None) -> list[ChangedSymbol]:
    if not is_config_file(path):
        return []
    before, after = _keys(path, old), _keys(path, new)
    if before is None or after is None:
        return []
    kind = "feature-flag" if any(word in path.lower() for word in ("flag", "feature")) else "config-key"
    return [ChangedSymbol(symbol=key, name=key, kind=kind, change=REMOVED, path=path, language="config",
                          line=line, side="old", old_line=line)
            for key, line in before.items() if key not in after]


def reads_key(text: str, key: str) -> bool:
    """Whether a line of code reads ``key``: in quotes, or as an environment variable."""
    quoted = re.escape(key)
    return bool(re.search(rf"""["'`]{quoted}["'`]|process\.env\.{quoted}\b|\$\{{?{quoted}\b""", text))
