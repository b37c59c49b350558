"""Errors the faces (CLI, GUI) know how to show.

``UserError`` is bad input or an impossible request: the CLI prints its message on one line and
exits 2, the GUI shows it in a message box. Nothing else should ever reach the user as a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input, named precisely: ``"patch.diff:12: hunk ends early"``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def located(source: str, line_no: int | None, message: str) -> UserError:
    """A UserError that names the file and, when known, the line."""
    where = f"{source}:{line_no}" if line_no else source
    return UserError(f"{where}: {message}")
