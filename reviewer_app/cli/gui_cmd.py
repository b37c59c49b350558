"""``reviewer-app gui``: open the desktop reviewer, or render it to a PNG without a display.

Qt is imported inside the handler only, so the rest of the CLI (and the CI gate) never loads it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reviewer_app.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    gui = subparsers.add_parser(
        "gui", help="open the desktop reviewer (or render it to a PNG with --screenshot)",
        description=(
            "Open the desktop reviewer: the queue, the diff with its findings, the affected services, and "
            "signed approvals. With --screenshot the window is rendered off screen at 1600x1000 after the "
            "queue and the selected change have loaded, saved as a PNG, and the command exits."
        ),
    )
    gui.add_argument("--workspace", metavar="DIR", help="the reviewed git repository (default: the last one used)")
    gui.add_argument("--select", metavar="CHANGE_ID", help="change to select (id or unique prefix; default: riskiest)")
    gui.add_argument("--screenshot", metavar="FILE", help="render the window to this PNG file and exit")
    gui.add_argument("--tab", choices=("findings", "services", "provenance", "approvals"), default="findings",
                     help="inspector tab to show first (default: findings)")
    gui.add_argument("file", nargs="?", metavar="FILE",
                     help="a patch, diff or mbox to queue and select (how the desktop entry opens a file)")
    gui.set_defaults(handler=run_gui_command)


def run_gui_command(args: argparse.Namespace) -> int:
    workspace = Path(args.workspace).expanduser() if args.workspace else None
    if workspace is not None and not workspace.is_dir():
        raise UserError(f"{args.workspace}: no such directory (given with --workspace)")
    screenshot = Path(args.screenshot).expanduser() if args.screenshot else None
    open_file = Path(args.file).expanduser() if args.file else None
    if open_file is not None and not open_file.is_file():
        raise UserError(f"{args.file}: no such file")
    from reviewer_app.core.store import resolve_db_path
    from reviewer_app.ui.display import choose_platform  # Qt-free: decides the platform before Qt loads

    choose_platform(screenshot is not None)
    db_path = resolve_db_path(args.db)
    # Qt is loaded only here, when a window is really about to be made.
    from reviewer_app.ui.app import run_gui

    return run_gui(workspace=workspace, db_path=db_path, select=args.select, screenshot=screenshot, tab=args.tab,
                   open_file=open_file)
