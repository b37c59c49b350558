"""Drawing whole rows: what the canvas state says each kind of row looks like.

The canvas hands a ``Scene`` (a snapshot of its state: change, findings, highlighter, modes,
width, horizontal scroll) and a row; ``SceneDrawer`` lays the row out (gutter with line numbers
and severity markers, the +/- prefix, the text; one or two halves) and uses ``RowPainter`` for
the pieces. Hit testing (tooltips, clicks) uses the same geometry helpers, so what is drawn and
what answers the mouse cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter

from reviewer_app.core.model import FileDiff, LineKind
from reviewer_app.ui.diffview.display import display_text
from reviewer_app.ui.diffview.findings import Finding, FindingIndex
from reviewer_app.ui.diffview.highlight import Highlighter, LineTokens
from reviewer_app.ui.diffview.painter import Metrics, RowPainter, TextPart
from reviewer_app.ui.diffview.rows import NO_LINE, Row, RowKind, body_size, file_title
from reviewer_app.ui.diffview.style import paint_severity_marker
from reviewer_app.ui.diffview.worddiff import Ranges, WordDiffs

VIEWED_LABEL = ("☐ Viewed", "☑ Viewed")


@dataclass(slots=True)
class Scene:
    """The canvas state a paint (or a hit test) reads."""

    files: list[FileDiff]
    findings: FindingIndex
    highlighter: Highlighter | None
    words: WordDiffs
    collapsed: set[int]
    viewed: set[int]
    generated: set[int]
    stats: list[tuple[int, int]]  # (added, removed) per file
    width: int  # of the viewport
    scroll_x: int  # horizontal scroll in pixels
    side_by_side: bool


def text_area(metrics: Metrics, width: float, side_by_side: bool) -> tuple[float, float]:
    """x where text starts and the width text gets (per half in side-by-side mode)."""
    if side_by_side:
        return metrics.gutter_width, width / 2 - metrics.gutter_width
    return metrics.number_width + metrics.gutter_width, width - metrics.number_width - metrics.gutter_width


def finding_side(row: Row, finding: Finding) -> str:
    """Which half shows a finding: the line's side for changed pairs, its declared side for context."""
    if row.old_index != row.new_index:
        return "old" if finding.line_index == row.old_index else "new"
    return finding.side


def row_findings(findings: FindingIndex, row: Row, side: str | None = None) -> list[Finding]:
    """Findings on the line(s) of a row (file-level ones on a file header); ``side`` keeps one half's."""
    if row.kind is RowKind.FILE:
        return findings.file_level(row.file_index)
    if row.kind is not RowKind.LINE:
        return []
    found: list[Finding] = []
    for index in dict.fromkeys((row.old_index, row.new_index)):
        if index != NO_LINE:
            found.extend(findings.at_line(row.file_index, row.hunk_index, index))
    if side is not None:
        found = [finding for finding in found if finding_side(row, finding) == side]
    return found


def collapsed_text(scene: Scene, file_index: int) -> str:
    if file_index in scene.viewed:
        reason = "Viewed"
    elif file_index in scene.generated:
        reason = "Generated file"
    else:
        reason = "Collapsed"
    return f"▸ {reason} · {body_size(scene.files[file_index]):,} lines hidden · click to expand"


