"""Small changes for the diff view tests: built by git in a real repository, parsed by diffparse."""

from __future__ import annotations

from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.model import Change
from tests.gitrepo import GitRepo

BEFORE = """\
import os


def run(cmd):
    return os.system(cmd)


def total(values):
    result = 0
    for value in values:
        result += value
    return result
"""

AFTER = """\
import os
import subprocess


def run(cmd, *, shell=False):
    return subprocess.run(cmd, shell=True)


def total(values):
    result = 0
    for value in values:
      result += value
    return result
"""

# Trojan Source (CVE-2021-42574): a right-to-left override hides what the comparison really does.
TROJAN = 'access_level = "user"\nif access_level != "user\u202e \u2066// Check if admin\u2069 \u2066":\n    grant()\n'


def two_commit_change(repo: GitRepo, before: dict[str, str | bytes], after: dict[str, str | bytes | None]) -> Change:
    """Commit ``before``, then ``after`` (None deletes), and parse ``git format-patch`` of the second commit."""
    repo.write_files(dict(before))
    repo.commit("base")
    repo.write_files(after)
    repo.commit("change under review")
    changes = parse_patch(repo.format_patch(), "change.patch")
    assert len(changes) == 1
    return changes[0]


def sample_change(repo: GitRepo) -> Change:
    """Four files, in git's order: a Trojan Source line (app/auth.py), a modified Python file,
    a binary file and a rename without content changes."""
    before: dict[str, str | bytes] = {
        "app/main.py": BEFORE,
        "app/auth.py": 'access_level = "user"\n',
        "assets/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        "docs/old_name.md": "".join(f"line {n}\n" for n in range(40)),
    }
    change = two_commit_change(
        repo,
        before,
        {
            "app/main.py": AFTER,
            "assets/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1)),
            "docs/old_name.md": None,
            "docs/new_name.md": "".join(f"line {n}\n" for n in range(40)),
            "app/auth.py": TROJAN,
        },
    )
    return change
