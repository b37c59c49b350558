"""Red team: risky content spelled so the risk engine misses it needs fewer approvals at the gate.

Found: the rule engine's pre-filter ran a rule's regex only within two lines of a literal it
requires, but 47 of the 64 built-in patterns can match a newline (``\\s+``). ``DROP`` and
``TABLE users;`` three lines apart is a valid SQL statement that the full regex finds and the
windowed scan did not: the change was judged low risk and needed one approval instead of two.
Fixed in core/risk: a pattern that can span lines is scanned as far from its literal as a match
can reach (docs/risk-rules.md, "Where a pattern matches" and "Speed");
tests/core/risk/test_spanning.py covers the engine side.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .world import World, make_world, plain_lines

SPLIT_DROP = "".join(f"-- step {i}\n" for i in range(40)) + "DROP\n\n\n\nTABLE users;\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("evasion"), people=("alice", "bob", "dana"))
    made.configure(plain_lines(made, "alice", "bob"))
    made.branch("one-line", {"db/migrations/0042_drop.sql": "DROP TABLE users;\n"}, "Drop users")
    made.branch("split", {"db/migrations/0042_drop.sql": SPLIT_DROP}, "Tidy migration")
    return made


def test_a_drop_table_on_one_line_is_critical(world: World) -> None:
    verdict = world.gate("git:main..one-line").verdicts[0]
    assert verdict.summary["risk_level"] == "critical"
    assert [(r.rule, r.needed) for r in verdict.requirements] == [("High risk", 2)]


def test_a_drop_table_split_over_lines_is_just_as_critical(world: World, tmp_path: Path) -> None:
    verdict = world.gate("git:main..split").verdicts[0]
    assert verdict.summary["risk_level"] == "critical"
    assert [(r.rule, r.needed) for r in verdict.requirements] == [("High risk", 2)]


@pytest.fixture(scope="module")
def attributes_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A branch that marks shell scripts ``-diff`` in its own .gitattributes and adds a destructive script."""
    made = make_world(tmp_path_factory.mktemp("attributes"), people=("alice", "bob", "dana"))
    made.configure(plain_lines(made, "alice", "bob"))
    made.branch("hidden", {".gitattributes": "*.sh -diff\n",
                           "deploy/cleanup.sh": "#!/bin/sh\nrm -rf /var/lib/postgres/data\n"}, "Deploy helper")
    made.branch("visible", {"deploy/cleanup.sh": "#!/bin/sh\nrm -rf /var/lib/postgres/data\n"}, "Deploy helper")
    made.repo.write("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR tiny")
    made.repo.commit("logo", author=("Alice", "alice@example.com"))
    made.base = made.repo.git("rev-parse", "HEAD").strip()
    made.branch("image", {}, "noop")
    made.repo.git("checkout", "-q", "image")
    made.repo.write("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR new logo")
    made.repo.commit("New logo")
    made.repo.git("checkout", "-q", "main")
    return made


def test_a_script_hidden_as_binary_by_gitattributes_is_judged_critical(attributes_world: World) -> None:
    """CI checks out the pull request, whose own ``*.sh -diff`` makes git print the script as a binary
    patch. Ranges are diffed without the checkout's attributes, so the rules see ``rm -rf`` anyway."""
    world = attributes_world
    visible = world.gate("git:main..visible").verdicts[0]
    assert visible.summary["risk_level"] == "critical"  # what the script really is
    world.repo.git("checkout", "-q", "hidden")
    try:
        assert "Binary files" in world.repo.git("diff", "main", "hidden")  # git itself hides it here
        verdict = world.gate("git:main..hidden").verdicts[0]
        code, out, _ = world.cli("gate", "--repo", str(world.repo.path), "--git", "main..hidden")
    finally:
        world.repo.git("checkout", "-q", "main")
    assert verdict.summary["risk_level"] == "critical"  # the rules saw rm -rf
    assert not verdict.summary.get("hidden_content")
    assert [(r.rule, r.needed) for r in verdict.requirements] == [("High risk", 2)]
    assert code == 1


def test_a_hand_made_binary_patch_of_a_text_file_is_judged_critical(attributes_world: World, tmp_path: Path) -> None:
    """The same script as a ``GIT binary patch`` in a patch file whose blob the repository does not hold."""
    world = attributes_world
    world.repo.git("checkout", "-q", "hidden")
    try:
        # diffing the work tree computes the new blob id without storing the blob
        world.repo.write("deploy/cleanup.sh", "#!/bin/sh\nrm -rf /srv/backups\n", dedent=False)
        patch = world.repo.git("diff", "--binary", "main", "--", "deploy/cleanup.sh")
    finally:
        world.repo.git("checkout", "-q", "-f", "main")
    assert "GIT binary patch" in patch
    new_blob = patch.split("index ", 1)[1].split()[0].split("..")[1]
    missing = subprocess.run(["git", "-C", str(world.repo.path), "cat-file", "-e", new_blob], check=False)
    assert missing.returncode != 0  # so the gate must read the content from the patch's own data
    from reviewer_app.core.binarypatch import binary_contents

    assert binary_contents(patch.encode())[new_blob] == b"#!/bin/sh\nrm -rf /srv/backups\n"
    path = tmp_path / "hidden.patch"
    path.write_text(patch)
    code, out = world.cli_gate_json(str(path))
    assert code == 1 and out["analysis"]["hidden_content"] == ["deploy/cleanup.sh"]
    assert out["analysis"]["judged_as"] == "critical"


def test_a_real_binary_file_is_not_hidden_content(attributes_world: World) -> None:
    verdict = attributes_world.gate("git:main..image").verdicts[0]
    assert verdict.summary["hidden_content"] == []
    assert verdict.summary["judged_as"] == verdict.summary["risk_level"]


def test_a_submodule_bump_is_judged_critical(tmp_path: Path) -> None:
    """A submodule's new commit can hold any code; the diff shows one ``Subproject commit`` line."""
    world = make_world(tmp_path, people=("alice", "bob", "dana"))
    library = make_world(tmp_path / "lib", people=("dana",)).repo
    first = library.git("rev-parse", "HEAD").strip()
    library.write("evil.sh", "rm -rf /\n", dedent=False)
    second = library.commit("more", author=("Mallory", "mallory@example.com"))
    world.repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library.path), "lib")
    world.repo.git("-C", "lib", "checkout", "-q", first)
    world.configure(plain_lines(world, "alice", "bob"))
    world.repo.git("checkout", "-q", "-b", "bump")
    world.repo.git("-C", "lib", "checkout", "-q", second)
    world.repo.commit("Bump lib")
    world.repo.git("checkout", "-q", "--recurse-submodules", "main")
    verdict = world.gate("git:main..bump").verdicts[0]
    assert verdict.summary["hidden_content"] == ["lib"] and verdict.summary["judged_as"] == "critical"
    assert [(r.rule, r.needed) for r in verdict.requirements] == [("High risk", 2)]
