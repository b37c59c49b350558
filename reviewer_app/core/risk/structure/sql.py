"""SQL migrations parsed statement by statement with sqlglot.

A statement is judged when the change wrote any of its tokens, so ``DROP`` and ``TABLE users``
three lines apart are one DROP TABLE, and ``-- DROP TABLE x`` or ``'DROP TABLE x'`` (a comment, a
string) is none. Judged: DROP TABLE/SCHEMA/DATABASE, DROP COLUMN, renames of tables and columns
(not of indexes, sequences or constraints, which no query names), a column's type changed,
NOT NULL set or a NOT NULL column added without a default, indexes built or dropped
without CONCURRENTLY, TRUNCATE, DELETE and UPDATE without WHERE. A table created in the same
file is new: indexing it or adding a NOT NULL column to it blocks nobody.
From a patch alone the statements are read from the hunks (the added lines and their context),
which is enough for a migration: its statements are what the change adds.
A statement sqlglot cannot read that holds one of these keywords sends the file back to the line
rules (fail closed), and their findings say so.
A revert that restores a migration as a release shipped it, replacing content no release had
(history.restored_by_revert), runs nothing new on any installation of a release: its findings are
lowered to low, saying so. A table or column dropped or renamed that no file of the nearest release
names (added since the release, dropped before the next one) is in no installation's database: such
findings are medium, saying which release lacks it (releases.py).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from reviewer_app.core.model import FileStatus
from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.texts import FileSides, Side

DIALECTS = ("postgres", "mysql")
RISKY_WORDS = re.compile(r"\b(DROP|TRUNCATE|DELETE|UPDATE|ALTER|RENAME)\b|\bCREATE\s+(UNIQUE\s+)?INDEX\b", re.IGNORECASE)
# Strings, quoted names, comments and dollar-quoted bodies (whose ';' ends nothing), or a ';'.
LEXEMES = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/|\$(?P<tag>\w*)\$.*?\$(?P=tag)\$|;", re.DOTALL)
CREATED_TABLE = re.compile(r"\bCREATE\s+(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED)\s+)*TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.]+)", re.IGNORECASE)
FIRST_WORD = re.compile(r"\S+")
# Words a SQL statement starts with; a changed statement starting otherwise (``op.drop_table(``,
# a psql meta-command) is not SQL sqlglot should judge, so the file goes back to the line rules.
STATEMENT_STARTS = frozenset("""SELECT INSERT UPDATE DELETE CREATE ALTER DROP TRUNCATE WITH GRANT REVOKE BEGIN COMMIT
ROLLBACK SET RESET COMMENT VACUUM ANALYZE ANALYSE REINDEX CLUSTER COPY DO LOCK RENAME EXPLAIN CALL EXECUTE EXEC PREPARE
DEALLOCATE DECLARE FETCH CLOSE LISTEN NOTIFY UNLISTEN REFRESH SAVEPOINT RELEASE START END USE SHOW DESCRIBE REPLACE
MERGE VALUES TABLE ABORT CHECKPOINT DISCARD LOAD MOVE REASSIGN SECURITY IMPORT PRAGMA ATTACH DETACH OPTIMIZE UPSERT""".split())


@dataclass
class Statement:
    offset: int  # where the statement starts in the side's text
    first_line: int  # the 0-based line of the side's text it starts on
    text: str
    masked: str  # the text with strings and comments blanked (newlines kept)
    tokens: list[Any] | None = None
    tree: Any = None  # a sqlglot expression once parsed

    def culprit(self, side: Side, *words: str) -> tuple[int, tuple[int, int]]:
        """(real line, column span) of the first token spelled as one of ``words`` (else the first token)."""
        wanted = {w.upper() for w in words}
        tokens = self.tokens or []
        token = next((t for t in tokens if t.text.upper() in wanted), tokens[0] if tokens else None)
        start = self.offset + (token.start if token is not None else len(self.masked) - len(self.masked.lstrip()))
        line_start = side.text.rfind("\n", 0, start) + 1
        index = side.text.count("\n", 0, start)
        width = len(token.text) if token is not None else 0
        return side.real_line(index), (start - line_start, start - line_start + width)

    def lines(self, side: Side) -> set[int]:
        """The real numbers of the lines holding the statement's code (not its comments)."""
        return {side.real_line(self.first_line + number) for number, text in enumerate(self.masked.split("\n")) if text.strip()}


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.new.exists:
        return Parsed(True)  # a migration file deleted whole runs nothing
    side = sides.new
    statements = _split(side.text)
    changed = [s for s in statements if s.lines(side) & side.changed]
    for statement in changed:
        first = FIRST_WORD.search(statement.masked)
        if first and first.group(0).upper().rstrip("(") not in STATEMENT_STARTS:
            line = statement.culprit(side)[0]
            return Parsed(False, f"the statement at line {line} is not SQL, so line rules judged this file")
    risky = [s for s in changed if RISKY_WORDS.search(s.masked)]
    for statement in risky:
        try:
            _parse(statement)
        except Exception as exc:  # noqa: BLE001 - sqlglot raises TokenError, ParseError and others
            line = statement.culprit(side)[0]
            return Parsed(False, f"the SQL statement at line {line} could not be parsed ({type(exc).__name__}), so line rules judged this file")
        if _is_command(statement.tree):  # sqlglot's catch-all: it did not understand the statement
            line = statement.culprit(side)[0]
            return Parsed(False, f"the SQL statement at line {line} could not be parsed, so line rules judged this file")
    masked_all = "".join(s.masked + ";" for s in statements)
    created = {m.group(1).split(".")[-1].lower() for m in CREATED_TABLE.finditer(masked_all)}
    subjects: dict[str, Subject | None] = {}  # finding id -> what it breaks
    for statement in risky:
        _judge(statement, side, emit, created, subjects)
    if emit.findings:
        _lower_restored(emit, context)
    if subjects:
        _lower_unreleased(emit, context, subjects)
    if emit.findings:
        _lower_down_step(emit, context)
    return Parsed(True)


