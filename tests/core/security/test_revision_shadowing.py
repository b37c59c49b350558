"""Red team: a ref the attacker can create must not choose the base (and so the policy) the gate reads.

git resolves a short name by trying ``refs/<name>``, ``refs/tags/<name>``, ``refs/heads/<name>``,
``refs/remotes/<name>`` and ``refs/remotes/<name>/HEAD`` in that order. A junior who can push a tag
named ``origin/main`` makes ``origin/main`` mean their commit in every fresh CI clone; before the fix
``gate --git origin/main..HEAD --fetch`` read that commit's policy (no approvals) and exited 0.
Every variant here is checked against git itself first (git really resolves the name to the
attacker's commit), then against the gate, which must refuse the name and name the candidates.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewer_app.core.approvals.gate import resolve_base
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.revisions import resolve_commit, resolve_revision
from reviewer_app.errors import UserError
from tests.cli import run_cli
from tests.gitrepo import GitRepo

from .world import STRICT_POLICY, World, make_world, plain_lines

# What the attacker's commit says: nothing needs an approval.
PERMISSIVE_POLICY = STRICT_POLICY.split("[defaults]")[0] + '[defaults]\napprovals = 0\nmin_level = "senior"\n'


@dataclass
class Clone:
    """A fresh CI clone of the team's remote, on the change under review."""

    repo: GitRepo
    remote: Path
    main: str  # the real base: refs/remotes/origin/main
    permissive: str  # the attacker's commit
    feature: str


def _git(path: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("shadow"), people=("alice", "bob", "dana"))
    made.configure(plain_lines(made, "alice", "bob"))
    made.branch("feature", {"app/payments.py": "def charge(amount):\n    return amount * 2\n"}, "Double charge")
    made.branch("permissive", {".reviewer/policy.toml": PERMISSIVE_POLICY}, "Tidy policy")
    return made


@pytest.fixture
def clone(world: World, tmp_path: Path) -> Clone:
    """The team's bare remote with the attacker's tag ``origin/main`` pushed, cloned fresh as CI does."""
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(world.repo.path, "push", "-q", str(remote), "main", "feature")
    _git(world.repo.path, "push", "-q", str(remote), "permissive:refs/tags/origin/main")
    ci = tmp_path / "ci"
    _git(tmp_path, "clone", "-q", str(remote), str(ci))
    _git(ci, "checkout", "-q", "feature")
    repo = GitRepo(ci)
    return Clone(repo, remote, main=_git(ci, "rev-parse", "refs/remotes/origin/main"),
                 permissive=_git(world.repo.path, "rev-parse", "permissive"), feature=_git(ci, "rev-parse", "HEAD"))


