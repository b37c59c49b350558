"""The CI gate: does this exact diff carry the approvals the policy at its base demands?

Nothing is taken from the change's own head or from the queue's stored analysis: the change id,
provenance, risk and services are recomputed from the diff; the policy, allowed signers and
revocations are read from the base revision; only the events filed under exactly this change id
are read and verified. Any doubt means "not approved" (the CLI turns errors into exit 2).

Before judging, a change must be one an approval can bind to (gate_checks.py: paths as git writes
them, binary files with full blob ids, and, when it edits ``.reviewer/``, a base that holds what it
edits). Content the risk rules cannot see (text shown as binary, submodule bumps) is judged critical. An approval counts once per person and per key; never for an
author, co-author or committer (by email, or by a key allowed_signers lists for them); only under a
lower-case principal; not when dated in the future or when the signer's chain in the database has
a hole (a deleted revoke).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from reviewer_app.core.approvals import events as event_log
from reviewer_app.core.approvals import gate_checks
from reviewer_app.core.approvals import policy as approval_policy
from reviewer_app.core.signing.allowed_signers import NOT_VALID_AT_SIGNING, UNKNOWN_PRINCIPAL, TrustStore
from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.store import PAYLOAD_PRINCIPAL
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

DECISIONS = ("approve", "reject", "revoke")
BLOCKING_SEVERITIES = ("high", "critical")  # findings an approver must acknowledge by id
OTHER_CHANGE = "other change id"
WITHDRAWN = "withdrawn"
BROKEN_CHAIN = "broken chain"
TAMPERED_ROW = "tampered row"
_PAYLOAD_PREV = "(CASE WHEN json_valid(payload) THEN json_extract(payload, '$.prev') END)"
UNACKNOWLEDGED = "unacknowledged findings"
# How far a signer's clock may run ahead. A decision dated later than that would sort after any real
# revoke or reject made until then (decisions are ordered by their claimed time), so it is refused.
MAX_CLOCK_SKEW = timedelta(minutes=15)
# Every Co-authored-by trailer, whatever else its line says (an AI tool's name does not make the person vanish).
_CO_AUTHOR_TRAILER = re.compile(r"(?im)^[ \t]*Co-authored-by:[^\n<]*<([^>\n]+)>")


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
             stdin: BinaryIO | None = None,
             before_judging: "Callable[[list[str], Any, TrustStore], None] | None" = None) -> GateReport:
    """Judge every change in ``spec`` (a patch path, ``-`` or ``git:BASE..HEAD``) against the base's policy.

    ``before_judging(change_ids, base_workspace, trust)`` runs once the change ids are known and checked,
    before any is judged: ``gate --fetch`` fetches there what names exactly these changes.
    """
    from reviewer_app.core import risk, services
    from reviewer_app.core.analysis import analyze
    from reviewer_app.core.gitapply import load_changes_as_git_applies
    from reviewer_app.core.workspace import Workspace

    if repo is None:
        raise UserError("the gate reads the policy from a git revision: run it inside the repository or give --repo DIR")
    base_commit = resolve_base(repo, spec, base)
    workspace = Workspace(repo, revision=base_commit)
    policy = approval_policy.load_policy(workspace)
    trust = TrustStore.load(workspace)
    if not trust.signers:
        # Nobody could ever sign: a misconfigured base, not a verdict on the change.
        where = "does not exist" if trust.missing else "lists no key"
        raise UserError(f"{trust.source}: no trusted signers ({trust.source} {where}), so nothing can be approved; "
                        "add the reviewers' public keys in the base branch (see docs/approvals.md)")
    # A patch file is judged only if git applies exactly what was parsed (gitapply.py, docs/git-parity.md).
    changes = load_changes_as_git_applies(spec, repo, base_commit, stdin)
    if not changes:
        raise UserError(f"{spec}: no change found to judge")
    if before_judging is not None:
        from reviewer_app.core.changeid import change_id as change_id_of

        before_judging(sorted({change_id_of(change) for change in changes}), workspace, trust)
    rules = risk.load_rules(workspace)
    catalog = services.load_catalog(workspace)
    verdicts = []
    for change in changes:
        gate_checks.check_canonical_paths(change)
        gate_checks.check_content_bound(change)
        analysis = analyze(change, workspace, rules=rules, catalog=catalog).to_dict()
        if approval_policy.touches_config(analysis):
            gate_checks.check_config_preimage(repo, base_commit, change)
        hidden = gate_checks.hidden_content(repo, change)
        if hidden:
            analysis[approval_policy.HIDDEN_CONTENT] = hidden
        verdicts.append(judge(db, analysis, policy, trust))
    return GateReport(base=base_commit, verdicts=verdicts)


def resolve_base(repo: Path, spec: str, base: str | None) -> str:
    """``--base``, else BASE of a ``git:BASE..HEAD`` range, else the repository's HEAD; as a full commit id.

    Resolved by core/revisions, never by git's guess: a pushed tag named like the base branch
    (``origin/main``) would otherwise choose the policy; an ambiguous name is an error naming the refs.
    """
    from reviewer_app.core.revisions import resolve_commit

    if base is not None:
        context = f"--base {base}"
    elif spec.startswith("git:"):
        base = spec[len("git:"):].split("..", 1)[0] or None
        context = f"{spec[len('git:'):]} (the policy is read from the range's base)"
    else:
        context = None  # HEAD: the message says so
    return resolve_commit(repo, base or "HEAD", context=context)


def co_authors_of(analysis: dict[str, Any]) -> list[str]:
    """The analysis's co-authors, the committers, and the address of every Co-authored-by trailer.

    The analysis leaves out trailers it took for an AI tool's; but a line such as
    ``Co-authored-by: copilot-swe-agent[bot] Bob <bob@example.com>`` names bob too. A committer
    who is not the author may have amended the content (``git commit --amend`` keeps the author).
    Excluding an address too many only ever removes an approval.
    """
    found = [str(a).strip().lower() for a in analysis.get("co_authors") or [] if a]
    people = [analysis.get("committer"), *[c.get("committer") for c in analysis.get("commits") or [] if isinstance(c, dict)]]
    addresses = [str(p.get("email") or "") for p in people if isinstance(p, dict)]
    addresses += [m.group(1) for m in _CO_AUTHOR_TRAILER.finditer(str(analysis.get("message") or ""))]
    author = str((analysis.get("author") or {}).get("email") or "").strip().lower()
    for address in addresses:
        address = address.strip().lower()
        if address and address != author and address not in found:
            found.append(address)
    return found


def author_keys(analysis: dict[str, Any], trust: TrustStore) -> dict[str, str]:
    """Fingerprint -> author, for every key allowed_signers lets an author or co-author sign with.

    An approval made with the author's own key is the author's, even under a second roster email.
    """
    people = [((analysis.get("author") or {}).get("email") or ""), *(analysis.get("co_authors") or [])]
    found: dict[str, str] = {}
    for email in people:
        email = str(email).strip().lower()
        if email:
            for key in trust.keys_for(email, event_log.NAMESPACE):
                found.setdefault(key.fingerprint, email)
    return found


def judge(db: "sqlite_utils.Database", analysis: dict[str, Any], policy: approval_policy.Policy,
          trust: TrustStore) -> ChangeVerdict:
    """The verdict for one analysed change from the events filed under its id."""
    change_id = analysis["change_id"]
    analysis = {**analysis, "co_authors": co_authors_of(analysis)}
    approvers, rejected, rejections = standing_approvals(db, change_id, trust, analysis)
    evaluation = approval_policy.evaluate(analysis, policy, approvers, author_keys(analysis, trust))
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
        "hidden_content": list(analysis.get(approval_policy.HIDDEN_CONTENT) or []),
    }
    return ChangeVerdict(change_id, analysis.get("title") or "", evaluation.requirements, rejected, summary, rejections)


def blocking_findings(analysis: dict[str, Any]) -> list[str]:
    """Ids of the high and critical findings an approval must acknowledge."""
    findings = (analysis.get("risk") or {}).get("findings") or []
    return sorted({f["id"] for f in findings if f.get("severity") in BLOCKING_SEVERITIES})


def standing_approvals(db: "sqlite_utils.Database", change_id: str, trust: TrustStore, analysis: dict[str, Any],
                       now: datetime | None = None
                       ) -> tuple[list[approval_policy.Approver], list[RejectedEvent], list[dict[str, Any]]]:
    """Verified approvals of ``change_id`` that no later reject/revoke by the same person withdrew.

    Decided from the signed payloads alone. Rows are selected broadly (filed under the change, or
    whose payload names it), each event's id is computed from its payload, and its type, change,
    principal and time are read from the payload; the unsigned columns decide nothing. A row whose
    columns disagree with its payload (``tampered row``) never adds an approval, but a withdrawal it
    holds still withdraws; so does a withdrawal whose signature does not verify here.
    """
    latest_allowed = (now or datetime.now(timezone.utc)) + MAX_CLOCK_SKEW
    rejected: list[RejectedEvent] = []
    by_principal: dict[str, list[event_log.SignedEvent]] = {}
    unverified_withdrawals: dict[str, list[event_log.SignedEvent]] = {}
    for event, data, differs in _signed_decisions(db, change_id, rejected):
        principal = data["principal"]
        if differs:
            rejected.append(RejectedEvent(event.id, principal, TAMPERED_ROW,
                                          f"the database row disagrees with its signed payload in {', '.join(differs)}"
                                          + ("; judged by the payload, so the withdrawal stands" if data["type"] != "approve"
                                             else "; an approval from it never counts")))
            if data["type"] == "approve":
                continue
        verification = event_log.verify_event(event, trust)
        if not verification.ok:
            rejected.append(RejectedEvent(event.id, principal, verification.reason or "bad signature",
                                          verification.detail or ""))
            if data["type"] != "approve":
                unverified_withdrawals.setdefault(principal.strip().lower(), []).append(event)
            continue
        if not is_canonical_principal(principal):
            # OpenSSH matches principals case-sensitively, the roster does not: "Alice@example.com"
            # would slip past a `!alice@example.com` exclusion and then count as alice.
            rejected.append(RejectedEvent(event.id, principal, UNKNOWN_PRINCIPAL,
                                          f"{principal!r}: an approval must name its principal in lower case "
                                          "without spaces, as the roster does"))
            continue
        if event_log.parse_timestamp(data["created_at"]) > latest_allowed:
            rejected.append(RejectedEvent(event.id, principal, NOT_VALID_AT_SIGNING,
                                          f"dated {data['created_at']}, in the future: a decision cannot be dated "
                                          "ahead of the decisions that may still follow it"))
            if data["type"] != "approve":  # dated late, it still withdraws: only an approval gains by the date
                unverified_withdrawals.setdefault(principal.strip().lower(), []).append(event)
            continue
        by_principal.setdefault(principal, []).append(event)

    needed_acks = set(blocking_findings(analysis))
    approvers: list[approval_policy.Approver] = []
    rejections: list[dict[str, Any]] = []
    for decisions in by_principal.values():
        ordered = signing_order(db, decisions)
        last = ordered[-1]
        for earlier in ordered[:-1]:
            if earlier.type == "approve":
                rejected.append(RejectedEvent(earlier.id, earlier.principal, WITHDRAWN,
                                              f"superseded by a later {last.type} ({last.id})"))
        if last.type == "reject":
            rejections.append({"event": last.id, "principal": last.principal, "comment": last.data.get("comment")})
        if last.type != "approve":
            continue
        later = [e for e in unverified_withdrawals.get(last.principal, []) if e.created_at >= last.created_at]
        if later:
            rejected.append(RejectedEvent(last.id, last.principal, WITHDRAWN,
                                          f"superseded by a later {later[0].type} ({later[0].id}) that does not verify "
                                          "here or is dated in the future: a withdrawal is never ignored"))
            continue
        missing = sorted(needed_acks - set(last.data.get("acks") or []))
        if missing:
            rejected.append(RejectedEvent(last.id, last.principal, UNACKNOWLEDGED,
                                          f"the approval does not acknowledge {', '.join(missing)}"))
            continue
        author = certified_author(last, analysis)
        if author:
            rejected.append(RejectedEvent(last.id, last.principal, approval_policy.AUTHOR,
                                          f"signed with a certificate that also names {author}, who wrote this change"))
            continue
        gap = chain_gap(db, last.principal)
        if gap:
            rejected.append(RejectedEvent(last.id, last.principal, BROKEN_CHAIN, gap))
            continue
        approvers.append(approval_policy.Approver(last.principal, last.id, last.fingerprint,
                                                  evidence=last.data.get("evidence")))
    return approvers, rejected, rejections


def _signed_decisions(db: "sqlite_utils.Database", change_id: str, rejected: list[RejectedEvent]
                      ) -> list[tuple[event_log.SignedEvent, dict[str, Any], list[str]]]:
    """``(event, payload, columns that disagree)`` for each distinct decision whose payload is about ``change_id``.

    Rows filed under the change with a malformed payload, or with a payload about another change (a
    replay), are reported in ``rejected``. Several rows holding one payload are one event; it counts
    as tampered when any of its rows disagrees with the payload: a copy of an approval whose id column
    names another event (a revoke overwritten with it) is evidence that the database was edited.
    """
    grouped: dict[str, tuple[event_log.SignedEvent, dict[str, Any], list[str]]] = {}
    for row in event_log.rows_about_change(db, change_id):
        filed_here = row.columns[1] == change_id
        event = row.event()
        try:
            if event is None:
                raise UserError(f"event {row.row_id}: payload is not JSON text")
            data = event._validated
        except UserError as exc:
            if filed_here:
                rejected.append(RejectedEvent(str(row.row_id), None, "bad signature", f"malformed payload: {exc.message}"))
            continue
        if data["change_id"] != change_id:
            if filed_here:
                rejected.append(RejectedEvent(event.id, data["principal"], OTHER_CHANGE,
                                              f"the signed payload is for {data['change_id']}, filed under {change_id}"))
            continue
        if data["type"] not in DECISIONS:
            continue
        differs = row.disagreements()
        if event.id in grouped:  # another row holding the same payload: any row that disagrees taints it
            first, first_data, known = grouped[event.id]
            grouped[event.id] = (first, first_data, known + [d for d in differs if d not in known])
            continue
        grouped[event.id] = (event, data, differs)
    return list(grouped.values())


def certified_author(event: event_log.SignedEvent, analysis: dict[str, Any]) -> str | None:
    """The author or co-author a certificate signing ``event`` also names (one person, several emails)."""
    from reviewer_app.core.signing import sshsig

    try:
        key = sshsig.SshSignature.parse(event.signature).public_key
        if not key.is_certificate:
            return None
        named = {p.strip().lower() for p in sshsig.Certificate.parse(key).principals}
    except sshsig.SignatureError:
        return None  # cannot happen for a verified event; nothing to add then
    authors = [((analysis.get("author") or {}).get("email") or ""), *(analysis.get("co_authors") or [])]
    return next((a for a in (str(a).strip().lower() for a in authors) if a and a in named), None)


def chain_gap(db: "sqlite_utils.Database", principal: str) -> str | None:
    """Why ``principal``'s chain in the database has a hole, or None.

    Each event names the signer's previous one, so a deleted event in the middle of a chain (a
    ``revoke`` removed to bring an approval back, locally or by rewriting the signer's ledger ref)
    leaves a successor whose previous event is missing. Then none of that signer's approvals count.
    Read from the payloads, never from the unsigned columns: rows are found by the principal column
    or the payload's principal, ids are the hashes of the payloads and links their ``prev``, so an
    edited id, prev or principal column can neither hide a hole nor fill one.
    """
    rows = db.execute(f"SELECT payload, {_PAYLOAD_PREV}, {PAYLOAD_PRINCIPAL} FROM events "
                      f"WHERE principal = ? OR {PAYLOAD_PRINCIPAL} = ?", [principal, principal]).fetchall()
    present: set[str] = set()
    links: list[tuple[str, str]] = []
    for payload, prev, named in rows:
        if not isinstance(payload, str) or named != principal:
            continue
        event_id = event_log.event_id(payload)
        present.add(event_id)
        if isinstance(prev, str):
            links.append((event_id, prev))
    for event_id, prev in sorted(links):
        if prev not in present:
            return (f"{principal}'s event {event_id} follows {prev}, which the database does not hold: an event was "
                    "removed, so a later decision (a revoke or reject) may be missing; run the gate with --fetch "
                    "(or sync) to read every event from the team's ledger")
    return None


def is_canonical_principal(principal: str) -> bool:
    """Lower case, no whitespace anywhere: the one spelling under which allowed_signers and the roster agree."""
    return principal == principal.lower() and not any(c.isspace() for c in principal)


def signing_order(db: "sqlite_utils.Database", decisions: list[event_log.SignedEvent]) -> list[event_log.SignedEvent]:
    """One principal's decisions oldest first; same-second ties are settled by the signer's chain.

    The last one is the decision that stands. ``revoke`` asks the same question the gate does ("is my
    approval standing?"), so it uses this too: row order would settle a same-second tie arbitrarily.
    """
    if len({e.created_at for e in decisions}) == len(decisions):
        return sorted(decisions, key=lambda e: e.created_at)
    position: dict[str, int] = {}
    for principal in sorted({e.principal for e in decisions}):
        for i, event in enumerate(event_log.events_of_principal(db, principal)):
            position.setdefault(event.id, i)
    return sorted(decisions, key=lambda e: (e.created_at, position.get(e.id, -1)))


# --- text output ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _printable(value: object) -> str:
    """Text from the change or the events, safe for a CI log: a title holding a newline or an ANSI escape
    must not print a line that looks like the verdict (``\\x1b[2K\\rAPPROVED``)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        str(value))


def render_text(report: GateReport) -> str:
    lines = []
    show = _printable
    for verdict in report.verdicts:
        s = verdict.summary
        lines.append(f"{'APPROVED' if verdict.approved else 'NOT APPROVED'}  {verdict.change_id}  {show(verdict.title)}")
        facts = [f"risk {s['risk_level']}" + (f" (judged as {s['judged_as']})" if s["judged_as"] != s["risk_level"] else ""),
                 f"max tier {s['max_tier'] if s['max_tier'] is not None else '-'}"]
        if s["ai_assisted"]:
            facts.append("AI-assisted")
        if s.get("hidden_content"):
            facts.append("unseen by the risk rules (text shown as binary, or a submodule): "
                         + ", ".join(show(p) for p in s["hidden_content"]))
        lines.append("  " + ", ".join(facts) + f"; policy from {report.base[:12]}")
        for req in verdict.requirements:
            owner = ", owner of an affected service" if req.owner_of_affected else ""
            who = f" ({', '.join(show(a) for a in req.approvers)})" if req.approvers else ""
            lines.append(f"  [{'ok' if req.met else 'UNMET'}] {show(req.rule)}: {req.have}/{req.needed} "
                         f"approval(s) at level {req.min_level} or above{owner}{who}")
            for shortfall in req.shortfalls:  # evidence of review: in the reviewer's terms
                lines.append(f"    not counted here: {show(shortfall)}")
        for item in verdict.rejections:
            lines.append(f"  rejected by {show(item['principal'])}: {show(item['comment'])}")
        for item in verdict.rejected:
            lines.append(f"  not counted: {show(item.principal or '?')} {show(item.event[:19])}…: {item.reason}: "
                         f"{show(item.detail)}")
    if len(report.verdicts) > 1:
        lines.append(f"{'APPROVED' if report.approved else 'NOT APPROVED'}: {sum(v.approved for v in report.verdicts)}"
                     f"/{len(report.verdicts)} changes approved")
    return "\n".join(lines)
