"""Changes for the structured-analysis tests: hand-made diffs of whole files, and real git ranges."""

from __future__ import annotations

from typing import Any

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.model import Change
from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import evaluate
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.workspace import Workspace
from tests.core.risk.diffs import change_of, file_from
from tests.gitrepo import GitRepo

RULES = load_rules(None)


def added_file(path: str, text: str) -> Change:
    """A change that adds ``path`` whole (the diff then holds the complete new side)."""
    lines = text.strip("\n").split("\n")
    return change_of(file_from(path, "\n".join("+" + line for line in lines), status="added"))


def deleted_file(path: str, text: str) -> Change:
    lines = text.strip("\n").split("\n")
    return change_of(file_from(path, "\n".join("-" + line for line in lines), status="deleted"))


def findings(change: Change) -> list[Finding]:
    return evaluate(change, RULES)


def rules_of(found: list[Finding]) -> list[str]:
    return [f.rule for f in found]


def range_analysis(repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> dict[str, Any]:
    """Commit ``before``, then ``after``, and analyse HEAD~1..HEAD as `analyze --git` does."""
    repo.write_files(dict(before))
    repo.commit("before")
    repo.write_files(after)
    repo.commit("after")
    change = load_git_range(repo.path, "HEAD~1..HEAD")
    return analyze(change, Workspace(repo.path), rules=RULES).to_dict()


def risk_findings(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    return analysis["risk"]["findings"]


def by_rule(found: list[dict[str, Any]] | list[Finding], rule: str) -> list[Any]:
    return [f for f in found if (f["rule"] if isinstance(f, dict) else f.rule) == rule]
