"""The inbox against real bare remotes holding GitHub, GitLab and Gerrit review refs and branches."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys
from reviewer_app.core.approvals.gate import run_gate
from reviewer_app.core.inbox import InboxConfig
from reviewer_app.core.inbox import sync_inbox as sync_inbox_with_defaults
from reviewer_app.core.inbox.interdiff import interdiff
from reviewer_app.core.inbox.status import queue_entries
from tests.core.approvals.conftest import KeyPair, ssh_keygen_key
from tests.gitrepo import GitRepo, init_repo

POLICY = """\
[people."alice@example.com"]
level = "senior"
teams = ["team-pricing"]
[people."carol@example.com"]
level = "senior"
[people."bob@example.com"]
level = "junior"
[defaults]
approvals = 1
min_level = "senior"
"""


# The commits of these tests carry a fixed date in January 2026: no age limit, or they would be left out.
NO_AGE_LIMIT = InboxConfig(max_age_days=0)


def sync_inbox(db, repo: Path, remote: str):  # type: ignore[no-untyped-def]
    return sync_inbox_with_defaults(db, repo, remote, config=NO_AGE_LIMIT)


@dataclass
class World:
    remote: Path
    author: GitRepo  # bob's clone, pushing review refs
    reviewer: Path  # alice's clone, where the inbox runs
    keys: dict[str, KeyPair]

    def push(self, *refspecs: str) -> None:
        self.author.git("push", "-q", "-f", "origin", *refspecs)

    def rows(self, sql: str, *args: object) -> list[tuple]:
        return list(store.open_db().execute(sql, list(args)).fetchall())


@pytest.fixture
def world(tmp_path: Path) -> World:
    (tmp_path / "keys").mkdir()
    made = {name: ssh_keygen_key(tmp_path / "keys", name) for name in ("alice", "carol", "bob")}
    author = init_repo(tmp_path / "bob")
    author.write(".reviewer/policy.toml", POLICY)
    author.write(".reviewer/allowed_signers",
                 "".join(f"{n}@example.com {made[n].line}\n" for n in ("alice", "carol", "bob")))
    author.write("services/pricing/rates.py", "".join(f"RATE_{i} = {i}\n" for i in range(30)))
    author.write("services/checkout/cart.py", "".join(f"ITEM_{i} = {i}\n" for i in range(30)))
    author.commit("base", author=("Alice", "alice@example.com"))
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(author.path), str(remote)], check=True)
    author.git("remote", "add", "origin", str(remote))
    reviewer = tmp_path / "alice"
    subprocess.run(["git", "clone", "-q", str(remote), str(reviewer)], check=True)
    return World(remote, author, reviewer, made)


def edit(world: World, branch: str, path: str, old: str, new: str, message: str, start: str = "main") -> str:
    repo = world.author
    repo.git("checkout", "-q", "-B", branch, start)
    target = repo.path / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    return repo.commit(message, author=("Bob", "bob@example.com"))


def test_every_forge_kind_arrives_as_one_item_without_touching_the_users_refs(world: World) -> None:
    pr = edit(world, "pr1", "services/pricing/rates.py", "RATE_3 = 3", "RATE_3 = 30", "Raise rate 3")
    mr = edit(world, "mr7", "services/checkout/cart.py", "ITEM_5 = 5", "ITEM_5 = 50", "Bigger item 5")
    ps1 = edit(world, "g1", "services/pricing/rates.py", "RATE_9 = 9", "RATE_9 = 90", "Gerrit patch set 1")
    ps2 = edit(world, "g2", "services/pricing/rates.py", "RATE_9 = 9", "RATE_9 = 91", "Gerrit patch set 2")
    edit(world, "feature/x", "services/checkout/cart.py", "ITEM_1 = 1", "ITEM_1 = 10", "Feature x")
    world.author.git("checkout", "-q", "main")
    world.push(f"{pr}:refs/pull/1/head", f"{mr}:refs/merge-requests/7/head", f"{ps1}:refs/changes/11/4711/1",
               f"{ps2}:refs/changes/11/4711/2", "feature/x:refs/heads/feature/x")
    before_config = (world.reviewer / ".git" / "config").read_text()
    db = store.open_db()
    report = sync_inbox(db, world.reviewer, "origin")
    assert sorted(report.new_items) == ["Gerrit 4711", "MR !7", "PR #1", "feature/x"]
    kinds = {name: (kind, number, ref) for name, kind, number, ref in
             world.rows("SELECT name, kind, number, ref FROM inbox_items")}
    assert kinds["PR #1"] == ("github-pull", 1, "refs/pull/1/head")
    assert kinds["MR !7"] == ("gitlab-merge-request", 7, "refs/merge-requests/7/head")
    assert kinds["Gerrit 4711"] == ("gerrit-change", 4711, "refs/changes/11/4711/2")  # the latest patch set
    assert kinds["feature/x"] == ("branch", None, "refs/heads/feature/x")
    gerrit = [row for row in world.rows("SELECT r.head FROM inbox_revisions r JOIN inbox_items i ON i.id = r.item_id "
                                        "WHERE i.name = 'Gerrit 4711'")]
    assert gerrit == [(ps2,)]
    refs = subprocess.run(["git", "-C", str(world.reviewer), "for-each-ref", "--format=%(refname)"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert [r for r in refs if r.startswith("refs/heads/")] == ["refs/heads/main"]
    assert not [r for r in refs if r.startswith("refs/remotes/") and "feature" in r]
    assert (world.reviewer / ".git" / "config").read_text() == before_config
    assert not (world.reviewer / ".git" / "FETCH_HEAD").exists() or "refs/pull" not in (
        world.reviewer / ".git" / "FETCH_HEAD").read_text()
    entries = {e.item["name"]: e for e in queue_entries(db, world.reviewer, "alice@example.com")}
    assert entries["PR #1"].to_dict()["item"] == {"kind": "github-pull", "remote": "origin", "ref": "refs/pull/1/head",
                                                  "number": 1, "name": "PR #1"}
    assert entries["PR #1"].revision == 1 and entries["PR #1"].previous_change_id is None
    assert entries["PR #1"].status == "needs my review"
    # bob wrote it: nothing here needs *his* review, and an author is never asked
    assert all(e.status == "waiting for others" for e in queue_entries(db, world.reviewer, "bob@example.com"))


def approve(world: World, who: str, change_id: str) -> None:
    signer = keys.file_signer(world.keys[who].path, f"{who}@example.com")
    events.create_event(store.open_db(), signer, "approve", change_id,
                        {"acks": [], "comment": "ok", "risk_level": "low", "rule_pack": None})


def latest(world: World, name: str) -> tuple[int, str]:
    rows = world.rows("SELECT r.revision, r.change_id FROM inbox_revisions r JOIN inbox_items i ON i.id = r.item_id "
                      "WHERE i.name = ? ORDER BY r.revision DESC LIMIT 1", name)
    return rows[0]


def test_revisions_rebases_interdiff_and_closing(world: World) -> None:
    db = store.open_db()
    first = edit(world, "pr", "services/pricing/rates.py", "RATE_3 = 3", "RATE_3 = 30", "Raise rate 3")
    world.author.git("checkout", "-q", "main")
    world.push(f"{first}:refs/pull/5/head")
    sync_inbox(db, world.reviewer, "origin")
    revision, first_id = latest(world, "PR #5")
    assert revision == 1
    approve(world, "alice", first_id)

    # Someone else's work lands on main; the PR is rebased onto it with its diff unchanged.
    world.author.git("checkout", "-q", "main")
    cart = world.author.path / "services/checkout/cart.py"
    cart.write_text(cart.read_text().replace("ITEM_20 = 20", "ITEM_20 = 21"))
    world.author.commit("Checkout tweak", author=("Carol", "carol@example.com"))
    world.push("main:refs/heads/main")
    world.author.git("checkout", "-q", "pr")
    world.author.git("rebase", "-q", "main")
    world.push("pr:refs/pull/5/head")
    report = sync_inbox(db, world.reviewer, "origin")
    assert report.rebased == ["PR #5"] and latest(world, "PR #5") == (1, first_id)
    gate = run_gate(db, world.reviewer, "git:refs/reviewer-app/inbox/origin/heads/main.."
                    "refs/reviewer-app/inbox/origin/pull/5")
    assert gate.approved and gate.verdicts[0].change_id == first_id  # the approval still counts after the rebase
    assert queue_entries(db, world.reviewer, "alice@example.com")[0].rebased

    # A force-push that edits one more file, on top of a new base move: a new revision.
    world.author.git("checkout", "-q", "main")
    rates = world.author.path / "services/pricing/rates.py"
    rates.write_text(rates.read_text().replace("RATE_25 = 25", "RATE_25 = 26"))
    world.author.commit("Pricing tweak by carol", author=("Carol", "carol@example.com"))
    world.push("main:refs/heads/main")
    world.author.git("checkout", "-q", "pr")
    world.author.git("rebase", "-q", "main")
    cart.write_text(cart.read_text().replace("ITEM_2 = 2", "ITEM_2 = 22"))
    world.author.commit("Also item 2", author=("Bob", "bob@example.com"))
    world.push("pr:refs/pull/5/head")
    report = sync_inbox(db, world.reviewer, "origin")
    assert report.new_revisions == ["PR #5 revision 2"]
    revision, second_id = latest(world, "PR #5")
    assert revision == 2 and second_id != first_id
    result = interdiff(db, world.reviewer, first_id, second_id)
    assert result["basis"] == "git"
    assert [f["path"] for f in result["files"]] == ["services/checkout/cart.py"]  # exactly the file the author edited
    assert result["files"][0]["added"] == 1 and result["files"][0]["removed"] == 1
    entry = {e.item["name"]: e for e in queue_entries(db, world.reviewer, "alice@example.com")}["PR #5"]
    assert entry.status == "updated since my review" and entry.previous_change_id == first_id
    assert entry.since_my_review == {"files": 1, "added": 1, "removed": 1, "since_change_id": first_id}
    # carol never reviewed it: for her it simply needs review
    entry = {e.item["name"]: e for e in queue_entries(db, world.reviewer, "carol@example.com")}["PR #5"]
    assert entry.status == "needs my review"

    # The ref is deleted on the remote: the item closes, its history stays.
    world.author.git("push", "-q", "origin", ":refs/pull/5/head")
    report = sync_inbox(db, world.reviewer, "origin")
    assert report.closed == ["PR #5 (ref deleted)"]
    assert world.rows("SELECT state, closed_reason FROM inbox_items WHERE name = 'PR #5'") == [("closed", "deleted")]
    assert len(world.rows("SELECT * FROM inbox_revisions")) == 2
    assert not queue_entries(db, world.reviewer, "alice@example.com")
    assert queue_entries(db, world.reviewer, "alice@example.com", include_closed=True)[0].status == "closed"


def test_a_branch_merged_into_main_closes_as_merged(world: World) -> None:
    db = store.open_db()
    head = edit(world, "feature/y", "services/pricing/rates.py", "RATE_7 = 7", "RATE_7 = 70", "Rate 7")
    world.push("feature/y:refs/heads/feature/y")
    sync_inbox(db, world.reviewer, "origin")
    world.author.git("checkout", "-q", "main")
    world.author.git("merge", "-q", "--ff-only", head)
    world.push("main:refs/heads/main")
    report = sync_inbox(db, world.reviewer, "origin")
    assert report.closed == ["feature/y (merged into main)"]


def test_two_reviewers_with_their_own_databases_see_their_own_status(world: World, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    head = edit(world, "pr", "services/pricing/rates.py", "RATE_3 = 3", "RATE_3 = 30", "Raise rate 3")
    world.push(f"{head}:refs/pull/9/head")
    carol_clone = tmp_path / "carol"
    subprocess.run(["git", "clone", "-q", str(world.remote), str(carol_clone)], check=True)
    alice_db = store.open_db()
    sync_inbox(alice_db, world.reviewer, "origin")
    _, change_id = latest(world, "PR #9")
    approve(world, "alice", change_id)
    monkeypatch.setenv("REVIEWER_APP_DB", str(tmp_path / "carol.db"))
    carol_db = store.open_db()
    sync_inbox(carol_db, carol_clone, "origin")
    assert [e.status for e in queue_entries(carol_db, carol_clone, "carol@example.com")] == ["needs my review"]
    assert [e.status for e in queue_entries(alice_db, world.reviewer, "alice@example.com")] == ["approved"]


def test_inbox_toml_filters_and_the_age_limit_leaves_old_heads_out(world: World) -> None:
    from reviewer_app.core.inbox.config import load_inbox_config
    from reviewer_app.core.workspace import Workspace

    head = edit(world, "pr", "services/pricing/rates.py", "RATE_3 = 3", "RATE_3 = 30", "Raise rate 3")
    world.push(f"{head}:refs/pull/2/head", f"{head}:refs/heads/feature/skip-me", f"{head}:refs/heads/feature/keep")
    (world.reviewer / ".reviewer").mkdir(exist_ok=True)
    (world.reviewer / ".reviewer" / "inbox.toml").write_text(
        'include = ["pull/*", "heads/feature/*"]\nexclude = ["heads/feature/skip-*"]\nmax_age_days = 0\n')
    config = load_inbox_config(Workspace(world.reviewer))
    report = sync_inbox_with_defaults(store.open_db(), world.reviewer, "origin", config=config)
    assert sorted(report.new_items) == ["PR #2", "feature/keep"]
    # The defaults leave out heads older than 90 days (these commits are dated January 2026).
    report = sync_inbox_with_defaults(store.open_db(), world.reviewer, "origin", config=InboxConfig())
    assert report.items_seen == 0 and report.closed == []  # left out is not closed: the refs are still there


def test_a_bad_inbox_toml_is_one_line_naming_the_file(world: World) -> None:
    from reviewer_app.core.inbox.config import load_inbox_config
    from reviewer_app.core.workspace import Workspace
    from reviewer_app.errors import UserError

    (world.reviewer / ".reviewer").mkdir(exist_ok=True)
    (world.reviewer / ".reviewer" / "inbox.toml").write_text("max_age_days = -3\n")
    with pytest.raises(UserError, match=r"inbox.toml: max_age_days"):
        load_inbox_config(Workspace(world.reviewer))
