"""File roles and comments: what a line means depends on the file it is in and on whether it runs.

Hand-made diffs, each with the case that must stay quiet and the one that must still fire, since
a role or a comment is also where an attacker would hide a dangerous line.
"""

from __future__ import annotations

import pathspec
import pytest

from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import FileContext, GlobSet, evaluate, evaluate_rule
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.hits import prepare
from reviewer_app.core.risk.removals import ChangeAddedLines
from reviewer_app.core.risk.roles import role_of
from tests.core.risk.diffs import change_of, file_from, line_rule, one_file_change

RULES = load_rules(None)




def rules_fired(change) -> dict[str, Finding]:
    return {f.rule: f for f in evaluate(change, RULES)}


# -- comments ---------------------------------------------------------------------------------------

def test_a_command_in_a_shell_comment_does_not_fire_but_the_command_does() -> None:
    assert line_rule("OPS-IAC-DESTRUCTIVE-COMMAND", "ops/rebuild.sh", "+# terraform destroy -target=module.cache") == []
    [found] = line_rule("OPS-IAC-DESTRUCTIVE-COMMAND", "ops/rebuild.sh", "+terraform destroy -target=module.cache")
    assert found.severity == "high" and found.side == "new"


def test_a_commented_migration_call_does_not_fire() -> None:
    path = "alembic/versions/0042_drop_legacy.py"
    assert line_rule("DB-DROP-TABLE", path, '+    # op.drop_table("legacy_orders")') == []
    assert len(line_rule("DB-DROP-TABLE", path, '+    op.drop_table("legacy_orders")')) == 1


def test_a_disabled_timeout_in_a_go_comment_does_not_fire() -> None:
    assert line_rule("RESILIENCE-REMOVED", "client/http.go", "+\t// client.Timeout = 0") == []
    assert len(line_rule("RESILIENCE-REMOVED", "client/http.go", "+\tclient.Timeout = 0")) == 1


def test_a_trailing_comment_hides_only_what_it_covers() -> None:
    found = line_rule("OPS-RM-RF", "scripts/clean.sh", "+rm -rf ./build/tmp  # rm -rf is fine here")
    assert [f.start for f in found] == [0]


def test_yaml_block_scalar_lines_that_look_commented_still_fire() -> None:
    """In ``run: |`` the '#' line is script text to YAML: both readings must agree to dismiss it."""
    example = """
+      - run: |
+          # terraform destroy -auto-approve
"""
    assert len(line_rule("OPS-IAC-DESTRUCTIVE-COMMAND", "ci/pipeline.yml", example)) == 1


def test_code_after_a_docstring_quote_shown_as_context_is_not_taken_for_a_docstring() -> None:
    example = '''
     """
+    os.system("rm -rf /srv/data")
     """Next docstring."""
'''
    assert len(line_rule("OPS-RM-RF", "tools/reset.py", example)) == 1


def test_a_match_running_over_lines_is_never_dismissed_as_a_comment() -> None:
    example = """
+-- DROP
+TABLE users;
"""
    assert len(line_rule("DB-DROP-TABLE", "db/reset.sql", example)) == 1
    assert line_rule("DB-DROP-TABLE", "db/reset.sql", "+-- DROP TABLE users;") == []


@pytest.mark.parametrize(("rule_id", "path", "line"), [
    ("SCANNER-SUPPRESSION", "app/util.js", "+// eslint-disable-next-line no-eval"),
    ("TROJAN-SOURCE-BIDI", "src/auth/access.py", "+    # note \u202e hidden"),
    ("SECRET-AWS-ACCESS-KEY", "deploy/env.sh", "+# export AWS_ACCESS_KEY_ID=AKIAZ7XQ4PLM2RTN8VWB"),
])
def test_rules_that_read_comments_still_fire_there(rule_id: str, path: str, line: str) -> None:
    assert len(line_rule(rule_id, path, line)) == 1


def test_a_commented_placeholder_is_not_a_private_key_but_a_commented_key_is() -> None:
    placeholder = """
+## -----BEGIN RSA PRIVATE KEY-----
+## <paste your key here>
+## -----END RSA PRIVATE KEY-----
"""
    assert line_rule("SECRET-PRIVATE-KEY", "charts/app/values.yaml", placeholder) == []
    key = """
+# -----BEGIN RSA PRIVATE KEY-----
+# MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8RzHXmHwXkC2U5o1n6hR7mTgq
"""
    [found] = line_rule("SECRET-PRIVATE-KEY", "charts/app/values.yaml", key)
    assert found.line == 10 and found.severity == "critical"


