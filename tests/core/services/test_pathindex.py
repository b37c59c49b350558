"""Path ownership: folder prefixes, globs, the most specific match, ties."""

from __future__ import annotations

from tests.gitrepo import GitRepo

from reviewer_app.core.services.pathindex import PathIndex, literal_folder
from reviewer_app.core.services.reading import read_texts
from reviewer_app.core.workspace import Workspace


def test_literal_folders_are_recognised() -> None:
    assert literal_folder("services/pricing/") == "services/pricing"
    assert literal_folder("/services/pricing/**") == "services/pricing"
    assert literal_folder("./x") == "x"
    assert literal_folder("/") == ""
    assert literal_folder("**") == ""
    assert literal_folder("services/*/db") is None
    assert literal_folder("*.sql") is None


def test_most_specific_pattern_wins() -> None:
    index = PathIndex()
    index.add("monolith", "/")
    index.add("pricing", "services/pricing/")
    index.add("pricing-sql", "services/pricing/**/*.sql")  # a glob longer than the folder
    index.add("schemas", "*.proto")  # no slash: any depth, but short
    index.add("api", "services/pricing/api/")

    assert index.owners("docs/readme.md") == ["monolith"]
    assert index.owners("services/pricing/app.py") == ["pricing"]
    assert index.owners("services/pricing/db/001.sql") == ["pricing-sql"]
    assert index.owners("services/pricing/api/v1.proto") == ["api"]  # folder (20) beats *.proto (7)
    assert index.owners("protos/v1.proto") == ["schemas"]  # *.proto (7) beats the root (0)
    assert index.owners("services/pricingx/a.py") == ["monolith"]  # a prefix is a whole folder name


def test_ties_are_shared_and_files_can_be_owned() -> None:
    index = PathIndex()
    index.add("a", "lib/")
    index.add("b", "lib")
    index.add("c", "lib/setup.py")
    assert index.owners("lib/x.py") == ["a", "b"]
    assert index.owners("lib/setup.py") == ["c"]
    assert index.owners("other") == []
    assert index.add("bad", "!lib/") is False  # a negation owns nothing


def test_bulk_reading_from_a_revision_matches_single_reads(git_repo: GitRepo) -> None:
    git_repo.write("a/catalog-info.yaml", "first\n")
    git_repo.write("b/catalog-info.yaml", "caf\u00e9\n")
    git_repo.write("empty", "")
    git_repo.commit("files")
    workspace = Workspace(git_repo.path, revision="HEAD")
    paths = ["a/catalog-info.yaml", "missing.yaml", "a", "b/catalog-info.yaml", "empty"]

    texts = read_texts(workspace, paths)
    assert texts == {"a/catalog-info.yaml": "first\n", "missing.yaml": None, "a": None,
                     "b/catalog-info.yaml": "caf\u00e9\n", "empty": ""}
    assert texts == {path: Workspace(git_repo.path, revision="HEAD").read_text(path) for path in paths}
