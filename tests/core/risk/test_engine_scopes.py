"""How the engine places findings: line, hunk, file and change scope; spans; moves; escalation."""

from __future__ import annotations

from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import evaluate, shannon_entropy
from reviewer_app.core.risk.loader import parse_rules
from reviewer_app.core.risk.rules import RuleSet
from tests.core.risk.diffs import change_of, file_from, one_file_change

BUILTIN = load_rules(None)


def team(text: str) -> RuleSet:
    import tomllib

    return RuleSet(tuple(parse_rules("team.toml", tomllib.loads(text)["rule"])))


def test_line_finding_has_stable_id_and_exact_span() -> None:
    change = one_file_change("scripts/cleanup.sh", " set -e\n+echo start; rm -rf ./build/tmp\n")
    [finding] = evaluate(change, BUILTIN.only("OPS-RM-RF"))
    assert finding.id == "OPS-RM-RF@scripts/cleanup.sh:new:11"
    line = change.files[0].hunks[0].lines[1].text
    assert line[finding.start:finding.end] == "rm -rf"
    assert (finding.start, finding.end) == (12, 18)
    assert finding.to_dict() == {
        "id": "OPS-RM-RF@scripts/cleanup.sh:new:11", "rule": "OPS-RM-RF", "severity": "medium",
        "path": "scripts/cleanup.sh", "line": 11, "side": "new", "start": 12, "end": 18,
        "message": finding.message, "reference": finding.reference,
    }


def test_removed_line_finding_is_on_the_old_side_with_its_old_number() -> None:
    change = one_file_change("infra/db.tf", " lifecycle {\n-  prevent_destroy = true\n }\n")
    [finding] = evaluate(change, BUILTIN.only("INFRA-TF-PREVENT-DESTROY-OFF"))
    assert (finding.side, finding.line, finding.id) == ("old", 11, "INFRA-TF-PREVENT-DESTROY-OFF@infra/db.tf:old:11")


def test_hunk_scope_gives_one_finding_per_hunk_at_its_first_matching_line() -> None:
    hunk = '+  resources: ["*"]\n+  verbs: ["*"]\n'
    change = one_file_change("k8s/role.yaml", hunk, hunk)
    findings = evaluate(change, BUILTIN.only("K8S-RBAC-WILDCARD"))
    assert [f.line for f in findings] == [10, 110]


def test_net_removed_ignores_a_hunk_that_keeps_as_much_as_it_removes() -> None:
    reworded = "-    try:\n-        send()\n+    try:\n+        send(timeout=3)\n"
    removed = "-    try:\n-        send()\n-    except OSError:\n-        retry()\n+    send()\n"
    rules = BUILTIN.only("ERR-HANDLING-REMOVED")
    assert evaluate(one_file_change("app/mail.py", reworded), rules) == []
    [finding] = evaluate(one_file_change("app/mail.py", removed), rules)
    assert (finding.side, finding.line) == ("old", 10)


def test_ignore_moved_treats_a_block_moved_to_another_hunk_as_kept() -> None:
    moved = file_from("infra/main.tf", '-resource "aws_s3_bucket" "logs" {\n-}\n', '+resource "aws_s3_bucket" "logs" {\n+}\n')
    assert evaluate(change_of(moved), BUILTIN.only("INFRA-TF-RESOURCE-REMOVED")) == []


def test_file_scope_finding_is_at_line_zero_and_respects_file_lacks() -> None:
    rules = BUILTIN.only("OPS-BULK-DELETE-NO-DRYRUN")
    unguarded = one_file_change("scripts/purge.py", "+for i in ids:\n+    hard_delete(i)\n")
    [finding] = evaluate(unguarded, rules)
    assert (finding.line, finding.start, finding.end, finding.id) == (0, 0, 0, "OPS-BULK-DELETE-NO-DRYRUN@scripts/purge.py:new:0")
    guarded_by_context = one_file_change("scripts/purge.py", " if not args.confirm:\n     sys.exit(1)\n+for i in ids:\n+    hard_delete(i)\n")
    assert evaluate(guarded_by_context, rules) == []


