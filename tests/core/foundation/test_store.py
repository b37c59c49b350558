"""The local database: migrations, refusal of newer schemas, idempotent submit, queue order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reviewer_app.core import store
from reviewer_app.errors import UserError


def _analysis(change_id: str, level: str | None, score: int | None, title: str = "t") -> dict:
    return {
        "change_id": change_id, "title": title, "author": {"name": "A", "email": "a@example.com"},
        "provenance": {"ai_assisted": True, "tools": ["Claude Code"], "evidence": []},
        "risk": {"level": level, "score": score} if level else {},
    }


def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "r.db")
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"changes", "events", "quarantine", "sync_refs", "review_progress"} <= set(db.table_names())


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    store.open_db(tmp_path / "r.db").conn.close()
    db = store.open_db(tmp_path / "r.db")
    rows = db.execute("SELECT version FROM schema_migrations").fetchall()
    assert [r[0] for r in rows] == list(range(1, store.SCHEMA_VERSION + 1))


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    store.open_db(path).conn.close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(UserError) as info:
        store.open_db(path)
    assert "newer reviewer-app" in str(info.value) and str(path) in str(info.value)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, not sqlite" * 100)
    with pytest.raises(UserError) as info:
        store.open_db(path)
    assert str(path) in str(info.value)


def test_db_path_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(store.DB_ENV, str(tmp_path / "env.db"))
    assert store.resolve_db_path(tmp_path / "cli.db") == tmp_path / "cli.db"
    assert store.resolve_db_path(None) == tmp_path / "env.db"
    monkeypatch.delenv(store.DB_ENV)
    assert store.resolve_db_path(None).name == "reviewer.db"


def test_same_content_twice_is_one_entry_and_queue_ranks_by_risk(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "r.db")
    assert store.save_change(db, _analysis("sha256:" + "a" * 64, "low", 5), b"p", "x", None)
    assert not store.save_change(db, _analysis("sha256:" + "a" * 64, "low", 5), b"p", "x", None)
    store.save_change(db, _analysis("sha256:" + "b" * 64, "critical", 80), b"p", "x", None)
    store.save_change(db, _analysis("sha256:" + "c" * 64, "high", 60), b"p", "x", None)
    store.save_change(db, _analysis("sha256:" + "d" * 64, "critical", 95), b"p", "x", None)
    order = [row["change_id"][7] for row in store.list_changes(db)]
    assert order == ["d", "b", "c", "a"]
    assert store.get_patch(db, "sha256:" + "a" * 64) == b"p"


def test_change_id_prefixes_resolve_like_git(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "r.db")
    store.save_change(db, _analysis("sha256:ab" + "0" * 62, "low", 1), b"p", "x", None)
    store.save_change(db, _analysis("sha256:ac" + "0" * 62, "low", 1), b"p", "x", None)
    assert store.resolve_change_id(db, "ab") == "sha256:ab" + "0" * 62
    with pytest.raises(UserError, match="ambiguous"):
        store.resolve_change_id(db, "a")
    with pytest.raises(UserError, match="no such change"):
        store.resolve_change_id(db, "ff")


def test_the_event_log_is_append_only_in_the_database(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "r.db")
    row = ("sha256:" + "e" * 64, "approve", "sha256:" + "c" * 64, "a@example.com", "SHA256:k", "2026-01-01T00:00:00Z",
           None, "{}", "sig", "local", 0, "2026-01-01T00:00:00Z")
    db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    db.execute("UPDATE events SET pushed = 1")  # the one column that may change
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET change_id = 'sha256:other'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM events")
    assert db.execute("SELECT change_id, pushed FROM events").fetchall() == [("sha256:" + "c" * 64, 1)]
