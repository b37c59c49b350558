"""Line-rule classes of false alarm from judged draw G (corpus/fresh-verdicts.csv), each beside the
danger of the same rule that must still be flagged: certificate checks skipped towards a loopback
address, a migration line only a rollback runs, and a test file deleted with the feature it tested.
Changes are committed in real git repositories; no rule is keyed to a commit, a repository or a file
name seen there.
"""

from __future__ import annotations

import pytest

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

# -- TLS-VERIFY-DISABLED: a statement whose every target is a loopback address -----------------------

_GULP = """import gulp from 'gulp';

gulp.task('kubeconfig-set-cluster-local', ['download-kubectl'], function (doneFn) {
    executeKubectlCommand('config set-cluster local --server=SERVER ' +
        '--insecure-skip-tls-verify=true', doneFn);
});
"""


def _tls(git_repo: GitRepo, path: str, text: str) -> list:
    change = committed_change(git_repo, {"README.md": "tools\n"}, {path: text})
    return fired(change, "TLS-VERIFY-DISABLED")


def test_skipping_verification_of_a_loopback_dev_cluster_is_medium(git_repo: GitRepo) -> None:
    found = _tls(git_repo, "build/cluster.js", _GULP.replace("SERVER", "http://127.0.0.1:8080"))
    assert [f.severity for f in found] == ["medium"]
    assert "Lowered to medium" in found[0].message and "loopback address (127.0.0.1)" in found[0].message


def test_skipping_verification_of_any_other_host_stays_high(git_repo: GitRepo) -> None:
    found = _tls(git_repo, "build/cluster.js", _GULP.replace("SERVER", "https://10.20.0.5:6443"))
    assert [f.severity for f in found] == ["high"]


@pytest.mark.parametrize(("line", "severity"), [
    ('    resp = requests.get("https://localhost:8443/healthz", verify=False)', "medium"),
    ('    resp = requests.get("https://[::1]:8443/healthz", verify=False)', "medium"),
    ('    resp = requests.get(url, verify=False)', "high"),  # the target is set elsewhere
    ('    resp = requests.get(f"https://{host}:8443/healthz", verify=False)', "high"),
    ('    resp = requests.get("https://billing.example.com/api", verify=False)', "high"),
    ('    resp = requests.get("https://localhost.example.com/api", verify=False)', "high"),
    ('    mirror("https://localhost:8443", "https://billing.example.com", verify=False)', "high"),
])
def test_a_python_client_is_lowered_only_towards_loopback(git_repo: GitRepo, line: str, severity: str) -> None:
    found = _tls(git_repo, "src/app/client.py", f"import requests\n\n\ndef fetch(url, host):\n{line}\n    return resp\n")
    assert [f.severity for f in found] == [severity]


@pytest.mark.parametrize(("command", "severity"), [
    ("curl -k https://127.0.0.1:10250/healthz", "medium"),
    ("curl --insecure -sf localhost:8443/readyz", "medium"),
    ('curl -k "$API_SERVER/api/v1/nodes" --header "Authorization: Bearer $TOKEN"', "high"),
    ("curl -k https://kubernetes.default.svc/api/v1/nodes", "high"),
])
def test_a_shell_curl_is_lowered_only_towards_loopback(git_repo: GitRepo, command: str, severity: str) -> None:
    found = _tls(git_repo, "hack/check.sh", f"#!/bin/sh\nset -e\n{command}\n")
    assert [f.severity for f in found] == [severity]


# -- DB-DATA-MIGRATION-DELETE and the other migration rules: a line only a rollback runs -----------------

_DATA_MIGRATION = '''from django.db import migrations


def copy_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("app", "ApiToken")
    for old in Token.objects.all():
        ApiToken.objects.create(key=old.key, user=old.user, name="Default Token")


def remove_copies(apps, schema_editor):
    ApiToken = apps.get_model("app", "ApiToken")
    ApiToken.objects.filter(name="Default Token").delete()


class Migration(migrations.Migration):

    dependencies = [("app", "0052_apitoken")]

    operations = [
        OPERATION
    ]
'''


def _migration(git_repo: GitRepo, operation: str, text: str = _DATA_MIGRATION) -> list:
    change = committed_change(git_repo, {"app/models.py": "# models\n"},
                              {"app/migrations/0053_copy_tokens.py": text.replace("OPERATION", operation)})
    return fired(change, "DB-DATA-MIGRATION-DELETE")


@pytest.mark.parametrize("operation", [
    "migrations.RunPython(copy_tokens, remove_copies),",
    "migrations.RunPython(code=copy_tokens, reverse_code=remove_copies),",
    "migrations.RunPython(\n            copy_tokens,\n            remove_copies,\n        ),",
])
def test_a_delete_only_in_the_reverse_step_of_a_data_migration_is_medium(git_repo: GitRepo, operation: str) -> None:
    found = _migration(git_repo, operation)
    assert [f.severity for f in found] == ["medium"]
    assert "remove_copies()" in found[0].message and "reverse step" in found[0].message


def test_a_delete_in_the_forward_step_stays_high(git_repo: GitRepo) -> None:
    found = _migration(git_repo, "migrations.RunPython(code=remove_copies, reverse_code=migrations.RunPython.noop),")
    assert [f.severity for f in found] == ["high"]


def test_a_reverse_function_also_named_as_the_forward_step_stays_high(git_repo: GitRepo) -> None:
    found = _migration(git_repo, "migrations.RunPython(remove_copies, remove_copies),")
    assert [f.severity for f in found] == ["high"]


