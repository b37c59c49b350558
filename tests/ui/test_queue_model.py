"""The queue model and its proxy, checked by Qt's own QAbstractItemModelTester."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from reviewer_app.ui.backend import QueueRow
from reviewer_app.ui.queue_model import (
    CHANGE_ID_ROLE,
    COL_AGE,
    COL_APPROVALS,
    COL_AUTHOR,
    COL_RISK,
    COL_SERVICES,
    COL_STATUS,
    QueueFilterProxy,
    QueueModel,
    format_age,
)


def row(change_id: str, level: str | None, score: int, title: str, minutes_old: int, **extra) -> QueueRow:
    submitted = (datetime.now(UTC) - timedelta(minutes=minutes_old)).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = dict(
        change_id=change_id, title=title, author_name="Dana Dev", author_email="dana@example.com",
        ai_assisted=False, ai_tools=[], risk_level=level, risk_score=score, services=[], critical_service=None,
        max_tier=None, approvals_have=0, approvals_need=1, approvals_detail="", submitted_at=submitted,
        status="needs my review",
    )
    values.update(extra)
    return QueueRow(**values)


ROWS = [
    row("sha256:aa", "low", 5, "Fix typo", 3),
    row("sha256:bb", "critical", 91, "Drop orders", 600, ai_assisted=True, ai_tools=["Claude Code"],
        services=["orders-db", "checkout"], critical_service="orders-db", max_tier=0, approvals_have=1,
        approvals_need=2, status="waiting for others"),
    row("sha256:cc", "high", 40, "Open port", 90, services=["edge"], critical_service="edge", max_tier=2,
        status="approved", approvals_have=1),
    row("sha256:dd", None, 0, "Unscored", 10 * 24 * 60),
]


def make(qtbot) -> tuple[QueueModel, QueueFilterProxy]:
    model = QueueModel()
    proxy = QueueFilterProxy()
    proxy.setSourceModel(model)
    # Parented to the models so the testers live (and check every change) as long as they do.
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal, model)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal, proxy)
    model.set_rows(ROWS)
    return model, proxy


def test_models_pass_the_qt_model_tester_through_resets_updates_sorts_and_filters(qtbot) -> None:
    model, proxy = make(qtbot)
    proxy.sort(COL_RISK, Qt.SortOrder.AscendingOrder)
    proxy.set_search("orders")
    proxy.set_search("")
    changed = row("sha256:aa", "medium", 20, "Fix typo", 3, approvals_have=1, status="approved")
    assert model.update_row(changed)
    model.set_rows(ROWS[:2])
    model.set_rows([])
    assert proxy.rowCount() == 0


def test_risk_sort_puts_critical_first_and_unscored_last(qtbot) -> None:
    model, proxy = make(qtbot)
    proxy.sort(COL_RISK, Qt.SortOrder.AscendingOrder)
    order = [proxy.index(n, 0).data(CHANGE_ID_ROLE) for n in range(proxy.rowCount())]
    assert order == ["sha256:bb", "sha256:cc", "sha256:aa", "sha256:dd"]
    proxy.sort(COL_AGE, Qt.SortOrder.AscendingOrder)  # by seconds, not by the text "10 h" < "3 min"
    order = [proxy.index(n, 0).data(CHANGE_ID_ROLE) for n in range(proxy.rowCount())]
    assert order == ["sha256:aa", "sha256:cc", "sha256:bb", "sha256:dd"]
    proxy.sort(COL_STATUS, Qt.SortOrder.AscendingOrder)
    assert proxy.index(0, COL_STATUS).data() == "needs my review"


def test_cells_say_severity_tier_tool_and_approvals_in_words(qtbot) -> None:
    model, _ = make(qtbot)
    critical = model.index(1, 0)
    assert model.data(critical) == "C critical 91"
    assert not model.data(critical, Qt.ItemDataRole.DecorationRole).isNull()  # the octagon icon too
    assert model.data(model.index(1, COL_SERVICES)) == "orders-db [T0], checkout"
    assert model.data(model.index(1, COL_AUTHOR)) == "Dana Dev · Claude Code"
    assert model.data(model.index(0, COL_AUTHOR)) == "Dana Dev · human"
    assert model.data(model.index(1, COL_APPROVALS)) == "1/2"
    assert model.data(model.index(3, COL_RISK)) == "- none 0"
    assert model.data(model.index(1, COL_AGE)) == "10 h"


def test_search_matches_title_author_service_and_tool_case_insensitively(qtbot) -> None:
    _, proxy = make(qtbot)
    for text, expected in [("ORDERS-db", 1), ("claude", 1), ("dana", 4), ("edge open", 1), ("typo missing", 0)]:
        proxy.set_search(text)
        assert proxy.rowCount() == expected, text


def test_age_formatting() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert format_age("2026-01-02T03:04:00Z", now)[0] == "now"
    assert format_age("2026-01-02T02:00:00Z", now)[0] == "1 h"
    assert format_age("2025-12-30T03:04:05Z", now)[0] == "3 d"
    assert format_age(None, now) == ("?", float("inf"))
    assert format_age("yesterday", now)[0] == "?"
