"""Data-rule classes from the judged draws (corpus/fresh-verdicts.csv): an existing bulk delete
whose line is edited for another reason (its return value), beside the bulk deletes that stay
flagged; and the reason a dropped column is raised to high says what was read (the lines added to
that migration file), not "the change", which may hold the data migration in another file.
Changes are committed in real git repositories; no rule is keyed to a commit, a repository or a
file name seen there.
"""

from __future__ import annotations

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

# -- ORM-MASS-DELETE: the edited line already made the same call on the same receiver ------------------

_ENDPOINT = '''from fastapi import APIRouter

router = APIRouter(prefix="/events")


@router.delete("")
async def delete_events(session=Depends(generate_session)):
    """Delete every event (admin only)."""
    db = get_database(session)
    BODY


@router.delete("/{id}")
async def delete_event(id: int, session=Depends(generate_session)):
    db = get_database(session)
    return db.events.delete(id)
'''


def _orm(git_repo: GitRepo, before: str, after: str) -> list:
    path = "app/routes/events.py"
    change = committed_change(git_repo, {path: _ENDPOINT.replace("BODY", before)},
                              {path: _ENDPOINT.replace("BODY", after)})
    return fired(change, "ORM-MASS-DELETE")


def test_an_existing_delete_all_whose_return_value_changes_is_low(git_repo: GitRepo) -> None:
    found = _orm(git_repo, "return db.events.delete_all()",
                 'db.events.delete_all()\n    return {"message": "All events deleted"}')
    assert [f.severity for f in found] == ["low"]
    assert "already did this before the change" in found[0].message


def test_a_delete_all_on_another_receiver_stays_high(git_repo: GitRepo) -> None:
    found = _orm(git_repo, "return db.events.delete_all()",
                 'db.users.delete_all()\n    return {"message": "All events deleted"}')
    assert [f.severity for f in found] == ["high"]


def test_a_filtered_delete_turned_into_a_delete_of_every_row_stays_high(git_repo: GitRepo) -> None:
    found = _orm(git_repo, "return Event.objects.filter(seen=True).delete()", "return Event.objects.all().delete()")
    assert [f.severity for f in found] == ["high"]


def test_a_new_delete_all_stays_high(git_repo: GitRepo) -> None:
    found = _orm(git_repo, "return db.events.count()", "return db.events.delete_all()")
    assert [f.severity for f in found] == ["high"]


def test_a_delete_from_on_another_table_stays_high(git_repo: GitRepo) -> None:
    found = _orm(git_repo, 'return session.execute("DELETE FROM events;")',
                 'session.execute("DELETE FROM users;")\n    return None')
    assert [f.severity for f in found] == ["high"]


# -- DB-DROP-COLUMN: the reason for high names what was read -------------------------------------------

_DROP = '''from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("extras", "0072_job_unique_name_data_migration")]

    operations = [
        migrations.RemoveField(
            model_name="job",
            name="slug",
        ),
    ]
'''


def test_the_reason_a_column_drop_is_high_says_other_files_are_not_read(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"extras/models.py": "# models\n"},
                              {"extras/migrations/0073_job_unique_name.py": _DROP})
    found = fired(change, "DB-DROP-COLUMN")
    assert [f.severity for f in found] == ["high"]
    assert "a data migration in another file is not read" in found[0].message
    assert "in the same change" not in found[0].message
