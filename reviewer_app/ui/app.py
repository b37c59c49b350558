"""Starting the desktop app: the QApplication, theme, settings, the window, and headless screenshots.

``run_gui`` is what ``reviewer-app gui`` and ``reviewer-app demo`` call; ``main`` is the
``reviewer-app-gui`` entry point. With a screenshot file the window loads, selects a change (the
given one or the riskiest), waits for every worker to finish, renders itself at 1600×1000 with
``QWidget.grab()`` and exits — no display needed (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from reviewer_app.errors import UserError
from reviewer_app.ui.display import choose_platform
from reviewer_app.ui.main_window import MainWindow
from reviewer_app.ui.settings import Settings, load_settings
from reviewer_app.ui.theme import apply_theme

SCREENSHOT_SIZE = QSize(1600, 1000)
FIRST_START_SHARE = 0.85  # of the screen's available area: a review tool wants the room for the diff
MIN_WINDOW = (640, 400)
TABS = ("findings", "services", "provenance", "approvals")  # the inspector tab to show
SCREENSHOT_TIMEOUT_MS = 60_000


def tune_gc_for_interaction() -> None:
    """Fewer, later cyclic-GC passes: a parsed 150k-line diff is ~500k live objects, and each full
    collection walks them all while holding the GIL, so a worker's collection froze the UI thread
    for 50-100 ms (measured by benchmarks/bench_ui.py). The model holds no reference cycles to speak of."""
    gc.set_threshold(50_000, 20, 100)


def application() -> QApplication:
    """The one QApplication (created once; HiDPI: fractional scale factors pass through unrounded)."""
    existing = QApplication.instance()
    if existing is not None:
        return existing  # type: ignore[return-value]
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    tune_gc_for_interaction()
    app = QApplication(sys.argv[:1])
    app.setApplicationName("reviewer-app")
    app.setApplicationDisplayName("Reviewer")
    app.setOrganizationName("reviewer-app")
    return app


def initial_geometry(screen: tuple[int, int, int, int], saved: list[int]) -> tuple[int, int, int, int]:
    """Where the window opens: as it was left, if that still fits on this screen; else 85% of it, centred.

    ``screen`` is the available area (x, y, width, height) without panels and docks.
    """
    sx, sy, sw, sh = screen
    if len(saved) == 4:
        x, y, w, h = saved
        fits = MIN_WINDOW[0] <= w <= sw and MIN_WINDOW[1] <= h <= sh
        on_screen = sx <= x <= sx + sw - MIN_WINDOW[0] // 2 and sy <= y <= sy + sh - MIN_WINDOW[1] // 2
        if fits and on_screen:
            return x, y, w, h
    w, h = max(MIN_WINDOW[0], int(sw * FIRST_START_SHARE)), max(MIN_WINDOW[1], int(sh * FIRST_START_SHARE))
    return sx + (sw - w) // 2, sy + (sh - h) // 2, w, h


def place_window(window: MainWindow, settings: Settings) -> None:
    screen = window.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry() if screen is not None else None
    rect = (area.x(), area.y(), area.width(), area.height()) if area is not None else (0, 0, 1600, 1000)
    x, y, w, h = initial_geometry(rect, list(settings.window))
    window.setGeometry(x, y, w, h)


def create_window(workspace: Path | None, db_path: Path | None, settings: Settings | None = None) -> MainWindow:
    settings = settings if settings is not None else load_settings()
    if workspace is None and settings.workspace:
        candidate = Path(settings.workspace).expanduser()
        workspace = candidate if candidate.is_dir() else None
    if workspace is not None:
        from reviewer_app.core.workspace import Workspace

        workspace = Workspace.discover(workspace).root
    window = MainWindow(db_path, workspace, settings)
    return window


def wait_until_idle(window: MainWindow, timeout_ms: int = SCREENSHOT_TIMEOUT_MS) -> bool:
    """Run the event loop until no worker is busy and every result has been delivered."""
    loop = QEventLoop()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    poll = QTimer()
    poll.setInterval(20)
    idle_ticks = [0]

    def check() -> None:
        # Idle twice in a row: a finished result may queue a follow-up request (queue -> detail).
        idle_ticks[0] = idle_ticks[0] + 1 if not window.runner.is_busy() else 0
        if idle_ticks[0] >= 3:
            loop.quit()

    poll.timeout.connect(check)
    deadline.start(timeout_ms)
    poll.start()
    loop.exec()
    poll.stop()
    return deadline.isActive()


def take_screenshot(window: MainWindow, path: Path, select: str | None, tab: str = "findings") -> None:
    window.persist_layout = False
    window.resize(SCREENSHOT_SIZE)
    window.show()
    window.inspector.setCurrentIndex(TABS.index(tab))
    window.refresh_queue(select=select)
    if not wait_until_idle(window):
        raise UserError(f"{path}: timed out waiting for the window to load")
    if select and window.queue.current_change_id() != select:
        raise UserError(f"{select}: no such change in the queue")
    settle = QEventLoop()  # let pending layout and paint events run before grabbing
    QTimer.singleShot(50, settle.quit)
    settle.exec()
    pixmap = window.grab()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        raise UserError(f"{path}: cannot write the screenshot")


def run_gui(workspace: Path | None, db_path: Path | None, select: str | None = None,
            screenshot: Path | None = None, tab: str = "findings", open_file: Path | None = None) -> int:
    """Open the window (or render it to ``screenshot``); the exit code.

    ``open_file`` (a patch the file manager opened with us) is queued and selected: in a worker when
    the window opens, so a bad file is shown there; before rendering a screenshot, where it is a UserError.
    """
    if tab not in TABS:
        raise UserError(f"--tab {tab}: expected one of {', '.join(TABS)}")
    if open_file is not None and not open_file.is_file():
        raise UserError(f"{open_file}: no such file")
    app = application()
    settings = load_settings()
    apply_theme(app, settings.theme)
    if open_file is not None and screenshot is not None:
        select = select or queue_patch_file(open_file, db_path, workspace)
    if select:
        from reviewer_app.core import store

        db = store.open_db(db_path)
        try:
            select = store.resolve_change_id(db, select)
        finally:
            db.close()
    window = create_window(workspace, db_path, settings)
    if screenshot is not None:
        try:
            take_screenshot(window, screenshot, select, tab)
        finally:
            window.close()
        return 0
    place_window(window, settings)
    window.inspector.setCurrentIndex(TABS.index(tab))
    window.show()
    window.refresh_queue(select=select)
    if open_file is not None:
        window.open_patch_file(open_file)  # selects the (first) change once it is queued
    return int(app.exec())


def queue_patch_file(path: Path, db_path: Path | None, workspace: Path | None) -> str:
    """Analyse and queue the changes of a patch file now; the id of its first change."""
    from reviewer_app.ui import backend

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    root = workspace
    if root is None:
        saved = load_settings().workspace
        root = Path(saved).expanduser() if saved and Path(saved).expanduser().is_dir() else None
    ids = backend.ingest_bytes(db_path, data, str(path), root)
    if not ids:
        raise UserError(f"{path}: no change in this file")
    return ids[0]


def main(argv: Sequence[str] | None = None) -> int:
    """``reviewer-app-gui``: the window on its own (same options as ``reviewer-app gui``)."""
    parser = argparse.ArgumentParser(prog="reviewer-app-gui", description="The Reviewer desktop app.")
    parser.add_argument("--db", metavar="PATH")
    parser.add_argument("--workspace", metavar="DIR")
    parser.add_argument("--select", metavar="CHANGE_ID")
    parser.add_argument("--screenshot", metavar="FILE")
    parser.add_argument("--tab", choices=TABS, default="findings")
    parser.add_argument("file", nargs="?", metavar="FILE", help="a patch, diff or mbox to queue and select")
    args = parser.parse_args(argv)
    try:
        choose_platform(args.screenshot is not None)  # before the QApplication exists
        return run_gui(Path(args.workspace) if args.workspace else None, Path(args.db) if args.db else None,
                       args.select, Path(args.screenshot) if args.screenshot else None, args.tab,
                       Path(args.file) if args.file else None)
    except UserError as exc:
        print(f"reviewer-app-gui: error: {exc.message}", file=sys.stderr)
        return 2