def _gate(clone: Clone, tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    proc = run_cli("gate", "--repo", clone.repo.path, "--format", "json", *args, db=tmp_path / "ci.db")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def _git_picks(clone: Clone, name: str) -> str:
    """What git's own guess makes of ``name`` (with its ambiguity warning, which nobody reads in CI)."""
    return _git(clone.repo.path, "rev-parse", "--verify", f"{name}^{{commit}}")


def test_a_pushed_tag_named_origin_main_is_refused_end_to_end(clone: Clone, tmp_path: Path) -> None:
    assert _git_picks(clone, "origin/main") == clone.permissive  # the attack as git sees it
    code, out, err = _gate(clone, tmp_path, "--git", "origin/main..HEAD", "--fetch")
    assert code == 2 and out["approved"] is False
    assert "ambiguous" in err and "refs/tags/origin/main" in err and "refs/remotes/origin/main" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_full_ref_reads_the_real_base(clone: Clone, tmp_path: Path) -> None:
    """The documented recipe: the real policy (one senior) judges the change, which nobody approved."""
    code, out, err = _gate(clone, tmp_path, "--git", "refs/remotes/origin/main..HEAD", "--fetch")
    assert code == 1, err
    assert out["base"] == clone.main and out["approved"] is False


def test_base_option_takes_the_same_path(clone: Clone, tmp_path: Path) -> None:
    patch = tmp_path / "feature.patch"
    patch.write_text(_git(clone.repo.path, "format-patch", "--stdout", "-1", "HEAD") + "\n")
    code, out, err = _gate(clone, tmp_path, str(patch), "--base", "origin/main")
    assert code == 2 and "--base origin/main" in err and "refs/tags/origin/main" in err
    code, out, err = _gate(clone, tmp_path, str(patch), "--base", "refs/remotes/origin/main")
    assert code == 1 and out["base"] == clone.main, err
    # The in-process entry point the GUI and CI share, too.
    with pytest.raises(UserError, match="ambiguous"):
        resolve_base(clone.repo.path, str(patch), "origin/main")


def test_analyze_submit_and_catalog_take_the_same_path(clone: Clone, tmp_path: Path) -> None:
    for command in ("analyze", "submit"):
        proc = run_cli(command, "--repo", clone.repo.path, "--git", "origin/main..HEAD", db=tmp_path / "a.db")
        assert proc.returncode == 2 and "refs/tags/origin/main" in proc.stderr, proc.stderr
    proc = run_cli("catalog", "check", "--repo", clone.repo.path, "--revision", "origin/main")
    assert proc.returncode == 2 and "--revision: 'origin/main' is ambiguous" in proc.stderr, proc.stderr
    assert load_git_range(clone.repo.path, "refs/remotes/origin/main..HEAD").base == clone.main


@pytest.mark.parametrize(("shadow", "name"), [
    ("refs/tags/main", "main"),  # a tag named like the local branch: tags come before heads
    ("refs/heads/origin/main", "origin/main"),  # a local branch named like the remote-tracking one
    ("refs/origin/main", "origin/main"),  # refs/<name> comes first of all
    ("refs/tags/heads/main", "heads/main"),  # refs/heads/main spelled short loses to a tag
])
def test_every_shadowing_ref_makes_the_name_ambiguous(clone: Clone, tmp_path: Path, shadow: str, name: str) -> None:
    _git(clone.repo.path, "update-ref", shadow, clone.permissive)
    real = next(ref for ref in ("refs/heads/main", "refs/remotes/origin/main") if ref != shadow and ref.endswith(name))
    with pytest.raises(UserError, match="ambiguous") as exc:
        resolve_commit(clone.repo.path, name)
    assert shadow in exc.value.message and real in exc.value.message
    code, _, err = _gate(clone, tmp_path, "--git", f"{name}..HEAD")
    assert code == 2 and shadow in err
    assert resolve_commit(clone.repo.path, real) == clone.main  # the full name still works


def test_a_name_that_is_only_a_tag_is_refused_unless_written_in_full(clone: Clone, tmp_path: Path) -> None:
    clone.repo.git("tag", "-a", "-m", "release", "v1", clone.main)
    with pytest.raises(UserError, match=r"'v1' is a tag \(refs/tags/v1\)"):
        resolve_commit(clone.repo.path, "v1")
    assert resolve_commit(clone.repo.path, "refs/tags/v1") == clone.main  # annotated: peeled to the commit
    assert resolve_commit(clone.repo.path, "v1", allow_tags=True) == clone.main
    # the attacker's tag alone (no branch of that name) is refused too
    _git(clone.repo.path, "update-ref", "refs/tags/release/base", clone.permissive)
    code, _, err = _gate(clone, tmp_path, "--git", "release/base..HEAD")
    assert code == 2 and "is a tag" in err


def test_an_abbreviated_id_shadowed_by_a_branch_is_ambiguous(clone: Clone, tmp_path: Path) -> None:
    """A branch named like the base's abbreviated id wins in git (refs before objects)."""
    abbreviated = clone.main[:10]
    _git(clone.repo.path, "branch", abbreviated, clone.permissive)
    assert _git_picks(clone, abbreviated) == clone.permissive
    with pytest.raises(UserError, match="ambiguous") as exc:
        resolve_commit(clone.repo.path, abbreviated)
    assert f"refs/heads/{abbreviated}" in exc.value.message and clone.main in exc.value.message
    code, _, err = _gate(clone, tmp_path, "--git", f"{abbreviated}..HEAD")
    assert code == 2 and "ambiguous" in err
    # a full id is an id; a unique abbreviation nobody shadows is accepted
    assert resolve_commit(clone.repo.path, clone.main) == clone.main
    assert resolve_commit(clone.repo.path, clone.feature[:12]) == clone.feature


def test_a_full_id_that_is_also_a_ref_name_is_ambiguous(clone: Clone) -> None:
    _git(clone.repo.path, "update-ref", f"refs/heads/{clone.main}", clone.permissive)
    with pytest.raises(UserError, match="ambiguous"):
        resolve_commit(clone.repo.path, clone.main)


def test_an_abbreviation_matching_several_commits_is_refused(clone: Clone) -> None:
    """Two commits whose ids share four hex digits (found by hashing as git does, then written)."""
    import hashlib

    tree = _git(clone.repo.path, "rev-parse", "HEAD^{tree}")
    seen: dict[str, bytes] = {}
    number = 0
    while True:
        body = (f"tree {tree}\nauthor A <a@example.com> 0 +0000\ncommitter A <a@example.com> 0 +0000\n\n"
                f"try {number}\n").encode()
        oid = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
        if oid[:4] in seen:
            break
        seen[oid[:4]] = body
        number += 1
    for body_bytes in (seen[oid[:4]], body):
        written = subprocess.run(["git", "-C", str(clone.repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
                                 input=body_bytes, check=True, capture_output=True).stdout.decode().strip()
        assert written[:4] == oid[:4]
    with pytest.raises(UserError, match="2 commits have ids starting with it"):
        resolve_commit(clone.repo.path, oid[:4])
    # blobs never count: a blob whose id starts like a branch's name does not make the name ambiguous
    blob = subprocess.run(["git", "-C", str(clone.repo.path), "hash-object", "-w", "--stdin"], input=b"x\n",
                          check=True, capture_output=True).stdout.decode().strip()
    _git(clone.repo.path, "branch", blob[:8], clone.main)
    assert resolve_commit(clone.repo.path, blob[:8]) == clone.main


def test_steps_and_head_are_resolved_from_the_full_id(clone: Clone) -> None:
    revision = resolve_revision(clone.repo.path, "refs/remotes/origin/main~1")
    assert revision.ref == "refs/remotes/origin/main"
    assert revision.commit == _git(clone.repo.path, "rev-parse", f"{clone.main}~1")
    assert resolve_commit(clone.repo.path, "HEAD^") == clone.main
    assert resolve_commit(clone.repo.path, "HEAD") == clone.feature
    # a step after an ambiguous name does not make it less ambiguous
    with pytest.raises(UserError, match="ambiguous"):
        resolve_commit(clone.repo.path, "origin/main~1")


@pytest.mark.parametrize(("text", "fragment"), [
    ("@{upstream}", "reflog and upstream"),
    ("main@{1}", "reflog and upstream"),
    ("@", "reflog and upstream"),
    ("FETCH_HEAD", "pseudo-refs"),
    ("HEAD:app/payments.py", "not a valid ref name"),
    ("HEAD^{/Double}", "only ~N and ^N"),
    ("HEAD^!", "only ~N and ^N"),
    ("--output=x", "may not start with '-'"),
    ("refs/heads/nope", "no ref refs/heads/nope"),
    ("nope", "none of refs/nope"),
    ("~1", "expected a ref or a commit id"),
])
def test_other_revision_syntax_is_refused_with_a_clear_message(clone: Clone, text: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment.replace("(", r"\(").replace("^", r"\^")):
        resolve_commit(clone.repo.path, text)
