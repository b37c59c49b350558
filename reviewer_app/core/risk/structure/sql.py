"""SQL migrations parsed statement by statement with sqlglot.

A statement is judged when the change wrote any of its tokens, so ``DROP`` and ``TABLE users``
three lines apart are one DROP TABLE, and ``-- DROP TABLE x`` or ``'DROP TABLE x'`` (a comment, a
string) is none. Judged: DROP TABLE/SCHEMA/DATABASE, DROP COLUMN, renames, a column's type
changed, NOT NULL set or a NOT NULL column added without a default, indexes built or dropped
without CONCURRENTLY, TRUNCATE, DELETE and UPDATE without WHERE. A table created in the same
file is new: indexing it or adding a NOT NULL column to it blocks nobody.
From a patch alone the statements are read from the hunks (the added lines and their context),
which is enough for a migration: its statements are what the change adds.
A statement sqlglot cannot read that holds one of these keywords sends the file back to the line
rules (fail closed), and their findings say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.texts import FileSides, Side

DIALECTS = ("postgres", "mysql")
RISKY_WORDS = re.compile(r"\b(DROP|TRUNCATE|DELETE|UPDATE|ALTER|RENAME)\b", re.IGNORECASE)


@dataclass
class Statement:
    text: str
    tokens: list[Any]
    tree: Any  # a sqlglot expression, or None when it did not parse

    offset: int = 0  # where the statement's text starts in the side's text

    def culprit(self, side: Side, *words: str) -> tuple[int, tuple[int, int]]:
        """(real line, column span) of the first token spelled as one of ``words`` (else the first token)."""
        wanted = {w.upper() for w in words}
        token = next((t for t in self.tokens if t.text.upper() in wanted), self.tokens[0] if self.tokens else None)
        if token is None:
            return 0, (0, 0)
        line_start = side.text.rfind("\n", 0, token.start) + 1
        column = token.start - line_start
        return side.real_line(token.line - 1), (column, column + len(token.text))


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.new.exists:
        return Parsed(True)  # a migration file deleted whole runs nothing
    try:
        statements = _statements(sides.new.text)
    except Exception as exc:  # noqa: BLE001 - sqlglot raises TokenError, ParseError and others
        return Parsed(False, f"the file did not parse as SQL ({type(exc).__name__}), so line rules judged it")
    changed = [s for s in statements if any(sides.new.real_line(t.line - 1) in sides.new.changed for t in s.tokens)]
    for statement in changed:
        # Unreadable, or sqlglot's catch-all Command holding a risky keyword, or not SQL at all.
        risky_command = _is_command(statement.tree) and RISKY_WORDS.search(_code_only(statement))
        if statement.tree is None or risky_command or not _is_statement(statement.tree):
            line = statement.culprit(sides.new)[0]
            return Parsed(False, f"the SQL statement at line {line} could not be parsed, so line rules judged this file")
    created = {_table_name(s.tree.this) for s in statements if _kind(s.tree) == "create_table"}
    for statement in changed:
        _judge(statement, sides.new, emit, created)
    return Parsed(True)


def _statements(text: str) -> list[Statement]:
    from sqlglot import tokens as sqlglot_tokens
    from sqlglot.dialects.dialect import Dialect

    last_error: Exception | None = None
    for name in DIALECTS:
        dialect = Dialect.get_or_raise(name)
        try:
            all_tokens = dialect.tokenize(text)
        except Exception as exc:  # noqa: BLE001 - try the next dialect
            last_error = exc
            continue
        groups: list[list[Any]] = [[]]
        for token in all_tokens:
            if token.token_type is sqlglot_tokens.TokenType.SEMICOLON:
                groups.append([])
            else:
                groups[-1].append(token)
        statements = []
        failed = False
        for group in groups:
            if not group:
                continue
            source = text[group[0].start:group[-1].end + 1]
            try:
                tree = dialect.parse(source)[0] if source.strip() else None
            except Exception:  # noqa: BLE001 - judged below: a risky unreadable statement fails closed
                tree = None
                failed = True
            statements.append(Statement(source, group, tree))
        if not failed or name == DIALECTS[-1]:
            return statements
    raise last_error or ValueError("no SQL dialect could read the file")


def _emit(emit: Emitter, rule: str, statement: Statement, side: Side, words: tuple[str, ...], message: str,
          severity: str | None = None) -> None:
    line, span = statement.culprit(side, *words)
    emit.emit(rule, "new", line, message, severity=severity, span=span)


def _is_statement(tree: Any) -> bool:
    """A SQL statement (not a bare expression: ``op.drop_column(...)`` in a .sql file is not SQL)."""
    from sqlglot import exp

    kinds = tuple(getattr(exp, name) for name in (
        "DDL", "DML", "Query", "Command", "Create", "Drop", "Alter", "TruncateTable", "Set", "Transaction",
        "Commit", "Rollback", "Grant", "Revoke", "Merge", "Use", "Comment", "Copy", "Pragma", "Analyze",
        "Describe", "Show", "Execute", "Cache", "Refresh", "LoadData", "Kill", "Declare") if hasattr(exp, name))
    return isinstance(tree, kinds)


def _is_command(tree: Any) -> bool:
    from sqlglot import exp

    return isinstance(tree, exp.Command)


def _code_only(statement: Statement) -> str:
    """The statement's keywords and names, without string literals (comments are not tokens)."""
    from sqlglot.tokens import TokenType

    return " ".join(t.text for t in statement.tokens if t.token_type not in (TokenType.STRING, TokenType.NATIONAL_STRING))


