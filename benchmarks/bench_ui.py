"""How long does the window freeze while a 150k-line diff loads and is scrolled to its end?

Measured side by side in one run, offscreen:
  reviewer   the main window: select the change (parse + policy + graph in a worker), show it in the
             diff view, then drag the scroll bar to the end in 40 steps
  baseline   one QPlainTextEdit.setPlainText of the same diff text on the UI thread, then the same
             scrolling (the approach git-cola and most viewers take)
A QTimer ticking every 5 ms records the longest gap between ticks: the longest stall of the UI
thread. "First paint" is the time from the request to the first paint of the diff. Targets: stall
< 100 ms, first paint < 1 s. Compare the ratio, not the absolute times (a shared, noisy machine).

    .venv/bin/python benchmarks/bench_ui.py [--runs 3] [--lines-per-file 1250]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("REVIEWER_APP_CONFIG_DIR", tempfile.mkdtemp(prefix="bench-ui-config-"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigdiff import big_diff  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QScrollBar  # noqa: E402

TICK_MS = 5
SCROLL_STEPS = 40


class StallMonitor(QObject):
    """Ticks every 5 ms on the UI thread; the longest gap between ticks is the longest stall."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.longest = 0.0
        self._last = 0.0

    def start(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self._tick()
        self.timer.stop()
        return self.longest

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now


class FirstPaint(QObject):
    """Records the time of the first paint of a widget after ``arm()``."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.at: float | None = None
        self.armed = False
        widget.installEventFilter(self)

    def arm(self) -> None:
        self.at, self.armed = None, True

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 (Qt naming)
        if self.armed and self.at is None and event.type() == QEvent.Type.Paint:
            self.at = time.perf_counter()
        return False


def spin(condition, timeout_s: float = 120.0) -> None:
    """Run the event loop until ``condition()`` holds (checked every 10 ms)."""
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if condition() else None)
    poll.start(10)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(timeout_s * 1000))
    loop.exec()
    poll.stop()
    if not condition():
        raise SystemExit("timed out")


def scroll_to_end(bar: QScrollBar) -> None:
    """Drag the bar to its end in steps, one step per event-loop turn, as a hand on a mouse would."""
    steps = iter(range(1, SCROLL_STEPS + 1))
    done = [False]

    def step() -> None:
        n = next(steps, None)
        if n is None:
            done[0] = True
            return
        bar.setValue(bar.maximum() * n // SCROLL_STEPS)
        QTimer.singleShot(TICK_MS, step)

    step()
    spin(lambda: done[0])


def vertical_bar(widget) -> QScrollBar:
    bars = [b for b in widget.findChildren(QScrollBar) if b.orientation().name == "Vertical"]
    return max(bars, key=lambda b: b.maximum())


def prepare(lines_per_file: int, folder: Path) -> tuple[Path, str, str, int]:
    from reviewer_app.core import store
    from reviewer_app.core.analysis import submit_change
    from reviewer_app.core.diffparse import parse_patch
    from reviewer_app.core.workspace import Workspace

    text = big_diff(lines_per_file=lines_per_file)
    db_path = folder / "bench.db"
    db = store.open_db(db_path)
    change = parse_patch(text.encode(), "big.diff")[0]
    started = time.perf_counter()
    change_id, _ = submit_change(db, change, Workspace(root=None))
    print(f"(setup) analysis and submit of the diff: {time.perf_counter() - started:.2f} s, outside the UI")
    db.close()
    return db_path, change_id, text, text.count("\n")


def run_reviewer(db_path: Path, change_id: str) -> tuple[float, float]:
    from reviewer_app.ui.main_window import MainWindow
    from reviewer_app.ui.settings import Settings

    window = MainWindow(db_path, None, Settings())
    window.resize(1600, 1000)
    window.show()
    spin(lambda: window.isVisible())
    window.diff.clear()
    canvas = getattr(window.diff, "canvas", window.diff)
    painted = FirstPaint(canvas.viewport() if hasattr(canvas, "viewport") else canvas)
    loaded: list[str] = []
    window.change_loaded.connect(loaded.append)
    window.change_loaded.connect(lambda _id: painted.arm())  # the first paint *showing* the change
    monitor = StallMonitor()
    monitor.start()
    started = time.perf_counter()
    window.refresh_queue(select=change_id)
    spin(lambda: bool(loaded) and painted.at is not None and painted.at > started)
    first_paint = painted.at - started
    scroll_to_end(vertical_bar(window.diff))
    stall = monitor.stop()
    window.close()
    return stall, first_paint


def run_baseline(text: str) -> tuple[float, float]:
    editor = QPlainTextEdit()
    editor.resize(900, 1000)
    editor.show()
    spin(lambda: editor.isVisible())
    painted = FirstPaint(editor.viewport())
    monitor = StallMonitor()
    monitor.start()
    started = time.perf_counter()
    painted.arm()
    QTimer.singleShot(0, lambda: editor.setPlainText(text))
    spin(lambda: painted.at is not None and editor.blockCount() > 1)
    first_paint = painted.at - started
    scroll_to_end(editor.verticalScrollBar())
    stall = monitor.stop()
    editor.close()
    editor.deleteLater()
    return stall, first_paint


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines-per-file", type=int, default=1250)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        db_path, change_id, text, lines = prepare(args.lines_per_file, Path(tmp))
        print(f"diff: {lines:,} lines, {len(text) / 1e6:.1f} MB")
        ours, base = [], []
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            ours.append(run_reviewer(db_path, change_id))
            base.append(run_baseline(text))
    app.processEvents()  # flush deleteLater before exit; the benchmark is over, nothing is measured now
    stall_ours = statistics.median(s for s, _ in ours)
    paint_ours = statistics.median(p for _, p in ours)
    stall_base = statistics.median(s for s, _ in base)
    paint_base = statistics.median(p for _, p in base)
    print(f"{'':28}{'longest stall':>15}{'first paint':>14}   (median of {args.runs})")
    print(f"{'reviewer window':28}{stall_ours * 1000:>12.0f} ms{paint_ours * 1000:>11.0f} ms")
    print(f"{'QPlainTextEdit baseline':28}{stall_base * 1000:>12.0f} ms{paint_base * 1000:>11.0f} ms")
    print(f"ratio reviewer/baseline: stall {stall_ours / stall_base:.2f}, first paint {paint_ours / paint_base:.2f}")
    ok = stall_ours < 0.100 and paint_ours < 1.0
    print(f"targets (stall < 100 ms, first paint < 1 s): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
