"""Opening a git range, signing through a real ssh-agent, and following light/dark themes."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from reviewer_app.ui.dialogs import GitRangeDialog
from reviewer_app.ui.settings import Settings
from reviewer_app.ui.theme import apply_theme, is_dark
from tests.ui.marks import OFFSCREEN_SIZE_HINTS
from tests.ui.reviewfixture import SENIORS

pytestmark = OFFSCREEN_SIZE_HINTS


def test_a_git_range_is_loaded_in_a_worker_and_selected(make_window, review_workspace, qtbot) -> None:
    window = make_window()
    before = window.queue.model.rowCount()
    with qtbot.waitSignal(window.changes_added, timeout=20000) as added:
        window.open_git_range(review_workspace.repo, "git:main..docs")
    new_id = added.args[0][0]
    qtbot.waitUntil(lambda: window.detail is not None and window.detail.change_id == new_id, timeout=10000)
    assert window.queue.model.rowCount() == before  # the same content as the queued docs patch: one change
    assert window.detail.analysis["title"] == "Document local setup"


def test_a_bad_git_range_is_an_error_message(make_window, review_workspace, qtbot) -> None:
    window = make_window()
    with qtbot.waitSignal(window.error_shown, timeout=20000) as error:
        window.open_git_range(review_workspace.repo, "git:main..no-such-branch")
    assert "no-such-branch" in error.args[0]
    for box in QApplication.topLevelWidgets():
        if box.objectName() == "error-box":
            box.close()


def test_git_range_dialog_checks_its_fields(qtbot, tmp_path: Path) -> None:
    dialog = GitRangeDialog(str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.range_edit.setText("main")
    assert dialog.problem() == "main: expected BASE..HEAD, e.g. main..feature"
    dialog.range_edit.setText("main..feature")
    assert dialog.problem() is None and dialog.spec() == "git:main..feature"
    dialog.repo_edit.setText(str(tmp_path / "missing"))
    assert "not a folder" in dialog.problem()


@pytest.fixture
def ssh_agent(monkeypatch: pytest.MonkeyPatch):
    """A real ssh-agent for this test only, stopped by its pid afterwards."""
    out = subprocess.run(["ssh-agent", "-s"], capture_output=True, text=True, check=True).stdout
    values = dict(part.split("=", 1) for part in out.replace(";", "\n").split() if "=" in part)
    monkeypatch.setenv("SSH_AUTH_SOCK", values["SSH_AUTH_SOCK"])
    yield values
    os.kill(int(values["SSH_AGENT_PID"]), signal.SIGTERM)


def test_signing_through_ssh_agent(make_window, review_workspace, ssh_agent, qtbot) -> None:
    principal = SENIORS[1]
    key = review_workspace.keys[principal]
    subprocess.run(["ssh-add", "-q", str(key)], check=True, capture_output=True)
    window = make_window(settings=Settings(identity=principal, key_path=str(key), use_agent=True))
    window.open_approve_dialog()
    dialog = window.approval_dialog
    assert dialog.agent_radio.isChecked()
    dialog.set_all_acknowledged()
    with qtbot.waitSignal(dialog.decided, timeout=30000):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    fingerprint = subprocess.run(["ssh-keygen", "-lf", f"{key}.pub"], capture_output=True, text=True,
                                 check=True).stdout.split()[1]
    assert fingerprint in dialog.result_label.text()


def test_themes_switch_the_palette_and_back(qtbot) -> None:
    app = QApplication.instance()
    original = app.palette().color(app.palette().ColorRole.Window)
    try:
        apply_theme(app, "dark")
        assert is_dark(app.palette())
        apply_theme(app, "light")
        assert not is_dark(app.palette())
    finally:
        apply_theme(app, "system")
    assert app.palette().color(app.palette().ColorRole.Window) == original
