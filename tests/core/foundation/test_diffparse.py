"""The diff parser on real git output and on hand-made edge cases."""

from __future__ import annotations

import subprocess

import pytest

from reviewer_app.core.diffparse import escape_for_display, is_mbox_from_line, parse_patch
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


# --- what git would read differently is refused (docs/git-parity.md) --------------------------------

def _mail(headers: str, body: str) -> bytes:
    return (f"From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001\nFrom: Dana <dana@example.com>\n"
            f"Subject: [PATCH] x\n{headers}\n{body}").encode()


_DIFF = "---\ndiff --git a/f b/f\nindex 1111111..2222222 100644\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"


@pytest.mark.parametrize(("headers", "fragment", "line"), [
    ("Content-Transfer-Encoding: base64\n", "Content-Transfer-Encoding base64 is not supported", 4),
    ("Content-Transfer-Encoding: quoted-printable\n", "quoted-printable is not supported", 4),
    ("Content-Transfer-Encoding: 8bit; x=base64\n", "is not supported", 4),
    ("MIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary=\"b\"\n", "MIME multipart message", 5),
    ("Content-Type: text/plain; boundary=b\n", "MIME multipart message", 4),
    ("Content-Type: text/plain; format=flowed\n", "format=flowed", 4),
    ("Content-Type: application/octet-stream\n", "Content-Type application/octet-stream", 4),
    ("X.Odd_Name: v\nContent-Transfer-Encoding: base64\n", "not supported", 5),
    ("Content-Transfer-Encoding: 8bit\ncontent-transfer-encoding: 7bit\n", "repeated", 5),
])
def test_mail_git_mailinfo_would_decode_is_refused(headers: str, fragment: str, line: int) -> None:
    with pytest.raises(UserError) as info:
        parse_patch(_mail(headers, _DIFF), "m.mbox")
    assert fragment in str(info.value) and str(info.value).startswith(f"m.mbox:{line}:")


def test_plain_mail_encodings_parse() -> None:
    headers = "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
    [change] = parse_patch(_mail(headers, _DIFF), "m.mbox")
    assert change.title == "x" and [f.path for f in change.files] == ["f"]


def test_the_commit_message_ends_where_git_mailinfo_ends_it() -> None:
    """A "--- a/f" line starts the patch for git mailinfo, separator or not: it is not message text."""
    body = "Body.\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n\n" + _DIFF
    [change] = parse_patch(_mail("", body), "m.mbox")
    assert change.message == "x\n\nBody." and sorted(f.path for f in change.files) == ["f", "g"]


def test_git_show_message_is_only_the_indented_block() -> None:
    show = ("commit " + "a" * 40 + "\nAuthor: Dana <dana@example.com>\nDate:   Mon Sep 17 00:00:00 2001 +0000\n\n"
            "    Subject\n\n    Body\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n\n" + _DIFF[4:])
    [change] = parse_patch(show.encode(), "show.txt")
    assert change.title == "Subject" and sorted(f.path for f in change.files) == ["f", "g"]


@pytest.mark.parametrize("candidate", [
    "From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001",
    "From someone Tue Jan  2 03:04:05 2024", "From me at 12:30:45 80", "From a b 1:2:3 2024",
    "From nobody", "From: a@example.com", "From x 12:30:45 1991", "From x 12:30:4 1999",
])
def test_messages_split_where_git_mailsplit_splits(tmp_path, candidate: str) -> None:  # type: ignore[no-untyped-def]
    """The mbox split mirrors git's is_from_line; git mailsplit itself is the oracle (no blank line needed)."""
    body = "Body\n" + _DIFF
    data = _mail("", body) + f"{candidate}\nFrom: Eve <eve@example.com>\nSubject: y\n\n{_DIFF}".encode()
    (tmp_path / "in.mbox").write_bytes(data)
    (tmp_path / "out").mkdir()
    proc = subprocess.run(["git", "mailsplit", "-b", f"-o{tmp_path / 'out'}", str(tmp_path / "in.mbox")],
                          capture_output=True, check=True, text=True)
    assert len(parse_patch(data, "in.mbox")) == int(proc.stdout.strip())
    assert is_mbox_from_line(candidate) == (int(proc.stdout.strip()) == 2)


