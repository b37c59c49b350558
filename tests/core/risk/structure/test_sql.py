"""SQL migrations parsed per statement with sqlglot."""

from __future__ import annotations

from tests.core.risk.diffs import one_file_change
from tests.core.risk.structure.helpers import added_file, by_rule, findings, range_analysis, risk_findings
from tests.gitrepo import GitRepo

MIGRATION = "db/migrations/0042_cleanup.sql"


def found_in(text: str) -> list[tuple[str, str, int]]:
    return [(f.rule, f.severity, f.line - 9) for f in findings(added_file(MIGRATION, text))
            if f.rule != "DB-MIGRATION-NO-LOCK-TIMEOUT"]


def test_comments_and_strings_do_not_fire() -> None:
    text = """-- DROP TABLE orders; was considered and rejected
/* TRUNCATE sessions; */
INSERT INTO audit (note) VALUES ('DROP TABLE orders; DELETE FROM users;');
"""
    assert found_in(text) == []


def test_a_statement_split_across_lines_is_one_statement() -> None:
    assert found_in("DROP\n\n  -- why\n  TABLE\n  legacy_orders;\n") == [("DB-DROP-TABLE", "critical", 1)]


def test_unbounded_delete_update_and_truncate_but_not_with_where() -> None:
    text = """DELETE FROM sessions;
DELETE FROM sessions
WHERE expires_at < now();
UPDATE accounts SET balance = 0;
UPDATE accounts SET balance = 0 WHERE id = 7;
TRUNCATE TABLE events;
"""
    assert found_in(text) == [("DB-MASS-DATA-CHANGE", "critical", 1), ("DB-MASS-DATA-CHANGE", "critical", 4),
                              ("DB-MASS-DATA-CHANGE", "critical", 6)]


def test_columns_dropped_renamed_and_not_null_without_default() -> None:
    text = """ALTER TABLE orders DROP COLUMN coupon_code;
ALTER TABLE orders RENAME COLUMN total TO amount;
ALTER TABLE orders ADD COLUMN region text NOT NULL;
ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web';
ALTER TABLE orders ALTER COLUMN email SET NOT NULL;
ALTER TABLE orders RENAME TO purchases;
"""
    assert found_in(text) == [("DB-DROP-COLUMN", "high", 1), ("DB-RENAME", "high", 2),
                              ("DB-TYPE-OR-NOTNULL-CHANGE", "high", 3), ("DB-TYPE-OR-NOTNULL-CHANGE", "high", 5),
                              ("DB-RENAME", "high", 6)]


def test_index_drops_and_builds() -> None:
    text = """CREATE TABLE coupons (id bigint, code text NOT NULL);
CREATE INDEX coupons_code ON coupons (code);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX CONCURRENTLY orders_region ON orders (region);
DROP INDEX orders_legacy;
DROP INDEX CONCURRENTLY orders_old;
"""
    # The index on the table created in the same file blocks nobody.
    assert found_in(text) == [("DB-INDEX-BLOCKING", "medium", 3), ("DB-INDEX-BLOCKING", "medium", 5),
                              ("DB-INDEX-BLOCKING", "low", 6)]


def test_the_finding_spans_the_keyword() -> None:
    [finding] = [f for f in findings(added_file(MIGRATION, "SELECT 1;\n  DROP TABLE orders;\n")) if f.rule == "DB-DROP-TABLE"]
    assert (finding.line, finding.start, finding.end) == (11, 2, 6)


def test_from_hunks_only_the_statements_the_change_wrote_count() -> None:
    change = one_file_change(MIGRATION, " DELETE FROM sessions;\n+DELETE FROM carts WHERE id = 1;\n+DROP TABLE carts_old;")
    found = [f for f in findings(change) if f.rule.startswith("DB-") and f.rule != "DB-MIGRATION-NO-LOCK-TIMEOUT"]
    assert [(f.rule, f.line) for f in found] == [("DB-DROP-TABLE", 12)]
    assert "hunks only" in found[0].message


def test_python_in_a_sql_file_falls_back_to_line_rules_with_a_note() -> None:
    [finding] = [f for f in findings(added_file(MIGRATION, '    op.drop_table("legacy_orders")\n')) if f.rule == "DB-DROP-TABLE"]
    assert "is not SQL, so line rules judged this file" in finding.message


def test_an_unreadable_risky_statement_falls_back_to_line_rules() -> None:
    found = [f for f in findings(added_file(MIGRATION, "DROP TABLE orders CASCADE GARBAGE ((;\n")) if f.rule == "DB-DROP-TABLE"]
    assert [f.severity for f in found] == ["critical"]
    assert "could not be parsed" in found[0].message


def test_a_modified_migration_in_a_range_is_read_whole(git_repo: GitRepo) -> None:
    before = "CREATE TABLE a (id int);\n\n-- cleanup below\n"
    after = before + "DROP\nTABLE a;\n"
    found = risk_findings(range_analysis(git_repo, {MIGRATION: before}, {MIGRATION: after}))
    [finding] = by_rule(found, "DB-DROP-TABLE")
    assert (finding["line"], finding["start"], finding["end"]) == (4, 0, 4)
    assert "hunks only" not in finding["message"]


def test_an_index_renamed_is_no_rename_a_table_or_view_renamed_is() -> None:
    text = """ALTER INDEX dcim_module_pkey RENAME TO dcim_moduleold_pkey;
ALTER VIEW order_totals RENAME TO purchase_totals;
"""
    assert found_in(text) == [("DB-RENAME", "high", 2)]
