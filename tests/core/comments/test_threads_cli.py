"""Two reviewers on two clones comment, reply, resolve and sync through the CLI; exports verify."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reviewer_app.cli import main as cli_main
from reviewer_app.core.approvals import events
from reviewer_app.core.sync import run_sync
from tests.core.sync.conftest import Team, Workstation

FEATURE = "def greet(name):\n    return 'hello ' + name\n\n\ndef shout(name):\n    return greet(name).upper()\n"


def cli(capsys: pytest.CaptureFixture[str], station: Workstation, *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(["--db", str(station.db_path), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def signing(station: Workstation) -> list[str]:
    assert station.identity is not None
    return ["--key", str(station.identity.key), "--repo", str(station.clone.path)]


def submit_feature(capsys: pytest.CaptureFixture[str], station: Workstation) -> str:
    station.clone.git("checkout", "-q", "-b", "feature")
    station.clone.write("app/main.py", FEATURE, dedent=False)
    station.clone.commit("Add greetings")
    code, out, err = cli(capsys, station, "submit", "--git", "main..feature", "--repo", str(station.clone.path))
    assert code == 0, err
    return out.split()[0]


def test_two_reviewers_comment_reply_resolve_and_see_each_others_threads(team: Team, capsys) -> None:  # type: ignore[no-untyped-def]
    alice = team.workstation("alice", "alice@example.com")
    bob = team.workstation("bob", "bob@example.com")
    change = submit_feature(capsys, alice)

    code, out, err = cli(capsys, alice, "comment", change[:15], "--path", "app/main.py", "--line", "5", "--end-line", "6",
                         "--message", "shout needs a test", *signing(alice))
    assert code == 0, err
    thread = out.strip()
    assert thread.startswith("sha256:") and len(thread) == 71
    # A line that is not in the diff, a path that is not in it, and the old side of an added line are refused.
    for argv, words in ((("--line", "40"), "line 40 on the new side is not in the diff"),
                        (("--line", "2", "--side", "old"), "line 2 on the old side is not in the diff"),
                        (("--line", "1", "--path", "app/other.py"), "--path app/other.py: not a file of")):
        path = [] if "--path" in argv else ["--path", "app/main.py"]
        code, _, err = cli(capsys, alice, "comment", change, *path, *argv, "--message", "x", *signing(alice))
        assert code == 2 and words in err, err
    assert run_sync(alice.db, alice.clone.path).problems == []
    report = run_sync(bob.db, bob.clone.path)
    assert report.problems == [] and report.imported.events_imported == 1

    code, out, err = cli(capsys, bob, "comment", change, "--reply-to", thread[:20], "--message", "added one", *signing(bob))
    assert code == 0 and out.strip() == thread, err
    code, out, err = cli(capsys, bob, "resolve", thread[:20], *signing(bob))
    assert code == 0 and out.strip() == f"resolved {thread}", err
    run_sync(bob.db, bob.clone.path)
    run_sync(alice.db, alice.clone.path)

    code, out, err = cli(capsys, alice, "comments", change, "--format", "json", "--repo", str(alice.clone.path))
    assert code == 0, err
    listed = json.loads(out)
    assert [(t["id"], t["path"], t["side"], t["line"], t["end_line"], t["resolved"], t["outdated"]) for t in listed] == \
        [(thread, "app/main.py", "new", 5, 6, True, False)]
    assert [(c["principal"], c["message"], c["verified"]) for c in listed[0]["comments"]] == \
        [("alice@example.com", "shout needs a test", True), ("bob@example.com", "added one", True)]

    # Alice reopens; bob sees it open again after a sync, and the text listing says so.
    code, out, err = cli(capsys, alice, "resolve", thread, "--reopen", *signing(alice))
    assert code == 0 and out.startswith("reopened"), err
    run_sync(alice.db, alice.clone.path)
    run_sync(bob.db, bob.clone.path)
    code, out, _ = cli(capsys, bob, "comments", change[:16], "--repo", str(bob.clone.path))
    assert "[open]" in out and "bob@example.com: added one" in out and "app/main.py:5-6 (new)" in out


def test_an_export_with_comments_verifies_and_openssh_verifies_a_comment(team: Team, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    alice = team.workstation("alice", "alice@example.com")
    change = submit_feature(capsys, alice)
    code, out, err = cli(capsys, alice, "comment", change, "--path", "app/main.py", "--line", "2", "--message",
                         "why the space?", *signing(alice))
    assert code == 0, err
    thread = out.strip()
    allowed = tmp_path / "allowed_signers"
    allowed.write_text((alice.clone.path / ".reviewer" / "allowed_signers").read_text())
    export = tmp_path / "audit.jsonl"
    code, _, err = cli(capsys, alice, "export", "--format", "jsonl", "--output", str(export), *signing(alice))
    assert code == 0, err
    *lines, close = [json.loads(line) for line in export.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["comment"] and close["events"] == 1
    code, out, err = cli(capsys, alice, "verify-export", str(export), "--allowed-signers", str(allowed))
    assert code == 0, out + err

    comment = events.SignedEvent.from_parts(lines[0]["payload"], lines[0]["signature"])
    assert comment.id == thread and comment.data["lines"] == ["    return 'hello ' + name"]
    signature = tmp_path / "comment.sig"
    signature.write_text(comment.signature)
    openssh = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "alice@example.com", "-n",
                              "reviewer-app", "-s", str(signature)], input=comment.payload.encode(), capture_output=True)
    assert openssh.returncode == 0 and b"Good" in openssh.stdout, openssh.stderr

    # A changed message no longer verifies: the export check catches it.
    tampered = dict(lines[0])
    tampered["payload"] = lines[0]["payload"].replace("why the space?", "fine as is")
    export.write_text(json.dumps(tampered) + "\n" + json.dumps(close) + "\n")
    code, out, err = cli(capsys, alice, "verify-export", str(export), "--allowed-signers", str(allowed))
    assert code == 1 and "signature" in out + err


def test_export_review_writes_github_and_gitlab_bodies(team: Team, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    alice = team.workstation("alice", "alice@example.com")
    change = submit_feature(capsys, alice)
    base = alice.clone.git("rev-parse", "main").strip()
    head = alice.clone.git("rev-parse", "feature").strip()
    _, on_added, _ = cli(capsys, alice, "comment", change, "--path", "app/main.py", "--line", "5", "--end-line", "6",
                         "--message", "new function", *signing(alice))
    _, on_context, _ = cli(capsys, alice, "comment", change, "--path", "app/main.py", "--line", "1", "--message",
                           "old name", *signing(alice))
    _, on_removed, _ = cli(capsys, alice, "comment", change, "--path", "app/main.py", "--side", "old", "--line", "1",
                           "--message", "why drop it?", *signing(alice))
    cli(capsys, alice, "resolve", on_context.strip(), *signing(alice))

    code, out, err = cli(capsys, alice, "export-review", change, "--format", "github")
    assert code == 0, err
    review = json.loads(out)
    assert review["event"] == "COMMENT" and review["commit_id"] == head
    assert sorted((c["path"], c["line"], c["side"], c.get("start_line")) for c in review["comments"]) == \
        [("app/main.py", 1, "LEFT", None), ("app/main.py", 6, "RIGHT", 5)]

    output = tmp_path / "gitlab.json"
    code, _, err = cli(capsys, alice, "export-review", change, "--format", "gitlab", "-o", str(output))
    assert code == 0, err
    positions = sorted((d["position"]["old_line"] or 0, d["position"]["new_line"] or 0, d["body"])
                       for d in json.loads(output.read_text()))
    assert positions == [(0, 6, "new function"), (1, 0, "why drop it?")]
    assert all(d["position"]["base_sha"] == base and d["position"]["head_sha"] == head
               for d in json.loads(output.read_text()))
    del on_added, on_removed

    # A standing signed rejection turns the review into a request for changes.
    code, _, err = cli(capsys, alice, "reject", change, "--comment", "see the threads", *signing(alice))
    assert code == 0, err
    code, out, err = cli(capsys, alice, "export-review", change, "--format", "github")
    review = json.loads(out)
    assert review["event"] == "REQUEST_CHANGES" and "alice@example.com" in review["body"] and len(review["comments"]) == 2
