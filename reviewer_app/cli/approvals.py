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
    approve.add_argument("--ack", action="append", default=[], metavar="ID",
                         help="acknowledge this finding id, as listed by analyze (repeat --ack for each; "
                              "commas separate several)")
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


def add_signing_arguments(parser: argparse.ArgumentParser,
                          key_help: str = "private key file; with --agent, the public key (.pub) of the agent key "
                                          "to use") -> None:
    """--key, --agent and --as: how every signing command (decisions, comments, sealed exports) names its key."""
    parser.add_argument("--key", metavar="PATH", help=key_help)
    parser.add_argument("--agent", action="store_true", help="sign with a key held by ssh-agent or a hardware token")
    parser.add_argument("--as", dest="identity", metavar="EMAIL",
                        help="sign as this principal (default: git config user.email of the repository)")


def _add_decision_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("change_id", metavar="CHANGE_ID", help="a change id or a unique prefix of one")
    add_signing_arguments(parser)
    parser.add_argument("--repo", metavar="DIR", help="the repository whose .reviewer/ configuration applies")
    parser.add_argument("--yes", action="store_true",
                        help="do not ask for confirmation (at a terminal, high and critical changes ask)")


# --- approve / reject / revoke: thin callers of core/approvals/decisions.py--------------------------------

def run_approve(args: argparse.Namespace) -> int:
    acks = [part.strip() for value in args.ack for part in value.split(",") if part.strip()]
    return _decide(args, "approve", acks=acks, ack_all=args.ack_all)


def run_reject(args: argparse.Namespace) -> int:
    return _decide(args, "reject")


def run_revoke(args: argparse.Namespace) -> int:
    return _decide(args, "revoke")


_DONE = {"approve": "approved", "reject": "rejected", "revoke": "revoked the approval of"}


