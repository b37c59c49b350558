"""The local database: an index over changes and signed events, in SQLite through sqlite-utils.

Signed events are the source of truth (they travel through the team's git remote); this database is
where they are indexed for fast queries and can be rebuilt from the refs. Schema changes are
versioned migrations recorded in ``schema_migrations``; a database written by a newer version of
the program is refused and left untouched.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from reviewer_app.errors import UserError

DB_ENV = "REVIEWER_APP_DB"
APP_NAME = "reviewer-app"

# A payload field as SQLite reads it (NULL for a payload that is not JSON). Queries must spell the
# expression exactly like this for SQLite to use the index migration 3 builds on it.
PAYLOAD_CHANGE_ID = "(CASE WHEN json_valid(payload) THEN json_extract(payload, '$.change_id') END)"
PAYLOAD_PRINCIPAL = "(CASE WHEN json_valid(payload) THEN json_extract(payload, '$.principal') END)"

# Each entry is applied once, in order, inside one transaction; never edit a released entry.
MIGRATIONS: list[str | list[str]] = [
    # 1: changes in the queue and the append-only event log
    """
    CREATE TABLE changes (
        change_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        author_name TEXT NOT NULL,
        author_email TEXT NOT NULL,
        author_date TEXT,
        submitted_at TEXT NOT NULL,
        source TEXT NOT NULL,
        base TEXT,
        head TEXT,
        workspace TEXT,
        ai_assisted INTEGER NOT NULL,
        ai_tools TEXT NOT NULL,           -- JSON list
        risk_level TEXT,
        risk_score INTEGER,
        analysis TEXT NOT NULL,           -- JSON: the analyze object at submit time
        patch BLOB NOT NULL
    );
    CREATE TABLE events (
        id TEXT PRIMARY KEY,              -- sha256: of the signed payload bytes
        type TEXT NOT NULL,               -- submit | approve | reject | revoke
        change_id TEXT NOT NULL,
        principal TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        created_at TEXT NOT NULL,
        prev TEXT,                        -- this signer's previous event id
        payload TEXT NOT NULL,            -- the exact signed string
        signature TEXT NOT NULL,          -- armored SSHSIG
        origin TEXT NOT NULL,             -- local | sync
        pushed INTEGER NOT NULL DEFAULT 0,
        imported_at TEXT NOT NULL
    );
    CREATE INDEX events_change ON events(change_id);
    CREATE INDEX events_principal ON events(principal, created_at);
    CREATE INDEX events_unpushed ON events(pushed) WHERE pushed = 0;
    -- events that failed verification on import: kept for the report, never counted
    CREATE TABLE quarantine (
        id TEXT PRIMARY KEY,
        ref TEXT,
        reason TEXT NOT NULL,
        payload TEXT,
        signature TEXT,
        seen_at TEXT NOT NULL
    );
    -- the last commit seen on each remote ref, to detect rewritten (non fast-forward) refs
    CREATE TABLE sync_refs (
        remote TEXT NOT NULL,
        ref TEXT NOT NULL,
        commit_id TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (remote, ref)
    );
    CREATE TABLE sync_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        remote TEXT NOT NULL,
        ok INTEGER NOT NULL,
        message TEXT NOT NULL
    );
    CREATE TABLE review_progress (
        change_id TEXT NOT NULL,
        path TEXT NOT NULL,
        viewed INTEGER NOT NULL,
        PRIMARY KEY (change_id, path)
    );
    """,
    # 2: the event log is append-only in the database too. This guards against our own bugs, not
    # against someone who can edit the file (they can drop triggers): the gate's defence against
    # that is the signatures and the per-signer chains.
    [
        """
        CREATE TRIGGER events_append_only BEFORE UPDATE ON events
        WHEN NEW.id IS NOT OLD.id OR NEW.type IS NOT OLD.type OR NEW.change_id IS NOT OLD.change_id
          OR NEW.principal IS NOT OLD.principal OR NEW.fingerprint IS NOT OLD.fingerprint
          OR NEW.created_at IS NOT OLD.created_at OR NEW.prev IS NOT OLD.prev
          OR NEW.payload IS NOT OLD.payload OR NEW.signature IS NOT OLD.signature OR NEW.origin IS NOT OLD.origin
        BEGIN SELECT RAISE(ABORT, 'events are append-only: only the pushed flag may change'); END
        """,
        # Events from the team's refs can be re-imported (sync --rebuild); one signed here exists
        # nowhere else until it is pushed, so it is never deleted.
        """
        CREATE TRIGGER events_keep_local BEFORE DELETE ON events WHEN OLD.origin = 'local'
        BEGIN SELECT RAISE(ABORT, 'events signed on this machine are never deleted'); END
        """,
    ],
    # 3: find events by what their signed payload says, not only by the unsigned columns copied from it.
    # SQLite computes these index entries from the payload itself, so an edited column cannot hide a row
    # from a lookup through them (the gate selects by column OR by payload, then judges the payload).
    [
        f"CREATE INDEX events_payload_change ON events({PAYLOAD_CHANGE_ID})",
        f"CREATE INDEX events_payload_principal ON events({PAYLOAD_PRINCIPAL})",
    ],
    # 4: the inbox (core/inbox): review items fetched from the team's remote, one revision per new head.
    """
    CREATE TABLE inbox_items (
        id TEXT PRIMARY KEY,              -- remote + kind + number or branch: stable across revisions
        remote TEXT NOT NULL,
        kind TEXT NOT NULL,               -- github-pull | gitlab-merge-request | gerrit-change | branch
        ref TEXT NOT NULL,                -- the remote's ref (refs/pull/123/head, refs/heads/feature/x)
        number INTEGER,                   -- pull request, merge request or Gerrit change number
        name TEXT NOT NULL,               -- "PR #123", "MR !7", "Gerrit 4711", "feature/x"
        state TEXT NOT NULL,              -- open | closed
        closed_reason TEXT,               -- deleted | merged
        head TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE inbox_revisions (
        item_id TEXT NOT NULL REFERENCES inbox_items(id),
        revision INTEGER NOT NULL,        -- 1, 2, ...: a new head with a new diff
        change_id TEXT NOT NULL,
        base TEXT NOT NULL,               -- the merge base with the default branch
        head TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (item_id, revision)
    );
    CREATE INDEX inbox_revisions_change ON inbox_revisions(change_id);
    """,
    # 5: events signed on this machine are looked up on every sync (what to publish, what the index lacks);
    # at a million imported events a scan for them was half of an incremental sync.
    "CREATE INDEX events_origin ON events(origin) WHERE origin = 'local'",
]

SCHEMA_VERSION = len(MIGRATIONS)

# For tests that play an attacker who edits the database file directly.
APPEND_ONLY_TRIGGERS = ("events_append_only", "events_keep_local")


def utc_now() -> str:
    """RFC 3339 UTC with seconds, the one timestamp format the database holds."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def default_db_path() -> Path:
    import platformdirs  # imported here: only needed when no --db and no environment variable

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "reviewer.db"


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return default_db_path()


def open_db(path: str | Path | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database; refuse one from a newer version."""
    db_path = resolve_db_path(path)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(db_path), timeout=30, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"{db_path}: cannot open the database: {exc}") from exc
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, db_path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise UserError(f"{db_path}: not a usable reviewer-app database: {exc}") from exc
    except UserError:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


def _migrate(conn: sqlite3.Connection, db_path: Path) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise UserError(
            f"{db_path}: written by a newer reviewer-app (schema {current}, this version knows {SCHEMA_VERSION}); "
            "upgrade reviewer-app — the database was left untouched"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            done = conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone()
            if not done:
                for statement in _statements(MIGRATIONS[version - 1]):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, utc_now()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str | list[str]) -> Iterator[str]:
    # executescript() would commit our transaction. A migration is a list of statements, or a script
    # split on ';' (only for scripts without ';' inside a statement: triggers come as lists).
    if isinstance(script, list):
        yield from (statement.strip() for statement in script)
        return
    for chunk in script.split(";"):
        lines = [line for line in chunk.splitlines() if not line.strip().startswith("--")]
        statement = "\n".join(lines).strip()
        if statement:
            yield statement


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on any exception), or nothing when the caller's transaction is open.

    The connection is in autocommit mode (``isolation_level=None``): there ``with db.conn:`` opens no
    transaction at all, and on leaving it COMMITs (or rolls back) a transaction the caller began.
    """
    if db.conn.in_transaction:
        yield
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


# --- changes -------------------------------------------------------------------------------------

def save_change(db: sqlite_utils.Database, analysis: dict[str, Any], patch: bytes, source: str,
                workspace: str | None) -> bool:
    """Store an analysed change in the queue; False when the same content is already there."""
    risk = analysis.get("risk") or {}
    row = {
        "change_id": analysis["change_id"],
        "title": analysis["title"],
        "author_name": analysis["author"]["name"],
        "author_email": analysis["author"]["email"],
        "author_date": analysis.get("author_date"),
        "submitted_at": utc_now(),
        "source": source,
        "base": analysis.get("base"),
        "head": analysis.get("head"),
        "workspace": workspace,
        "ai_assisted": int(bool(analysis["provenance"]["ai_assisted"])),
        "ai_tools": json.dumps(analysis["provenance"]["tools"]),
        "risk_level": risk.get("level"),
        "risk_score": risk.get("score"),
        "analysis": json.dumps(analysis, sort_keys=True),
        "patch": patch,
    }
    # One statement, atomic on its own in autocommit mode (isolation_level=None). Not ``with db.conn:``:
    # that opens no transaction there, and on leaving it would COMMIT (or on an error roll back) a
    # transaction the caller began, e.g. the sync importer's.
    cursor = db.conn.execute(
        f"INSERT OR IGNORE INTO changes ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
    return cursor.rowcount == 1


_LEVEL_ORDER = "CASE risk_level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END"


def list_changes(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The queue, most dangerous first: by risk level, then score, then age."""
    cursor = db.execute(
        "SELECT change_id, title, author_name, author_email, author_date, submitted_at, source, base, head, "
        "workspace, ai_assisted, ai_tools, risk_level, risk_score FROM changes "
        f"ORDER BY {_LEVEL_ORDER}, COALESCE(risk_score, 0) DESC, submitted_at, change_id"
    )
    keys = [column[0] for column in cursor.description]
    result = []
    for row in cursor.fetchall():
        item = dict(zip(keys, row))
        item["ai_assisted"] = bool(item["ai_assisted"])
        item["ai_tools"] = json.loads(item["ai_tools"])
        result.append(item)
    return result


def get_analysis(db: sqlite_utils.Database, change_id: str) -> dict[str, Any] | None:
    row = db.execute("SELECT analysis FROM changes WHERE change_id = ?", [change_id]).fetchone()
    return json.loads(row[0]) if row else None


def get_patch(db: sqlite_utils.Database, change_id: str) -> bytes | None:
    row = db.execute("SELECT patch FROM changes WHERE change_id = ?", [change_id]).fetchone()
    return bytes(row[0]) if row else None


def resolve_change_id(db: sqlite_utils.Database, prefix: str) -> str:
    """Accept a full id or a unique prefix (with or without ``sha256:``), as git does for commits."""
    wanted = prefix if prefix.startswith("sha256:") else f"sha256:{prefix}"
    rows = db.execute(
        "SELECT change_id FROM changes WHERE change_id >= ? AND change_id < ? LIMIT 2", [wanted, wanted + "\uffff"]
    ).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        raise UserError(f"{prefix}: no such change in the queue (submit it first, or sync)")
    raise UserError(f"{prefix}: ambiguous change id prefix; give more characters")


def count_unpushed_events(db: sqlite_utils.Database) -> int:
    """Signed events made here and not yet pushed to the team remote."""
    return db.execute("SELECT COUNT(*) FROM events WHERE origin = 'local' AND pushed = 0").fetchone()[0]
