"""Callers of Go (tree-sitter and the regex fallback), SQL columns, routes and Terraform outputs;
a patch applied to the base; a patch without a repository."""

from __future__ import annotations

import pytest

from tests.gitrepo import GitRepo

from reviewer_app.core import services
from reviewer_app.core.callers import NO_REPOSITORY, code_defs, find_callers
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.workspace import Workspace

GO_PRICING = """\
package pricing

// ApplyDiscount takes percent off.
func ApplyDiscount(price int, percent int) int {
	return price - price*percent/100
}
"""


def _callers(repo: GitRepo):
    workspace = Workspace(repo.path)
    return find_callers(load_git_range(repo.path, "HEAD~1..HEAD"), workspace, services.load_catalog(workspace))


def _go_platform(platform: GitRepo) -> None:
    platform.write("services/billing/pricing.go", GO_PRICING)
    platform.write("services/checkout/main.go", """\
        package main

        import "example.com/billing/pricing"

        func main() {
        	// ApplyDiscount is mentioned in a comment only here
        	println(pricing.ApplyDiscount(100, 5))
        }
        """)
    platform.write("services/reporting/report.py", "ApplyDiscount = 'a Python name, another language'\n")
    platform.commit("go services")
    platform.write("services/billing/pricing.go", GO_PRICING.replace("percent int) int", "percent int, cap int) int"))
    platform.commit("cap the discount")


@pytest.mark.skipif(not code_defs.has_grammar("go"), reason="tree-sitter-go is not installed")
def test_go_signature_change_through_tree_sitter(platform: GitRepo) -> None:
    _go_platform(platform)

    report = _callers(platform)

    [symbol] = report.symbols
    assert (symbol.symbol, symbol.language, symbol.change) == ("ApplyDiscount", "go", "modified")
    assert symbol.signature_problem == "parameters change from (price int, percent int) to (price int, percent int, cap int)"
    # The comment line, the definition and the same name in a Python file are not uses.
    assert [(u.service, u.path, u.line) for u in symbol.uses] == [("checkout", "services/checkout/main.go", 7)]
    [finding] = report.findings
    assert (finding.rule, finding.severity) == ("CALLERS-SIGNATURE-CHANGED", "high")


def test_go_through_the_regex_fallback(platform: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_defs, "_parser", lambda language: None)  # as on a machine without the grammar
    _go_platform(platform)

    report = _callers(platform)

    [symbol] = report.symbols
    assert (symbol.symbol, symbol.language, symbol.change) == ("ApplyDiscount", "go (regex)", "modified")
    assert [(u.path, u.line) for u in symbol.uses] == [("services/checkout/main.go", 7)]
    assert [f.rule for f in report.findings] == ["CALLERS-SIGNATURE-CHANGED"]


def test_typescript_function_removed(platform: GitRepo) -> None:
    platform.write("services/billing/discount.ts", "export function applyDiscount(p: number) { return p }\n"
                                                   "export function keep() { return 1 }\n")
    platform.write("services/pricing/view.tsx", "import { applyDiscount } from '../billing/discount'\n"
                                                "export const v = applyDiscount(3)\n")
    platform.commit("ts")
    platform.write("services/billing/discount.ts", "export function keep() { return 1 }\n")
    platform.commit("drop applyDiscount")

    report = _callers(platform)

    [symbol] = report.symbols
    assert (symbol.symbol, symbol.change) == ("applyDiscount", "removed")
    assert [(u.service, u.line) for u in symbol.uses] == [("pricing", 1), ("pricing", 2)]
    assert report.findings[0].severity == "critical"


def test_migration_dropping_a_column_still_selected(platform: GitRepo) -> None:
    platform.write("db/migrations/001_orders.sql", "CREATE TABLE orders (id int, discount int);\n")
    platform.write("services/reporting/daily.sql", "SELECT id,\n  discount\nFROM orders;\n")
    platform.write("services/pricing/other.sql", "SELECT discount FROM coupons;\n")
    platform.commit("schema")
    platform.write("db/migrations/002_drop_discount.sql", "ALTER TABLE orders DROP COLUMN discount;\n")
    platform.commit("drop orders.discount")

    report = _callers(platform)

    [symbol] = report.symbols
    assert (symbol.symbol, symbol.kind, symbol.change) == ("orders.discount", "column", "removed")
    # coupons.discount is another table's column; the first migration is history, not a use.
    assert [(u.service, u.path, u.line) for u in symbol.uses] == [("reporting", "services/reporting/daily.sql", 2)]
    [finding] = report.findings
    assert finding.message == "removes `orders.discount`, still used by reporting: services/reporting/daily.sql:2"


def test_removed_route_still_called(platform: GitRepo) -> None:
    platform.write("services/pricing/app.py", "@app.get(\"/api/prices\")\ndef prices():\n    return []\n\n\n"
                                              "@app.get(\"/api/health\")\ndef health():\n    return 'ok'\n")
    platform.write("services/checkout/client.js", "fetch('/api/prices').then(r => r.json())\n")
    platform.commit("routes")
    platform.write("services/pricing/app.py", "@app.get(\"/api/health\")\ndef health():\n    return 'ok'\n")
    platform.commit("drop the prices route")

    report = _callers(platform)

    route = next(s for s in report.symbols if s.kind == "route")
    assert (route.symbol, route.change) == ("/api/prices", "removed")
    assert [(u.service, u.path, u.line) for u in route.uses] == [("checkout", "services/checkout/client.js", 1)]


