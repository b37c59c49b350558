"""Red team: two patches with different content must never share a change id (or the gate refuses them).

An approval binds to the change id, so any way to vary the content under one id would carry an
approval over to content nobody reviewed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reviewer_app.core.changeid import change_id
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.approvals.gate import blocking_findings
from reviewer_app.errors import UserError

from tests.gitrepo import init_repo

from .world import World, make_world, plain_lines


def _id(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    (change,) = parse_patch(data, "p.diff")
    return change_id(change)


HEAD = "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"

DISTINCT = {
    "plain": HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
    "CRLF added line": HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c\r\n",
    "CRLF context": HEAD + "@@ -1,2 +1,2 @@\n a\r\n-b\n+c\n",
    "no newline after the new line": HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n",
    "no newline after the old line": HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n",
    "mode change too": "diff --git a/app.py b/app.py\nold mode 100644\nnew mode 100755\n--- a/app.py\n+++ b/app.py\n"
                       "@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
    "mode only": "diff --git a/app.py b/app.py\nold mode 100644\nnew mode 100755\n",
    "mode only, back again": "diff --git a/app.py b/app.py\nold mode 100755\nnew mode 100644\n",
    "symlink mode only": "diff --git a/app.py b/app.py\nold mode 100644\nnew mode 120000\n",
    "other path": HEAD.replace("app.py", "app2.py") + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
    "path with a tab (quoted)": 'diff --git "a/app\\t.py" "b/app\\t.py"\n--- "a/app\\t.py"\n+++ "b/app\\t.py"\n'
                                "@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
    "path with a space": "diff --git a/app .py b/app .py\n--- a/app .py\n+++ b/app .py\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
    "two hunks": HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n@@ -9 +9 @@\n-x\n+y\n",
    "one hunk, same lines": HEAD + "@@ -1,3 +1,3 @@\n a\n-b\n+c\n-x\n+y\n",
    "trailing space": HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c \n",
    "latin-1 byte": (HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c").encode() + b"\xe9\n",
    "utf-8 e-acute": HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c\u00e9\n",
}


def test_every_variation_of_content_has_its_own_id() -> None:
    ids = {name: _id(text) for name, text in DISTINCT.items()}
    by_id: dict[str, list[str]] = {}
    for name, cid in ids.items():
        by_id.setdefault(cid, []).append(name)
    assert all(len(names) == 1 for names in by_id.values()), [n for n in by_id.values() if len(n) > 1]


def test_the_same_content_spelled_two_ways_keeps_its_id() -> None:
    """Quoting a plain path, or shifting the hunk, is not new content (both documented as left out)."""
    quoted = 'diff --git "a/app.py" "b/app.py"\n--- "a/app.py"\n+++ "b/app.py"\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n'
    moved = HEAD + "@@ -40,2 +41,2 @@\n a\n-b\n+c\n"
    assert _id(quoted) == _id(moved) == _id(DISTINCT["plain"])
    # ... but the enclosing function or section is where the change lands: it is content.
    assert _id(HEAD + "@@ -40,2 +41,2 @@ def f():\n a\n-b\n+c\n") != _id(DISTINCT["plain"])


def test_rename_and_delete_plus_add_are_different_changes(git_repo) -> None:  # type: ignore[no-untyped-def]
    git_repo.write("old.py", "".join(f"line {i}\n" for i in range(20)))
    git_repo.commit("base")
    git_repo.git("mv", "old.py", "new.py")
    git_repo.commit("rename")
    renamed = subprocess.run(["git", "-C", str(git_repo.path), "format-patch", "--stdout", "-1", "-M"],
                             capture_output=True, check=True).stdout
    split = subprocess.run(["git", "-C", str(git_repo.path), "format-patch", "--stdout", "-1", "--no-renames"],
                           capture_output=True, check=True).stdout
    assert _id(renamed) != _id(split)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("changeid"), people=("alice", "bob", "dana"))
    made.repo.write("assets/logo.bin", b"\x00\x01\x02 logo")
    made.configure(plain_lines(made, "alice", "bob"))
    made.branch("logo", {}, "noop")
    made.repo.git("checkout", "-q", "logo")
    made.repo.write("assets/logo.bin", b"\x00\x01\x03 new logo")
    made.repo.commit("New logo")
    made.repo.git("checkout", "-q", "main")
    return made


@pytest.fixture
def fresh_db(world: World, tmp_path: Path) -> World:
    world.db_path, world._db = tmp_path / "gate.db", None
    return world


def test_a_binary_file_with_abbreviated_ids_is_refused_by_the_gate(fresh_db: World, tmp_path: Path) -> None:
    """``git diff`` prints binary files as ``index 8352675..1592e5c`` and no content: under that id any
    file with those 7-hex prefixes would pass. The gate fails closed instead."""
    world = fresh_db
    abbreviated = tmp_path / "logo.diff"
    abbreviated.write_bytes(world.repo.git("diff", "main", "logo", "--", "assets/logo.bin").encode())
    assert "Binary files" in abbreviated.read_text()
    code, out = world.cli_gate_json(str(abbreviated))
    assert code == 2 and "assets/logo.bin: a binary file without full blob ids" in out["error"]
    no_index = tmp_path / "noindex.diff"
    no_index.write_text("diff --git a/assets/logo.bin b/assets/logo.bin\n"
                        "Binary files a/assets/logo.bin and b/assets/logo.bin differ\n")
    assert world.cli_gate_json(str(no_index))[0] == 2


def test_a_full_index_binary_patch_binds_its_content_through_git(fresh_db: World, tmp_path: Path) -> None:
    """With full ids the content is bound: swapping the literal data under the approved index line keeps
    the change id (the data is not hashed), but ``git apply`` refuses the result it does not match."""
    world = fresh_db
    full = world.repo.git("diff", "--binary", "main", "logo", "--", "assets/logo.bin")
    (approved,) = parse_patch(full.encode(), "full.diff")
    assert approved.files[0].binary and len(approved.files[0].new_blob or "") == 40
    world.repo.git("checkout", "-q", "-b", "other-logo", "main")
    world.repo.write("assets/logo.bin", b"\x07\x07 evil logo")
    other = world.repo.git("diff", "--binary", "--", "assets/logo.bin")
    world.repo.git("checkout", "-q", "--", "assets/logo.bin")
    world.repo.git("checkout", "-q", "main")
    world.repo.git("branch", "-q", "-D", "other-logo")
    head, _, _ = full.partition("GIT binary patch")
    forged = head + "GIT binary patch" + other.partition("GIT binary patch")[2]
    assert _id(forged) == _id(full)
    patch = tmp_path / "forged.diff"
    patch.write_text(forged)
    # Where git has the approved blob, it applies that blob and ignores the data; elsewhere it checks the
    # data's result against the full id and refuses. Either way only the approved content can land.
    clean = init_repo(tmp_path / "clean")
    clean.write("assets/logo.bin", b"\x00\x01\x02 logo")
    clean.commit("base")
    proc = subprocess.run(["git", "-C", str(clean.path), "apply", str(patch)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "creates incorrect result" in proc.stderr
    world.repo.git("checkout", "-q", "-b", "apply-forged", "main")
    try:
        world.repo.git("apply", str(patch))
        assert (world.repo.path / "assets/logo.bin").read_bytes() == b"\x00\x01\x03 new logo"
    finally:
        world.repo.git("checkout", "-q", "-f", "main")
        world.repo.git("branch", "-q", "-D", "apply-forged")


def test_an_mbox_passes_only_if_every_patch_is_approved(fresh_db: World, tmp_path: Path) -> None:
    world = fresh_db
    world.branch("series", {"docs/one.md": "one\n"}, "First")
    world.repo.git("checkout", "-q", "series")
    world.repo.write("docs/two.md", "two\n")
    world.repo.commit("Second")
    world.repo.git("checkout", "-q", "main")
    mbox = subprocess.run(["git", "-C", str(world.repo.path), "format-patch", "--stdout", "main..series"],
                          capture_output=True, check=True).stdout
    patch = tmp_path / "series.mbox"
    patch.write_bytes(mbox)
    first, second = parse_patch(mbox, "series.mbox")
    world.sign("alice", change_id(first))
    code, out = world.cli_gate_json(str(patch))
    assert code == 1 and out["approved"] is False
    assert [c["approved"] for c in out["changes"]] == [True, False]
    world.sign("alice", change_id(second), at="2026-11-29T10:01:00Z")
    assert world.cli_gate_json(str(patch))[0] == 0


def test_a_malformed_patch_fails_closed(fresh_db: World, tmp_path: Path) -> None:
    """More lines than the hunk header announces: git apply would ignore them, the parser refuses."""
    world = fresh_db
    patch = tmp_path / "long.diff"
    patch.write_text(HEAD + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n-x\n+y\n")
    code, out = world.cli_gate_json(str(patch))
    assert code == 2 and "long.diff" in out["error"]
    with pytest.raises(UserError):
        parse_patch(patch.read_bytes(), "long.diff")


# --- position: an identical hunk in another block of the same file ----------------------------------

_BLOCK = ("  web:\n    image: shop:1.4\n    replicas: 3\n    port: 8080\n    debug: false\n    timeout: 30\n"
          "    retries: 2\n    log_level: info\n    memory: 512Mi\n")
DEPLOY = "staging:\n" + _BLOCK + "production:\n" + _BLOCK


def _edit_block(text: str, block: str) -> str:
    """``timeout: 30`` -> ``timeout: 5`` under ``block:`` only; the hunk's lines are the same in both blocks."""
    head, _, rest = text.partition(block + ":\n")
    return head + block + ":\n" + rest.replace("timeout: 30", "timeout: 5", 1)


