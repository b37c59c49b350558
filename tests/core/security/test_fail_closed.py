"""Red team: every error in the gate is exit 2 with ``"approved": false``, never exit 0.

Malformed policies, missing or empty allowed_signers, a broken or newer database, corrupt event
rows and unexpected exceptions; each through the real ``reviewer-app gate`` command.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reviewer_app.core import store

from .world import STRICT_POLICY, World, make_world, plain_lines, tamper

@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("closed"), people=("alice", "bob", "dana"))
    made.configure(plain_lines(made, "alice", "bob"))
    made.branch("notes", {"docs/notes.md": "notes\n"}, "Add notes")
    return made


@pytest.fixture
def approved(world: World, tmp_path: Path) -> World:
    """A fresh database in which the notes change is approved at main (exit 0): each test then breaks one thing."""
    world.db_path, world._db = tmp_path / "gate.db", None
    world.repo.git("checkout", "-q", "main")
    world.approve_all_findings("alice", world.analysis("git:main..notes", base="main"))
    code, out = world.cli_gate_json("--git", "main..notes")
    assert code == 0 and out["approved"] is True, out
    return world


def _gate_against(world: World, policy: str | None = STRICT_POLICY, signers: str | None = None) -> tuple[int, dict]:
    """Commit a broken configuration on a side branch and gate the notes change against it."""
    world.repo.git("checkout", "-q", "-B", "broken", "main")
    if policy is None:
        world.repo.git("rm", "-q", ".reviewer/policy.toml")
    else:
        world.repo.write(".reviewer/policy.toml", policy, dedent=False)
    if signers is not None:
        world.repo.write(".reviewer/allowed_signers", signers, dedent=False)
    world.repo.commit("break the configuration", author=("Alice", "alice@example.com"))
    world.repo.git("checkout", "-q", "main")
    return world.cli_gate_json("--git", "main..notes", "--base", "broken")


ROSTER = '[people."alice@example.com"]\nlevel = "senior"\n'
BROKEN_POLICIES = {
    "not TOML": "this is = not [toml",
    "approvals is a string": ROSTER + '[defaults]\napprovals = "1"\n',
    "approvals is true": ROSTER + "[defaults]\napprovals = true\n",
    "approvals is a float": ROSTER + "[defaults]\napprovals = 1.0\n",
    "negative approvals": ROSTER + "[defaults]\napprovals = -1\n",
    "huge approvals": ROSTER + "[defaults]\napprovals = 1000000\n",
    "rule with zero approvals": ROSTER + '[[rules]]\nname = "r"\nrequire = { approvals = 0 }\n',
    "rule with huge approvals": ROSTER + '[[rules]]\nname = "r"\nrequire = { approvals = 9223372036854775807 }\n',
    "unknown top-level key": ROSTER + "[defaults]\napprovals = 1\n[exceptions]\nskip = true\n",
    "unknown key in defaults": ROSTER + "[defaults]\napprovals = 1\nbypass = true\n",
    "unknown condition": ROSTER + '[[rules]]\nname = "r"\nwhen = { author = "x" }\nrequire = { approvals = 1 }\n',
    "level missing": '[people."alice@example.com"]\nteams = ["t"]\n',
    "unknown level": '[people."alice@example.com"]\nlevel = "god"\n',
    "level in wrong case": '[people."alice@example.com"]\nlevel = "Senior"\n',
    "same person twice": ROSTER + '[people."ALICE@example.com"]\nlevel = "junior"\n',
    "rules is a table": ROSTER + "[rules]\nname = 'r'\n",
    "min_level agent": ROSTER + '[defaults]\nmin_level = "agent"\n',
    "teams not a list": '[people."alice@example.com"]\nlevel = "senior"\nteams = "t"\n',
    "risk level unknown": ROSTER + '[[rules]]\nname = "r"\nwhen = { risk_at_least = "extreme" }\nrequire = {}\n',
    "empty paths": ROSTER + '[[rules]]\nname = "r"\nwhen = { paths = [] }\nrequire = {}\n',
}


@pytest.mark.parametrize("case", list(BROKEN_POLICIES))
def test_a_malformed_policy_exits_2_naming_file_and_revision(approved: World, case: str) -> None:
    code, out = _gate_against(approved, BROKEN_POLICIES[case])
    assert code == 2, out
    assert out["approved"] is False
    assert out["error"].startswith(".reviewer/policy.toml@"), out["error"]


def test_a_missing_policy_exits_2(approved: World) -> None:
    code, out = _gate_against(approved, policy=None)
    assert code == 2 and "no approval policy" in out["error"]


@pytest.mark.parametrize("signers,fragment", [
    ("", "no trusted signers"),
    ("# everybody left\n\n", "no trusted signers"),
    ("alice@example.com ssh-ed25519 AAAA\n", "allowed_signers@"),
    ('alice@example.com valid-after="tomorrow" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOr\n', "allowed_signers@"),
    ('alice@example.com no-touch-required,bogus ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOr\n', "allowed_signers@"),
])
def test_empty_or_malformed_allowed_signers_exit_2(approved: World, signers: str, fragment: str) -> None:
    code, out = _gate_against(approved, signers=signers)
    assert code == 2 and fragment in out["error"], out


def test_missing_allowed_signers_exits_2(approved: World) -> None:
    approved.repo.git("checkout", "-q", "-B", "broken", "main")
    approved.repo.git("rm", "-q", ".reviewer/allowed_signers")
    approved.repo.commit("drop signers", author=("Alice", "alice@example.com"))
    approved.repo.git("checkout", "-q", "main")
    code, out = approved.cli_gate_json("--git", "main..notes", "--base", "broken")
    assert code == 2 and "no trusted signers" in out["error"]


def test_a_database_that_is_not_sqlite_exits_2(approved: World) -> None:
    approved.db_path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(approved.db_path) + suffix).unlink(missing_ok=True)
    code, out = approved.cli_gate_json("--git", "main..notes")
    assert code == 2 and out["approved"] is False and str(approved.db_path) in out["error"]


def test_a_database_from_a_newer_version_exits_2(approved: World) -> None:
    approved.db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')",
                        [store.SCHEMA_VERSION + 1])
    approved.db.conn.commit()
    code, out = approved.cli_gate_json("--git", "main..notes")
    assert code == 2 and "newer reviewer-app" in out["error"]


def test_a_database_path_that_is_a_folder_exits_2(approved: World, tmp_path: Path) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    code, out, err = approved.cli("--db", str(folder), "gate", "--repo", str(approved.repo.path), "--format", "json",
                                  "--git", "main..notes")
    assert code == 2 and '"approved": false' in out


def test_a_database_that_cannot_be_created_exits_2(approved: World, tmp_path: Path) -> None:
    """Its folder is a file (root could read a chmod-0 file, so permissions would prove nothing here)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    code, out, err = approved.cli("--db", str(blocker / "gate.db"), "gate", "--repo", str(approved.repo.path),
                                  "--format", "json", "--git", "main..notes")
    assert code == 2 and '"approved": false' in out and "cannot open the database" in err


