"""Splitting an expression at a top-level operator: outside brackets and quoted strings.

Workflow ``if:`` expressions (single-quoted strings, parentheses) and Terraform expressions
(double-quoted strings with backslash escapes, every bracket) are both split this way.
"""

from __future__ import annotations


def split_top_level(text: str, operator: str, quote: str = '"', opening: str = "([{", closing: str = ")]}",
                    backslash_escapes: bool = True) -> list[str]:
    """``text`` split at each ``operator`` that stands outside ``quote``-delimited strings and outside
    ``opening``/``closing`` brackets; the parts as written (not stripped)."""
    parts: list[str] = []
    depth, quoted, start, index = 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == quote and not (backslash_escapes and index > 0 and text[index - 1] == "\\"):
            quoted = not quoted
        elif not quoted and char in opening:
            depth += 1
        elif not quoted and char in closing:
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(operator, index):
            parts.append(text[start:index])
            index += len(operator)
            start = index
            continue
        index += 1
    parts.append(text[start:])
    return parts
