"""The text view and SARIF 2.1.0 output of risk reports."""

from __future__ import annotations

import json

from reviewer_app.core.provenance import Provenance
from reviewer_app.core.risk import assess, load_rules, render_text, to_sarif
from tests.core.risk.diffs import change_of, file_from

RULES = load_rules(None)


def sample():
    change = change_of(
        file_from("scripts/cleanup.sh", " set -e\n+curl -k -o /tmp/x https://internal/api\n+kubectl delete ns staging\n"),
        file_from(".github/workflows/deploy.yml", "+      - run: ./deploy.sh\n"),
        title="Clean up staging",
    )
    return change, assess(change, Provenance(ai_assisted=False), RULES)


def test_text_groups_findings_by_file_with_severity() -> None:
    _, report = sample()
    text = render_text(report)
    assert text.startswith(f"Risk: HIGH ({report.score}/100)\n")
    scripts = text.index("\nscripts/cleanup.sh\n")
    workflow = text.index("\n.github/workflows/deploy.yml\n")
    assert scripts < text.index("HIGH     TLS-VERIFY-DISABLED:") < text.index("HIGH     OPS-CLOUD-DELETE-CLI:") < workflow
    assert "     +11  HIGH     TLS-VERIFY-DISABLED: TLS certificate verification is turned off" in text
    assert "    file  MEDIUM   DEPLOY-PIPELINE-CHANGE:" in text
    assert "[TLS-VERIFY-DISABLED@scripts/cleanup.sh:new:11]" in text
    assert text.endswith(f"Rule pack {RULES.pack_hash}\n")


def test_sarif_has_rules_with_help_and_one_based_regions() -> None:
    change, report = sample()
    sarif = to_sarif([(change, report)], RULES)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "reviewer-app"
    assert [r["id"] for r in driver["rules"]] == [r.id for r in RULES.rules]
    tls_rule = next(r for r in driver["rules"] if r["id"] == "TLS-VERIFY-DISABLED")
    assert tls_rule["help"]["text"].startswith("TLS certificate verification is turned off")
    assert "Semgrep rules disabled-cert-validation" in tls_rule["help"]["text"]
    assert tls_rule["defaultConfiguration"]["level"] == "error"
    rm_rule = next(r for r in driver["rules"] if r["id"] == "OPS-RM-RF")
    assert rm_rule["defaultConfiguration"]["level"] == "warning"  # medium unless the target is the root

    by_rule = {r["ruleId"]: r for r in run["results"]}
    tls = by_rule["TLS-VERIFY-DISABLED"]
    assert tls["level"] == "error"
    assert driver["rules"][tls["ruleIndex"]]["id"] == "TLS-VERIFY-DISABLED"
    region = tls["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 11, "startColumn": 1, "endColumn": 8}  # "curl -k" at columns 0..7
    assert tls["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "scripts/cleanup.sh"
    assert tls["partialFingerprints"]["reviewerFindingId/v1"] == "TLS-VERIFY-DISABLED@scripts/cleanup.sh:new:11"
    pipeline = by_rule["DEPLOY-PIPELINE-CHANGE"]
    assert pipeline["level"] == "warning"
    assert "region" not in pipeline["locations"][0]["physicalLocation"]  # file-level: no line
    json.dumps(sarif)  # serialisable as is


def test_sarif_of_several_changes_and_none() -> None:
    change, report = sample()
    sarif = to_sarif([(change, report), (change, report)], RULES)
    assert len(sarif["runs"][0]["results"]) == 2 * len(report.findings)
    assert to_sarif([], RULES)["runs"][0]["results"] == []


def test_text_of_a_clean_change() -> None:
    change = change_of(file_from("app/util.py", "+x = 1"))
    report = assess(change, None, RULES)
    lines = render_text(report).splitlines()
    # The reasons (and the score inside the low band) belong to the change model; the text shows
    # them all, then says there is nothing to look at.
    assert lines[0] == f"Risk: LOW ({report.score}/100)" and report.score < 25
    assert lines[1] == "  - No rule fired on its 1 changed line in 1 file."
    assert lines[1:1 + len(report.reasons)] == [f"  - {reason}" for reason in report.reasons]
    assert lines[1 + len(report.reasons)] == "No findings."
