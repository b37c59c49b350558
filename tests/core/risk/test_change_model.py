"""The change-level model: levels, score bands, reasons, AI provenance, blast radius, determinism."""

from __future__ import annotations

import json

import pytest

from reviewer_app.core.provenance import Provenance
from reviewer_app.core.risk import assess, load_rules
from reviewer_app.core.risk.metrics import normalized_entropy
from reviewer_app.core.risk.score import BANDS
from tests.core.risk.diffs import change_of, file_from, one_file_change

RULES = load_rules(None)
HUMAN = Provenance(ai_assisted=False)
AGENT = Provenance(ai_assisted=True, tools=["cursor"])

PRICING_BLAST = {
    "direct": [{"name": "pricing-rules", "tier": 2, "owner": "team-pricing"}],
    "transitive": [
        {"name": "checkout", "tier": 0, "owner": "team-checkout", "via": ["pricing-rules", "checkout"]},
        {"name": "cart", "tier": 1, "owner": "team-cart", "via": ["pricing-rules", "cart"]},
        {"name": "storefront", "tier": 0, "owner": "team-web", "via": ["pricing-rules", "cart", "storefront"]},
    ],
    "max_tier": 0,
}


def lines(count: int, prefix: str = "+") -> str:
    return "\n".join(f"{prefix}value_{n} = compute({n})" for n in range(count))


def in_band(score: int, level: str) -> bool:
    return BANDS[level] <= score <= BANDS[level] + 24


def test_small_clean_change_is_low_and_says_so() -> None:
    report = assess(one_file_change("app/util.py", lines(3)), HUMAN, RULES)
    assert (report.level, report.findings) == ("low", [])
    assert report.reasons == [
        "No rule fired on its 3 changed lines in 1 file.",
        "Change model: 0.17 estimated likelihood of a revert or fix, from size and diffusion only "
        "(no repository history was available).",
    ]
    assert in_band(report.score, "low")


def test_size_beyond_400_lines_is_medium_with_a_checkable_reason() -> None:
    report = assess(one_file_change("app/big.py", lines(300) + "\n" + lines(150, "-")), HUMAN, RULES)
    assert report.level == "medium" and in_band(report.score, "medium")
    assert "It changes 450 lines (300 added, 150 removed); review quality falls beyond 400 lines." in report.reasons


def test_wide_diffusion_is_medium() -> None:
    files = [file_from(f"area{n % 4}/mod{n}.py", "+x = 1") for n in range(12)]
    report = assess(change_of(*files), HUMAN, RULES)
    assert report.level == "medium"
    assert any(r.startswith("It is spread over 12 files in 4 folders and 4 top-level areas") for r in report.reasons)


def test_high_finding_is_high_for_a_human_and_critical_for_an_agent() -> None:
    change = one_file_change("app/client.py", "+resp = requests.get(url, verify=False)")
    assert assess(change, HUMAN, RULES).level == "high"
    by_agent = assess(change, AGENT, RULES)
    assert by_agent.level == "critical" and in_band(by_agent.score, "critical")
    assert "It is AI-assisted (cursor), so its high findings (TLS-VERIFY-DISABLED) count as critical." in by_agent.reasons
    # The finding keeps the rule's own severity: the provenance raises the change, not the line.
    assert by_agent.findings[0].severity == "high"


def test_medium_finding_reaching_tier0_counts_as_high() -> None:
    change = one_file_change("pricing/app.js", "+// eslint-disable-next-line")
    assert assess(change, HUMAN, RULES).level == "medium"
    report = assess(change, HUMAN, RULES, services=PRICING_BLAST)
    assert report.level == "high"
    assert ("Its medium findings (SCANNER-SUPPRESSION) reach tier-0 services (checkout, storefront), "
            "so they count as high.") in report.reasons


def test_blast_radius_reason_names_dependents_and_tiers() -> None:
    report = assess(one_file_change("pricing/rules.py", lines(3)), HUMAN, RULES, services=PRICING_BLAST)
    assert "pricing-rules is used by checkout (tier 0), storefront (tier 0), cart (tier 1)." in report.reasons


