"""The diff view of the desktop reviewer: a file list beside a virtual, painted diff canvas.

``DiffView`` is the one public widget; the host (main window) puts it in the centre and talks to
it through the methods and signals documented on the class. Everything else in this package is
an implementation detail: the Qt-free row index (``rows``), text display helpers (``display``),
lazy syntax highlighting (``highlight``), intra-line differences (``worddiff``), finding lookup
(``findings``), the painted canvas (``canvas``) and the file list (``filelist``).
"""

from __future__ import annotations

from reviewer_app.ui.diffview.widget import DiffView

__all__ = ["DiffView"]
