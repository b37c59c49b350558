"""Ingestion from files, stdin and git ranges."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reviewer_app.core.ingest import load_changes, load_git_range
from reviewer_app.errors import UserError
from tests.gitrepo import GitRepo


def _branch_with_two_commits(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("a.txt", "a\nb\n")
    repo.commit("Add b\n\nCo-Authored-By: Claude <noreply@anthropic.com>", author=("Ivy", "ivy@example.com"))
    repo.write("c.txt", "c\n")
    repo.commit("Add c", author=("Ivy", "ivy@example.com"))
    repo.git("checkout", "-q", "main")
    repo.write("z.txt", "upstream moved on\n")
    repo.commit("upstream")


def test_range_is_diffed_from_the_merge_base_and_keeps_messages(git_repo: GitRepo) -> None:
    _branch_with_two_commits(git_repo)
    change = load_git_range(git_repo.path, "main..topic")
    assert sorted(change.paths) == ["a.txt", "c.txt"]  # not z.txt: that is upstream's
    assert change.title == "Add b (+1 more commit)"
    assert "Co-Authored-By: Claude" in change.message
    assert [c.subject for c in change.commits] == ["Add b", "Add c"]
    assert change.author.email == "ivy@example.com"
    assert change.base and change.head and change.source == "git:main..topic"


def test_stored_range_patch_parses_back_to_the_same_change(git_repo: GitRepo) -> None:
    from reviewer_app.core.changeid import change_id
    from reviewer_app.core.diffparse import parse_patch

    _branch_with_two_commits(git_repo)
    change = load_git_range(git_repo.path, "main..topic")
    [again] = parse_patch(change.raw, "stored")
    assert change_id(again) == change_id(change)
    assert again.title == change.title and again.author.email == "ivy@example.com"


@pytest.mark.parametrize(
    ("range_text", "fragment"),
    [
        ("main..nope", "unknown revision 'nope'"),
        ("--output=x..main", "may not start with"),
        ("main", "expected a range"),
        ("main..main", "no changes"),
    ],
)
def test_bad_ranges_are_clear_errors(git_repo: GitRepo, range_text: str, fragment: str) -> None:
    _branch_with_two_commits(git_repo)
    with pytest.raises(UserError, match=fragment):
        load_git_range(git_repo.path, range_text)


def test_files_and_stdin(tmp_path: Path) -> None:
    patch = b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
    (tmp_path / "p.diff").write_bytes(patch)
    assert load_changes(str(tmp_path / "p.diff"))[0].files[0].path == "f"
    assert load_changes("-", stdin=io.BytesIO(patch))[0].source == "<stdin>"
    with pytest.raises(UserError, match="no such file"):
        load_changes(str(tmp_path / "missing.diff"))
    with pytest.raises(UserError, match="is a directory"):
        load_changes(str(tmp_path))


def test_checked_out_attributes_cannot_hide_a_script_as_binary(git_repo: GitRepo) -> None:
    git_repo.write("ops/run.sh", "echo safe\n")
    git_repo.commit("init")
    git_repo.git("checkout", "-q", "-b", "sneaky")
    git_repo.write(".gitattributes", "*.sh -diff\n")
    git_repo.write("ops/run.sh", "rm -rf /var/lib/postgresql/data\n")
    git_repo.commit("tidy")
    # git itself, in this checkout, hides the script
    assert "Binary files" in git_repo.git("diff", "main", "sneaky")
    change = load_git_range(git_repo.path, "main..sneaky")
    script = next(f for f in change.files if f.path == "ops/run.sh")
    assert not script.binary
    assert [line.text for line in script.hunks[0].lines if line.kind.value == "+"] == ["rm -rf /var/lib/postgresql/data"]


def test_replace_refs_cannot_swap_the_content_of_a_range(git_repo: GitRepo) -> None:
    """``git replace`` makes this clone show another commit in place of the real one; the range is
    the real commits' content, what a push or merge ships."""
    git_repo.write("app.py", "safe = True\n")
    git_repo.commit("init")
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.write("app.py", "safe = False\n")
    real = git_repo.commit("The real change")
    git_repo.git("checkout", "-q", "-b", "decoy", "main")
    git_repo.write("app.py", "safe = True  # reviewed\n")
    decoy = git_repo.commit("A harmless comment")
    git_repo.git("replace", real, decoy)
    assert "reviewed" in git_repo.git("diff", "main", "topic")  # git itself now shows the decoy
    change = load_git_range(git_repo.path, "main..topic")
    assert change.head == real
    assert [line.text for line in change.files[0].hunks[0].lines if line.kind.value == "+"] == ["safe = False"]
