"""The human-readable audit report, as plain data: what HTML, PDF and in-toto exports render.

Per change: title, author, AI tools, risk level and findings (and which ones approvers
acknowledged), affected services, each decision with the signer's level, key and time and its signed
evidence of review (with flags: faster than 500 lines per hour, unviewed files that held findings),
the line-comment threads, and the verdict of the approval policy (core.gate.judge on the stored
analysis) when a policy is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from reviewer_app.core import evidence as review_evidence
from reviewer_app.core import store
from reviewer_app.core.export.selection import ExportEvent, ExportFilter
from reviewer_app.errors import UserError


@dataclass
class AuditContext:
    """The team configuration verdicts are computed with (the repository's HEAD), when there is one."""

    workspace: Any | None = None
    policy: Any | None = None
    trust: Any | None = None
    description: str = "no repository: verdicts not evaluated"

    @classmethod
    def load(cls, repo: Path | None) -> "AuditContext":
        from reviewer_app.core.approvals import policy as approval_policy
        from reviewer_app.core.signing.allowed_signers import TrustStore
        from reviewer_app.core.sync import gitobjects
        from reviewer_app.core.workspace import Workspace

        workspace = Workspace.discover(repo)
        if workspace.root is None or not workspace.is_git:
            return cls()
        head = gitobjects.resolve_commit(workspace.root, "HEAD")
        if head is None:
            return cls(description=f"{workspace.root}: no commit yet: verdicts not evaluated")
        at_head = Workspace(workspace.root, revision=head)
        policy = approval_policy.load_policy_optional(at_head)
        return cls(at_head, policy, TrustStore.load(at_head),
                   f"policy and allowed signers of commit {head[:12]}" + ("" if policy else " (no policy file)"))


@dataclass
class Decision:
    event_id: str
    type: str
    principal: str
    level: str | None
    fingerprint: str
    created_at: str
    acks: list[str]
    comment: str
    evidence: dict[str, Any] | None = None  # the signed evidence of review (approve and reject)
    flags: list[str] = field(default_factory=list)  # what an auditor should look at twice

    @property
    def is_comment(self) -> bool:
        return self.type in COMMENT_TYPES


COMMENT_TYPES = ("comment", "resolve", "reopen")


@dataclass
class ChangeAudit:
    change_id: str
    title: str
    author: str
    ai_assisted: bool | None
    ai_tools: list[str]
    risk_level: str | None
    risk_score: int | None
    rule_pack: str | None
    findings: list[dict[str, Any]]
    acknowledged: list[str]
    services_direct: list[str]
    services_transitive: list[str]
    decisions: list[Decision]
    verdict: str  # "approved" | "not approved" | "not evaluated"
    verdict_details: list[str] = field(default_factory=list)
    verdict_data: dict[str, Any] | None = None
    known: bool = True  # False: the change is not in the local index (no analysis)
    threads: list[dict[str, Any]] = field(default_factory=list)  # line comments, from the selected events

    @property
    def approvals(self) -> list[Decision]:
        return [d for d in self.decisions if d.type == "approve"]


@dataclass
class AuditReport:
    changes: list[ChangeAudit]
    event_count: int
    selection: ExportFilter
    context: str


def build_report(db: sqlite_utils.Database, events: list[ExportEvent], selection: ExportFilter,
                 context: AuditContext) -> AuditReport:
    by_change: dict[str, list[ExportEvent]] = {}
    for event in events:
        by_change.setdefault(event.change_id, []).append(event)
    # In the order of each change's first event (the events come in chain and time order).
    changes = [_change_audit(db, change_id, items, context) for change_id, items in by_change.items()]
    return AuditReport(changes, len(events), selection, context.description)


def _change_audit(db: sqlite_utils.Database, change_id: str, items: list[ExportEvent], context: AuditContext) -> ChangeAudit:
    analysis = store.get_analysis(db, change_id)
    findings_all = ((analysis or {}).get("risk") or {}).get("findings") or []
    changed = review_evidence.changed_lines(analysis or {})
    decisions = []
    for e in items:
        evidence = e.data.get("evidence") if e.type in ("approve", "reject") else None
        flags = review_evidence.audit_flags(evidence, changed, review_evidence.unviewed_with_findings(
            evidence, findings_all)) if e.type == "approve" else []
        decisions.append(Decision(e.id, e.type, e.principal, _level(context, e.principal), e.fingerprint, e.created_at,
                                  list(e.data.get("acks") or []), str(e.data.get("comment") or e.data.get("message") or ""),
                                  evidence, flags))
    acknowledged = sorted({ack for d in decisions if d.type == "approve" for ack in d.acks})
    threads = _threads(items)
    if analysis is None:
        return ChangeAudit(change_id, change_id, "", None, [], None, None, None, [], acknowledged, [], [], decisions,
                           "not evaluated", ["the change is not in the local index (sync to fetch its patch)"],
                           known=False, threads=threads)
    risk = analysis.get("risk") or {}
    services = analysis.get("services") or {}
    provenance = analysis.get("provenance") or {}
    author = analysis.get("author") or {}
    verdict, details, verdict_data = _verdict(db, analysis, context)
    return ChangeAudit(
        change_id=change_id,
        title=analysis.get("title") or change_id,
        author=f"{author.get('name', '')} <{author.get('email', '')}>".strip(),
        ai_assisted=bool(provenance.get("ai_assisted")),
        ai_tools=list(provenance.get("tools") or []),
        risk_level=risk.get("level"),
        risk_score=risk.get("score"),
        rule_pack=risk.get("rule_pack"),
        findings=[{"id": f.get("id"), "severity": f.get("severity"), "message": f.get("message"),
                   "acknowledged": f.get("id") in acknowledged} for f in risk.get("findings") or []],
        acknowledged=acknowledged,
        services_direct=[str(s.get("name")) for s in services.get("direct") or [] if isinstance(s, dict)],
        services_transitive=[str(s.get("name")) for s in services.get("transitive") or [] if isinstance(s, dict)],
        decisions=decisions,
        verdict=verdict,
        verdict_details=details,
        verdict_data=verdict_data,
        threads=threads,
    )


def _threads(items: list[ExportEvent]) -> list[dict[str, Any]]:
    """The comment threads among the selected events: anchor, state (the resolve or reopen no other supersedes)
    and each comment. Replies and states whose thread started outside the selection are left out."""
    threads: dict[str, dict[str, Any]] = {}
    states: list[ExportEvent] = []
    for event in items:
        data = event.data
        if event.type == "comment" and data.get("thread") is None:
            threads[event.id] = {"id": event.id, "path": data.get("path"), "side": data.get("side"),
                                 "line": data.get("line"), "end_line": data.get("end_line"), "resolved": False,
                                 "comments": []}
    for event in items:
        data = event.data
        thread = threads.get(event.id if data.get("thread") is None else data.get("thread"))
        if event.type == "comment" and thread is not None:
            thread["comments"].append({"id": event.id, "principal": event.principal, "created_at": event.created_at,
                                       "message": data.get("message")})
        elif event.type in ("resolve", "reopen") and thread is not None:
            states.append(event)
    superseded = {e.data.get("supersedes") for e in states}
    standing: dict[str, ExportEvent] = {}
    for event in states:
        current = standing.get(event.data["thread"])
        if event.id not in superseded and (current is None or (event.created_at, event.id) > (current.created_at, current.id)):
            standing[event.data["thread"]] = event
    for thread_id, event in standing.items():
        threads[thread_id]["resolved"] = event.type == "resolve"
    return sorted(threads.values(), key=lambda t: (str(t["path"]), str(t["side"]), t["line"] or 0, t["id"]))


def _level(context: AuditContext, principal: str) -> str | None:
    if context.policy is None:
        return None
    person = context.policy.person(principal)
    return person.level if person else "not in roster"


def _verdict(db: sqlite_utils.Database, analysis: dict[str, Any], context: AuditContext
             ) -> tuple[str, list[str], dict[str, Any] | None]:
    if context.policy is None or context.trust is None:
        return "not evaluated", [context.description], None
    from reviewer_app.core.approvals import gate

    try:
        verdict = gate.judge(db, analysis, context.policy, context.trust)
    except UserError as exc:
        return "not evaluated", [exc.message], None
    details = [f"{r.rule}: {r.have} of {r.needed} approvals at level {r.min_level} or above"
               f"{' from an owning team' if r.owner_of_affected else ''} ({'met' if r.met else 'NOT met'})"
               for r in verdict.requirements]
    details += [f"not counted: {r.principal or '?'} ({r.reason}: {r.detail})" for r in verdict.rejected]
    return ("approved" if verdict.approved else "not approved"), details, verdict.to_dict()
