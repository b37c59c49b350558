"""The diff view of the desktop reviewer: a file list beside a virtual, painted diff canvas.

``DiffView`` (widget.py) is the one public widget; the host puts it in the centre of the main
window and talks to it through the methods and signals documented there. The rest is internal:

    rows.py        Qt-free row index (segments; layouts for side by side / ignore whitespace)
    navigation.py  Qt-free targets of n/p (findings), ]/[ (hunks)
    findings.py    the risk report's findings placed on (file, hunk, line)
    highlight.py   pygments tokens per visible block, cached, lexed in slices (no Qt)
    worddiff.py    intra-line differences of paired lines, on demand (no Qt)
    display.py     tabs and invisible/bidi/control characters made visible (no Qt)
    generated.py   which files are generated (collapsed by default)
    canvas.py      the QAbstractScrollArea painting only the visible rows; keys, mouse, tooltips
    scene.py       how each kind of row is laid out and drawn
    painter.py     the pieces of a row: numbers, severity markers, highlighted text
    style.py       colours (light/dark), fonts, severity shapes
    filelist.py    the file list with finding counts and "viewed" checkboxes
    shortcuts.py   the keyboard shortcuts and their "?" dialog
"""

from __future__ import annotations

from reviewer_app.ui.diffview.widget import DiffView

__all__ = ["DiffView"]
