"""The CI gate: does this exact diff carry the approvals the policy at its base demands?

Nothing is taken from the change's own head or from the queue's stored analysis: the change id,
provenance, risk and services are recomputed from the diff; the policy, allowed signers and
revocations are read from the base revision; only the events filed under exactly this change id
are read and verified. Any doubt means "not approved" (the CLI turns errors into exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from reviewer_app.core import events as event_log
from reviewer_app.core import policy as approval_policy
from reviewer_app.core.allowed_signers import TrustStore
from reviewer_app.core.gitcmd import run_git
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

DECISIONS = ("approve", "reject", "revoke")
BLOCKING_SEVERITIES = ("high", "critical")  # findings an approver must acknowledge by id
OTHER_CHANGE = "other change id"
WITHDRAWN = "withdrawn"
UNACKNOWLEDGED = "unacknowledged findings"


@dataclass
class RejectedEvent:
    event: str
    principal: str | None
    reason: str  # a stable code (see docs/approvals.md)
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "principal": self.principal, "reason": self.reason, "detail": self.detail}


@dataclass
class ChangeVerdict:
    change_id: str
    title: str
    requirements: list[approval_policy.RequirementResult]
    rejected: list[RejectedEvent]
    summary: dict[str, Any]
    rejections: list[dict[str, Any]] = field(default_factory=list)  # standing "reject" decisions, for the text

    @property
    def approved(self) -> bool:
        return all(r.met for r in self.requirements)

    def to_dict(self) -> dict[str, Any]:
        return {"approved": self.approved, "change_id": self.change_id, "title": self.title,
                "requirements": [r.to_dict() for r in self.requirements],
                "rejected": [r.to_dict() for r in self.rejected], "analysis": self.summary,
                "rejections": list(self.rejections)}


@dataclass
class GateReport:
    base: str
    verdicts: list[ChangeVerdict]

    @property
    def approved(self) -> bool:
        return bool(self.verdicts) and all(v.approved for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        """One change: its verdict at the top level; several: ``changes[]`` with an overall ``approved``."""
        if len(self.verdicts) == 1:
            return {**self.verdicts[0].to_dict(), "base": self.base}
        return {"approved": self.approved, "base": self.base, "changes": [v.to_dict() for v in self.verdicts]}


# --- the decision --------------------------------------------------------------------------------

def run_gate(db: "sqlite_utils.Database", repo: Path | None, spec: str, base: str | None = None,
             stdin: BinaryIO | None = None) -> GateReport:
    """Judge every change in ``spec`` (a patch path, ``-`` or ``git:BASE..HEAD``) against the base's policy."""
    from reviewer_app.core import risk, services
    from reviewer_app.core.analysis import analyze
    from reviewer_app.core.ingest import load_changes
    from reviewer_app.core.workspace import Workspace

    if repo is None:
        raise UserError("the gate reads the policy from a git revision: run it inside the repository or give --repo DIR")
    base_commit = resolve_base(repo, spec, base)
    workspace = Workspace(repo, revision=base_commit)
    policy = approval_policy.load_policy(workspace)
    trust = TrustStore.load(workspace)
    changes = load_changes(spec, repo, stdin)
    if not changes:
        raise UserError(f"{spec}: no change found to judge")
    rules = risk.load_rules(workspace)
    catalog = services.load_catalog(workspace)
    verdicts = []
    for change in changes:
        analysis = analyze(change, workspace, rules=rules, catalog=catalog).to_dict()
        verdicts.append(judge(db, analysis, policy, trust))
    return GateReport(base=base_commit, verdicts=verdicts)


def resolve_base(repo: Path, spec: str, base: str | None) -> str:
    """``--base``, else BASE of a ``git:BASE..HEAD`` range, else the repository's HEAD; as a full commit id."""
    if base is None and spec.startswith("git:"):
        base = spec[len("git:"):].split("..", 1)[0] or None
    name = base or "HEAD"
    if name.startswith("-"):
        raise UserError(f"{name}: a base revision may not start with '-'")
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", check=False)
    if proc.returncode != 0:
        what = "--base" if base else ("the repository's HEAD (it has no commits?)" if name == "HEAD" else "the range's base")
        raise UserError(f"{name}: not a commit in {repo} ({what}); the policy is read from the base revision")
    return proc.stdout.decode().strip()


def judge(db: "sqlite_utils.Database", analysis: dict[str, Any], policy: approval_policy.Policy,
          trust: TrustStore) -> ChangeVerdict:
    """The verdict for one analysed change from the events filed under its id."""
    change_id = analysis["change_id"]
    approvers, rejected, rejections = standing_approvals(db, change_id, trust, analysis)
    evaluation = approval_policy.evaluate(analysis, policy, approvers)
    for approver, reason, detail in evaluation.not_counted:
        rejected.append(RejectedEvent(approver.event_id, approver.principal, reason, detail))
    services = analysis.get("services") or {}
    summary = {
        "risk_level": (analysis.get("risk") or {}).get("level"),
        "judged_as": approval_policy.effective_risk_level(analysis),
        "max_tier": services.get("max_tier"),
        "ai_assisted": bool((analysis.get("provenance") or {}).get("ai_assisted")),
        "author": (analysis.get("author") or {}).get("email"),
        "co_authors": list(analysis.get("co_authors") or []),
        "rule_pack": (analysis.get("risk") or {}).get("rule_pack"),
        "touches_config": approval_policy.touches_config(analysis),
    }
    return ChangeVerdict(change_id, analysis.get("title") or "", evaluation.requirements, rejected, summary, rejections)


