"""The inspector's Services tab lists "called by" for each changed symbol; a use opens its file at the base."""

from __future__ import annotations

import pytest

from tests.core.callers.conftest import DISCOUNTS
from tests.gitrepo import GitRepo

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from reviewer_app.core.analysis import analyze  # noqa: E402
from reviewer_app.core.ingest import load_git_range  # noqa: E402
from reviewer_app.core.workspace import Workspace  # noqa: E402


def _analysis(platform: GitRepo) -> dict:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):\n    return price - price * percent / 100\n\n\n", ""), dedent=False)
    platform.write("services/pricing/api.py", "# pricing no longer discounts here\n")
    platform.commit("drop apply_discount")
    return analyze(load_git_range(platform.path, "HEAD~1..HEAD"), Workspace(platform.path)).to_dict()


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # the offscreen platform
def test_services_tab_lists_called_by_and_opens_a_use_at_the_base(platform: GitRepo, qtbot) -> None:
    from reviewer_app.ui.services_panel import ServicesPanel

    # Pricing's own file is rewritten by the change, so its uses are set apart; reporting's is not a use.
    platform.write("services/checkout/pay.py", "from services.billing.discounts import apply_discount\n\n"
                                                 "TOTAL = apply_discount(100, 5)\n")
    platform.commit("checkout discounts too")
    analysis = _analysis(platform)
    panel = ServicesPanel()
    qtbot.addWidget(panel)
    panel.repository = platform.path

    panel.set_callers(analysis["callers"], analysis.get("callers_notes"))

    symbol = panel.callers.topLevelItem(0)
    assert symbol.text(0) == "apply_discount — function, removed"
    groups = {symbol.child(n).text(0): symbol.child(n) for n in range(symbol.childCount())}
    assert list(groups) == ["checkout", "(inside this change)"]
    checkout = groups["checkout"]
    assert [(checkout.child(n).text(0), checkout.child(n).text(1)) for n in range(checkout.childCount())] == [
        ("services/checkout/pay.py:1", "from services.billing.discounts import apply_discount"),
        ("services/checkout/pay.py:3", "TOTAL = apply_discount(100, 5)"),
    ]
    inside = groups["(inside this change)"]
    assert inside.child(0).text(0) == "services/pricing/api.py:1"

    panel.callers.itemActivated.emit(inside.child(1), 0)  # pricing's call, as it was at the base

    [viewer] = panel.viewers
    assert viewer.windowTitle().startswith("services/pricing/api.py @ ")
    assert viewer.text.isReadOnly()
    assert "return apply_discount(item.price, 5)" in viewer.text.toPlainText()  # the base, not the head
    assert viewer.current_line() == 5
    viewer.close()


def test_inspector_fills_called_by_from_the_analysis(platform: GitRepo, qtbot) -> None:
    from reviewer_app.ui.inspector import Inspector

    analysis = _analysis(platform)
    inspector = Inspector()
    qtbot.addWidget(inspector)

    inspector.services.set_callers(analysis["callers"])
    tree = inspector.services.callers
    assert [tree.topLevelItem(n).text(0) for n in range(tree.topLevelItemCount())] == [
        "apply_discount — function, removed", "price_of — function, removed"]
    inspector.clear()
    assert inspector.services.callers.topLevelItem(0).text(0) == (
        "No changed function, class, constant, route or schema.")