def _binary_patch(git_repo: GitRepo) -> str:
    git_repo.write("img.bin", b"\x00" * 100)
    git_repo.write("f", "a\n")
    git_repo.commit("init")
    git_repo.write("img.bin", b"\x00\x01" * 300)
    git_repo.commit("bigger")
    return git_repo.format_patch().decode()


@pytest.mark.parametrize("where", ["after the last block", "between the blocks", "after the signature"])
def test_content_after_binary_data_is_refused_unless_git_and_we_both_see_it(git_repo: GitRepo, where: str) -> None:
    patch = _binary_patch(git_repo)
    hidden = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
    if where == "after the last block":
        data = patch.replace("\n-- \n", "\n" + hidden + "-- \n")
    elif where == "between the blocks":
        second = patch.index("\nliteral ", patch.index("literal ") + 1) + 1
        data = patch[:second] + hidden + "\n" + patch[second:]
    else:  # after the signature the parser keeps reading, as git apply does: the diff is part of the change
        data = patch + hidden
        [change] = parse_patch(data.encode(), "bin.patch")
        assert sorted(f.path for f in change.files) == ["f", "img.bin"]
        return
    with pytest.raises(UserError, match=r"^bin.patch:\d+: unexpected line after the binary data of img.bin"):
        parse_patch(data.encode(), "bin.patch")


def test_binary_data_must_be_framed_as_git_writes_it(git_repo: GitRepo) -> None:
    patch = _binary_patch(git_repo)
    with pytest.raises(UserError, match="expected 'literal N' or 'delta N'"):
        parse_patch(patch.replace("literal 600", "literally 600").encode(), "bin.patch")
    with pytest.raises(UserError, match="malformed binary patch data"):
        parse_patch(patch.replace("\nliteral 600\n", "\nliteral 600\nnot base85 at all\n").encode(), "bin.patch")


def test_git_log_with_a_binary_file_before_the_next_commit_parses(git_repo: GitRepo) -> None:
    _binary_patch(git_repo)
    git_repo.write("f", "b\n")
    git_repo.commit("third")
    log = git_repo.git("log", "-p", "--binary", "--full-index", "-2")
    [change] = parse_patch(log.encode(), "log.txt")
    assert {f.path for f in change.files} == {"f", "img.bin"}


@pytest.mark.parametrize(("patch", "fragment"), [
    ("diff --git a/f b/f\nx-extra: 1\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n", "unknown line"),
    ("diff --git a/f b/f\nindex 12..34 10644\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n", "malformed index line"),
    ("diff --git a/f b/f\nold mode 644\nnew mode 100755\n", "malformed file mode"),
    ("diff --git a/f b/g\nindex 1111111..2222222 100644\n--- a/f\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n",
     "names two different files"),
    ("diff --git a/f b/f\nindex 1111111..2222222 100644\n--- a/f\n+++ b/h\n@@ -1 +1 @@\n-a\n+b\n", "disagree"),
    ("diff --git a/f b/f\nindex 1111111..2222222 100644\n--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+b\n", "disagree"),
    ("diff --git a/f b/f\n\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n", "nothing after it"),
    ("--- a/f\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n", "name different files"),
    ("--- f\n+++ f\n@@ -1 +1 @@\n-a\n+b\n", "need a leading directory"),
    ("--- a/f 2024-01-01 10:00:00\n+++ b/f 2024-01-01 10:00:00\n@@ -1 +1 @@\n-a\n+b\n", "ends like a timestamp"),
])
def test_headers_git_would_read_otherwise_are_refused(patch: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment):
        parse_patch(patch.encode(), "odd.patch")


def test_legacy_rename_lines_and_same_prefix_traditional_names_parse() -> None:
    [change] = parse_patch(b"diff --git a/old b/new\nsimilarity index 100%\nrename old old\nrename new new\n", "r.patch")
    assert [(f.old_path, f.new_path, f.status) for f in change.files] == [("old", "new", FileStatus.RENAMED)]
    # git apply -p1 drops the first directory whatever it is: "same/x" is x, as for diff -ru's old/ and new/.
    [change] = parse_patch(b"--- same/x\t2024-01-01\n+++ same/x\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n", "p.patch")
    assert [f.path for f in change.files] == ["x"]