def blocking_findings(analysis: dict[str, Any]) -> list[str]:
    """Ids of the high and critical findings an approval must acknowledge."""
    findings = (analysis.get("risk") or {}).get("findings") or []
    return sorted({f["id"] for f in findings if f.get("severity") in BLOCKING_SEVERITIES})


def standing_approvals(db: "sqlite_utils.Database", change_id: str, trust: TrustStore, analysis: dict[str, Any]
                       ) -> tuple[list[approval_policy.Approver], list[RejectedEvent], list[dict[str, Any]]]:
    """Verified approvals of ``change_id`` that no later reject/revoke by the same person withdrew."""
    rejected: list[RejectedEvent] = []
    by_principal: dict[str, list[event_log.SignedEvent]] = {}
    for event in event_log.events_for_change(db, change_id):
        try:
            data = event_log.validate_payload(event.payload)
        except UserError as exc:
            rejected.append(RejectedEvent(event.id, None, "bad signature", f"malformed payload: {exc.message}"))
            continue
        if data["type"] not in DECISIONS:
            continue
        if data["change_id"] != change_id:
            rejected.append(RejectedEvent(event.id, data["principal"], OTHER_CHANGE,
                                          f"the signed payload is for {data['change_id']}, filed under {change_id}"))
            continue
        verification = event_log.verify_event(event, trust)
        if not verification.ok:
            rejected.append(RejectedEvent(event.id, data["principal"], verification.reason or "bad signature",
                                          verification.detail or ""))
            continue
        by_principal.setdefault(data["principal"].strip().lower(), []).append(event)

    needed_acks = set(blocking_findings(analysis))
    approvers: list[approval_policy.Approver] = []
    rejections: list[dict[str, Any]] = []
    for decisions in by_principal.values():
        ordered = _in_signing_order(db, decisions)
        last = ordered[-1]
        for earlier in ordered[:-1]:
            if earlier.type == "approve":
                rejected.append(RejectedEvent(earlier.id, earlier.principal, WITHDRAWN,
                                              f"superseded by a later {last.type} ({last.id})"))
        if last.type == "reject":
            rejections.append({"event": last.id, "principal": last.principal, "comment": last.data.get("comment")})
        if last.type != "approve":
            continue
        missing = sorted(needed_acks - set(last.data.get("acks") or []))
        if missing:
            rejected.append(RejectedEvent(last.id, last.principal, UNACKNOWLEDGED,
                                          f"the approval does not acknowledge {', '.join(missing)}"))
            continue
        approvers.append(approval_policy.Approver(last.principal, last.id))
    return approvers, rejected, rejections


def _in_signing_order(db: "sqlite_utils.Database", decisions: list[event_log.SignedEvent]) -> list[event_log.SignedEvent]:
    """One principal's decisions oldest first; same-second ties are settled by the signer's chain."""
    if len({e.created_at for e in decisions}) == len(decisions):
        return sorted(decisions, key=lambda e: e.created_at)
    chain = event_log.events_of_principal(db, decisions[0].principal)
    position = {e.id: i for i, e in enumerate(chain)}
    return sorted(decisions, key=lambda e: (e.created_at, position.get(e.id, -1)))


# --- text output ----------------------------------------------------------------------------------

def render_text(report: GateReport) -> str:
    lines = []
    for verdict in report.verdicts:
        s = verdict.summary
        lines.append(f"{'APPROVED' if verdict.approved else 'NOT APPROVED'}  {verdict.change_id}  {verdict.title}")
        facts = [f"risk {s['risk_level']}" + (f" (judged as {s['judged_as']})" if s["judged_as"] != s["risk_level"] else ""),
                 f"max tier {s['max_tier'] if s['max_tier'] is not None else '-'}"]
        if s["ai_assisted"]:
            facts.append("AI-assisted")
        lines.append("  " + ", ".join(facts) + f"; policy from {report.base[:12]}")
        for req in verdict.requirements:
            owner = ", owner of an affected service" if req.owner_of_affected else ""
            who = f" ({', '.join(req.approvers)})" if req.approvers else ""
            lines.append(f"  [{'ok' if req.met else 'UNMET'}] {req.rule}: {req.have}/{req.needed} "
                         f"approval(s) at level {req.min_level} or above{owner}{who}")
        for item in verdict.rejections:
            lines.append(f"  rejected by {item['principal']}: {item['comment']}")
        for item in verdict.rejected:
            lines.append(f"  not counted: {item.principal or '?'} {item.event[:19]}…: {item.reason}: {item.detail}")
    if len(report.verdicts) > 1:
        lines.append(f"{'APPROVED' if report.approved else 'NOT APPROVED'}: {sum(v.approved for v in report.verdicts)}"
                     f"/{len(report.verdicts)} changes approved")
    return "\n".join(lines)
