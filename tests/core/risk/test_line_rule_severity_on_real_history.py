"""Line rules whose high ratings did not hold on real history are medium, and say why.

On commits nobody had labelled (docs/risk-evaluation.md, draws C and D) the readers judged 0 of 7
high ERR-HANDLING-REMOVED flags true, 0 of 6 OPS-RM-RF, 1 of 4 RESILIENCE-REMOVED, 0 of 2
SECRET-HIGH-ENTROPY-ASSIGNMENT and 0 of 1 security-scanner suppression: a pattern on a line
cannot see whether the handling, the limit or the target is still there. These rules now rate
medium, which still shows the line to the reviewer, still counts as high on a change that reaches
tier-0 services, and still turns critical-worthy cases critical (rm -rf of the root or of a data
directory; known key formats have rules of their own).
"""

from __future__ import annotations

import pytest

from reviewer_app.core.provenance import Provenance
from reviewer_app.core.risk import assess, load_rules
from reviewer_app.core.risk.roles import role_of
from tests.core.risk.diffs import file_from, line_rule, one_file_change

RULES = load_rules(None)
HUMAN = Provenance(ai_assisted=False)
TIER0 = {"direct": [{"name": "payments", "tier": 0, "owner": "pay"}], "transitive": [], "max_tier": 0}


@pytest.mark.parametrize(("rule_id", "path", "example", "why"), [
    ("ERR-HANDLING-REMOVED", "app/mail.py",
     "-    try:\n-        send(message)\n-    except SMTPError:\n-        log.warning('mail not sent')\n+    send(message)",
     "cannot see whether the failure is still handled"),
    ("RESILIENCE-REMOVED", "app/client.py", "-    resp = client.get(url, timeout=5)\n+    resp = client.get(url)",
     "cannot see whether the limit still applies"),
    ("OPS-RM-RF", "scripts/cleanup.sh", "+rm -rf ./build/output", "cannot see what the path expands to"),
    ("SECRET-HIGH-ENTROPY-ASSIGNMENT", "app/settings.py", '+API_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"',
     "randomness alone cannot tell a credential"),
])
def test_a_pattern_alone_is_medium_and_the_message_says_why(rule_id: str, path: str, example: str, why: str) -> None:
    [found] = line_rule(rule_id, path, example)
    assert found.severity == "medium"
    assert "Medium, not high" in found.message and why in found.message


def test_a_security_scanner_silenced_inline_is_medium_like_any_suppression() -> None:
    [nosec] = line_rule("SCANNER-SUPPRESSION", "app/util.py", '+    token = os.environ["T"]  # nosec')
    [lint] = line_rule("SCANNER-SUPPRESSION", "app/util.js", "+// eslint-disable-next-line no-eval")
    assert nosec.severity == lint.severity == "medium"


def test_what_the_pattern_alone_proves_stays_critical() -> None:
    assert [f.severity for f in line_rule("OPS-RM-RF", "scripts/cleanup.sh", "+rm -rf /var/lib/postgresql/data")] == ["critical"]
    assert [f.severity for f in line_rule("OPS-RM-RF", "scripts/cleanup.sh", '+rm -rf "$TARGET/"')] == ["critical"]
    [key] = line_rule("SECRET-AWS-ACCESS-KEY", "app/settings.py", '+AWS_ACCESS_KEY_ID = "AKIAZ7XQ4PLM2RTN8VWB"')
    assert key.severity == "critical"


def test_a_medium_line_finding_on_a_tier0_service_still_rates_the_change_high() -> None:
    change = one_file_change("app/client.py", "-    resp = client.get(url, timeout=5)\n+    resp = client.get(url)")
    alone = assess(change, HUMAN, RULES)
    assert alone.level == "medium"
    reaching = assess(change, HUMAN, RULES, services=TIER0)
    assert reaching.level == "high"
    assert any("RESILIENCE-REMOVED" in reason and "tier-0" in reason for reason in reaching.reasons)


@pytest.mark.parametrize("path", ["charts/app/README.md.gotmpl", "docs/install.rst.j2", "site/guide.md.tmpl"])
def test_a_document_template_is_documentation(path: str) -> None:
    role = role_of(file_from(path, "+kubectl delete crd alertmanagers.monitoring.coreos.com"))
    assert role is not None and role.name == "documentation"
    [found] = line_rule("OPS-CLOUD-DELETE-CLI", path, "+kubectl delete crd alertmanagers.monitoring.coreos.com")
    assert found.severity == "low" and "documentation" in found.message


@pytest.mark.parametrize("path", ["charts/app/templates/_helpers.tpl", "charts/app/templates/job.yaml"])
def test_a_chart_template_is_not_documentation(path: str) -> None:
    assert role_of(file_from(path, "+kubectl delete crd alertmanagers.monitoring.coreos.com")) is None