def test_a_toleration_key_is_not_a_secret_but_a_random_token_is() -> None:
    assert line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "k8s/ds.yaml", '+    - "key": "CriticalAddonsOnly"') == []
    assert len(line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "k8s/ds.yaml", '+    "api_token": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"')) == 1


# -- file roles -------------------------------------------------------------------------------------

def test_destroy_in_an_example_readme_is_lowered_and_says_why() -> None:
    [found] = line_rule("OPS-IAC-DESTRUCTIVE-COMMAND", "examples/complete/README.md",
                        "+    terraform destroy -auto-approve")
    assert found.severity == "medium"  # critical (destroy without confirmation) less two steps
    assert "Lowered to medium" in found.message and "README.md is documentation" in found.message
    [script] = line_rule("OPS-IAC-DESTRUCTIVE-COMMAND", "ops/teardown.sh", "+terraform destroy -auto-approve")
    assert script.severity == "critical" and "Lowered" not in script.message


@pytest.mark.parametrize("path", [
    ".github/workflows/README.md", ".github/workflows/tests/deploy.yml", "tests/deploy.yaml", "docs/deploy.sh",
    "tests/fixtures/setup.tf", "CLAUDE.md", "examples/../.github/workflows/x.md", "Dockerfile",
    "README.sh", "docs/site/index.mdx", "tests/Makefile", ".reviewer/README.md",
])
def test_paths_that_run_or_steer_never_get_a_lowering_role(path: str) -> None:
    assert role_of(file_from(path, "+x")) is None


def test_a_renamed_file_keeps_the_role_only_if_both_names_have_it() -> None:
    diff = file_from("README.md", "+terraform destroy -auto-approve", status="renamed")
    diff.old_path = "ops/teardown.sh"
    assert role_of(diff) is None


@pytest.mark.parametrize(("rule_id", "path", "line", "severity"), [
    ("SECRET-AWS-ACCESS-KEY", "docs/setup.md", "+export AWS_ACCESS_KEY_ID=AKIAZ7XQ4PLM2RTN8VWB", "critical"),
    ("TROJAN-SOURCE-BIDI", "README.md", "+access \u202e granted", "high"),
    ("SECRET-HIGH-ENTROPY-ASSIGNMENT", "vendor/lib/config.go", '+\tapiKey := "sk_live_4eC39HqLyjWDarjtT1zdp7dc"', "medium"),
])
def test_secrets_and_trojan_source_are_never_lowered(rule_id: str, path: str, line: str, severity: str) -> None:
    [found] = line_rule(rule_id, path, line)
    assert found.severity == severity


def test_test_code_loses_one_step() -> None:
    [found] = line_rule("OPS-IAC-DESTRUCTIVE-COMMAND", "tests/test_deploy.py",
                        '+    subprocess.run("terraform destroy -target=module.cache", shell=True)')
    assert found.severity == "medium" and "test_deploy.py is test code" in found.message


def test_generated_code_by_name_or_existing_header_is_lowered_but_a_new_header_is_not() -> None:
    line = "+\t\tInsecureSkipVerify: true,"
    [by_name] = line_rule("TLS-VERIFY-DISABLED", "api/v1/service.pb.go", line)
    assert by_name.severity == "medium" and "generated" in by_name.message
    existing_header = """
 // Code generated by protoc-gen-go. DO NOT EDIT.
 package v1
+		InsecureSkipVerify: true,
"""
    diff = file_from("api/v1/client.go", existing_header)
    diff.hunks[0].old_start = diff.hunks[0].new_start = 1
    for number, row in enumerate(diff.hunks[0].lines, start=1):
        row.new_no = number
    assert role_of(diff) is not None and role_of(diff).name == "generated"
    added_header = """
+// Code generated by protoc-gen-go. DO NOT EDIT.
+package v1
+		InsecureSkipVerify: true,
"""
    diff = file_from("api/v1/client.go", added_header, status="added")
    diff.hunks[0].new_start = 1
    assert role_of(diff) is None


def test_protection_removed_with_a_file_deleted_whole_is_not_reported() -> None:
    probe = """
-        livenessProbe:
-          timeoutSeconds: 5
"""
    assert line_rule("RESILIENCE-REMOVED", "k8s/billing/deployment.yaml", probe, status="deleted") == []
    # In a file that stays, a probe that stays and loses its timeout is a finding (a probe removed
    # whole takes its timing with it: that is the probe rule's business).
    kept_probe = "\n         livenessProbe:\n-          timeoutSeconds: 5\n         image: x\n"
    assert len(line_rule("RESILIENCE-REMOVED", "k8s/billing/deployment.yaml", kept_probe)) == 1
    workflow = "-permissions: {}\n-jobs:"
    assert line_rule("GHA-PERMISSIONS-WIDENED", ".github/workflows/old.yml", workflow, status="deleted") == []