def _decide(args: argparse.Namespace, decision: str, acks: list[str] | None = None, ack_all: bool = False) -> int:
    """Draft, show, confirm (at a terminal, for high and critical changes), check the key, sign."""
    from reviewer_app.core import store
    from reviewer_app.core.approvals import decisions
    from reviewer_app.core.workspace import Workspace

    workspace = Workspace.discover(args.repo)
    db = store.open_db(args.db)
    change_id = decisions.resolve_change(db, args.change_id)
    identity = _identity(args, workspace)
    analysis = _analysis(db, change_id, workspace)
    draft = decisions.draft_decision(db, change_id, decision, analysis, identity, acks or [], ack_all,
                                     _argv_text(args.comment))
    drift = decisions.config_drift(workspace.root).warning()
    if drift:
        print(drift, file=sys.stderr)
    from reviewer_app.core.signing.allowed_signers import TrustStore

    for warning in TrustStore.load(decisions.config_workspace(workspace.root, analysis)).warnings():
        print(f"warning: {warning}", file=sys.stderr)
    if not draft.already:
        print("\n".join(draft.summary_lines()))
        if draft.needs_confirmation and not args.yes and sys.stdin.isatty():
            answer = input(f"Sign this {draft.risk_level}-risk approval with your key? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                print("not signed")
                return EXIT_ERROR
    signer = _signer(args, draft.principal, workspace)
    decisions.check_trusted(signer, draft.principal, decisions.config_workspace(workspace.root, analysis))
    if draft.already:  # after the key check: a key that may not sign is reported as such
        print(f"already approved by you: {change_id} (event {draft.already}); nothing signed")
        return EXIT_OK
    event = decisions.sign_draft(db, signer, draft)
    print(f"{_DONE[decision]} {change_id}")
    print(f"  event  {event.id}")
    print(f"  key    {signer.fingerprint} ({signer.principal})")
    return EXIT_OK


def _argv_text(value: str) -> str:
    """A command-line string as text: Python keeps undecodable argv bytes as surrogates; say so clearly."""
    from reviewer_app.core.approvals.decisions import checked_comment

    return checked_comment(value)


def _analysis(db: Any, change_id: str, workspace: Any) -> dict[str, Any]:
    """The stored analysis, or a fresh one from the stored patch when missing or made with other rules."""
    from reviewer_app.core import risk, store

    stored = store.get_analysis(db, change_id)
    current_pack = risk.load_rules(workspace).pack_hash
    if stored is not None and (stored.get("risk") or {}).get("rule_pack") == current_pack:
        return stored
    return _reanalyse(db, change_id, workspace)


def _identity(args: argparse.Namespace, workspace: Any) -> str:
    from reviewer_app.core.gitcmd import configured_email

    given = args.identity or configured_email(workspace.root)
    if not given:
        raise UserError("no signing identity: give --as EMAIL or set `git config user.email` in the repository")
    from reviewer_app.core.approvals.decisions import principal_from

    try:
        return principal_from(given)
    except UserError as exc:
        raise UserError(f"--as {exc.message}") from None


def _signer(args: argparse.Namespace, identity: str, workspace: Any) -> Any:
    """The key to sign with: a private key file (--key), or ssh-agent (--agent, optionally naming the .pub)."""
    from pathlib import Path

    from reviewer_app.core.signing import keys

    if args.agent:
        if args.key:
            public_path = Path(args.key).expanduser()
            if public_path.suffix != ".pub" and public_path.with_name(public_path.name + ".pub").exists():
                public_path = public_path.with_name(public_path.name + ".pub")  # named by its private half
            return keys.agent_signer(identity, keys.load_public_key(public_path))
        from reviewer_app.core.signing.allowed_signers import ALLOWED_SIGNERS_PATH, TrustStore

        allowed = TrustStore.load(workspace).keys_for(identity, keys.NAMESPACE)
        candidates = [k for k in keys.agent_keys() if k in allowed]
        if not candidates:
            raise UserError(f"--agent: ssh-agent holds no key that {workspace.describe(ALLOWED_SIGNERS_PATH)} "
                            f"lists for {identity}")
        return keys.agent_signer(identity, candidates[0])
    if not args.key:
        raise UserError("give --key PATH (a private key file) or --agent")
    return keys.file_signer(Path(args.key).expanduser(), identity, passphrase_prompt=_terminal_prompt())


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
    from reviewer_app.core.approvals.gate import render_text, run_gate as judge_changes
    from reviewer_app.core.workspace import Workspace

    if bool(args.patch) == bool(args.git):
        raise UserError("gate: give exactly one of PATCH, '-' or --git BASE..HEAD")
    workspace = Workspace.discover(args.repo)
    if workspace.root is None:
        raise UserError("gate: not inside a git repository; give --repo DIR")
    db = store.open_db(args.db)
    spec = "git:" + args.git if args.git else args.patch
    from reviewer_app.core.approvals.decisions import config_drift

    drift = config_drift(workspace.root).warning()  # the gate judges the committed base, not the work tree
    if drift:
        print(drift, file=sys.stderr)
    ledger_problems: list[str] = []
    ledger_notes: list[str] = []
    fetch = None
    if args.fetch:
        def fetch(change_ids: list[str], base: Workspace, trust: Any) -> None:
            from reviewer_app.core.sync import fetch_for_changes  # only CI runs with --fetch pay for the sync code

            # Only what names these change ids, plus the whole ledgers of their deciders (core/sync/narrow.py).
            # Imported with the allowed signers of the base that judges the change, never of the checked-out
            # head under review: a head that edits allowed_signers must not decide which events get in.
            report = fetch_for_changes(db, workspace.root, args.remote, change_ids, trusted=base, trust=trust)
            ledger_problems.extend(report.problems)
            ledger_notes.extend(report.notes)
    report = judge_changes(db, workspace.root, spec, base=args.base, before_judging=fetch)
    if args.format == "json":
        result = report.to_dict()
        if args.fetch:
            result["ledger_problems"] = ledger_problems
            result["ledger_notes"] = ledger_notes
        from reviewer_app.core import jsonout

        jsonout.dump(result, sys.stdout)  # valid UTF-8 whatever bytes the patch held
    else:
        print(render_text(report))
        for problem in ledger_problems:
            print(f"  ledger: {_printable(problem)}")
        for note in ledger_notes:
            print(f"  ledger note: {_printable(note)}")
    return EXIT_OK if report.approved else EXIT_NOT_APPROVED


def _printable(text: str) -> str:
    from reviewer_app.core.approvals.gate import _printable as printable  # one escaping rule for everything the gate prints

    return printable(text)


def _gate_error(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "format", "text") == "json":
        json.dump({"approved": False, "error": message}, sys.stdout, sort_keys=True, ensure_ascii=False)
        sys.stdout.write("\n")
    print(f"reviewer-app: error: gate failed closed: {message}", file=sys.stderr)
    return EXIT_ERROR
