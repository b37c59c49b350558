"""Reading loosely typed fields of catalog entities, with warnings instead of exceptions.

Catalog files are written by many hands; a wrong type in one field must cost that field (with a
warning naming the file, entity and field), never the whole catalog.
"""

from __future__ import annotations

import re
from typing import Any

# Compiled by ``re`` (and kept in its cache) the first time a tier is read: a workspace without a
# catalog never reads one.
_TIER_TEXT = r"(?i)^\s*(?:tier[-_ ]?)?(\d{1,3})\s*$"
_TIER_TAG = r"(?i)^tier[-_]?(\d{1,3})$"


def tier_value(value: Any) -> int | None:
    """``1``, ``"1"``, ``"tier-1"``, ``"Tier1"`` -> 1; None when it is not a tier."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        match = re.match(_TIER_TEXT, value)
        return int(match.group(1)) if match else None
    return None


def tier_from_tags(tags: Any) -> int | None:
    """The most critical ``tier-N`` tag, if any."""
    if not isinstance(tags, list):
        return None
    tiers = [int(m.group(1)) for tag in tags if isinstance(tag, str) for m in [re.match(_TIER_TAG, tag.strip())] if m]
    return min(tiers) if tiers else None


def text_field(value: Any, where: str, field_name: str, warnings: list[str]) -> str | None:
    """A string field; numbers are accepted as text (YAML reads ``owner: 42`` as an int)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        warnings.append(f"{where}: {field_name} must be a string, got {type(value).__name__}; ignored")
        return None
    text = str(value).strip()
    return text or None


def ref_list(value: Any, where: str, field_name: str, warnings: list[str]) -> list[str]:
    """A list of references; a single string is taken as a list of one."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        warnings.append(f"{where}: {field_name} must be a list of names, got {type(value).__name__}; ignored")
        return []
    refs: list[str] = []
    for item in value:
        if isinstance(item, str) and item.strip():
            refs.append(item.strip())
        else:
            warnings.append(f"{where}: {field_name} has an entry that is not a name ({item!r}); ignored")
    return refs