@pytest.fixture(scope="module")
def decoy_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("decoy"), people=("alice", "bob", "dana"))
    made.repo.write("deploy/web.yaml", DEPLOY, dedent=False)
    made.configure(plain_lines(made, "alice", "bob"))
    made.branch("decoy", {"deploy/web.yaml": _edit_block(DEPLOY, "staging")}, "Shorter timeout in staging")
    made.branch("real", {"deploy/web.yaml": _edit_block(DEPLOY, "production")}, "Shorter timeout in production")
    return made


def _bodies(change_text: str) -> list[str]:
    """The hunks without their ``@@`` lines: what version 1 of the canonical form hashed."""
    return [hunk.split("\n", 1)[1] for hunk in change_text.split("\n@@ ")[1:]]


def test_an_identical_hunk_in_another_block_gets_another_id(decoy_world: World) -> None:
    world = decoy_world
    decoy = world.repo.git("diff", "main", "decoy")
    real = world.repo.git("diff", "main", "real")
    # The attack is real: the same lines, only the block around them differs (git's heading says which).
    assert _bodies(decoy) == _bodies(real) and len(_bodies(real)) == 1
    assert "@@ staging:" in decoy and "@@ production:" in real
    assert _id(decoy) != _id(real)
    assert world.analysis("git:main..decoy")["change_id"] == _id(decoy)
    assert world.analysis("git:main..real")["change_id"] == _id(real)


