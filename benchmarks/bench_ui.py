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
from PySide6.QtWidgets import QPlainTextEdit, QScrollBar  # noqa: E402

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


def timed(method, into: list[float]):
    """Wrap a bound method to record how long each call keeps the UI thread (instrumentation only)."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - started)
    return wrapper


def run_reviewer(db_path: Path, change_id: str) -> dict[str, float]:
    from reviewer_app.ui.main_window import MainWindow
    from reviewer_app.ui.settings import Settings

    window = MainWindow(db_path, None, Settings())
    window.resize(1600, 1000)
    window.show()
    spin(lambda: window.isVisible())
    window.diff.clear()
    set_change_s: list[float] = []
    window.diff.set_change = timed(window.diff.set_change, set_change_s)
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
    load_stall = monitor.stop()
    monitor.start()
    scroll_to_end(vertical_bar(window.diff))
    scroll_stall = monitor.stop()
    window.close()
    return {"load": load_stall, "scroll": scroll_stall, "paint": first_paint, "set_change": sum(set_change_s)}


def run_baseline(text: str) -> dict[str, float]:
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
    load_stall = monitor.stop()
    monitor.start()
    scroll_to_end(editor.verticalScrollBar())
    scroll_stall = monitor.stop()
    editor.close()
    editor.deleteLater()
    return {"load": load_stall, "scroll": scroll_stall, "paint": first_paint, "set_change": 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines-per-file", type=int, default=1250)
    args = parser.parse_args()
    from reviewer_app.ui.app import application

    application()  # the app's own QApplication setup (HiDPI policy, GC tuning)
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        db_path, change_id, text, lines = prepare(args.lines_per_file, Path(tmp))
        print(f"diff: {lines:,} lines, {len(text) / 1e6:.1f} MB; load average {os.getloadavg()[0]:.1f}")
        ours, base = [], []
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            ours.append(run_reviewer(db_path, change_id))
            base.append(run_baseline(text))

    def median(results: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(f"medians of {args.runs} runs (ms)      stall: load   stall: scroll   longest   first paint")
    for name, results in (("reviewer window", ours), ("QPlainTextEdit baseline", base)):
        load, scroll = median(results, "load"), median(results, "scroll")
        print(f"{name:32}{load * 1000:>10.0f}{scroll * 1000:>16.0f}{max(load, scroll) * 1000:>10.0f}"
              f"{median(results, 'paint') * 1000:>14.0f}")
    print(f"  of which DiffView.set_change on the UI thread: {median(ours, 'set_change') * 1000:.0f} ms")
    stall_ours = max(median(ours, "load"), median(ours, "scroll"))
    stall_base = max(median(base, "load"), median(base, "scroll"))
    print(f"ratio reviewer/baseline: longest stall {stall_ours / stall_base:.2f}, "
          f"first paint {median(ours, 'paint') / median(base, 'paint'):.2f}")
    ok = stall_ours < 0.100 and median(ours, "paint") < 1.0
    print(f"targets (stall < 100 ms, first paint < 1 s): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
