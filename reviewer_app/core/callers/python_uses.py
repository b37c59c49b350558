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

from reviewer_app.core.records import FrozenRecord, Record


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


class Found(FrozenRecord):
    """A line of a Python file that uses the searched name, and whether it imports it."""

    __slots__ = FIELDS = ("line", "is_import")

    def __init__(self, line: int, is_import: bool) -> None:
        self.line = line
        self.is_import = is_import


class ImportedName(FrozenRecord):
    """One name an import statement binds in a Python file."""

    __slots__ = FIELDS = ("plain", "module", "level", "name", "local", "line")

    def __init__(self, plain: bool, module: str | None, level: int, name: str, local: str, line: int) -> None:
        self.plain = plain  # ``import x`` (else ``from m import x``)
        self.module = module  # as written: resolved against the importing file's path when queried
        self.level = level  # leading dots of a relative import
        self.name = name  # the imported name (or the module for ``import x``)
        self.local = local  # the name it is bound to in this file
        self.line = line


class FileIndex(Record):
    """What one file imports and where it references names: built in one walk, queried per symbol."""

    __slots__ = FIELDS = ("imports", "names", "attributes")

    def __init__(self, imports: list[ImportedName], names: dict[str, list[int]],
                 attributes: dict[str, list[tuple[int, str | None]]]) -> None:
        self.imports = imports
        self.names = names  # identifier -> lines where it is read or written as a bare name
        self.attributes = attributes  # attribute -> (line, dotted text of its owner)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def index_file(tree: ast.Module) -> FileIndex:
    """The imports and references of one file; it does not depend on the file's path (cached by blob)."""
    imports: list[ImportedName] = []
    names: dict[str, list[int]] = {}
    attributes: dict[str, list[tuple[int, str | None]]] = {}
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Name:
            names.setdefault(node.id, []).append(node.lineno)
        elif kind is ast.Attribute:
            attributes.setdefault(node.attr, []).append((node.lineno, _dotted(node.value)))
        elif kind is ast.ImportFrom:
            for alias in node.names:
                imports.append(ImportedName(False, node.module, node.level, alias.name, alias.asname or alias.name,
                                            getattr(alias, "lineno", node.lineno)))
        elif kind is ast.Import:
            for alias in node.names:
                imports.append(ImportedName(True, None, 0, alias.name, alias.asname or alias.name,
                                            getattr(alias, "lineno", node.lineno)))
    return FileIndex(imports, names, attributes)


def python_uses(index: FileIndex, path: str, target_path: str, name: str, kind: str, owner: str,
                definition_line: int) -> list[Found]:
    """The lines of the file at ``path`` that use ``name`` defined in ``target_path``."""
    target = module_of(target_path)
    same_module = path == target_path
    bound: set[str] = set()  # local names bound to the symbol (or, for a method, to its class)
    modules: set[str] = set()  # local dotted names bound to the defining module
    found: dict[int, bool] = {}
    wanted = owner.split(".")[0] if kind == "method" and owner else name
    for imported in index.imports:
        if imported.plain:  # import a.b.c [as x]
            if _matches(target, imported.name):
                modules.add(imported.local)
            continue
        source = _absolute(path, imported.module, imported.level)
        if _matches(target, source) and imported.name in (wanted, "*"):
            bound.add(wanted if imported.name == "*" else imported.local)
            if imported.name == name:
                found[imported.line] = True
        elif _matches(target, f"{source}.{imported.name}" if source else imported.name):
            modules.add(imported.local)
    if same_module:
        bound.add(wanted)
    if not bound and not modules:
        return []
    if kind == "method":
        for line, _owner in index.attributes.get(name, []):
            if line != definition_line:
                found.setdefault(line, False)
    else:
        for local in bound:  # the name, or its alias (from m import apply_discount as discount)
            for line in index.names.get(local, []):
                if not (same_module and line == definition_line):
                    found.setdefault(line, False)
        for line, owner_text in index.attributes.get(name, []):
            if owner_text in modules:
                found.setdefault(line, False)
    return [Found(line, is_import) for line, is_import in sorted(found.items()) if line]
