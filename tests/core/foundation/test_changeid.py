"""The change id: stable across sources and rebases, sensitive to every reviewed byte."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from reviewer_app.core.changeid import canonical_bytes, change_id
from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.ingest import load_git_range
from tests.cli import run_cli
from tests.gitrepo import GitRepo


def _id(data: bytes) -> str:
    return change_id(parse_patch(data, "p")[0])


def _base(repo: GitRepo) -> None:
    repo.write("svc/app.py", "".join(f"def f{i}():\n    return {i}\n" for i in range(30)))
    repo.write("moved.py", "".join(f"x{i} = {i}\n" for i in range(30)))
    repo.write("tool.sh", "echo hi\n")
    repo.commit("base")


def _feature(repo: GitRepo) -> str:
    repo.write("svc/app.py", "".join(f"def f{i}():\n    return {i * (2 if i == 20 else 1)}\n" for i in range(30)))
    repo.git("mv", "moved.py", "renamed.py")
    (repo.path / "tool.sh").chmod(0o755)
    repo.write("new.txt", "no newline at end")
    return repo.commit("feature")


def test_same_commit_same_id_from_format_patch_git_diff_and_range(git_repo: GitRepo) -> None:
    _base(git_repo)
    _feature(git_repo)
    from_patch = _id(git_repo.format_patch())
    from_diff = _id(git_repo.git("diff", "HEAD~1", "HEAD").encode())
    from_range = change_id(load_git_range(git_repo.path, "HEAD~1..HEAD"))
    assert from_patch == from_diff == from_range
    assert from_patch.startswith("sha256:") and len(from_patch) == 7 + 64


def test_user_git_config_cannot_change_the_id_of_a_range(git_repo: GitRepo, tmp_path: Path, monkeypatch) -> None:
    _base(git_repo)
    _feature(git_repo)
    plain = change_id(load_git_range(git_repo.path, "HEAD~1..HEAD"))
    config = tmp_path / "gitconfig"
    config.write_text("[diff]\n\tnoprefix = true\n\talgorithm = histogram\n\tcontext = 10\n\trenames = false\n"
                      "[core]\n\tquotePath = false\n\tabbrev = 12\n"
                      '[diff "default"]\n\txfuncname = "^    return.*"\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    assert " @@     return " in git_repo.git("diff", "HEAD~1", "HEAD")  # git itself obeys the hostile heading rule
    assert change_id(load_git_range(git_repo.path, "HEAD~1..HEAD")) == plain


def test_the_pinned_heading_rule_is_gits_built_in_one(tmp_path: Path) -> None:
    """The tool pins the default heading rule as a pattern; on lines of every kind (non-ASCII, CR, tabs,
    longer than git's 80-byte cut) it must give exactly the headings of git's built-in rule."""
    import random

    from reviewer_app.core.gitcmd import PINNED_DIFF_OPTIONS, run_git
    from tests.gitrepo import init_repo

    rng = random.Random(7)
    starts = ["a", "Z", "_", "$", "1", " ", "\t", "\u00e9", "\u03a9", "#", "-", "", "x" * 90, "ab   ", "q\r", "k\t "]
    lines = [rng.choice(starts) + "".join(rng.choice("ab c\t\r$\u00e9_") for _ in range(rng.randint(0, 100)))
             for _ in range(3000)]
    repo = init_repo(tmp_path / "headings")
    repo.write("f.txt", "\n".join(lines) + "\n", dedent=False)
    repo.commit("base")
    for index in rng.sample(range(len(lines)), 200):
        lines[index] += " changed"
    repo.write("f.txt", "\n".join(lines) + "\n", dedent=False)
    repo.commit("edit")
    stock = subprocess.run(["git", "-C", str(repo.path), "diff", "--no-color", "HEAD~1", "HEAD"],
                           capture_output=True, check=True, env={**os.environ, "LC_ALL": "C.UTF-8"}).stdout
    pinned = run_git(repo.path, "diff", *PINNED_DIFF_OPTIONS, "HEAD~1", "HEAD").stdout
    headings = [line for line in stock.split(b"\n") if line.startswith(b"@@")]
    assert len(headings) > 50 and sum(not line.endswith(b"@@") for line in headings) > 40
    assert headings == [line for line in pinned.split(b"\n") if line.startswith(b"@@")]


def test_rebase_that_only_moves_lines_keeps_the_id(git_repo: GitRepo) -> None:
    _base(git_repo)
    git_repo.git("checkout", "-q", "-b", "feature")
    before = _id(git_repo.git("diff", "main", _feature(git_repo)).encode())
    git_repo.git("checkout", "-q", "main")
    # upstream adds lines at the top of the file: the feature's hunk moves down
    git_repo.write("svc/app.py", "# header\n# more\n" + (git_repo.path / "svc/app.py").read_text())
    git_repo.commit("upstream")
    git_repo.git("checkout", "-q", "feature")
    git_repo.git("rebase", "-q", "main")
    diff = git_repo.git("diff", "main", "feature")
    assert "@@ -40" in diff or "@@ -41" in diff  # the line numbers really moved
    assert _id(diff.encode()) == before


def test_every_reviewed_detail_changes_the_id(git_repo: GitRepo) -> None:
    _base(git_repo)
    _feature(git_repo)
    text = git_repo.git("diff", "HEAD~1", "HEAD")
    original = _id(text.encode())
    variants = {
        "added line": text.replace("+    return 40", "+    return 41"),
        "context line": text.replace(" def f20():", " def f20(): "),
        "path": text.replace("svc/app.py", "svc/other.py"),
        "mode": text.replace("new mode 100755", "new mode 100644"),
        "no newline marker": text.replace("\\ No newline at end of file\n", ""),
    }
    for name, variant in variants.items():
        assert variant != text, name
        if name == "no newline marker":
            assert _id(variant.encode()) != original, name
            continue
        assert _id(variant.encode()) != original, name


def test_index_lines_are_not_part_of_the_id(git_repo: GitRepo) -> None:
    _base(git_repo)
    _feature(git_repo)
    short = git_repo.git("diff", "HEAD~1", "HEAD")
    full = git_repo.git("diff", "--full-index", "HEAD~1", "HEAD")
    assert short != full
    assert _id(short.encode()) == _id(full.encode())


def test_canonical_form_is_documented_shape() -> None:
    [change] = parse_patch(b"--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n keep\n-old\n+new\n"
                           b"@@ -20,2 +20,2 @@ production:\n keep\n-old\n+new\n", "p")
    assert canonical_bytes(change) == (
        b"reviewer-app change-id v2\n"
        b'F ["f.txt","f.txt","modified",null,null,false,null,null]\n'
        b"@@\n keep\n-old\n+new\n"
        b"@@ production:\n keep\n-old\n+new\n"
    )


def test_the_heading_is_part_of_the_id_and_the_line_numbers_are_not() -> None:
    body = b" keep\n-old\n+new\n"
    head = b"--- a/f.txt\n+++ b/f.txt\n"
    staging = _id(head + b"@@ -3,2 +3,2 @@ staging:\n" + body)
    assert _id(head + b"@@ -30,2 +31,2 @@ staging:\n" + body) == staging
    assert _id(head + b"@@ -3,2 +3,2 @@ production:\n" + body) != staging
    assert _id(head + b"@@ -3,2 +3,2 @@\n" + body) != staging


def test_distinct_invalid_bytes_in_headings_give_distinct_ids() -> None:
    """git cuts a heading at 80 bytes, possibly inside a UTF-8 character: the bytes still count."""
    head, body = b"--- a/f\n+++ b/f\n", b"-a\n+b\n"
    one = _id(head + b"@@ -1 +1 @@ caf\xe9\n" + body)
    two = _id(head + b"@@ -1 +1 @@ caf\xe8\n" + body)
    assert one != two and one != _id(head + b"@@ -1 +1 @@ caf\n" + body)


_CLASSES = "".join(f"class C{i}:\n    def m(self):\n        return {i}\n" for i in range(12))


def _method_change(repo: GitRepo, attributes: str | None) -> str:
    if attributes is not None:
        repo.write(".gitattributes", attributes)
    repo.write("shapes.py", _CLASSES)
    repo.commit("base")
    repo.write("shapes.py", _CLASSES.replace("return 7", "return 70"))
    return repo.commit("change")


def test_a_range_uses_gits_default_heading_whatever_the_checkout_attributes_say(tmp_path: Path) -> None:
    """``*.py diff=python`` makes git head the hunk with the method, the default rule with the class.
    The tool's ranges neutralise attributes, so the id is that of a checkout without them."""
    from tests.gitrepo import init_repo

    with_driver = init_repo(tmp_path / "driver")
    _method_change(with_driver, "*.py diff=python\n")
    plain = init_repo(tmp_path / "plain")
    _method_change(plain, None)
    driver_diff = with_driver.git("diff", "HEAD~1", "HEAD")
    plain_diff = plain.git("diff", "HEAD~1", "HEAD")
    assert "@@ def m(self):" in driver_diff and "@@ class C6:" in plain_diff  # git really differs here
    ranged = change_id(load_git_range(with_driver.path, "HEAD~1..HEAD"))
    assert ranged == _id(plain_diff.encode()) == change_id(load_git_range(plain.path, "HEAD~1..HEAD"))
    assert ranged != _id(driver_diff.encode())


def test_distinct_invalid_bytes_give_distinct_ids() -> None:
    one = b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+caf\xe9\n"
    two = b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+caf\xe8\n"
    assert _id(one) != _id(two)


def test_same_id_via_subprocess_cli_stdin(git_repo: GitRepo) -> None:
    _base(git_repo)
    _feature(git_repo)
    patch = git_repo.format_patch()
    proc = run_cli("analyze", "-", "--format", "json", input=patch, cwd=git_repo.path)
    assert proc.returncode == 0, proc.stderr

    assert json.loads(proc.stdout)["change_id"] == _id(patch)


def test_yaml_hunks_are_headed_by_their_top_level_key(git_repo: GitRepo) -> None:
    """What docs/change-id.md promises for YAML, checked against git: the heading is the nearest
    column-0 key above the hunk (not the nested key, which a heading from the hunk alone cannot know)."""
    block = "".join(f"      k{i}: {i}\n" for i in range(8))
    text = f"# comment\nenvironments:\n  staging:\n    web:\n{block}  production:\n    web:\n{block}"
    git_repo.write("deploy.yaml", text, dedent=False)
    git_repo.commit("base")
    production = text.rpartition("production:")
    git_repo.write("deploy.yaml", production[0] + production[1] + production[2].replace("k4: 4", "k4: 40"), dedent=False)
    git_repo.commit("edit")
    diff = git_repo.git("diff", "HEAD~1", "HEAD")
    [hunk] = parse_patch(diff.encode(), "p")[0].files[0].hunks
    assert hunk.section == "environments:"
