"""Which grep hits in a Python file are real uses of a symbol of a given module.

A use is an import of the name from its module (``from billing.discounts import apply_discount``,
relative imports resolved), a reference to the name so imported (a call, an attribute access, a
value passed along), or an attribute access through the imported module (``discounts.apply_discount``).
A module matches an import when its dotted path ends with the imported one, so both
``services.billing.discounts`` and ``billing.discounts`` (a service's own source root) name
``services/billing/discounts.py``. A method (``Cart.total``) is used where ``.total`` is accessed in
a file that imports the module or the class, or in the module itself. In the defining module,
every reference to the name other than its own definition is a use.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


def module_of(path: str) -> str:
    """``services/billing/discounts.py`` -> ``services.billing.discounts`` (a package's ``__init__`` is the package)."""
    stem = path.rsplit(".", 1)[0]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    return stem.replace("/", ".")


def _matches(target: str, imported: str) -> bool:
    return bool(imported) and (target == imported or target.endswith("." + imported))


def _absolute(path: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = path.split("/")[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    base = ".".join(parts)
    return f"{base}.{module}" if module and base else (module or base)


@dataclass(frozen=True, slots=True)
class Found:
    line: int
    is_import: bool


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def python_uses(tree: ast.Module, path: str, target_path: str, name: str, kind: str, owner: str,
                definition_line: int) -> list[Found]:
    """The lines of ``tree`` (the file at ``path``) that use ``name`` defined in ``target_path``."""
    target = module_of(target_path)
    same_module = path == target_path
    names: set[str] = set()  # local names bound to the symbol (or, for a method, to its class)
    modules: set[str] = set()  # local dotted names bound to the defining module
    found: dict[int, bool] = {}
    wanted = owner.split(".")[0] if kind == "method" and owner else name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(path, node.module, node.level)
            for alias in node.names:
                line = getattr(alias, "lineno", node.lineno)
                if _matches(target, source) and alias.name in (wanted, "*"):
                    names.add(alias.asname or alias.name if alias.name != "*" else wanted)
                    if alias.name == name:
                        found[line] = True
                elif _matches(target, f"{source}.{alias.name}" if source else alias.name):
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _matches(target, alias.name):
                    modules.add(alias.asname or alias.name)
    if same_module:
        names.add(wanted)
    if not names and not modules:
        return []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if kind == "method":
            if isinstance(node, ast.Attribute) and node.attr == name and line != definition_line:
                found.setdefault(line, False)
            continue
        if isinstance(node, ast.Name) and node.id in names:  # the name, or its alias (import ... as ...)
            if not (same_module and line == definition_line):
                found.setdefault(line, False)
        elif isinstance(node, ast.Attribute) and node.attr == name and _dotted(node.value) in modules:
            found.setdefault(line, False)
    return [Found(line, is_import) for line, is_import in sorted(found.items()) if line]
