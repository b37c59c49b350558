"""A migration's down step in a file of its own (Diesel's ``<version>_<name>/down.sql`` beside ``up.sql``,
golang-migrate's ``<version>_<name>.down.sql`` beside ``.up.sql``) runs only when the migration is reverted:
its findings are capped at medium, saying so. The same statement in the up step, or in a down.sql with no
up step beside it, keeps its severity."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

UP = "CREATE TABLE captcha_answer (id serial PRIMARY KEY, answer text NOT NULL);\n"
DOWN = "DROP TABLE captcha_answer;\n"


def _drops(git_repo: GitRepo, after: dict[str, str]) -> list[dict]:
    found = risk_findings(range_analysis(git_repo, {"README.md": "x\n"}, after))
    return by_rule(found, "DB-DROP-TABLE")


def test_a_diesel_down_step_is_medium(git_repo: GitRepo) -> None:
    folder = "migrations/2023-06-21-153242_add_captcha"
    [found] = _drops(git_repo, {f"{folder}/up.sql": UP, f"{folder}/down.sql": DOWN})
    assert found["severity"] == "medium"
    assert "down.sql is this migration's down step (up.sql beside it" in found["message"]


def test_a_golang_migrate_down_step_is_medium(git_repo: GitRepo) -> None:
    [found] = _drops(git_repo, {"db/migrations/000012_captcha.up.sql": UP, "db/migrations/000012_captcha.down.sql": DOWN})
    assert found["severity"] == "medium"


def test_a_down_file_with_no_up_step_keeps_its_severity(git_repo: GitRepo) -> None:
    [found] = _drops(git_repo, {"ops/down.sql": DOWN})
    assert found["severity"] == "critical"


def test_the_up_step_keeps_its_severity(git_repo: GitRepo) -> None:
    folder = "migrations/2023-06-21-153242_drop_captcha"
    [found] = _drops(git_repo, {f"{folder}/up.sql": DOWN, f"{folder}/down.sql": UP})
    assert found["severity"] == "critical"
