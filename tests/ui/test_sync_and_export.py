"""Sync and export from the window, against a real bare git remote and the real export writers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reviewer_app.ui.approvals import KeyChoice, sign_decision
from reviewer_app.ui.settings import Settings
from tests.ui.marks import OFFSCREEN_SIZE_HINTS
from tests.ui.reviewfixture import SENIORS

pytestmark = OFFSCREEN_SIZE_HINTS


@pytest.fixture
def remote(review_workspace, tmp_path) -> Path:
    bare = tmp_path / "team.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    repo = str(review_workspace.repo)
    subprocess.run(["git", "-C", repo, "remote", "remove", "origin"], capture_output=True)
    subprocess.run(["git", "-C", repo, "remote", "add", "origin", str(bare)], check=True)
    subprocess.run(["git", "-C", repo, "push", "-q", "origin", "main"], check=True, capture_output=True)
    return bare


def approve_directly(db_path: Path, review_workspace, change_id: str, principal: str) -> None:
    from reviewer_app.core import store

    db = store.open_db(db_path)
    analysis = store.get_analysis(db, change_id)
    db.close()
    acks = [f["id"] for f in analysis["risk"]["findings"] if f["severity"] in ("high", "critical")]
    sign_decision(db_path, change_id, "approve", acks, "", KeyChoice(str(review_workspace.keys[principal])),
                  principal, None, analysis, review_workspace.repo)


def sync_text(window) -> str:
    return window.status.sync.text.text()


def test_sync_pushes_waiting_events_and_the_status_bar_follows(make_window, queued_db, review_workspace, remote,
                                                              qtbot) -> None:
    db_path, (risky_id, _) = queued_db
    window = make_window(settings=Settings(identity=SENIORS[0], remote="origin", sync_interval_minutes=0))
    assert not window.sync.timer.isActive()
    approve_directly(db_path, review_workspace, risky_id, SENIORS[0])
    window.sync.refresh_status()
    qtbot.waitUntil(lambda: "1 event waiting" in sync_text(window), timeout=5000)
    assert sync_text(window).startswith("offline")  # never synced yet
    with qtbot.waitSignal(window.sync.finished, timeout=30000) as done:
        window.sync_action.trigger()
    assert done.args[0] is True, done.args
    assert "pushed 1 events" in done.args[1]
    assert sync_text(window).startswith("online · 0 events waiting · last sync 20")
    refs = subprocess.run(["git", "-C", str(remote), "for-each-ref", "--format=%(refname)"], capture_output=True,
                          text=True, check=True).stdout
    assert "refs/reviewer-app/" in refs


def test_sync_errors_show_in_the_status_bar(make_window, review_workspace, tmp_path, qtbot) -> None:
    window = make_window(settings=Settings(remote=str(tmp_path / "no-such-remote.git")))
    with qtbot.waitSignal(window.sync.finished, timeout=30000) as done:
        window.sync.sync_now()
    assert done.args[0] is False
    assert sync_text(window).startswith("offline")
    assert "no-such-remote" in window.status.sync.toolTip()
    assert window.status.currentMessage().startswith("Sync failed:")


def test_periodic_sync_follows_the_interval_setting(make_window) -> None:
    window = make_window(settings=Settings(remote="origin", sync_interval_minutes=7))
    assert window.sync.timer.isActive() and window.sync.timer.interval() == 7 * 60_000
    window.apply_settings(Settings(remote="origin", sync_interval_minutes=0))
    assert not window.sync.timer.isActive()


def test_export_dialog_writes_jsonl_in_a_worker(make_window, queued_db, review_workspace, tmp_path, qtbot) -> None:
    db_path, (risky_id, _) = queued_db
    approve_directly(db_path, review_workspace, risky_id, SENIORS[0])
    window = make_window()
    window.export_action.trigger()
    dialog = window.export_dialog
    assert "orders-db" in [dialog.service.itemText(n) for n in range(dialog.service.count())]
    out = tmp_path / "audit.jsonl"
    dialog.output.setText(str(out))
    dialog.service.setCurrentText("orders-db")
    with qtbot.waitSignal(dialog.exported, timeout=30000):
        assert dialog.start()
        assert not dialog.export_button.isEnabled() and dialog.progress.isVisible()
    lines = out.read_text().splitlines()
    assert any(SENIORS[0] in line and risky_id in line for line in lines)
    assert dialog.export_button.isEnabled()


def test_export_dialog_refuses_bad_input_with_reasons(make_window, tmp_path) -> None:
    window = make_window()
    window.export_action.trigger()
    dialog = window.export_dialog
    assert dialog.start() is False and dialog.message.text() == "Choose a file to write."
    dialog.output.setText(str(tmp_path / "missing" / "audit.csv"))
    assert dialog.start() is False and "no such folder" in dialog.message.text()
    dialog.output.setText(str(tmp_path / "audit.csv"))
    dialog.since_enabled.setChecked(True)
    dialog.until_enabled.setChecked(True)
    dialog.until.setDate(dialog.since.date())
    assert dialog.start() is False and "is not before the end date" in dialog.message.text()
