"""The diff parser on real git output and on hand-made edge cases."""

from __future__ import annotations

import subprocess

import pytest

from reviewer_app.core.diffparse import escape_for_display, parse_patch
from reviewer_app.core.model import FileStatus, LineKind
from reviewer_app.errors import UserError
from tests.gitrepo import GitRepo


def _two_commits(repo: GitRepo) -> None:
    repo.write("app/a.txt", "one\ntwo\nthree\n")
    repo.write("moved.txt", "".join(f"line {i}\n" for i in range(40)))
    repo.write("gone.txt", "bye\n")
    repo.write("run.sh", "echo hi\n")
    repo.write("img.bin", b"\x00\x01\x02binary")
    repo.commit("init")
    repo.write("app/a.txt", "one\nTWO\nthree")  # also drops the final newline
    repo.git("mv", "moved.txt", "renamed.txt")
    repo.write("renamed.txt", "".join(f"line {i}\n" for i in range(40)) + "line 40\n")
    (repo.path / "gone.txt").unlink()
    (repo.path / "run.sh").chmod(0o755)
    repo.write("img.bin", b"\x00\x01\x03binary")
    repo.write("new file.txt", "hello\r\nworld\r\n")
    repo.write("latin.txt", "caf\xe9\n".encode("latin-1"))
    repo.commit("Rework things\n\nA body line.\n\nCo-authored-by: Pat Pair <pat@example.com>")


def test_format_patch_headers_files_and_statuses(git_repo: GitRepo) -> None:
    _two_commits(git_repo)
    [change] = parse_patch(git_repo.format_patch(), "x.patch")
    assert change.title == "Rework things"
    assert change.author.name == "Dana Dev" and change.author.email == "dana@example.com"
    assert change.author_date == "2026-01-02T03:04:05Z"
    assert "Co-authored-by: Pat Pair" in change.message
    assert change.head and len(change.head) == 40
    by_path = {f.path: f for f in change.files}
    assert by_path["app/a.txt"].status is FileStatus.MODIFIED
    assert by_path["renamed.txt"].status is FileStatus.RENAMED
    assert by_path["renamed.txt"].old_path == "moved.txt"
    assert by_path["gone.txt"].status is FileStatus.DELETED and by_path["gone.txt"].new_path is None
    assert by_path["run.sh"].mode_changed and by_path["run.sh"].new_mode == "100755"
    assert by_path["img.bin"].binary and len(by_path["img.bin"].new_blob or "") == 40
    assert by_path["new file.txt"].status is FileStatus.ADDED
    crlf = by_path["new file.txt"].hunks[0].lines
    assert [line.text for line in crlf] == ["hello\r", "world\r"]
    last = by_path["app/a.txt"].hunks[0].lines[-1]
    assert last.kind is LineKind.ADDED and last.text == "three" and last.no_newline


def test_line_numbers_follow_the_hunk_header(git_repo: GitRepo) -> None:
    _two_commits(git_repo)
    [change] = parse_patch(git_repo.format_patch(), "x.patch")
    hunk = next(f for f in change.files if f.path == "app/a.txt").hunks[0]
    assert [(l.kind.value, l.old_no, l.new_no) for l in hunk.lines] == [
        (" ", 1, 1), ("-", 2, None), ("-", 3, None), ("+", None, 2), ("+", None, 3)
    ]


def test_non_utf8_lines_keep_their_bytes_and_display_replacement(git_repo: GitRepo) -> None:
    _two_commits(git_repo)
    [change] = parse_patch(git_repo.format_patch(), "x.patch")
    line = next(f for f in change.files if f.path == "latin.txt").hunks[0].lines[0]
    assert line.text == "caf\ufffd"
    assert line.raw == b"caf\xe9"


def test_mbox_with_several_patches_gives_one_change_each(git_repo: GitRepo) -> None:
    git_repo.write("a.txt", "a\n")
    git_repo.commit("first")
    for n in range(3):
        git_repo.write("a.txt", f"a{n}\n")
        git_repo.commit(f"step {n}\n\nBody {n}.", author=(f"Author {n}", f"a{n}@example.com"))
    mbox = subprocess.run(["git", "-C", str(git_repo.path), "format-patch", "--stdout", "HEAD~3"],
                          capture_output=True, check=True).stdout
    changes = parse_patch(mbox, "series.mbox")
    assert [c.title for c in changes] == ["step 0", "step 1", "step 2"]
    assert [c.author.email for c in changes] == ["a0@example.com", "a1@example.com", "a2@example.com"]
    assert changes[1].message == "step 1\n\nBody 1."
    assert all(len(c.files) == 1 for c in changes)
    # each change keeps its own patch bytes, which parse back to the same change
    assert parse_patch(changes[2].raw, "again")[0].title == "step 2"


def test_plain_diff_u_output(tmp_path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    (old / "src").mkdir(parents=True)
    (new / "src").mkdir(parents=True)
    (old / "src" / "x.py").write_text("a = 1\nb = 2\n")
    (new / "src" / "x.py").write_text("a = 1\nb = 3\n")
    proc = subprocess.run(["diff", "-ru", "old", "new"], cwd=tmp_path, capture_output=True)
    [change] = parse_patch(proc.stdout, "plain.diff")
    [file] = change.files
    assert file.path == "src/x.py" and file.status is FileStatus.MODIFIED
    assert (file.added, file.removed) == (1, 1)
    assert change.title == "Change to src/x.py"


def test_quoted_paths_with_control_characters_are_unquoted_and_escaped_for_display(git_repo: GitRepo) -> None:
    git_repo.write("plain.txt", "x\n")
    git_repo.commit("init")
    git_repo.write("tab\there.txt", "x\n")
    git_repo.write("café.txt", "x\n")
    git_repo.commit("odd names")
    [change] = parse_patch(git_repo.format_patch(), "x.patch")
    paths = sorted(f.path for f in change.files)
    assert paths == ["café.txt", "tab\there.txt"]
    assert escape_for_display("tab\there\u202e.txt") == "tab\\x09here<U+202E>.txt"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty input"),
        (b"   \n\n", "empty input"),
        (b"this is not a diff\njust prose\n", "no diff found"),
        (bytes(range(256)) * 64, "binary data"),
        (b"x" * (10 * 1024 * 1024), "no diff found"),
        (b"--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n", "ends early"),
        (b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n", "more lines than the hunk header"),
        (b"--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n", "unsafe path"),
        (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@ bad\n@@ nonsense\n", "ends early"),
        (b"--- a/f\n+++ b/f\n@@ -x +1 @@\n", "malformed hunk header"),
    ],
)
def test_bad_input_gives_a_clear_located_error(data: bytes, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        parse_patch(data, "bad.patch")
    assert fragment in str(info.value)
    assert str(info.value).startswith("bad.patch")


def test_truncated_hunk_error_names_the_line() -> None:
    with pytest.raises(UserError) as info:
        parse_patch(b"--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n", "cut.patch")
    assert str(info.value).startswith("cut.patch:5:")


def test_binary_patch_literal_blocks_give_sizes(git_repo: GitRepo) -> None:
    git_repo.write("img.bin", b"\x00" * 100)
    git_repo.commit("init")
    git_repo.write("img.bin", b"\x00\x01" * 300)
    git_repo.commit("bigger")
    [change] = parse_patch(git_repo.format_patch(), "bin.patch")
    [file] = change.files
    assert file.binary and file.new_size == 600 and file.old_size == 100
