"""Definitions in Go, TypeScript/JavaScript, Java, Kotlin, Rust, Ruby and shell.

With tree-sitter (the ``tree-sitter`` package and one ``tree-sitter-<language>`` grammar package per
language, imported lazily) a definition is a syntax node of a known type; its key nests it under the
classes, impls and modules that hold it, its body is its text with whitespace collapsed, and its
signature the text of its parameter list.

Without the grammar the fallback is a line regex per language: a definition starts at a line that
looks like one (``func Name(``, ``def name``, ``class Name``...) and runs to the next such line, so a
nested method's key is its bare name and an edit anywhere in the span counts as an edit of the
definition. The fallback is marked on each symbol's language (``go (regex)``) so a reader knows.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any

from reviewer_app.core.callers.model import Definition

# language -> (grammar module, function returning the language pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "go": ("tree_sitter_go", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "shell": ("tree_sitter_bash", "language"),
}

EXTENSIONS: dict[str, str] = {
    ".go": "go", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx", ".java": "java",
    ".kt": "kotlin", ".kts": "kotlin", ".rs": "rust", ".rb": "ruby", ".sh": "shell", ".bash": "shell",
}

# Callers of a definition in one language live in files of its family (TypeScript calls JavaScript).
FAMILY: dict[str, str] = {"javascript": "js", "typescript": "js", "tsx": "js", "java": "jvm", "kotlin": "jvm",
                          "go": "go", "rust": "rust", "ruby": "ruby", "shell": "shell", "python": "python"}

# node type -> kind; a node of these types is a definition and its "name" field (or first
# identifier-like child) is its name.
_DEFINITIONS: dict[str, str] = {
    "function_declaration": "function", "method_declaration": "method", "method_definition": "method",
    "function_definition": "function", "function_item": "function", "method": "method",
    "singleton_method": "method", "class_declaration": "class", "interface_declaration": "type",
    "enum_declaration": "type", "type_alias_declaration": "type", "object_declaration": "class",
    "type_spec": "type", "struct_item": "type", "enum_item": "type", "trait_item": "type",
    "class": "class", "module": "class", "const_item": "constant", "static_item": "constant",
    "const_spec": "constant", "constructor_declaration": "method", "generator_function_declaration": "function",
}
# Containers whose definitions are keyed under them (a class's methods, a Rust impl's functions).
_CONTAINERS = {"class_declaration", "class", "module", "object_declaration", "interface_declaration",
               "impl_item", "trait_item", "enum_declaration"}
_NAME_TYPES = {"identifier", "type_identifier", "field_identifier", "property_identifier", "constant", "word",
               "simple_identifier"}


@lru_cache(maxsize=None)
def _parser(language: str) -> Any | None:
    """A tree-sitter parser for ``language``, or None when tree-sitter or its grammar is not installed."""
    grammar = _GRAMMARS.get(language)
    if grammar is None:
        return None
    try:
        tree_sitter = importlib.import_module("tree_sitter")
        module = importlib.import_module(grammar[0])
        return tree_sitter.Parser(tree_sitter.Language(getattr(module, grammar[1])()))
    except (ImportError, AttributeError, TypeError, ValueError):
        return None


def has_grammar(language: str) -> bool:
    return _parser(language) is not None


def code_definitions(text: str, language: str) -> tuple[dict[str, Definition], bool]:
    """Key -> Definition, and whether tree-sitter produced them (False: the regex fallback)."""
    parser = _parser(language)
    if parser is None:
        return _regex_definitions(text, language), False
    data = text.encode("utf-8")
    found: dict[str, Definition] = {}
    _walk(parser.parse(data).root_node, data, "", found, language)
    return found, True


def _collapse(data: bytes) -> str:
    return " ".join(data.decode("utf-8", "replace").split())


def _name_of(node: Any, data: bytes) -> str | None:
    named = node.child_by_field_name("name")
    if named is None:
        named = next((c for c in node.named_children if c.type in _NAME_TYPES), None)
    if named is None:
        return None
    text = data[named.start_byte:named.end_byte].decode("utf-8", "replace")
    return text.rsplit(".", 1)[-1] or None


def _walk(node: Any, data: bytes, owner: str, found: dict[str, Definition], language: str) -> None:
    """Record the definitions under ``node``; descend into containers and plain statements, never
    into a function's body (what is nested there cannot be called from elsewhere)."""
    for child in node.named_children:
        kind = _DEFINITIONS.get(child.type)
        if child.type == "variable_declarator":  # JS/TS: const applyDiscount = (...) => ...
            value = child.child_by_field_name("value")
            if value is not None and value.type in ("arrow_function", "function_expression", "function"):
                kind = "function"
        if kind is None:
            inner = owner
            if child.type == "impl_item":  # Rust: the functions of `impl Cart` are Cart.<name>
                target = child.child_by_field_name("type")
                inner = _collapse(data[target.start_byte:target.end_byte]) if target is not None else owner
            _walk(child, data, inner, found, language)
            continue
        name = _name_of(child, data)
        if not name:
            continue
        key = f"{owner}.{name}" if owner else name
        if kind == "function" and owner:
            kind = "method"
        params = child.child_by_field_name("parameters")
        if params is None and child.type == "variable_declarator":
            value = child.child_by_field_name("value")
            params = value.child_by_field_name("parameters") if value is not None else None
        if params is None:
            params = next((c for c in child.named_children if "parameter" in c.type), None)
        signature = _collapse(data[params.start_byte:params.end_byte]) if params is not None else ""
        body = _collapse(data[child.start_byte:child.end_byte])
        found.setdefault(key, Definition(key, name, kind, child.start_point[0] + 1, body, signature,
                                         None, body.replace(name, "", 1)))
        if child.type in _CONTAINERS:
            _walk(child, data, key, found, language)


