"""Changed symbols: each changed file's definitions on both sides, compared.

A definition only on the new side is added, only on the old side removed, on both with another
normalised body modified; a removed and an added definition of the same kind, owner and body
(its own name blanked) are one rename.
"""

from __future__ import annotations

from reviewer_app.core.callers import extras
from reviewer_app.core.callers.config_keys import config_symbols
from reviewer_app.core.callers.code_defs import EXTENSIONS, code_definitions
from reviewer_app.core.callers.model import ADDED, MODIFIED, REMOVED, RENAMED, ChangedSymbol, Definition
from reviewer_app.core.callers.python_defs import python_definitions, signature_problem
from reviewer_app.core.callers.texts import FileTexts


def language_of(path: str) -> str | None:
    if path.endswith((".py", ".pyi")):
        return "python"
    dot = path.rfind(".")
    return EXTENSIONS.get(path[dot:].lower()) if dot >= 0 else None


def changed_symbols(files: list[FileTexts], notes: list[str]) -> list[ChangedSymbol]:
    found: list[ChangedSymbol] = []
    for texts in files:
        path = texts.diff.path
        old_path = texts.diff.old_path or path
        language = language_of(path)
        lower = path.lower()
        if lower.endswith(".sql"):
            found += extras.sql_symbols(path, texts.old, texts.new)
        elif lower.endswith(".tf"):
            found += extras.terraform_symbols(path, texts.old, texts.new)
        found += config_symbols(path, texts.old, texts.new)
        if language is None:
            continue
        if language == "python" and "migrat" in lower:
            found += extras.alembic_symbols(path, texts.old, texts.new)
        found += extras.route_symbols(path, language, texts.old, texts.new)
        old_defs, new_defs, label = _definitions(texts, language, notes)
        if old_defs is None or new_defs is None:
            continue
        compared = _compare(path, old_path, label, old_defs, new_defs)
        if language == "python" and texts.diff.old_path and texts.new is not None and old_path != path:
            compared += _moved(path, old_path, label, old_defs, new_defs)
        for symbol in compared:
            symbol.old_path = old_path if texts.old is not None else ""
        found += compared
    return found


def _moved(path: str, old_path: str, language: str, old: dict[str, Definition],
           new: dict[str, Definition]) -> list[ChangedSymbol]:
    """A Python module moved to another path: each top-level name it keeps now lives in another
    module, so every import of the old module breaks. Reported as a rename with the same name."""
    return [ChangedSymbol(symbol=key, name=d.name, kind=d.kind, change=RENAMED, path=path, language=language,
                          line=new[key].line, side="new", old_name=d.name, old_line=d.line)
            for key, d in old.items() if "." not in key and key in new and new[key].body == d.body]


def _definitions(texts: FileTexts, language: str, notes: list[str]
                 ) -> tuple[dict[str, Definition] | None, dict[str, Definition] | None, str]:
    sides: list[dict[str, Definition] | None] = []
    label = language
    for text in (texts.old, texts.new):
        if text is None:
            sides.append({})
        elif language == "python":
            parsed = python_definitions(text)
            if parsed is None:
                notes.append(f"{texts.diff.path}: does not parse as Python on one side; its symbols were not compared")
            sides.append(parsed)
        else:
            defs, exact = code_definitions(text, language)
            label = language if exact else f"{language} (regex)"
            sides.append(defs)
    return sides[0], sides[1], label


def _compare(path: str, old_path: str, language: str, old: dict[str, Definition],
             new: dict[str, Definition]) -> list[ChangedSymbol]:
    found: list[ChangedSymbol] = []
    removed = [d for k, d in old.items() if k not in new]
    added = [d for k, d in new.items() if k not in old]
    for definition in list(removed):
        twin = next((a for a in added if a.kind == definition.kind and _owner(a.key) == _owner(definition.key)
                     and a.renamable_body == definition.renamable_body), None)
        if twin is None:
            continue
        removed.remove(definition)
        added.remove(twin)
        found.append(ChangedSymbol(symbol=twin.key, name=twin.name, kind=twin.kind, change=RENAMED, path=path,
                                   language=language, line=twin.line, side="new", old_name=definition.name,
                                   old_line=definition.line))
    for definition in removed:
        found.append(ChangedSymbol(symbol=definition.key, name=definition.name, kind=definition.kind,
                                   change=REMOVED, path=old_path, language=language, line=definition.line,
                                   side="old", old_line=definition.line))
    for definition in added:
        found.append(ChangedSymbol(symbol=definition.key, name=definition.name, kind=definition.kind, change=ADDED,
                                   path=path, language=language, line=definition.line, side="new"))
    for key, before in old.items():
        after = new.get(key)
        if after is None or after.body == before.body:
            continue
        if after.kind == "class" and after.signature == before.signature:
            continue  # a class's members report their own changes; only its bases or decorators are its own
        symbol = ChangedSymbol(symbol=key, name=after.name, kind=after.kind, change=MODIFIED, path=path,
                               language=language, line=after.line, side="new", body_changed=True,
                               old_line=before.line)
        if after.kind == "method" and after.name == "__init__" and key.count(".") == 1:
            # Callers of a constructor write the class: Cart(...) is the call that may break.
            symbol.name, symbol.kind = key.split(".")[0], "constructor"
        if before.params is not None or after.params is not None:
            symbol.signature_problem = signature_problem(before.params, after.params,
                                                         after.kind in ("method", "constructor"))
        elif before.signature != after.signature and after.kind in ("function", "method"):
            symbol.signature_problem = f"parameters change from {before.signature or '()'} to {after.signature or '()'}"
        found.append(symbol)
    return found


def _owner(key: str) -> str:
    return key.rsplit(".", 1)[0] if "." in key else ""
