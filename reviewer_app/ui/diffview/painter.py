"""Paints one row of the diff canvas with QPainter: headers, notes, and the text of a line.

The canvas decides *which* rows are on screen; this module decides how a row looks. Geometry is
in fixed-height rows from the monospace font's metrics (git-cola's approach): a gutter with line
numbers and the severity marker, the +/- prefix, then the text, horizontally scrolled.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from reviewer_app.core.model import Line, LineKind
from reviewer_app.ui.diffview.display import DisplayText, display_text
from reviewer_app.ui.diffview.findings import Finding
from reviewer_app.ui.diffview.highlight import LineTokens
from reviewer_app.ui.diffview.style import SEVERITY_COLOR, DiffColors, TokenFormats, paint_severity_marker, wavy_path
from reviewer_app.ui.diffview.worddiff import Ranges


@dataclass(slots=True)
class Metrics:
    """Sizes derived from the font, recomputed when the font changes."""

    line_height: int
    char_width: float
    ascent: float
    number_width: float  # one line-number column
    marker_width: float  # the severity marker column
    prefix_width: float  # the "+"/"-" column

    @property
    def gutter_width(self) -> float:
        """Numbers, marker and prefix of one side (side by side) or of the single text (unified, x2 numbers)."""
        return self.number_width + self.marker_width + self.prefix_width


def make_metrics(font: QFont, max_line_number: int) -> Metrics:
    metrics = QFontMetricsF(font)
    char_width = metrics.horizontalAdvance("0")
    digits = max(3, len(str(max_line_number)))
    line_height = int(metrics.height() + 3)
    return Metrics(
        line_height=line_height,
        char_width=char_width,
        ascent=metrics.ascent() + 1.5,
        number_width=(digits + 1) * char_width,
        marker_width=float(line_height + 2),
        prefix_width=2 * char_width,
    )


NO_NEWLINE = "⊘ no newline at end of file"
# Past this many columns a line is laid out on the monospace grid even if it has wide or
# combining characters: measuring a long prefix at every paint would stall (minified files).
GRID_ONLY_COLUMNS = 2_000


def on_grid(shown: DisplayText) -> bool:
    """Whether columns map to x by arithmetic (ASCII, or too long to measure at every paint)."""
    return shown.text.isascii() or len(shown.text) > GRID_ONLY_COLUMNS


def token_range(tokens: LineTokens, first_column: int, last_column: int) -> tuple[int, int]:
    """Tokens (as triple indices) overlapping source columns [first_column, last_column).

    A binary search: a minified line has hundreds of thousands of tokens, a screen shows ~100.
    """
    count = len(tokens) // 3
    low, high = 0, count
    while low < high:  # the first token ending after first_column
        middle = (low + high) // 2
        if tokens[middle * 3 + 1] <= first_column:
            low = middle + 1
        else:
            high = middle
    start = low
    high = count
    while low < high:  # the first token starting at or after last_column
        middle = (low + high) // 2
        if tokens[middle * 3] < last_column:
            low = middle + 1
        else:
            high = middle
    return start, low


def cut_ranges(runs: list[tuple[int, int, QColor, bool, bool]], holes: list[tuple[int, int]]) -> list[tuple[int, int, QColor, bool, bool]]:
    """The runs minus the (sorted) hole ranges: markers are not drawn twice in two colours."""
    result = []
    for start, end, *style in runs:
        for hole_start, hole_end in holes:
            if hole_end <= start or hole_start >= end:
                continue
            if hole_start > start:
                result.append((start, hole_start, *style))
            start = max(start, hole_end)
        if start < end:
            result.append((start, end, *style))
    return result  # type: ignore[return-value]


@dataclass(slots=True)
class TextPart:
    """What paint_line_text needs about one line on one side."""

    line: Line
    tokens: LineTokens | None
    word_ranges: Ranges
    findings: list[Finding]  # findings whose span refers to this line's text


class RowPainter:
    """Draws rows; holds fonts, colours and token formats (rebuilt on palette or font change)."""

    def __init__(self, font: QFont, colors: DiffColors, metrics: Metrics) -> None:
        self.font = font
        self.colors = colors
        self.metrics = metrics
        self.font_metrics = QFontMetricsF(font)
        self.formats = TokenFormats(colors.dark)
        self._variants: dict[tuple[bool, bool], QFont] = {}
        marker_font = QFont(font)
        marker_font.setBold(True)
        marker_font.setPointSizeF(max(6.0, font.pointSizeF() * 0.75))
        self.marker_font = marker_font

    def variant(self, bold: bool, italic: bool) -> QFont:
        key = (bold, italic)
        found = self._variants.get(key)
        if found is None:
            found = QFont(self.font)
            found.setBold(bold)
            found.setItalic(italic)
            self._variants[key] = found
        return found

    # --- geometry of text ---------------------------------------------------------------

    def advance(self, shown: DisplayText, column: int) -> float:
        """x offset of a display column: measured for wide or combining glyphs, arithmetic on a grid."""
        if on_grid(shown):
            return column * self.metrics.char_width
        return self.font_metrics.horizontalAdvance(shown.text[:column])

    # --- pieces ---------------------------------------------------------------------------

    def paint_number(self, painter: QPainter, x: float, y: int, number: int | None) -> None:
        if number is None:
            return
        m = self.metrics
        text = str(number)
        painter.setPen(self.colors.muted)
        painter.setFont(self.font)
        # Digits are monospaced: right-align by arithmetic (a QRectF + alignment costs 3x more).
        painter.drawText(QPointF(x + m.number_width - (len(text) + 0.5) * m.char_width, y + m.ascent), text)

    def paint_marker(self, painter: QPainter, x: float, y: int, findings: list[Finding]) -> None:
        """The worst finding's marker; a small count when the line has several."""
        if not findings:
            return
        m = self.metrics
        size = m.line_height - 3
        worst = min(findings, key=lambda finding: finding.rank)
        rect = QRectF(x + 1, y + 1.5, size, size)
        paint_severity_marker(painter, rect, worst.severity, worst.letter, self.marker_font)
        if len(findings) > 1:
            painter.setPen(self.colors.text)
            painter.setFont(self.marker_font)
            painter.drawText(QRectF(x + size, y, m.marker_width - size, m.line_height),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, str(len(findings)))

    def paint_line_text(self, painter: QPainter, part: TextPart, x0: float, y: int, clip_left: float, clip_right: float) -> int:
        """The text of a line from x0 (already shifted by the horizontal scroll), clipped to [clip_left, clip_right).

        Returns the shown text's length in columns (markers and tabs make it longer than the source).
        """
        m = self.metrics
        shown = display_text(part.line.text)
        text = shown.text
        # Only the visible columns of a line on the grid are drawn: a megabyte line costs nothing.
        if on_grid(shown):
            first_visible = max(0, int((clip_left - x0) // m.char_width) - 1)
            last_visible = int((clip_right - x0) // m.char_width) + 2
        else:
            first_visible, last_visible = 0, len(text)
        top = float(y)
        for start, end in part.word_ranges:
            left = x0 + self.advance(shown, shown.column(start))
            right = x0 + self.advance(shown, shown.column(end))
            if right > clip_left and left < clip_right:
                painter.fillRect(QRectF(left, top, right - left, m.line_height), self._word_color(part))
        visible_markers = [(start, end) for start, end in shown.markers if end > first_visible and start < last_visible]
        for start, end in visible_markers:
            left = x0 + self.advance(shown, start)
            right = x0 + self.advance(shown, end)
            painter.fillRect(QRectF(left, top + 1, right - left, m.line_height - 2), self.colors.marker_box)
        baseline = top + m.ascent
        runs = self._runs(part.tokens, shown, first_visible, last_visible)
        if visible_markers or shown.symbols:
            runs = cut_ranges(runs, sorted(visible_markers + shown.symbols))  # drawn below in their own colour
        for start, end, color, bold, italic in runs:
            start = max(start, first_visible)
            end = min(end, last_visible)
            if start >= end:
                continue
            painter.setFont(self.variant(bold, italic))
            painter.setPen(color)
            painter.drawText(x0 + self.advance(shown, start), baseline, text[start:end])
        painter.setFont(self.font)
        for ranges, color in ((visible_markers, self.colors.marker_text), (shown.symbols, self.colors.muted)):
            painter.setPen(color)
            for start, end in ranges:
                if end > first_visible and start < last_visible:
                    painter.drawText(x0 + self.advance(shown, start), baseline, text[start:end])
        if part.line.no_newline:
            painter.setFont(self.variant(False, True))
            painter.setPen(self.colors.muted)
            painter.drawText(x0 + self.advance(shown, len(text)) + m.char_width, baseline, NO_NEWLINE)
        for finding in part.findings:
            if not finding.has_span:
                continue
            left = x0 + self.advance(shown, shown.column(finding.start))  # type: ignore[arg-type]
            right = x0 + self.advance(shown, shown.column(finding.end))  # type: ignore[arg-type]
            if right <= clip_left or left >= clip_right:
                continue
            pen = QPen(QColor(SEVERITY_COLOR[finding.severity]))
            pen.setWidthF(1.2)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(wavy_path(left, right, top + m.line_height - 2.5))
        return len(text)

    def _word_color(self, part: TextPart) -> QColor:
        return self.colors.removed_word if part.line.kind is LineKind.REMOVED else self.colors.added_word

    def _runs(self, tokens: LineTokens | None, shown: DisplayText, first: int, last: int) -> list[tuple[int, int, QColor, bool, bool]]:
        """Runs of display columns [first, last) with their colour and font style (blanks left out)."""
        default = self.colors.text
        if not tokens:
            return [(first, min(last, len(shown.text)), default, False, False)]
        runs: list[tuple[int, int, QColor, bool, bool]] = []
        column = shown.column
        token_format = self.formats.format_of_id
        start_token, end_token = token_range(tokens, shown.source_column(first), shown.source_column(last) + 1)
        for index in range(start_token * 3, end_token * 3, 3):
            display_start, display_end = column(tokens[index]), column(tokens[index + 1])
            found = token_format(tokens[index + 2])
            color = found.color or default
            style = (color, found.bold, found.italic)
            if runs and runs[-1][2:] == style:
                # Same look as the previous run, and only blanks between: one drawText for both.
                runs[-1] = (runs[-1][0], display_end, *style)
            else:
                runs.append((display_start, display_end, *style))  # gaps are blanks: nothing to draw
        return runs