# A migration's rollback step in the layouts that keep it in a file of its own: Diesel and dbmate-style
# folders (``<version>_<name>/down.sql`` beside ``up.sql``) and golang-migrate (``<version>_<name>.down.sql``
# beside ``.up.sql``). The tool runs it only when the migration is reverted; an upgrade runs the up step.
DOWN_STEP = re.compile(r"^(?P<stem>(?:.*/)?)down\.sql$|^(?P<name>.+)\.down\.sql$")
DOWN_STEP_CAP = "medium"


def _up_step(path: str) -> str | None:
    """The up step beside a down-step file's path, or None when the path is no down step."""
    match = DOWN_STEP.match(path)
    if match is None:
        return None
    if match.group("name") is not None:
        return f"{match.group('name')}.up.sql"
    return f"{match.group('stem')}up.sql"


def _lower_down_step(emit: Emitter, context: ChangeContext) -> None:
    """Findings in a migration's down step (its up step stands beside it at the change's head, in the change
    or in the tree) are capped at medium, saying why: an upgrade never runs this file, only a rollback. A down
    file with no up step beside it, or a tree that cannot be read, keeps the severities."""
    from reviewer_app.core.risk.rules import SEVERITY_RANK
    from reviewer_app.core.risk.structure import texts

    path = emit.sides.diff.new_path or ""
    up = _up_step(path)
    if up is None or not any(SEVERITY_RANK[f.severity] > SEVERITY_RANK[DOWN_STEP_CAP] for f in emit.findings):
        return
    change = context.change
    present = any(diff.new_path == up for diff in change.files)
    if not present:
        repo = texts.repository_for(change.base, change.head)
        present = bool(repo is not None and change.head
                       and texts.git_output(repo, "cat-file", "-e", f"{change.head}:{up}") is not None)
    if not present:
        return
    why = (f"{path.rsplit('/', 1)[-1]} is this migration's down step ({up.rsplit('/', 1)[-1]} beside it is the up step): "
           "an upgrade never runs it, only a rollback of the migration does")
    for index, finding in enumerate(emit.findings):
        if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[DOWN_STEP_CAP]:
            emit.findings[index] = dataclasses.replace(
                finding, severity=DOWN_STEP_CAP, message=f"{finding.message} Lowered to {DOWN_STEP_CAP}: {why}.")


