"""Two workstations and a bare remote: offline approvals meet after sync; offline failures lose nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reviewer_app.core.approvals import events
from reviewer_app.core.sync import RemoteError, run_sync, sync_status
from reviewer_app.core.sync.refs import signer_ref
from tests.core.sync.conftest import Team, remote_refs

CHANGE_A = "sha256:" + "a" * 64
CHANGE_B = "sha256:" + "b" * 64


def test_two_workstations_approve_offline_then_both_see_both(team: Team) -> None:
    alice = team.workstation("alice", "alice@example.com")
    bob = team.workstation("bob", "bob@example.com")
    approval_a = alice.approve(CHANGE_A, "looks right")
    approval_b = bob.approve(CHANGE_B)
    assert sync_status(alice.db)["unpushed"] == 1

    first = run_sync(alice.db, alice.clone.path)
    assert first.pushed_events == 1 and first.problems == []
    second = run_sync(bob.db, bob.clone.path)
    assert second.imported.events_imported == 1 and second.pushed_events == 1
    third = run_sync(alice.db, alice.clone.path)
    assert third.imported.events_imported == 1 and third.pushed_events == 0

    for station in (alice, bob):
        assert station.event_ids() == {approval_a.id, approval_b.id}
        assert sync_status(station.db)["unpushed"] == 0
        assert sync_status(station.db)["last_error"] is None
    assert [e.id for e in events.events_for_change(bob.db, CHANGE_A)] == [approval_a.id]
    refs = remote_refs(team.remote)
    assert set(refs) == {signer_ref("alice@example.com"), signer_ref("bob@example.com")}
    # The work tree, index and branches of the clones are untouched.
    for station in (alice, bob):
        assert station.clone.git("status", "--porcelain") == ""
        assert station.clone.git("for-each-ref", "--format=%(refname)", "refs/heads/").split() == ["refs/heads/main"]


def test_sync_is_idempotent_and_a_repeat_pushes_nothing(team: Team) -> None:
    alice = team.workstation("alice", "alice@example.com")
    alice.approve(CHANGE_A)
    run_sync(alice.db, alice.clone.path)
    tip = remote_refs(team.remote)[signer_ref("alice@example.com")]
    again = run_sync(alice.db, alice.clone.path)
    assert again.pushed_refs == [] and again.imported.events_imported == 0
    assert remote_refs(team.remote)[signer_ref("alice@example.com")] == tip


def test_a_teammate_without_events_or_email_only_fetches(team: Team) -> None:
    alice = team.workstation("alice", "alice@example.com")
    approval = alice.approve(CHANGE_A)
    run_sync(alice.db, alice.clone.path)
    newcomer = team.workstation("newcomer", None, git_email=None)
    report = run_sync(newcomer.db, newcomer.clone.path)
    assert report.pushed_refs == [] and report.imported.events_imported == 1
    assert newcomer.event_ids() == {approval.id}
    assert set(remote_refs(team.remote)) == {signer_ref("alice@example.com")}


def test_unreachable_remote_keeps_events_queued_until_the_next_sync(team: Team) -> None:
    alice = team.workstation("alice", "alice@example.com")
    alice.approve(CHANGE_A)
    moved = team.remote.with_name("remote-away.git")
    team.remote.rename(moved)
    with pytest.raises(RemoteError) as failure:
        run_sync(alice.db, alice.clone.path)
    message = str(failure.value)
    assert "remote unreachable" in message and "\n" not in message and "nothing was lost" in message
    status = sync_status(alice.db)
    assert status["unpushed"] == 1 and status["last_error"] == message and status["last_sync"] is None

    moved.rename(team.remote)
    report = run_sync(alice.db, alice.clone.path)
    assert report.pushed_events == 1
    status = sync_status(alice.db)
    assert status["unpushed"] == 0 and status["last_error"] is None and status["last_sync"] is not None
    logged = alice.db.execute("SELECT ok FROM sync_log ORDER BY id").fetchall()
    assert [row[0] for row in logged] == [0, 1]


def test_refused_push_is_retried_over_the_new_tip(team: Team) -> None:
    """Same person on two machines: the second push is refused, then succeeds as a union."""
    laptop = team.workstation("laptop", "alice@example.com")
    desktop = team.workstation("desktop", "alice@example.com")
    on_laptop = laptop.approve(CHANGE_A)
    on_desktop = desktop.approve(CHANGE_B)
    run_sync(laptop.db, laptop.clone.path)
    report = run_sync(desktop.db, desktop.clone.path)
    assert report.pushed_events == 1
    tip = remote_refs(team.remote)[signer_ref("alice@example.com")]
    files = subprocess.run(["git", "-C", str(team.remote), "ls-tree", "-r", "--name-only", tip],
                           capture_output=True, text=True, check=True).stdout.split()
    assert sorted(files) == sorted(f"events/{i[7:9]}/{i[7:]}.json" for i in (on_laptop.id, on_desktop.id))
    run_sync(laptop.db, laptop.clone.path)
    assert laptop.event_ids() == desktop.event_ids() == {on_laptop.id, on_desktop.id}


def test_not_a_repository_is_a_user_error(tmp_path) -> None:
    from reviewer_app.core import store
    from reviewer_app.errors import UserError

    db = store.open_db(tmp_path / "x.db")
    with pytest.raises(UserError, match="not a git repository"):
        run_sync(db, tmp_path)


def test_push_refused_by_a_server_hook_fails_at_once_and_keeps_the_queue(team: Team) -> None:
    hook = team.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'ledger refs are closed today' >&2\nexit 1\n")
    hook.chmod(0o755)
    alice = team.workstation("alice", "alice@example.com")
    alice.approve(CHANGE_A)
    with pytest.raises(RemoteError, match="refused the push of refs/reviewer-app/events/alice@example.com"):
        run_sync(alice.db, alice.clone.path)
    assert sync_status(alice.db)["unpushed"] == 1
    hook.unlink()
    assert run_sync(alice.db, alice.clone.path).pushed_events == 1
    assert sync_status(alice.db)["unpushed"] == 0


def test_authentication_failure_is_one_clear_line(team: Team) -> None:
    """A real HTTP remote that demands credentials (git is never allowed to prompt)."""
    import http.server
    import threading

    class DemandCredentials(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="team"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DemandCredentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        alice = team.workstation("alice", "alice@example.com")
        alice.approve(CHANGE_A)
        url = f"http://127.0.0.1:{server.server_address[1]}/team.git"
        with pytest.raises(RemoteError) as failure:
            run_sync(alice.db, alice.clone.path, url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    message = str(failure.value)
    assert "(authentication failed)" in message and "\n" not in message
    assert sync_status(alice.db)["unpushed"] == 1


def test_an_approval_carries_its_patch_even_without_a_git_email(team: Team) -> None:
    from reviewer_app.core import store
    from reviewer_app.core.analysis import submit_change
    from reviewer_app.core.diffparse import parse_patch
    from reviewer_app.core.workspace import Workspace

    # alice signs, but her clone has no user.email: the patch must still reach the team with her approval
    alice = team.workstation("alice", "alice@example.com", git_email=None)
    [change] = parse_patch(b"--- a/app/main.py\n+++ b/app/main.py\n@@ -1 +1 @@\n-print('hello')\n+print('hi')\n", "c.patch")
    change_id, _ = submit_change(alice.db, change, Workspace(alice.clone.path))
    alice.approve(change_id)
    report = run_sync(alice.db, alice.clone.path)
    assert report.pushed_patches == 1
    bob = team.workstation("bob", "bob@example.com")
    run_sync(bob.db, bob.clone.path)
    assert [row["change_id"] for row in store.list_changes(bob.db)] == [change_id]
    assert store.get_patch(bob.db, change_id) == store.get_patch(alice.db, change_id)


def test_a_status_code_in_a_path_is_no_refused_login(tmp_path: Path) -> None:
    """A missing remote under a folder whose name holds "403" is unreachable, not a refused login:
    an HTTP status counts only where git reports one."""
    from reviewer_app.core.sync.transport import fetch

    local = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(local)], check=True)
    missing = tmp_path / "build-403" / "team-401.git"
    subprocess.run(["git", "-C", str(local), "remote", "add", "origin", str(missing)], check=True)
    with pytest.raises(RemoteError) as failure:
        fetch(local, "origin")
    message = str(failure.value)
    assert "(remote unreachable)" in message and "authentication" not in message, message
