"""Commands about signed decisions: ``approve``, ``reject``, ``revoke`` and the CI ``gate``.

Imports stay inside the handlers: ``gate`` runs in CI on every build and must start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reviewer_app.errors import UserError

EXIT_OK, EXIT_NOT_APPROVED, EXIT_ERROR = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    approve = subparsers.add_parser(
        "approve", help="sign your approval of a change in the queue",
        description="Sign an approval (OpenSSH SSHSIG, namespace reviewer-app) of exactly this change. "
                    "Every high and critical finding must be acknowledged by id (--ack) or all at once (--ack-all).",
    )
    _add_decision_arguments(approve)
    approve.add_argument("--ack", nargs="+", action="extend", default=[], metavar="ID",
                         help="acknowledge these finding ids (as listed by analyze)")
    approve.add_argument("--ack-all", action="store_true", help="acknowledge every high and critical finding")
    approve.add_argument("--comment", default="", help="a note kept with the signed approval")
    approve.set_defaults(handler=run_approve)

    reject = subparsers.add_parser(
        "reject", help="sign a rejection of a change (cancels your own earlier approval)",
        description="Sign a rejection; it withdraws any earlier approval of yours for this change.",
    )
    _add_decision_arguments(reject)
    reject.add_argument("--comment", required=True, help="why (required)")
    reject.set_defaults(handler=run_reject)

    revoke = subparsers.add_parser(
        "revoke", help="withdraw your earlier approval of a change",
        description="Sign a revocation of your standing approval of this change.",
    )
    _add_decision_arguments(revoke)
    revoke.add_argument("--comment", default="", help="why (optional)")
    revoke.set_defaults(handler=run_revoke)

    gate = subparsers.add_parser(
        "gate", help="CI: exit 0 only when the change has the approvals the policy demands",
        description="Recompute the change id, provenance, risk and services from the diff; read the policy, "
                    "allowed signers and revocations from the base revision; count the valid approvals. "
                    "Exit 0 approved, 1 not approved, 2 error (fails closed).",
    )
    gate.add_argument("patch", nargs="?", metavar="PATCH", help="patch or mbox file, or '-' for stdin")
    gate.add_argument("--git", metavar="BASE..HEAD", help="a git range in --repo")
    gate.add_argument("--repo", metavar="DIR", help="the repository (default: the one around the current folder)")
    gate.add_argument("--base", metavar="REV",
                      help="read the policy from this revision (default: BASE of --git, else HEAD)")
    gate.add_argument("--format", choices=["text", "json"], default="text")
    gate.add_argument("--fetch", action="store_true", help="first fetch and import the team's signed events")
    gate.add_argument("--remote", default="origin", help="the remote for --fetch (default: origin)")
    gate.set_defaults(handler=run_gate)


def _add_decision_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("change_id", metavar="CHANGE_ID", help="a change id or a unique prefix of one")
    parser.add_argument("--key", metavar="PATH",
                        help="private key file; with --agent, the public key (.pub) of the agent key to use")
    parser.add_argument("--agent", action="store_true", help="sign with a key held by ssh-agent or a hardware token")
    parser.add_argument("--as", dest="identity", metavar="EMAIL",
                        help="sign as this principal (default: git config user.email of the repository)")
    parser.add_argument("--repo", metavar="DIR", help="the repository whose .reviewer/ configuration applies")


# --- approve / reject / revoke ----------------------------------------------------------------------

def run_approve(args: argparse.Namespace) -> int:
    from reviewer_app.core import events
    from reviewer_app.core.gate import blocking_findings

    ctx = _DecisionContext.open(args)
    analysis = ctx.analysis()
    ctx.refuse_authors(analysis)
    findings = {f["id"] for f in (analysis.get("risk") or {}).get("findings") or []}
    unknown = sorted(set(args.ack) - findings)
    if unknown:
        raise UserError(f"--ack {' '.join(unknown)}: no such finding in {ctx.change_id} (see: reviewer-app analyze)")
    blocking = blocking_findings(analysis)
    acks = set(args.ack) | (set(blocking) if args.ack_all else set())
    unacknowledged = [f for f in blocking if f not in acks]
    if unacknowledged:
        raise UserError(
            f"{ctx.change_id}: acknowledge every high and critical finding before approving; not acknowledged: "
            f"{' '.join(unacknowledged)} (use --ack ID ... or --ack-all)"
        )
    risk = analysis.get("risk") or {}
    event = events.create_event(ctx.db, ctx.signer, "approve", ctx.change_id, {
        "rule_pack": risk.get("rule_pack"), "risk_level": risk.get("level"),
        "acks": sorted(acks), "comment": args.comment,
    })
    ctx.report("approved", event)
    return EXIT_OK


def run_reject(args: argparse.Namespace) -> int:
    from reviewer_app.core import events

    if not args.comment.strip():
        raise UserError("reject: --comment must say why")
    ctx = _DecisionContext.open(args)
    risk = ctx.analysis().get("risk") or {}
    event = events.create_event(ctx.db, ctx.signer, "reject", ctx.change_id,
                                {"comment": args.comment, "risk_level": risk.get("level")})
    ctx.report("rejected", event)
    return EXIT_OK


def run_revoke(args: argparse.Namespace) -> int:
    from reviewer_app.core import events
    from reviewer_app.core.gate import DECISIONS, signing_order

    ctx = _DecisionContext.open(args)
    mine = [e for e in events.events_for_change(ctx.db, ctx.change_id)
            if e.principal.lower() == ctx.signer.principal.lower() and e.type in DECISIONS]
    # The gate's order (time, then the signer's chain): a same-second approve and reject must not be
    # settled by whichever row the database happens to return last.
    if not mine or signing_order(ctx.db, mine)[-1].type != "approve":
        raise UserError(f"{ctx.change_id}: {ctx.signer.principal} has no standing approval to revoke")
    event = events.create_event(ctx.db, ctx.signer, "revoke", ctx.change_id, {"comment": args.comment})
    ctx.report("revoked the approval of", event)
    return EXIT_OK


class _DecisionContext:
    """What every signed decision needs: the db, the change, the workspace, a trusted signer."""

    def __init__(self, db: Any, change_id: str, workspace: Any, signer: Any) -> None:
        self.db, self.change_id, self.workspace, self.signer = db, change_id, workspace, signer

    @classmethod
    def open(cls, args: argparse.Namespace) -> "_DecisionContext":
        from reviewer_app.core import store
        from reviewer_app.core.workspace import Workspace

        db = store.open_db(args.db)
        change_id = store.resolve_change_id(db, args.change_id)
        workspace = Workspace.discover(args.repo)
        identity = _identity(args, workspace)
        return cls(db, change_id, workspace, _trusted_signer(args, identity, workspace))

    def analysis(self) -> dict[str, Any]:
        """The stored analysis, or a fresh one from the stored patch when missing or made with other rules."""
        from reviewer_app.core import risk, store

        stored = store.get_analysis(self.db, self.change_id)
        current_pack = risk.load_rules(self.workspace).pack_hash
        if stored is not None and (stored.get("risk") or {}).get("rule_pack") == current_pack:
            return stored
        return _reanalyse(self.db, self.change_id, self.workspace)

    def refuse_authors(self, analysis: dict[str, Any]) -> None:
        from reviewer_app.core.gate import co_authors_of  # the gate's own list: trailers, committers

        authors = {a.lower() for a in [(analysis.get("author") or {}).get("email") or "", *co_authors_of(analysis)] if a}
        if self.signer.principal.lower() in authors:
            raise UserError(f"{self.change_id}: {self.signer.principal} is an author of this change; "
                            "an author's approval never counts — ask another reviewer")

    def report(self, verb: str, event: Any) -> None:
        print(f"{verb} {self.change_id}")
        print(f"  event  {event.id}")
        print(f"  key    {self.signer.fingerprint} ({self.signer.principal})")


def _identity(args: argparse.Namespace, workspace: Any) -> str:
    from reviewer_app.core.gitcmd import configured_email

    given = args.identity or configured_email(workspace.root)
    if not given:
        raise UserError("no signing identity: give --as EMAIL or set `git config user.email` in the repository")
    # The gate counts only lower-case principals (the roster ignores case, OpenSSH's matching does not),
    # so "Alice@Example.com" from git config is signed as alice@example.com rather than never counting.
    identity = given.strip().lower()
    if "@" not in identity or any(c.isspace() for c in identity):
        raise UserError(f"--as {given}: the identity must be an email address")
    return identity


def _trusted_signer(args: argparse.Namespace, identity: str, workspace: Any) -> Any:
    """A signer for ``identity`` whose key the workspace's allowed_signers lists for reviewer-app."""
    from datetime import datetime, timezone
    from pathlib import Path

    from reviewer_app.core import keys
    from reviewer_app.core.allowed_signers import ALLOWED_SIGNERS_PATH, TrustStore

    trust = TrustStore.load(workspace)
    where = workspace.describe(ALLOWED_SIGNERS_PATH)
    if trust.missing:
        raise UserError(f"{where}: not found in {workspace.root}; add your public key there first (see docs/approvals.md)")
    allowed = trust.keys_for(identity, keys.NAMESPACE)
    if args.agent:
        if args.key:
            public_path = Path(args.key).expanduser()
            if public_path.suffix != ".pub" and public_path.with_name(public_path.name + ".pub").exists():
                public_path = public_path.with_name(public_path.name + ".pub")  # named by its private half
            public = keys.load_public_key(public_path)
        else:
            candidates = [k for k in keys.agent_keys() if k in allowed]
            if not candidates:
                raise UserError(f"--agent: ssh-agent holds no key that {where} lists for {identity}")
            public = candidates[0]
        signer = keys.agent_signer(identity, public)
    else:
        if not args.key:
            raise UserError("give --key PATH (a private key file) or --agent")
        signer = keys.file_signer(Path(args.key).expanduser(), identity, passphrase_prompt=_terminal_prompt())
    key = signer.public_key  # type: ignore[attr-defined]
    decision = trust.check(identity, key, keys.NAMESPACE, datetime.now(timezone.utc))
    if not decision.ok:
        raise UserError(f"{where}: key {key.fingerprint} may not sign as {identity} in namespace {keys.NAMESPACE}: "
                        f"{decision.reason}: {decision.detail}")
    return signer