def test_a_reverse_function_the_forward_step_calls_stays_high(git_repo: GitRepo) -> None:
    called = _DATA_MIGRATION.replace('name="Default Token")\n', 'name="Default Token")\n    remove_copies(apps, schema_editor)\n', 1)
    found = _migration(git_repo, "migrations.RunPython(copy_tokens, remove_copies),", called)
    assert [f.severity for f in found] == ["high"]


def test_a_reverse_step_edited_in_a_migration_already_there_is_read_whole(git_repo: GitRepo) -> None:
    path = "app/migrations/0053_copy_tokens.py"
    before = _DATA_MIGRATION.replace("OPERATION", "migrations.RunPython(copy_tokens, remove_copies),")
    # The reverse step's delete is rewritten far from the operations list the diff shows no part of.
    after = before.replace('.filter(name="Default Token").delete()', '.filter(name__startswith="Default").delete()')
    change = committed_change(git_repo, {path: before}, {path: after})
    assert "RunPython" not in "\n".join(line.text for hunk in change.files[0].hunks for line in hunk.lines)
    assert [f.severity for f in fired(change, "DB-DATA-MIGRATION-DELETE")] == ["medium"]


_ALEMBIC = '''"""add orders

Revision ID: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"


def upgrade():
    UPGRADE


def downgrade():
    DOWNGRADE
'''


def test_a_table_dropped_in_an_alembic_downgrade_is_medium(git_repo: GitRepo) -> None:
    text = _ALEMBIC.replace("UPGRADE", 'op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True))')
    text = text.replace("DOWNGRADE", 'op.drop_table("orders")')
    change = committed_change(git_repo, {"README.md": "app\n"}, {"app/alembic/versions/0007_orders.py": text})
    found = fired(change, "DB-DROP-TABLE")
    assert [f.severity for f in found] == ["medium"]
    assert "downgrade()" in found[0].message


def test_a_table_dropped_in_an_alembic_upgrade_stays_critical(git_repo: GitRepo) -> None:
    text = _ALEMBIC.replace("UPGRADE", 'op.drop_table("legacy_orders")')
    text = text.replace("DOWNGRADE", 'op.create_table("legacy_orders", sa.Column("id", sa.Integer, primary_key=True))')
    change = committed_change(git_repo, {"README.md": "app\n"}, {"app/alembic/versions/0007_orders.py": text})
    assert [f.severity for f in fired(change, "DB-DROP-TABLE")] == ["critical"]


# -- TEST-DISABLED-OR-DELETED: a test file deleted with the feature its assertions looked for -------------

_LAYOUT = """<header>
  {% if request.user.is_authenticated %}
    {% include 'nav_menu.html' %}
  {% elif has_public_shares %}
    <a href="{% url 'bookmarks:shared' %}" class="btn btn-link">Shared bookmarks</a>
  {% endif %}
</header>
"""
_LAYOUT_AFTER = """<header>
  {% if request.user.is_authenticated %}
    {% include 'nav_menu.html' %}
  {% else %}
    <a href="{% url 'login' %}" class="btn btn-link">Login</a>
  {% endif %}
</header>
"""
_ANONYMOUS_TEST = """from django.test import TestCase
from django.urls import reverse


class AnonymousViewTestCase(TestCase):
    def assertSharedLinkCount(self, response, count):
        url = reverse("bookmarks:shared")
        self.assertContains(response, f'<a href="{url}" class="btn btn-link">Shared bookmarks</a>', count=count)

    def test_publicly_shared_bookmarks_link(self):
        response = self.client.get(reverse("login"))
        self.assertSharedLinkCount(response, 0)
"""
_ROOT_TEST = """from django.test import TestCase


class RootViewTestCase(TestCase):
    def test_unauthenticated_user_redirect_to_login(self):
        response = self.client.get("/")
        self.assertRedirects(response, "/login/")
"""


def _deleted_with_feature(git_repo: GitRepo, layout_after: str, new_tests: bool) -> list:
    before = {"app/templates/layout.html": _LAYOUT, "app/tests/test_anonymous_view.py": _ANONYMOUS_TEST}
    after: dict[str, str | None] = {"app/templates/layout.html": layout_after, "app/tests/test_anonymous_view.py": None}
    if new_tests:
        after["app/tests/test_root_view.py"] = _ROOT_TEST
    return fired(committed_change(git_repo, before, after), "TEST-DISABLED-OR-DELETED")


def test_a_test_file_deleted_with_the_markup_it_asserted_and_new_tests_added_is_medium(git_repo: GitRepo) -> None:
    found = _deleted_with_feature(git_repo, _LAYOUT_AFTER, new_tests=True)
    assert [f.severity for f in found] == ["medium"]
    assert "Shared bookmarks</a>" in found[0].message and "app/templates/layout.html" in found[0].message


def test_a_test_file_deleted_with_the_markup_it_asserted_but_no_test_added_stays_high(git_repo: GitRepo) -> None:
    assert [f.severity for f in _deleted_with_feature(git_repo, _LAYOUT_AFTER, new_tests=False)] == ["high"]


def test_a_test_file_deleted_while_the_markup_it_asserted_stays_is_high(git_repo: GitRepo) -> None:
    # The markup is only re-indented: it is written again, the feature is still there.
    kept = _LAYOUT.replace("    <a href", "      <a href").replace("{% elif has_public_shares %}", "{% elif shares %}")
    assert [f.severity for f in _deleted_with_feature(git_repo, kept, new_tests=True)] == ["high"]


def test_a_test_file_deleted_while_the_code_changes_elsewhere_is_high(git_repo: GitRepo) -> None:
    layout = _LAYOUT.replace("<header>", '<header class="site">')
    assert [f.severity for f in _deleted_with_feature(git_repo, layout, new_tests=True)] == ["high"]
