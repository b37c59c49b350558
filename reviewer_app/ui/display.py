"""Is there a screen? Decided before Qt starts (no Qt here): without one, Qt would abort the process.

With ``--screenshot`` and no display, the offscreen platform renders real pixels; without
``--screenshot`` there is nothing useful to do, and the user gets one clear line instead of an abort.
"""

from __future__ import annotations

import os
import sys

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
        return
    if not screenshot:
        raise UserError(NO_DISPLAY)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