def test_deleted_test_file_fires_on_the_old_side() -> None:
    change = one_file_change("tests/test_refunds.py", "-def test_cap():\n-    assert cap() == 10\n", status="deleted")
    [finding] = evaluate(change, BUILTIN.only("TEST-DISABLED-OR-DELETED"))
    assert finding.id == "TEST-DISABLED-OR-DELETED@tests/test_refunds.py:old:0"


def test_exclude_globs_win_over_include_globs() -> None:
    change = one_file_change("db/tests/fixtures.sql", "+DROP TABLE orders;")
    assert evaluate(change, BUILTIN.only("DB-DROP-TABLE")) == []
    assert evaluate(one_file_change("db/migrations/9.sql", "+DROP TABLE orders;"), BUILTIN.only("DB-DROP-TABLE"))


def test_a_rename_out_of_a_matched_folder_still_counts() -> None:
    diff = file_from("db/migrations/9.sql", "+DROP TABLE orders;", status="renamed")
    diff.old_path, diff.new_path = "db/migrations/9.sql", "archive/9.sql"
    assert [f.rule for f in evaluate(change_of(diff), BUILTIN.only("DB-DROP-TABLE"))] == ["DB-DROP-TABLE"]


def test_change_scope_rule_fires_once_per_change() -> None:
    rules = team("""
[[rule]]
id = "TEAM-PAYMENTS-TOUCHED"
title = "Payments code touched"
severity = "medium"
scope = "change"
paths = ["payments/**"]
any_change = true
message = "Payments changes need the payments on-call in the loop."
reference = "Team runbook"
""")
    change = change_of(file_from("payments/a.py", "+x = 1"), file_from("payments/b.py", "+y = 2"), file_from("docs/x.md", "+z"))
    [finding] = evaluate(change, rules)
    assert finding.id == "TEAM-PAYMENTS-TOUCHED@payments/a.py:new:0"


def test_escalation_raises_severity_and_says_why() -> None:
    change = one_file_change("runbooks/db.sh", "+sudo rm -rf /var/lib/postgresql/data\n+rm -rf ./tmp\n")
    findings = evaluate(change, BUILTIN.only("OPS-RM-RF"))
    assert [(f.line, f.severity) for f in findings] == [(10, "critical"), (11, "medium")]
    assert findings[0].message.endswith("Raised to critical: the target is the filesystem root, a bare variable or a database data directory.")


def test_entropy_filter_keeps_random_values_only() -> None:
    assert shannon_entropy("aaaa") == 0.0
    assert round(shannon_entropy("abcd"), 3) == 2.0
    rules = BUILTIN.only("SECRET-HIGH-ENTROPY-ASSIGNMENT")
    assert evaluate(one_file_change("app/settings.py", '+API_KEY = "changeme_changeme_changeme"'), rules) == []
    assert evaluate(one_file_change("app/settings.py", '+API_KEY = "Zx8Qp2Lr7Vt4Nw9Ks3Jd6Hf1"'), rules)


def test_trojan_source_span_points_at_the_invisible_character() -> None:
    change = one_file_change("src/auth.py", '+    if role != "user\u202e \u2066# admin\u2069 \u2066":')
    findings = evaluate(change, BUILTIN.only("TROJAN-SOURCE-BIDI"))
    text = change.files[0].hunks[0].lines[0].text
    assert [text[f.start:f.end] for f in findings] == ["\u202e"]
    assert findings[0].severity == "high"


def test_context_only_and_binary_files() -> None:
    untouched = one_file_change(".github/workflows/ci.yml", " name: ci")
    assert evaluate(untouched, BUILTIN.only("DEPLOY-PIPELINE-CHANGE")) == []
    binary = file_from("deploy/key.pem", status="added")
    binary.binary = True
    assert [f.rule for f in evaluate(change_of(binary), BUILTIN.only("DEPLOY-PIPELINE-CHANGE"))] == ["DEPLOY-PIPELINE-CHANGE"]


def test_crlf_lines_match_like_lf_lines() -> None:
    change = one_file_change("scripts/x.sh", "+rm -rf ./out\r")
    [finding] = evaluate(change, BUILTIN.only("OPS-RM-RF"))
    assert (finding.start, finding.end) == (0, 6)