@dataclass(frozen=True)
class Subject:
    """What a breaking finding breaks: the table, and the columns (none when the table itself is dropped or renamed)."""

    table: str
    columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.columns:
            return f"table {self.table}"
        return f"{self.table}.{self.columns[0]}" if len(self.columns) == 1 else f"{self.table} columns {', '.join(self.columns)}"


def _name_pattern(name: str) -> str:
    """An ERE for ``name`` as a whole word, case aside, with or without its underscores (``rev_id``, ``revId``), and
    with or without an ``_id`` ending (the ORM field ``author`` is the column ``author_id``)."""
    from reviewer_app.core.risk.releases import ere_literal

    parts = [ere_literal(part) for part in name.lower().split("_") if part]
    if len(parts) > 1 and parts[-1] == "id":
        body = "_?".join(parts[:-1]) + "(_?id)?"
    else:
        body = "_?".join(parts)
    return f"(^|[^A-Za-z0-9_]){body}([^A-Za-z0-9_]|$)"


def _lower_unreleased(emit: Emitter, context: ChangeContext, subjects: dict[str, Subject | None]) -> None:
    """A dropped or renamed table or column that no file of the nearest release names (a column a migration
    written since the release added, dropped before the next one) is in no installation's database: medium,
    saying why. Only a search that ran and found nothing lowers (releases.py)."""
    from reviewer_app.core.risk import releases
    from reviewer_app.core.risk.rules import SEVERITY_RANK

    memo = context.memo("releases")
    for index, finding in enumerate(emit.findings):
        subject = subjects.get(finding.id)
        if subject is None or SEVERITY_RANK[finding.severity] <= SEVERITY_RANK[releases.CAP]:
            continue
        found = releases.release_to_compare(context.change, emit.rules, finding.rule, memo)
        if found is None:
            continue
        repo, release = found
        diff = emit.sides.diff
        if diff.status is FileStatus.MODIFIED and diff.old_path:
            if ("file", release, diff.old_path) not in memo:
                memo[("file", release, diff.old_path)] = releases.file_in_release(repo, release, diff.old_path)
            if not memo[("file", release, diff.old_path)]:
                continue  # an edited migration no release holds: releases.py lowers, saying so

        def lacks(name: str) -> bool:
            # Added since the release: the release names it nowhere, and the tree before this change does.
            # A name neither names (a table created by hand, or by history a squash removed) is unknown:
            # the finding keeps its severity.
            key = ("sql-name", release, name.lower())
            if key not in memo:
                pattern = _name_pattern(name)
                memo[key] = bool(name) and releases.added_since(repo, release, context.change.base, pattern,
                                                                ignore_case=True)
            return memo[key]

        if lacks(subject.table):
            what = f"table {subject.table}"
        elif subject.columns and all(lacks(column) for column in subject.columns):
            what = str(subject)
        else:
            continue
        emit.findings[index] = dataclasses.replace(finding, severity=releases.CAP, message=releases.lowered_message(
            finding.message, f"{what} is in no release yet (it was added since {release}: the tree before this change "
            f"names it and no file of {release} does)"))


def _lower_restored(emit: Emitter, context: ChangeContext) -> None:
    """Lower the findings on a migration a revert restores as released (asked once per change)."""
    from reviewer_app.core.risk.history import lower_restored, restored_by_revert
    from reviewer_app.core.risk.structure.texts import repository_for

    change = context.change
    restored = getattr(context, "_restored_by_revert", None)
    if restored is None:
        restored = restored_by_revert(repository_for(change.base, change.head), change)
        context._restored_by_revert = restored  # type: ignore[attr-defined]
    if restored:
        emit.findings[:] = lower_restored(None, change, emit.findings, restored=restored)


def _split(text: str) -> list[Statement]:
    """Statements split at the semicolons outside strings, comments and dollar-quoted bodies (in C, by ``re``)."""
    statements: list[Statement] = []
    masked_parts: list[str] = []
    start = position = line = 0
    for match in LEXEMES.finditer(text):
        masked_parts.append(text[position:match.start()])
        if match.group(0) == ";":
            masked = "".join(masked_parts)
            statements.append(Statement(start, line, text[start:match.start()], masked))
            line += masked.count("\n")
            masked_parts = []
            start = match.end()
        else:
            masked_parts.append(re.sub(r"[^\n]", " ", match.group(0)))
        position = match.end()
    masked_parts.append(text[position:])
    statements.append(Statement(start, line, text[start:], "".join(masked_parts)))
    return [s for s in statements if s.masked.strip()]


