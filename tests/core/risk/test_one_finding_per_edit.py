"""One finding per edit, and a removed-side finding only where the protection is really lost.

A modified line is one edit: when the rule flags its new side, the old side is not a second
finding for the reviewer to acknowledge. A removed protection still present on the new side (moved
in the file, or moved to another file with its value) is not lost. Finding ids keep their scheme.
"""

from __future__ import annotations

from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import FileContext, evaluate, evaluate_rule
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.hits import prepare
from reviewer_app.core.risk.removals import ChangeAddedLines
from tests.core.risk.diffs import change_of, file_from

RULES = load_rules(None)


def rule_on(rule_id: str, *files, index: int = 0) -> list[Finding]:
    """One line rule's findings on files[index], judged within the change made of ``files``."""
    change = change_of(*files)
    diff = files[index]
    rule = RULES.by_id(rule_id)
    assert rule is not None
    view = prepare(diff)
    return evaluate_rule(rule, view, FileContext(view, ChangeAddedLines(change)))


def test_a_modified_line_yields_one_finding_on_its_new_side() -> None:
    edit = """
   lifecycle {
-    prevent_destroy = true
+    prevent_destroy = false
   }
"""
    [found] = rule_on("INFRA-TF-PREVENT-DESTROY-OFF", file_from("infra/db.tf", edit))
    assert (found.side, found.line) == ("new", 11)
    assert found.id == "INFRA-TF-PREVENT-DESTROY-OFF@infra/db.tf:new:11"


def test_deletion_protection_flipped_is_one_finding() -> None:
    edit = "-  deletion_protection = true\n+  deletion_protection = false"
    found = rule_on("INFRA-DELETION-PROTECTION-OFF", file_from("infra/rds.tf", edit))
    assert [(f.side, f.line) for f in found] == [("new", 10)]


def test_a_removal_without_replacement_stays_on_the_old_side() -> None:
    edit = """
   lifecycle {
-    prevent_destroy = true
   }
"""
    [found] = rule_on("INFRA-TF-PREVENT-DESTROY-OFF", file_from("infra/db.tf", edit))
    assert found.id == "INFRA-TF-PREVENT-DESTROY-OFF@infra/db.tf:old:11"


def test_two_separate_edits_are_two_findings() -> None:
    edits = """
-    prevent_destroy = true
   }
   other = 1
+    prevent_destroy = false
"""
    found = rule_on("INFRA-TF-PREVENT-DESTROY-OFF", file_from("infra/db.tf", edits))
    assert sorted(f.side for f in found) == ["new", "old"]


def test_a_protection_moved_within_the_file_is_not_lost() -> None:
    moved = """
-      timeoutSeconds: 5
       image: billing:1.2
+      timeoutSeconds: 5
"""
    assert rule_on("RESILIENCE-REMOVED", file_from("k8s/billing/deployment.yaml", moved)) == []


def test_a_protection_moved_to_another_file_with_its_value_is_not_lost() -> None:
    template = file_from("charts/billing/templates/deployment.yaml", """
         livenessProbe:
-          timeoutSeconds: 30
+          {{- toYaml .Values.probe | nindent 10 }}
""")
    values = file_from("charts/billing/values.yaml", "+  timeoutSeconds: 30", status="added")
    assert rule_on("RESILIENCE-REMOVED", template, values) == []
    # The same removal with nothing like it elsewhere is a finding.
    elsewhere = file_from("charts/billing/values.yaml", "+  replicas: 3", status="added")
    [found] = rule_on("RESILIENCE-REMOVED", template, elsewhere)
    assert found.side == "old"


def test_a_bare_keyword_added_in_another_file_is_no_move() -> None:
    """Removing ``@login_required`` here and adding one on another view must still be seen."""
    view = file_from("app/views/billing.py", "-@login_required\n def refund(request, order_id):")
    other = file_from("app/views/profile.py", "+@login_required\n def show(request):")
    [found] = rule_on("AUTHZ-CHECK-REMOVED", view, other)
    assert found.id == "AUTHZ-CHECK-REMOVED@app/views/billing.py:old:10"


def test_the_whole_engine_reports_a_flipped_guard_once() -> None:
    change = change_of(file_from("deploy/k8s/agent.yaml", "-          privileged: false\n+          privileged: true"))
    found = [f for f in evaluate(change, RULES) if f.rule == "K8S-PRIVILEGED"]
    assert [(f.side, f.line) for f in found] == [("new", 10)]


def test_workflow_permissions_rewritten_are_reported_on_the_new_side_only() -> None:
    edit = """
-permissions:
-  contents: read
+permissions:
+  contents: write
"""
    found = rule_on("GHA-PERMISSIONS-WIDENED", file_from(".github/workflows/release.yml", edit))
    assert [(f.side, f.line) for f in found] == [("new", 11)]
