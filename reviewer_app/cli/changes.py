"""Commands about changes: ``analyze``, ``submit`` and ``queue``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reviewer_app.cli.main import ENDS_STARTUP, end_startup
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

    queue = subparsers.add_parser(
        "queue", help="list the review queue, most dangerous first",
        description="One line per review item at its latest revision (and per change submitted as a patch): risk, "
                    "approvals have/need, what it needs from you, the highest tier it reaches, the item, the revision "
                    "and the title. Closed items (ref deleted or merged) only with --status closed.")
    queue.add_argument("--format", choices=["text", "json"], default="text")
    queue.add_argument("--status", choices=STATUS_CHOICES, help="only items with this status for you")
    queue.add_argument("--service", metavar="NAME", help="only changes touching this service directly")
    queue.add_argument("--min-level", choices=["low", "medium", "high", "critical"],
                       help="only changes rated at least this risk level")
    queue.add_argument("--mine", action="store_true",
                       help="only what waits for you: needs my review, or updated since my review")
    queue.add_argument("--as", dest="identity", metavar="EMAIL",
                       help="whose status to show (default: git config user.email of the repository)")
    queue.add_argument("--repo", metavar="DIR", help="the repository whose policy applies (default: the one around "
                                                     "the current folder)")
    queue.set_defaults(handler=run_queue)

    interdiff = subparsers.add_parser(
        "interdiff", help="what the author changed between two revisions (rebase edits set apart)",
        description="Compare two revisions of a change: OLD_CHANGE_ID NEW_CHANGE_ID, or ITEM --since-my-review (ITEM "
                    "as the queue names it: 'PR #123', 'MR !7', 'Gerrit 4711', a branch name, or any change id of the "
                    "item). Files the author did not touch between the two are not listed.")
    interdiff.add_argument("old", metavar="OLD_CHANGE_ID_OR_ITEM")
    interdiff.add_argument("new", metavar="NEW_CHANGE_ID", nargs="?")
    interdiff.add_argument("--since-my-review", action="store_true",
                           help="compare the item's latest revision with the last one you approved or rejected")
    interdiff.add_argument("--as", dest="identity", metavar="EMAIL", help="who 'my' is (default: git config user.email)")
    interdiff.add_argument("--repo", metavar="DIR", help="the repository holding the revisions' commits")
    interdiff.add_argument("--format", choices=["text", "json"], default="text")
    interdiff.set_defaults(handler=run_interdiff)


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
    from reviewer_app.core.risk.loader import allow_disk_cache

    allow_disk_cache()  # analyze only shows findings: a parsed pack from the cache folder may speed it up
    changes, workspace = load_from_args(args)
    rules = risk.load_rules(workspace)
    catalog = services.load_catalog(workspace)
    end_startup()  # the garbage collector runs again for the analysis (cli/main.py)
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


setattr(run_analyze, ENDS_STARTUP, True)


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
    from reviewer_app.core.callers.render import render_text as callers_text

    lines.append("")
    lines.append(callers_text(result.callers))
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


STATUS_CHOICES = ("needs-my-review", "updated-since-my-review", "waiting-for-others", "approved", "rejected", "closed")
_LEVELS = ("low", "medium", "high", "critical")


def _me(args: argparse.Namespace, workspace: Any) -> str | None:
    from reviewer_app.core.gitcmd import configured_email

    given = getattr(args, "identity", None) or configured_email(workspace.root)
    return given.strip().lower() if given else None


def run_queue(args: argparse.Namespace) -> int:
    from reviewer_app.core import store
    from reviewer_app.core.inbox.status import queue_entries
    from reviewer_app.core.workspace import Workspace

    workspace = Workspace.discover(args.repo)
    db = store.open_db(args.db)
    me = _me(args, workspace)
    wanted = args.status.replace("-", " ") if args.status else None
    given = workspace.root if args.repo else None
    entries = queue_entries(db, given, me, include_closed=wanted == "closed", fallback_repo=workspace.root)
    if wanted:
        entries = [e for e in entries if e.status == wanted]
    if args.mine:
        entries = [e for e in entries if e.status in ("needs my review", "updated since my review")]
    if args.service:
        entries = [e for e in entries if args.service in e.services]
    if args.min_level:
        entries = [e for e in entries if _LEVELS.index(e.risk_level) >= _LEVELS.index(args.min_level)]
    unpushed = store.count_unpushed_events(db)
    if args.format == "json":
        rows = {row["change_id"]: row for row in store.list_changes(db)}
        _print_json({"changes": [{**rows.get(e.change_id, {}), **e.to_dict()} for e in entries],
                     "me": me, "unpushed_events": unpushed})
        return 0
    from reviewer_app.core.jsonout import clean

    for problem in sorted({p for e in entries for p in e.problems}):
        print(f"note: approvals not evaluated (?): {problem.splitlines()[0]}", file=sys.stderr)
    filtered = bool(wanted or args.mine or args.service or args.min_level)
    print(clean(render_queue(entries, _terminal_width())) if entries or not filtered
          else "No item matches these filters.")
    if me is None:
        print("(status for you needs an identity: --as EMAIL, or git config user.email in the repository)")
    print(f"\n{len(entries)} item(s); {unpushed} signed event(s) not yet pushed (reviewer-app sync)")
    return 0


def _terminal_width() -> int | None:
    """The terminal's width; None when the output goes to a file or a pipe (titles are then never cut)."""
    import shutil

    if not sys.stdout.isatty():
        return None
    return max(80, shutil.get_terminal_size((120, 24)).columns)


