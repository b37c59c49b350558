"""One analysis, many views: the object behind ``reviewer-app analyze``, the queue and the GUI.

``analyze`` joins the change, its AI provenance, the affected services and the risk report;
``Analysis.to_dict()`` is exactly the JSON the CLI prints and the GUI renders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reviewer_app.core import risk as risk_engine
from reviewer_app.core import services as service_catalog
from reviewer_app.core.changeid import change_id as compute_change_id
from reviewer_app.core.model import Change
from reviewer_app.core.provenance import Provenance, co_authors, detect
from reviewer_app.core.records import Record
from reviewer_app.core.risk.history import history_of
from reviewer_app.core.workspace import Workspace

if TYPE_CHECKING:  # sqlite_utils costs a sixth of analyze's start-up; analyze never opens the store
    import sqlite_utils


class Analysis(Record):
    """A change with everything found about it: provenance, services, risk, callers, policy."""

    FIELDS = ("change", "change_id", "provenance", "co_authors", "services", "risk", "policy", "callers")

    def __init__(self, change: Change, change_id: str, provenance: Provenance, co_authors: list[str], services: Any,
                 risk: Any, policy: dict[str, Any] | None = None, callers: Any = None) -> None:
        self.change = change
        self.change_id = change_id
        self.provenance = provenance
        self.co_authors = co_authors
        self.services = services  # services.Affected
        self.risk = risk  # risk.RiskReport
        self.policy = policy
        self.callers = callers  # callers.CallersReport: who uses the symbols the change touches

    def to_dict(self) -> dict[str, Any]:
        change = self.change
        data: dict[str, Any] = {
            "change_id": self.change_id,
            "title": change.title,
            "message": change.message,
            "author": change.author.to_dict(),
            "committer": change.committer.to_dict() if change.committer else None,
            "co_authors": list(self.co_authors),
            "author_date": change.author_date,
            "commit_date": change.commit_date,
            "base": change.base,
            "head": change.head,
            "source": change.source,
            "commits": [
                {"sha": c.sha, "subject": c.subject, "author": c.author.to_dict(), "date": c.author_date}
                for c in change.commits
            ],
            "provenance": self.provenance.to_dict(),
            "files": [
                {
                    "path": f.path, "old_path": f.old_path, "new_path": f.new_path, "status": f.status.value,
                    "binary": f.binary, "old_mode": f.old_mode, "new_mode": f.new_mode,
                    "added": f.added, "removed": f.removed,
                }
                for f in change.files
            ],
            "paths": change.paths,
            "added": change.added,
            "removed": change.removed,
            "services": self.services.to_dict(),
            "risk": self.risk.to_dict(),
        }
        data["callers"] = self.callers.to_list() if self.callers is not None else []
        if self.callers is not None and self.callers.notes:
            data["callers_notes"] = list(self.callers.notes)
        if self.policy is not None:
            data["policy"] = self.policy
        return data


def analyze(change: Change, workspace: Workspace, ai_override: bool | None = None,
            rules: Any | None = None, catalog: Any | None = None) -> Analysis:
    """Analyse one change against a workspace's rules, catalog and policy.

    ``rules`` and ``catalog`` may be passed in when many changes share one workspace (the demo,
    a multi-patch mbox), so the rule pack and catalog are loaded once.
    """
    provenance = detect(change, ai_override)
    humans = co_authors(change, provenance)
    author = change.author.email.lower()
    for commit in change.commits:  # other people's commits in a range are co-authors too
        email = commit.author.email.lower()
        if email and email != author and email not in humans:
            humans.append(email)
    catalog = catalog if catalog is not None else service_catalog.load_catalog(workspace)
    affected = service_catalog.affected(catalog, change.paths)
    rules = rules if rules is not None else risk_engine.load_rules(workspace)
    from reviewer_app.core.risk.structure.texts import repository

    # The change model reads the touched files' history from the repository (none for a plain patch).
    history = history_of(workspace.root, change)
    with repository(workspace.root):  # whole file texts for the structured analysers, read by blob id
        report = risk_engine.assess(change, provenance, rules, services=affected.to_dict(), history=history)
    # Code-level blast radius; its findings join the report and the change is judged with them.
    from reviewer_app.core.callers import find_callers, join_report

    callers = find_callers(change, workspace, catalog)
    report = join_report(report, callers.findings, change, provenance, affected.to_dict(), history)
    result = Analysis(change, compute_change_id(change), provenance, humans, affected, report, callers=callers)
    result.policy = _policy_requirements(result, workspace)
    return result


def _policy_requirements(result: Analysis, workspace: Workspace) -> dict[str, Any] | None:
    """Which approvals the team's policy asks of this change (None without a policy file)."""
    from reviewer_app.core.workspace import POLICY_PATH

    if workspace.read_text(POLICY_PATH) is None:
        return None  # most repositories have no policy: the policy module is not even imported
    from reviewer_app.core.approvals import policy as approval_policy

    loaded = approval_policy.load_policy_optional(workspace)
    if loaded is None:
        return None
    return {"requirements": approval_policy.requirements_for(result.to_dict(), loaded)}


def submit_change(db: sqlite_utils.Database, change: Change, workspace: Workspace,
                  ai_override: bool | None = None, rules: Any | None = None,
                  catalog: Any | None = None) -> tuple[str, bool]:
    """Analyse and store a change in the local queue; returns (change id, newly added)."""
    from reviewer_app.core import store

    result = analyze(change, workspace, ai_override, rules=rules, catalog=catalog)
    data = result.to_dict()
    created = store.save_change(
        db, data, change.raw, change.source, str(workspace.root) if workspace.root else None
    )
    return result.change_id, created
