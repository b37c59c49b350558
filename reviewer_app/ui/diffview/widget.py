"""DiffView: placeholder with the final API while the canvas is being built."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from reviewer_app.core.model import Change


class DiffView(QWidget):
    file_viewed_changed = Signal(str, bool)
    progress_changed = Signal(int, int)
    finding_activated = Signal(str)
    current_file_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._change: Change | None = None
        self._viewed: set[str] = set()

    def set_change(self, change: Change, findings: list[dict], generated_paths: Iterable[str] = frozenset()) -> None:
        self._change = change
        self._viewed = set()
        self.progress_changed.emit(0, len(change.files))

    def clear(self) -> None:
        self._change = None
        self._viewed = set()

    def set_viewed(self, path: str, viewed: bool) -> None:
        if self._change is None:
            return
        if viewed:
            self._viewed.add(path)
        else:
            self._viewed.discard(path)
        self.file_viewed_changed.emit(path, viewed)
        self.progress_changed.emit(len(self._viewed), len(self._change.files))

    def next_finding(self) -> None: ...
    def previous_finding(self) -> None: ...
    def next_file(self) -> None: ...
    def previous_file(self) -> None: ...
    def next_hunk(self) -> None: ...
    def previous_hunk(self) -> None: ...
    def set_side_by_side(self, enabled: bool) -> None: ...
    def set_ignore_whitespace(self, enabled: bool) -> None: ...
    def show_finding(self, finding_id: str) -> None: ...
    def show_file(self, path: str) -> None: ...

    def shortcut_help(self) -> list[tuple[str, str]]:
        return []
