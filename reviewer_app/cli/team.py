"""Team commands: ``sync`` (the git-remote ledger), ``export`` (audit formats) and ``verify-export``.

Exit codes: 0 ok; 1 something needs a human (sync: events set aside, a rewritten ref, a broken
chain; verify-export: the export is not intact, or parts of it are not covered by a signature);
2 error (remote unreachable, bad input).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.errors import UserError

if TYPE_CHECKING:
    import sqlite_utils

    from reviewer_app.core.export.seal import ExportSeal

EXPORT_FORMATS = ["jsonl", "csv", "html", "pdf", "intoto", "bundle"]


def register(subparsers: argparse._SubParsersAction) -> None:
    sync = subparsers.add_parser(
        "sync", help="exchange signed events and patches with the team through a git remote",
        description="Fetch refs/reviewer-app/events/* from the remote, verify and import new events (those that fail "
                    "are set aside and reported), then push this machine's signers' refs and the per-change index refs (fast-forward only). "
                    "Works offline: unpushed events wait for the next sync.",
        epilog="Exit status: 0 done; 1 done, but events were set aside or a ref was rewritten (see the WARNING "
               "lines); 2 the remote could not be reached or refused the push (nothing is lost).",
    )
    sync.add_argument("--repo", metavar="DIR", help="the team's repository (default: the one around the current folder)")
    sync.add_argument("--remote", metavar="NAME|URL", default="origin", help="remote name or URL (default: origin)")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--status", action="store_true", help="show unpushed events and the last sync; no network")
    mode.add_argument("--rebuild", action="store_true",
                      help="re-verify and re-index every event on the refs (local-only events are kept)")
    mode.add_argument("--migrate-layout", action="store_true",
                      help="once per remote: file every event also under its change id (ledger layout 2), so that "
                           "`gate --fetch` reads only the change it judges; idempotent")
    sync.add_argument("--format", choices=["text", "json"], default="text")
    sync.add_argument("--no-inbox", action="store_true",
                      help="exchange signed events only; do not fetch the review refs (pull requests, merge requests, "
                           "Gerrit changes, branches) into the inbox")
    sync.set_defaults(handler=run_sync_command)

    export = subparsers.add_parser(
        "export", help="export the signed audit trail (jsonl, csv, html, pdf, in-toto, bundle)",
        description="Write the events of the local index in an audit format. jsonl lines verify with ssh-keygen; "
                    "bundle is one archive with everything needed to verify offline.",
    )
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    export.add_argument("--output", metavar="FILE", required=True, help="where to write ('-' for stdout, text formats)")
    export.add_argument("--since", metavar="DATE", help="events created at or after DATE (YYYY-MM-DD or RFC 3339)")
    export.add_argument("--until", metavar="DATE", help="events created before DATE")
    export.add_argument("--service", metavar="NAME", help="only changes affecting this service")
    export.add_argument("--change", metavar="ID", help="only this change (full id or unique prefix)")
    export.add_argument("--repo", metavar="DIR",
                        help="repository whose allowed_signers and policy go into bundles and verdicts")
    from reviewer_app.cli.approvals import add_signing_arguments

    add_signing_arguments(export, key_help="sign the export (jsonl, bundle) with this key, so that verify-export can "
                                           "check its completeness, patches and policy; with --agent, the public key "
                                           "of the agent key")
    export.set_defaults(handler=run_export_command)

    verify = subparsers.add_parser(
        "verify-export", help="check an export: every signature, chain link and manifest entry",
        description="Exit 0 when no tampering is found (FAIL lines: exit 1); what no signature covers is listed as "
                    "UNVERIFIED (an export made without export --key: its completeness, a bundle's patches and "
                    "policy); with --strict an UNVERIFIED part is exit 1 too. Exit 2 when it cannot be read. Reads "
                    "jsonl, in-toto and bundle exports (csv, html and pdf carry no signatures).",
    )
    verify.add_argument("file", metavar="FILE", help="a jsonl export, an in-toto export or a bundle")
    verify.add_argument("--allowed-signers", metavar="FILE",
                        help="trust these signers (default for bundles: the bundle's own allowed_signers)")
    verify.add_argument("--revoked", metavar="FILE",
                        help="revoked keys to apply with --allowed-signers (a bundle's own revoked_keys apply too)")
    verify.add_argument("--strict", action="store_true",
                        help="exit 1 unless everything a verdict depends on is covered by a signature (a sealed export)")
    verify.set_defaults(handler=run_verify_command)


def run_sync_command(args: argparse.Namespace) -> int:
    from reviewer_app.core import store
    from reviewer_app.core.sync import migrate_layout, run_sync, sync_status

    db = store.open_db(args.db)
    if args.status:
        status = sync_status(db)
        if args.format == "json":
            print(json.dumps(status, indent=2, sort_keys=True))
        else:
            print(f"unpushed events: {status['unpushed']}")
            print(f"last sync: {status['last_sync'] or 'never'}")
            if status["last_error"]:
                print(f"last error: {status['last_error']}")
            if status["quarantined"]:
                print(f"set aside (failed verification): {status['quarantined']}")
        return 0
    repo = Path(args.repo) if args.repo else Path.cwd()
    if args.migrate_layout:
        report = migrate_layout(db, repo, args.remote)
    else:
        report = run_sync(db, repo, args.remote, rebuild=args.rebuild)
    problems = report.problems
    notes = report.notes + report.imported.warnings
    inbox = None if args.no_inbox else _sync_inbox(db, repo, args.remote, notes)
    if args.format == "json":
        print(json.dumps({
            "summary": report.summary(), "pushed_refs": report.pushed_refs, "pushed_events": report.pushed_events,
            "pushed_patches": report.pushed_patches, "imported_events": report.imported.events_imported,
            "imported_patches": report.imported.patches_imported, "problems": problems, "notes": notes,
            "inbox": None if inbox is None else {
                "summary": inbox.summary(), "new_items": inbox.new_items, "new_revisions": inbox.new_revisions,
                "rebased": inbox.rebased, "closed": inbox.closed, "problems": inbox.problems},
        }, indent=2, sort_keys=True))
    else:
        print(report.summary())
        if inbox is not None:
            print(f"inbox: {inbox.summary()}")
        _print_capped("note", notes)
        _print_capped("WARNING", problems)
    return 1 if problems else 0


def _sync_inbox(db: Any, repo: Path, remote: str, notes: list[str]) -> Any:
    """The inbox part of sync: review refs fetched and analysed. Its troubles are notes: the signed events,
    which the gate depends on, have been exchanged whatever the inbox finds."""
    from reviewer_app.core.gitcmd import repository_root
    from reviewer_app.core.inbox import sync_inbox
    from reviewer_app.core.inbox.fetch import inbox_prefix

    root = repository_root(repo)
    try:
        inbox_prefix(remote)
    except UserError:
        notes.append(f"inbox: '{remote}' is not a remote name; review refs are fetched only from a named remote")
        return None
    if root is None:
        return None
    try:
        inbox = sync_inbox(db, root, remote)
    except UserError as exc:
        notes.append(f"inbox: {exc.message}")
        return None
    notes.extend(f"inbox: {problem}" for problem in inbox.problems)
    return inbox


# Ten thousand set-aside events (say, allowed_signers missing at HEAD) must not flood the terminal.
_MAX_LINES = 20


def _print_capped(label: str, lines: list[str]) -> None:
    for line in lines[:_MAX_LINES]:
        print(f"{label}: {line}", file=sys.stderr)
    if len(lines) > _MAX_LINES:
        print(f"{label}: ... and {len(lines) - _MAX_LINES} more (use --format json for the full list)", file=sys.stderr)


def run_export_command(args: argparse.Namespace) -> int:
    from reviewer_app.core import store
    from reviewer_app.core.export import ExportFilter, write_export

    db = store.open_db(args.db)
    change = _change_argument(db, args.change) if args.change else None
    selection = ExportFilter.from_cli(since=args.since, until=args.until, service=args.service, change_id=change)
    if args.service:
        from reviewer_app.core.export.selection import known_services

        known = known_services(db)
        if args.service.strip().lower() not in known:
            listed = ", ".join(sorted(known)[:12]) or "none in the queue"
            print(f"warning: --service {args.service}: no change in the database names this service "
                  f"(known: {listed}); the export will hold no events", file=sys.stderr)
    seal = _export_seal(args)
    result = write_export(db, args.format, Path(args.output) if args.output != "-" else None, selection,
                          repo=Path(args.repo) if args.repo else None, seal=seal)
    print(result.summary() + (f", signed by {seal.signer.principal} ({seal.signer.fingerprint})" if seal else ""),
          file=sys.stderr)
    return 0


def _export_seal(args: argparse.Namespace) -> "ExportSeal | None":
    """The exporter's signer: the same options and rules as approve (core/approvals/decisions.check_trusted: a key the
    repository's allowed_signers lists for the principal now; an untrusted seal would only fail verification)."""
    from reviewer_app.cli.approvals import _identity, _signer
    from reviewer_app.core.approvals.decisions import check_trusted
    from reviewer_app.core.export import SEALABLE
    from reviewer_app.core.export.seal import ExportSeal
    from reviewer_app.core.workspace import Workspace

    if not (args.key or args.agent):
        if args.identity:
            raise UserError("--as names who signs the export: give --key PATH or --agent too")
        return None
    if args.format not in SEALABLE:
        raise UserError(f"--format {args.format}: only {' and '.join(SEALABLE)} exports can be signed (--key)")
    workspace = Workspace.discover(args.repo)
    identity = _identity(args, workspace)
    signer = _signer(args, identity, workspace)
    check_trusted(signer, identity, workspace)
    return ExportSeal(signer)


