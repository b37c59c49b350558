"""Fixtures shared by the GUI tests of this folder (the diff view's tests have their own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.reviewfixture import ReviewWorkspace, build_review_workspace, queue_patches


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings go to a temporary folder, never the user's."""
    folder = tmp_path / "config"
    monkeypatch.setenv("REVIEWER_APP_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def review_workspace(tmp_path_factory: pytest.TempPathFactory) -> ReviewWorkspace:
    return build_review_workspace(tmp_path_factory.mktemp("review"))


@pytest.fixture
def queued_db(review_workspace: ReviewWorkspace, tmp_path: Path) -> tuple[Path, list[str]]:
    """A fresh database holding the risky change and the docs change: (path, [risky id, docs id])."""
    db_path = tmp_path / "reviewer.db"
    return db_path, queue_patches(db_path, review_workspace)


@pytest.fixture
def make_window(qtbot, review_workspace: ReviewWorkspace, queued_db: tuple[Path, list[str]]) -> Iterator:
    """Open a main window on the queued database; close it (waiting for workers) afterwards."""
    from reviewer_app.ui.main_window import MainWindow
    from reviewer_app.ui.settings import Settings, load_settings

    windows = []

    def make(settings: Settings | None = None, load: bool = True) -> MainWindow:
        window = MainWindow(queued_db[0], review_workspace.repo, settings or load_settings())
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        windows.append(window)
        if load:
            with qtbot.waitSignal(window.change_loaded, timeout=15000):
                window.refresh_queue()
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.close()
        window.runner.shutdown()