def _terminal_prompt() -> Any:
    """getpass when a person is at a terminal; otherwise None, so scripts get a clear error instead of a hang."""
    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass


def _reanalyse(db: Any, change_id: str, workspace: Any) -> dict[str, Any]:
    from reviewer_app.core import store
    from reviewer_app.core.analysis import analyze
    from reviewer_app.core.diffparse import parse_patch

    patch = store.get_patch(db, change_id)
    if patch is None:
        raise UserError(f"{change_id}: not in the local database (submit it or sync first)")
    row = db.execute("SELECT source FROM changes WHERE change_id = ?", [change_id]).fetchone()
    source = row[0] if row and row[0] else change_id
    for change in parse_patch(patch, source):
        result = analyze(change, workspace)
        if result.change_id == change_id:
            return result.to_dict()
    raise UserError(f"{change_id}: the stored patch no longer yields this change id; re-submit the change")


# --- gate -------------------------------------------------------------------------------------------

def run_gate(args: argparse.Namespace) -> int:
    """Fail closed: every error, expected or not, is exit 2 with one line (and JSON saying not approved)."""
    try:
        return _gate(args)
    except UserError as exc:
        return _gate_error(args, exc.message)
    except Exception as exc:  # noqa: BLE001 — the gate must never let an unexpected error look like a pass
        import os

        if os.environ.get("REVIEWER_APP_DEBUG"):
            raise
        return _gate_error(args, f"internal error: {type(exc).__name__}: {exc}")


