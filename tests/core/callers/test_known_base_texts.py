"""Files only the change itself touches are read from the change, not by listing the whole base tree."""

from __future__ import annotations

import pytest

from reviewer_app.core import callers, services
from reviewer_app.core.callers import find_callers, search
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.workspace import Workspace
from tests.gitrepo import GitRepo

APP = """\
def greet(name):
    return 'hello ' + name


def main():
    return greet('world')
"""


def _report(git_repo: GitRepo):
    workspace = Workspace(git_repo.path)
    change = load_git_range(git_repo.path, "HEAD~1..HEAD")
    return find_callers(change, workspace, services.load_catalog(workspace))


def _uses(report):
    return [(s.symbol, [(u.path, u.line, u.snippet, u.in_change) for u in s.uses]) for s in report.symbols]


def test_a_function_used_only_in_its_own_file_lists_no_base_tree(git_repo: GitRepo,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("app.py", APP, dedent=False)
    git_repo.write("other.txt", "greet is mentioned here, not imported\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", APP.replace("'hello '", "'hello, '"), dedent=False)
    git_repo.commit("one line")
    full = _uses(_report(git_repo))  # the usual way, whatever it reads

    def no_listing(*args: object) -> None:
        raise AssertionError("the base tree was listed")

    monkeypatch.setattr("reviewer_app.core.callers.uses.blob_ids", no_listing)
    monkeypatch.setattr("reviewer_app.core.callers.uses._INDEXES", type(callers.uses._INDEXES)())
    assert _uses(_report(git_repo)) == full
    assert full == [("greet", [("app.py", 6, "return greet('world')", True)])]


def test_a_use_in_another_file_still_reads_the_base_tree(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("app.py", APP, dedent=False)
    git_repo.write("cli.py", "from app import greet\n\nprint(greet('you'))\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", APP.replace("'hello '", "'hello, '"), dedent=False)
    git_repo.commit("one line")
    listed: list[str] = []
    real = search.blob_ids

    def counting(repo, tree):  # type: ignore[no-untyped-def]
        listed.append(tree)
        return real(repo, tree)

    monkeypatch.setattr("reviewer_app.core.callers.uses.blob_ids", counting)
    uses = dict(_uses(_report(git_repo)))["greet"]
    assert ("cli.py", 1, "from app import greet", False) in uses and ("cli.py", 3, "print(greet('you'))", False) in uses
    assert listed
