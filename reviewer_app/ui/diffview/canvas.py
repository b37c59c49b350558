"""The diff canvas: a virtual view that paints only the rows on screen.

A QPlainTextEdit given a 156k-line diff stalls the event loop for ~0.4 s (0.8 s with a
highlighter). This canvas keeps a compact row index (``rows.RowIndex``) and, in ``paintEvent``,
asks it for the ~50 visible rows, whose tokens (``highlight``), word differences (``worddiff``)
and findings (``findings``) are computed or looked up right then and cached. The vertical scroll
bar counts rows, the horizontal one pixels. Layouts that cost time (side by side, ignore
whitespace) are built in slices between event-loop turns while the previous index stays on
screen, and rebuilds asked for in one turn (say, the host restoring "viewed" on 100 files)
coalesce into one. Lexing that would blow a paint's budget is done in slices after the paint.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from operator import attrgetter

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractScrollArea, QToolTip, QWidget

from reviewer_app.core.model import Change, FileDiff, LineKind
from reviewer_app.ui.diffview.display import display_text
from reviewer_app.ui.diffview.findings import FILE_LEVEL, Finding, FindingIndex
from reviewer_app.ui.diffview.generated import generated_files
from reviewer_app.ui.diffview.highlight import Highlighter
from reviewer_app.ui.diffview.navigation import (
    OrderedFindings, finding_row, next_hunk_row, ordered_findings, previous_hunk_row, step_finding,
)
from reviewer_app.ui.diffview.painter import Metrics, RowPainter, make_metrics
from reviewer_app.ui.diffview.rows import NO_LINE, Row, RowIndex, RowKind, file_title
from reviewer_app.ui.diffview.search import DiffSearch, Position, SearchResult
from reviewer_app.ui.diffview.scene import Scene, SceneDrawer, collapsed_text, row_findings, text_area
from reviewer_app.ui.diffview.style import diff_colors, monospace_font
from reviewer_app.ui.diffview import threads as thread_rows
from reviewer_app.ui.diffview.threads import LineKey
from reviewer_app.ui.diffview.worddiff import WordDiffs

REBUILD_SLICE_S = 0.012  # one slice of a sliced rebuild (room left for a full garbage collection)
LEX_SLICE_S = 0.008  # one slice of background lexing

Anchor = tuple[int, int, int, RowKind] | None  # file, hunk, line, kind of the current row


def _line_number_bound(files: list[FileDiff]) -> int:
    """The largest line number any hunk shows (sets the width of the number columns)."""
    bound = 1
    for diff in files:
        for hunk in diff.hunks:
            bound = max(bound, hunk.old_start + hunk.old_count, hunk.new_start + hunk.new_count)
    return bound


def _file_statistics(files: list[FileDiff]) -> tuple[list[tuple[int, int]], int]:
    """(added, removed) per file and the longest line, counted with C-level loops (~10 ms per 150k lines).

    Tabs and markers can make a shown line longer: the painter grows the scroll range when it meets one.
    """
    stats: list[tuple[int, int]] = []
    longest = 0
    kind_of, text_of = attrgetter("kind"), attrgetter("text")
    for diff in files:
        kinds: Counter[LineKind] = Counter()
        for hunk in diff.hunks:
            kinds.update(map(kind_of, hunk.lines))
            if hunk.lines:
                longest = max(longest, max(map(len, map(text_of, hunk.lines))))
        stats.append((kinds[LineKind.ADDED], kinds[LineKind.REMOVED]))
    return stats, longest


class DiffCanvas(QAbstractScrollArea):
    """The painted diff; DiffView wraps it with a file list and forwards its API."""

    file_viewed_changed = Signal(str, bool)
    progress_changed = Signal(int, int)
    finding_activated = Signal(str)
    current_file_changed = Signal(str)
    files_changed = Signal()  # collapsed or viewed states changed: the file list refreshes
    mode_changed = Signal(bool, bool)  # side_by_side, ignore_whitespace
    layout_ready = Signal()  # a (possibly sliced) rebuild of the row index is on screen
    help_requested = Signal()
    rows_painted = Signal(int, int)  # first, last (exclusive): what was on screen (ui/evidence.py)
    comment_requested = Signal(str, str, int)  # path, side, line of the current row (c or r)
    thread_activated = Signal(str)  # a thread the reviewer moved to (t / T)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ready = False  # changeEvent arrives during construction, before the state exists
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.viewport().setAutoFillBackground(False)
        self.viewport().setMouseTracking(True)  # for the pointing-hand cursor over clickable parts
        self.setFont(monospace_font())
        self.setAccessibleName("Diff")
        self.setAccessibleDescription("The change's files, hunks and lines; press ? for the keyboard shortcuts")
        self._lex_timer = QTimer(self)
        self._lex_timer.setSingleShot(True)
        self._lex_timer.setInterval(0)
        self._lex_timer.timeout.connect(self._lex_slice)
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(0)
        self._rebuild_timer.timeout.connect(self._continue_rebuild)
        self._side_by_side = False
        self._ignore_whitespace = False
        self._reset()
        self._update_style()
        self._ready = True

    # --- state ------------------------------------------------------------------------------

    def _reset(self) -> None:
        self._rebuild_timer.stop()
        self._lex_timer.stop()
        self._change: Change | None = None
        self._files: list[FileDiff] = []
        self._rows: RowIndex | None = None
        self._pending: RowIndex | None = None
        self._rebuild_wanted = False
        self._path_index: dict[str, int] = {}
        self._after_rebuild: list[Callable[[], None]] = []
        self._layout_cache: dict = {}
        self._highlighter: Highlighter | None = None
        self._words = WordDiffs([])
        self._findings = FindingIndex([], [])
        self._finding_order: OrderedFindings | None = None
        self._generated: set[int] = set()
        self._collapsed: set[int] = set()
        self._viewed: set[int] = set()
        self._file_stats: list[tuple[int, int]] = []
        self._current_row = 0
        self._current_file = NO_LINE
        self._current_finding: str | None = None
        self._longest = 0
        self._search: DiffSearch | None = None
        self._search_at: Position | None = None  # the match the last search landed on
        self._threads: dict[LineKey, str] = {}  # comment threads by their anchor: thread id

    def _update_style(self) -> None:
        font = QFont(self.font())
        colors = diff_colors(self.palette())
        self._metrics: Metrics = make_metrics(font, _line_number_bound(self._files))
        self._drawer = SceneDrawer(RowPainter(font, colors, self._metrics))
        self._update_scrollbars()

    def set_change(self, change: Change, findings: list[dict], generated_paths: Iterable[str] = frozenset()) -> None:
        finding_index = FindingIndex(change.files, findings or [])  # validates first: a bad finding changes nothing
        self._reset()
        self._change = change
        self._files = change.files
        for index, diff in enumerate(change.files):  # new paths win over old ones (renames)
            if diff.new_path is not None:
                self._path_index.setdefault(diff.new_path, index)
        for index, diff in enumerate(change.files):
            if diff.old_path is not None:
                self._path_index.setdefault(diff.old_path, index)
        self._findings = finding_index
        self._generated = generated_files(change.files, generated_paths or ())
        self._collapsed = set(self._generated)
        self._highlighter = Highlighter(change.files)
        self._words = WordDiffs(change.files)
        self._file_stats, self._longest = _file_statistics(change.files)
        self._update_style()
        # The plain unified index costs O(files + hunks): show it at once, then build the mode
        # the user chose (side by side, ignore whitespace) in slices if that is not the plain one.
        self._install(RowIndex.built(change.files, collapsed=self._collapsed), anchor=None)
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        if self._side_by_side or self._ignore_whitespace:
            self._rebuild()
        self.progress_changed.emit(0, len(self._files))
        self.files_changed.emit()
        self.viewport().update()

    def clear(self) -> None:
        self._reset()
        self._update_style()
        self.viewport().update()
        self.progress_changed.emit(0, 0)
        self.files_changed.emit()

    # --- read-only state (the file list and the tests read these) ---------------------------

    @property
    def change(self) -> Change | None:
        return self._change

    @property
    def rows(self) -> RowIndex | None:
        return self._rows

    @property
    def findings(self) -> FindingIndex:
        return self._findings

    @property
    def highlighter(self) -> Highlighter | None:
        return self._highlighter

    @property
    def current_row(self) -> int:
        return self._current_row

    @property
    def current_file(self) -> int:
        return self._current_file

    @property
    def current_finding(self) -> str | None:
        return self._current_finding

    @property
    def side_by_side(self) -> bool:
        return self._side_by_side

    @property
    def ignore_whitespace(self) -> bool:
        return self._ignore_whitespace

    @property
    def rebuilding(self) -> bool:
        """True while the rows on screen are about to be replaced (a rebuild is asked for or in slices)."""
        return self._rebuild_wanted or self._pending is not None

    def is_viewed(self, file_index: int) -> bool:
        return file_index in self._viewed

    def is_collapsed(self, file_index: int) -> bool:
        return file_index in self._collapsed

    def is_generated(self, file_index: int) -> bool:
        return file_index in self._generated

    def file_stats(self, file_index: int) -> tuple[int, int]:
        """(added, removed) lines of a file."""
        return self._file_stats[file_index]

    def file_index_of(self, path: str) -> int | None:
        return self._path_index.get(path)

    def visible_rows(self) -> int:
        return max(1, self.viewport().height() // self._metrics.line_height)

    def top_row(self) -> int:
        return self.verticalScrollBar().value()

    # --- modes, collapsing, viewed ----------------------------------------------------------

    def set_side_by_side(self, enabled: bool) -> None:
        if enabled != self._side_by_side:
            self._side_by_side = enabled
            self.mode_changed.emit(self._side_by_side, self._ignore_whitespace)
            self._rebuild()

    def set_ignore_whitespace(self, enabled: bool) -> None:
        if enabled != self._ignore_whitespace:
            self._ignore_whitespace = enabled
            self.mode_changed.emit(self._side_by_side, self._ignore_whitespace)
            self._rebuild()

    def set_collapsed(self, file_index: int, collapsed: bool, then: Callable[[], None] | None = None) -> None:
        if not 0 <= file_index < len(self._files):
            return
        if (file_index in self._collapsed) == collapsed:
            if then is not None:
                then()
            return
        if collapsed:
            self._collapsed.add(file_index)
        else:
            self._collapsed.discard(file_index)
        self._rebuild(then)
        self.files_changed.emit()

    def set_viewed(self, path: str, viewed: bool) -> None:
        """Mark a file viewed (it collapses, as in GitLab) or not viewed (it opens again)."""
        file_index = self.file_index_of(path)
        if file_index is None or (file_index in self._viewed) == viewed:
            return
        if viewed:
            self._viewed.add(file_index)
        else:
            self._viewed.discard(file_index)
        self.set_collapsed(file_index, viewed or file_index in self._generated)
        self.files_changed.emit()
        self.viewport().update()
        self.file_viewed_changed.emit(self._files[file_index].path, viewed)
        self.progress_changed.emit(len(self._viewed), len(self._files))

    def toggle_viewed_current(self) -> None:
        if 0 <= self._current_file < len(self._files):
            self.set_viewed(self._files[self._current_file].path, self._current_file not in self._viewed)

    # --- the row index: install, rebuild in slices ------------------------------------------

    def _rebuild(self, then: Callable[[], None] | None = None) -> None:
        """Ask for new rows (modes, collapsing changed); built from the event loop, once per turn."""
        if self._change is None:
            return
        if then is not None:
            self._after_rebuild.append(then)
        self._pending = None  # a rebuild in slices is superseded (its layouts stay in the cache)
        self._rebuild_wanted = True
        self._rebuild_timer.start()

    def _continue_rebuild(self) -> None:
        if self._rebuild_wanted:
            self._rebuild_wanted = False
            self._pending = RowIndex(
                self._files,
                side_by_side=self._side_by_side,
                ignore_whitespace=self._ignore_whitespace,
                collapsed=self._collapsed,
                layout_cache=self._layout_cache,
            )
        pending = self._pending
        if pending is None:
            return
        if not pending.build(deadline=time.perf_counter() + REBUILD_SLICE_S):
            self._rebuild_timer.start()
            return
        self._pending = None
        self._install(pending, self._anchor())
        callbacks, self._after_rebuild = self._after_rebuild, []
        for callback in callbacks:
            callback()
        self.layout_ready.emit()

    def wait_for_layout(self) -> None:
        """Build the asked-for rows now (tests, and callers that need the final rows at once)."""
        while self.rebuilding:
            if self._pending is not None:
                self._pending.build()
            self._continue_rebuild()

    def _anchor(self) -> Anchor:
        if self._rows is None or not len(self._rows):
            return None
        row = self._rows.row(min(self._current_row, len(self._rows) - 1))
        line = row.new_index if row.new_index != NO_LINE else row.old_index
        return (row.file_index, row.hunk_index, line, row.kind)

    def _row_for_anchor(self, rows: RowIndex, anchor: Anchor) -> int:
        if anchor is None or not len(rows):
            return 0
        file_index, hunk_index, line, kind = anchor
        if kind is RowKind.LINE:
            found = rows.line_row(file_index, hunk_index, line)
            if found is not None:
                return found
        if kind in (RowKind.LINE, RowKind.HUNK):
            header = rows.hunk_header_row(file_index, hunk_index)
            if header is not None:
                return header
        return rows.file_rows[file_index]

    def _install(self, rows: RowIndex, anchor: Anchor) -> None:
        offset = self._current_row - self.top_row()
        self._rows = rows
        self._finding_order = None
        self._update_scrollbars()
        target = self._row_for_anchor(rows, anchor)
        self.verticalScrollBar().setValue(max(0, target - max(0, offset)))
        self._set_current_row(target)
        self.viewport().update()

    # --- scrolling ---------------------------------------------------------------------------

    def _text_area(self) -> tuple[float, float]:
        """x where text starts and the width text gets (per half in side-by-side mode)."""
        return text_area(self._metrics, self.viewport().width(), self._rows is not None and self._rows.side_by_side)

    def _update_scrollbars(self) -> None:
        rows = len(self._rows) if self._rows is not None else 0
        visible = self.visible_rows()
        vertical = self.verticalScrollBar()
        vertical.setRange(0, max(0, rows - visible))
        vertical.setPageStep(visible)
        vertical.setSingleStep(1)
        _x, available = self._text_area()
        text_width = (self._longest + 12) * self._metrics.char_width  # room for markers and tabs
        horizontal = self.horizontalScrollBar()
        horizontal.setRange(0, max(0, int(text_width - available)))
        horizontal.setPageStep(max(1, int(available)))
        horizontal.setSingleStep(max(1, int(4 * self._metrics.char_width)))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._update_scrollbars()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        # Keep the current row on screen: j/k/]/[ then start from what the reviewer looks at.
        if self._rows is not None and len(self._rows):
            top, visible = self.top_row(), self.visible_rows()
            if self._current_row < top:
                self._set_current_row(top)
            elif self._current_row >= top + visible:
                self._set_current_row(min(len(self._rows) - 1, top + visible - 1))
        self.viewport().update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if self._ready and event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._update_style()
            self.viewport().update()
        super().changeEvent(event)

    def scroll_to_row(self, row: int, align: str = "center") -> None:
        """Make ``row`` visible: "top" puts it first, "center" a third down, "visible" scrolls least."""
        top, visible = self.top_row(), self.visible_rows()
        bar = self.verticalScrollBar()
        if align == "top":
            bar.setValue(row)
        elif align == "center":
            if not top <= row < top + visible:
                bar.setValue(row - visible // 3)
        elif row < top:
            bar.setValue(row)
        elif row >= top + visible:
            bar.setValue(row - visible + 1)

    def _set_current_row(self, row: int) -> None:
        if self._rows is None or not len(self._rows):
            self._current_row = 0
            return
        row = max(0, min(row, len(self._rows) - 1))
        self._current_row = row
        file_index = self._rows.file_of_row(row)
        if file_index != self._current_file:
            self._current_file = file_index
            self.current_file_changed.emit(self._files[file_index].path)
        # The text is painted, so screen readers learn the current line from the description.
        self.setAccessibleDescription(self.current_row_description())
        self.viewport().update()

    def current_row_description(self) -> str:
        """The current row in words: "app/main.py, line 6 added: return ..." (for screen readers)."""
        if self._rows is None or not len(self._rows):
            return "No change"
        row = self._rows.row(self._current_row)
        path = display_text(self._files[row.file_index].path).text
        if row.kind is RowKind.LINE:
            hunk = self._files[row.file_index].hunks[row.hunk_index]
            index = row.new_index if row.new_index != NO_LINE else row.old_index
            line = hunk.lines[index]
            state = {LineKind.ADDED: "added", LineKind.REMOVED: "removed"}.get(line.kind, "unchanged") if row.changed else "unchanged"
            number = line.new_no if line.new_no is not None else line.old_no
            findings = len(self.row_findings(row))
            suffix = f", {findings} finding{'s' if findings != 1 else ''}" if findings else ""
            return f"{path}, line {number} {state}{suffix}: {display_text(line.text).text}"
        if row.kind is RowKind.HUNK:
            return f"{path}, hunk {row.hunk_index + 1} of {len(self._files[row.file_index].hunks)}"
        if row.kind is RowKind.FILE:
            diff = self._files[row.file_index]
            return f"{display_text(file_title(diff)).text}, {diff.status.value}"
        if row.kind is RowKind.COLLAPSED:
            return f"{path}: {self.collapsed_text(row.file_index)}"
        return f"{path}: {row.note}"

    def go_to_row(self, row: int, align: str = "center") -> None:
        self._set_current_row(row)
        self.scroll_to_row(self._current_row, align)

    # --- navigation ----------------------------------------------------------------------------

    def next_file(self) -> None:
        if self._rows is None or not self._files:
            return
        target = min(len(self._files) - 1, self._current_file + 1)
        self.go_to_row(self._rows.file_rows[target], "top")

    def previous_file(self) -> None:
        if self._rows is None or not self._files:
            return
        target = max(0, self._current_file - 1)
        self.go_to_row(self._rows.file_rows[target], "top")

    def next_hunk(self) -> None:
        target = next_hunk_row(self._rows, self._current_row) if self._rows is not None else None
        if target is not None:
            self.go_to_row(target, "top")

    def previous_hunk(self) -> None:
        target = previous_hunk_row(self._rows, self._current_row) if self._rows is not None else None
        if target is not None:
            self.go_to_row(target, "top")

    def show_file(self, path: str) -> bool:
        file_index = self.file_index_of(path)
        if file_index is None or self._rows is None:
            return False
        self.go_to_row(self._rows.file_rows[file_index], "top")
        return True

    def finding_row(self, finding: Finding) -> int | None:
        """The row showing a finding now: its line, else its file's header (collapsed, file-level)."""
        return finding_row(self._rows, finding) if self._rows is not None else None

    def _step_finding(self, forward: bool) -> None:
        if self._rows is None:
            return
        if self._finding_order is None:
            self._finding_order = ordered_findings(self._rows, self._findings.findings)
        target = step_finding(self._finding_order, self._current_row, self._current_finding, forward)
        if target is not None:
            self._activate(target, emit=True)

    def next_finding(self) -> None:
        self._step_finding(True)

    def previous_finding(self) -> None:
        self._step_finding(False)

    def show_finding(self, finding_id: str) -> bool:
        finding = self._findings.by_id.get(finding_id)
        if finding is None or finding.file_index == FILE_LEVEL:
            return False
        self._activate(finding, emit=False)
        return True

    def _activate(self, finding: Finding, emit: bool) -> None:
        def land() -> None:
            row = self.finding_row(finding)
            if row is None:
                return
            self._current_finding = finding.id
            self.go_to_row(row, "center")
            if emit:
                self.finding_activated.emit(finding.id)

        if finding.hunk_index != FILE_LEVEL and finding.file_index in self._collapsed:
            self.set_collapsed(finding.file_index, False, then=land)  # opening a generated/viewed file
        else:
            land()

    # --- searching the text (Ctrl+F) -----------------------------------------------------------

    def current_position(self) -> Position:
        """Where the reader is, in the diff's reading order (file, hunk, line)."""
        if self._rows is None or not len(self._rows):
            return (-1, -1, -1)
        row = self._rows.row(self._current_row)
        if row.kind is RowKind.LINE:
            return (row.file_index, row.hunk_index, row.new_index if row.new_index != NO_LINE else row.old_index)
        if row.kind is RowKind.HUNK:
            return (row.file_index, row.hunk_index, -1)
        return (row.file_index, -1, -1)

    def find(self, query: str, forward: bool = True, case_sensitive: bool = False) -> SearchResult | None:
        """Go to the next (or previous) line holding ``query``, across files; opens a collapsed file."""
        if self._change is None or not query:
            return None
        if self._search is None or not self._search.matches_query(query, case_sensitive):
            self._search = DiffSearch(self._files, query, case_sensitive)
            self._search_at = None
        position = self.current_position()
        if self._search_at is not None and self._search_at[:2] == position[:2]:
            position = self._search_at  # a side-by-side row shows two lines: step from the match itself
        result = self._search.step(position, forward)
        if result is None:
            return None
        self._search_at = result.position
        file_index, hunk_index, line_index = result.position

        def land() -> None:
            if self._rows is None:
                return
            row = self._rows.line_row(file_index, hunk_index, line_index)
            self.go_to_row(row if row is not None else self._rows.file_rows[file_index], "center")

        if file_index in self._collapsed:
            self.set_collapsed(file_index, False, then=land)
        else:
            land()
        return result

    # --- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self.viewport())
        try:
            self._paint(painter, event)
        finally:
            painter.end()

    def _paint(self, painter: QPainter, event: QPaintEvent) -> None:
        colors = self._drawer.colors
        painter.fillRect(event.rect(), colors.base)
        rows = self._rows
        if rows is None or not len(rows):
            painter.setPen(colors.muted)
            message = "No change selected" if self._change is None else "This change has no file differences"
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, message)
            return
        if self._highlighter is not None:
            self._highlighter.begin_paint()
        height = self._metrics.line_height
        top = self.top_row()
        # Every visible row, even for a partial update: the paint also tells the highlighter
        # which blocks are still wanted (Qt clips the drawing to the updated region anyway).
        first = top
        last = min(len(rows), top + self.viewport().height() // height + 1)
        scene = self.scene()
        widest = 0
        for row_number in range(first, last):
            y = (row_number - top) * height
            widest = max(widest, self._drawer.paint_row(painter, scene, rows.row(row_number), y))
            if row_number == self._current_row:
                self._drawer.paint_current(painter, scene, y)
        self._note_width(widest)
        self._paint_thread_marks(painter, rows, first, last, top, height)
        self.rows_painted.emit(first, last)
        if self._highlighter is not None:
            self._highlighter.end_paint()
            self._lex_timer.start()  # lex the rest, then the neighbours, in slices after this paint

    def _lex_slice(self) -> None:
        highlighter = self._highlighter
        if highlighter is None:
            return
        if not highlighter.has_work and not self._prefetch_neighbours():
            return
        visible_before = highlighter.has_visible_work
        completed = highlighter.work(LEX_SLICE_S)
        if completed and visible_before:
            self.viewport().update()  # the repaint asks again for what is still missing
        if highlighter.has_work:
            self._lex_timer.start()

    def _prefetch_neighbours(self) -> bool:
        """Queue the tokens of the next page and the previous half page: paging stays warm."""
        highlighter, rows = self._highlighter, self._rows
        if highlighter is None or rows is None:
            return False
        top, visible = self.top_row(), self.visible_rows()
        queued = False
        for row_number in (*range(top + visible, min(len(rows), top + 2 * visible)), *range(max(0, top - visible // 2), top)):
            row = rows.row(row_number)
            if row.kind is RowKind.LINE:
                for index in dict.fromkeys((row.old_index, row.new_index)):
                    if index != NO_LINE:
                        queued = highlighter.prefetch(row.file_index, row.hunk_index, index) or queued
        return queued

    def _note_width(self, columns: int) -> None:
        """Grow the horizontal range when a painted line is wider than estimated (markers widen text)."""
        if columns > self._longest:
            self._longest = columns
            QTimer.singleShot(0, self._update_scrollbars)  # not from inside paintEvent

    def scene(self) -> Scene:
        """A snapshot of what a paint or a hit test needs."""
        return Scene(
            files=self._files, findings=self._findings, highlighter=self._highlighter, words=self._words,
            collapsed=self._collapsed, viewed=self._viewed, generated=self._generated, stats=self._file_stats,
            width=self.viewport().width(), scroll_x=self.horizontalScrollBar().value(),
            side_by_side=self._rows is not None and self._rows.side_by_side,
        )

    def row_findings(self, row: Row, side: str | None = None) -> list[Finding]:
        return row_findings(self._findings, row, side)

    def collapsed_text(self, file_index: int) -> str:
        return collapsed_text(self.scene(), file_index)

    # --- mouse, tooltips, keyboard --------------------------------------------------------------

    def row_at(self, y: int) -> int | None:
        if self._rows is None:
            return None
        row = self.top_row() + y // self._metrics.line_height
        return row if 0 <= row < len(self._rows) else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        # A pointing hand over what a click acts on: file headers, collapsed bodies, finding markers.
        position = event.position().toPoint()
        row_number = self.row_at(position.y())
        clickable = False
        if row_number is not None and self._rows is not None:
            row = self._rows.row(row_number)
            clickable = row.kind in (RowKind.FILE, RowKind.COLLAPSED) or (
                row.kind is RowKind.LINE and bool(self._findings_at_x(row, position.x(), gutter_only=True))
            )
        shape = Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        if self.viewport().cursor().shape() != shape:
            self.viewport().setCursor(shape)
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._rows is None:
            super().mousePressEvent(event)
            return
        position = event.position().toPoint()
        row_number = self.row_at(position.y())
        if row_number is None:
            return
        row = self._rows.row(row_number)
        self._set_current_row(row_number)
        if row.kind is RowKind.FILE:
            if position.x() >= self.viewport().width() - self._drawer.viewed_width:
                self.toggle_viewed_current()
            elif self._files[row.file_index].hunks:
                self.set_collapsed(row.file_index, row.file_index not in self._collapsed)
        elif row.kind is RowKind.COLLAPSED:
            self.set_collapsed(row.file_index, False)
        elif row.kind is RowKind.LINE:
            findings = self._findings_at_x(row, position.x(), gutter_only=True)
            if findings:
                self._current_finding = findings[0].id
                self.finding_activated.emit(findings[0].id)
        event.accept()

    def _side_at(self, x: int) -> str | None:
        if self._rows is not None and self._rows.side_by_side:
            return "old" if x < self.viewport().width() / 2 else "new"
        return None

    def _findings_at_x(self, row: Row, x: int, gutter_only: bool) -> list[Finding]:
        side = self._side_at(x)
        findings = self.row_findings(row, side)
        text_x, _width = self._text_area()
        left = self.viewport().width() / 2 if side == "new" else 0.0
        if x < left + text_x:
            return findings
        if gutter_only:
            return []
        column_x = x - left - text_x + self.horizontalScrollBar().value()
        hunk = self._files[row.file_index].hunks[row.hunk_index]
        hits = []
        for finding in findings:
            if not finding.has_span:
                continue
            shown = display_text(hunk.lines[finding.line_index].text)
            start = self._drawer.pieces.advance(shown, shown.column(finding.start))  # type: ignore[arg-type]
            end = self._drawer.pieces.advance(shown, shown.column(finding.end))  # type: ignore[arg-type]
            if start <= column_x < end:
                hits.append(finding)
        return hits

    def tooltip_at(self, position: QPoint) -> str:
        """The tooltip for a point of the viewport: findings (rule, message, reference), invisible characters."""
        row_number = self.row_at(position.y())
        if row_number is None or self._rows is None:
            return ""
        row = self._rows.row(row_number)
        if row.kind is RowKind.FILE:
            diff = self._files[row.file_index]
            parts = [file_title(diff)] + [finding.tooltip() for finding in self._findings.file_level(row.file_index)]
            return "\n\n".join(parts)
        if row.kind is RowKind.COLLAPSED:
            return "Click to expand"
        if row.kind is not RowKind.LINE:
            return ""
        findings = self._findings_at_x(row, position.x(), gutter_only=False)
        if findings:
            return "\n\n".join(finding.tooltip() for finding in findings)
        return self._invisible_tooltip(row, self._side_at(position.x()))

    def _invisible_tooltip(self, row: Row, side: str | None) -> str:
        hunk = self._files[row.file_index].hunks[row.hunk_index]
        if side == "old":
            indices = [row.old_index]
        elif side == "new":
            indices = [row.new_index]
        else:
            indices = [row.old_index if row.changed and row.old_index != NO_LINE else row.new_index]
        names: list[str] = []
        for index in indices:
            if index == NO_LINE:
                continue
            for char in hunk.lines[index].text:
                shown = display_text(char)
                if shown.markers:
                    names.append(f"{shown.text} {unicodedata.name(char, 'unnamed control character')}")
        if not names:
            return ""
        return "Invisible or control characters on this line:\n" + "\n".join(dict.fromkeys(names))

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos())  # type: ignore[attr-defined]
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def shortcut_actions(self) -> dict[str, Callable[[], None]]:
        """Character shortcuts (layout independent: matched on the typed text)."""
        return {
            "n": self.next_finding,
            "p": self.previous_finding,
            "j": self.next_file,
            "k": self.previous_file,
            "]": self.next_hunk,
            "[": self.previous_hunk,
            "v": self.toggle_viewed_current,
            "x": self.toggle_collapsed_current,
            "s": lambda: self.set_side_by_side(not self._side_by_side),
            "w": lambda: self.set_ignore_whitespace(not self._ignore_whitespace),
            "?": self.help_requested.emit,
            "c": self.request_comment,  # GitLab's and Gerrit's comment keys
            "r": self.request_comment,
            "t": lambda: self.step_thread(True),  # n/p stay with findings
            "T": lambda: self.step_thread(False),
        }

    # --- comment threads -------------------------------------------------------------------------

    def set_threads(self, anchors: Iterable[tuple[str, str, int, str]]) -> None:
        """Threads to mark in the gutter: (path, side, line, thread id) each."""
        self._threads = {(path, side, line): thread for path, side, line, thread in anchors}
        self.viewport().update()

    def changed_lines(self, first: int, last: int) -> list[LineKey]:
        """The added and removed lines rows first..last-1 show."""
        return thread_rows.changed_keys(self._files, self._rows, first, last) if self._rows is not None else []

    def current_anchor(self) -> LineKey | None:
        if self._rows is None or not len(self._rows):
            return None
        return thread_rows.current_key(self._files, self._rows.row(self._current_row))

    def request_comment(self) -> None:
        anchor = self.current_anchor()
        if anchor is not None:
            self.comment_requested.emit(*anchor)

    def step_thread(self, forward: bool) -> None:
        if self._rows is None:
            return
        placed = {thread_rows.anchor_row(self._files, self._rows, *key): thread for key, thread in self._threads.items()}
        placed.pop(None, None)
        target = thread_rows.step(list(placed), self._current_row, forward)
        if target is not None:
            self.go_to_row(target, "center")
            self.thread_activated.emit(placed[target])

    def _paint_thread_marks(self, painter: QPainter, rows: RowIndex, first: int, last: int, top: int,
                            height: int) -> None:
        """A bar at the gutter's left edge on each line that holds a comment thread."""
        if not self._threads:
            return
        for number in range(first, last):
            if any(key in self._threads for key, _kind in thread_rows.row_keys(self._files, rows.row(number))):
                painter.fillRect(0, (number - top) * height, 4, height, self._drawer.colors.muted)

    def toggle_collapsed_current(self) -> None:
        if 0 <= self._current_file < len(self._files) and self._files[self._current_file].hunks:
            self.set_collapsed(self._current_file, self._current_file not in self._collapsed)

    def handle_shortcut(self, event: QKeyEvent) -> bool:
        """Run the shortcut of a key press; False when it is not one (so others may handle it)."""
        modifiers = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        if modifiers != Qt.KeyboardModifier.NoModifier:
            return False
        action = self.shortcut_actions().get(event.text())
        if action is None:
            return False
        action()
        return True

    def current_line_text(self) -> str:
        """The text of the current row's line (the new side when it has one), "" for headers."""
        if self._rows is None or not len(self._rows):
            return ""
        row = self._rows.row(self._current_row)
        if row.kind is not RowKind.LINE:
            return ""
        index = row.new_index if row.new_index != NO_LINE else row.old_index
        return self._files[row.file_index].hunks[row.hunk_index].lines[index].text

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if self.handle_shortcut(event):
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.Copy):
            QGuiApplication.clipboard().setText(self.current_line_text())
            event.accept()
            return
        key = event.key()
        visible = self.visible_rows()
        moves = {
            Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1,
            Qt.Key.Key_PageDown: visible, Qt.Key.Key_PageUp: -visible,
        }
        if key in moves:
            self._set_current_row(self._current_row + moves[key])
            self.scroll_to_row(self._current_row, "visible")
        elif key == Qt.Key.Key_Home:
            self.go_to_row(0, "top")
        elif key == Qt.Key.Key_End and self._rows is not None:
            self.go_to_row(len(self._rows) - 1, "visible")
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() + (bar.singleStep() if key == Qt.Key.Key_Right else -bar.singleStep()))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # --- background lexing ---------------------------------------------------------------------

    def finish_highlighting(self) -> None:
        """Lex every queued block now (tests, screenshots); normally slices run from the event loop."""
        while self._highlighter is not None and self._highlighter.has_work:
            self._highlighter.work(1.0)
        self.viewport().update()
