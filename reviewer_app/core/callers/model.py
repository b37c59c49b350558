"""The data of a blast radius: changed symbols, their definitions on each side, and their uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADDED, MODIFIED, REMOVED, RENAMED = "added", "modified", "removed", "renamed"


@dataclass(frozen=True, slots=True)
class Definition:
    """One definition on one side of a file.

    ``key`` identifies it within the file (``Cart.total`` for a method); ``body`` is a normalised
    form compared between sides (for Python an ``ast.dump`` without positions, so moving a function
    is no change); ``signature`` the same for its parameters only; ``params`` the parameter facts a
    signature check needs (Python only: ``(name, kind, has_default)``).
    """

    key: str
    name: str  # the name its callers write (the method name for ``Cart.total``)
    kind: str  # function | method | class | constant | type | column | table | route | variable | output
    line: int
    body: str
    signature: str = ""
    params: tuple[tuple[str, str, bool], ...] | None = None
    renamable_body: str = ""  # body with its own name blanked: equal on both sides means a rename


@dataclass(slots=True)
class Use:
    """One place that uses a changed symbol."""

    service: str  # the owning service, or "" when no service owns the path
    path: str
    line: int
    snippet: str
    in_change: bool = False  # the file is one the change touches
    updated: bool = False  # ... and the change rewrote this very line
    is_import: bool = False
    in_test: bool = False  # test code: it breaks a test run, not a deployed service

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"service": self.service, "path": self.path, "line": self.line,
                                "snippet": self.snippet}
        if self.in_test:
            data["test"] = True
        if self.in_change:
            data["updated"] = self.updated
        return data


@dataclass(slots=True)
class ChangedSymbol:
    """A definition the change adds, modifies, removes or renames, and its uses elsewhere."""

    symbol: str  # what the reviewer reads: ``apply_discount``, ``Cart.total``, ``orders.discount``
    name: str  # what is searched for: the bare identifier, column or route
    kind: str
    change: str  # added | modified | removed | renamed
    path: str
    language: str
    line: int  # on the new side, or the old side for a removed symbol
    side: str  # "new" or "old": which side ``line`` is on
    old_line: int = 0  # the definition's line at the base (0 when it is new): never a use of itself
    old_path: str = ""  # the file at the base (differs from ``path`` when the change moves the file)
    old_name: str | None = None  # for a rename
    signature_problem: str | None = None  # why existing calls may break (parameters added, removed, reordered)
    body_changed: bool = False
    scope_hint: str = ""  # the table of a column, the module folder of a Terraform variable
    uses: list[Use] = field(default_factory=list)

    @property
    def base_path(self) -> str:
        """Where the definition lives at the base: the module its callers import today."""
        return self.old_path or self.path

    @property
    def searched(self) -> str:
        """The name existing callers write: the old name of a rename."""
        return self.old_name if self.change == RENAMED and self.old_name else self.name

    def outside(self) -> list[Use]:
        return [u for u in self.uses if not u.in_change]

    def inside(self) -> list[Use]:
        return [u for u in self.uses if u.in_change]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "symbol": self.symbol, "kind": self.kind, "change": self.change, "path": self.path,
            "line": self.line, "language": self.language,
            "uses": [u.to_dict() for u in self.outside()],
            "uses_in_change": [u.to_dict() for u in self.inside()],
        }
        if self.old_name:
            data["old_name"] = self.old_name
        if self.old_path and self.old_path != self.path:
            data["old_path"] = self.old_path
        if self.signature_problem:
            data["signature"] = self.signature_problem
        return data
