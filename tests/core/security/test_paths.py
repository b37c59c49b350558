"""Red team: hand-made path spellings that git applies to one file while a matcher may see another.

``git apply`` writes ``payments//charge.py`` to ``payments/charge.py``. Today's matchers happen to
cope (pathspec normalises it for policy ``paths`` and risk globs; the service index walks its
folders), but every present and future matcher (CODEOWNERS, exact-path rules, ``.reviewer/``
detection) would have to. Git never writes such paths, so the gate refuses them (exit 2):
defence in depth rather than a demonstrated bypass.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .world import STRICT_POLICY, World, make_world, plain_lines

PAYMENTS_RULE = '''
[[rules]]
name = "Payments code"
when = { paths = ["payments/**"] }
require = { approvals = 2, min_level = "senior" }
'''


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("paths"), people=("alice", "bob", "dana"))
    made.repo.write("payments/charge.py", "def charge(amount):\n    return amount\n")
    made.configure(plain_lines(made, "alice", "bob"), policy=STRICT_POLICY + PAYMENTS_RULE)
    return made


def _patch(path: str) -> str:
    return (f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
            "@@ -1,2 +1,2 @@\n def charge(amount):\n-    return amount\n+    return amount * 0\n")


def test_the_honest_spelling_needs_the_payments_rule(world: World, tmp_path: Path) -> None:
    patch = tmp_path / "honest.diff"
    patch.write_text(_patch("payments/charge.py"))
    code, out = world.cli_gate_json(str(patch))
    assert code == 1 and [r["rule"] for r in out["requirements"]] == ["Payments code"]


@pytest.mark.parametrize("spelling", ["payments//charge.py", "payments/./charge.py", "./payments/charge.py",
                                      "payments\\charge.py"])
def test_a_path_git_would_normalise_is_refused(world: World, tmp_path: Path, spelling: str) -> None:
    patch = tmp_path / "sneaky.diff"
    patch.write_text(_patch(spelling))
    world.sign("alice", _change_id(patch))  # one approval: would be enough for a matcher that missed the rule
    code, out = world.cli_gate_json(str(patch))
    assert code == 2 and out["approved"] is False and "not a canonical repository path" in out["error"]


def test_git_apply_really_writes_the_double_slash_path_to_the_real_file(world: World, tmp_path: Path) -> None:
    """Why the spelling matters: git applies it to payments/charge.py."""
    patch = tmp_path / "sneaky.diff"
    patch.write_text(_patch("payments//charge.py"))
    proc = subprocess.run(["git", "-C", str(world.repo.path), "apply", "--numstat", "--check", str(patch)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "payments/charge.py" in proc.stdout


def _change_id(patch: Path) -> str:
    from reviewer_app.core.changeid import change_id
    from reviewer_app.core.diffparse import parse_patch

    (change,) = parse_patch(patch.read_bytes(), str(patch))
    return change_id(change)