@pytest.mark.parametrize("column,value", [("signature", ""), ("payload", ""), ("signature", 42),
                                          ("payload", "{}"), ("signature", "-----BEGIN SSH SIGNATURE-----\n")])
def test_a_corrupt_event_row_never_approves(approved: World, column: str, value: object) -> None:
    """A row damaged in place (empty, a number, an empty object): refused as a bad signature, never exit 0."""
    tamper(approved.db, f"UPDATE events SET {column} = ?", [value])
    approved.db.conn.commit()
    code, out = approved.cli_gate_json("--git", "main..notes")
    assert code == 1 and out["approved"] is False
    assert [r["reason"] for r in out["rejected"]] == ["bad signature"]


def test_an_edited_change_id_column_does_not_move_an_approval(approved: World) -> None:
    """Filing alice's approval of ``notes`` under another change: the payload still names ``notes``."""
    approved.branch("other", {"docs/other.md": "other\n"}, "Other notes")
    other_id = approved.analysis("git:main..other")["change_id"]
    tamper(approved.db, "UPDATE events SET change_id = ?", [other_id])
    approved.db.conn.commit()
    code, out = approved.cli_gate_json("--git", "main..other")
    assert code == 1 and [r["reason"] for r in out["rejected"]] == ["other change id"]
    code, out = approved.cli_gate_json("--git", "main..notes")
    assert code == 1  # and the change it really approved lost its row


