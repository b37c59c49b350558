"""Applying a change script to a tree of files: the tree a change's branch ends with."""

from __future__ import annotations

import re

from reviewer_app.core.demo.templates import ChangeScript, TreeFile
from reviewer_app.errors import UserError

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def fill_placeholders(text: str, values: dict[str, str], where: str) -> str:
    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise UserError(f"{where}: unknown placeholder {{{{{name}}}}} (known: {', '.join(sorted(values))})")
        return values[name]

    return _PLACEHOLDER.sub(value_of, text)


def apply_script(tree: dict[str, TreeFile], script: ChangeScript, values: dict[str, str]) -> dict[str, TreeFile]:
    """A new tree with the script's edits applied in order; the given tree is left as it was."""
    result = dict(tree)
    for number, edit in enumerate(script.edits, start=1):
        where = f"{script.label}: edit {number} ({edit.path})"
        if edit.delete:
            if edit.path not in result:
                raise UserError(f"{where}: cannot delete a file that does not exist")
            del result[edit.path]
        elif edit.old is not None:
            current = result.get(edit.path)
            if current is None:
                raise UserError(f"{where}: cannot replace text in a file that does not exist")
            text = current.data.decode("utf-8")
            occurrences = text.count(edit.old)
            if occurrences != 1:
                raise UserError(f"{where}: the text to replace occurs {occurrences} times, expected exactly once")
            new_text = text.replace(edit.old, fill_placeholders(edit.new or "", values, where))
            result[edit.path] = TreeFile(new_text.encode("utf-8"), current.executable)
        else:
            text = fill_placeholders(edit.new or "", values, where)
            result[edit.path] = TreeFile(text.encode("utf-8"), edit.executable)
    return result


def tree_difference(before: dict[str, TreeFile], after: dict[str, TreeFile]) -> tuple[dict[str, TreeFile], list[str]]:
    """(files added or changed, paths deleted), in path order."""
    changed = {path: entry for path, entry in sorted(after.items()) if before.get(path) != entry}
    deleted = sorted(path for path in before if path not in after)
    return changed, deleted
