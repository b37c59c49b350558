# Code-level blast radius: which code outside a change uses the functions, methods, classes,
# constants, SQL columns, Terraform outputs and routes the change adds, modifies, renames or removes,
# grouped by the service that owns each use, and the findings that follow (a removed symbol still
# imported elsewhere is critical).
#
# Design: (1) both sides of every changed file are read with one `git cat-file --batch` (texts.py);
# (2) definitions are compared side by side, exactly with `ast` for Python and with tree-sitter for
# Go, TypeScript/JavaScript, Java, Kotlin, Rust, Ruby and shell, or a line regex when a grammar is
# not installed (symbols.py, python_defs.py, code_defs.py, extras.py); (3) ONE `git grep -F -w` over
# the base tree finds every searched name at once, cached by tree id (search.py); (4) the parser
# narrows the hits to real uses (python_uses.py, uses.py) and the catalog names each use's service;
# (5) findings.py turns stale uses into risk findings. Everything reads the base revision, never the
# work tree: the callers a change must not break are the ones already committed. docs/callers.md.
"""Code-level blast radius of a change: changed symbols and who uses them, service by service."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reviewer_app.core.callers.findings import callers_findings, join_report
from reviewer_app.core.callers.model import ChangedSymbol, Use
from reviewer_app.core.model import Change, FileStatus
from reviewer_app.core.records import Record

_FULL_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$", re.IGNORECASE)

NO_REPOSITORY = "callers need the repository at the change's base: run inside it or give --repo DIR"

__all__ = ["CallersReport", "ChangedSymbol", "Use", "file_at", "find_callers", "join_report"]


class CallersReport(Record):
    """The symbols a change touches, where each is used, and the findings that come of it."""

    FIELDS = ("symbols", "base", "notes", "findings")

    def __init__(self, symbols: list[ChangedSymbol] | None = None, base: str | None = None,
                 notes: list[str] | None = None, findings: list[Any] | None = None) -> None:
        self.symbols = [] if symbols is None else symbols
        self.base = base
        self.notes = [] if notes is None else notes
        self.findings = [] if findings is None else findings  # risk Finding objects

    def to_list(self) -> list[dict[str, Any]]:
        """The JSON of ``analyze``'s ``callers``: each symbol with the base its uses were read at."""
        return [{**s.to_dict(), "base": self.base} for s in self.symbols]


def find_callers(change: Change, workspace: Any, catalog: Any | None = None) -> CallersReport:
    """The changed symbols of ``change`` and their uses at its base in ``workspace``'s repository."""
    from reviewer_app.core.callers import search, symbols as symbol_finder, texts, uses

    report = CallersReport()
    repo = workspace.root if workspace is not None else None
    if repo is None or not getattr(workspace, "is_git", False):
        report.notes.append(NO_REPOSITORY)
        return report
    resolved = texts.resolve_base(repo, change, getattr(workspace, "revision", None))
    if resolved is None:
        report.notes.append("the repository has no commit to read the change's base from")
        return report
    base, tree = resolved
    report.base = base
    sides = texts.read_sides(repo, change, base, report.notes)
    changed = symbol_finder.changed_symbols(sides, report.notes)
    report.symbols = changed
    # Added symbols have no callers yet; dunder methods are called by Python itself, not by name.
    searched = [s for s in changed if (s.change != "added" or s.signature_problem)
                and not (s.name.startswith("__") and s.name.endswith("__"))]
    if searched:
        names = {s.searched for s in searched} | {s.scope_hint for s in searched if s.kind == "column"}
        names |= _import_names([s for s in searched if s.language == "python"])
        hits = search.grep(repo, tree, sorted(names))
        touched = {t.diff.old_path: t.rewritten for t in sides if t.diff.old_path}
        deleted = {f.old_path for f in change.files if f.status is FileStatus.DELETED and f.old_path}
        # The base texts of the changed files are read already, with their blob ids from the diff
        # (a full index line): files only they use need no listing of the whole base tree.
        known = {t.diff.old_path: (t.diff.old_blob.lower(), t.old) for t in sides
                 if base == change.base and t.diff.old_path and t.old is not None and t.diff.old_blob
                 and _FULL_ID.match(t.diff.old_blob)}
        uses.find_uses(repo, tree, searched, hits, _owner_lookup(catalog), touched, deleted, known)
    tiers = {name: service.tier for name, service in (catalog.services.items() if catalog is not None else [])}
    owners = {s.base_path: catalog.service_names_for_path(s.base_path) for s in changed} if catalog is not None else {}
    report.findings = callers_findings(changed, tiers, owners)
    return report


def file_at(repo: Path, base: str, path: str) -> str | None:
    """The text of ``path`` at commit ``base`` (what the GUI shows for a use), None when absent."""
    from reviewer_app.core.callers.texts import read_specs

    data = read_specs(repo, [f"{base}:{path}"]).get(f"{base}:{path}")
    return None if data is None else data.decode("utf-8", "replace")


def _import_names(python: list[ChangedSymbol]) -> set[str]:
    """The names an import of these symbols may be written with besides their own: the defining
    module's last name (``from billing import discounts``) and a method's class."""
    from reviewer_app.core.callers.python_uses import module_of

    names = {module_of(s.base_path).rsplit(".", 1)[-1] for s in python}
    names |= {s.symbol.split(".")[0] for s in python if s.kind == "method"}
    return {n for n in names if n}


def _owner_lookup(catalog: Any | None) -> Any:
    if catalog is None:
        return lambda path: ""
    return lambda path: ", ".join(catalog.service_names_for_path(path))
