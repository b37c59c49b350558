"""Linux desktop integration for the current user: a menu entry, icons and the patch file types.

Everything goes under ``$XDG_DATA_HOME`` (default ``~/.local/share``), named after the application
id so that uninstalling removes exactly our files and nothing another application installed:

    applications/<APP_ID>.desktop              the menu entry; ``%f`` opens a patch given by the file manager
    icons/hicolor/<N>x<N>/apps/<APP_ID>.png    rendered from resources/icons/app.svg (when Qt can render)
    icons/hicolor/scalable/apps/<APP_ID>.svg   the vector icon itself
    mime/packages/<APP_ID>.xml                 .patch, .diff and .mbox -> text/x-patch, text/x-diff, application/mbox

The caches (``update-desktop-database``, ``update-mime-database``) are refreshed when those tools
are installed; without them the files are still right and the desktop reads them at its next scan.
No Qt here: PNG rendering is a function the caller passes in (reviewer_app.ui.iconpng).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from reviewer_app.errors import UserError

APP_ID = "dev.reviewer_app.Reviewer"  # reverse-DNS id shared by the .desktop file and the AppStream metainfo
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)  # the hicolor theme's standard application sizes
# MIME type -> (glob, comment). The types exist in shared-mime-info already; declaring them again
# makes the association work on systems whose database lacks a glob (application/mbox has none for .mbox on some).
MIME_TYPES: dict[str, tuple[str, str]] = {
    "text/x-patch": ("*.patch", "Patch"),
    "text/x-diff": ("*.diff", "Differences between files"),
    "application/mbox": ("*.mbox", "Mailbox of patches"),
}
CACHE_TOOLS = ("update-desktop-database", "update-mime-database")
TOOL_TIMEOUT_S = 60

# Characters that force an Exec argument into double quotes (Desktop Entry Specification, "The Exec key").
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")

PngRenderer = Callable[[bytes, int], bytes]  # (svg bytes, size in pixels) -> PNG bytes


@dataclass
class DesktopReport:
    """What install or uninstall did: the files written or removed, the cache tools run, notes."""

    data_home: Path
    files: list[Path] = field(default_factory=list)
    tools_run: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def data_home(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when unset (the spec says a relative value is ignored)."""
    value = environ.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".local" / "share"


def launcher_command() -> list[str]:
    """How the menu entry starts the window, as absolute as we can make it (a venv's bin is rarely on PATH)."""
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: its executable has every command
        return [sys.executable, "gui"]
    scripts = Path(sys.executable).parent  # pip/pipx put the entry points beside the interpreter
    for name, extra in (("reviewer-app-gui", []), ("reviewer-app", ["gui"])):
        found = scripts / name if (scripts / name).is_file() else None
        found = found or (Path(path) if (path := shutil.which(name)) else None)
        if found is not None:
            return [str(found), *extra]
    return [sys.executable, "-m", "reviewer_app", "gui"]


def exec_argument(argument: str) -> str:
    """One Exec argument, quoted as the Desktop Entry Specification asks, then escaped as a string value."""
    if argument and not (_EXEC_RESERVED & set(argument)):
        quoted = argument
    else:
        inner = "".join("\\" + ch if ch in '"`$\\' else ch for ch in argument)
        quoted = f'"{inner}"'
    # The value is also a desktop-file string: its backslashes are doubled; a literal % is %%.
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(command: list[str]) -> str:
    """The .desktop file for ``command`` (the file to open is appended as ``%f``)."""
    exec_line = " ".join(exec_argument(part) for part in command) + " %f"
    mime_types = "".join(f"{name};" for name in MIME_TYPES)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Reviewer\n"
        "GenericName=Code change reviewer\n"
        "Comment=Review AI-assisted code changes by risk and sign approvals with your SSH key\n"
        f"Exec={exec_line}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Development;RevisionControl;\n"
        "Keywords=review;diff;patch;git;approval;risk;\n"
        f"MimeType={mime_types}\n"
        "StartupNotify=true\n"
    )


def mime_package() -> str:
    """A shared-mime-info package associating the patch file names with their types."""
    entries = "".join(
        f'  <mime-type type="{name}">\n'
        f"    <comment>{comment}</comment>\n"
        f'    <glob pattern="{glob}"/>\n'
        "  </mime-type>\n"
        for name, (glob, comment) in MIME_TYPES.items()
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">\n'
            f"{entries}</mime-info>\n")


def desktop_path(home: Path) -> Path:
    return home / "applications" / f"{APP_ID}.desktop"


def mime_path(home: Path) -> Path:
    return home / "mime" / "packages" / f"{APP_ID}.xml"


def icon_paths(home: Path) -> dict[int | None, Path]:
    """Size -> icon file; ``None`` is the scalable SVG."""
    hicolor = home / "icons" / "hicolor"
    paths: dict[int | None, Path] = {size: hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png" for size in ICON_SIZES}
    paths[None] = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    return paths


def our_files(home: Path) -> list[Path]:
    """Every file install may write: uninstall removes these, and only these."""
    return [desktop_path(home), mime_path(home), *icon_paths(home).values()]


def app_icon_svg() -> bytes:
    return resources.files("reviewer_app.resources").joinpath("icons", "app.svg").read_bytes()


def _write(path: Path, data: bytes, report: DesktopReport) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(data)
        temporary.replace(path)  # a desktop scanning the folder never reads half a file
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    report.files.append(path)


def install(home: Path, command: list[str], render_png: PngRenderer | None) -> DesktopReport:
    """Write the entry, the icons and the MIME package under ``home``, then refresh the caches."""
    report = DesktopReport(home)
    svg = app_icon_svg()
    for size, path in icon_paths(home).items():
        if size is None:
            _write(path, svg, report)
        elif render_png is not None:
            _write(path, render_png(svg, size), report)
    if render_png is None:
        report.notes.append("Qt is not available: only the scalable SVG icon was installed")
    _write(mime_path(home), mime_package().encode("utf-8"), report)
    _write(desktop_path(home), desktop_entry(command).encode("utf-8"), report)
    refresh_caches(home, report)
    return report


def uninstall(home: Path) -> DesktopReport:
    """Remove the files ``install`` writes (those that are there), prune folders left empty, refresh caches."""
    report = DesktopReport(home)
    for path in our_files(home):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise UserError(f"{path}: cannot remove: {exc.strerror or exc}") from exc
        report.files.append(path)
        _prune_empty_parents(path.parent, stop=home)
    refresh_caches(home, report)
    return report


def _prune_empty_parents(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()  # only succeeds when empty: anything another application put there stays
        except OSError:
            return
        folder = folder.parent


def refresh_caches(home: Path, report: DesktopReport) -> None:
    """Run the cache tools that are installed; a missing or failing tool is a note, never an error."""
    targets = {"update-desktop-database": home / "applications", "update-mime-database": home / "mime"}
    for tool in CACHE_TOOLS:
        executable = shutil.which(tool)
        folder = targets[tool]
        if executable is None:
            report.notes.append(f"{tool} not found: the desktop picks the changes up at its next scan")
            continue
        if not folder.is_dir():
            continue
        if tool == "update-mime-database":
            # It rebuilds from mime/packages; without that folder (our package was the last) it would
            # leave the old database, still claiming .patch files, in place.
            (folder / "packages").mkdir(exist_ok=True)
        try:
            proc = subprocess.run([executable, str(folder)], capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            report.notes.append(f"{tool} {folder}: {exc}")
            continue
        if proc.returncode != 0:
            report.notes.append(f"{tool} {folder}: exit {proc.returncode}: {proc.stderr.strip()[:200]}")
        else:
            report.tools_run.append(tool)
