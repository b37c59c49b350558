"""Real diffs for risk tests: files committed in a real git repository, changed, and diffed by git."""

from __future__ import annotations

from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.model import Change
from tests.gitrepo import GitRepo


def git_change(repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> Change:
    """Commit ``before``, apply ``after`` (None deletes a file) and parse ``git diff`` of the result."""
    repo.write_files(dict(before))
    repo.commit("before")
    repo.write_files(after)
    repo.git("add", "-A")
    patch = repo.git("diff", "--cached", "-M", "HEAD").encode("utf-8")
    changes = parse_patch(patch, "test.diff")
    assert len(changes) == 1
    return changes[0]