class SceneDrawer:
    """Draws rows of a scene; returns the widest text it drew (in columns) to size the scroll range."""

    def __init__(self, pieces: RowPainter) -> None:
        self.pieces = pieces
        self.metrics = pieces.metrics
        self.colors = pieces.colors
        header_font = QFont(pieces.font)
        header_font.setBold(True)
        self.header_font = header_font
        self.viewed_width = QFontMetricsF(pieces.font).horizontalAdvance(VIEWED_LABEL[1]) + 3 * self.metrics.char_width

    def paint_row(self, painter: QPainter, scene: Scene, row: Row, y: int) -> int:
        if row.kind is RowKind.LINE:
            return self._pair(painter, scene, row, y) if scene.side_by_side else self._unified(painter, scene, row, y)
        if row.kind is RowKind.FILE:
            self._file_header(painter, scene, row.file_index, y)
        elif row.kind is RowKind.HUNK:
            self._hunk_header(painter, scene, row, y)
        elif row.kind is RowKind.NOTE:
            self._note(painter, scene, row.note, y)
        else:
            self._note(painter, scene, collapsed_text(scene, row.file_index), y)
        return 0

    def paint_current(self, painter: QPainter, scene: Scene, y: int) -> None:
        color = self.colors.current
        painter.fillRect(QRectF(0, y, 3, self.metrics.line_height), color)
        painter.setPen(color)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0, y, scene.width - 1, self.metrics.line_height - 1))

    def _file_header(self, painter: QPainter, scene: Scene, file_index: int, y: int) -> None:
        m, colors = self.metrics, self.colors
        diff = scene.files[file_index]
        rect = QRectF(0, y, scene.width, m.line_height)
        painter.fillRect(rect, colors.file_header)
        painter.setPen(colors.muted)
        painter.drawLine(rect.topLeft(), rect.topRight())
        arrow = ("▸" if file_index in scene.collapsed else "▾") if diff.hunks else "•"
        painter.setFont(self.header_font)
        painter.setPen(colors.text)
        x = m.char_width
        title = f"{arrow} {display_text(file_title(diff)).text}"
        painter.drawText(QRectF(x, y, rect.width(), m.line_height), Qt.AlignmentFlag.AlignVCenter, title)
        x += QFontMetricsF(self.header_font).horizontalAdvance(title) + 2 * m.char_width
        added, removed = scene.stats[file_index]
        details = [diff.status.value, f"+{added} −{removed}"]
        if file_index in scene.generated:
            details.append("generated")
        painter.setFont(self.pieces.font)
        painter.setPen(colors.muted)
        summary = "  ".join(details)
        painter.drawText(QRectF(x, y, rect.width(), m.line_height), Qt.AlignmentFlag.AlignVCenter, summary)
        x += QFontMetricsF(self.pieces.font).horizontalAdvance(summary) + 2 * m.char_width
        count = scene.findings.count_per_file[file_index]
        worst = scene.findings.worst_per_file[file_index]
        if count and worst:
            size = m.line_height - 3
            paint_severity_marker(painter, QRectF(x, y + 1.5, size, size), worst, worst[0].upper(), self.pieces.marker_font)
            painter.setPen(colors.text)
            painter.drawText(QRectF(x + size + m.char_width / 2, y, rect.width(), m.line_height), Qt.AlignmentFlag.AlignVCenter,
                             f"{count} finding{'s' if count != 1 else ''}, worst {worst}")
        viewed_rect = QRectF(rect.width() - self.viewed_width, y + 1, self.viewed_width, m.line_height - 1)
        painter.fillRect(viewed_rect, colors.file_header)  # covers a title too long for the row
        painter.setPen(colors.text)
        painter.drawText(viewed_rect, Qt.AlignmentFlag.AlignCenter, VIEWED_LABEL[file_index in scene.viewed])

    def _hunk_header(self, painter: QPainter, scene: Scene, row: Row, y: int) -> None:
        m, colors = self.metrics, self.colors
        hunk = scene.files[row.file_index].hunks[row.hunk_index]
        painter.fillRect(QRectF(0, y, scene.width, m.line_height), colors.hunk_header)
        painter.setPen(colors.muted)
        painter.setFont(self.pieces.font)
        section = f" {hunk.section}" if hunk.section else ""
        text = f"@@ -{hunk.old_start},{hunk.old_count} +{hunk.new_start},{hunk.new_count} @@{section}"
        painter.drawText(QRectF(m.char_width, y, scene.width, m.line_height), Qt.AlignmentFlag.AlignVCenter, display_text(text).text)

    def _note(self, painter: QPainter, scene: Scene, note: str, y: int) -> None:
        m = self.metrics
        painter.setFont(self.pieces.variant(False, True))
        painter.setPen(self.colors.muted)
        painter.drawText(QRectF(3 * m.char_width, y, scene.width, m.line_height), Qt.AlignmentFlag.AlignVCenter, note)

    def _text_part(self, scene: Scene, row: Row, line_index: int, findings: list[Finding], word_ranges: Ranges) -> TextPart:
        hunk = scene.files[row.file_index].hunks[row.hunk_index]
        tokens: LineTokens | None = None
        if scene.highlighter is not None:
            tokens = scene.highlighter.tokens(row.file_index, row.hunk_index, line_index)
        spans = [finding for finding in findings if finding.line_index == line_index]
        return TextPart(hunk.lines[line_index], tokens, word_ranges, spans)

    def _text(self, painter: QPainter, scene: Scene, part: TextPart, text_x: float, right: float, y: int) -> int:
        painter.save()
        painter.setClipRect(QRectF(text_x, y, right - text_x, self.metrics.line_height))
        columns = self.pieces.paint_line_text(painter, part, text_x - scene.scroll_x, y, text_x, right)
        painter.restore()
        return columns

    def _unified(self, painter: QPainter, scene: Scene, row: Row, y: int) -> int:
        m, colors = self.metrics, self.colors
        hunk = scene.files[row.file_index].hunks[row.hunk_index]
        if row.changed:
            shown = row.old_index if row.old_index != NO_LINE else row.new_index
        else:
            shown = row.new_index  # context, or a whitespace-only pair shown as context
        kind = hunk.lines[shown].kind if row.changed else LineKind.CONTEXT
        background = colors.removed if kind is LineKind.REMOVED else colors.added if kind is LineKind.ADDED else colors.base
        painter.fillRect(QRectF(0, y, scene.width, m.line_height), background)
        gutter = colors.gutter if kind is LineKind.CONTEXT else background.darker(104)
        painter.fillRect(QRectF(0, y, 2 * m.number_width, m.line_height), gutter)
        old_line, new_line = row.old_line(hunk), row.new_line(hunk)
        self.pieces.paint_number(painter, 0, y, old_line.old_no if old_line is not None else None)
        self.pieces.paint_number(painter, m.number_width, y, new_line.new_no if new_line is not None else None)
        findings = row_findings(scene.findings, row)
        self.pieces.paint_marker(painter, 2 * m.number_width, y, findings)
        text_x, _width = text_area(m, scene.width, False)
        if kind is not LineKind.CONTEXT:
            painter.setPen(colors.muted)
            painter.setFont(self.pieces.font)
            painter.drawText(QRectF(text_x - m.prefix_width, y, m.prefix_width, m.line_height), Qt.AlignmentFlag.AlignCenter, kind.value)
        word_ranges = scene.words.ranges(row.file_index, row.hunk_index, shown, kind is LineKind.REMOVED) if row.changed else ()
        part = self._text_part(scene, row, shown, findings, word_ranges)
        return self._text(painter, scene, part, text_x, float(scene.width), y)

    def _pair(self, painter: QPainter, scene: Scene, row: Row, y: int) -> int:
        m, colors = self.metrics, self.colors
        half = scene.width / 2
        old_ranges: Ranges = ()
        new_ranges: Ranges = ()
        if row.changed and row.old_index != NO_LINE and row.new_index != NO_LINE:
            old_ranges, new_ranges = scene.words.pair(row.file_index, row.hunk_index, row.old_index, row.new_index)
        hunk = scene.files[row.file_index].hunks[row.hunk_index]
        widest = 0
        for side, index, left, changed_color, ranges in (
            ("old", row.old_index, 0.0, colors.removed, old_ranges),
            ("new", row.new_index, half, colors.added, new_ranges),
        ):
            if index == NO_LINE:
                painter.fillRect(QRectF(left, y, half, m.line_height), colors.empty_side)
                continue
            line = hunk.lines[index]
            background = changed_color if row.changed else colors.base
            painter.fillRect(QRectF(left, y, half, m.line_height), background)
            painter.fillRect(QRectF(left, y, m.number_width, m.line_height), background.darker(104) if row.changed else colors.gutter)
            self.pieces.paint_number(painter, left, y, line.old_no if side == "old" else line.new_no)
            findings = row_findings(scene.findings, row, side)
            self.pieces.paint_marker(painter, left + m.number_width, y, findings)
            text_x = left + m.gutter_width
            if row.changed:
                painter.setPen(colors.muted)
                painter.setFont(self.pieces.font)
                painter.drawText(QRectF(text_x - m.prefix_width, y, m.prefix_width, m.line_height), Qt.AlignmentFlag.AlignCenter,
                                 "-" if side == "old" else "+")
            part = self._text_part(scene, row, index, findings, ranges)
            widest = max(widest, self._text(painter, scene, part, text_x, left + half, y))
        painter.setPen(colors.muted)
        painter.drawLine(int(half), y, int(half), y + m.line_height)
        return widest
