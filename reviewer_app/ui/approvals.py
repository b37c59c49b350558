"""Approval state and signing for the window, on top of the Qt-free policy, gate and events.

No Qt here: ``approval_state`` says what the policy asks of a change and who has signed (the
same evaluation the CI gate makes), and ``sign_decision`` signs an approve/reject event. The
window calls both from workers; signing never runs on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.core.approvals.gate import BLOCKING_SEVERITIES as ACK_SEVERITIES  # what the gate demands acks for
from reviewer_app.errors import UserError


@dataclass
class Requirement:
    description: str
    met: bool


@dataclass
class Signature:
    decision: str  # approve | reject
    principal: str
    fingerprint: str
    created_at: str
    comment: str = ""
    valid: bool = True
    problem: str = ""
    event_id: str = ""


@dataclass
class ApprovalState:
    requirements: list[Requirement] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    satisfied: bool = False
    rejected: bool = False
    have: int = 0
    need: int = 1
    error: str | None = None  # the policy could not be read: nothing counts (fail closed)

    @property
    def approved_by(self) -> list[str]:
        """Everyone with a standing, verified approval (counted or not: "waiting for others")."""
        latest: dict[str, Signature] = {}
        for signature in self.signatures:
            if signature.decision in ("approve", "reject", "revoke"):
                latest[signature.principal.lower()] = signature
        return [s.principal for s in latest.values() if s.decision == "approve" and s.valid]

    def summary(self) -> str:
        if self.error:
            return f"policy error: {self.error}"
        if self.rejected:
            return "rejected"
        if self.satisfied:
            return f"approved ({self.have}/{self.need})"
        counts = f"{self.have}/{self.need}"
        return f"{counts}; missing: " + "; ".join(self.missing) if self.missing else counts

    def headline(self) -> str:
        if self.error:
            return f"The policy cannot be evaluated, so nothing counts: {self.error}"
        if self.rejected:
            names = ", ".join(s.principal for s in self.signatures if s.decision == "reject" and s.valid)
            return f"Rejected by {names}."
        if self.satisfied:
            return f"Approved: {self.have} of {self.need} required approvals; the gate will pass."
        return f"{self.have} of {self.need} required approvals. Still missing: " + "; ".join(self.missing or ["?"])


def change_authors(analysis: dict[str, Any]) -> set[str]:
    """The author, co-authors and committers, lower-cased: their approvals never count (the gate's list)."""
    from reviewer_app.core.approvals.decisions import authors_of

    return authors_of(analysis)


def findings_to_acknowledge(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every high and critical finding: each must be ticked before an approval can be signed."""
    return [f for f in findings if str(f.get("severity", "")).lower() in ACK_SEVERITIES]


def config_workspace(workspace_root: Path | None, analysis: dict[str, Any]) -> Any:
    """Where policy and allowed signers are read (core.decisions.config_workspace: the base when present)."""
    from reviewer_app.core.approvals.decisions import config_workspace as base_workspace

    return base_workspace(workspace_root, analysis)


def _signatures(db: Any, change_id: str, trust: Any) -> list[Signature]:
    """Every decision filed under the change, verified or not, for display (the gate decides what counts)."""
    from reviewer_app.core.approvals import events

    shown: list[Signature] = []
    for event in events.events_for_change(db, change_id):
        try:
            data = events.validate_payload(event.payload)
        except UserError:
            continue
        if data["type"] not in ("approve", "reject", "revoke"):
            continue
        verification = events.verify_event(event, trust)
        shown.append(Signature(
            decision=data["type"], principal=data["principal"], fingerprint=data["key"],
            created_at=data["created_at"], comment=str(data.get("comment") or ""), valid=verification.ok,
            problem="" if verification.ok else verification.message, event_id=event.id,
        ))
    return shown


def approval_state(db: Any, change_id: str, analysis: dict[str, Any], workspace_root: Path | None,
                   config_cache: dict[str | None, Any] | None = None, verdict: Any = None) -> ApprovalState:
    """What the policy asks of the change and who has signed: the CI gate's own judgement
    (``gate.judge``) over the local events; any doubt leaves it unapproved.

    With ``verdict`` (the queue already judged the change: core.inbox.status) the judgement is not made
    again and the signatures, which only the approvals tab lists, are not read.
    """
    from reviewer_app.core.approvals import gate
    from reviewer_app.core.approvals import policy as approval_policy
    from reviewer_app.core.signing.allowed_signers import TrustStore

    state = ApprovalState()
    if verdict is not None:
        return _with_verdict(state, verdict)
    try:
        base = analysis.get("base")
        if config_cache is not None and base in config_cache:
            loaded, trust = config_cache[base]
        else:
            workspace = config_workspace(workspace_root, analysis)
            loaded, trust = approval_policy.load_policy(workspace), TrustStore.load(workspace)
            if config_cache is not None:
                config_cache[base] = (loaded, trust)
        verdict = gate.judge(db, analysis, loaded, trust)
        state.signatures = _signatures(db, change_id, trust)
    except UserError as exc:
        state.error = exc.message
        state.missing = ["a readable policy"]
        state.need = 1
        return state
    return _with_verdict(state, verdict)


def _with_verdict(state: ApprovalState, verdict: Any) -> ApprovalState:
    """The requirements, what is missing and the counts, from the gate's verdict."""
    from reviewer_app.core.approvals import gate

    for result in verdict.requirements:
        owner = ", an owner of an affected service" if result.owner_of_affected else ""
        description = f"{result.rule}: {result.needed} approval(s) by {result.min_level} or above{owner}"
        state.requirements.append(Requirement(f"{description} — have {result.have}", result.met))
        if not result.met:
            left = result.needed - result.have
            state.missing.append(f"{left} more {result.min_level}+ approval{'s' if left != 1 else ''}{owner} "
                                 f"({result.rule})")
    not_counted = {item.event: f"{item.reason}: {item.detail}" for item in verdict.rejected}
    for signature in state.signatures:
        if signature.event_id in not_counted:
            signature.valid = False
            signature.problem = not_counted[signature.event_id]
    for item in verdict.rejected:
        if item.reason != gate.WITHDRAWN:
            state.missing.append(f"not counted: {item.principal or '?'}: {item.reason}")
    state.need = max((r.needed for r in verdict.requirements), default=0)
    state.have = min((r.have for r in verdict.requirements), default=0)
    state.rejected = bool(verdict.rejections)
    state.satisfied = verdict.approved and not state.rejected
    return state


@dataclass
class SignResult:
    event_id: str
    decision: str
    principal: str
    fingerprint: str


@dataclass
class KeyChoice:
    """How to sign: a private key file, or ssh-agent (optionally naming which key by its .pub file)."""

    key_path: str = ""
    use_agent: bool = False


def key_needs_passphrase(path: Path) -> bool:
    """True when an OpenSSH private key file is encrypted (read from its header, no KDF run)."""
    import base64
    import binascii

    from reviewer_app.core.signing.sshsig import SignatureError, WireReader

    try:
        lines = path.read_text(encoding="ascii", errors="replace").strip().splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the key: {exc.strerror or exc}") from exc
    if len(lines) < 3 or "BEGIN OPENSSH PRIVATE KEY" not in lines[0]:
        return False  # not ours to judge: the signer reports the real problem
    try:
        blob = base64.b64decode("".join(lines[1:-1]))
        reader = WireReader(blob[len(b"openssh-key-v1\0"):])
        return reader.string() != b"none"
    except (binascii.Error, SignatureError, ValueError):
        return False


def make_signer(choice: KeyChoice, principal: str, passphrase_prompt: Callable[[str], str] | None = None) -> Any:
    from reviewer_app.core.signing import keys

    if not principal:
        raise UserError("settings: identity: set your email before signing (Settings…)")
    if choice.use_agent:
        available = keys.agent_keys()
        if choice.key_path:
            public_path = Path(choice.key_path).expanduser()
            if public_path.suffix != ".pub":
                public_path = public_path.with_name(public_path.name + ".pub")
            wanted = keys.load_public_key(public_path)
            if not any(k.blob == wanted.blob for k in available):
                raise UserError(f"{public_path}: ssh-agent does not hold this key (ssh-add it first)")
            return keys.agent_signer(principal, wanted)
        if not available:
            raise UserError("ssh-agent holds no keys (ssh-add one, or choose a key file)")
        return keys.agent_signer(principal, available[0])
    if not choice.key_path:
        raise UserError("no signing key chosen: pick a key file or ssh-agent")
    return keys.file_signer(Path(choice.key_path).expanduser(), principal, passphrase_prompt)


def sign_decision(db_path: Path | None, change_id: str, decision: str, acks: list[str], comment: str,
                  choice: KeyChoice, principal: str, passphrase: str | None, analysis: dict[str, Any],
                  workspace_root: Path | None, evidence: dict[str, Any] | None = None) -> SignResult:
    """Sign an approve or reject event for the change and store it locally (sync pushes it later).

    The rules are the core's (core/approvals/decisions.py), the same ones ``reviewer-app approve`` obeys.
    """
    from reviewer_app.core import store
    from reviewer_app.core.approvals import decisions

    if decision not in ("approve", "reject"):
        raise UserError(f"{decision}: not a decision (approve or reject)")
    if not principal:
        raise UserError("settings: identity: set your email before signing (Settings…)")
    db = store.open_db(db_path)
    try:
        draft = decisions.draft_decision(db, change_id, decision, analysis, principal, acks, comment=comment,
                                         evidence=evidence)  # ui/evidence.py; None: the core's "nothing measured"
        if draft.already:
            raise UserError(f"already approved by you (event {draft.already[:19]}…); nothing signed")
        prompt = (lambda _text: passphrase) if passphrase is not None else None
        signer = make_signer(choice, draft.principal, prompt)
        decisions.check_trusted(signer, draft.principal, config_workspace(workspace_root, analysis))
        event = decisions.sign_draft(db, signer, draft)
    finally:
        db.close()
    return SignResult(event_id=event.id, decision=decision, principal=signer.principal, fingerprint=signer.fingerprint)
