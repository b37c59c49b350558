"""Symbols that are not code definitions: SQL schema touched by migrations, Terraform module
variables and outputs, and literal HTTP routes.

* SQL: statements a migration adds (a new ``.sql`` file, or statements not in the old text) are
  parsed with sqlglot: ``DROP TABLE t`` removes table ``t``; ``ALTER TABLE t DROP COLUMN c`` removes
  column ``t.c``; ``RENAME COLUMN a TO b`` renames it; ``ADD COLUMN`` adds one. Alembic's
  ``op.drop_column("t", "c")`` / ``op.drop_table("t")`` in a Python migration count the same.
* Terraform: ``variable`` and ``output`` blocks of a module folder, compared between the two sides
  of each ``.tf`` file with python-hcl2 (a removed output breaks ``module.<m>.<output>``, a variable
  added without a default breaks every caller of the module).
* Routes: the literal path of a Flask/FastAPI decorator (``@app.route("/x")``, ``@router.get("/x")``),
  an Express handler (``app.get('/x', ...)``) or Go's ``http.HandleFunc("/x", ...)``; a route only on
  the old side is removed.
"""

from __future__ import annotations

import re

from reviewer_app.core.callers.model import ADDED, REMOVED, RENAMED, ChangedSymbol

# Compiled (and kept in re's cache) for the first migration file a change touches.
_ALEMBIC = r"""op\.drop_(column|table)\(\s*["'](\w+)["'](?:\s*,\s*["'](\w+)["'])?"""
_ROUTE = re.compile(
    r"""(?:@\w+(?:\.\w+)*\.(?:route|get|post|put|patch|delete|api_route)\(\s*|"""
    r"""\b(?:app|router|server)\.(?:get|post|put|patch|delete|all|use)\(\s*|"""
    r"""\bhttp\.HandleFunc\(\s*|\bmux\.HandleFunc\(\s*|\.HandleFunc\(\s*)"""
    r"""["'`](/[^"'`\s]*)["'`]""")


def sql_symbols(path: str, old: str | None, new: str | None) -> list[ChangedSymbol]:
    """Tables and columns a migration drops, renames or adds (statements new in this change only)."""
    import sqlglot
    from sqlglot import exp

    old_statements = {" ".join(s.split()).lower() for s in (old or "").split(";")}
    added_sql = ";".join(s for s in (new or "").split(";") if " ".join(s.split()).lower() not in old_statements)
    found: list[ChangedSymbol] = []
    try:
        statements = sqlglot.parse(added_sql, error_level=sqlglot.ErrorLevel.IGNORE)
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        return found
    new_text = new or ""
    for statement in statements:
        if isinstance(statement, exp.Drop) and (statement.args.get("kind") or "").upper() == "TABLE":
            for table in statement.args.get("tables") or statement.expressions or [statement.this]:
                if isinstance(table, exp.Table) and table.name:
                    found.append(_schema(path, table.name, "table", REMOVED, new_text))
        if not isinstance(statement, exp.Alter) or not isinstance(statement.this, exp.Table):
            continue
        table = statement.this.name
        for action in statement.args.get("actions") or []:
            if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
                for column in action.args.get("tables") or action.expressions or []:
                    found.append(_schema(path, column.name, "column", REMOVED, new_text, table))
            elif isinstance(action, exp.RenameColumn):
                symbol = _schema(path, action.args["to"].name, "column", RENAMED, new_text, table)
                symbol.old_name = action.this.name
                found.append(symbol)
            elif isinstance(action, exp.ColumnDef):
                found.append(_schema(path, action.name, "column", ADDED, new_text, table))
            elif isinstance(action, exp.AlterRename):
                symbol = _schema(path, action.this.name, "table", RENAMED, new_text)
                symbol.old_name = table
                found.append(symbol)
    return found


def alembic_symbols(path: str, old: str | None, new: str | None) -> list[ChangedSymbol]:
    old_calls = set(re.findall(_ALEMBIC, old or ""))
    found: list[ChangedSymbol] = []
    for what, first, second in re.findall(_ALEMBIC, new or ""):
        if (what, first, second) in old_calls:
            continue
        if what == "column" and second:
            found.append(_schema(path, second, "column", REMOVED, new or "", first))
        elif what == "table":
            found.append(_schema(path, first, "table", REMOVED, new or ""))
    return found


