"""JSON that other programs can read: always valid UTF-8, whatever bytes a patch held.

Text parsed from a patch keeps undecodable bytes as lone surrogates (Python's ``surrogateescape``),
so that the change id can be computed from the original bytes. Written as JSON, a lone surrogate
is either an encoding error or invalid UTF-8 that ``json.loads`` and ``jq`` reject. Here each such
character becomes the visible text ``\\xNN`` (the byte it stands for), as the text output shows it.
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from reviewer_app.core.lazyregex import lazy_compile  # module patterns: compiled on first use

_LONE_SURROGATE = lazy_compile(r"[\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def clean(value: Any) -> Any:
    """The payload with every string free of lone surrogates (keys included)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(_visible, value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def dump(payload: Any, stream: TextIO) -> None:
    """Pretty JSON, sorted keys, non-ASCII kept as UTF-8, one trailing newline."""
    json.dump(clean(payload), stream, indent=2, sort_keys=True, ensure_ascii=False)
    stream.write("\n")