def test_terraform_output_removed_still_read(platform: GitRepo) -> None:
    platform.write("infra/modules/db/outputs.tf", 'output "endpoint" {\n  value = "x"\n}\n\noutput "port" {\n  value = 5432\n}\n')
    platform.write("infra/live/main.tf", 'module "db" {\n  source = "../modules/db"\n}\n\nlocals {\n  url = module.db.endpoint\n}\n')
    platform.commit("infra")
    platform.write("infra/modules/db/outputs.tf", 'output "port" {\n  value = 5432\n}\n')
    platform.commit("drop the endpoint output")

    report = _callers(platform)

    [symbol] = report.symbols
    assert (symbol.symbol, symbol.change) == ("output endpoint", "removed")
    assert [(u.path, u.line) for u in symbol.uses] == [("infra/live/main.tf", 6)]


def test_a_patch_is_applied_to_the_base_in_memory(platform: GitRepo) -> None:
    patch = b"""\
diff --git a/services/billing/discounts.py b/services/billing/discounts.py
--- a/services/billing/discounts.py
+++ b/services/billing/discounts.py
@@ -6,5 +6,5 @@ def apply_discount(price, percent):
 
 
-def round_price(price):
+def round_price(price, digits):
     return round(price, 2)
 
"""
    [change] = parse_patch(patch, "fix.diff")
    workspace = Workspace(platform.path)

    report = find_callers(change, workspace, services.load_catalog(workspace))

    [symbol] = report.symbols
    assert symbol.signature_problem == "adds parameter `digits` without a default"
    assert [(u.service, u.line) for u in symbol.uses] == [("checkout", 7)]
    assert report.findings[0].rule == "CALLERS-SIGNATURE-CHANGED"


def test_a_patch_that_does_not_apply_is_a_note(platform: GitRepo) -> None:
    patch = b"""\
diff --git a/services/billing/discounts.py b/services/billing/discounts.py
--- a/services/billing/discounts.py
+++ b/services/billing/discounts.py
@@ -6,3 +6,3 @@
 
 
-def not_there(price):
+def round_price(price, digits):
"""
    [change] = parse_patch(patch, "stale.diff")

    report = find_callers(change, Workspace(platform.path))

    assert report.symbols == []
    assert report.notes == [f"services/billing/discounts.py: the patch does not apply to the base {report.base[:12]}; "
                            "its symbols were not compared"]


def test_a_patch_without_a_repository(tmp_path) -> None:
    [change] = parse_patch(b"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-def a(): pass\n+def b(): pass\n", "x.diff")

    report = find_callers(change, Workspace(None))

    assert (report.symbols, report.to_list(), report.notes) == ([], [], [NO_REPOSITORY])


def test_configuration_key_and_feature_flag_removed_while_read(platform: GitRepo) -> None:
    platform.write("config/settings.yaml", "payments:\n  payment_timeout: 30\n  retries: 2\n")
    platform.write("config/flags.json", '{"newCheckoutFlow": true, "darkMode": false}\n')
    platform.write("services/checkout/pay.py", 'TIMEOUT = settings["payments"]["payment_timeout"]\n'
                                               'payment_timeout = 3  # a local name, not the key\n')
    platform.write("services/pricing/ui.ts", "if (flags.enabled('newCheckoutFlow')) { show() }\n")
    platform.commit("config")
    platform.write("config/settings.yaml", "payments:\n  retries: 2\n")
    platform.write("config/flags.json", '{"darkMode": false}\n')
    platform.commit("drop a key and a flag")

    report = _callers(platform)

    found = {s.symbol: (s.kind, s.change, [(u.service, u.path, u.line) for u in s.uses]) for s in report.symbols}
    assert found == {
        "payment_timeout": ("config-key", "removed", [("checkout", "services/checkout/pay.py", 1)]),
        "newCheckoutFlow": ("feature-flag", "removed", [("pricing", "services/pricing/ui.ts", 1)]),
    }  # "retries" is not distinctive enough to be searched; it was not removed anyway
    assert {f.severity for f in report.findings} == {"critical"}


def test_a_schema_file_defining_the_dropped_table_is_not_a_use(platform: GitRepo) -> None:
    platform.write("db/schema.sql", "CREATE TABLE orders (\n  id int,\n  discount int\n);\n"
                                    "CREATE VIEW big_orders AS SELECT id FROM orders WHERE id > 100;\n")
    platform.write("services/reporting/count.sql", "-- orders per day\nSELECT count(*) FROM orders;\n")
    platform.commit("schema")
    platform.write("db/migrations/003_drop_orders.sql", "DROP TABLE orders;\n")
    platform.commit("drop orders")

    [symbol] = _callers(platform).symbols

    assert (symbol.symbol, symbol.kind) == ("orders", "table")
    # The CREATE TABLE lines define the table, the comment names it; the view and the query read it.
    assert [(u.path, u.line) for u in symbol.uses] == [("db/schema.sql", 5), ("services/reporting/count.sql", 2)]
