"""The review queue as a Qt table: one row per change, sortable and filterable.

The rows are plain ``QueueRow`` objects computed off the UI thread (``ui.backend.load_queue``);
this model only presents them. Sorting uses ``SORT_ROLE`` values (risk rank, numbers, timestamps),
never the display strings, so "10 min" sorts after "9 min".

The model sorts its own rows, in Python, on keys computed once per row: a QSortFilterProxyModel sort
calls back into Python twice per comparison (about 44,000 calls for 2,000 rows, 0.4 s measured),
while ``sorted`` on cached keys takes a few milliseconds. The proxy only filters, and forwards
``sort`` here; the model's ``layoutChanged`` keeps the selection.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from reviewer_app.ui.backend import QueueRow
from reviewer_app.ui.icons import icon, severity_icon, severity_label, severity_rank

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
CHANGE_ID_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3

# What a reviewer decides on comes first, so a narrow pane still shows it without scrolling.
COLUMNS = ("Risk", "Title", "Approvals", "Status", "Services", "Author / AI tool", "Age")
COL_RISK, COL_TITLE, COL_APPROVALS, COL_STATUS, COL_SERVICES, COL_AUTHOR, COL_AGE = range(len(COLUMNS))
STATUS_ORDER = {"updated since my review": 0, "needs my review": 1, "waiting for others": 2, "rejected": 3,
                "approved": 4, "closed": 5}

_Index = QModelIndex | QPersistentModelIndex


def format_age(submitted_at: str | None, now: datetime | None = None) -> tuple[str, float]:
    """``("3 h", seconds)`` from an RFC 3339 timestamp; unknown dates sort last."""
    if not submitted_at:
        return "?", float("inf")
    try:
        when = datetime.fromisoformat(submitted_at.replace("Z", "+00:00"))
    except ValueError:
        return "?", float("inf")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = max(0.0, ((now or datetime.now(UTC)) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}", seconds
    return "now", seconds


def tier_label(tier: int | None) -> str:
    return f"T{tier}" if tier is not None else ""


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[QueueRow] = []
        self._keys: dict[tuple[int, int], Any] = {}
        self._search: dict[int, str] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._open_threads: dict[str, int] = {}  # change id -> unresolved comment threads

    # --- data in --------------------------------------------------------------------------------
    def set_thread_counts(self, counts: dict[str, int]) -> None:
        """Unresolved comment threads per change, shown beside the status ("2 open threads")."""
        self._open_threads = dict(counts)
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_STATUS), self.index(len(self._rows) - 1, COL_STATUS))

    def open_threads(self, change_id: str) -> int:
        return self._open_threads.get(change_id, 0)

    def set_rows(self, rows: list[QueueRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._keys = {}
        self._search = {}
        if self._sort_column >= 0:
            self._reorder(self._sort_column, self._sort_order)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:  # noqa: D401
        """Sort the rows by a column's key (stable), keeping selections (persistent indexes) on their rows."""
        self._sort_column, self._sort_order = column, order
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        moved = self._reorder(column, order)
        self.changePersistentIndexList(persistent, [self.index(moved[i.row()], i.column()) for i in persistent])
        self.layoutChanged.emit()

    def _reorder(self, column: int, order: Qt.SortOrder) -> dict[int, int]:
        """Put the rows in order; returns old row -> new row."""
        def key(row: int) -> Any:
            value = self.sort_key(row, column)
            return _Comparable(value)

        ordered = sorted(range(len(self._rows)), key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        moved = {old: new for new, old in enumerate(ordered)}
        self._rows = [self._rows[old] for old in ordered]
        self._keys = {(moved[row], col): value for (row, col), value in self._keys.items()}
        self._search = {moved[row]: value for row, value in self._search.items()}
        return moved

    def sort_key(self, row: int, column: int) -> Any:
        """The row's sort key for a column, computed once: a sort of 2,000 rows asks ~40,000 times."""
        cached = self._keys.get((row, column))
        if cached is None:
            cached = self._keys[(row, column)] = self._sort_key(self._rows[row], column)
        return cached

    def search_text(self, row: int) -> str:
        cached = self._search.get(row)
        if cached is None:
            cached = self._search[row] = self._rows[row].search_text()
        return cached

    def update_row(self, row: QueueRow) -> bool:
        """Replace one change's row in place (after an approval), keeping selection and scroll."""
        for number, existing in enumerate(self._rows):
            if existing.change_id == row.change_id:
                self._rows[number] = row
                self._keys = {key: value for key, value in self._keys.items() if key[0] != number}
                self._search.pop(number, None)
                self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))
                return True
        return False

    def row_for(self, change_id: str) -> int:
        for number, existing in enumerate(self._rows):
            if existing.change_id == change_id:
                return number
        return -1

    def queue_row(self, row: int) -> QueueRow:
        return self._rows[row]

    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    # --- QAbstractTableModel -------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == COL_RISK:
                return severity_icon(row.risk_level)
            if column == COL_SERVICES and row.max_tier == 0:
                return icon("tier0")
            if column == COL_AUTHOR and row.ai_assisted:
                return icon("ai")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == CHANGE_ID_ROLE:
            return row.change_id
        if role == SEARCH_ROLE:
            return row.search_text()
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[column]}: {self._display(row, column)}"
        return None

    def _display(self, row: QueueRow, column: int) -> str:
        if column == COL_RISK:
            score = f" {row.risk_score}" if row.risk_score is not None else ""
            return f"{severity_label(row.risk_level)}{score}"
        if column == COL_TITLE:
            if row.item_name:
                revision = f" · rev {row.revision}" if row.revision else ""
                return f"{row.item_name}{revision} — {row.title}"
            return row.title
        if column == COL_AUTHOR:
            tools = ", ".join(row.ai_tools) if row.ai_tools else ("AI (unnamed)" if row.ai_assisted else "human")
            return f"{row.author_name} · {tools}"
        if column == COL_SERVICES:
            if not row.services:
                return "—"
            tiered = row.max_tier is not None
            marked = [f"{name} [{tier_label(row.max_tier)}]" if tiered and name == row.critical_service else name
                      for name in row.services]
            return ", ".join(marked)
        if column == COL_APPROVALS:
            return f"{row.approvals_have}/{row.approvals_need}"
        if column == COL_AGE:
            return format_age(row.submitted_at)[0]
        if column == COL_STATUS:
            threads = self._open_threads.get(row.change_id, 0)
            badges = [b for b in (row.badge(), f"{threads} open thread{'s' if threads != 1 else ''}" if threads else "") if b]
            return " · ".join([row.status, *badges])
        return ""

    def _tooltip(self, row: QueueRow, column: int) -> str:
        if column == COL_SERVICES and row.services:
            return f"Most critical: {row.critical_service} (tier {row.max_tier})" if row.max_tier is not None else ""
        if column == COL_APPROVALS:
            return row.approvals_detail or f"{row.approvals_have} of {row.approvals_need} required approvals"
        return f"{row.title}\n{row.change_id}" if column == COL_TITLE else ""

    def _sort_key(self, row: QueueRow, column: int) -> Any:
        if column == COL_RISK:
            return (severity_rank(row.risk_level), -(row.risk_score or 0))
        if column == COL_TITLE:
            return row.title.lower()
        if column == COL_AUTHOR:
            return row.author_name.lower()
        if column == COL_SERVICES:
            return (row.max_tier if row.max_tier is not None else 99, len(row.services) * -1)
        if column == COL_APPROVALS:
            return (row.approvals_need - row.approvals_have, row.approvals_have)
        if column == COL_AGE:
            return format_age(row.submitted_at)[1]
        if column == COL_STATUS:
            return STATUS_ORDER.get(row.status, 9)
        return ""


class _Comparable:
    """A sort key that falls back to comparing text when two keys are of different types."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: "_Comparable") -> bool:
        try:
            return bool(self.value < other.value)
        except TypeError:
            return str(self.value) < str(other.value)


class QueueFilterProxy(QSortFilterProxyModel):
    """Case-insensitive search over title, author, services and AI tool; sorts by SORT_ROLE."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The queue model sorts itself (see the module's comment); other models sort here as usual."""
        model = self.sourceModel()
        if isinstance(model, QueueModel):
            model.sort(column, order)
        else:
            super().sort(column, order)

    def set_search(self, text: str) -> None:
        words = text.strip().lower()
        if words != self._needle:
            # begin/endFilterChange (Qt 6.10+) replaces the deprecated invalidateRowsFilter().
            self.beginFilterChange()
            self._needle = words
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._needle:
            return True
        model = self.sourceModel()
        if isinstance(model, QueueModel):
            haystack = model.search_text(source_row)
        else:
            haystack = model.data(model.index(source_row, 0, source_parent), SEARCH_ROLE) or ""
        return all(word in haystack for word in self._needle.split())

    def lessThan(self, left: _Index, right: _Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)
