"""Regression guard for the PySide6 6.12.0 / Python 3.11 abort ("none_dealloc: deallocating None").

Each call of a Qt method that returns nothing dropped one reference to None; after a few thousand
calls the interpreter aborted. pyproject keeps Python 3.11 on PySide6 < 6.12. The loop runs in a
child process so an abort shows up as a failed test, not as a dead test session.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CALLS = 200_000

SCRIPT = textwrap.dedent(f"""
    import sys
    from PySide6.QtCore import QCoreApplication, QObject

    app = QCoreApplication([])
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range({CALLS}):
        result = obj.setObjectName("x")
    assert result is None
    after = sys.getrefcount(None)
    print("ok", obj.objectName(), before, after)
""")


def test_many_calls_returning_none_do_not_kill_the_interpreter() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    words = proc.stdout.split()
    assert words[:2] == ["ok", "x"]
    before, after = int(words[2]), int(words[3])
    # None's count must not drift down by one per call (the bug); immortal None (3.12+) is huge anyway.
    assert after >= before - 100
