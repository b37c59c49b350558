"""End to end, as a senior would: open, pick the riskiest change, try to approve without
acknowledging (refused), acknowledge, sign with a real ssh-keygen key, a second senior signs, and
the CI gate (the real CLI) passes the same patch."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from reviewer_app.cli.main import main as cli_main
from reviewer_app.ui.dialogs import PassphraseDialog
from reviewer_app.ui.queue_model import COL_APPROVALS, COL_STATUS
from reviewer_app.ui.settings import Settings
from tests.ui.marks import OFFSCREEN_SIZE_HINTS
from tests.ui.reviewfixture import SENIORS

pytestmark = OFFSCREEN_SIZE_HINTS


def fingerprint(key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def senior_settings(review_workspace, principal: str) -> Settings:
    return Settings(identity=principal, key_path=str(review_workspace.keys[principal]))


def sign_as(window, qtbot, principal: str, review_workspace) -> str:
    """Open the approval dialog as ``principal``, acknowledge everything, sign; the dialog's result text."""
    window.apply_settings(senior_settings(review_workspace, principal))
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=10000)
    window.open_approve_dialog()
    dialog = window.approval_dialog
    dialog.set_all_acknowledged()
    assert dialog.sign_button.isEnabled() and dialog.sign_button.text() == "Approve and sign"
    with qtbot.waitSignal(dialog.decided, timeout=20000):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    text = dialog.result_label.text()
    dialog.accept()
    return text


def queue_cell(window, change_id: str, column: int) -> str:
    row = window.queue.model.row_for(change_id)
    return window.queue.model.index(row, column).data()


def test_review_walkthrough_ends_with_the_gate_passing(make_window, review_workspace, queued_db, qtbot, capsys) -> None:
    db_path, (risky_id, _docs_id) = queued_db
    first = SENIORS[0]
    window = make_window(settings=senior_settings(review_workspace, first))
    assert window.detail.change_id == risky_id
    assert window.detail.approval.need == 2 and not window.detail.approval.satisfied

    # Approving without acknowledging the critical findings is refused, and the button says why.
    window.open_approve_dialog()
    dialog = window.approval_dialog
    assert dialog.findings.count() == 2  # the two critical findings; the low one needs no tick
    assert not dialog.sign_button.isEnabled()
    assert dialog.sign_button.text() == "Acknowledge 2 more findings"
    assert dialog.sign() is False and "Acknowledge 2 more findings" in dialog.result_label.text()
    dialog.findings.item(0).setCheckState(Qt.CheckState.Checked)
    assert dialog.sign_button.text() == "Acknowledge 1 more finding"
    dialog.findings.item(1).setCheckState(Qt.CheckState.Checked)
    assert dialog.sign_button.isEnabled()
    with qtbot.waitSignal(dialog.decided, timeout=20000):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        assert dialog.sign_button.text() == "Signing…"  # the work is in a worker; the UI answered at once
    assert fingerprint(review_workspace.keys[first]) in dialog.result_label.text()
    assert dialog.sign_button.text() == "Close"
    dialog.accept()

    # The queue row and the policy state update at once.
    qtbot.waitUntil(lambda: queue_cell(window, risky_id, COL_APPROVALS) == "1/2", timeout=10000)
    assert queue_cell(window, risky_id, COL_STATUS) == "waiting for others"
    qtbot.waitUntil(lambda: window.detail.approval.have == 1, timeout=10000)

    # The gate does not pass with one of two approvals...
    assert cli_main(["--db", str(db_path), "gate", str(review_workspace.risky_patch),
                     "--repo", str(review_workspace.repo)]) == 1
    capsys.readouterr()

    # ...and passes once the second senior has signed.
    second = SENIORS[1]
    result = sign_as(window, qtbot, second, review_workspace)
    assert fingerprint(review_workspace.keys[second]) in result
    qtbot.waitUntil(lambda: queue_cell(window, risky_id, COL_STATUS) == "approved", timeout=10000)
    assert queue_cell(window, risky_id, COL_APPROVALS) == "2/2"
    assert cli_main(["--db", str(db_path), "gate", str(review_workspace.risky_patch),
                     "--repo", str(review_workspace.repo)]) == 0
    assert "APPROVED" in capsys.readouterr().out


def test_reject_needs_a_comment_and_marks_the_change_rejected(make_window, review_workspace, queued_db, qtbot) -> None:
    window = make_window(settings=senior_settings(review_workspace, SENIORS[0]))
    window.open_reject_dialog()
    dialog = window.approval_dialog
    assert dialog.findings.count() == 0  # nothing to acknowledge when rejecting
    assert not dialog.sign_button.isEnabled() and dialog.sign_button.text() == "Write a comment to reject"
    dialog.comment.setPlainText("Dropping orders loses every open order; migrate first.")
    assert dialog.sign_button.isEnabled() and dialog.sign_button.text() == "Reject and sign"
    with qtbot.waitSignal(dialog.decided, timeout=20000):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert "Rejected as sam.senior@example.com" in dialog.result_label.text()
    dialog.accept()
    risky_id = queued_db[1][0]
    qtbot.waitUntil(lambda: queue_cell(window, risky_id, COL_STATUS) == "rejected", timeout=10000)
    qtbot.waitUntil(lambda: window.detail.approval.rejected, timeout=10000)
    assert "Rejected by sam.senior@example.com" in window.inspector.approvals.state_label.text()


def test_an_untrusted_key_is_refused_before_signing(make_window, review_workspace, tmp_path, qtbot) -> None:
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    settings = Settings(identity=SENIORS[0], key_path=str(stranger))
    window = make_window(settings=settings)
    window.open_approve_dialog()
    dialog = window.approval_dialog
    dialog.set_all_acknowledged()
    with qtbot.waitSignal(dialog.runner.busy_changed, timeout=20000, check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("Not signed"), timeout=5000)
    assert "may not sign as sam.senior@example.com" in dialog.result_label.text()
    assert dialog.sign_button.isEnabled()  # the reviewer can pick another key and try again


def test_a_passphrase_protected_key_asks_in_a_dialog(make_window, review_workspace, tmp_path, qtbot) -> None:
    principal = SENIORS[0]
    protected = tmp_path / "protected"
    shutil.copy(review_workspace.keys[principal], protected)
    shutil.copy(f"{review_workspace.keys[principal]}.pub", f"{protected}.pub")
    protected.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", "correct horse", "-f", str(protected)], check=True)
    window = make_window(settings=replace(senior_settings(review_workspace, principal), key_path=str(protected)))
    window.open_approve_dialog()
    dialog = window.approval_dialog
    dialog.set_all_acknowledged()
    asked: list[str] = []

    def answer() -> None:
        prompt = QApplication.activeModalWidget()
        assert isinstance(prompt, PassphraseDialog)
        asked.append(prompt.windowTitle())
        prompt.field.setText("correct horse")
        prompt.accept()

    QTimer.singleShot(200, answer)
    with qtbot.waitSignal(dialog.decided, timeout=30000):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert asked == ["Key passphrase"]
    assert fingerprint(review_workspace.keys[principal]) in dialog.result_label.text()


def test_the_author_cannot_approve_their_own_change(make_window, review_workspace, qtbot) -> None:
    settings = Settings(identity="dana@example.com", key_path=str(review_workspace.keys[SENIORS[0]]))
    window = make_window(settings=settings)
    window.open_approve_dialog()
    dialog = window.approval_dialog
    dialog.set_all_acknowledged()
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("Not signed"), timeout=20000)
    assert "dana@example.com is an author of this change" in dialog.result_label.text()
    assert window.detail.approval.signatures == []
