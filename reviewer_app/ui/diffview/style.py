"""Colours, fonts and shapes of the diff canvas, for light and dark palettes.

Severity is never told by colour alone: every marker has its own shape (octagon, triangle,
diamond, circle) and its letter (C/H/M/L).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPainter, QPainterPath, QPalette, QPolygonF

from reviewer_app.ui.diffview.highlight import TOKEN_TYPES

SEVERITY_COLOR = {"critical": "#b3002d", "high": "#d4380d", "medium": "#b7791f", "low": "#2f6fb3"}


@dataclass(frozen=True)
class DiffColors:
    text: QColor
    muted: QColor
    base: QColor
    added: QColor
    removed: QColor
    added_word: QColor
    removed_word: QColor
    gutter: QColor
    file_header: QColor
    hunk_header: QColor
    empty_side: QColor
    current: QColor
    marker_box: QColor
    marker_text: QColor
    dark: bool


def diff_colors(palette: QPalette) -> DiffColors:
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    if dark:
        table = dict(added="#1f3a28", removed="#4a2326", added_word="#2f6b3f", removed_word="#85343b",
                     gutter="#262626", file_header="#303540", hunk_header="#1d3347", empty_side="#2a2a2a",
                     current="#8ab4f8", marker_box="#5c1f66", marker_text="#ffd6ff", muted="#9a9a9a")
    else:
        table = dict(added="#e6ffec", removed="#ffebe9", added_word="#abf2bc", removed_word="#ffc1bd",
                     gutter="#f6f8fa", file_header="#eaeef2", hunk_header="#ddf4ff", empty_side="#f3f3f3",
                     current="#0969da", marker_box="#f5d0ff", marker_text="#6a007a", muted="#6e7781")
    colors = {name: QColor(value) for name, value in table.items()}
    return DiffColors(text=palette.color(QPalette.ColorRole.Text), base=palette.color(QPalette.ColorRole.Base), dark=dark, **colors)


def monospace_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


@dataclass(frozen=True)
class TokenFormat:
    color: QColor | None
    bold: bool
    italic: bool


class TokenFormats:
    """pygments token type -> colour/bold/italic, looked up once per type."""

    def __init__(self, dark: bool) -> None:
        self._style = get_style_by_name("monokai" if dark else "default")
        self._cache: dict[_TokenType, TokenFormat] = {}
        self._by_id: dict[int, TokenFormat] = {}

    def format_of_id(self, type_id: int) -> TokenFormat:
        """The format of a token type id (see highlight.TOKEN_TYPES)."""
        found = self._by_id.get(type_id)
        if found is None:
            found = self.format(TOKEN_TYPES[type_id])
            self._by_id[type_id] = found
        return found

    def format(self, token_type: _TokenType) -> TokenFormat:
        found = self._cache.get(token_type)
        if found is None:
            # Lexers emit token types a style may not name (YAML's Literal.Scalar.Plain): use the
            # nearest ancestor the style knows, as pygments' own formatters do.
            known = token_type
            while not self._style.styles_token(known) and known.parent is not None:
                known = known.parent
            spec = self._style.style_for_token(known)
            color = QColor("#" + spec["color"]) if spec["color"] else None
            found = TokenFormat(color, bool(spec["bold"]), bool(spec["italic"]))
            self._cache[token_type] = found
        return found


@lru_cache(maxsize=16)
def _unit_shape(severity: str) -> tuple[tuple[float, float], ...]:
    """The marker outline in a unit square: octagon, triangle, diamond; () means a circle."""
    if severity == "critical":
        a = 0.29
        return ((a, 0), (1 - a, 0), (1, a), (1, 1 - a), (1 - a, 1), (a, 1), (0, 1 - a), (0, a))
    if severity == "high":
        return ((0.5, 0), (1, 1), (0, 1))
    if severity == "medium":
        return ((0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5))
    return ()


def paint_severity_marker(painter: QPainter, rect: QRectF, severity: str, letter: str, font: QFont) -> None:
    """A filled shape with its letter: readable without telling colours apart."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(SEVERITY_COLOR.get(severity, "#666666")))
    shape = _unit_shape(severity)
    if shape:
        painter.drawPolygon(QPolygonF([QPointF(rect.x() + x * rect.width(), rect.y() + y * rect.height()) for x, y in shape]))
    else:
        painter.drawEllipse(rect)
    painter.setPen(QColor("#ffffff"))
    painter.setFont(font)
    text_rect = rect.adjusted(0, rect.height() * 0.18 if severity == "high" else 0, 0, 0)
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, letter)
    painter.restore()


def wavy_path(x1: float, x2: float, y: float, amplitude: float = 1.5, wavelength: float = 4.0) -> QPainterPath:
    """A wavy underline from x1 to x2 at baseline y (the "this span" mark of a finding)."""
    path = QPainterPath(QPointF(x1, y))
    x = x1
    up = True
    while x < x2:
        step = min(wavelength / 2, x2 - x)
        path.quadTo(QPointF(x + step / 2, y + (-amplitude if up else amplitude)), QPointF(x + step, y))
        x += step
        up = not up
    return path