def _kind(tree: Any) -> str:
    from sqlglot import exp

    if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE":
        return "create_table"
    return ""


def _table_name(node: Any) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Schema):
        node = node.this
    return node.name.lower() if isinstance(node, exp.Table) else str(getattr(node, "name", "") or "").lower()


def _judge(statement: Statement, side: Side, emit: Emitter, created: set[str]) -> None:
    from sqlglot import exp

    tree = statement.tree
    if tree is None:
        return
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        names = ", ".join(t.sql() for t in tree.args.get("tables") or [tree.this] if t is not None)
        if kind in ("TABLE", "SCHEMA", "DATABASE"):
            _emit(emit, "DB-DROP-TABLE", statement, side, ("DROP",),
                      f"DROP {kind} {names}: its data is lost and every reader still deployed breaks.")
        elif kind == "INDEX":
            if tree.args.get("concurrently"):
                _emit(emit, "DB-INDEX-BLOCKING", statement, side, ("DROP",),
                          f"DROP INDEX CONCURRENTLY {names}: queries that used it slow down.", severity="low")
            else:
                _emit(emit, "DB-INDEX-BLOCKING", statement, side, ("DROP",),
                          f"DROP INDEX {names} without CONCURRENTLY blocks writes to the table while it runs, and queries that used it slow down.")
        return
    if isinstance(tree, exp.TruncateTable):
        names = ", ".join(t.sql() for t in tree.expressions)
        _emit(emit, "DB-MASS-DATA-CHANGE", statement, side, ("TRUNCATE",), f"TRUNCATE {names} deletes every row.")
        return
    if isinstance(tree, exp.Delete) and not tree.args.get("where"):
        _emit(emit, "DB-MASS-DATA-CHANGE", statement, side, ("DELETE",),
                  f"DELETE FROM {tree.this.sql() if tree.this else '?'} has no WHERE clause: it deletes every row.")
        return
    if isinstance(tree, exp.Update) and not tree.args.get("where"):
        _emit(emit, "DB-MASS-DATA-CHANGE", statement, side, ("UPDATE",),
                  f"UPDATE {tree.this.sql() if tree.this else '?'} has no WHERE clause: it rewrites every row.")
        return
    if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index):
        table = _table_name(tree.this.args.get("table"))
        if not tree.args.get("concurrently") and table not in created:
            _emit(emit, "DB-INDEX-BLOCKING", statement, side, ("CREATE",),
                      f"CREATE INDEX on {table or 'a table'} without CONCURRENTLY blocks writes to it for as long as the build takes.")
        return
    if isinstance(tree, exp.Alter):
        _alter(statement, tree, side, emit, created)


def _alter(statement: Statement, tree: Any, side: Side, emit: Emitter, created: set[str]) -> None:
    from sqlglot import exp

    table = _table_name(tree.this)
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
            columns = ", ".join(c.sql() for c in action.args.get("tables") or [])
            _emit(emit, "DB-DROP-COLUMN", statement, side, ("DROP",),
                      f"{table}: column {columns} is dropped while code already deployed may still read or write it.")
        elif isinstance(action, exp.RenameColumn):
            _emit(emit, "DB-RENAME", statement, side, ("RENAME",),
                      f"{table}: column {action.this.sql()} is renamed to {action.args['to'].sql()}; for the old code still "
                      "running during a rolling deploy that is a drop plus an add.")
        elif isinstance(action, exp.AlterRename):
            _emit(emit, "DB-RENAME", statement, side, ("RENAME",),
                      f"table {table} is renamed to {action.this.sql()}; old code still running loses it.")
        elif isinstance(action, exp.AlterColumn) and table not in created:
            if action.args.get("dtype") is not None:
                _emit(emit, "DB-TYPE-OR-NOTNULL-CHANGE", statement, side, ("TYPE", "ALTER",),
                          f"{table}.{action.this.sql()} changes type to {action.args['dtype'].sql()}: an exclusive lock and "
                          "possibly a rewrite of the whole table while traffic waits.")
            elif action.args.get("allow_null") is False:
                _emit(emit, "DB-TYPE-OR-NOTNULL-CHANGE", statement, side, ("NOT", "SET",),
                          f"{table}.{action.this.sql()} becomes NOT NULL: the table is scanned under an exclusive lock, and the "
                          "migration fails if a row is null.")
        elif isinstance(action, exp.ColumnDef) and table not in created:
            kinds = [c.args.get("kind") for c in action.args.get("constraints") or []]
            not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds)
            has_default = any(isinstance(k, exp.DefaultColumnConstraint) for k in kinds)
            if not_null and not has_default:
                _emit(emit, "DB-TYPE-OR-NOTNULL-CHANGE", statement, side, ("NOT", "ADD",),
                          f"{table}: column {action.this.sql()} is added NOT NULL without a DEFAULT: the migration fails on "
                          "a table that has rows, and old code inserting without it fails after.")
