"""Module-level regular expressions compiled the first time they are used.

A module of many patterns (risk/engine.py, risk/removals.py) compiled all of them on import, a few
milliseconds of every start, although a given change needs few of them (a one-line Python edit
never reads Go error checks, shell ``rm`` targets or Alembic revisions). ``lazy_compile`` takes what
``re.compile`` takes and answers what the compiled pattern answers (``search``, ``sub``, ``groups``,
...); ``pattern`` is there without compiling, so patterns built from others stay lazy too.
"""

from __future__ import annotations

import re
from typing import Any


class LazyRegex:
    """``re.compile(pattern, flags)``, compiled on the first attribute the instance does not hold.

    Whatever is read from the compiled pattern (its bound methods, ``groups``, ``flags``) is kept on
    the instance, so later uses are plain attribute reads, as fast as on the pattern itself.
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_compiled":  # copy, pickle and friends ask for these
            raise AttributeError(name)
        state = self.__dict__
        compiled = state.get("_compiled")
        if compiled is None:
            compiled = state["_compiled"] = re.compile(self.pattern, self._flags)
        value = getattr(compiled, name)
        state[name] = value
        return value

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (to hand to code that wants a real one)."""
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = re.compile(self.pattern, self._flags)
        return compiled

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self._flags!r})"


def lazy_compile(pattern: str, flags: int = 0) -> LazyRegex:
    """``re.compile(pattern, flags)`` on first use (an invalid pattern raises re.error then)."""
    return LazyRegex(pattern, flags)
