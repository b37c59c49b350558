"""Classes of false alarm found on an out-of-sample draw of real commits (benchmarks/realworld/
fresh_sample.py, verdicts in corpus/fresh-verdicts.csv), each beside the danger of the same rule
that must still be flagged.

Every change is hand-written in the shape of the real one and committed in a real git repository;
no rule is keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

from reviewer_app.core.risk.removals import layout_free
from tests.core.risk.diffs import committed_change, fired
from tests.core.risk.realdiff import git_change
from tests.gitrepo import GitRepo





# -- a dashboard panel's cacheTimeout is no resilience setting -------------------------------------

PANEL = '{"cacheTimeout":null,"colorBackground":false,"datasource":"%s","id":3,"interval":null,"title":"Bytes"}'


def test_a_dashboard_cache_timeout_is_not_a_timeout_a_client_timeout_still_is(git_repo: GitRepo) -> None:
    template = "apiVersion: v1\nkind: ConfigMap\ndata:\n  pods.json: |-\n    {{`" + PANEL + "`}}\n"
    change = git_change(git_repo, {"charts/stack/templates/dashboards/pods.yaml": template % "$datasource"},
                        {"charts/stack/templates/dashboards/pods.yaml": template % "${datasource}"})
    assert fired(change, "RESILIENCE-REMOVED") == []
    client = git_change(git_repo, {"app/client.py": "x = 1\n"},
                        {"app/client.py": "x = 1\nclient = Client(url, timeout=None)\n"})
    assert [f.severity for f in fired(client, "RESILIENCE-REMOVED")] == ["medium"]
    dropped = git_change(git_repo, {"app/conf.json": '{"upstream": {"readTimeout": 30, "retries": 3}}\n'},
                         {"app/conf.json": '{"upstream": {}}\n'})
    assert fired(dropped, "RESILIENCE-REMOVED") != []


# -- a formatter run over existing migrations adds no operation ------------------------------------

MIGRATION_BEFORE = '''from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0005_alter_user_table'),
    ]

    operations = [
        migrations.RenameField(model_name='group', old_name='last_modified', new_name='last_updated'),
        # Delete groups from the old table
        migrations.RunSQL(
            "DELETE from auth_group"
        ),

        migrations.RunSQL(
            "ALTER TABLE IF EXISTS auth_group_id_seq RENAME TO users_group_id_seq"
        ),
        # Done
    ]
'''

MIGRATION_REFORMATTED = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('users', '0005_alter_user_table'),
    ]

    operations = [
        migrations.RenameField(
            model_name='group',
            old_name='last_modified',
            new_name='last_updated',
        ),
        # Delete groups from the old table
        migrations.RunSQL('DELETE from auth_group'),
        migrations.RunSQL((
            'ALTER TABLE IF EXISTS auth_group_id_seq '
            'RENAME TO users_group_id_seq'
        )),
        # Done
    ]
'''


def test_a_reformatted_migration_is_no_new_rename_or_delete(git_repo: GitRepo) -> None:
    path = "users/migrations/0006_custom_group_model.py"
    change = git_change(git_repo, {path: MIGRATION_BEFORE}, {path: MIGRATION_REFORMATTED})
    assert fired(change, "DB-RENAME") == []
    assert fired(change, "DB-MASS-DATA-CHANGE") == []


def test_a_reformat_that_also_changes_an_operation_still_fires(git_repo: GitRepo) -> None:
    path = "users/migrations/0006_custom_group_model.py"
    other_table = MIGRATION_REFORMATTED.replace("'DELETE from auth_group'", "'DELETE from users_user'")
    change = git_change(git_repo, {path: MIGRATION_BEFORE}, {path: other_table})
    assert [f.severity for f in fired(change, "DB-MASS-DATA-CHANGE")] == ["critical"]
    new_rename = MIGRATION_REFORMATTED.replace(
        "        # Done\n", "        migrations.RenameField(model_name='user', old_name='name', new_name='username'),\n"
                           "        # Done\n")
    renamed = git_change(git_repo, {path: MIGRATION_BEFORE}, {path: new_rename})
    # git diff puts the new rename in one edit with the re-laid-out lines: the edit is not a pure
    # re-layout, so all of it is judged as written (the new rename among them).
    assert 21 in [f.line for f in fired(renamed, "DB-RENAME")]


def test_layout_free_keeps_what_the_code_says() -> None:
    assert layout_free('RunSQL(\n    "DELETE from t"\n),') == layout_free("RunSQL('DELETE from t'),")
    assert layout_free("f(a,\n  b,\n)") == layout_free("f(a, b)")
    assert layout_free("DELETE FROM t WHERE id = 1") != layout_free("DELETE FROM t WHERE id = 2")
    assert layout_free("a - b") != layout_free("a + b")


# -- a column copied into a many-to-many table before it is dropped --------------------------------

M2M_MIGRATION = '''from django.db import migrations, models


def migrate_contact_groups(apps, schema_editor):
    Contact = apps.get_model('tenancy', 'Contact')
    for contact in Contact.objects.filter(group__isnull=False):
        contact.groups.add(contact.group)


class Migration(migrations.Migration):
    operations = [
        migrations.AddField(
            model_name='contact',
            name='groups',
            field=models.ManyToManyField(blank=True, related_name='contacts', to='tenancy.contactgroup'),
        ),
        migrations.RunPython(code=migrate_contact_groups, reverse_code=migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='contact',
            name='group',
        ),
    ]
'''


def test_a_column_copied_into_a_new_many_to_many_table_first_is_medium(git_repo: GitRepo) -> None:
    path = "tenancy/migrations/0018_contact_groups.py"
    change = git_change(git_repo, {"README.md": "x\n"}, {path: M2M_MIGRATION})
    assert [f.severity for f in fired(change, "DB-DROP-COLUMN")] == ["medium"]
    # The same migration without the copy loses the values: high.
    no_copy = M2M_MIGRATION.replace("        contact.groups.add(contact.group)\n", "        print(contact)\n")
    lost = git_change(git_repo, {"README.md": "y\n"}, {"tenancy/migrations/0019_contact_groups.py": no_copy})
    assert [f.severity for f in fired(lost, "DB-DROP-COLUMN")] == ["high"]


# -- a dead err check removed ---------------------------------------------------------------------

NOTIFY_GO = '''package notify

func (n *Pager) Notify(ctx context.Context) (bool, error) {
	var err error
	details := make(map[string]string)
	for k, v := range n.conf.Details {
		detail, err := n.tmpl.Execute(v)
		if err != nil {
			return false, err
		}
		details[k] = detail
	}

	if err != nil {
		return false, err
	}

	c, err := NewClient(n.conf)
	if err != nil {
		return false, err
	}
	return c.Send(details)
}
'''


def test_removing_a_check_of_an_err_nothing_assigned_is_no_lost_handling(git_repo: GitRepo) -> None:
    dead_removed = NOTIFY_GO.replace("\tif err != nil {\n\t\treturn false, err\n\t}\n\n\tc, err", "\tc, err")
    assert dead_removed != NOTIFY_GO
    change = committed_change(git_repo, {"notify/impl.go": NOTIFY_GO}, {"notify/impl.go": dead_removed})
    assert fired(change, "ERR-HANDLING-REMOVED") == []


def test_removing_a_check_of_an_assigned_err_still_fires(git_repo: GitRepo) -> None:
    live = NOTIFY_GO.replace("\t\tdetail, err := n.tmpl.Execute(v)", "\t\tvar detail string\n\t\tdetail, err = n.tmpl.Execute(v)")
    removed = live.replace("\tif err != nil {\n\t\treturn false, err\n\t}\n\n\tc, err", "\tc, err")
    change = committed_change(git_repo, {"notify/impl.go": live}, {"notify/impl.go": removed})
    assert [f.severity for f in fired(change, "ERR-HANDLING-REMOVED")] == ["medium"]
    # The check of the client's error, assigned right above it, is live.
    client = NOTIFY_GO.replace("\tc, err := NewClient(n.conf)\n\tif err != nil {\n\t\treturn false, err\n\t}\n",
                               "\tc, err := NewClient(n.conf)\n")
    change = committed_change(git_repo, {"notify/impl2.go": NOTIFY_GO}, {"notify/impl2.go": client})
    assert [f.severity for f in fired(change, "ERR-HANDLING-REMOVED")] == ["medium"]


# -- a test deleted when its callers move to a library's function of the same name ----------------

HTTP_CONFIG_TEST = '''package config

import (
	"strings"
	"testing"
)

func TestInvalidHTTPConfig(t *testing.T) {
	_, err := LoadHTTPConfigFile("testdata/http_config.bad.yml")
	if !strings.Contains(err.Error(), "basic_auth") {
		t.Errorf("unexpected error: %s", err)
	}
}
'''

ROOT_GO = '''package cli

func NewClient(file string) {
	httpConfig, err := config.LoadHTTPConfigFile(file)
	if err != nil {
		panic(err)
	}
	use(httpConfig)
}
'''


def test_a_test_deleted_when_its_callers_move_to_a_library_is_medium(git_repo: GitRepo) -> None:
    before = {"cli/config/http_config_test.go": HTTP_CONFIG_TEST, "cli/root.go": ROOT_GO}
    moved = ROOT_GO.replace("httpConfig, err := config.LoadHTTPConfigFile(file)",
                            "httpConfig, _, err := promconfig.LoadHTTPConfigFile(file)")
    change = git_change(git_repo, before, {"cli/config/http_config_test.go": None, "cli/root.go": moved})
    findings = fired(change, "TEST-DISABLED-OR-DELETED")
    assert [f.severity for f in findings] == ["medium"]
    assert "promconfig.LoadHTTPConfigFile" in findings[0].message


def test_a_test_deleted_while_its_callers_stay_is_still_high(git_repo: GitRepo) -> None:
    before = {"cli/config/http_config_test.go": HTTP_CONFIG_TEST, "cli/root.go": ROOT_GO}
    edited = ROOT_GO.replace("use(httpConfig)", "use(httpConfig, file)")
    change = git_change(git_repo, before, {"cli/config/http_config_test.go": None, "cli/root.go": edited})
    assert [f.severity for f in fired(change, "TEST-DISABLED-OR-DELETED")] == ["high"]
