"""Python definitions with ``ast``: module-level functions, classes, their methods, and constants.

A function's body is compared as ``ast.dump`` without positions and with its own name blanked, so
a moved or re-indented function is no change, a comment edit is none either, and an equal dump
under another name is a rename. Constants are module-level names written in capitals.
"""

from __future__ import annotations

import ast
import re

from reviewer_app.core.callers.model import Definition

_CONSTANT = r"^[A-Z][A-Z0-9_]*$"  # compiled (and kept in re's cache) at its first use


def python_definitions(text: str) -> dict[str, Definition] | None:
    """Key -> Definition for one file's text; None when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: dict[str, Definition] = {}
    for node in tree.body:
        _collect(node, "", found)
    return found


def _collect(node: ast.stmt, owner: str, found: dict[str, Definition]) -> str:
    """Record the definitions in ``node``; return its name-blanked dump (the rename fingerprint).

    Each function is dumped once: a class's fingerprint is built from its members' fingerprints
    rather than by dumping the class again (dumping whole classes cost seconds on large ranges).
    """
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        key = f"{owner}.{node.name}" if owner else node.name
        blank = _dump(node, blank_name=True)
        found[key] = Definition(key, node.name, "method" if owner else "function", node.lineno,
                                blank, _signature(node), _params(node), blank)
        return blank
    if isinstance(node, ast.ClassDef):
        key = f"{owner}.{node.name}" if owner else node.name
        header = "|".join(ast.dump(part) for part in (*node.bases, *node.keywords, *node.decorator_list))
        members = [_collect(child, key, found) for child in node.body]
        fingerprint = header + "||" + "|".join(members)
        # A class's own change is its header (its members report theirs); its fingerprint finds renames.
        found[key] = Definition(key, node.name, "class", node.lineno, fingerprint, header, None, fingerprint)
        return fingerprint
    if not owner and isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and re.match(_CONSTANT, target.id):
                value = ast.dump(node.value) if node.value is not None else ""
                found[target.id] = Definition(target.id, target.id, "constant", node.lineno, value, "", None, value)
    return ast.dump(node) if owner else ""


def _dump(node: ast.AST, blank_name: bool = False) -> str:
    if blank_name and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        original = node.name
        node.name = ""
        try:
            return ast.dump(node)
        finally:
            node.name = original
    return ast.dump(node)


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return ast.dump(node.args)


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[tuple[str, str, bool], ...]:
    """(name, kind, has a default) for each parameter in order; kinds: positional, keyword, star, starstar."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    result = [(a.arg, "positional", index >= first_default) for index, a in enumerate(positional)]
    if args.vararg:
        result.append((args.vararg.arg, "star", True))
    result += [(a.arg, "keyword", d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        result.append((args.kwarg.arg, "starstar", True))
    return tuple(result)


def signature_problem(old: tuple[tuple[str, str, bool], ...] | None,
                      new: tuple[tuple[str, str, bool], ...] | None, method: bool) -> str | None:
    """Why calls written against ``old`` may break against ``new``; None when they keep working."""
    if old is None or new is None:
        return None
    if method:  # self / cls is supplied by the call, not written by callers
        old, new = old[1:], new[1:]
    old_names = {name: (kind, default) for name, kind, default in old}
    new_names = {name: (kind, default) for name, kind, default in new}
    takes_any_keyword = any(kind == "starstar" for _, kind, _ in new)
    takes_any_positional = any(kind == "star" for _, kind, _ in new)
    problems: list[str] = []
    removed = [n for n, (kind, _) in old_names.items() if kind in ("positional", "keyword") and n not in new_names]
    if removed and not (takes_any_keyword and takes_any_positional):
        problems.append("removes parameter " + ", ".join(f"`{n}`" for n in removed))
    added = [n for n, (kind, default) in new_names.items()
             if kind in ("positional", "keyword") and not default and n not in old_names]
    if added:
        problems.append("adds parameter " + ", ".join(f"`{n}`" for n in added) + " without a default")
    old_order = [n for n, kind, _ in old if kind == "positional" and n in new_names]
    new_order = [n for n, kind, _ in new if kind == "positional" and n in old_names]
    if old_order != new_order:
        problems.append(f"reorders parameters ({', '.join(old_order)} -> {', '.join(new_order)})")
    lost_default = [n for n, (kind, default) in old_names.items()
                    if default and n in new_names and not new_names[n][1] and new_names[n][0] != "star"]
    if lost_default:
        problems.append("drops the default of " + ", ".join(f"`{n}`" for n in lost_default))
    return "; ".join(problems) or None
