"""The left pane: a search box over the sortable queue table."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from reviewer_app.ui.backend import QueueRow
from reviewer_app.ui.queue_model import (
    CHANGE_ID_ROLE,
    COL_APPROVALS,
    COL_RISK,
    COL_STATUS,
    COL_TITLE,
    COLUMNS,
    QueueFilterProxy,
    QueueModel,
)

DEFAULT_WIDTHS = (104, 230, 72, 128, 170, 170, 56)  # in COLUMNS order
MIN_TITLE_WIDTH = 120


class QueuePanel(QWidget):
    change_selected = Signal(str)  # a change id, when the user (or code) moves to another row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search title, author, service, AI tool…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the queue")
        self.model = QueueModel(self)
        self.proxy = QueueFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setObjectName("queue")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_RISK, Qt.SortOrder.AscendingOrder)  # most dangerous first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Review queue")
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(DEFAULT_WIDTHS):
            self.table.setColumnWidth(column, width)
        self.count = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.search.textChanged.connect(self._on_search)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.viewport().installEventFilter(self)
        self._last_emitted: str | None = None

    # --- data ----------------------------------------------------------------------------------
    def set_rows(self, rows: list[QueueRow]) -> None:
        """Replace the rows, keeping the current change selected when it is still there."""
        current = self.current_change_id()
        self.table.selectionModel().blockSignals(True)
        self.model.set_rows(rows)
        self.table.selectionModel().blockSignals(False)
        if current:
            self.select(current, emit=False)
        self._update_count()

    def update_row(self, row: QueueRow) -> None:
        self.model.update_row(row)

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count.setText(f"{shown} of {total} changes" if shown != total else f"{total} changes")

    # --- selection -----------------------------------------------------------------------------
    def current_change_id(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        return index.data(CHANGE_ID_ROLE) if index.isValid() else None

    def select(self, change_id: str, emit: bool = True) -> bool:
        row = self.model.row_for(change_id)
        if row < 0:
            return False
        proxy_index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not proxy_index.isValid():  # filtered out: clear the search so the change can be shown
            self.search.clear()
            proxy_index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not emit:
            self._last_emitted = change_id
        self.table.selectionModel().setCurrentIndex(
            proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(proxy_index)
        return True

    def select_first(self) -> str | None:
        """The top row in the current sort (the riskiest by default)."""
        if self.proxy.rowCount() == 0:
            return None
        change_id = self.proxy.index(0, 0).data(CHANGE_ID_ROLE)
        self.select(change_id)
        return change_id

    def move(self, step: int) -> None:
        current = self.table.selectionModel().currentIndex()
        row = (current.row() + step) if current.isValid() else 0
        if 0 <= row < self.proxy.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.proxy.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(self.proxy.index(row, 0))

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        change_id = current.data(CHANGE_ID_ROLE) if current.isValid() else None
        if change_id and change_id != self._last_emitted:
            self._last_emitted = change_id
            self.change_selected.emit(change_id)

    def _on_search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()

    # --- layout --------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_title()
        return super().eventFilter(watched, event)

    def fit_title(self) -> None:
        """The title takes what risk, approvals and status leave, so those stay in sight in a
        narrow pane; the remaining columns are a horizontal scroll away."""
        others = sum(self.table.columnWidth(column) for column in (COL_RISK, COL_APPROVALS, COL_STATUS))
        self.table.setColumnWidth(COL_TITLE, max(MIN_TITLE_WIDTH, self.table.viewport().width() - others))

    # --- layout persistence ----------------------------------------------------------------------
    def column_widths(self) -> list[int]:
        return [self.table.columnWidth(column) for column in range(len(COLUMNS))]

    def set_column_widths(self, widths: list[int]) -> None:
        for column, width in enumerate(widths[: len(COLUMNS)]):
            if column != COL_TITLE and isinstance(width, int) and 20 <= width <= 2000:
                self.table.setColumnWidth(column, width)  # the title fits the pane instead
        self.fit_title()
