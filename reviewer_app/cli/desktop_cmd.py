"""``reviewer-app install-desktop [--uninstall]``: the menu entry, icons and patch file types for this user.

Qt is imported only to render the PNG icons, and only when it is installed; the rest is core.desktop.
"""

from __future__ import annotations

import argparse

from reviewer_app.core import desktop


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "install-desktop", help="add Reviewer to this user's desktop menu and open .patch/.diff/.mbox files with it",
        description=(
            "Install, for the current user under $XDG_DATA_HOME (default ~/.local/share), a desktop entry, "
            "the application icon in the standard sizes and a MIME package so that .patch, .diff and .mbox "
            "files open in Reviewer; then refresh the desktop and MIME caches when their tools are installed. "
            "--uninstall removes exactly those files."
        ),
    )
    command.add_argument("--uninstall", action="store_true", help="remove what install-desktop installed")
    command.set_defaults(handler=run_install_desktop)


def png_renderer() -> desktop.PngRenderer | None:
    """Qt's SVG renderer when PySide6 is importable, else None (the scalable SVG is installed alone)."""
    try:
        from reviewer_app.ui.iconpng import render_png
    except ImportError:
        return None
    return render_png


def run_install_desktop(args: argparse.Namespace) -> int:
    home = desktop.data_home()
    if args.uninstall:
        report = desktop.uninstall(home)
        print(f"Removed {len(report.files)} file(s) from {home}")
    else:
        report = desktop.install(home, desktop.launcher_command(), png_renderer())
        print(f"Installed {len(report.files)} file(s) under {home}:")
        print(f"  {desktop.desktop_path(home)}")
        print(f"  {desktop.mime_path(home)}")
        print(f"  {home / 'icons' / 'hicolor'}/*/apps/{desktop.APP_ID}.*")
    for tool in report.tools_run:
        print(f"Ran {tool}")
    for note in report.notes:
        print(f"Note: {note}")
    return 0
