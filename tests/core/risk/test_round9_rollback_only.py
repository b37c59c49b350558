"""A migration line only a rollback runs, in the Alembic forms seen on real history: a column
dropped in ``downgrade() -> None`` (whose drop the rule raises to high: the reverse step is read
whatever raised it), inside ``op.batch_alter_table``, or in a helper only ``downgrade()`` calls;
beside the same drops in the forward step, which stay high. Changes are committed in real git
repositories; no rule is keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

import pytest

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

_REVISION = '''"""add normalized names

Revision ID: 5ab1
Revises: 1616
"""
import sqlalchemy as sa
from alembic import op

revision = "5ab1"
down_revision = "1616"
HELPERS

def upgrade() -> None:
    UPGRADE


def downgrade() -> None:
    DOWNGRADE
'''

_ADD = 'op.add_column("recipes", sa.Column("name_normalized", sa.String(), nullable=True))'
_DROP = 'op.drop_column("recipes", "name_normalized")'
_BATCH_DROP = 'with op.batch_alter_table("recipes", schema=None) as batch_op:\n        batch_op.drop_column("name_normalized")'
_HELPER = '\n\ndef _drop_normalized() -> None:\n    op.drop_column("recipes", "name_normalized")\n\n'


def _drops(git_repo: GitRepo, upgrade: str, downgrade: str, helpers: str = "\n") -> list:
    text = _REVISION.replace("HELPERS", helpers).replace("UPGRADE", upgrade).replace("DOWNGRADE", downgrade)
    change = committed_change(git_repo, {"app/models.py": "# models\n"}, {"alembic/versions/5ab1_normalized.py": text})
    return fired(change, "DB-DROP-COLUMN")


@pytest.mark.parametrize("downgrade", [_DROP, _BATCH_DROP, _BATCH_DROP.replace("batch_op", "batch")])
def test_a_column_dropped_in_downgrade_is_medium_though_the_rule_raised_it(git_repo: GitRepo, downgrade: str) -> None:
    found = _drops(git_repo, _ADD, downgrade)
    assert [f.severity for f in found] == ["medium"]
    assert "downgrade(), the Alembic revision's reverse step" in found[0].message


def test_a_column_dropped_in_a_helper_only_downgrade_calls_is_medium(git_repo: GitRepo) -> None:
    found = _drops(git_repo, _ADD, "_drop_normalized()", _HELPER)
    assert [f.severity for f in found] == ["medium"]
    assert "_drop_normalized(), called only from downgrade()" in found[0].message


def test_a_helper_the_upgrade_also_calls_stays_high(git_repo: GitRepo) -> None:
    found = _drops(git_repo, "_drop_normalized()", "_drop_normalized()", _HELPER)
    assert [f.severity for f in found] == ["high"]


@pytest.mark.parametrize("upgrade", [_DROP, _BATCH_DROP, _BATCH_DROP.replace("batch_op", "batch")])
def test_a_column_dropped_in_upgrade_stays_high(git_repo: GitRepo, upgrade: str) -> None:
    assert [f.severity for f in _drops(git_repo, upgrade, _ADD)] == ["high"]


def test_a_helper_called_at_module_level_stays_high(git_repo: GitRepo) -> None:
    found = _drops(git_repo, _ADD, "_drop_normalized()", _HELPER + "_drop_normalized()\n")
    assert [f.severity for f in found] == ["high"]


_DJANGO = '''from django.db import migrations


def _forget(ApiToken):
    ApiToken.objects.filter(name="Default Token").delete()


def copy_tokens(apps, schema_editor):
    ApiToken = apps.get_model("app", "ApiToken")
    ApiToken.objects.create(key="k", name="Default Token")


def remove_copies(apps, schema_editor):
    FORGET


class Migration(migrations.Migration):

    dependencies = [("app", "0052_apitoken")]

    operations = [
        migrations.RunPython(copy_tokens, remove_copies),
    ]
'''


@pytest.mark.parametrize(("reverse", "forward", "severity"), [
    ('_forget(apps.get_model("app", "ApiToken"))', "", "medium"),
    ('_forget(apps.get_model("app", "ApiToken"))', '    _forget(ApiToken)\n', "high"),
])
def test_a_django_helper_only_the_reverse_step_calls(git_repo: GitRepo, reverse: str, forward: str, severity: str) -> None:
    text = _DJANGO.replace("FORGET", reverse).replace('name="Default Token")\n\n\ndef remove', 'name="Default Token")\n' + forward + '\n\ndef remove')
    change = committed_change(git_repo, {"app/models.py": "# models\n"}, {"app/migrations/0053_copy_tokens.py": text})
    assert [f.severity for f in fired(change, "DB-DATA-MIGRATION-DELETE")] == [severity]


def test_a_downgrade_the_upgrade_calls_stays_high(git_repo: GitRepo) -> None:
    # Alembic runs downgrade() by name on a rollback; an upgrade() that calls it runs its drop on every upgrade.
    found = _drops(git_repo, "downgrade()", _DROP)
    assert [f.severity for f in found] == ["high"]


_DJANGO_CLASS_STEPS = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("trophies", "0003_load_initial_trophies")]

    def create_record_trophy(apps, schema_editor):
        Trophy = apps.get_model("trophies", "Trophy")
        Trophy.objects.create(name="Personal Record")

    def remove_record_trophy(apps, schema_editor):
        Trophy = apps.get_model("trophies", "Trophy")
        Trophy.objects.filter(name="Personal Record").delete()

    operations = [
        migrations.RunPython(FORWARD, REVERSE),
    ]
'''


@pytest.mark.parametrize(("forward", "reverse", "severity"), [
    ("create_record_trophy", "remove_record_trophy", "medium"),   # the delete runs only on a rollback
    ("remove_record_trophy", "create_record_trophy", "high"),     # the delete is the forward step
])
def test_steps_defined_in_the_migration_class_body(git_repo: GitRepo, forward: str, reverse: str, severity: str) -> None:
    text = _DJANGO_CLASS_STEPS.replace("FORWARD", forward).replace("REVERSE", reverse)
    change = committed_change(git_repo, {"trophies/models.py": "# models\n"}, {"trophies/migrations/0004_record.py": text})
    found = fired(change, "DB-DATA-MIGRATION-DELETE")
    assert [f.severity for f in found] == [severity]
