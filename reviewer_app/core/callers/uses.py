"""From grep hits to uses: the parser's narrowing per kind of symbol, and each use's service.

* Python symbols: ``python_uses`` on the file's syntax tree (files grep hit only, each parsed once).
* Other languages: a hit in a file of the same family (a Go name in ``.go`` files, TypeScript and
  JavaScript together, Java and Kotlin together) on a line that is not a comment and not the
  definition itself. Lexical: a same-named local in an unrelated package is counted too.
* SQL columns: a hit in a file that also names the table (outside migration folders); tables: a hit
  outside migration folders.
* Terraform: ``module.<m>.<output>`` for an output; ``<variable> =`` in another folder's ``.tf`` for a variable.
* Routes: the path written inside quotes.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

from reviewer_app.core.callers.code_defs import FAMILY
from reviewer_app.core.callers.model import ChangedSymbol, Use
from reviewer_app.core.callers.python_uses import python_uses
from reviewer_app.core.callers.search import Hit
from reviewer_app.core.callers.symbols import language_of
from reviewer_app.core.callers.texts import read_specs

_COMMENT = ("//", "#", "/*", "*", "--")
SNIPPET_CHARS = 160


def snippet(text: str) -> str:
    line = " ".join(text.strip().split())
    return line if len(line) <= SNIPPET_CHARS else line[: SNIPPET_CHARS - 1] + "…"


def _is_migration(path: str) -> bool:
    return "migrat" in path.lower()


def find_uses(repo: Path, base: str, symbols: list[ChangedSymbol], hits: list[Hit],
              owner_of: Callable[[str], str], touched: dict[str, set[int]], deleted: set[str]) -> None:
    """Fill each symbol's ``uses`` from the hits (in place)."""
    by_name: dict[str, list[Hit]] = defaultdict(list)
    by_path_names: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        words = set(re.findall(r"\w+", hit.text))
        for word in words:
            by_name[word].append(hit)
        by_path_names[hit.path].update(words)
    python_trees = _python_trees(repo, base, symbols, hits)
    for symbol in symbols:
        candidates = _candidates(symbol, hits, by_name)
        for line, is_import, text, path in _narrow(symbol, candidates, python_trees, by_path_names):
            in_change = path in touched or path in deleted
            updated = path in deleted or line in touched.get(path, set())
            symbol.uses.append(Use(owner_of(path), path, line, snippet(text), in_change, updated, is_import))
        symbol.uses.sort(key=lambda u: (u.in_change, u.service, u.path, u.line))


def _candidates(symbol: ChangedSymbol, hits: list[Hit], by_name: dict[str, list[Hit]]) -> list[Hit]:
    name = symbol.searched
    if symbol.kind == "route":
        return [h for h in hits if name in h.text]
    return [h for h in by_name.get(name, []) if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", h.text)]


def _python_trees(repo: Path, base: str, symbols: list[ChangedSymbol], hits: list[Hit]) -> dict[str, Any]:
    """Syntax trees of the Python files that hold a hit for a Python symbol (one cat-file for all)."""
    python_names = {s.searched for s in symbols if s.language == "python" and s.kind != "route"}
    if not python_names:
        return {}
    paths = sorted({h.path for h in hits if h.path.endswith(".py")
                    and any(re.search(rf"\b{re.escape(n)}\b", h.text) for n in python_names)})
    blobs = read_specs(repo, [f"{base}:{p}" for p in paths])
    trees: dict[str, Any] = {}
    for path in paths:
        data = blobs.get(f"{base}:{path}")
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        try:
            trees[path] = (ast.parse(text), text.split("\n"))
        except (SyntaxError, ValueError):
            trees[path] = (None, text.split("\n"))
    return trees


def _narrow(symbol: ChangedSymbol, candidates: list[Hit], trees: dict[str, Any],
            by_path_names: dict[str, set[str]]) -> list[tuple[int, bool, str, str]]:
    result: list[tuple[int, bool, str, str]] = []
    if symbol.language == "python" and symbol.kind != "route" and symbol.kind not in ("table", "column"):
        owner = symbol.symbol.rsplit(".", 1)[0] if "." in symbol.symbol else ""
        for path in sorted({h.path for h in candidates}):
            tree, lines = trees.get(path, (None, []))
            if tree is None:
                continue
            for found in python_uses(tree, path, symbol.path, symbol.searched, symbol.kind, owner,
                                     symbol.old_line if path == symbol.path else 0):
                text = lines[found.line - 1] if 0 < found.line <= len(lines) else ""
                result.append((found.line, found.is_import, text, path))
        return result
    family = FAMILY.get(symbol.language.split(" ")[0])
    for hit in candidates:
        stripped = hit.text.strip()
        if hit.path == symbol.path and hit.line == symbol.old_line:
            continue
        if symbol.kind == "route":
            if re.search(rf"""["'`]{re.escape(symbol.name)}["'`/?]""", hit.text) and not (
                    hit.path == symbol.path and hit.line == symbol.line):
                result.append((hit.line, False, hit.text, hit.path))
        elif symbol.kind in ("table", "column"):
            if _is_migration(hit.path) or hit.path == symbol.path:
                continue
            if symbol.kind == "column" and symbol.scope_hint not in by_path_names.get(hit.path, set()):
                continue
            result.append((hit.line, False, hit.text, hit.path))
        elif symbol.kind == "output":
            if hit.path.endswith(".tf") and re.search(rf"module\.[\w-]+\.{re.escape(symbol.name)}\b", hit.text):
                result.append((hit.line, False, hit.text, hit.path))
        elif symbol.kind == "variable":
            folder = symbol.scope_hint
            if (hit.path.endswith(".tf") and not hit.path.startswith(folder + "/")
                    and re.match(rf"\s*{re.escape(symbol.name)}\s*=", hit.text)):
                result.append((hit.line, False, hit.text, hit.path))
        elif family and not stripped.startswith(_COMMENT):
            hit_language = language_of(hit.path)
            if hit_language and FAMILY.get(hit_language) == family:
                result.append((hit.line, False, hit.text, hit.path))
    return result
