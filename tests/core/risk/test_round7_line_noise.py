"""Line-rule classes of false alarm from the judged out-of-sample draws (corpus/fresh-verdicts.csv),
each beside the danger of the same rule that must still be flagged. Changes are committed in real git
repositories; no rule is keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

from reviewer_app.core.risk.roles import role_of
from tests.core.risk.diffs import committed_change, file_from, fired
from tests.gitrepo import GitRepo

# -- TEST-DISABLED-OR-DELETED ---------------------------------------------------------------------


def test_a_binary_data_fixture_deleted_from_a_test_folder_is_no_test(git_repo: GitRepo) -> None:
    before = {"src/app/tests/data/v1.model.pickle": b"\x80\x04\x95\x00\x00binary\x00model",
              "src/app/tests/test_model.py": "def test_load():\n    assert load('v1')\n"}
    change = committed_change(git_repo, before, {"src/app/tests/data/v1.model.pickle": None})
    assert change.files[0].binary
    assert fired(change, "TEST-DISABLED-OR-DELETED") == []


def test_a_binary_file_of_no_known_data_format_deleted_still_fires(git_repo: GitRepo) -> None:
    before = {"src/app/tests/suite_runner": b"\x7fELF\x00\x00compiled tests\x00",
              "src/app/tests/test_model.py": "def test_load():\n    assert load('v1')\n"}
    change = committed_change(git_repo, before, {"src/app/tests/suite_runner": None})
    assert [f.severity for f in fired(change, "TEST-DISABLED-OR-DELETED")] == ["high"]


_TIMEOUT_TEST = """package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbeTimeout(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Second)
	}))
	defer ts.Close()
	req, err := http.NewRequest("GET", "?target="+ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Scrape-Timeout-Seconds", "1")
	rr := httptest.NewRecorder()
	probeHandler(rr, req)
	if status := rr.Code; status != http.StatusOK {
		t.Errorf("probe handler returned wrong status code: %v, want %v", status, http.StatusOK)
	}
}
"""
_HTTP_TEST = "package main\n\nimport \"testing\"\n\nfunc TestHTTPStatus(t *testing.T) {\n\tcheck(t)\n}\n"


def test_a_test_file_moved_into_another_with_its_test_renamed_is_low(git_repo: GitRepo) -> None:
    body = _TIMEOUT_TEST.split(")\n\n", 1)[1].replace("TestProbeTimeout", "TestProbeTimeoutHTTP")
    change = committed_change(git_repo, {"main_test.go": _TIMEOUT_TEST, "http_test.go": _HTTP_TEST},
                              {"main_test.go": None, "http_test.go": _HTTP_TEST + "\n" + body})
    [found] = fired(change, "TEST-DISABLED-OR-DELETED")
    assert found.severity == "low" and "reappear word for word" in found.message


def test_a_test_file_deleted_with_only_its_boilerplate_added_elsewhere_stays_high(git_repo: GitRepo) -> None:
    partial = ("func TestOther(t *testing.T) {\n\tif err != nil {\n\t\tt.Fatal(err)\n\t}\n"
               "\tdefer ts.Close()\n}\n")
    change = committed_change(git_repo, {"main_test.go": _TIMEOUT_TEST, "http_test.go": _HTTP_TEST},
                              {"main_test.go": None, "http_test.go": _HTTP_TEST + "\n" + partial})
    assert [f.severity for f in fired(change, "TEST-DISABLED-OR-DELETED")] == ["high"]


_VIEWS = """from django.http import HttpResponse


def bounce(request, code):
    notification = get_object_or_404(Notification, code=code)
    notification.error = request.body.decode()[:200]
    notification.save()
    return HttpResponse()


def status(request, code):
    return HttpResponse()
"""
_BOUNCE_TESTS = """from app.test import BaseTestCase


class BounceTestCase(BaseTestCase):
    def test_it_works(self):
        url = "/api/v1/notifications/%s/bounce" % self.n.code
        r = self.client.post(url, "foo", content_type="text/plain")
        self.assertEqual(r.status_code, 200)
