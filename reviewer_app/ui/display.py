"""Is there a screen? Decided before Qt starts (no Qt here): without one, Qt would abort the process.

With ``--screenshot`` and no display, the offscreen platform renders real pixels; without
``--screenshot`` there is nothing useful to do, and the user gets one clear line instead of an abort.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from reviewer_app.errors import UserError

NO_DISPLAY = ("gui: no display (DISPLAY/WAYLAND_DISPLAY unset); use --screenshot FILE to render "
              "the window to an image, or set QT_QPA_PLATFORM")


def has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def choose_platform(screenshot: bool) -> None:
    """Set ``QT_QPA_PLATFORM=offscreen`` for a headless screenshot; UserError when a window cannot open."""
    if has_display():
        if not os.environ.get("QT_QPA_PLATFORM") and uses_xcb():
            check_xcb_libraries()
        return
    if not screenshot:
        raise UserError(NO_DISPLAY)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


# Qt 6.5+ loads its X11 platform plugin only when all of these are there; when one is missing, Qt
# prints "could not load the Qt platform plugin xcb" and aborts the process, which Python cannot catch.
# Library -> the Debian/Ubuntu package that ships it.
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
}
_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.MULTILINE)


def uses_xcb() -> bool:
    """Qt picks xcb on Linux when an X display is there and no Wayland session is (or the user asks for it)."""
    if not sys.platform.startswith("linux"):
        return False
    asked = os.environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.startswith("xcb")
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


def xcb_plugin_files() -> list[Path]:
    """The installed PySide6's xcb platform plugin and the Qt library behind it (located without importing Qt)."""
    spec = find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    candidates = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
    return [path for path in candidates if path.is_file()]


def missing_xcb_libraries(files: list[Path] | None = None) -> list[str]:
    """Shared libraries the xcb plugin needs and the dynamic loader cannot find (asked of ``ldd``)."""
    files = xcb_plugin_files() if files is None else files
    ldd = shutil.which("ldd")
    if not files or ldd is None:
        return []  # cannot tell: let Qt try
    missing: list[str] = []
    for path in files:
        proc = subprocess.run([ldd, str(path)], capture_output=True, text=True, check=False)
        for name in _NOT_FOUND.findall(proc.stdout):
            if name not in missing:
                missing.append(name)
    return missing


def xcb_problem(missing: list[str]) -> str | None:
    """One line naming what to install, or None when nothing is missing."""
    if not missing:
        return None
    packages = [XCB_PACKAGES.get(name, name) for name in missing]
    return (f"gui: the X11 display needs libraries that Qt cannot start without ({', '.join(missing)}); "
            f"install them with: sudo apt-get install {' '.join(packages)} (or run scripts/setup-env.sh with "
            "DISPLAY set), or use --screenshot FILE")


def check_xcb_libraries() -> None:
    problem = xcb_problem(missing_xcb_libraries())
    if problem:
        raise UserError(problem)