def test_an_approval_of_the_decoy_does_not_count_for_production(decoy_world: World, tmp_path: Path) -> None:
    world = decoy_world
    world.db_path, world._db = tmp_path / "gate.db", None
    decoy = world.analysis("git:main..decoy")
    assert not blocking_findings(decoy)  # no finding fires: only the id stands between the two
    world.sign("alice", decoy["change_id"])
    world.sign("bob", decoy["change_id"], at="2026-11-29T10:01:00Z")
    assert world.cli_gate_json("--git", "main..decoy")[0] == 0
    code, out = world.cli_gate_json("--git", "main..real")
    assert code == 1 and out["approved"] is False


def test_lines_inserted_above_keep_the_id(decoy_world: World, tmp_path: Path) -> None:
    """A pure shift (upstream added lines above both blocks) keeps the heading and so the id."""
    world = decoy_world
    shifted = "# owned by the web team\n# see the runbook\n\n" + DEPLOY
    repo = init_repo(tmp_path / "shifted")
    repo.write("deploy/web.yaml", shifted, dedent=False)
    repo.commit("base")
    repo.write("deploy/web.yaml", _edit_block(shifted, "production"), dedent=False)
    repo.commit("Shorter timeout in production")
    moved = repo.git("diff", "HEAD~1", "HEAD")
    original = world.repo.git("diff", "main", "real")
    assert moved.split("@@")[1] != original.split("@@")[1]  # the line numbers really moved
    assert _id(moved) == _id(original)