"""


def test_tests_deleted_with_the_view_they_are_named_after_are_medium(git_repo: GitRepo) -> None:
    without = _VIEWS.split("def bounce", 1)[0] + "def status" + _VIEWS.split("def status", 1)[1]
    change = committed_change(git_repo, {"app/api/views.py": _VIEWS, "app/api/tests/test_bounce.py": _BOUNCE_TESTS},
                              {"app/api/views.py": without, "app/api/tests/test_bounce.py": None})
    [found] = fired(change, "TEST-DISABLED-OR-DELETED")
    assert found.severity == "medium" and "bounce in app/api/views.py" in found.message


def test_tests_deleted_while_the_view_they_are_named_after_stays_are_high(git_repo: GitRepo) -> None:
    edited = _VIEWS.replace("def status(request, code):\n    return HttpResponse()",
                            "def status(request, code):\n    return HttpResponse(status=204)")
    change = committed_change(git_repo, {"app/api/views.py": _VIEWS, "app/api/tests/test_bounce.py": _BOUNCE_TESTS},
                              {"app/api/views.py": edited, "app/api/tests/test_bounce.py": None})
    assert [f.severity for f in fired(change, "TEST-DISABLED-OR-DELETED")] == ["high"]


# -- OPS-IAC-DESTRUCTIVE-COMMAND: the edited line already ran the command -------------------------

_DEPLOY = "#!/bin/sh\nset -e\nterraform init\nterraform plan\n{command}\necho done\n"


def test_an_auto_approved_apply_that_only_gains_a_flag_is_low(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"ops/deploy.sh": _DEPLOY.format(command="terraform apply -auto-approve")},
                              {"ops/deploy.sh": _DEPLOY.format(command="terraform apply -auto-approve -input=false")})
    [found] = fired(change, "OPS-IAC-DESTRUCTIVE-COMMAND")
    assert found.severity == "low" and "already did this before the change" in found.message


def test_an_apply_made_auto_approved_or_a_destroy_retargeted_stays_high(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"ops/deploy.sh": _DEPLOY.format(command="terraform apply plan.out")},
                              {"ops/deploy.sh": _DEPLOY.format(command="terraform apply -auto-approve")})
    assert [f.severity for f in fired(change, "OPS-IAC-DESTRUCTIVE-COMMAND")] == ["high"]
    change = committed_change(git_repo, {"ops/deploy.sh": _DEPLOY.format(command="terraform destroy -target=module.cache")},
                              {"ops/deploy.sh": _DEPLOY.format(command="terraform destroy -target=module.db")})
    assert [f.severity for f in fired(change, "OPS-IAC-DESTRUCTIVE-COMMAND")] == ["high"]


# -- OPS-BULK-DELETE-NO-DRYRUN: an existing bulk delete edited ------------------------------------

_PRUNE = """from datetime import timedelta

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(days={days})
{extra}        q = User.objects.filter(date_joined__lt=cutoff, last_login=None)
        {delete}
        return "Done!"
