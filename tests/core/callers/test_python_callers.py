"""Changed Python symbols and their callers, from real git ranges."""

from __future__ import annotations

from tests.gitrepo import GitRepo

from reviewer_app.core import services
from reviewer_app.core.callers import find_callers
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.workspace import Workspace
from tests.core.callers.conftest import DISCOUNTS


def _callers(repo: GitRepo, spec: str = "HEAD~1..HEAD"):
    workspace = Workspace(repo.path, revision=None)
    change = load_git_range(repo.path, spec)
    return find_callers(change, workspace, services.load_catalog(workspace))


def _symbol(report, name):
    return next(s for s in report.symbols if s.symbol == name)


def test_removed_function_still_imported_is_critical(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):\n    return price - price * percent / 100\n\n\n", ""), dedent=False)
    platform.commit("drop apply_discount")

    report = _callers(platform)

    symbol = _symbol(report, "apply_discount")
    assert (symbol.change, symbol.kind, symbol.path) == ("removed", "function", "services/billing/discounts.py")
    assert [(u.service, u.path, u.line, u.snippet) for u in symbol.uses] == [
        ("pricing", "services/pricing/api.py", 1, "from services.billing.discounts import apply_discount"),
        ("pricing", "services/pricing/api.py", 5, "return apply_discount(item.price, 5)"),
    ]  # reporting's own apply_discount and comment are not uses of billing's
    [finding] = [f for f in report.findings if f.rule == "CALLERS-REMOVED-SYMBOL-IN-USE"]
    assert finding.severity == "critical"
    assert finding.message == ("removes `apply_discount`, still used by pricing: services/pricing/api.py:1, "
                               "services/pricing/api.py:5")
    assert (finding.path, finding.side, finding.line) == ("services/billing/discounts.py", "old", 4)


def test_removal_only_imported_names_the_import(platform: GitRepo) -> None:
    platform.write("services/pricing/api.py", "from services.billing.discounts import apply_discount\n")
    platform.commit("pricing only imports it")
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):\n    return price - price * percent / 100\n\n\n", ""), dedent=False)
    platform.commit("drop apply_discount")

    [finding] = _callers(platform).findings

    assert finding.message == "removes `apply_discount`, still imported by pricing: services/pricing/api.py:1"


def test_rename_with_callers_left_on_the_old_name(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace("def round_price", "def round_to_cents"),
                   dedent=False)
    platform.commit("rename round_price")

    report = _callers(platform)

    symbol = _symbol(report, "round_to_cents")
    assert (symbol.change, symbol.old_name) == ("renamed", "round_price")
    assert [(u.service, u.path, u.line) for u in symbol.uses] == [("checkout", "services/checkout/cart.py", 7)]
    [finding] = report.findings
    assert finding.rule == "CALLERS-RENAMED-SYMBOL-IN-USE" and finding.severity == "critical"
    assert "still used by checkout: services/checkout/cart.py:7" in finding.message


def test_signature_change_without_updated_callers_is_high(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):", "def apply_discount(price, percent, currency):"), dedent=False)
    platform.commit("discount needs a currency")

    report = _callers(platform)

    symbol = _symbol(report, "apply_discount")
    assert symbol.change == "modified"
    assert symbol.signature_problem == "adds parameter `currency` without a default"
    [finding] = report.findings
    assert (finding.rule, finding.severity) == ("CALLERS-SIGNATURE-CHANGED", "high")
    assert "services/pricing/api.py:5" in finding.message


def test_signature_change_with_its_callers_updated_is_not_a_finding(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):", "def apply_discount(price, percent, currency):"), dedent=False)
    platform.write("services/pricing/api.py", """\
        from services.billing.discounts import apply_discount


        def price_of(item):
            return apply_discount(item.price, 5, "EUR")
        """)
    platform.commit("discount needs a currency, pricing passes it")

    report = _callers(platform)

    symbol = _symbol(report, "apply_discount")
    # Both uses are in a file the change touches: set apart; the call line was rewritten, the import was not.
    assert symbol.outside() == []
    assert [(u.path, u.line, u.updated) for u in symbol.inside()] == [
        ("services/pricing/api.py", 1, False), ("services/pricing/api.py", 5, True)]
    assert symbol.to_dict()["uses"] == []
    assert [u["line"] for u in symbol.to_dict()["uses_in_change"]] == [1, 5]
    # The import still works with a new parameter: only the call had to change, and it did.
    assert report.findings == []


def test_default_added_keeps_calls_working(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):", "def apply_discount(price, percent, currency='EUR'):"), dedent=False)
    platform.commit("optional currency")

    report = _callers(platform)

    assert _symbol(report, "apply_discount").signature_problem is None
    assert report.findings == []


def test_body_change_of_a_function_used_by_tier0_adds_risk(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace("round(price, 2)", "round(price, 3)"),
                   dedent=False)
    platform.commit("more precision")

    report = _callers(platform)

    [finding] = report.findings
    assert (finding.rule, finding.severity) == ("CALLERS-TIER0-BODY-CHANGED", "medium")
    assert "called by tier-0 used by checkout: services/checkout/cart.py:7" in finding.message


def test_method_removed_still_called(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "    def total(self, items):\n        return sum(items)\n", "    pass\n"), dedent=False)
    platform.commit("drop Cart.total")

    report = _callers(platform)

    symbol = _symbol(report, "Cart.total")
    assert (symbol.kind, symbol.change) == ("method", "removed")
    assert [(u.service, u.line) for u in symbol.uses] == [("checkout", 6)]


