"""One decision path: the rules every signed approve, reject or revoke obeys, for the CLI and the GUI alike.

A decision is drafted first (``draft_decision``: is it allowed, what exactly will be signed, what
does the signer acknowledge) and signed second (``sign_draft``), so that a face can show the draft
to the person and ask before anything is written. The rules, once, here:

- a change is named by its full id or by a unique prefix of at least 8 hex digits (a one-character
  prefix picked whatever happened to be queued);
- an author, co-author or committer may not approve (the gate would not count it anyway);
- every high and critical finding must be acknowledged by id before approving;
- a rejection says why; a revocation needs a standing approval of the signer's to withdraw;
- signing again what the signer already approved, with the same acknowledgements, signs nothing;
- the key must be one the configuration lists for the principal (read from the change's base when the
  repository has it, as the gate does), checked before signing;
- comments are text: bytes that are not UTF-8 (from a terminal in another encoding) are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

    from reviewer_app.core.approvals.events import SignedEvent
    from reviewer_app.core.workspace import Workspace

DECISIONS = ("approve", "reject", "revoke")
MIN_PREFIX_DIGITS = 8
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class DecisionDraft:
    """What will be signed, and what the person should see before it is."""

    change_id: str
    decision: str
    principal: str
    title: str
    risk_level: str
    acks: tuple[str, ...] = ()
    comment: str = ""
    acknowledged: tuple[dict[str, Any], ...] = ()  # the findings the acks name, for the summary
    rule_pack: str | None = None
    already: str | None = None  # the event id of an identical standing approval: nothing to sign
    # What the reviewer looked at (core/evidence.py): measured by the desktop app, or the command line's nulls.
    evidence: dict[str, Any] | None = None

    @property
    def needs_confirmation(self) -> bool:
        """High and critical changes are confirmed by the person at a terminal before signing."""
        return self.decision == "approve" and self.risk_level in ("high", "critical")

    def fields(self) -> dict[str, Any]:
        evidence = {"evidence": dict(self.evidence)} if self.evidence is not None else {}
        if self.decision == "approve":
            return {"rule_pack": self.rule_pack, "risk_level": self.risk_level, "acks": list(self.acks),
                    "comment": self.comment, **evidence}
        if self.decision == "reject":
            return {"comment": self.comment, "risk_level": self.risk_level, **evidence}
        return {"comment": self.comment}

    def summary_lines(self) -> list[str]:
        verb = {"approve": "Approving", "reject": "Rejecting", "revoke": "Revoking your approval of"}[self.decision]
        lines = [f"{verb} {self.change_id}", f"  title  {self.title}", f"  risk   {self.risk_level}",
                 f"  as     {self.principal}"]
        for finding in self.acknowledged:
            lines.append(f"  ack    [{finding.get('severity')}] {finding.get('id')}: {finding.get('message')}")
        if self.comment:
            lines.append(f"  note   {self.comment}")
        if self.evidence is not None and self.decision != "revoke":
            from reviewer_app.core.evidence import summary

            lines.append(f"  review {summary(self.evidence)}")
        return lines


def resolve_change(db: "sqlite_utils.Database", given: str) -> str:
    """A full change id, from a full id or a unique prefix of at least 8 hex digits."""
    from reviewer_app.core import store

    digits = given[len("sha256:"):] if given.startswith("sha256:") else given
    if not digits or not _HEX.match(digits.lower()):
        raise UserError(f"{given}: not a change id (sha256: and hex digits, as `reviewer-app queue` lists them)")
    if len(digits) < MIN_PREFIX_DIGITS:
        raise UserError(f"{given}: a change id prefix needs at least {MIN_PREFIX_DIGITS} hex digits, so that a "
                        "signature never lands on a change you did not mean")
    return store.resolve_change_id(db, "sha256:" + digits.lower())


def principal_from(given: str) -> str:
    """The principal to sign as: lower-cased (the gate counts only lower-case principals; allowed_signers
    matching is case-sensitive, so ``Alice@Example.com`` would otherwise never count). docs/approvals.md."""
    identity = given.strip().lower()
    if "@" not in identity or any(c.isspace() for c in identity):
        raise UserError(f"{given}: the identity must be an email address")
    return identity


def checked_comment(comment: str, option: str = "--comment") -> str:
    try:
        comment.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UserError(f"{option}: not valid UTF-8 text (byte {exc.object[exc.start:exc.end]!r}); "
                        "write the comment in UTF-8") from None
    return comment


def authors_of(analysis: dict[str, Any]) -> set[str]:
    """Author, co-authors and committers, lower-cased: the gate's own list (trailers included)."""
    from reviewer_app.core.approvals.gate import co_authors_of

    author = str((analysis.get("author") or {}).get("email") or "").lower()
    return {a.lower() for a in [author, *co_authors_of(analysis)] if a}


def standing_decision(db: "sqlite_utils.Database", change_id: str, principal: str) -> "SignedEvent | None":
    """The principal's decision that stands for the change (in the gate's order), or None."""
    from reviewer_app.core.approvals import events
    from reviewer_app.core.approvals.gate import signing_order

    mine = [e for e in events.events_for_change(db, change_id)
            if e.principal.lower() == principal and e.type in DECISIONS]
    return signing_order(db, mine)[-1] if mine else None


