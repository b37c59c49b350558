"""The inbox in the window: items with their revision and a "since your review" badge, the interdiff
toggle above the diff, the revision named in the approval dialog, and a notice for new high-risk items."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reviewer_app.core import store
from tests.core.inbox.test_inbox import World, approve, edit, latest, sync_inbox, world  # noqa: F401 (fixture)


@pytest.fixture
def reviewed_twice(world: World) -> tuple[World, str, str]:  # noqa: F811
    """PR #21: alice approved revision 1; bob pushed revision 2 editing one more file."""
    db = store.open_db()
    first = edit(world, "pr", "services/pricing/rates.py", "RATE_3 = 3", "RATE_3 = 30", "Raise rate 3")
    world.push(f"{first}:refs/pull/21/head")
    sync_inbox(db, world.reviewer, "origin")
    _, first_id = latest(world, "PR #21")
    approve(world, "alice", first_id)
    cart = world.author.path / "services/checkout/cart.py"
    cart.write_text(cart.read_text().replace("ITEM_4 = 4", "ITEM_4 = 44"))
    world.author.commit("And item 4", author=("Bob", "bob@example.com"))
    world.push("pr:refs/pull/21/head")
    sync_inbox(db, world.reviewer, "origin")
    _, second_id = latest(world, "PR #21")
    return world, first_id, second_id


def test_the_queue_badge_the_interdiff_toggle_and_the_revision_being_signed(qtbot, reviewed_twice) -> None:
    from reviewer_app.ui.approval_dialog import ApprovalDialog
    from reviewer_app.ui.main_window import MainWindow
    from reviewer_app.ui.queue_model import COL_STATUS, COL_TITLE
    from reviewer_app.ui.settings import Settings

    world, first_id, second_id = reviewed_twice
    window = MainWindow(Path(os.environ["REVIEWER_APP_DB"]), world.reviewer, Settings(identity="alice@example.com"))
    qtbot.addWidget(window)
    window.persist_layout = False
    window.show()
    with qtbot.waitSignal(window.change_loaded, timeout=20000):
        window.refresh_queue()
    model = window.queue.model
    assert model.rowCount() == 1  # one item, at its latest revision
    title = model.data(model.index(0, COL_TITLE))
    status = model.data(model.index(0, COL_STATUS))
    assert title.startswith("PR #21 · rev 2 — ")
    assert status == "updated since my review · updated since your review: 1 file, +1 \u22121"
    assert window.detail is not None and window.detail.since_review_id == first_id
    box = window.diff.since_review_box
    assert box.isVisibleTo(window)
    box.setChecked(True)
    qtbot.waitUntil(lambda: [f.path for f in window.diff.canvas.change.files] == ["services/checkout/cart.py"],
                    timeout=15000)
    box.setChecked(False)
    qtbot.waitUntil(lambda: len(window.diff.canvas.change.files) == 2, timeout=15000)
    dialog = ApprovalDialog(window.detail, "approve", window.settings, window.runner, window.db_path,
                            window.workspace_root, window)
    qtbot.addWidget(dialog)
    assert "revision 2 of PR #21 (origin)" in dialog.revision_label.text()
    dialog.close()
    window.announce_high_risk(["PR #30: Drop the orders table"])
    assert "1 new high or critical item(s): PR #30: Drop the orders table" in window.last_announcement
    window.close()
