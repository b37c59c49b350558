"""SVG icons shipped in ``reviewer_app.resources/icons``, found with importlib.resources (no .qrc).

Severity is never told by colour alone: each level has its own shape (octagon, triangle, diamond,
circle) and letter (C/H/M/L), and every place that shows one also writes the letter or word.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtGui import QIcon

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_LETTER = {"critical": "C", "high": "H", "medium": "M", "low": "L"}
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def icon_path(name: str) -> str:
    path = resources.files("reviewer_app.resources") / "icons" / f"{name}.svg"
    return str(path)


@cache
def icon(name: str) -> QIcon:
    """The named icon; a missing file yields an empty icon (and a test catches it), never a crash."""
    return QIcon(icon_path(name))


def normalize_severity(value: str | None) -> str | None:
    level = (value or "").strip().lower()
    return level if level in SEVERITY_RANK else None


def severity_icon(level: str | None) -> QIcon:
    normalized = normalize_severity(level)
    return icon(f"severity-{normalized}" if normalized else "severity-none")


def severity_label(level: str | None) -> str:
    """``"C critical"``: letter and word, readable without the icon's colour."""
    normalized = normalize_severity(level)
    return f"{SEVERITY_LETTER[normalized]} {normalized}" if normalized else "- none"


def severity_rank(level: str | None) -> int:
    return SEVERITY_RANK.get(normalize_severity(level) or "", len(SEVERITY_RANK))