def draft_decision(db: "sqlite_utils.Database", change_id: str, decision: str, analysis: dict[str, Any],
                   principal: str, acks: list[str] | tuple[str, ...] = (), ack_all: bool = False,
                   comment: str = "", evidence: dict[str, Any] | None = None) -> DecisionDraft:
    """The decision to sign, after every rule above; UserError naming the rule that refuses it.

    ``evidence`` is what the desktop app measured (ui/evidence.py); without it the decision carries the
    command line's evidence: the change's totals and no viewing figures (docs/comments-and-evidence.md).
    """
    from reviewer_app.core import evidence as review_evidence
    from reviewer_app.core.approvals.gate import blocking_findings

    if decision not in DECISIONS:
        raise UserError(f"{decision}: not a decision (approve, reject or revoke)")
    comment = checked_comment(comment)
    principal = principal_from(principal)
    risk = analysis.get("risk") or {}
    title = str(analysis.get("title") or "")
    level = str(risk.get("level") or "unknown")
    findings = {str(f.get("id")): f for f in risk.get("findings") or []}
    standing = standing_decision(db, change_id, principal)
    if evidence is None:
        evidence = review_evidence.cli_evidence(analysis)
    review_evidence.check(evidence, f"{change_id}: the evidence of review")
    if decision == "reject" and not comment.strip():
        raise UserError("reject: --comment must say why")
    if decision == "revoke":
        if standing is None or standing.type != "approve":
            raise UserError(f"{change_id}: {principal} has no standing approval to revoke")
        return DecisionDraft(change_id, decision, principal, title, level, comment=comment)
    if decision == "reject":
        return DecisionDraft(change_id, decision, principal, title, level, comment=comment, evidence=evidence)
    if principal in authors_of(analysis):
        raise UserError(f"{change_id}: {principal} is an author of this change; an author's approval never counts "
                        "— ask another reviewer")
    unknown = sorted(set(acks) - set(findings))
    if unknown:
        raise UserError(f"--ack {' '.join(unknown)}: no such finding in {change_id} (see: reviewer-app analyze)")
    blocking = blocking_findings(analysis)
    chosen = set(acks) | (set(blocking) if ack_all else set())
    missing = [f for f in blocking if f not in chosen]
    if missing:
        raise UserError(f"{change_id}: acknowledge every high and critical finding before approving; not "
                        f"acknowledged: {' '.join(missing)} (use --ack ID, repeated, or --ack-all)")
    already = None
    if standing is not None and standing.type == "approve" and set(blocking) <= set(standing.data.get("acks") or []) \
            and (evidence["client"] == "cli" or standing.data.get("evidence") == evidence):
        already = standing.id  # a review measured in the desktop app is new evidence: it is signed again
    return DecisionDraft(change_id, decision, principal, title, level, acks=tuple(sorted(chosen)), comment=comment,
                         acknowledged=tuple(findings[a] for a in sorted(chosen)), rule_pack=risk.get("rule_pack"),
                         already=already, evidence=evidence)


def config_workspace(workspace_root: Path | None, analysis: dict[str, Any]) -> "Workspace":
    """Where policy and allowed signers are read: the change's base when the repository holds it and it has
    the configuration (so a change cannot edit its own judge), else the work tree."""
    from reviewer_app.core.gitcmd import run_git
    from reviewer_app.core.workspace import Workspace

    from reviewer_app.core.signing.allowed_signers import ALLOWED_SIGNERS_PATH

    base = analysis.get("base")
    if workspace_root is not None and base:
        probe = run_git(workspace_root, "cat-file", "-e", f"{base}^{{commit}}", check=False)
        if probe.returncode == 0:
            at_base = Workspace(root=workspace_root, revision=base)
            # A branch older than the team's configuration: its merge base has no .reviewer/ yet, while the
            # gate reads the target branch's tip; the work tree is then the better guess.
            if at_base.read_bytes(ALLOWED_SIGNERS_PATH) is not None:
                return at_base
    return Workspace(root=workspace_root)


def check_trusted(signer: Any, principal: str, workspace: "Workspace") -> None:
    """Refuse before signing when the configuration would not count this key for this principal."""
    from reviewer_app.core.signing import keys
    from reviewer_app.core.signing.allowed_signers import ALLOWED_SIGNERS_PATH, TrustStore

    trust = TrustStore.load(workspace)
    where = workspace.describe(ALLOWED_SIGNERS_PATH)
    if trust.missing:
        root = workspace.root if workspace.root is not None else "this folder (not a git repository: give --repo DIR)"
        raise UserError(f"{where}: not found in {root}; add your public key there first (docs/approvals.md)")
    key = signer.public_key
    decision = trust.check(principal, key, keys.NAMESPACE, datetime.now(UTC))
    if not decision.ok:
        raise UserError(f"{where}: key {key.fingerprint} may not sign as {principal} in namespace {keys.NAMESPACE}: "
                        f"{decision.reason}: {decision.detail}")


def sign_draft(db: "sqlite_utils.Database", signer: Any, draft: DecisionDraft) -> "SignedEvent":
    """Sign and store the drafted decision (sync publishes it later)."""
    from reviewer_app.core.approvals import events

    if signer.principal.lower() != draft.principal:
        raise UserError(f"the key signs as {signer.principal}, the decision was drafted for {draft.principal}")
    return events.create_event(db, signer, draft.decision, draft.change_id, draft.fields())


@dataclass
class ConfigDrift:
    """``.reviewer/`` files that differ between the work tree and HEAD (the gate reads committed bases)."""

    paths: list[str] = field(default_factory=list)

    def warning(self) -> str | None:
        if not self.paths:
            return None
        return (f"warning: {', '.join(self.paths)} changed in the work tree but not committed; the gate reads "
                ".reviewer/ from the committed base of each change and ignores the work tree")


def config_drift(root: Path | None) -> ConfigDrift:
    from reviewer_app.core.gitcmd import run_git

    if root is None:
        return ConfigDrift()
    proc = run_git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".reviewer", check=False)
    if proc.returncode != 0:
        return ConfigDrift()
    entries = [e for e in proc.stdout.decode("utf-8", "replace").split("\0") if len(e) > 3]
    return ConfigDrift(sorted({e[3:] for e in entries}))
