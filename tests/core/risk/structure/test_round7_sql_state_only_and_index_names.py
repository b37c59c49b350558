"""Django migrations whose operations leave tables and columns as they are.

* A DeleteModel (or RenameField) in a SeparateDatabaseAndState's ``state_operations`` changes
  Django's state only: no table is dropped, no column renamed. Its ``database_operations`` are
  what runs, and a DeleteModel there, or outside any SeparateDatabaseAndState, stays critical.
  Both orders of the two lists are read.
* Renaming an index, a sequence (ALTER SEQUENCE, or ALTER TABLE on a ``<table>_id_seq``) or a
  constraint changes no query: running code names tables and columns. Also when the SQL is one
  Python string split over two lines. A table or column renamed stays high.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

PATH = "app/contacts/migrations/0020_remove_membership.py"
BEFORE = {"app/contacts/migrations/__init__.py": ""}

STATE_FIRST = '''from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0019_comments'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='contact',
                    name='groups',
                    field=models.ManyToManyField(blank=True, related_name='contacts', to='contacts.contactgroup'),
                ),
                migrations.DeleteModel(
                    name='ContactGroupMembership',
                ),
            ],
            database_operations=[
                migrations.AlterModelTable(
                    name='ContactGroupMembership',
                    table='contacts_contact_groups',
                ),
            ],
        ),
    ]
'''

DATABASE_FIRST = STATE_FIRST.replace('''            state_operations=[
                migrations.AlterField(
                    model_name='contact',
                    name='groups',
                    field=models.ManyToManyField(blank=True, related_name='contacts', to='contacts.contactgroup'),
                ),
                migrations.DeleteModel(
                    name='ContactGroupMembership',
                ),
            ],
            database_operations=[
                migrations.AlterModelTable(
                    name='ContactGroupMembership',
                    table='contacts_contact_groups',
                ),
            ],
''', '''            database_operations=[
                migrations.AlterModelTable(
                    name='ContactGroupMembership',
                    table='contacts_contact_groups',
                ),
            ],
            state_operations=[
                migrations.DeleteModel(
                    name='ContactGroupMembership',
                ),
            ],
''')


def _found(git_repo: GitRepo, text: str, rule: str) -> list[tuple[str, int]]:
    found = risk_findings(range_analysis(git_repo, BEFORE, {PATH: text}))
    return [(f["severity"], f["line"]) for f in by_rule(found, rule)]


def test_a_delete_model_in_state_operations_drops_no_table(git_repo: GitRepo) -> None:
    assert _found(git_repo, STATE_FIRST, "DB-DROP-TABLE") == []


def test_state_operations_after_database_operations_are_read_too(git_repo: GitRepo) -> None:
    assert DATABASE_FIRST != STATE_FIRST
    assert _found(git_repo, DATABASE_FIRST, "DB-DROP-TABLE") == []


def test_a_delete_model_in_database_operations_stays_critical(git_repo: GitRepo) -> None:
    text = STATE_FIRST.replace('''                migrations.AlterModelTable(
                    name='ContactGroupMembership',
                    table='contacts_contact_groups',
                ),
''', '''                migrations.DeleteModel(
                    name='ContactGroupMembership',
                ),
''')
    assert _found(git_repo, text, "DB-DROP-TABLE") == [("critical", 24)]


def test_a_delete_model_after_the_separate_operation_stays_critical(git_repo: GitRepo) -> None:
    text = DATABASE_FIRST.replace("        ),\n    ]\n", "        ),\n        migrations.DeleteModel(\n            name='Legacy',\n        ),\n    ]\n")
    assert _found(git_repo, text, "DB-DROP-TABLE") == [("critical", 25)]


def test_a_plain_delete_model_stays_critical(git_repo: GitRepo) -> None:
    text = STATE_FIRST.split("    operations = [")[0] + "    operations = [\n        migrations.DeleteModel(\n            name='Legacy',\n        ),\n    ]\n"
    assert _found(git_repo, text, "DB-DROP-TABLE") == [("critical", 12)]


def test_a_rename_field_in_state_operations_renames_no_column(git_repo: GitRepo) -> None:
    text = STATE_FIRST.replace('''                migrations.DeleteModel(
                    name='ContactGroupMembership',
                ),
            ],''', '''                migrations.RenameField(
                    model_name='contactgroupmembership',
                    old_name='group',
                    new_name='contactgroup',
                ),
            ],''')
    assert _found(git_repo, text, "DB-RENAME") == []


RUN_SQL = '''from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dcim', '0227_speed'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "ALTER INDEX IF EXISTS dcim_rackgroup_pkey RENAME TO dcim_location_pkey",
                "ALTER SEQUENCE IF EXISTS dcim_rackgroup_id_seq RENAME TO dcim_location_id_seq",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            'ALTER TABLE contacts_membership_id_seq '
            'RENAME TO contacts_contact_groups_id_seq'
        ),
        migrations.RunSQL(
            'ALTER INDEX contacts_membership_pkey '
            'RENAME TO contacts_contact_groups_pkey'
        ),
        migrations.RunSQL(
            'ALTER TABLE contacts_contact_groups '
            'RENAME CONSTRAINT contacts_membership_contact_id_fk '
            'TO contacts_contact_groups_contact_id_fk'
        ),
    ]
'''


def test_index_sequence_and_constraint_names_renamed_are_no_rename(git_repo: GitRepo) -> None:
    assert _found(git_repo, RUN_SQL, "DB-RENAME") == []


def test_a_table_renamed_by_sql_split_over_two_lines_stays_high(git_repo: GitRepo) -> None:
    text = RUN_SQL[:-len("    ]\n")] + ("        migrations.RunSQL(\n            'ALTER TABLE contacts_membership '\n"
                                         "            'RENAME TO contacts_contact_groups'\n        ),\n    ]\n")
    assert _found(git_repo, text, "DB-RENAME") == [("high", 33)]


def test_a_column_renamed_after_an_index_rename_stays_high(git_repo: GitRepo) -> None:
    text = RUN_SQL.replace(
        '                "ALTER SEQUENCE IF EXISTS dcim_rackgroup_id_seq RENAME TO dcim_location_id_seq",\n',
        '                "ALTER INDEX dcim_rack_group_idx SET TABLESPACE fast",\n'
        '                "ALTER TABLE dcim_rack RENAME COLUMN group_id TO location_id",\n')
    assert _found(git_repo, text, "DB-RENAME") == [("high", 15)]


SQL_PATH = "db/migrations/0002_rename.sql"


def test_a_sequence_renamed_in_a_sql_file_is_no_rename(git_repo: GitRepo) -> None:
    after = "ALTER TABLE orders_old_id_seq RENAME TO orders_id_seq;\nALTER TABLE orders RENAME TO purchases;\n"
    found = risk_findings(range_analysis(git_repo, {"db/migrations/0001.sql": "SELECT 1;\n"}, {SQL_PATH: after}))
    assert [(f["severity"], f["line"]) for f in by_rule(found, "DB-RENAME")] == [("high", 2)]