def test_constant_modified_and_moved_function_is_no_change(platform: GitRepo) -> None:
    moved = DISCOUNTS.replace("RATE = 10", "RATE = 12")
    moved = moved.replace("def round_price(price):\n    return round(price, 2)\n\n\n", "")
    moved += "\n\ndef round_price(price):\n    return round(price, 2)\n"
    platform.write("services/billing/discounts.py", moved, dedent=False)
    platform.commit("raise the rate, move a function")

    report = _callers(platform)

    assert [(s.symbol, s.kind, s.change) for s in report.symbols] == [("RATE", "constant", "modified")]


def test_parenthesised_relative_and_module_imports_are_found(platform: GitRepo) -> None:
    platform.write("services/billing/invoice.py", """\
        from .discounts import (
            RATE,
            apply_discount as discount,
        )


        def invoice(price):
            return discount(price, RATE)
        """)
    platform.write("services/checkout/fees.py", """\
        import services.billing.discounts as d


        def fee(price):
            return d.apply_discount(price, 1)
        """)
    platform.commit("more callers")
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):\n    return price - price * percent / 100\n\n\n", ""), dedent=False)
    platform.commit("drop apply_discount")

    symbol = _symbol(_callers(platform), "apply_discount")

    assert [(u.service, u.path, u.line, u.is_import) for u in symbol.uses] == [
        ("billing", "services/billing/invoice.py", 3, True),
        ("billing", "services/billing/invoice.py", 8, False),
        ("checkout", "services/checkout/fees.py", 5, False),
        ("pricing", "services/pricing/api.py", 1, True),
        ("pricing", "services/pricing/api.py", 5, False),
    ]


def test_module_moved_while_still_imported_from_the_old_path(platform: GitRepo) -> None:
    platform.git("mv", "services/billing/discounts.py", "services/billing/pricing_rules.py")
    platform.commit("move the discounts module")

    report = _callers(platform)

    moved = _symbol(report, "apply_discount")
    assert (moved.change, moved.old_path, moved.path) == (
        "renamed", "services/billing/discounts.py", "services/billing/pricing_rules.py")
    assert [(u.service, u.path, u.line) for u in moved.uses] == [
        ("pricing", "services/pricing/api.py", 1), ("pricing", "services/pricing/api.py", 5)]
    finding = next(f for f in report.findings if "`apply_discount`" in f.message)
    assert (finding.rule, finding.severity) == ("CALLERS-MOVED-SYMBOL-IN-USE", "critical")
    assert finding.message == ("moves `apply_discount` from services/billing/discounts.py to "
                               "services/billing/pricing_rules.py, still used by pricing: services/pricing/api.py:1, "
                               "services/pricing/api.py:5 from the old module")


def test_constructor_signature_change_finds_the_class_calls(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "class Cart:\n", "class Cart:\n    def __init__(self, owner):\n        self.owner = owner\n\n"), dedent=False)
    platform.commit("carts have owners")
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "class Cart:\n", "class Cart:\n    def __init__(self, owner, currency):\n        self.owner = owner\n\n"),
        dedent=False)
    platform.commit("and a currency")

    report = _callers(platform)

    symbol = _symbol(report, "Cart.__init__")
    assert (symbol.kind, symbol.name, symbol.signature_problem) == (
        "constructor", "Cart", "adds parameter `currency` without a default")
    assert [(u.service, u.line, u.is_import) for u in symbol.uses] == [("checkout", 2, True), ("checkout", 6, False)]
    [finding] = report.findings
    assert finding.rule == "CALLERS-SIGNATURE-CHANGED"
    assert finding.message.endswith("calls not updated: used by checkout: services/checkout/cart.py:6")


def test_deleted_module_leaves_its_importers_critical(platform: GitRepo) -> None:
    platform.git("rm", "-q", "services/billing/discounts.py")
    platform.commit("delete discounts")

    report = _callers(platform)

    removed = {s.symbol for s in report.symbols if s.change == "removed"}
    assert removed == {"RATE", "apply_discount", "round_price", "Cart", "Cart.total"}
    critical = {f.message.split("`")[1] for f in report.findings if f.severity == "critical"}
    assert critical == {"apply_discount", "round_price", "Cart", "Cart.total"}


def test_uses_in_tests_are_listed_without_a_finding(platform: GitRepo) -> None:
    platform.write("services/billing/tests/test_rounding.py", """\
        from services.billing.discounts import round_price


        def test_round():
            assert round_price(1.234) == 1.23
        """)
    platform.write("services/checkout/cart.py", "def checkout(items):\n    return sum(items)\n")
    platform.commit("only a test rounds now")
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def round_price(price):\n    return round(price, 2)\n\n\n", ""), dedent=False)
    platform.commit("drop round_price")

    report = _callers(platform)

    symbol = _symbol(report, "round_price")
    assert [(u.path, u.line, u.in_test) for u in symbol.uses] == [
        ("services/billing/tests/test_rounding.py", 1, True), ("services/billing/tests/test_rounding.py", 5, True)]
    assert symbol.to_dict()["uses"][0]["test"] is True
    assert report.findings == []


def test_tier0_body_change_within_the_tier0_service_itself_is_no_callers_finding(platform: GitRepo) -> None:
    platform.write("services/checkout/totals.py", "def grand_total(items):\n    return sum(items)\n")
    platform.write("services/checkout/view.py", "from services.checkout.totals import grand_total\n")
    platform.commit("checkout totals")
    platform.write("services/checkout/totals.py", "def grand_total(items):\n    return round(sum(items), 2)\n")
    platform.commit("round the total")

    report = _callers(platform)

    assert [(u.service, u.path) for u in _symbol(report, "grand_total").uses] == [
        ("checkout", "services/checkout/view.py")]
    assert report.findings == []  # checkout is touched directly: the service reach already weighs tier 0
