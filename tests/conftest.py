"""Test-wide setup: Qt offscreen, a git without the user's configuration, no shared database.

Set before anything imports Qt or runs git, so every test sees the same, isolated world.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["GIT_CONFIG_GLOBAL"] = os.devnull
os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
os.environ["TZ"] = "UTC"
for _name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
    os.environ.pop(_name, None)

pytest_plugins = ["tests.gitrepo"]


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own default database, so nothing reaches the user's data folder."""
    db = tmp_path_factory.mktemp("db") / "reviewer.db"
    monkeypatch.setenv("REVIEWER_APP_DB", str(db))
    return db