def render_queue(entries: list[Any], width: int | None) -> str:
    """A table a person can read: the title takes what the terminal has left, cut with an ellipsis."""
    from reviewer_app.core.diffparse import escape_for_display

    if not entries:
        return "The queue is empty. Add a change with: reviewer-app submit PATCH (or --git BASE..HEAD), or sync the inbox"
    head = ("RISK", "APPROVALS", "STATUS", "TIER", "ITEM", "REV", "CHANGE", "TITLE")
    rows = []
    for e in entries:
        item = e.item["name"] if e.item["kind"] != "patch" else "patch"
        status = e.status
        if e.since_my_review:
            s = e.since_my_review
            status += f" ({s['files']} file{'s' if s['files'] != 1 else ''}, +{s['added']} -{s['removed']})"
        approvals = f"{e.have}/{e.need}" if not e.problems else "?"
        rows.append((e.risk_level.upper(), approvals, status, "-" if e.max_tier is None else str(e.max_tier),
                     item, "-" if e.revision is None else str(e.revision), e.change_id[7:19],
                     escape_for_display(e.title) + (" [AI]" if e.ai_assisted else "")))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head[:-1])]
    used = sum(widths) + 2 * len(widths)
    room = max(20, width - used) if width is not None else None

    def line(cells: tuple[str, ...]) -> str:
        title = cells[-1] if room is None or len(cells[-1]) <= room else cells[-1][:room - 1] + "…"
        return "  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths)) + "  " + title

    return "\n".join([line(head), *(line(r) for r in rows)])


def run_interdiff(args: argparse.Namespace) -> int:
    from reviewer_app.core import store
    from reviewer_app.core.inbox.interdiff import interdiff, render_text
    from reviewer_app.core.workspace import Workspace

    workspace = Workspace.discover(args.repo)
    db = store.open_db(args.db)
    if args.since_my_review:
        if args.new:
            raise UserError("interdiff: give ITEM --since-my-review, or OLD_CHANGE_ID NEW_CHANGE_ID, not both")
        old_id, new_id = _since_my_review(db, args.old, _me(args, workspace))
    else:
        if not args.new:
            raise UserError("interdiff: give OLD_CHANGE_ID NEW_CHANGE_ID, or ITEM --since-my-review")
        from reviewer_app.core.approvals.decisions import resolve_change

        old_id, new_id = resolve_change(db, args.old), resolve_change(db, args.new)
    result = interdiff(db, workspace.root, old_id, new_id)
    if args.format == "json":
        _print_json(result)
    else:
        from reviewer_app.core.jsonout import clean

        print(clean(render_text(result)))
    return 0


def _since_my_review(db: Any, item_text: str, me: str | None) -> tuple[str, str]:
    from reviewer_app.core.approvals.decisions import standing_decision

    if me is None:
        raise UserError("interdiff --since-my-review: who are you? give --as EMAIL or set git config user.email")
    rows = db.execute("SELECT i.id, i.name FROM inbox_items i WHERE i.name = ? OR i.id = ? OR EXISTS "
                      "(SELECT 1 FROM inbox_revisions r WHERE r.item_id = i.id AND r.change_id LIKE ?)",
                      [item_text, item_text, (item_text if item_text.startswith("sha256:") else "sha256:" + item_text)
                       + "%"]).fetchall()
    if not rows:
        raise UserError(f"{item_text}: no such review item (as the queue names it: 'PR #123', 'MR !7', a branch)")
    if len({r[0] for r in rows}) > 1:
        raise UserError(f"{item_text}: names several items ({', '.join(sorted({r[0] for r in rows}))}); give the item id")
    revisions = [row[0] for row in db.execute(
        "SELECT change_id FROM inbox_revisions WHERE item_id = ? ORDER BY revision", [rows[0][0]])]
    for earlier in reversed(revisions[:-1]):
        decision = standing_decision(db, earlier, me)
        if decision is not None and decision.type in ("approve", "reject"):
            return earlier, revisions[-1]
    raise UserError(f"{rows[0][1]}: {me} has not approved or rejected an earlier revision "
                    f"(revisions: {len(revisions)}); nothing to compare with")


def _print_json(payload: Any) -> None:
    from reviewer_app.core import jsonout

    jsonout.dump(payload, sys.stdout)


__all__ = ["register", "load_from_args"]
