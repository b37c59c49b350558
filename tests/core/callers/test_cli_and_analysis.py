"""``reviewer-app analyze`` carries the callers (JSON and text) and their findings join the risk report."""

from __future__ import annotations

import json

import pytest

from tests.core.callers.conftest import DISCOUNTS
from tests.gitrepo import GitRepo

from reviewer_app.cli.main import main


def _drop_apply_discount(platform: GitRepo) -> None:
    platform.write("services/billing/discounts.py", DISCOUNTS.replace(
        "def apply_discount(price, percent):\n    return price - price * percent / 100\n\n\n", ""), dedent=False)
    platform.commit("drop apply_discount")


def test_analyze_json_has_callers_and_a_critical_finding(platform: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _drop_apply_discount(platform)

    assert main(["analyze", "--repo", str(platform.path), "--git", "HEAD~1..HEAD", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)

    assert data["callers"] == [{
        "symbol": "apply_discount", "kind": "function", "change": "removed",
        "path": "services/billing/discounts.py", "line": 4, "language": "python",
        "uses": [
            {"service": "pricing", "path": "services/pricing/api.py", "line": 1,
             "snippet": "from services.billing.discounts import apply_discount"},
            {"service": "pricing", "path": "services/pricing/api.py", "line": 5,
             "snippet": "return apply_discount(item.price, 5)"},
        ],
        "uses_in_change": [], "base": data["base"],
    }]
    risk = data["risk"]
    assert risk["level"] == "critical"
    finding = next(f for f in risk["findings"] if f["rule"] == "CALLERS-REMOVED-SYMBOL-IN-USE")
    assert finding["id"] == "CALLERS-REMOVED-SYMBOL-IN-USE@services/billing/discounts.py:old:4"
    assert any("CALLERS-REMOVED-SYMBOL-IN-USE" in reason for reason in risk["reasons"])


def test_analyze_text_lists_callers_under_each_service(platform: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _drop_apply_discount(platform)

    assert main(["analyze", "--repo", str(platform.path), "--git", "HEAD~1..HEAD"]) == 0
    out = capsys.readouterr().out

    block = out[out.index("Callers:"):].split("\n\n")[0].splitlines()
    assert block[:5] == [
        "Callers:",
        "  apply_discount  function, removed  services/billing/discounts.py:4",
        "    pricing",
        "      services/pricing/api.py:1  from services.billing.discounts import apply_discount",
        "      services/pricing/api.py:5  return apply_discount(item.price, 5)",
    ]


def test_a_patch_outside_a_repository_has_no_callers_and_says_why(tmp_path, monkeypatch, capsys) -> None:
    patch = tmp_path / "x.diff"
    patch.write_text("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-def a(): pass\n+def b(): pass\n")
    monkeypatch.chdir(tmp_path)

    assert main(["analyze", str(patch), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)

    assert data["callers"] == []
    assert data["callers_notes"] == ["callers need the repository at the change's base: run inside it or give --repo DIR"]