def _gate(args: argparse.Namespace) -> int:
    from reviewer_app.core import store
    from reviewer_app.core.gate import render_text, run_gate as judge_changes
    from reviewer_app.core.workspace import Workspace

    if bool(args.patch) == bool(args.git):
        raise UserError("gate: give exactly one of PATCH, '-' or --git BASE..HEAD")
    workspace = Workspace.discover(args.repo)
    if workspace.root is None:
        raise UserError("gate: not inside a git repository; give --repo DIR")
    db = store.open_db(args.db)
    spec = "git:" + args.git if args.git else args.patch
    ledger_problems: list[str] = []
    if args.fetch:
        from reviewer_app.core.gate import resolve_base
        from reviewer_app.core.sync import fetch_events  # only CI runs with --fetch pay for the sync code

        # Imported with the allowed signers of the base that judges the change, never of the checked-out
        # head under review: a head that edits allowed_signers must not decide which events get in.
        base = Workspace(workspace.root, revision=resolve_base(workspace.root, spec, args.base))
        ledger_problems = fetch_events(db, workspace.root, args.remote, trusted=base).problems
    report = judge_changes(db, workspace.root, spec, base=args.base)
    if args.format == "json":
        result = report.to_dict()
        if args.fetch:
            result["ledger_problems"] = ledger_problems
        json.dump(result, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(render_text(report))
        for problem in ledger_problems:
            print(f"  ledger: {_printable(problem)}")
    return EXIT_OK if report.approved else EXIT_NOT_APPROVED


def _printable(text: str) -> str:
    from reviewer_app.core.gate import _printable as printable  # one escaping rule for everything the gate prints

    return printable(text)


def _gate_error(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "format", "text") == "json":
        json.dump({"approved": False, "error": message}, sys.stdout, sort_keys=True, ensure_ascii=False)
        sys.stdout.write("\n")
    print(f"reviewer-app: error: gate failed closed: {message}", file=sys.stderr)
    return EXIT_ERROR
