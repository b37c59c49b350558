"""Classes of false alarm a reader found on real history, each with the danger of the same rule
family that must still fire (docs/rule-noise.md, "Judged precision on real history").

Every case is a hand-made diff shaped like the real commit the class was seen on; no rule is
keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import FileContext, evaluate, evaluate_rule
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.hits import prepare
from reviewer_app.core.risk.removals import ChangeAddedLines
from reviewer_app.core.risk.roles import role_of
from tests.core.risk.diffs import change_of, file_from, line_rule, one_file_change

RULES = load_rules(None)




def severities(findings: list[Finding]) -> list[str]:
    return [f.severity for f in findings]


# -- one finding per edit: a re-spaced line is no new line ----------------------------------------

def test_a_line_only_respaced_is_not_a_finding_but_a_changed_target_is() -> None:
    respaced = "-RUN rm -rf /var/lib/mysql && mkdir /var/lib/mysql   \n+RUN rm -rf /var/lib/mysql && mkdir /var/lib/mysql"
    assert line_rule("OPS-RM-RF-IN-BUILD", "image/Dockerfile", respaced) == []
    worse = "-RUN rm -rf /var/lib/mysql/tmp\n+RUN rm -rf /var/lib/mysql"
    assert severities(line_rule("OPS-RM-RF-IN-BUILD", "image/Dockerfile", worse)) == ["high"]
    reindented = "-rm -rf ./build\n+    rm -rf ./build"
    assert line_rule("OPS-RM-RF", "scripts/release.sh", reindented) == []


def test_a_line_moved_within_its_file_is_not_new_the_same_line_in_a_new_file_is() -> None:
    moved = ("-    # tls_config:\n-    #   insecure_skip_verify: true\n context\n"
             "+        tls_config:\n+          insecure_skip_verify: true")
    # Uncommented while moved: the text changed, so it is new.
    assert severities(line_rule("TLS-VERIFY-DISABLED", "charts/x/values.yaml", moved)) == ["high"]
    reindented = ("-    tls_config:\n-      insecure_skip_verify: true\n context\n"
                  "+        tls_config:\n+          insecure_skip_verify: true")
    assert line_rule("TLS-VERIFY-DISABLED", "charts/x/values.yaml", reindented) == []
    assert severities(line_rule("TLS-VERIFY-DISABLED", "charts/y/values.yaml", "+          insecure_skip_verify: true")) == ["high"]


# -- rm -rf of the script's own scratch space -----------------------------------------------------

def test_removing_a_temporary_folder_is_cleanup_but_a_bare_variable_root_stays_critical() -> None:
    assert line_rule("OPS-RM-RF", "scripts/update-crds.sh", "+TMP_DIR=$(mktemp -d)\n+trap 'rm -rf \"$TMP_DIR\"' EXIT") == []
    assert line_rule("OPS-RM-RF", "scripts/render.sh", "+rm -rf /tmp/chart-render") == []
    # Empty, "$TARGET/" is the root; an empty "$TARGET" alone deletes nothing (test_rm_rf_targets.py).
    assert severities(line_rule("OPS-RM-RF", "scripts/update-crds.sh", "+rm -rf \"$TARGET/\"")) == ["critical"]
    assert severities(line_rule("OPS-RM-RF", "scripts/update-crds.sh", "+rm -rf \"$TARGET\"")) == ["medium"]
    assert severities(line_rule("OPS-RM-RF", "scripts/render.sh", "+rm -rf $TMP_DIR /var/lib/postgresql/data")) == ["critical"]


def test_a_ci_scripts_folder_is_a_build_file() -> None:
    fired = {f.rule: f for f in evaluate(one_file_change("charts/app/ci/lint.sh", "+rm -rf ./venv ./*.git"), RULES)}
    assert "OPS-RM-RF" not in fired and fired["OPS-RM-RF-IN-BUILD"].severity == "low"
    [dangerous] = line_rule("OPS-RM-RF-IN-BUILD", "charts/app/ci/lint.sh", "+rm -rf $WORKSPACE/")
    assert dangerous.severity == "high"


# -- delete commands in teardown and local-cluster scripts ----------------------------------------

def test_a_local_cluster_script_deleting_is_medium_a_runbook_stays_high() -> None:
    fired = {f.rule: f for f in evaluate(one_file_change("hack/minikube/cmd.sh", "+  kubectl delete secret etcd-certs -nmonitoring"), RULES)}
    assert "OPS-CLOUD-DELETE-CLI" not in fired
    assert fired["OPS-CLOUD-DELETE-IN-TEARDOWN"].severity == "medium"
    [every] = line_rule("OPS-CLOUD-DELETE-IN-TEARDOWN", "hack/minikube/cmd.sh", "+kubectl delete pods --all -n prod")
    assert every.severity == "high"
    [runbook] = line_rule("OPS-CLOUD-DELETE-CLI", "runbooks/cleanup.sh", "+kubectl delete deployment billing-api -n prod")
    assert runbook.severity == "high"


# -- removed keys that set nothing ----------------------------------------------------------------

def test_a_schema_key_or_a_null_timeout_removed_loses_nothing_a_set_timeout_does() -> None:
    schema = "-                            timeoutSeconds:\n-                              format: int32\n-                              type: integer"
    assert line_rule("RESILIENCE-REMOVED", "charts/wf/files/crds/full/workflows.yaml", schema) == []
    assert line_rule("RESILIENCE-REMOVED", "manifests/dashboards.yaml", '-      "cacheTimeout": null,\n-      "datasource": "prom",') == []
    probe = "   livenessProbe:\n-    timeoutSeconds: 1\n-    periodSeconds: 10"
    assert severities(line_rule("RESILIENCE-REMOVED", "charts/app/values.yaml", probe)) == ["medium"]


# -- tests ----------------------------------------------------------------------------------------

def test_a_go_skip_under_an_if_is_conditional_a_bare_skip_is_not() -> None:
    conditional = '+\tif os.Getenv("METRICS_API") != "metrics-server" {\n+\t\tt.Skip("metrics-server is not deployed")\n+\t}'
    assert line_rule("TEST-DISABLED-OR-DELETED", "tests/e2e/metrics_test.go", conditional) == []
    bare = ' func TestSTARTTLS(t *testing.T) {\n+\tt.Skip("STARTTLS is funky with the mail server")\n \tcfg := os.Getenv("CFG")'
    assert severities(line_rule("TEST-DISABLED-OR-DELETED", "notify/email/email_test.go", bare)) == ["high"]


def test_a_test_file_deleted_with_the_code_it_tested_is_medium_alone_it_is_high() -> None:
    test = file_from("inhibit/metric_test.go", "-func TestMetric(t *testing.T) {}", status="deleted")
    code = file_from("inhibit/metric.go", "-func metric() {}", status="deleted")
    [together] = [f for f in evaluate(change_of(test, code), RULES) if f.rule == "TEST-DISABLED-OR-DELETED"]
    assert together.severity == "medium" and "inhibit/metric.go" in together.message
    [alone] = [f for f in evaluate(change_of(test), RULES) if f.rule == "TEST-DISABLED-OR-DELETED"]
    assert alone.severity == "high"


# -- workflows ------------------------------------------------------------------------------------

def test_a_context_passed_as_data_is_no_injection_pasted_into_run_it_is() -> None:
    path = ".github/workflows/ci.yaml"
    assert line_rule("GHA-TEMPLATE-INJECTION", path, "+        with:\n+          ref: ${{ github.event.pull_request.head.ref }}") == []
    assert line_rule("GHA-TEMPLATE-INJECTION", path, "+        env:\n+          PR_TITLE: ${{ github.event.pull_request.title }}") == []
    [pasted] = line_rule("GHA-TEMPLATE-INJECTION", path, '+        run: echo "${{ github.event.pull_request.title }}"')
    assert pasted.severity == "high"
    [script] = line_rule("GHA-TEMPLATE-INJECTION", path, "+        run: |\n+          git checkout ${{ github.head_ref }}")
    assert script.line == 11


def test_or_true_after_a_diagnostic_is_no_bypass_after_a_test_it_is() -> None:
    path = ".github/workflows/ci.yaml"
    assert line_rule("CI-CHECK-BYPASS", path, '+            kubectl logs --namespace "$ns" "$pod" -p || true') == []
    assert line_rule("CI-CHECK-BYPASS", path, "+      - run: docker rm -f db || true") == []
    assert severities(line_rule("CI-CHECK-BYPASS", path, "+      - run: make test || true")) == ["high"]


def test_canary_as_a_toolchain_version_is_no_rollout_stage_a_canary_step_is() -> None:
    matrix = '-        deno: ["v1.x", "canary"]\n+        deno: ["v1.x"]'
    assert line_rule("ROLLOUT-ALL-AT-ONCE", "ci/deno.yml", matrix) == []
    stage = "   strategy:\n-    canary:\n-      steps:\n+    rollingUpdate:\n+      maxSurge: 1"
    assert severities(line_rule("ROLLOUT-ALL-AT-ONCE", "deploy/rollout.yaml", stage)) == ["high"]


def test_an_environment_variables_map_removed_is_no_protection_a_named_environment_is() -> None:
    variables = "-    environment:\n-      GOPATH: /go\n-    steps:"
    [found] = line_rule("DEPLOY-PIPELINE-CHANGE", ".circleci/config.yml", variables)
    assert found.severity == "medium"
    [named] = line_rule("DEPLOY-PIPELINE-CHANGE", ".github/workflows/deploy.yml", "-    environment: production\n+    runs-on: ubuntu-latest")
    assert named.severity == "high"
    [nested] = line_rule("DEPLOY-PIPELINE-CHANGE", ".github/workflows/deploy.yml", "-    environment:\n-      name: production")
    assert nested.severity == "high"


# -- review routing -------------------------------------------------------------------------------

def test_a_vendored_codeowners_steers_nothing_the_repositorys_own_does() -> None:
    vendored = one_file_change("vendor/github.com/miekg/dns/CODEOWNERS", "-* @miekg", status="deleted")
    assert [f for f in evaluate(vendored, RULES) if f.rule == "GOV-REVIEW-ROUTING-CHANGED"] == []
    own = one_file_change("CODEOWNERS", "-* @acme/maintainers\n+* @acme/maintainers @acme/new")
    assert [f.rule for f in evaluate(own, RULES)] == ["GOV-REVIEW-ROUTING-CHANGED"]


def test_a_folders_owners_line_removed_is_medium_the_catch_all_removed_is_high() -> None:
    [folder] = line_rule("GOV-REVIEW-ROUTING-CHANGED", "CODEOWNERS", "-/charts/exporter/ @alice\n /charts/ @team")
    assert folder.severity == "medium"
    [catch_all] = line_rule("GOV-REVIEW-ROUTING-CHANGED", "CODEOWNERS", "-* @acme/maintainers\n /charts/ @team")
    assert catch_all.severity == "high"
    [gate] = line_rule("GOV-REVIEW-ROUTING-CHANGED", ".github/settings.yml", "-      required_approving_review_count: 2")
    assert gate.severity == "critical"


# -- secrets and invisible characters --------------------------------------------------------------

def test_author_and_identifier_values_are_no_secrets_a_token_is() -> None:
    assert line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "script/package.json", '+  "author": "github/c2c-actions-experience",') == []
    assert line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "notify/jira/jira.go", '+\t\tFieldKey: "customfield_14400",') == []
    [token] = line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "app/settings.py", '+AUTH_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"')
    assert token.severity == "medium"


def test_a_zero_width_space_in_prose_is_medium_inside_a_name_it_is_high() -> None:
    [prose] = line_rule("TROJAN-SOURCE-INVISIBLE", "code-scanning/zscan.yml", "+# and identifies vulnerabilities. \u200b")
    assert prose.severity == "medium"
    [name] = line_rule("TROJAN-SOURCE-INVISIBLE", "src/auth.py", "+    is_admin\u200b = True")
    assert name.severity == "high"
    [filler] = line_rule("TROJAN-SOURCE-INVISIBLE", "src/auth.py", "+    \u3164 = request.args")
    assert filler.severity == "high"


# -- minified code --------------------------------------------------------------------------------

def test_a_minified_bundle_is_generated_hand_written_code_is_not() -> None:
    bundle = "x" * 3000
    diff = file_from("ui/app/script.js", f"-var a={bundle};\n+var a={bundle}try{{f()}}catch(e){{}}")
    role = role_of(diff)
    assert role is not None and role.name == "generated"
    insecure = "rejectUnauthorized: false"
    [lowered] = line_rule("TLS-VERIFY-DISABLED", "ui/app/script.js", f"-var a={bundle};\n+var a={{{bundle}, {insecure}}}")
    assert lowered.severity == "medium" and "minified" in lowered.message
    assert role_of(file_from("ui/app/main.js", f"+const agent = {{{insecure}}}")) is None
    [kept] = line_rule("TLS-VERIFY-DISABLED", "ui/app/main.js", f"+const agent = {{{insecure}}}")
    assert kept.severity == "high"


def test_a_helper_deleted_from_a_test_folder_is_no_test_deleted_a_test_file_is() -> None:
    helper = file_from("test/api_client/get_receivers_parameters.go",
                       "-package general\n-type GetReceiversParams struct {\n-\tTimeout time.Duration\n-}", status="deleted")
    assert [f for f in evaluate(change_of(helper), RULES) if f.rule == "TEST-DISABLED-OR-DELETED"] == []
    tests = file_from("test/acceptance/send_test.go",
                      "-package test\n-func TestSend(t *testing.T) {\n-\tat.Run()\n-}", status="deleted")
    [found] = [f for f in evaluate(change_of(tests), RULES) if f.rule == "TEST-DISABLED-OR-DELETED"]
    assert found.severity == "high"
    chart_test = file_from("charts/x/templates/tests/test-pod.yaml",
                           '-metadata:\n-  annotations:\n-    "helm.sh/hook": test-success', status="deleted")
    assert [f.rule for f in evaluate(change_of(chart_test), RULES) if f.rule == "TEST-DISABLED-OR-DELETED"] == [
        "TEST-DISABLED-OR-DELETED"]


def test_deleted_holds_without_a_deleted_status_is_refused() -> None:
    import pytest

    from reviewer_app.core.risk.loader import parse_rules
    from reviewer_app.errors import UserError

    table = {"id": "TEAM-X", "title": "t", "severity": "low", "scope": "file", "message": "m", "reference": "r",
             "added": "x", "deleted_holds": "def test_"}
    with pytest.raises(UserError, match="team.toml: rule TEAM-X: field 'deleted_holds'"):
        parse_rules("team.toml", [table])


def test_a_variable_tested_beside_rm_is_no_target_a_variable_rm_deletes_is() -> None:
    guarded = '+    && if [ -n "$DEV_CONTAINER" ]; then apt-get install python; else rm -rf  $CASSANDRA_HOME/pylib; fi \\'
    assert severities(line_rule("OPS-RM-RF-IN-BUILD", "image/Dockerfile", guarded)) == ["low"]
    assert severities(line_rule("OPS-RM-RF-IN-BUILD", "image/Dockerfile", '+RUN rm -rf "$CASSANDRA_HOME"/*; true')) == ["high"]
    assert severities(line_rule("OPS-RM-RF-IN-BUILD", "image/Dockerfile", '+RUN rm -rf "$CASSANDRA_HOME"; true')) == ["low"]
    assert severities(line_rule("OPS-RM-RF", "ops/wipe.sh", "+sudo rm -rf /var/opt/gitlab/postgresql/data")) == ["critical"]


def test_a_test_file_whose_tests_move_to_new_files_is_low_one_whose_tests_vanish_is_high() -> None:
    body = "-func TestAlertStatus(t *testing.T) {\n-\trequire.Equal(t, want, got)\n-}\n-func TestGroupStatus(t *testing.T) {\n-}"
    deleted = file_from("types/types_test.go", body, status="deleted")
    moved = file_from("marker/alert_test.go", "+func TestAlertStatus(t *testing.T) {\n+\trequire.Equal(t, want, got)\n+}\n"
                      "+func TestGroupStatus(t *testing.T) {\n+}", status="added")
    [found] = [f for f in evaluate(change_of(deleted, moved), RULES) if f.rule == "TEST-DISABLED-OR-DELETED"]
    assert found.severity == "low" and "reappear" in found.message
    other = file_from("marker/alert_test.go", "+func TestSomethingElse(t *testing.T) {\n+}", status="added")
    [kept] = [f for f in evaluate(change_of(deleted, other), RULES) if f.rule == "TEST-DISABLED-OR-DELETED"]
    assert kept.severity == "high"


def test_a_permission_check_replaced_by_a_stricter_helper_is_kept_removed_outright_it_is_not() -> None:
    replaced = ("-        if not request.user.has_perm('users.grant_token'):\n"
                "+        if not user_may_grant_token(request.user, token_user):\n"
                "             raise PermissionDenied()")
    assert line_rule("AUTHZ-CHECK-REMOVED", "users/views.py", replaced) == []
    removed = "-        if not request.user.has_perm('users.grant_token'):\n-            raise PermissionDenied()\n         token.save()"
    assert severities(line_rule("AUTHZ-CHECK-REMOVED", "users/views.py", removed)) == ["medium"]
    helper_removed = "-        if not user_may_grant_token(request.user, token_user):\n-            raise PermissionDenied()\n         token.save()"
    assert severities(line_rule("AUTHZ-CHECK-REMOVED", "users/views.py", helper_removed)) == ["medium"]