@pytest.mark.parametrize("diff", [
    ("tests/test_pricing.py", "+def test_discount_rounds_down():\n+    assert discount(99) == 9\n"),
    ("pricing/rules.py", "-    total = a+b\n+    total = a + b\n+    # rounded later\n"),
])
def test_blast_radius_alone_never_makes_a_change_high(diff: tuple[str, str]) -> None:
    blast = dict(PRICING_BLAST, direct=[{"name": "checkout", "tier": 0, "owner": "team-checkout"}])
    blast["transitive"] = [{"name": f"svc{n}", "tier": 0, "owner": "x", "via": ["checkout", f"svc{n}"]} for n in range(15)]
    report = assess(one_file_change(*diff), HUMAN, RULES, services=blast)
    assert report.findings == []
    assert report.level == "low" and in_band(report.score, "low")
    assert report.score > assess(one_file_change(*diff), HUMAN, RULES).score  # the score still rises
    assert "It changes checkout (tier 0) directly." in report.reasons
    assert "15 services depend on the changed services (10+ is many)." in report.reasons


def test_a_low_finding_in_a_tier1_service_is_medium() -> None:
    change = one_file_change("db/migrations/1.sql", "+ALTER TABLE t ADD COLUMN c int;")
    assert [f.severity for f in assess(change, HUMAN, RULES).findings] == ["low"]
    assert assess(change, HUMAN, RULES).level == "low"
    tier1 = {"direct": [{"name": "orders", "tier": 1, "owner": "x"}], "transitive": [], "max_tier": 1}
    assert assess(change, HUMAN, RULES, services=tier1).level == "medium"


def test_any_change_to_reviewer_config_is_critical_even_if_its_rule_is_disabled() -> None:
    change = one_file_change(".reviewer/policy.toml", "+min_approvals = 1")
    report = assess(change, HUMAN, RULES.only())  # no rules at all
    assert report.level == "critical"
    assert report.reasons[0] == ("It changes .reviewer/policy.toml; the approvals policy treats any change to "
                                 ".reviewer/ as critical.")


def test_deleted_files_are_named() -> None:
    change = change_of(file_from("app/old.py", "-x = 1", status="deleted"), file_from("app/new.py", "+x = 1"))
    assert "It deletes 1 file: app/old.py." in assess(change, HUMAN, RULES).reasons


def test_score_is_monotone_with_level() -> None:
    samples = [
        assess(one_file_change("app/a.py", "+x = 1"), HUMAN, RULES),
        assess(one_file_change("app/a.js", "+// eslint-disable-line"), HUMAN, RULES),
        assess(one_file_change("app/a.py", "+requests.get(url, verify=False)"), HUMAN, RULES),
        assess(one_file_change("db/m/1.sql", "+DROP TABLE x;"), HUMAN, RULES),
    ]
    assert [r.level for r in samples] == ["low", "medium", "high", "critical"]
    scores = [r.score for r in samples]
    assert scores == sorted(scores) and all(in_band(r.score, r.level) for r in samples)


def test_output_is_byte_identical_for_the_same_input() -> None:
    def build():
        return change_of(file_from("scripts/a.sh", "+rm -rf ./x\n+kubectl delete ns prod"),
                         file_from("db/m/1.sql", "+DROP TABLE x;"), file_from(".github/workflows/ci.yml", "+    continue-on-error: true"))
    first = json.dumps(assess(build(), AGENT, load_rules(None), PRICING_BLAST).to_dict(), sort_keys=True)
    second = json.dumps(assess(build(), AGENT, load_rules(None), PRICING_BLAST).to_dict(), sort_keys=True)
    assert first == second
    assert list(json.loads(first)) == ["findings", "level", "reasons", "rule_pack", "score"]


def test_entropy_of_the_line_spread() -> None:
    assert normalized_entropy([10]) == 0.0
    assert normalized_entropy([5, 5, 5, 5]) == 1.0
    assert 0 < normalized_entropy([100, 1, 1]) < 0.2