def test_an_unexpected_exception_exits_2(approved: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any bug inside the decision (here: the policy evaluation blowing up) is exit 2, not a pass."""
    from reviewer_app.core.approvals import policy

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(policy, "evaluate", explode)
    monkeypatch.delenv("REVIEWER_APP_DEBUG", raising=False)
    code, out = approved.cli_gate_json("--git", "main..notes")
    assert code == 2 and out == {"approved": False, "error": "internal error: RuntimeError: boom"}


def test_wrong_usage_exits_2(approved: World) -> None:
    assert approved.cli_gate_json()[0] == 2  # neither a patch nor --git
    assert approved.cli_gate_json("--git", "main..no-such-branch")[0] == 2
    assert approved.cli_gate_json("--git", "main..notes", "--base", "--upload-pack=x")[0] == 2
    assert approved.cli_gate_json("--git", "main..main")[0] == 2  # nothing to judge
    code, out, _ = approved.cli("gate", "--repo", str(approved.repo.path / "nope"), "--git", "main..notes")
    assert code == 2


def test_sqlite_level_damage_in_the_events_table_exits_2(approved: World) -> None:
    """Dropping the events index table the gate relies on: an error, so exit 2."""
    conn = sqlite3.connect(approved.db_path)
    conn.execute("DROP TABLE events")
    conn.commit()
    conn.close()
    approved._db = None
    code, out = approved.cli_gate_json("--git", "main..notes")
    assert code == 2 and out["approved"] is False


def test_a_title_cannot_forge_the_verdict_line_in_the_text_output(approved: World, tmp_path: Path) -> None:
    """A subject with a carriage return and an ANSI "erase line" would print over NOT APPROVED in a CI log."""
    patch = approved.repo.format_patch("notes").decode()
    forged = patch.replace("Subject: [PATCH] Add notes", "Subject: [PATCH] Add notes\x1b[2K\rAPPROVED  all good", 1)
    path = tmp_path / "forged-title.patch"
    path.write_text(forged)
    tamper(approved.db, "DELETE FROM events")  # the title is metadata: alice's approval would still count
    approved.db.conn.commit()
    code, out, _ = approved.cli("gate", "--repo", str(approved.repo.path), str(path))
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("NOT APPROVED") and "\x1b" not in out and "\r" not in out
    assert "\\x1b[2K\\x0dAPPROVED" in first


def test_a_revoke_deleted_from_the_middle_of_a_chain_is_noticed(approved: World) -> None:
    """alice approved, then revoked, then signed something else: deleting only the revoke row brought the
    approval back. Her next event still names the revoke as its previous one, so the hole shows."""
    notes = approved.analysis("git:main..notes")["change_id"]
    revoke = approved.sign("alice", notes, type="revoke", at="2026-11-29T10:05:00Z")
    approved.branch("later", {"docs/later.md": "later\n"}, "Later notes")
    approved.sign("alice", approved.analysis("git:main..later")["change_id"], at="2026-11-29T10:06:00Z")
    assert approved.cli_gate_json("--git", "main..notes")[0] == 1  # withdrawn
    tamper(approved.db, "DELETE FROM events WHERE id = ?", [revoke.id])
    approved.db.conn.commit()
    code, out = approved.cli_gate_json("--git", "main..notes")
    assert code == 1
    assert [(r["principal"], r["reason"]) for r in out["rejected"]] == [("alice@example.com", "broken chain")]
    assert revoke.id in out["rejected"][0]["detail"]


def test_a_fetch_that_fails_is_exit_2_not_a_verdict_on_stale_events(approved: World) -> None:
    """The local database says approved; with --fetch the team's ledger must be read, and it cannot be."""
    code, out = approved.cli_gate_json("--git", "main..notes", "--fetch", "--remote", "no-such-remote")
    assert code == 2 and out["approved"] is False
