"""How a line's text is shown: tabs expanded, invisible and control characters made visible.

Trojan Source attacks hide in characters a text widget renders as nothing (bidi overrides,
zero-width spaces) or that reorder the text around them. The canvas never draws them raw: each
becomes a visible marker such as ``⟨U+202E⟩``. Because markers and tabs change widths, every
column from the model (a finding's start/end, a token, a word difference) is mapped to a display
column through ``DisplayText.column``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

TAB_WIDTH = 8  # git's and the terminal's default tab stop

# Fast path: ASCII text with no control character is shown as is (minus tabs).
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# Spaces that look like a plain space (or nothing) but are not; Unicode category Zs minus U+0020.
_LOOKALIKE_SPACES = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000")
# Letters that render as blank (Hangul fillers, used to hide identifiers) and the combining grapheme joiner.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u034f")


def is_suspicious(char: str) -> bool:
    """True for characters a reviewer must see but a font shows as nothing or as a plain space."""
    if char == "\t":
        return False
    if char in _LOOKALIKE_SPACES or char in _BLANK_LETTERS:
        return True
    # Cc controls, Cf format (bidi controls, zero-width, BOM, tags), line/paragraph separators,
    # private use and unassigned code points.
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs")


def marker(char: str) -> str:
    return f"⟨U+{ord(char):04X}⟩"


@dataclass(slots=True)
class DisplayText:
    """The shown text and where each source column landed in it."""

    text: str
    # display column of each source column (len(source) + 1 entries), None when identical
    columns: list[int] | None
    # (start, end) display ranges of markers, to draw them distinctly
    markers: list[tuple[int, int]]
    # (start, end) display ranges of quiet symbols (the "↵" ending a CRLF line), drawn muted
    symbols: list[tuple[int, int]] = field(default_factory=list)

    def source_column(self, display_column: int) -> int:
        """The source column shown at a display column (inside a marker or tab: the character's own)."""
        if self.columns is None:
            return display_column
        return max(0, bisect_right(self.columns, display_column) - 1)

    def column(self, source_column: int) -> int:
        if self.columns is None:
            return source_column
        if source_column < 0:
            return 0
        if source_column >= len(self.columns):
            return len(self.text)
        return self.columns[source_column]


def display_text(source: str) -> DisplayText:
    """Expand tabs to TAB_WIDTH stops and replace suspicious characters by ``⟨U+XXXX⟩`` markers."""
    if source.isascii() and "\t" not in source and _ASCII_CONTROL.search(source) is None:
        return DisplayText(source, None, [])
    return _mapped_display_text(source)


@lru_cache(maxsize=1024)
def _mapped_display_text(source: str) -> DisplayText:
    # A character-by-character pass: cached, because a long minified line is painted again at
    # every scroll step (str caches its hash, so the lookup is cheap even for a megabyte).
    parts: list[str] = []
    columns: list[int] = []
    markers: list[tuple[int, int]] = []
    symbols: list[tuple[int, int]] = []
    width = 0
    last = len(source) - 1
    for position, char in enumerate(source):
        columns.append(width)
        if char == "\t":
            piece = " " * (TAB_WIDTH - width % TAB_WIDTH)
        elif char == "\r" and position == last:  # CRLF line ending: not a trick, a quiet symbol
            piece = "↵"  # "␍" (U+240D) is missing from common monospace fonts
            symbols.append((width, width + 1))
        elif (char.isascii() and (char < " " or char == "\x7f")) or (not char.isascii() and is_suspicious(char)):
            piece = marker(char)
            markers.append((width, width + len(piece)))
        else:
            piece = char
        parts.append(piece)
        width += len(piece)
    columns.append(width)
    return DisplayText("".join(parts), columns, markers, symbols)


def suspicious_characters(source: str) -> list[str]:
    """The markers a line shows, in order (for tooltips and tests)."""
    shown = display_text(source)
    return [shown.text[start:end] for start, end in shown.markers]
