"""Two classes of real-history noise, in real git repositories:

* a revert of work no release contained restores migrations as a release shipped them: every
  installation of that release applied them already, so their findings are lowered (a revert of a
  released change, an old commit, or a repository without releases keeps them);
* a Go struct that drops its own encoding method but embeds a type of its package that has one
  still encodes through it (Go promotes the embedded type's methods): low, not a wire-format break.
"""

from __future__ import annotations

from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.risk.engine import evaluate
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.history import lower_restored, restored_by_revert
from tests.core.risk.structure.helpers import RULES, by_rule, risk_findings
from tests.gitrepo import GitRepo

DAY0 = "2026-01-02T03:04:05Z"
DAY3 = "2026-01-05T03:04:05Z"
YEAR_LATER = "2027-01-05T03:04:05Z"

CLEANUP_SQL = "DROP TABLE legacy_orders;\nALTER TABLE orders RENAME COLUMN total TO amount;\n"
SQUASHED_SQL = "CREATE TABLE orders (id bigint primary key, amount numeric);\n"
CLEANUP_PY = """from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [('orders', '0001_initial')]

    operations = [
        migrations.DeleteModel(
            name='LegacyOrder',
        ),
    ]
"""
SQUASHED_PY = """from django.db import migrations


class Migration(migrations.Migration):

    replaces = [
        ('orders', '0001_initial'),
        ('orders', '0002_cleanup'),
    ]
    operations = []
"""


def _squash_then_revert(repo: GitRepo, *, tag_squash: bool = False, revert_date: str = DAY3,
                        tag_release: bool = True) -> str:
    """v1.0 ships the historical migrations; a squash replaces them; a revert brings them back."""
    repo.write_files({"db/migrations/0002_cleanup.sql": CLEANUP_SQL,
                      "shop/orders/migrations/0002_cleanup.py": CLEANUP_PY, "README.md": "shop\n"})
    repo.commit("historical migrations", date=DAY0)
    if tag_release:
        repo.git("tag", "v1.0")
    repo.write_files({"db/migrations/0002_cleanup.sql": None, "db/migrations/0001_squashed.sql": SQUASHED_SQL,
                      "shop/orders/migrations/0002_cleanup.py": None,
                      "shop/orders/migrations/0001_squashed.py": SQUASHED_PY})
    squash = repo.commit("Squash migrations", date=DAY0)
    if tag_squash:
        repo.git("tag", "v1.1", date=DAY0)
    repo.git("revert", "--no-edit", squash, date=revert_date)
    return squash


def _head_change(repo: GitRepo):  # noqa: ANN202 - a Change
    return load_git_range(repo.path, "HEAD~1..HEAD")


def _analysis(repo: GitRepo) -> dict:
    from reviewer_app.core.analysis import analyze
    from reviewer_app.core.workspace import Workspace

    return analyze(_head_change(repo), Workspace(repo.path), rules=RULES).to_dict()


# -- reverts of unreleased work ------------------------------------------------------------------

def test_a_revert_of_an_unreleased_squash_restores_the_released_migrations(git_repo: GitRepo) -> None:
    _squash_then_revert(git_repo)
    restored = restored_by_revert(git_repo.path, _head_change(git_repo))
    assert "as released in v1.0" in restored["db/migrations/0002_cleanup.sql"]
    assert "as released in v1.0" in restored["shop/orders/migrations/0002_cleanup.py"]
    assert "which no release" in restored["db/migrations/0001_squashed.sql"]  # deleted, never released
    assert "README.md" not in restored  # untouched


def test_sql_findings_on_a_migration_restored_as_released_are_low(git_repo: GitRepo) -> None:
    _squash_then_revert(git_repo)
    found = risk_findings(_analysis(git_repo))
    drops = by_rule(found, "DB-DROP-TABLE")
    sql = [f for f in drops if f["path"].endswith(".sql")]
    assert sql and all(f["severity"] == "low" for f in sql)
    assert "restores db/migrations/0002_cleanup.sql as released in v1.0" in sql[0]["message"]
    assert all(f["severity"] == "low" for f in by_rule(found, "DB-RENAME") if f["path"].endswith(".sql"))


def test_the_engine_hook_lowers_django_migration_findings_restored_as_released(git_repo: GitRepo) -> None:
    _squash_then_revert(git_repo)
    change = _head_change(git_repo)
    # the engine applies the lowering itself (it would be critical without it)
    drops = [f for f in evaluate(change, RULES) if f.path.endswith("0002_cleanup.py") and f.rule == "DB-DROP-TABLE"]
    assert [f.severity for f in drops] == ["low"]
    assert "as released in v1.0" in drops[0].message


def test_a_revert_of_a_released_change_keeps_its_findings(git_repo: GitRepo) -> None:
    _squash_then_revert(git_repo, tag_squash=True)  # v1.1 shipped the squash: undoing it is new to v1.1
    assert restored_by_revert(git_repo.path, _head_change(git_repo)) == {}
    drops = [f for f in by_rule(risk_findings(_analysis(git_repo)), "DB-DROP-TABLE") if f["path"].endswith(".sql")]
    assert [f["severity"] for f in drops] == ["critical"]


