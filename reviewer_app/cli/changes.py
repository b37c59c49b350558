"""Commands about changes: ``analyze``, ``submit`` and ``queue``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reviewer_app.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    analyze = subparsers.add_parser(
        "analyze", help="analyse a patch or git range: provenance, risk, affected services",
        description="Analyse a change without storing it. PATCH may be a file, '-' for stdin, or use --git.",
    )
    _add_source_arguments(analyze)
    analyze.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    analyze.add_argument("--ai-assisted", dest="ai_override", action="store_const", const=True, default=None,
                         help="treat the change as AI-assisted whatever its markers say")
    analyze.add_argument("--not-ai-assisted", dest="ai_override", action="store_const", const=False,
                         help="treat the change as written without AI assistance")
    analyze.set_defaults(handler=run_analyze)

    submit = subparsers.add_parser(
        "submit", help="analyse a change and put it in the local review queue",
        description="Store a change in the local queue and print its change id (the same content twice is one entry).",
    )
    _add_source_arguments(submit)
    submit.add_argument("--ai-assisted", dest="ai_override", action="store_const", const=True, default=None,
                        help="mark the change AI-assisted whatever its markers say")
    submit.add_argument("--not-ai-assisted", dest="ai_override", action="store_const", const=False,
                        help="mark the change as written without AI assistance")
    submit.set_defaults(handler=run_submit)

    queue = subparsers.add_parser("queue", help="list the review queue, most dangerous first")
    queue.add_argument("--format", choices=["text", "json"], default="text")
    queue.set_defaults(handler=run_queue)


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("patch", nargs="?", metavar="PATCH", help="patch or mbox file, or '-' for stdin")
    parser.add_argument("--git", metavar="BASE..HEAD", help="a git range in --repo, diffed from the merge base")
    parser.add_argument("--repo", metavar="DIR",
                        help="the reviewed repository (default: the git repository around the current folder)")


def load_from_args(args: argparse.Namespace) -> tuple[list[Any], Any]:
    """The changes named on the command line and the workspace they are judged in."""
    from reviewer_app.core.ingest import load_changes
    from reviewer_app.core.workspace import Workspace

    if bool(args.patch) == bool(args.git):
        raise UserError("give exactly one of PATCH, '-' or --git BASE..HEAD")
    workspace = Workspace.discover(args.repo)
    if args.git:
        if workspace.root is None:
            raise UserError(f"{args.git}: --git needs a repository: run inside one or give --repo DIR")
        changes = load_changes("git:" + args.git, workspace.root)
    else:
        changes = load_changes(args.patch)
        _warn_about_paths(changes, workspace, args.patch)
    return changes, workspace


NOT_EVALUATED = ("not inside a git repository, so no service catalog or policy was read: services and approval "
                 "requirements were not evaluated (run inside the repository or give --repo DIR)")


def _warn_about_paths(changes: list[Any], workspace: Any, source: str) -> None:
    """A patch judged against the wrong repository gets the wrong services and policy: say so."""
    if workspace.root is None:
        return
    existing = set(workspace.list_files())
    edited = sorted({f.old_path for c in changes for f in c.files if f.old_path is not None})
    missing = [path for path in edited if path not in existing]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        print(f"warning: {source}: {len(missing)} of the {len(edited)} file(s) the patch edits do not exist in "
              f"{workspace.root} ({shown}); is --repo the repository the patch is for? Services and policy come "
              "from it", file=sys.stderr)


def run_analyze(args: argparse.Namespace) -> int:
    from reviewer_app.core import risk, services
    from reviewer_app.core.analysis import analyze

    changes, workspace = load_from_args(args)
    rules = risk.load_rules(workspace)
    catalog = services.load_catalog(workspace)
    results = [analyze(c, workspace, args.ai_override, rules=rules, catalog=catalog) for c in changes]
    if args.format == "json":
        payload: Any = [r.to_dict() for r in results]
        if workspace.root is None:
            for item in payload:
                item["not_evaluated"] = {"services": NOT_EVALUATED, "policy": NOT_EVALUATED}
        _print_json(payload[0] if len(payload) == 1 else payload)
    elif args.format == "sarif":
        _print_json(risk.to_sarif([(r.change, r.risk) for r in results], rules))
    else:
        from reviewer_app.core.jsonout import clean

        print(clean("\n\n".join(_analysis_text(r) for r in results)))
        if workspace.root is None:
            print(f"\nServices and policy: {NOT_EVALUATED}")
    return 0


def _analysis_text(result: Any) -> str:
    from reviewer_app.core import risk, services
    from reviewer_app.core.diffparse import escape_for_display

    change = result.change
    prov = result.provenance
    lines = [
        f"{escape_for_display(change.title)}",
        f"  change   {result.change_id}",
        f"  author   {escape_for_display(change.author.name)} <{escape_for_display(change.author.email)}>",
        f"  AI       {'yes: ' + ', '.join(prov.tools) if prov.ai_assisted else 'no markers found'}"
        + (" (overridden)" if prov.overridden else ""),
    ]
    lines += [f"           {escape_for_display(e)}" for e in prov.evidence]
    lines.append(f"  files    {len(change.files)} (+{change.added} -{change.removed})")
    for file in change.files:
        name = escape_for_display(file.path)
        if file.status.value in ("renamed", "copied"):
            name = f"{escape_for_display(file.old_path or '')} -> {name}"
        detail = "binary" if file.binary else f"+{file.added} -{file.removed}"
        lines.append(f"    {file.status.value:<8} {name}  {detail}")
    lines.append("")
    lines.append(risk.render_text(result.risk))
    lines.append("")
    lines.append(services.render_text(result.services))
    if result.policy:
        lines.append("")
        lines.append("Policy requirements:")
        for req in result.policy.get("requirements", []):
            extra = ", owner of an affected service" if req.get("owner_of_affected") else ""
            lines.append(f"  {req.get('needed')} x {req.get('min_level')}{extra}: {req.get('rule')}")
    return "\n".join(lines)


def run_submit(args: argparse.Namespace) -> int:
    from reviewer_app.core import risk, services, store
    from reviewer_app.core.analysis import submit_change

    changes, workspace = load_from_args(args)
    db = store.open_db(args.db)
    rules = risk.load_rules(workspace)
    catalog = services.load_catalog(workspace)
    for change in changes:
        change_id, created = submit_change(db, change, workspace, args.ai_override, rules=rules, catalog=catalog)
        note = "" if created else "  (already in the queue)"
        print(f"{change_id}{note}")
    return 0


def run_queue(args: argparse.Namespace) -> int:
    from reviewer_app.core import store

    db = store.open_db(args.db)
    rows = store.list_changes(db)
    unpushed = store.count_unpushed_events(db)
    if args.format == "json":
        _print_json({"changes": rows, "unpushed_events": unpushed})
        return 0
    from reviewer_app.core.diffparse import escape_for_display

    if not rows:
        print("The queue is empty. Add a change with: reviewer-app submit PATCH  (or --git BASE..HEAD)")
    for row in rows:
        level = (row["risk_level"] or "?").upper()
        tools = ", ".join(row["ai_tools"]) if row["ai_assisted"] else "-"
        print(f"{level:<8} {row['risk_score'] if row['risk_score'] is not None else '':>3}  "
              f"{row['change_id'][7:19]}  {escape_for_display(row['title'])[:60]:<60}  "
              f"{escape_for_display(row['author_email'])}  AI: {tools}")
    print(f"\n{len(rows)} change(s); {unpushed} signed event(s) not yet pushed (reviewer-app sync)")
    return 0


def _print_json(payload: Any) -> None:
    from reviewer_app.core import jsonout

    jsonout.dump(payload, sys.stdout)


__all__ = ["register", "load_from_args"]
