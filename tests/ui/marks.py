"""Markers shared by the GUI tests."""

from __future__ import annotations

import pytest

# QMessageBox and QDialog fix their size after the window exists; the offscreen platform plugin
# cannot pass size hints on and warns (xcb, Wayland, macOS and Windows implement it). Only that
# one message is ignored, only in modules that open dialogs.
OFFSCREEN_SIZE_HINTS = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
