"""Benchmark: the diff view on a 150k-line, ~6 MB diff, side by side with QPlainTextEdit baselines.

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_diffview.py [--pages N] [--lines N] [--gc-freeze]

Everything runs in one process, one after the other, offscreen; a QTimer firing every 5 ms
measures the longest gap of the event loop (a "stall": the time the app could not react).
Scenarios, for each widget:
  load        set the whole diff, until the first paint has finished (first paint) and the
              longest stall meanwhile;
  scroll      page down to the end (or --pages pages) with the scroll bar, one page per
              event-loop turn, longest stall and mean time per page;
and for the diff view also: jump to the last finding, switch to side by side and then to
ignore-whitespace (sliced rebuilds), and the number of lines pygments actually lexed.
">100ms" counts the stalls over 100 ms; "gc pause" is the longest pause of Python's cyclic
garbage collector meanwhile: its full passes walk every object of the parsed 150k-line model
(~70 ms here), whoever happens to trigger them; --gc-freeze shows the effect of the app calling
gc.freeze() once a change is loaded. The machine is shared and noisy: read the ratios between
rows of one run, not the absolute times.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget  # noqa: E402

from reviewer_app.core.diffparse import parse_patch  # noqa: E402
from reviewer_app.core.model import Change, LineKind  # noqa: E402
from reviewer_app.ui.diffview import DiffView  # noqa: E402

WINDOW_SIZE = (1400, 1000)


# --- the test diff ---------------------------------------------------------------------------

_STATEMENTS = [
    "    value = compute(items[{n}], factor={f})",
    "    if value > threshold and not cache.get(key_{n}):",
    "        logger.debug('step %s of %s', {n}, total)",
    "    results.append(transform(value, mode='fast'))",
    "    return {{'id': {n}, 'value': value}}",
    "    # keep the order ({n})",
    "",
    "def handler_{n}(request, *, retries={f}):",
]


def generate_patch(total_lines: int = 150_000, files: int = 120, seed: int = 7) -> bytes:
    """A git-style diff of Python files: hunks of context, removals and additions (~40 bytes/line)."""
    rng = random.Random(seed)
    per_file = total_lines // files
    out: list[str] = []
    for file_number in range(files):
        path = f"services/svc_{file_number // 12}/handlers_{file_number}.py"
        out += [f"diff --git a/{path} b/{path}", f"index {file_number:07x}..{file_number + 1:07x} 100644", f"--- a/{path}", f"+++ b/{path}"]
        written = 4
        old_no = new_no = 1
        while written < per_file:
            body: list[str] = []
            old_count = new_count = 0
            for _ in range(rng.randint(12, 40)):
                statement = rng.choice(_STATEMENTS).format(n=old_no + len(body), f=file_number)
                roll = rng.random()
                if roll < 0.55:
                    body.append(" " + statement)
                    old_count += 1
                    new_count += 1
                elif roll < 0.75:
                    body.append("-" + statement)
                    old_count += 1
                else:
                    body.append("+" + statement.replace("compute", "compute_fast"))
                    new_count += 1
            out.append(f"@@ -{old_no},{old_count} +{new_no},{new_count} @@ def section_{old_no}():")
            out += body
            written += len(body) + 1
            old_no += old_count + rng.randint(5, 50)
            new_no += new_count + rng.randint(5, 50)
    return ("\n".join(out) + "\n").encode()


def findings_for(change: Change, count: int = 200) -> list[dict]:
    """``count`` findings on added lines spread over the change, the last one on its last added line."""
    added = [(diff.path, line.new_no) for diff in change.files for hunk in diff.hunks for line in hunk.lines
             if line.kind is LineKind.ADDED]
    chosen = added[:: max(1, len(added) // count)][: count - 1] + [added[-1]]
    return [
        {"id": f"bench@{path}:new:{line}", "rule": "bench", "severity": ("low", "medium", "high", "critical")[i % 4],
         "path": path, "line": line, "side": "new", "start": 4, "end": 9, "message": "benchmark finding", "reference": ""}
        for i, (path, line) in enumerate(chosen)
    ]


# --- measuring -------------------------------------------------------------------------------

class StallMeter(QObject):
    """A 5 ms timer; the longest interval between its ticks is the longest stall of the event loop."""

    def __init__(self) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest = 0.0
        self.gaps: list[float] = []

    def start(self) -> None:
        self.longest = 0.0
        self.gaps = []
        self._last = time.perf_counter()
        self._timer.start()

    def over(self, limit: float) -> int:
        """How many gaps exceeded ``limit`` seconds (one outlier on a shared machine is noise; many are not)."""
        return sum(1 for gap in self.gaps if gap > limit)

    def stop(self) -> None:
        self._tick()
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self.longest = max(self.longest, now - self._last)
        self._last = now


class GcWatch:
    """The longest pause of Python's cyclic garbage collector (a stall no widget design can see)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._started)

    def take(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest


GC = GcWatch()


class PaintWatch(QObject):
    """Notes when the first paint of a viewport has finished (a zero timer runs right after it)."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__()
        self.done_at: float | None = None
        self._armed = False
        viewport.installEventFilter(self)

    def arm(self) -> None:
        self.done_at = None
        self._armed = True

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if self._armed and event.type() == QEvent.Type.Paint:
            self._armed = False
            QTimer.singleShot(0, self._finished)
        return False

    def _finished(self) -> None:
        self.done_at = time.perf_counter()


def spin_until(app: QApplication, condition: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark step did not finish")
        app.processEvents()
        time.sleep(0.001)


def run_in_loop(app: QApplication, action: Callable[[], None]) -> None:
    """Run ``action`` from the event loop (as a user action would), then let the loop settle."""
    finished = []
    QTimer.singleShot(0, lambda: (action(), finished.append(True)))
    spin_until(app, lambda: bool(finished))


def measure_load(app: QApplication, viewport: QWidget, load: Callable[[], None], settle: float = 0.3) -> tuple[float, float]:
    """(first paint after the load started, longest stall during load + settle), in seconds."""
    meter, watch = StallMeter(), PaintWatch(viewport)
    meter.start()
    started = [0.0]

    def begin() -> None:
        started[0] = time.perf_counter()
        watch.arm()
        load()
        viewport.update()

    run_in_loop(app, begin)
    spin_until(app, lambda: watch.done_at is not None)
    first_paint = (watch.done_at or 0.0) - started[0]
    end = time.perf_counter() + settle
    spin_until(app, lambda: time.perf_counter() > end)
    meter.stop()
    viewport.removeEventFilter(watch)
    return first_paint, meter.longest


def measure_scroll(app: QApplication, scroll_area, pages: int | None) -> tuple[float, float, int, int]:
    """Page down (one page per event-loop turn, each painted) to the end.

    Returns (longest stall, seconds per page, pages, stalls over 100 ms).
    """
    bar = scroll_area.verticalScrollBar()
    bar.setValue(0)
    meter = StallMeter()
    done = [0]
    limit = pages if pages is not None else 10**9

    def step() -> None:
        if bar.value() >= bar.maximum() or done[0] >= limit:
            done.append(-1)
            return
        bar.setValue(bar.value() + bar.pageStep())
        scroll_area.viewport().repaint()  # paint now, like a real display would for each page
        done[0] += 1
        QTimer.singleShot(0, step)

    meter.start()
    started = time.perf_counter()
    QTimer.singleShot(0, step)
    spin_until(app, lambda: len(done) > 1)
    elapsed = time.perf_counter() - started
    meter.stop()
    return meter.longest, elapsed / max(1, done[0]), done[0], meter.over(0.1)


class _PlusMinusHighlighter(QSyntaxHighlighter):
    """The trivial highlighter of the environment notes' second baseline."""

    def __init__(self, document) -> None:
        super().__init__(document)
        self._added, self._removed = QTextCharFormat(), QTextCharFormat()
        self._added.setForeground(QColor("#116329"))
        self._removed.setForeground(QColor("#82071e"))

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        if text.startswith("+"):
            self.setFormat(0, len(text), self._added)
        elif text.startswith("-"):
            self.setFormat(0, len(text), self._removed)


# --- scenarios -------------------------------------------------------------------------------

def bench_plain_text(app: QApplication, text: str, pages: int | None, highlighted: bool) -> dict[str, float]:
    editor = QPlainTextEdit()
    editor.setReadOnly(True)
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    if highlighted:
        editor._highlighter = _PlusMinusHighlighter(editor.document())  # type: ignore[attr-defined]
    editor.resize(*WINDOW_SIZE)
    editor.show()
    spin_until(app, lambda: True)
    GC.take()
    first_paint, load_stall = measure_load(app, editor.viewport(), lambda: editor.setPlainText(text))
    scroll_stall, per_page, count, over = measure_scroll(app, editor, pages)
    gc_pause = GC.take()
    editor.close()
    editor.deleteLater()
    return {"first_paint": first_paint, "load_stall": load_stall, "scroll_stall": scroll_stall, "per_page": per_page,
            "pages": count, "over": over, "gc_pause": gc_pause}


def bench_diff_view(app: QApplication, change: Change, findings: list[dict], pages: int | None) -> dict[str, float]:
    view = DiffView()
    view.resize(*WINDOW_SIZE)
    view.show()
    spin_until(app, lambda: True)
    canvas = view.canvas
    GC.take()
    first_paint, load_stall = measure_load(app, canvas.viewport(), lambda: view.set_change(change, findings))
    scroll_stall, per_page, count, over = measure_scroll(app, canvas, pages)
    gc_pause = GC.take()
    highlighter = canvas.highlighter
    lexed = highlighter.lexed_lines if highlighter is not None else 0

    canvas.verticalScrollBar().setValue(0)
    jump: list[float] = []

    def jump_to_last() -> None:
        started = time.perf_counter()
        view.show_finding(findings[-1]["id"])
        canvas.viewport().repaint()
        jump.append(time.perf_counter() - started)

    run_in_loop(app, jump_to_last)

    meter = StallMeter()
    GC.take()
    meter.start()
    started = time.perf_counter()
    run_in_loop(app, lambda: view.set_side_by_side(True))
    spin_until(app, lambda: not canvas.rebuilding)
    side_by_side_ready = time.perf_counter() - started
    meter.stop()
    side_by_side_stall = meter.longest
    side_by_side_gc = GC.take()

    GC.take()
    meter.start()
    started = time.perf_counter()
    run_in_loop(app, lambda: view.set_ignore_whitespace(True))
    spin_until(app, lambda: not canvas.rebuilding)
    whitespace_ready = time.perf_counter() - started
    meter.stop()
    view.close()
    view.deleteLater()
    return {
        "first_paint": first_paint, "load_stall": load_stall, "scroll_stall": scroll_stall, "per_page": per_page,
        "pages": count, "over": over, "gc_pause": gc_pause, "jump_last_finding": jump[0], "side_by_side_ready": side_by_side_ready,
        "side_by_side_stall": side_by_side_stall, "side_by_side_gc": side_by_side_gc, "whitespace_ready": whitespace_ready,
        "whitespace_stall": meter.longest, "whitespace_gc": GC.take(), "lexed_lines": lexed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=150_000, help="diff lines (default 150000)")
    parser.add_argument("--pages", type=int, default=None, help="pages to scroll (default: to the end)")
    parser.add_argument("--shared-diff", action="store_true",
                        help="use benchmarks/bigdiff.py (the diff the other UI benchmarks use) instead of this one's")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after parsing, as an app can after loading a change: the parsed model "
                             "then no longer costs every full garbage collection")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)

    if args.shared_diff:
        from bigdiff import big_diff  # noqa: PLC0415 (beside this script; only for this option)

        patch = big_diff(lines_per_file=args.lines // 120).encode()
    else:
        patch = generate_patch(args.lines)
    started = time.perf_counter()
    change = parse_patch(patch, "bench.diff")[0]
    parse_time = time.perf_counter() - started
    findings = findings_for(change)
    text = patch.decode()
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    diff_lines = text.count("\n")
    print(f"diff: {diff_lines:,} lines, {len(patch) / 1e6:.1f} MB, {len(change.files)} files, "
          f"{len(findings)} findings; parse_patch {parse_time:.2f} s (not included below)")
    gc.collect()

    results = {
        "QPlainTextEdit.setPlainText": bench_plain_text(app, text, args.pages, highlighted=False),
        "QPlainTextEdit + +/- highlighter": bench_plain_text(app, text, args.pages, highlighted=True),
        "DiffView (this)": bench_diff_view(app, change, findings, args.pages),
    }
    print()
    print(f"{'widget':34} {'first paint':>12} {'load stall':>11} {'scroll stall':>13} {'ms/page':>8} {'pages':>6} {'>100ms':>6} {'gc pause':>9}")
    for name, figures in results.items():
        print(f"{name:34} {figures['first_paint'] * 1000:10.0f}ms {figures['load_stall'] * 1000:9.0f}ms "
              f"{figures['scroll_stall'] * 1000:11.0f}ms {figures['per_page'] * 1000:8.1f} {int(figures['pages']):6d} "
              f"{int(figures['over']):6d} {figures['gc_pause'] * 1000:7.0f}ms")
    ours = results["DiffView (this)"]
    baseline = results["QPlainTextEdit.setPlainText"]
    print()
    print(f"DiffView: jump to the last finding {ours['jump_last_finding'] * 1000:.0f} ms; "
          f"side by side ready in {ours['side_by_side_ready'] * 1000:.0f} ms, longest stall meanwhile "
          f"{ours['side_by_side_stall'] * 1000:.0f} ms (gc pause {ours['side_by_side_gc'] * 1000:.0f} ms); then ignore whitespace ready in "
          f"{ours['whitespace_ready'] * 1000:.0f} ms, longest stall {ours['whitespace_stall'] * 1000:.0f} ms "
          f"(gc pause {ours['whitespace_gc'] * 1000:.0f} ms); pygments lexed {int(ours['lexed_lines']):,} of {diff_lines:,} lines")
    print(f"ratios vs setPlainText: first paint {ours['first_paint'] / baseline['first_paint']:.2f}x, "
          f"load stall {ours['load_stall'] / baseline['load_stall']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
