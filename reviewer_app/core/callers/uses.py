"""From grep hits to uses: the parser's narrowing per kind of symbol, and each use's service.

* Python symbols: ``python_uses`` on the file's syntax tree (files grep hit only, each parsed once).
* Other languages: a hit in a file of the same family (a Go name in ``.go`` files, TypeScript and
  JavaScript together, Java and Kotlin together) on a line that is not a comment and not the
  definition itself. Lexical: a same-named local in an unrelated package is counted too.
* SQL tables and columns: a hit in a SQL or code file outside migration folders, not a comment; a
  column's file must also name its table; in a ``.sql`` file the line must be outside schema
  statements (CREATE/ALTER/DROP define a table, they do not use it) and the file's queries must read
  the table (and column), as sqlglot parses them.
* Terraform: ``module.<m>.<output>`` for an output; ``<variable> =`` in another folder's ``.tf`` for a variable.
* Routes: the path written inside quotes.
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Any, Callable

from reviewer_app.core.callers.code_defs import FAMILY
from reviewer_app.core.callers.config_keys import is_config_file, reads_key
from reviewer_app.core.callers.model import ChangedSymbol, Use
from reviewer_app.core.callers.python_uses import FileIndex, index_file, python_uses
from reviewer_app.core.callers.search import Hit, blob_ids
from reviewer_app.core.callers.symbols import language_of
from reviewer_app.core.callers.texts import read_specs

_NOT_CODE = ("route", "table", "column", "config-key", "feature-flag")
# A line that may be (part of) an import: ``from``/``import``, or a continuation of a parenthesised
# one (names, ``as``, commas, a closing parenthesis).
_IMPORTISH = re.compile(r"^\s*+(?:from\s|import\s|[\w\s,]*+\)?\s*+(?:#.*)?$)")
_COMMENT = ("//", "#", "/*", "*", "--")
SNIPPET_CHARS = 160


def snippet(text: str) -> str:
    line = " ".join(text.strip().split())
    return line if len(line) <= SNIPPET_CHARS else line[: SNIPPET_CHARS - 1] + "…"


def _is_migration(path: str) -> bool:
    return "migrat" in path.lower()


def find_uses(repo: Path, tree: str, symbols: list[ChangedSymbol], hits: list[Hit],
              owner_of: Callable[[str], str], touched: dict[str, set[int]], deleted: set[str],
              known: dict[str, tuple[str, str]] | None = None) -> None:
    """Fill each symbol's ``uses`` from the hits (in place). ``known``: path -> (blob id, text) of
    files of ``tree`` already read (the change's own files at its base)."""
    by_name: dict[str, list[Hit]] = defaultdict(list)
    by_path_names: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        words = set(re.findall(r"\w+", hit.text))
        for word in words:
            by_name[word].append(hit)
        by_path_names[hit.path].update(words)
    python_trees = _python_trees(repo, tree, symbols, by_name, hits, known or {})
    sql_files = _sql_files(repo, tree, symbols, hits)
    for symbol in symbols:
        candidates = _candidates(symbol, hits, by_name)
        for line, is_import, text, path in _narrow(symbol, candidates, python_trees, by_path_names, sql_files):
            in_change = path in touched or path in deleted
            updated = path in deleted or line in touched.get(path, set())
            symbol.uses.append(Use(owner_of(path), path, line, snippet(text), in_change, updated, is_import,
                                   is_test(path)))
        symbol.uses.sort(key=lambda u: (u.in_change, u.service, u.path, u.line))


def is_test(path: str) -> bool:
    """Test code, as the risk rules' file roles decide it (a test folder or a test file name)."""
    from reviewer_app.core.model import FileDiff, FileStatus
    from reviewer_app.core.risk.roles import role_of

    role = role_of(FileDiff(path, path, FileStatus.MODIFIED))
    return role is not None and role.name == "test"


def _candidates(symbol: ChangedSymbol, hits: list[Hit], by_name: dict[str, list[Hit]]) -> list[Hit]:
    name = symbol.searched
    if symbol.kind == "route" or not re.fullmatch(r"\w+", name):  # not one token: scan the lines
        return [h for h in hits if name in h.text]
    return [h for h in by_name.get(name, []) if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", h.text)]


# Syntax-tree indexes by blob id: content-addressed, so valid for every tree holding that blob.
_INDEXES: OrderedDict[str, tuple[FileIndex | None, list[str]]] = OrderedDict()
_INDEX_CACHE_FILES = 20_000


def _python_trees(repo: Path, tree: str, symbols: list[ChangedSymbol], by_name: dict[str, list[Hit]],
                  hits: list[Hit], known: dict[str, tuple[str, str]]) -> dict[str, tuple[FileIndex | None, list[str]]]:
    """An index of each Python file that may use a Python symbol: blobs read with one cat-file for
    the files not indexed yet, so a re-analysis (or another change on a close base) parses little.

    A file can only use a symbol it imports (or its own module's), and the grep also searched each
    defining module's last name, so every import that matters is a hit line: a file none of whose
    hit lines can belong to an import statement is skipped unparsed.
    """
    python = [s for s in symbols if s.language == "python" and s.kind not in _NOT_CODE]
    python_names = {s.searched for s in python}
    defining = {s.base_path for s in python}
    paths = {h.path for n in python_names for h in by_name.get(n, []) if h.path.endswith(".py")}
    importing = {h.path for h in hits if h.path in paths and _IMPORTISH.match(h.text)}
    paths = sorted(p for p in paths if p in importing or p in defining)
    if not paths:
        return {}
    # Only files the change itself touches (the usual small change): their ids and texts are known.
    ids = {p: known[p][0] for p in paths} if all(p in known for p in paths) else blob_ids(repo, tree)
    wanted = {p: ids[p] for p in paths if p in ids}
    texts = {known[p][0]: known[p][1] for p in paths if p in known}
    missing = sorted({b for b in wanted.values() if b not in _INDEXES})
    unread = [b for b in missing if b not in texts]
    blobs = read_specs(repo, unread) if unread else {}
    for blob in missing:
        if blob in texts:
            text = texts[blob]
        else:
            data = blobs.get(blob)
            if data is None:
                continue
            text = data.decode("utf-8", "replace")
        try:
            index: FileIndex | None = index_file(ast.parse(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            index = None
        _INDEXES[blob] = (index, text.split("\n"))
    while len(_INDEXES) > _INDEX_CACHE_FILES:
        _INDEXES.popitem(last=False)
    return {p: _INDEXES[b] for p, b in wanted.items() if b in _INDEXES}


def _sql_uses(symbol: ChangedSymbol, hit: Hit, sql_files: dict[str, Any]) -> bool:
    """In a .sql file, a use is a line outside schema statements of a file whose queries read the
    table (and, for a column, the column): ``CREATE TABLE orders`` in schema.sql defines, not uses."""
    tables, columns, ddl_lines = sql_files.get(hit.path, ({"*"}, set(), set()))
    if hit.line in ddl_lines:
        return False
    table = (symbol.scope_hint or symbol.name).lower()
    if "*" not in tables and table not in tables:
        return False
    return symbol.kind == "table" or "*" in tables or symbol.name.lower() in columns


def _sql_files(repo: Path, tree: str, symbols: list[ChangedSymbol], hits: list[Hit]) -> dict[str, Any]:
    """What each .sql file with a hit reads, for the schema symbols (one cat-file)."""
    if not any(s.kind in ("table", "column") for s in symbols):
        return {}
    from reviewer_app.core.callers.extras import sql_reads

    paths = sorted({h.path for h in hits if h.path.lower().endswith(".sql") and not _is_migration(h.path)})
    ids = blob_ids(repo, tree) if paths else {}
    blobs = read_specs(repo, [ids[p] for p in paths if p in ids]) if paths else {}
    return {p: sql_reads(blobs[ids[p]].decode("utf-8", "replace")) for p in paths if ids.get(p) in blobs}


def _narrow(symbol: ChangedSymbol, candidates: list[Hit], trees: dict[str, Any],
            by_path_names: dict[str, set[str]], sql_files: dict[str, Any]) -> list[tuple[int, bool, str, str]]:
    result: list[tuple[int, bool, str, str]] = []
    if symbol.language == "python" and symbol.kind not in _NOT_CODE:
        owner = symbol.symbol.rsplit(".", 1)[0] if "." in symbol.symbol else ""
        for path in sorted({h.path for h in candidates}):
            index, lines = trees.get(path, (None, []))
            if index is None:
                continue
            for found in python_uses(index, path, symbol.base_path, symbol.searched, symbol.kind, owner,
                                     symbol.old_line if path == symbol.base_path else 0):
                text = lines[found.line - 1] if 0 < found.line <= len(lines) else ""
                result.append((found.line, found.is_import, text, path))
        return result
    family = FAMILY.get(symbol.language.split(" ")[0])
    for hit in candidates:
        stripped = hit.text.strip()
        if hit.path == symbol.base_path and hit.line == symbol.old_line:
            continue
        if symbol.kind == "route":
            if re.search(rf"""["'`]{re.escape(symbol.name)}["'`/?]""", hit.text) and not (
                    hit.path == symbol.path and hit.line == symbol.line):
                result.append((hit.line, False, hit.text, hit.path))
        elif symbol.kind in ("config-key", "feature-flag"):
            if language_of(hit.path) and not is_config_file(hit.path) and reads_key(hit.text, symbol.name):
                result.append((hit.line, False, hit.text, hit.path))
        elif symbol.kind in ("table", "column"):
            if _is_migration(hit.path) or hit.path == symbol.path or stripped.startswith(_COMMENT):
                continue
            if not hit.path.lower().endswith(".sql") and language_of(hit.path) is None:
                continue  # queries live in SQL and code; a catalog's "orders-db" is not the table
            if symbol.kind == "column" and symbol.scope_hint not in by_path_names.get(hit.path, set()):
                continue
            if hit.path.lower().endswith(".sql") and not _sql_uses(symbol, hit, sql_files):
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