def test_a_deleted_test_file_is_still_a_finding_at_full_severity() -> None:
    [found] = line_rule("TEST-DISABLED-OR-DELETED", "tests/test_billing.py", "-def test_refund():", status="deleted")
    assert found.severity == "high"


# -- code commented out ---------------------------------------------------------------------------

def test_a_test_commented_out_is_high_and_reported_once() -> None:
    change = one_file_change("tests/test_billing.py", """
-def test_refund_is_capped():
-    assert refund(order) <= order.total
+# def test_refund_is_capped():
+#     assert refund(order) <= order.total
""")
    fired = rules_fired(change)
    assert set(fired) == {"CODE-COMMENTED-OUT"}
    assert fired["CODE-COMMENTED-OUT"].severity == "high" and fired["CODE-COMMENTED-OUT"].side == "new"


def test_error_handling_commented_out_is_code_commented_out_not_error_handling_removed() -> None:
    change = one_file_change("app/mail.py", """
     message = build(order)
-    try:
-        send(message)
-    except SMTPError:
-        log.warning("mail not sent")
+    # try:
+    #     send(message)
+    # except SMTPError:
+    #     log.warning("mail not sent")
     return True
""")
    fired = rules_fired(change)
    assert "ERR-HANDLING-REMOVED" not in fired
    assert fired["CODE-COMMENTED-OUT"].severity == "high"
    assert "safety check" in fired["CODE-COMMENTED-OUT"].message


def test_a_plain_call_commented_out_is_low_and_a_new_comment_is_nothing() -> None:
    [found] = line_rule("CODE-COMMENTED-OUT", "app/billing.py", "-    log_refund(order)\n+    # log_refund(order)")
    assert found.severity == "low"
    assert line_rule("CODE-COMMENTED-OUT", "app/billing.py", "+    # log the refund for the auditors") == []


# -- other line-rule noise ------------------------------------------------------------------------

def test_a_local_hard_reset_is_not_a_history_rewrite_but_a_force_push_to_main_is() -> None:
    assert line_rule("GIT-HISTORY-REWRITE", "ci/build.sh", "+git reset --hard origin/main") == []
    assert line_rule("GIT-HISTORY-REWRITE", "ci/build.sh", "+git clean -fdx") == []
    [found] = line_rule("GIT-HISTORY-REWRITE", "ci/release.sh", "+git push --force origin main")
    assert found.severity == "high"
    [feature] = line_rule("GIT-HISTORY-REWRITE", "ci/release.sh", "+git push --force origin feature/x")
    assert feature.severity == "low"


def test_an_action_bump_is_low_and_a_new_unpinned_action_is_medium() -> None:
    bump = """
-      - uses: tj-actions/changed-files@v44
+      - uses: tj-actions/changed-files@v45
"""
    [found] = line_rule("GHA-UNPINNED-ACTION", ".github/workflows/ci.yml", bump)
    assert found.severity == "low" and "already did this" in found.message
    [new] = line_rule("GHA-UNPINNED-ACTION", ".github/workflows/ci.yml", "+      - uses: tj-actions/changed-files@v45")
    assert new.severity == "medium"
    swapped = """
-      - uses: tj-actions/changed-files@v44
+      - uses: evil/changed-files@v45
"""
    [other] = line_rule("GHA-UNPINNED-ACTION", ".github/workflows/ci.yml", swapped)
    assert other.severity == "medium"  # another action is a new dependency, not a bump


# -- path matching ----------------------------------------------------------------------------------

SAMPLE_PATHS = [
    "app.py", "src/app/main.py", "tests/test_x.py", "a/tests/b/c.go", "docs/index.md", "README.md",
    ".github/workflows/ci.yml", ".github/workflows/sub/ci.yml", "deploy/prod/values.yaml", "db/migrations/0001.sql",
    "infra/main.tf", "charts/app/templates/deploy.yaml", "Dockerfile", "services/api/Dockerfile.prod", ".env",
    "config/.env.example", "x/id_rsa", "x/id_rsa.pub", "package-lock.json", "web/node_modules/a/index.js",
    "k8s/kubeconfig-prod", "scripts/purge.py", "a.py/b.txt", "CLAUDE.md", ".reviewer/policy.toml", "Jenkinsfile",
]


def test_glob_sets_decide_exactly_as_pathspec() -> None:
    glob_sets = {globs for rule in RULES.rules for globs in (rule.paths, rule.exclude) if globs}
    for globs in glob_sets:
        spec = pathspec.GitIgnoreSpec.from_lines(globs)
        ours = GlobSet(globs)
        for path in SAMPLE_PATHS:
            assert ours.match(path) == spec.match_file(path), (globs, path)