def _schema(path: str, name: str, kind: str, change: str, text: str, table: str = "") -> ChangedSymbol:
    line = _line_of(text, name)
    return ChangedSymbol(symbol=f"{table}.{name}" if table else name, name=name, kind=kind, change=change,
                         path=path, language="sql", line=line, side="new", scope_hint=table)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.split("\n"), 1):
        if re.search(rf"\b{re.escape(needle)}\b", line):
            return number
    return 0


def terraform_symbols(path: str, old: str | None, new: str | None) -> list[ChangedSymbol]:
    """Variables and outputs of a module folder that the change removes, or adds without a default."""
    before, after = _tf_blocks(old), _tf_blocks(new)
    if before is None or after is None:
        return []
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    found: list[ChangedSymbol] = []
    for (kind, name), has_default in before.items():
        if (kind, name) not in after:
            found.append(ChangedSymbol(symbol=f"{kind} {name}", name=name, kind=kind, change=REMOVED, path=path,
                                       language="terraform", line=_line_of(old or "", name), side="old",
                                       scope_hint=folder))
    for (kind, name), has_default in after.items():
        if (kind, name) not in before and kind == "variable" and not has_default:
            symbol = ChangedSymbol(symbol=f"variable {name}", name=name, kind=kind, change=ADDED, path=path,
                                   language="terraform", line=_line_of(new or "", name), side="new",
                                   scope_hint=folder)
            symbol.signature_problem = f"adds variable `{name}` without a default"
            found.append(symbol)
    return found


def _tf_blocks(text: str | None) -> dict[tuple[str, str], bool] | None:
    if not text:
        return {}
    import hcl2

    try:
        data = hcl2.loads(text)
    except Exception:  # noqa: BLE001 - python-hcl2 raises lark's many error types for bad input
        return None
    blocks: dict[tuple[str, str], bool] = {}
    for kind in ("variable", "output"):
        for entry in data.get(kind, []) or []:
            for name, body in (entry or {}).items():
                clean = name.strip('"')
                blocks[(kind, clean)] = isinstance(body, dict) and "default" in body
    return blocks


def routes(text: str | None) -> dict[str, int]:
    """Literal route path -> its first line."""
    found: dict[str, int] = {}
    for number, line in enumerate((text or "").split("\n"), 1):
        for match in _ROUTE.finditer(line):
            found.setdefault(match.group(1), number)
    return found


def route_symbols(path: str, language: str, old: str | None, new: str | None) -> list[ChangedSymbol]:
    before, after = routes(old), routes(new)
    return [ChangedSymbol(symbol=route, name=route, kind="route", change=REMOVED, path=path, language=language,
                          line=line, side="old") for route, line in before.items() if route not in after]


def sql_reads(text: str) -> tuple[set[str], set[str], set[int]]:
    """Tables and columns the file's statements read or write (lower-cased), and the lines of its
    schema statements (CREATE, ALTER, DROP), which define a table rather than use it."""
    import sqlglot
    from sqlglot import exp

    tables: set[str] = set()
    columns: set[str] = set()
    ddl_lines: set[int] = set()
    line = 1
    for chunk in text.split(";"):
        lines_in_chunk = chunk.count("\n")
        body = chunk.strip()
        if body:
            first_word = body.split(None, 1)[0].upper()
            start = line + chunk[: len(chunk) - len(chunk.lstrip())].count("\n")
            if first_word in ("CREATE", "ALTER", "DROP", "COMMENT") and not body.upper().startswith(
                    ("CREATE VIEW", "CREATE OR REPLACE VIEW", "CREATE MATERIALIZED VIEW")):
                ddl_lines.update(range(start, line + lines_in_chunk + 1))
            else:
                try:
                    for statement in sqlglot.parse(body, error_level=sqlglot.ErrorLevel.IGNORE):
                        if statement is None:
                            continue
                        tables.update(t.name.lower() for t in statement.find_all(exp.Table))
                        columns.update(c.name.lower() for c in statement.find_all(exp.Column))
                except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
                    tables.add("*")  # unreadable: every hit line counts (over-report, never hide)
        line += lines_in_chunk
    return tables, columns, ddl_lines
