"""The data of a blast radius: changed symbols, their definitions on each side, and their uses."""

from __future__ import annotations

from typing import Any

from reviewer_app.core.records import FrozenRecord, Record

ADDED, MODIFIED, REMOVED, RENAMED = "added", "modified", "removed", "renamed"


class Definition(FrozenRecord):
    """One definition on one side of a file.

    ``key`` identifies it within the file (``Cart.total`` for a method); ``body`` is a normalised
    form compared between sides (for Python an ``ast.dump`` without positions, so moving a function
    is no change); ``signature`` the same for its parameters only; ``params`` the parameter facts a
    signature check needs (Python only: ``(name, kind, has_default)``).
    """

    __slots__ = FIELDS = ("key", "name", "kind", "line", "body", "signature", "params", "renamable_body")

    def __init__(self, key: str, name: str, kind: str, line: int, body: str, signature: str = "",
                 params: tuple[tuple[str, str, bool], ...] | None = None, renamable_body: str = "") -> None:
        self.key = key
        self.name = name  # the name its callers write (the method name for ``Cart.total``)
        self.kind = kind  # function | method | class | constant | type | column | table | route | variable | output
        self.line = line
        self.body = body
        self.signature = signature
        self.params = params
        self.renamable_body = renamable_body  # body with its own name blanked: equal on both sides means a rename


class Use(Record):
    """One place that uses a changed symbol."""

    __slots__ = FIELDS = ("service", "path", "line", "snippet", "in_change", "updated", "is_import", "in_test")

    def __init__(self, service: str, path: str, line: int, snippet: str, in_change: bool = False,
                 updated: bool = False, is_import: bool = False, in_test: bool = False) -> None:
        self.service = service  # the owning service, or "" when no service owns the path
        self.path = path
        self.line = line
        self.snippet = snippet
        self.in_change = in_change  # the file is one the change touches
        self.updated = updated  # ... and the change rewrote this very line
        self.is_import = is_import
        self.in_test = in_test  # test code: it breaks a test run, not a deployed service

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"service": self.service, "path": self.path, "line": self.line,
                                "snippet": self.snippet}
        if self.in_test:
            data["test"] = True
        if self.in_change:
            data["updated"] = self.updated
        return data


class ChangedSymbol(Record):
    """A definition the change adds, modifies, removes or renames, and its uses elsewhere."""

    __slots__ = FIELDS = ("symbol", "name", "kind", "change", "path", "language", "line", "side", "old_line",
                          "old_path", "old_name", "signature_problem", "body_changed", "scope_hint", "uses")

    def __init__(self, symbol: str, name: str, kind: str, change: str, path: str, language: str, line: int,
                 side: str, old_line: int = 0, old_path: str = "", old_name: str | None = None,
                 signature_problem: str | None = None, body_changed: bool = False, scope_hint: str = "",
                 uses: list[Use] | None = None) -> None:
        self.symbol = symbol  # what the reviewer reads: ``apply_discount``, ``Cart.total``, ``orders.discount``
        self.name = name  # what is searched for: the bare identifier, column or route
        self.kind = kind
        self.change = change  # added | modified | removed | renamed
        self.path = path
        self.language = language
        self.line = line  # on the new side, or the old side for a removed symbol
        self.side = side  # "new" or "old": which side ``line`` is on
        self.old_line = old_line  # the definition's line at the base (0 when it is new): never a use of itself
        self.old_path = old_path  # the file at the base (differs from ``path`` when the change moves the file)
        self.old_name = old_name  # for a rename
        self.signature_problem = signature_problem  # why existing calls may break (parameters added, removed, reordered)
        self.body_changed = body_changed
        self.scope_hint = scope_hint  # the table of a column, the module folder of a Terraform variable
        self.uses = [] if uses is None else uses

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
