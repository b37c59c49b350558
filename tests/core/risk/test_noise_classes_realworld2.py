"""More classes of false alarm a reader found on real history (benchmarks/realworld/corpus/
judged-flags.csv), each beside the danger of the same rule family that must still be flagged.

Every change is hand-written in the shape of the real one and diffed by git in a real repository;
no rule is keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

from reviewer_app.core.model import Change
from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import evaluate
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.roles import role_of
from tests.core.risk.realdiff import git_change
from tests.gitrepo import GitRepo

RULES = load_rules(None)


def fired(change: Change, rule: str) -> list[Finding]:
    return [finding for finding in evaluate(change, RULES) if finding.rule == rule]


# -- rm -rf in an image's build script and of package caches ---------------------------------------

BUILD_SCRIPT = """#!/bin/bash
set -e
apt-get update && apt-get install -y python3
if [ ! -z "$DEV_IMAGE" ]; then
    echo dev
else
    rm -rf  $APP_HOME/pylib;
fi
rm -rf \\
    $APP_HOME/*.txt \\
    $APP_HOME/doc
"""


def test_a_build_script_deleting_its_leftovers_is_low_a_bare_variable_there_is_still_high(git_repo: GitRepo) -> None:
    change = git_change(git_repo, {"README.md": "x\n"}, {"app/image/files/build.sh": BUILD_SCRIPT})
    assert fired(change, "OPS-RM-RF") == []
    assert {f.severity for f in fired(change, "OPS-RM-RF-IN-BUILD")} == {"low"}
    worse = git_change(git_repo, {"README.md": "y\n"}, {"app/image/files/build.sh": BUILD_SCRIPT + "rm -rf $APP_HOME/\n"})
    assert "high" in {f.severity for f in fired(worse, "OPS-RM-RF-IN-BUILD")}


def test_emptying_package_caches_is_hygiene_a_data_folder_is_not(git_repo: GitRepo) -> None:
    script = "#!/bin/sh\napt-get clean\nrm -rf /var/lib/apt/lists/* /tmp/*\nrm -rf /usr/share/doc /usr/share/man ~/.cache/pip\n"
    change = git_change(git_repo, {"README.md": "x\n"}, {"scripts/provision.sh": script})
    assert fired(change, "OPS-RM-RF") == []
    mixed = git_change(git_repo, {"README.md": "y\n"},
                       {"scripts/provision.sh": script + "rm -rf /var/lib/apt/lists/* /var/lib/postgresql/data\n"})
    assert [f.severity for f in fired(mixed, "OPS-RM-RF")] == ["critical"]
    # Any other script named for neither building nor caches keeps its severity.
    other = git_change(git_repo, {"README.md": "z\n"}, {"scripts/release.sh": "rm -rf ./dist/old\n"})
    assert [f.severity for f in fired(other, "OPS-RM-RF")] == ["medium"]


# -- a test added already skipped ------------------------------------------------------------------

JAVA_TEST = """package io.example;

import org.junit.Ignore;
import org.junit.Test;

public class SeedProviderTest {

    @Test
    @Ignore("has to be run inside of a cluster")
    public void getSeeds() throws Exception {
        assertThat(provider.getSeeds(), is(not(empty())));
    }

    @Test
    public void testDefaultSeeds() throws Exception {
        assertThat(provider.getDefaultSeeds(), is(not(empty())));
    }
}
"""


def test_a_new_test_added_skipped_is_medium_skipping_an_existing_test_is_high(git_repo: GitRepo) -> None:
    path = "java/src/test/java/io/example/SeedProviderTest.java"
    added = git_change(git_repo, {"README.md": "x\n"}, {path: JAVA_TEST})
    assert fired(added, "TEST-DISABLED-OR-DELETED") == []
    [new] = fired(added, "TEST-ADDED-SKIPPED")
    assert new.severity == "medium" and new.line == 9
    existing = JAVA_TEST.replace('    @Ignore("has to be run inside of a cluster")\n', "")
    skipped = git_change(git_repo, {path: existing}, {path: existing.replace(
        "    public void testDefaultSeeds()", '    @Ignore("flaky")\n    public void testDefaultSeeds()')})
    assert [f.severity for f in fired(skipped, "TEST-DISABLED-OR-DELETED")] == ["high"]
    assert fired(skipped, "TEST-ADDED-SKIPPED") == []


def test_a_python_test_added_skipped_is_medium_a_focused_one_is_high(git_repo: GitRepo) -> None:
    tests = "import pytest\n\n\n@pytest.mark.skip(reason='needs a live database')\ndef test_migrates():\n    assert migrate()\n"
    change = git_change(git_repo, {"README.md": "x\n"}, {"tests/test_db.py": tests})
    assert fired(change, "TEST-DISABLED-OR-DELETED") == []
    assert [f.severity for f in fired(change, "TEST-ADDED-SKIPPED")] == ["medium"]
    focused = git_change(git_repo, {"README.md": "y\n"},
                         {"web/cart.test.js": "describe('cart', () => {\n  it.only('adds', () => {\n  });\n});\n"})
    assert [f.severity for f in fired(focused, "TEST-DISABLED-OR-DELETED")] == ["high"]


# -- a test file deleted with the definitions it tested --------------------------------------------

MARKER = """package types

type MemMarker struct {
\tm map[string]int
}

func NewMarker() *MemMarker {
\treturn &MemMarker{m: map[string]int{}}
}

func (m *MemMarker) Count() int {
\treturn len(m.m)
}
"""
KEPT = "package types\n\ntype Alert struct {\n\tName string\n}\n"
MARKER_TESTS = """package types

import "testing"

func TestMemMarker_Count(t *testing.T) {
\tm := NewMarker()
\tif m.Count() != 0 {
\t\tt.Fatal("not empty")
\t}
}
"""


def test_a_test_file_deleted_with_the_definitions_it_tested_is_medium(git_repo: GitRepo) -> None:
    before = {"types/types.go": KEPT + "\n" + MARKER, "types/types_test.go": MARKER_TESTS}
    change = git_change(git_repo, before, {"types/types.go": KEPT, "types/types_test.go": None})
    [found] = fired(change, "TEST-DISABLED-OR-DELETED")
    assert found.severity == "medium" and "NewMarker" in found.message and "types/types.go" in found.message


def test_a_test_file_deleted_while_its_code_stays_is_high(git_repo: GitRepo) -> None:
    before = {"types/types.go": KEPT + "\n" + MARKER, "types/types_test.go": MARKER_TESTS}
    # The code the tests call stays (only an unrelated type goes): the tests are simply lost.
    change = git_change(git_repo, before, {"types/types.go": MARKER, "types/types_test.go": None})
    [found] = fired(change, "TEST-DISABLED-OR-DELETED")
    assert found.severity == "high"
    # The definitions move to another file of the change: still defined, so still tested nowhere.
    moved = git_change(git_repo, {"types/types.go": KEPT + "\n" + MARKER, "types/types_test.go": MARKER_TESTS},
                       {"types/types.go": KEPT, "types/marker.go": MARKER, "types/types_test.go": None})
    assert [f.severity for f in fired(moved, "TEST-DISABLED-OR-DELETED")] == ["high"]


# -- a column dropped after a data migration copies it ----------------------------------------------

COPIED = """from django.db import migrations, models


def copy_visibility(apps, schema_editor):
    Field = apps.get_model('extras', 'Field')
    Field.objects.filter(visibility='read-only').update(visible='always', editable='no')
    Field.objects.filter(visibility='hidden').update(visible='hidden', editable='hidden')


class Migration(migrations.Migration):

    dependencies = [('extras', '0099_previous')]

    operations = [
        migrations.AddField(
            model_name='field',
            name='editable',
            field=models.CharField(default='yes', max_length=50),
        ),
        migrations.AddField(
            model_name='field',
            name='visible',
            field=models.CharField(default='always', max_length=50),
        ),
        migrations.RunPython(
            code=copy_visibility,
            reverse_code=migrations.RunPython.noop
        ),
        migrations.RemoveField(
            model_name='field',
            name='visibility',
        ),
    ]
"""
CHECKED = """import os

from django.db import migrations
from django.db.utils import DataError


def check_legacy_data(apps, schema_editor):
    Provider = apps.get_model('circuits', 'Provider')
    if Provider.objects.exclude(asn__isnull=True).count() and 'DELETE_LEGACY' not in os.environ:
        raise DataError('legacy ASN data left')


class Migration(migrations.Migration):

    dependencies = [('circuits', '0039_previous')]

    operations = [
        migrations.RunPython(
            code=check_legacy_data,
            reverse_code=migrations.RunPython.noop
        ),
        migrations.RemoveField(
            model_name='provider',
            name='asn',
        ),
    ]
"""


def test_a_column_copied_into_new_columns_then_dropped_is_medium(git_repo: GitRepo) -> None:
    change = git_change(git_repo, {"README.md": "x\n"}, {"extras/migrations/0100_field_ui.py": COPIED})
    [found] = fired(change, "DB-DROP-COLUMN")
    assert found.severity == "medium"


def test_a_column_dropped_after_a_check_only_or_without_data_migration_is_high(git_repo: GitRepo) -> None:
    checked = git_change(git_repo, {"README.md": "x\n"}, {"circuits/migrations/0040_remove_asn.py": CHECKED})
    [found] = fired(checked, "DB-DROP-COLUMN")
    assert found.severity == "high" and "Raised to high" in found.message
    plain = COPIED.replace("        migrations.RunPython(\n            code=copy_visibility,\n"
                           "            reverse_code=migrations.RunPython.noop\n        ),\n", "")
    bare = git_change(git_repo, {"README.md": "y\n"}, {"extras/migrations/0100_field_ui.py": plain})
    assert [f.severity for f in fired(bare, "DB-DROP-COLUMN")] == ["high"]


# -- a generated Terraform module wrapper ---------------------------------------------------------

WRAPPER = """module "wrapper" {
  source = "../"

  for_each = var.items

  cidr = try(each.value.cidr, var.defaults.cidr, "10.0.0.0/16")
  default_network_acl_ingress = try(each.value.default_network_acl_ingress, var.defaults.default_network_acl_ingress, [
    {
      rule_no    = 100
      action     = "allow"
      from_port  = 0
      to_port    = 0
      protocol   = "-1"
      cidr_block = "0.0.0.0/0"
    },
  ])
  name = try(each.value.name, var.defaults.name, "")
}
"""


def test_a_module_wrapper_that_forwards_every_input_is_generated(git_repo: GitRepo) -> None:
    change = git_change(git_repo, {"main.tf": "# root module\n"}, {"wrappers/main.tf": WRAPPER})
    [diff] = [d for d in change.files if d.path == "wrappers/main.tf"]
    role = role_of(diff)
    assert role is not None and role.name == "generated" and "wrapper" in role.because
    # An edit deep in the file: the hunk's section names the wrapper block.
    edited = git_change(git_repo, {"wrappers/main.tf": WRAPPER},
                        {"wrappers/main.tf": WRAPPER.replace(
                            '  name = try(each.value.name, var.defaults.name, "")\n',
                            '  name = try(each.value.name, var.defaults.name, "")\n'
                            '  tags = try(each.value.tags, var.defaults.tags, {})\n')})
    role = role_of(edited.files[0])
    assert role is not None and role.name == "generated"


def test_a_value_typed_into_a_wrapper_or_a_resource_added_there_is_no_generated_file(git_repo: GitRepo) -> None:
    typed = WRAPPER.replace('  name = try(each.value.name, var.defaults.name, "")\n',
                            '  name = try(each.value.name, var.defaults.name, "")\n  ingress_cidr = "0.0.0.0/0"\n')
    change = git_change(git_repo, {"main.tf": "# root module\n"}, {"wrappers/main.tf": typed})
    assert role_of(change.files[0]) is None
    renamed = WRAPPER.replace("try(each.value.cidr, var.defaults.cidr", "try(each.value.cidr, var.defaults.other_cidr")
    change = git_change(git_repo, {"main.tf": "# root module 2\n"}, {"wrappers/main.tf": renamed})
    assert role_of(change.files[0]) is None
    resource = WRAPPER + '\nresource "aws_security_group_rule" "open" {\n  cidr_blocks = ["0.0.0.0/0"]\n}\n'
    change = git_change(git_repo, {"main.tf": "# root module 3\n"}, {"wrappers/main.tf": resource})
    assert role_of(change.files[0]) is None
    # The same block outside a wrappers/ folder is ordinary configuration.
    change = git_change(git_repo, {"main.tf": "# root module 4\n"}, {"modules/vpc/wrapper.tf": WRAPPER})
    assert role_of(change.files[0]) is None


# -- a JVM package named example is no example -----------------------------------------------------

def test_a_jvm_package_named_example_is_not_an_example_an_examples_folder_is(git_repo: GitRepo) -> None:
    path = "service/src/main/java/com/example/billing/Refunds.java"
    change = git_change(git_repo, {"README.md": "x\n"}, {path: "package com.example.billing;\nclass Refunds {}\n"})
    assert role_of(change.files[0]) is None
    demo = "examples/billing/src/main/java/com/acme/Refunds.java"
    change = git_change(git_repo, {"README.md": "y\n"}, {demo: "package com.acme;\nclass Refunds {}\n"})
    role = role_of(change.files[0])
    assert role is not None and role.name == "example"


# -- a best-effort check that skips its warning ----------------------------------------------------

CHECK = """from django.core.cache import cache
from django.core.checks import Tags, Warning, register


@register(Tags.caches)
def check_cache_version(app_configs, **kwargs):
    warnings = []
    try:
        version = tuple(int(x) for x in cache.client.get_client().info()['redis_version'].split('.'))
        if version < (6, 0):
            warnings.append(Warning('Redis older than 6.0 is deprecated', id='app.W002'))
    except Exception:
        pass
    return warnings
"""


def test_a_check_that_skips_its_warning_when_it_cannot_look_swallows_nothing(git_repo: GitRepo) -> None:
    change = git_change(git_repo, {"README.md": "x\n"}, {"app/core/checks.py": CHECK})
    assert fired(change, "ERR-HANDLING-REMOVED") == []
    swallowed = CHECK.replace("    return warnings\n", "    save(warnings)\n    return True\n")
    change = git_change(git_repo, {"README.md": "y\n"}, {"app/core/probe.py": swallowed})
    assert [f.severity for f in fired(change, "ERR-HANDLING-REMOVED")] == ["medium"]


# -- a chart's test hook deleted with the chart -----------------------------------------------------

CHART_TEST_HOOK = """apiVersion: v1
kind: Pod
metadata:
  name: "{{ .Release.Name }}-test"
  annotations:
    "helm.sh/hook": test
spec:
  containers:
    - name: check
      image: busybox
      command: ["sh", "-c", "redis-cli ping"]
"""


def test_a_chart_test_hook_deleted_with_its_chart_is_medium(git_repo: GitRepo) -> None:
    chart = {"charts/app/charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
             "charts/app/charts/cache/templates/tests/test-ping.yaml": CHART_TEST_HOOK}
    change = git_change(git_repo, chart, {path: None for path in chart})
    [found] = fired(change, "TEST-DISABLED-OR-DELETED")
    assert found.severity == "medium" and "charts/app/charts/cache" in found.message


def test_a_chart_test_hook_deleted_while_its_chart_stays_is_high(git_repo: GitRepo) -> None:
    chart = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
             "charts/app/templates/tests/test-ping.yaml": CHART_TEST_HOOK}
    change = git_change(git_repo, chart, {"charts/app/templates/tests/test-ping.yaml": None})
    assert [f.severity for f in fired(change, "TEST-DISABLED-OR-DELETED")] == ["high"]
