"""``reviewer-app demo``: build the demo workspace, queue its changes, then open the GUI.

The GUI is imported only when it is about to open, so ``demo --no-gui`` (and a machine without a
display) never loads Qt.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the core is imported when the command runs, keeping `reviewer-app --help` fast
    from reviewer_app.core.demo import DemoResult


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo", help="build a demo workspace (a fictional retail platform with a review queue) and open it",
        description=(
            "Build, always the same way, a git repository of a small fictional retail platform with a service "
            "catalog, a review policy and a team remote; write the demo people's SSH keys beside it; queue its "
            "incoming changes (most AI-assisted, several dangerous) in the database; then open the GUI. "
            "Running it again rebuilds the demo in place."
        ),
    )
    demo.add_argument(
        "--path", metavar="DIR",
        help="folder of the demo repository (default: reviewer-demo in the platform data folder); "
             "DIR-remote.git and DIR-keys are made beside it. A non-empty DIR that is not a previous demo is refused",
    )
    demo.add_argument("--no-gui", action="store_true", help="build only; print where things are and what to try")
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from reviewer_app.core import store
    from reviewer_app.core.demo import build_demo, default_demo_path

    path = Path(args.path) if args.path else default_demo_path()
    db = store.open_db(args.db)
    started = time.perf_counter()
    try:
        result = build_demo(path, db)
    finally:
        db.close()  # the queue printout and the GUI open their own connections
    elapsed = time.perf_counter() - started
    db_path = store.resolve_db_path(args.db)
    print(_summary(result, db_path, args.db, elapsed))
    if args.no_gui:
        return 0
    if not _has_display():
        print("\nNo display found (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are unset); the queue as text:\n")
        from reviewer_app.cli.changes import run_queue

        run_queue(argparse.Namespace(db=args.db, format="text", repo=str(result.paths.repo), identity=None,
                                     status=None, mine=False, service=None, min_level=None))
        shot = shlex.quote(str(result.paths.repo.parent / "reviewer-demo.png"))
        print(f"\nTo see the GUI without a display, render it to an image:\n"
              f"  {_command(args.db)} gui --workspace {shlex.quote(str(result.paths.repo))} --screenshot {shot}")
        return 0
    # Qt is loaded only here, when a window is really about to open.
    from reviewer_app.ui.app import run_gui

    return int(run_gui(workspace=result.paths.repo, db_path=db_path, select=None, screenshot=None))


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _command(db_arg: str | None) -> str:
    """``reviewer-app``, with ``--db`` when the demo was built into a database named on the command line."""
    return f"reviewer-app --db {shlex.quote(db_arg)}" if db_arg else "reviewer-app"


def _summary(result: DemoResult, db_path: Path, db_arg: str | None, elapsed: float) -> str:
    paths = result.paths
    repo = shlex.quote(str(paths.repo))
    seniors = result.seniors
    cmd = _command(db_arg)
    lines = [
        f"Demo workspace built in {elapsed:.1f} s.",
        f"  workspace  {paths.repo}  (git repository: main and {len(result.branches)} change branches)",
        f"  remote     {paths.remote}  (origin; main pushed)",
        f"  keys       {paths.keys}  (demo SSH keys, derived from fixed seeds: never use them for anything real)",
        f"  database   {db_path}",
        f"  changes    {len(result.change_ids)} in the review queue ({result.newly_queued} new)",
    ]
    if result.approval_ids:
        lines.append(f"  approvals  {len(result.approval_ids)} signed approval(s) already recorded")
    lines += [
        f"  seniors    {', '.join(f'{p.name} <{p.email}> (key: {p.handle})' for p in seniors)}",
        "",
        "Next steps:",
        f"  {cmd} gui --workspace {repo}",
        f"  {cmd} queue",
    ]
    if result.example_approval:
        change_id, senior = result.example_approval
        key = shlex.quote(str(result.key_files[senior.handle]))
        lines.append(f"  {cmd} approve {change_id[:19]} --key {key} --as {senior.email} --ack-all --repo {repo}")
    lines.append(f"  {cmd} sync --repo {repo}    (push the signed approvals to the team remote)")
    return "\n".join(lines)