"""


def test_an_existing_bulk_delete_with_its_query_edited_is_medium(git_repo: GitRepo) -> None:
    path = "app/management/commands/pruneusers.py"
    before = _PRUNE.format(days=180, extra="", delete="n1, _ = q.delete()")
    after = _PRUNE.format(days=30, extra="", delete="n, summary = q.delete()")
    [found] = fired(committed_change(git_repo, {path: before}, {path: after}), "OPS-BULK-DELETE-NO-DRYRUN")
    assert found.severity == "medium" and "already did this before the change" in found.message


def test_a_bulk_delete_added_or_its_dry_run_removed_stays_high(git_repo: GitRepo) -> None:
    path = "app/management/commands/pruneusers.py"
    before = _PRUNE.format(days=180, extra="", delete="print(q.count())")
    after = _PRUNE.format(days=180, extra="", delete="q.delete()")
    assert [f.severity for f in fired(committed_change(git_repo, {path: before}, {path: after}),
                                      "OPS-BULK-DELETE-NO-DRYRUN")] == ["high"]
    guarded = _PRUNE.format(days=180, extra="        if options['dry_run']:\n            return 'would prune'\n",
                            delete="q.delete()")
    unguarded = _PRUNE.format(days=30, extra="", delete="n, _ = q.delete()")
    assert [f.severity for f in fired(committed_change(git_repo, {path: guarded}, {path: unguarded}),
                                      "OPS-BULK-DELETE-NO-DRYRUN")] == ["high"]


# -- GO-ERR-OVERWRITTEN-UNCHECKED: moved across packages -------------------------------------------

_NOTIFIER = """func (n *{kind}) Notify(ctx context.Context, as ...*types.Alert) (bool, error) {{
	var err error
	var (
		data   = {data}
		tmpl   = {tmpl}(n.tmpl, data, &err)
		apiURL = n.conf.APIURL.Copy()
	)
	apiURL.Path += fmt.Sprintf("%s/%s", n.conf.APIKey, tmpl(n.conf.RoutingKey))

	buf, err := n.createPayload(ctx, as...)
	if err != nil {{
		return true, err
	}}
	return n.send(ctx, apiURL, buf)
}}
"""


def test_an_overwritten_error_moved_to_another_package_with_qualifiers_is_no_new_finding(git_repo: GitRepo) -> None:
    # impl.go held every notifier: too little of it goes to victorops.go for git to call it a rename.
    others = "".join(f"\nfunc (n *{kind}) Name() string {{\n\treturn \"{kind.lower()}\"\n}}\n"
                     for kind in ("Email", "PagerDuty", "Slack", "Webhook", "OpsGenie", "Pushover", "WeChat"))
    old = "package notify\n\n" + _NOTIFIER.format(kind="VictorOps", data="n.tmpl.Data(as...)", tmpl="tmplText") + others
    new = "package victorops\n\n" + _NOTIFIER.format(kind="Notifier", data="notify.GetTemplateData(ctx, n.tmpl, as)",
                                                       tmpl="notify.TmplText")
    change = committed_change(git_repo, {"notify/impl.go": old, "notify/util.go": "package notify\n"},
                              {"notify/impl.go": None, "notify/victorops/victorops.go": new})
    assert sorted(diff.status.value for diff in change.files) == ["added", "deleted"]
    assert fired(change, "GO-ERR-OVERWRITTEN-UNCHECKED") == []


def test_an_overwritten_error_written_new_stays_high(git_repo: GitRepo) -> None:
    new = "package victorops\n\n" + _NOTIFIER.format(kind="Notifier", data="notify.GetTemplateData(ctx, n.tmpl, as)",
                                                       tmpl="notify.TmplText")
    change = committed_change(git_repo, {"notify/util.go": "package notify\n"},
                              {"notify/victorops/victorops.go": new})
    assert [f.severity for f in fired(change, "GO-ERR-OVERWRITTEN-UNCHECKED")] == ["high"]


# -- Roles: helm-unittest suites in a unittests/ folder --------------------------------------------


def test_a_unittests_folder_holds_tests_but_not_under_templates() -> None:
    suite = role_of(file_from("charts/jenkins/unittests/controller-statefulset-test.yaml", "+replicas: 0"))
    assert suite is not None and suite.name == "test"
    code = role_of(file_from("lib/unittests/parser.py", "+x = 1"))
    assert code is not None and code.name == "test"
    assert role_of(file_from("charts/jenkins/templates/unittests/statefulset.yaml", "+replicas: 0")) is None


def test_a_scale_to_zero_in_a_helm_unittest_suite_is_lowered(git_repo: GitRepo) -> None:
    suite = ("suite: statefulset\ntemplates:\n  - controller-statefulset.yaml\ntests:\n  - it: scales to zero\n"
             "    set:\n      controller:\n        replicas: 0\n    asserts:\n      - equal:\n"
             "          path: spec.replicas\n          value: 0\n")
    change = committed_change(git_repo, {"charts/jenkins/Chart.yaml": "name: jenkins\nversion: 1.0.0\n"},
                              {"charts/jenkins/unittests/controller-statefulset-test.yaml": suite})
    assert all(f.severity != "high" for f in fired(change, "K8S-SCALE-TO-ZERO"))


def test_a_squash_redone_over_an_older_squashed_migration_still_fires(git_repo: GitRepo) -> None:
    """A pattern opening on the blank line before its text (``^\\s*replaces``) covers one line: the
    replaced migrations the older squash listed too are no block moved from it."""
    entries = "".join(f"        ('dcim', '00{n:02d}_auto'),\n" for n in range(3, 9))
    old = ("from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n\n"
           f"    replaces = [\n{entries}    ]\n\n    operations = []\n")
    # The new squash holds every operation again: far more than the old file, so no rename.
    operations = "".join(f"        migrations.AddField(model_name='site', name='field{n}', field=models.IntegerField()),\n"
                         for n in range(40))
    new = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n\n    initial = True\n\n"
           f"    replaces = [\n{entries}        ('dcim', '0131_speed'),\n    ]\n\n    operations = [\n{operations}    ]\n")
    change = committed_change(git_repo, {"app/dcim/migrations/0003_squashed_0130.py": old,
                                         "app/dcim/migrations/0131_speed.py": "from django.db import migrations\n"},
                              {"app/dcim/migrations/0003_squashed_0130.py": None, "app/dcim/migrations/0131_speed.py": None,
                               "app/dcim/migrations/0003_squashed.py": new})
    assert sorted(diff.status.value for diff in change.files) == ["added", "deleted", "deleted"]
    assert [f.severity for f in fired(change, "DB-MIGRATIONS-SQUASHED")] == ["high"]
