"""What a Terraform argument renders to when the change's new variables keep their defaults.

A module that makes a value configurable (``name_prefix = "role-"`` becomes
``name_prefix = var.use_prefix ? "${var.name}-" : null`` with new variables defaulting to
``true`` and ``"role"``) changes the text of a replacement-forcing argument, yet every existing
caller renders the same value and nothing is replaced. Only variables the change declares are
substituted: an existing caller cannot have set them, so their default is what it gets. Anything
this small evaluator does not understand stays opaque text and compares as changed.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from reviewer_app.core.model import Change, LineKind
from reviewer_app.core.risk.structure.splitting import split_top_level

VARIABLE = re.compile(r'^\s*variable\s+"?([A-Za-z_][\w-]*)"?\s*\{', re.MULTILINE)
DEFAULT = re.compile(r"^\s*default\s*=\s*(.+?)\s*$", re.MULTILINE)
WHOLE = re.compile(r"^\$\{(.*)\}$", re.DOTALL)
NAME = re.compile(r"^var\.([A-Za-z_][\w-]*)$")
# Terraform 0.11's list("a") is 0.12's ["a"]: a syntax migration renders the same value.
LEGACY_LIST = re.compile(r"\blist\(([^()]*)\)")


class Opaque(str):
    """An expression left as written (another variable, a function call): equal only to itself."""


def new_variable_defaults(change: Change) -> dict[str, Any]:
    """name -> default of each variable block the change adds and does not remove (literal defaults only)."""
    added, removed = _side_text(change, LineKind.ADDED), _side_text(change, LineKind.REMOVED)
    gone = set(VARIABLE.findall(removed))
    defaults: dict[str, Any] = {}
    starts = list(VARIABLE.finditer(added))
    for index, match in enumerate(starts):
        name = match.group(1)
        if name in gone:
            continue  # redeclared: its default may have changed for existing callers
        end = starts[index + 1].start() if index + 1 < len(starts) else len(added)
        body = added[match.end():end]
        default = DEFAULT.search(body)
        if default is None:
            continue  # required: callers must set it, so there is no default to assume
        value = _literal(default.group(1))
        if not isinstance(value, Opaque):
            defaults[name] = value
    return defaults


def changed_variable_defaults(change: Change, folder: str | None = None) -> dict[str, tuple[Any, Any]]:
    """name -> (old default, new default) of each variable whose literal default the change rewrites in place.

    Read from the hunks: the variable a ``default`` line belongs to is the last ``variable`` header
    seen on that side (the hunk's section line, then its context and its own side's lines). Only
    literal defaults on both sides count; a variable renamed or added is not "changed" here. With
    ``folder``, only the files of that Terraform module (its folder, not below) are read.
    """
    changed: dict[str, tuple[Any, Any]] = {}
    for diff in change.files:
        if folder is not None and posixpath.dirname(diff.path) != folder:
            continue
        for hunk in diff.hunks:
            section = VARIABLE.match(hunk.section or "")
            current = {LineKind.REMOVED: section.group(1) if section else None, LineKind.ADDED: section.group(1) if section else None}
            found: dict[LineKind, dict[str, Any]] = {LineKind.REMOVED: {}, LineKind.ADDED: {}}
            for line in hunk.lines:
                kinds = (LineKind.REMOVED, LineKind.ADDED) if line.kind is LineKind.CONTEXT else (line.kind,)
                header = VARIABLE.match(line.text)
                for kind in kinds:
                    if header:
                        current[kind] = header.group(1)
                    elif line.text.startswith("}"):
                        current[kind] = None
                    elif line.kind is kind and current[kind]:
                        default = DEFAULT.match(line.text)
                        if default:
                            found[kind][current[kind]] = _literal(default.group(1))
            for name, before in found[LineKind.REMOVED].items():
                after = found[LineKind.ADDED].get(name, Opaque(""))
                if not isinstance(before, Opaque) and not isinstance(after, Opaque) and before != after:
                    changed[name] = (before, after)
    return changed


def renamed_variables(change: Change, folder: str | None = None) -> dict[str, str]:
    """old name -> new name of each variable whose header the change rewrites in place, its default kept.

    A ``variable "a" {`` line removed and a ``variable "b" {`` line added at the same place of a hunk,
    with the same literal default on both sides (read from the lines of each side that follow): a
    caller that set ``a`` fails loudly until it sets ``b`` instead, and one that left it gets the same
    default, so an expression of ``a`` and the same expression of ``b`` take the same values.
    """
    renamed: dict[str, str] = {}
    for diff in change.files:
        if folder is not None and posixpath.dirname(diff.path) != folder:
            continue
        for hunk in diff.hunks:
            lines = hunk.lines
            for index, line in enumerate(lines):
                old_header = VARIABLE.match(line.text) if line.kind is LineKind.REMOVED else None
                if old_header is None:
                    continue
                following = []
                for other in lines[index + 1:]:  # the run of changed lines the header opens
                    if other.kind is LineKind.CONTEXT:
                        break
                    following.append(other)
                old_default = _side_default(lines[index + 1:], LineKind.REMOVED)
                if isinstance(old_default, Opaque):
                    continue
                # The header added in its place; or, when other variables were added first (create_x before
                # x_name), a later header of the run sharing a word of the name, with the same default.
                first = True
                for added in (other for other in following if other.kind is LineKind.ADDED):
                    new_header = VARIABLE.match(added.text)
                    if new_header is None:
                        if first:
                            break
                        continue
                    name = new_header.group(1)
                    if name == old_header.group(1):
                        break  # the same variable rewritten: not a rename
                    if first or _shares_a_word(name, old_header.group(1)):
                        new_default = _side_default(lines[lines.index(added) + 1:], LineKind.ADDED)
                        if old_default == new_default and type(old_default) is type(new_default):
                            renamed[old_header.group(1)] = name
                            break
                    first = False
    return renamed


def _shares_a_word(one: str, other: str) -> bool:
    words = {word for word in re.split(r"[_-]", other.lower()) if len(word) >= 3}
    return any(word in words for word in re.split(r"[_-]", one.lower()) if len(word) >= 3)


def _side_default(lines: list[Any], kind: LineKind) -> Any:
    """The literal default of the variable block these lines continue, on one side (Opaque if not seen)."""
    for line in lines:
        if line.kind not in (kind, LineKind.CONTEXT):
            continue
        if line.text.startswith("}") or VARIABLE.match(line.text):
            return Opaque("")
        default = DEFAULT.match(line.text)
        if default:
            return _literal(default.group(1))
    return Opaque("")


def render(value: Any, defaults: dict[str, Any]) -> Any:
    """``value`` (as python-hcl2 gives it) with the new variables replaced by their defaults."""
    if isinstance(value, str):
        value = LEGACY_LIST.sub(r"[\1]", value)
        whole = WHOLE.match(value)
        if whole and _balanced(whole.group(1)):
            return _expression(whole.group(1), defaults)
        return _template(value, defaults)
    if isinstance(value, list):
        return [render(v, defaults) for v in value]
    if isinstance(value, dict):
        return {k: render(v, defaults) for k, v in value.items()}
    return value


def _side_text(change: Change, kind: LineKind) -> str:
    return "\n".join(line.text for diff in change.files for hunk in diff.hunks for line in hunk.lines if line.kind is kind)


def _literal(text: str) -> Any:
    text = text.strip()
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    if len(text) >= 2 and text[0] == text[-1] == '"' and "${" not in text and '"' not in text[1:-1]:
        return text[1:-1]
    items = _list_literal(LEGACY_LIST.sub(r"[\1]", text))
    if items is not None:
        return items
    return Opaque(text)


def _list_literal(text: str) -> list[Any] | None:
    """``["a", "b"]`` (strings and numbers only) as a list, else None."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    inner = text[1:-1].strip().rstrip(",").strip()
    if not inner:
        return []
    items = []
    for part in _split(inner, ","):
        value = _literal(part)
        if isinstance(value, (Opaque, list, bool)) or value is None:
            return None
        items.append(value)
    return items


def _expression(text: str, defaults: dict[str, Any]) -> Any:
    text = text.strip()
    split = _conditional(text)
    if split is not None:
        condition = _boolish(_expression(split[0], defaults))
        if isinstance(condition, bool):
            return _expression(split[1] if condition else split[2], defaults)
        return Opaque(text)
    for operator in ("||", "&&"):
        parts = _split(text, operator)
        if len(parts) > 1:
            values = [_boolish(_expression(part, defaults)) for part in parts]
            decisive = operator == "||"  # True decides an ||, False an &&
            if any(value is decisive for value in values):
                return decisive
            if all(isinstance(value, bool) for value in values):
                return not decisive
            return Opaque(text)
    if text.startswith("!"):
        inner = _boolish(_expression(text[1:], defaults))
        return (not inner) if isinstance(inner, bool) else Opaque(text)
    if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        return _expression(text[1:-1], defaults)
    variable = NAME.match(text)
    if variable:
        return defaults[variable.group(1)] if variable.group(1) in defaults else Opaque(text)
    if text.startswith("length(") and _closes_at_end(text[6:]):
        counted = _expression(text[7:-1], defaults)  # a new list variable's default: its length is known
        return len(counted) if isinstance(counted, list) else Opaque(text)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return _template(text[1:-1], defaults)
    literal = _literal(text)
    return literal


def _boolish(value: Any) -> Any:
    """A Terraform 0.11 boolean written as a string (``default = "true"``) read as the bool it converts to."""
    if isinstance(value, str) and not isinstance(value, Opaque) and value in ("true", "false"):
        return value == "true"
    return value


def _template(text: str, defaults: dict[str, Any]) -> Any:
    """A string with ``${var.x}`` interpolations: known defaults are filled in, the rest kept."""
    def fill(match: re.Match[str]) -> str:
        value = _expression(match.group(1), defaults)
        if isinstance(value, (Opaque, list)) or value is None or isinstance(value, bool):
            return "${" + str(value if isinstance(value, Opaque) else match.group(1)) + "}"
        return str(value)
    return re.sub(r"\$\{([^{}]*)\}", fill, text)


def _split(text: str, operator: str) -> list[str]:
    """``text`` split at each top-level ``operator`` (outside brackets and strings), parts stripped."""
    return [part.strip() for part in split_top_level(text, operator)]


def leaves(value: Any, defaults: dict[str, Any], local_values: dict[str, Any] | None = None, depth: int = 0) -> set[str]:
    """The values a ``count`` (or a number) can take: the arms of its conditionals, spaces removed.

    Conditions the new variables' defaults decide pick their arm; ``local.x`` standing alone is
    replaced by the local's own expression (when known). ``0`` is left out: it is the "off" arm.
    """
    text = value if isinstance(value, str) else str(value)
    whole = WHOLE.match(text.strip())
    if whole and _balanced(whole.group(1)):
        text = whole.group(1)
    text = LEGACY_LIST.sub(r"[\1]", text.strip())
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]) and _closes_at_end(text):
        text = text[1:-1].strip()
    split = _conditional(text)
    if split is not None and depth < 20:
        condition = _boolish(_expression(split[0], defaults))
        if isinstance(condition, bool):
            return leaves(split[1] if condition else split[2], defaults, local_values, depth + 1)
        return leaves(split[1], defaults, local_values, depth + 1) | leaves(split[2], defaults, local_values, depth + 1)
    local = re.fullmatch(r"local\.([A-Za-z_][\w-]*)", text)
    if local and local_values and local.group(1) in local_values and depth < 20:
        return leaves(local_values[local.group(1)], defaults, local_values, depth + 1)
    rendered = _expression(text, defaults)
    if isinstance(rendered, bool) or rendered is None:
        return set()
    flat = re.sub(r"\s+", "", str(rendered))
    return set() if flat in ("0", "") else {flat}


def _closes_at_end(text: str) -> bool:
    """The opening bracket of ``text`` is closed by its last character (not ``(a) + (b)``)."""
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False


def _conditional(text: str) -> tuple[str, str, str] | None:
    """``cond ? a : b`` split at its top level (outside brackets and strings), else None."""
    depth, quoted, question = 0, False, -1
    nested = 0
    for index, char in enumerate(text):
        if char == '"' and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        if quoted:
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and char == "?":
            if question < 0:
                question = index
            else:
                nested += 1
        elif depth == 0 and char == ":" and question >= 0:
            if nested:
                nested -= 1
                continue
            return text[:question], text[question + 1:index], text[index + 1:]
    return None


def _balanced(text: str) -> bool:
    depth, quoted = 0, False
    for index, char in enumerate(text):
        if char == '"' and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "{":
            depth += 1
        elif not quoted and char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