def _change_argument(db: "sqlite_utils.Database", given: str) -> str:
    """A unique prefix of a queued change, or any full change id (events may name changes whose patch never arrived)."""
    from reviewer_app.core import store

    full = given if given.startswith("sha256:") else f"sha256:{given}"
    try:
        return store.resolve_change_id(db, given)
    except UserError:
        if len(full) == len("sha256:") + 64 and all(c in "0123456789abcdef" for c in full[len("sha256:"):]):
            return full
        raise


def run_verify_command(args: argparse.Namespace) -> int:
    from reviewer_app.core.export.verify import verify_export

    if args.revoked and not args.allowed_signers:
        raise UserError("--revoked needs --allowed-signers")
    result = verify_export(Path(args.file), Path(args.allowed_signers) if args.allowed_signers else None,
                           Path(args.revoked) if args.revoked else None)
    for line in result.checked:
        print(line)
    for line in result.unverified:
        print(f"UNVERIFIED: {line}")
    for problem in result.problems:
        print(f"FAIL: {problem}")
    if result.problems:
        print(f"{args.file}: NOT intact: {len(result.problems)} problems")
        return 1
    if result.unverified:
        # Nothing was found wrong, but nothing signed backs these parts: the last line says so, and --strict
        # (an auditor who needs a sealed export) makes it a failure.
        print(f"{args.file}: intact, but {len(result.unverified)} parts are UNVERIFIED (see above; an export sealed "
              f"with export --key covers them){'' if not args.strict else ': --strict: NOT verified'}")
        return 1 if args.strict else 0
    print(f"{args.file}: intact and verified")
    return 0
