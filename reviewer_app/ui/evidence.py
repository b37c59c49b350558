"""Evidence of review gathered in the desktop app, signed into the approval (docs/comments-and-evidence.md).

``ReviewEvidence`` keeps, for one change and one reviewer, exactly what the signed summary needs:
which files were opened in the diff view or marked viewed, which changed lines were painted on
screen, and the active time in the diff. Time counts from one input (key, click, wheel, pointer
movement) to the next, at most ``IDLE_SECONDS`` per gap, and only while the window is active: a
reviewer who walks away, or switches to another program, adds nothing. The clock is passed in (a
test drives it; the app passes ``time.monotonic``), never read globally.

``EvidenceWatcher`` feeds it from the diff canvas: its painted rows, its current file, its viewed
marks, the input events it receives, and the application's active state.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication

from reviewer_app.core.model import Change, LineKind

IDLE_SECONDS = 60.0
LineKey = tuple[str, str, int]  # (path, side "old"|"new", line number): one changed line
_INPUT_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.MouseMove)
_HIGH = ("high", "critical")


def changed_line_keys(change: Change) -> set[LineKey]:
    """Every added line (new side) and removed line (old side) of the change."""
    keys: set[LineKey] = set()
    for diff in change.files:
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is LineKind.ADDED and line.new_no is not None:
                    keys.add((diff.path, "new", line.new_no))
                elif line.kind is LineKind.REMOVED and line.old_no is not None:
                    keys.add((diff.path, "old", line.old_no))
    return keys


class ReviewEvidence:
    """What one reviewer looked at in one change, measured with ``clock`` (seconds, monotonic)."""

    def __init__(self, change: Change, change_id: str, clock: Callable[[], float]) -> None:
        self.change_id = change_id
        self.paths = [diff.path for diff in change.files]
        self._changed = changed_line_keys(change)
        self._clock = clock
        self._viewed: set[str] = set()
        self._seen: set[LineKey] = set()
        self._active = 0.0
        self._last_input: float | None = None
        self._window_active = True

    # --- what the diff view reports --------------------------------------------------------------
    def file_opened(self, path: str) -> None:
        if path in self.paths:
            self._viewed.add(path)

    def file_marked(self, path: str, viewed: bool) -> None:
        if viewed:
            self.file_opened(path)

    def lines_on_screen(self, keys: Iterable[LineKey]) -> None:
        self._seen.update(key for key in keys if key in self._changed)

    def input(self) -> None:
        """A key press, click, wheel turn or pointer movement in the diff."""
        now = self._clock()
        if not self._window_active:
            return
        if self._last_input is not None:
            self._active += min(max(0.0, now - self._last_input), IDLE_SECONDS)
        self._last_input = now

    def set_window_active(self, active: bool) -> None:
        """The window went to the background (time stops) or came back (time counts from the next input)."""
        if active == self._window_active:
            return
        if not active:
            self.input()  # the time up to leaving counts, at most IDLE_SECONDS after the last input
            self._last_input = None
        self._window_active = active

    # --- the summary -----------------------------------------------------------------------------
    @property
    def active_seconds(self) -> int:
        pending = 0.0
        if self._window_active and self._last_input is not None:
            pending = min(max(0.0, self._clock() - self._last_input), IDLE_SECONDS)
        return int(self._active + pending)

    def unviewed(self) -> list[str]:
        return [path for path in self.paths if path not in self._viewed]

    def evidence(self) -> dict[str, Any]:
        """The signed ``evidence`` object (core/evidence.py), nothing more."""
        return {"files_viewed": len(self._viewed), "files_total": len(self.paths), "lines_seen": len(self._seen),
                "lines_changed": len(self._changed), "active_seconds": self.active_seconds, "client": "gui"}

    def summary(self, findings: list[dict[str, Any]]) -> str:
        """For the approval dialog: "you viewed 7 of 9 files; 2 files with high findings are unviewed; ..."."""
        unviewed = set(self.unviewed())
        risky = {str(f.get("path")) for f in findings if f.get("severity") in _HIGH and f.get("path") in unviewed}
        figures = self.evidence()
        parts = [f"you viewed {figures['files_viewed']} of {figures['files_total']} files"]
        if risky:
            parts.append(f"{len(risky)} file{'s' if len(risky) != 1 else ''} with high findings "
                         f"{'are' if len(risky) != 1 else 'is'} unviewed")
        parts.append(f"{figures['lines_seen']:,} of {figures['lines_changed']:,} changed lines were on screen")
        minutes, seconds = divmod(figures["active_seconds"], 60)
        parts.append(f"{minutes} min {seconds} s of active review")
        return "; ".join(parts)


class EvidenceWatcher(QObject):
    """Connects a DiffCanvas to the ReviewEvidence of the change it shows."""

    def __init__(self, canvas: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.tracker: ReviewEvidence | None = None
        canvas.rows_painted.connect(self._on_rows_painted)
        canvas.current_file_changed.connect(self._on_file)
        canvas.file_viewed_changed.connect(self._on_viewed)
        canvas.installEventFilter(self)
        canvas.viewport().installEventFilter(self)
        app = QGuiApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self.on_application_state)

    def start(self, tracker: ReviewEvidence | None) -> None:
        """Measure for this change from now on (None: stop)."""
        self.tracker = tracker
        if tracker is not None:
            current = self.canvas.current_file
            if 0 <= current < len(tracker.paths):
                tracker.file_opened(tracker.paths[current])
            tracker.input()  # opening the change is the first input

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if self.tracker is not None and event.type() in _INPUT_EVENTS:
            self.tracker.input()
        return False

    def on_application_state(self, state: Qt.ApplicationState) -> None:
        if self.tracker is not None:
            self.tracker.set_window_active(state == Qt.ApplicationState.ApplicationActive)

    def _on_rows_painted(self, first: int, last: int) -> None:
        if self.tracker is not None:
            self.tracker.lines_on_screen(self.canvas.changed_lines(first, last))

    def _on_file(self, path: str) -> None:
        if self.tracker is not None:
            self.tracker.file_opened(path)

    def _on_viewed(self, path: str, viewed: bool) -> None:
        if self.tracker is not None:
            self.tracker.file_marked(path, viewed)