def _parse(statement: Statement) -> None:
    from sqlglot.dialects.dialect import Dialect

    error: Exception | None = None
    for name in DIALECTS:
        dialect = Dialect.get_or_raise(name)
        try:
            tokens = dialect.tokenize(statement.text)
            trees = dialect.parser().parse(tokens, statement.text)
        except Exception as exc:  # noqa: BLE001 - try the next dialect
            error = exc
            continue
        statement.tokens, statement.tree = tokens, trees[0] if trees else None
        if statement.tree is not None and not _is_command(statement.tree):
            return
    if statement.tree is None:
        raise error or ValueError("empty statement")


def _emit(emit: Emitter, rule: str, statement: Statement, side: Side, words: tuple[str, ...], message: str,
          severity: str | None = None, subject: Subject | None = None, subjects: dict[str, Subject | None] | None = None) -> None:
    line, span = statement.culprit(side, *words)
    count = len(emit.findings)
    emit.emit(rule, "new", line, message, severity=severity, span=span)
    if subjects is not None and len(emit.findings) > count:
        key = emit.findings[-1].id
        # Two findings at one place with different subjects: neither is lowered (fail closed).
        subjects[key] = subject if key not in subjects or subjects[key] == subject else None


def _identifier(node: Any) -> str:
    return str(getattr(node, "name", "") or "").strip() or node.sql().strip('"`[]')


def _is_command(tree: Any) -> bool:
    from sqlglot import exp

    return isinstance(tree, exp.Command)


def _table_name(node: Any) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Schema):
        node = node.this
    return node.name.lower() if isinstance(node, exp.Table) else str(getattr(node, "name", "") or "").lower()


def _judge(statement: Statement, side: Side, emit: Emitter, created: set[str], subjects: dict[str, Subject | None]) -> None:
    from sqlglot import exp

    tree = statement.tree
    if tree is None:
        return
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        dropped = [t for t in tree.args.get("tables") or [tree.this] if t is not None]
        names = ", ".join(t.sql() for t in dropped)
        if kind in ("TABLE", "SCHEMA", "DATABASE"):
            # One subject per statement: lowered only when no release names the (only) dropped object.
            subject = Subject(_identifier(dropped[0]).lower()) if len(dropped) == 1 else None
            _emit(emit, "DB-DROP-TABLE", statement, side, ("DROP",),
                      f"DROP {kind} {names}: its data is lost and every reader still deployed breaks.",
                  subject=subject, subjects=subjects)
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
        _alter(statement, tree, side, emit, created, subjects)


def _alter(statement: Statement, tree: Any, side: Side, emit: Emitter, created: set[str],
           subjects: dict[str, Subject | None]) -> None:
    from sqlglot import exp

    table = _table_name(tree.this)
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
            dropped = list(action.args.get("tables") or [])
            columns = ", ".join(c.sql() for c in dropped)
            _emit(emit, "DB-DROP-COLUMN", statement, side, ("DROP",),
                      f"{table}: column {columns} is dropped while code already deployed may still read or write it.",
                  subject=Subject(table, tuple(_identifier(c) for c in dropped)) if dropped else None, subjects=subjects)
        elif isinstance(action, exp.RenameColumn):
            _emit(emit, "DB-RENAME", statement, side, ("RENAME",),
                      f"{table}: column {action.this.sql()} is renamed to {action.args['to'].sql()}; for the old code still "
                      "running during a rolling deploy that is a drop plus an add.",
                  subject=Subject(table, (_identifier(action.this),)), subjects=subjects)
        elif (isinstance(action, exp.AlterRename) and str(tree.args.get("kind") or "").upper() not in ("INDEX", "SEQUENCE")
              and not table.endswith("_seq")):
            # An index renamed changes no query: running code names tables and columns, not indexes.
            # Nor does a sequence (PostgreSQL's ALTER TABLE renames one too: `<table>_<column>_seq`).
            _emit(emit, "DB-RENAME", statement, side, ("RENAME",),
                      f"table {table} is renamed to {action.this.sql()}; old code still running loses it.",
                  subject=Subject(table), subjects=subjects)
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