# Sources only: a language's patterns are compiled when a file in it is first read (_regexes).
_REGEX_SOURCES: dict[str, list[tuple[str, str]]] = {
    "go": [(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)\s*[\[(]", "function"),
           (r"^type\s+([A-Za-z_]\w*)\b", "type")],
    "javascript": [(r"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+([A-Za-z_$][\w$]*)", "function"),
                   (r"^\s*(?:export\s+)?(?:default\s+)?class\s+([A-Za-z_$][\w$]*)", "class"),
                   (r"^\s*(?:export\s+)?const\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?\(", "function")],
    "java": [(r"^\s*(?:public|private|protected|static|final|abstract|\s)*class\s+(\w+)", "class"),
             (r"^\s*(?:public|private|protected)[\w<>\[\],\s]*\s(\w+)\s*\(", "method")],
    "kotlin": [(r"^\s*(?:[a-z]+\s+)*fun\s+(?:<[^>]*>\s*)?(?:\w+\.)?(\w+)\s*\(", "function"),
               (r"^\s*(?:[a-z]+\s+)*(?:class|object|interface)\s+(\w+)", "class")],
    "rust": [(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)", "function"),
             (r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:struct|enum|trait)\s+(\w+)", "type")],
    "ruby": [(r"^\s*def\s+(?:self\.)?([A-Za-z_]\w*[?!=]?)", "method"),
             (r"^\s*(?:class|module)\s+([A-Z]\w*)", "class")],
    "shell": [(r"^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?", "function"),
              (r"^\s*function\s+([A-Za-z_][\w-]*)", "function")],
}
_REGEX_SOURCES["typescript"] = _REGEX_SOURCES["tsx"] = _REGEX_SOURCES["javascript"]
_PARAMS = r"\(([^)]*)\)"  # compiled (and kept in re's cache) at its first use


@lru_cache(maxsize=None)
def _regexes(language: str) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(source), kind) for source, kind in _REGEX_SOURCES.get(language, [])]


def _regex_definitions(text: str, language: str) -> dict[str, Definition]:
    patterns = _regexes(language)
    lines = text.split("\n")
    starts: list[tuple[int, str, str]] = []
    for index, line in enumerate(lines):
        for pattern, kind in patterns:
            match = pattern.match(line)
            if match:
                starts.append((index, match.group(1), kind))
                break
    found: dict[str, Definition] = {}
    for position, (index, name, kind) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        body = " ".join(" ".join(lines[index:end]).split())
        params = re.search(_PARAMS, lines[index][lines[index].find(name) + len(name):])
        found.setdefault(name, Definition(name, name, kind, index + 1, body,
                                          " ".join(params.group(1).split()) if params else "", None,
                                          body.replace(name, "", 1)))
    return found
