"""Line comments: ``comment``, ``comments``, ``resolve`` (signed events, synced like decisions) and
``export-review`` (the JSON a forge's review API accepts, written offline). docs/comments-and-evidence.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reviewer_app.errors import UserError


def _signing_arguments(parser: argparse.ArgumentParser) -> None:
    from reviewer_app.cli.approvals import add_signing_arguments

    add_signing_arguments(parser)
    parser.add_argument("--repo", metavar="DIR", help="the repository whose .reviewer/ configuration applies")


def register(subparsers: argparse._SubParsersAction) -> None:
    comment = subparsers.add_parser(
        "comment", help="sign a comment on lines of a change (or a reply to a thread); prints the thread id",
        description="Sign a line comment (an event like approvals: SSHSIG, your chain, synced by `sync`). "
                    "A new thread points at --path, --side and --line (to --end-line); --reply-to adds to a thread.",
    )
    comment.add_argument("change_id", metavar="CHANGE_ID", help="a change id or a unique prefix (8+ hex digits)")
    comment.add_argument("--path", help="the file, as the diff names it")
    comment.add_argument("--line", type=int, help="the line number on --side")
    comment.add_argument("--end-line", type=int, help="the last line of a range (default: --line)")
    comment.add_argument("--side", choices=["old", "new"], default="new",
                         help="new: an added or context line (default); old: a removed or context line")
    comment.add_argument("--message", required=True, help="what you have to say")
    comment.add_argument("--reply-to", metavar="THREAD_ID", help="reply to this thread instead of starting one")
    _signing_arguments(comment)
    comment.set_defaults(handler=run_comment)

    listing = subparsers.add_parser(
        "comments", help="list the comment threads of a change (with earlier revisions' threads re-anchored)",
        description="Threads on the change, and those of earlier revisions of its review item placed by the content "
                    "of their lines (outdated where the lines are gone).",
    )
    listing.add_argument("change_id", metavar="CHANGE_ID", help="a change id or a unique prefix (8+ hex digits)")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    listing.add_argument("--repo", metavar="DIR", help="verify signatures with this repository's allowed signers")
    listing.set_defaults(handler=run_comments)

    resolve = subparsers.add_parser(
        "resolve", help="sign that a comment thread is resolved (or --reopen it)",
        description="Anyone may resolve or reopen a thread; the latest signed resolve or reopen stands.",
    )
    resolve.add_argument("thread_id", metavar="THREAD_ID", help="the thread's id (its first comment's event id)")
    resolve.add_argument("--reopen", action="store_true", help="reopen a resolved thread")
    _signing_arguments(resolve)
    resolve.set_defaults(handler=run_resolve)

    forge = subparsers.add_parser(
        "export-review", help="write the JSON body of a GitHub review or GitLab discussions for a change",
        description="Offline: GitHub's `create a review` body (event COMMENT, or REQUEST_CHANGES when a signed "
                    "rejection stands) or a list of GitLab discussion bodies, for `gh api` / `glab api`.",
    )
    forge.add_argument("change_id", metavar="CHANGE_ID", help="a change id or a unique prefix (8+ hex digits)")
    forge.add_argument("--format", choices=["github", "gitlab"], required=True)
    forge.add_argument("--output", "-o", metavar="FILE", help="write here (default: standard output)")
    forge.set_defaults(handler=run_export_review)


def _context(args: argparse.Namespace) -> tuple[Any, Any, str]:
    from reviewer_app.core import store
    from reviewer_app.core.approvals import decisions
    from reviewer_app.core.workspace import Workspace

    workspace = Workspace.discover(getattr(args, "repo", None))
    db = store.open_db(args.db)
    return workspace, db, decisions.resolve_change(db, args.change_id)


def _checked_signer(args: argparse.Namespace, db: Any, change_id: str, workspace: Any) -> Any:
    """The key, checked against the configuration that judges the change (as for decisions)."""
    from reviewer_app.cli.approvals import _analysis, _identity, _signer
    from reviewer_app.core.approvals import decisions

    identity = _identity(args, workspace)
    signer = _signer(args, identity, workspace)
    decisions.check_trusted(signer, identity, decisions.config_workspace(workspace.root, _analysis(db, change_id, workspace)))
    return signer


def run_comment(args: argparse.Namespace) -> int:
    from reviewer_app.core import comments
    from reviewer_app.core.approvals.decisions import checked_comment

    workspace, db, change_id = _context(args)
    message = checked_comment(args.message, "--message")
    if args.reply_to:
        if args.path or args.line is not None or args.end_line is not None:
            raise UserError("--reply-to: a reply joins the thread's lines; leave out --path, --line and --end-line")
        fields = comments.reply_fields(db, change_id, args.reply_to, message)
    else:
        if not args.path or args.line is None:
            raise UserError("comment: give --path and --line (or --reply-to THREAD_ID)")
        change = comments.load_change(db, change_id)
        fields = comments.comment_fields(change, change_id, args.path, args.side, args.line, args.end_line, message)
    signer = _checked_signer(args, db, change_id, workspace)
    event = comments.sign_comment(db, signer, change_id, fields)
    print(fields["thread"] or event.id)
    return 0


def run_resolve(args: argparse.Namespace) -> int:
    from reviewer_app.core import comments, store
    from reviewer_app.core.workspace import Workspace

    workspace = Workspace.discover(args.repo)
    db = store.open_db(args.db)
    root = comments.find_thread(db, args.thread_id)
    signer = _checked_signer(args, db, root.change_id, workspace)
    comments.sign_state(db, signer, root.id, reopen=args.reopen)
    print(f"{'reopened' if args.reopen else 'resolved'} {root.id}")
    return 0


def run_comments(args: argparse.Namespace) -> int:
    from reviewer_app.core import comments
    from reviewer_app.core.signing.allowed_signers import TrustStore

    workspace, db, change_id = _context(args)
    trust = TrustStore.load(workspace) if workspace.root is not None else None
    threads = comments.threads(db, change_id, trust if trust is not None and trust.signers else None)
    if args.format == "json":
        json.dump([t.to_dict() for t in threads], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not threads:
        print(f"no comment threads on {change_id}")
    for thread in threads:
        where = f"{thread.line}" if thread.end_line == thread.line else f"{thread.line}-{thread.end_line}"
        state = "resolved" if thread.resolved else "open"
        if thread.outdated:
            state += ", outdated"
        print(f"{thread.id}  {_printable(thread.path)}:{where} ({thread.side})  [{state}]")
        for comment in thread.comments:
            mark = "" if comment.verified is not False else "  (signature does not verify here)"
            print(f"  {comment.created_at}  {_printable(comment.principal)}: {_printable(comment.message)}{mark}")
    return 0


def run_export_review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reviewer_app.core import store
    from reviewer_app.core.export.forge import review_body

    _, db, change_id = _context(args)
    analysis = store.get_analysis(db, change_id) or {}
    body = review_body(db, change_id, args.format, head=analysis.get("head"), base=analysis.get("base"))
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _printable(text: str) -> str:
    from reviewer_app.core.approvals.gate import _printable as printable  # a message holding an escape must not rewrite the terminal

    return printable(text)
