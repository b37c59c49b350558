"""CODEOWNERS: location order, last match wins, un-owning, and owners of paths no service claims."""

from __future__ import annotations

from tests.gitrepo import GitRepo

from reviewer_app.core.services import affected, load_catalog
from reviewer_app.core.services.codeowners import parse_codeowners
from reviewer_app.core.workspace import Workspace

RULES = """\
# Default owners for everything
*                       @acme/everyone
*.md                    @acme/docs docs@acme.example
/build/                 @acme/build
scripts/**/*.sh         @acme/ops
scripts/legacy/
docs/api\\#v2.md         @acme/api   # an escaped hash is part of the name
"""


def test_last_matching_rule_wins_and_an_ownerless_rule_unowns() -> None:
    warnings: list[str] = []
    codeowners = parse_codeowners(RULES, "CODEOWNERS", warnings)

    assert warnings == []
    assert codeowners.owners_of("src/main.py") == ["@acme/everyone"]
    assert codeowners.owners_of("guide/intro.md") == ["@acme/docs", "docs@acme.example"]
    assert codeowners.owners_of("build/out.o") == ["@acme/build"]
    assert codeowners.owners_of("src/build/out.o") == ["@acme/everyone"]  # /build/ is anchored
    assert codeowners.owners_of("scripts/deploy/run.sh") == ["@acme/ops"]
    assert codeowners.owners_of("scripts/legacy/run.sh") == []  # the later, ownerless line un-owns
    assert codeowners.owners_of("docs/api#v2.md") == ["@acme/api"]


def test_invalid_lines_are_skipped_with_file_and_line() -> None:
    warnings: list[str] = []
    codeowners = parse_codeowners("*.py @acme/py\n!secret.py @acme/sec\n*.go acme-team\n", ".github/CODEOWNERS", warnings)

    assert warnings == [
        ".github/CODEOWNERS:2: '!secret.py': negated patterns are not supported; line skipped",
        ".github/CODEOWNERS:3: 'acme-team' is not an owner (@user, @org/team or an e-mail); line skipped",
    ]
    assert [rule.line_no for rule in codeowners.rules] == [1]
    assert codeowners.owners_of("main.go") == []


def test_first_location_found_is_used(git_repo: GitRepo) -> None:
    git_repo.write("docs/CODEOWNERS", "* @from-docs\n")
    git_repo.write("CODEOWNERS", "* @from-root\n")
    git_repo.commit("two codeowners")
    assert load_catalog(Workspace(git_repo.path)).codeowners.owners_of("x") == ["@from-root"]

    git_repo.write(".github/CODEOWNERS", "* @from-github\n")
    git_repo.commit("github codeowners")
    catalog = load_catalog(Workspace(git_repo.path))
    assert catalog.codeowners is not None
    assert catalog.codeowners.source_file == ".github/CODEOWNERS"
    assert catalog.codeowners.owners_of("x") == ["@from-github"]
    # The base revision still has the root file only.
    old = load_catalog(Workspace(git_repo.path, revision="HEAD~1"))
    assert old.codeowners is not None and old.codeowners.source_file == "CODEOWNERS@HEAD~1"


def test_codeowners_owners_only_for_unowned_paths(git_repo: GitRepo) -> None:
    git_repo.write(".github/CODEOWNERS", "* @acme/everyone\nsvc/ @acme/svc-codeowners\ntools/ @acme/tools\n")
    git_repo.write("svc/catalog-info.yaml", "kind: Component\nmetadata: {name: svc}\nspec: {owner: svc-team}\n")
    git_repo.commit("catalog and codeowners")
    catalog = load_catalog(Workspace(git_repo.path))

    result = affected(catalog, ["svc/app.py", "tools/lint.sh", "README"])
    assert [s.name for s in result.direct] == ["svc"]
    assert result.unowned_paths == ["README", "tools/lint.sh"]
    # The service's owner speaks for svc/; CODEOWNERS only for what no service claims.
    assert result.owners == ["@acme/everyone", "@acme/tools", "svc-team"]