def test_a_revert_of_an_old_commit_or_in_a_repository_without_releases_keeps_its_findings(
        git_repo: GitRepo, tmp_path) -> None:  # noqa: ANN001
    _squash_then_revert(git_repo, revert_date=YEAR_LATER)
    assert restored_by_revert(git_repo.path, _head_change(git_repo)) == {}
    from tests.gitrepo import init_repo

    untagged = init_repo(tmp_path / "untagged")
    _squash_then_revert(untagged, tag_release=False)
    assert restored_by_revert(untagged.path, _head_change(untagged)) == {}


def test_code_restored_as_released_keeps_its_findings(git_repo: GitRepo) -> None:
    """A revert may bring back a bug the reverted commit fixed: only migration findings are lowered."""
    code = Finding("ERR-HANDLING-REMOVED", "high", "notify/sns.go", "new", 3, 0, 0, "an error is dropped", "", "line")
    migration = Finding("DB-DROP-TABLE", "critical", "db/0002.sql", "new", 1, 0, 0, "dropped", "", "line")
    restored = {"notify/sns.go": "restores notify/sns.go as released in v1.0",
                "db/0002.sql": "restores db/0002.sql as released in v1.0"}
    lowered = lower_restored(None, _noop_change(), [code, migration], restored=restored)
    assert [f.severity for f in lowered] == ["high", "low"]


def _noop_change():  # noqa: ANN202 - a Change with no files
    from tests.core.risk.diffs import change_of

    return change_of()


# -- Go: an encoding method promoted from an embedded type ----------------------------------------

RANGES = """package timeinterval

// InclusiveRange holds the beginning and end of a range.
type InclusiveRange struct {
\tBegin int
\tEnd   int
}

// MonthRange is a range of months.
type MonthRange struct {
\tInclusiveRange
}

// MarshalYAML writes a month range as names.
func (r MonthRange) MarshalYAML() (interface{}, error) {
\treturn "january:march", nil
}
"""
INCLUSIVE_MARSHAL = """
// MarshalYAML writes a range as numbers.
func (ir InclusiveRange) MarshalYAML() (interface{}, error) {
\treturn "1:3", nil
}
"""
OWN_MARSHAL = RANGES[RANGES.index("// MarshalYAML writes a month"):]


def _wire(repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> list[dict]:
    repo.write_files(before)
    repo.commit("before")
    repo.write_files(after)
    repo.commit("after")
    return by_rule(risk_findings(_analysis(repo)), "GO-WIRE-FORMAT-METHOD-REMOVED")


def test_an_encoding_dropped_where_an_embedded_type_has_one_is_low(git_repo: GitRepo) -> None:
    before = RANGES + INCLUSIVE_MARSHAL
    found = _wire(git_repo, {"timeinterval/timeinterval.go": before},
                  {"timeinterval/timeinterval.go": before.replace(OWN_MARSHAL, "")})
    assert [f["severity"] for f in found] == ["low"]
    assert "embeds `InclusiveRange`, whose `MarshalYAML`" in found[0]["message"]


def test_the_embedded_types_encoding_is_found_in_another_file_of_the_package(git_repo: GitRepo) -> None:
    other = "package timeinterval\n" + INCLUSIVE_MARSHAL
    found = _wire(git_repo, {"timeinterval/timeinterval.go": RANGES, "timeinterval/yaml.go": other},
                  {"timeinterval/timeinterval.go": RANGES.replace(OWN_MARSHAL, "")})
    assert [f["severity"] for f in found] == ["low"]


def test_an_encoding_dropped_with_no_embedded_encoder_still_breaks_the_wire_format(git_repo: GitRepo) -> None:
    # InclusiveRange has no MarshalYAML of its own; another package's type with one does not count.
    other = "package other\n" + INCLUSIVE_MARSHAL
    found = _wire(git_repo, {"timeinterval/timeinterval.go": RANGES, "timeinterval/sub/yaml.go": other},
                  {"timeinterval/timeinterval.go": RANGES.replace(OWN_MARSHAL, "")})
    assert [f["severity"] for f in found] == ["high"]
    assert "loses its custom encoding" in found[0]["message"]


def test_two_embedded_encoders_promote_neither(git_repo: GitRepo) -> None:
    """Go promotes no method two embedded types at the same depth both declare (an ambiguous selector)."""
    second = ("\n// Names is a list of names.\ntype Names struct{}\n\n// MarshalYAML writes names.\n"
              "func (n Names) MarshalYAML() (interface{}, error) { return nil, nil }\n")
    before = RANGES.replace("\tInclusiveRange\n}\n\n// MarshalYAML writes a month",
                            "\tInclusiveRange\n\tNames\n}\n\n// MarshalYAML writes a month") + INCLUSIVE_MARSHAL + second
    found = _wire(git_repo, {"timeinterval/timeinterval.go": before},
                  {"timeinterval/timeinterval.go": before.replace(OWN_MARSHAL, "")})
    assert [f["severity"] for f in found] == ["high"]
