"""The services block of ``reviewer-app analyze``, end to end from a real git range."""

from __future__ import annotations

import json

import pytest

from tests.gitrepo import GitRepo

from reviewer_app.cli.main import main


def _platform(repo: GitRepo) -> None:
    repo.write("libs/rules/catalog-info.yaml", """\
        kind: Component
        metadata: {name: pricing-rules, annotations: {reviewer-app/tier: "2"}}
        spec: {owner: group:default/pricing, lifecycle: production}
        """)
    repo.write("services/pricing/catalog-info.yaml", """\
        kind: Component
        metadata: {name: pricing, tags: [tier-1]}
        spec: {owner: pricing, lifecycle: production, dependsOn: [pricing-rules], providesApis: [prices]}
        ---
        kind: API
        metadata: {name: prices}
        spec: {owner: pricing}
        """)
    repo.write(".reviewer/services.toml", """\
        [services.checkout]
        paths = ["services/checkout/"]
        tier = 0
        owner = "@acme/checkout"
        consumes_apis = ["prices"]
        """)
    repo.write(".github/CODEOWNERS", "* @acme/platform\n")
    repo.write("libs/rules/rules.py", "DISCOUNT = 0\n")
    repo.commit("platform")
    repo.write("libs/rules/rules.py", "DISCOUNT = 10\n")
    repo.write("NOTES.txt", "why\n")
    repo.commit("raise the discount")


def test_analyze_json_carries_the_blast_radius(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _platform(git_repo)
    assert main(["analyze", "--repo", str(git_repo.path), "--git", "HEAD~1..HEAD", "--format", "json"]) == 0
    services = json.loads(capsys.readouterr().out)["services"]

    assert services == {
        "direct": [{"name": "pricing-rules", "tier": 2, "owner": "pricing", "lifecycle": "production",
                    "paths": ["libs/rules/rules.py"]}],
        "transitive": [
            {"name": "checkout", "tier": 0, "owner": "@acme/checkout", "lifecycle": None,
             "via": ["pricing-rules", "pricing", "checkout"], "via_kinds": ["dependsOn", "consumesApi"],
             "via_apis": [None, "prices"]},
            {"name": "pricing", "tier": 1, "owner": "pricing", "lifecycle": "production",
             "via": ["pricing-rules", "pricing"], "via_kinds": ["dependsOn"], "via_apis": [None]},
        ],
        "owners": ["@acme/checkout", "@acme/platform", "pricing"],
        "unowned_paths": ["NOTES.txt"],
        "max_tier": 0,
        "warnings": [],
    }


def test_analyze_text_shows_the_chains(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _platform(git_repo)
    assert main(["analyze", "--repo", str(git_repo.path), "--git", "HEAD~1..HEAD"]) == 0
    out = capsys.readouterr().out

    assert "Services: 1 direct, 2 depending on them; most critical: tier 0" in out
    assert "dependent   checkout  (tier 0, owner @acme/checkout)  via pricing-rules -> pricing -[prices]-> checkout" in out