def test_a_test_file_moved_with_edits_is_low_and_a_deleted_one_is_not() -> None:
    body = "\n".join(f"-    assert case_{n}()" for n in range(6))
    deleted = file_from("test/ext/mypy/test_ddl.py", body, status="deleted")
    moved_to = file_from("test/typing/sql/test_ddl.py", body.replace("-", "+"), status="added")
    context = FileContext(prepare(deleted), ChangeAddedLines(change_of(deleted, moved_to)))
    [found] = evaluate_rule(RULES.by_id("TEST-DISABLED-OR-DELETED"), context.view, context)
    assert found.severity == "low" and "moved to test/typing/sql/test_ddl.py" in found.message
    stub = file_from("test/typing/sql/test_ddl.py", "+    pass", status="added")  # an empty stand-in is no move
    context = FileContext(prepare(deleted), ChangeAddedLines(change_of(deleted, stub)))
    [found] = evaluate_rule(RULES.by_id("TEST-DISABLED-OR-DELETED"), context.view, context)
    assert found.severity == "high"


def test_codeowners_rewritten_or_folder_line_removed_is_medium_review_config_owners_removed_is_high() -> None:
    swap = "-/charts/x/ @alice @bob\n+/charts/x/ @alice @carol"
    [found] = line_rule("GOV-REVIEW-ROUTING-CHANGED", ".github/CODEOWNERS", swap)
    assert found.severity == "medium"
    # A folder's line removed outright: its paths fall back to the broader owners (docs/rule-noise.md).
    [found] = line_rule("GOV-REVIEW-ROUTING-CHANGED", ".github/CODEOWNERS", "-/charts/x/ @alice @bob\n /charts/y/ @dana")
    assert found.severity == "medium"
    [found] = line_rule("GOV-REVIEW-ROUTING-CHANGED", ".github/CODEOWNERS", "-/.github/workflows/ @acme/security\n /charts/y/ @dana")
    assert found.severity == "high" and "outright" in found.message
    [gate] = line_rule("GOV-REVIEW-ROUTING-CHANGED", "infra/github_branch_protection.tf",
                       "-    required_approving_review_count = 2\n+    dismiss_stale_reviews = true")
    assert gate.severity == "critical"


def test_rm_rf_in_a_build_file_is_low_unless_its_target_is_dangerous() -> None:
    path = ".github/workflows/pre-commit.yml"
    fired = rules_fired(one_file_change(path, "+          rm -rf /opt/hostedtoolcache/go"))
    assert "OPS-RM-RF" not in fired and fired["OPS-RM-RF-IN-BUILD"].severity == "low"
    [found] = line_rule("OPS-RM-RF-IN-BUILD", path, "+          rm -rf /opt/hostedtoolcache/go")
    assert found.severity == "low"
    [found] = line_rule("OPS-RM-RF-IN-BUILD", "Makefile", "+\trm -rf $BUILD_DIR/")
    assert found.severity == "high"
    [script] = line_rule("OPS-RM-RF", "scripts/cleanup.sh", "+rm -rf ./build/tmp")
    assert script.severity == "medium"


def test_an_escalated_edit_of_an_existing_command_is_not_lowered_as_preexisting() -> None:
    same = "-      - run: curl -sSf https://x.example/i.sh | sh\n+      - run: curl -sSf https://x.example/i.sh | sh -s -- -y"
    [found] = line_rule("REMOTE-SCRIPT-PIPED-TO-SHELL", ".github/workflows/ci.yml", same)
    assert found.severity == "medium" and "already did this" in found.message
    [new] = line_rule("REMOTE-SCRIPT-PIPED-TO-SHELL", ".github/workflows/ci.yml", "+      - run: curl -sSf https://x.example/i.sh | sh")
    assert new.severity == "high"


def test_helm_unittest_suites_are_tests_but_chart_test_hooks_are_not() -> None:
    role = role_of(file_from("charts/alertmanager/unittests/persistence_test.yaml", "+x"))
    assert role is not None and role.name == "test"
    assert role_of(file_from("charts/alertmanager/templates/tests/test-connection.yaml", "+x")) is None


def test_a_reworded_skip_is_low_and_a_new_one_high() -> None:
    reworded = '-\t@Ignore("has to be run inside of a kube cluster")\n+\t@Ignore("has to be run inside of a kubernetes cluster")'
    [found] = line_rule("TEST-DISABLED-OR-DELETED", "src/test/java/SeedProviderTest.java", reworded)
    assert found.severity == "low"
    [new] = line_rule("TEST-DISABLED-OR-DELETED", "src/test/java/SeedProviderTest.java", '+\t@Ignore("flaky")')
    assert new.severity == "high"
