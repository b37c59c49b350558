"""GitHub CODEOWNERS: who owns the paths no catalog service claims.

GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS``, ``docs/CODEOWNERS``; patterns follow
gitignore rules; the *last* matching line wins, and a line with a pattern but no owners un-owns the
path. Lines GitHub would reject (``!`` negation, an owner that is neither ``@name`` nor an e-mail) are
skipped with a warning naming the file and line, as GitHub skips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a pattern is compiled: most analyses have no CODEOWNERS
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern


@dataclass(frozen=True, slots=True)
class CodeOwnersRule:
    """One line of a CODEOWNERS file: a pattern and its owners."""

    line_no: int
    pattern_text: str
    pattern: GitIgnoreSpecPattern
    owners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CodeOwners:
    """A parsed CODEOWNERS file."""

    source_file: str
    rules: tuple[CodeOwnersRule, ...]

    def owners_of(self, path: str) -> list[str]:
        """Owners from the last matching rule; [] when none matches or the match un-owns the path."""
        for rule in reversed(self.rules):
            if rule.pattern.match_file(path) is not None:
                return list(rule.owners)
        return []


def _is_owner(token: str) -> bool:
    if token.startswith("@"):
        return len(token) > 1
    local, at, domain = token.partition("@")
    return bool(local and at and "." in domain)


def _tokens(line: str) -> list[str]:
    """Split on whitespace, stopping at an unescaped ``#``; ``\\#`` and ``\\ `` are literal."""
    tokens: list[str] = []
    current: list[str] = []
    chars = iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == "#":
            break
        elif char.isspace():
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def parse_codeowners(text: str, source_file: str, warnings: list[str]) -> CodeOwners:
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    rules: list[CodeOwnersRule] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        tokens = _tokens(line)
        if not tokens:
            continue
        pattern_text, owners = tokens[0], tokens[1:]
        if pattern_text.startswith("!"):
            warnings.append(f"{source_file}:{line_no}: '{pattern_text}': negated patterns are not supported; line skipped")
            continue
        invalid = [owner for owner in owners if not _is_owner(owner)]
        if invalid:
            warnings.append(
                f"{source_file}:{line_no}: '{invalid[0]}' is not an owner (@user, @org/team or an e-mail); line skipped"
            )
            continue
        try:
            pattern = GitIgnoreSpecPattern(pattern_text)
        except (ValueError, TypeError) as exc:
            warnings.append(f"{source_file}:{line_no}: '{pattern_text}': invalid pattern ({exc}); line skipped")
            continue
        if pattern.include is None:
            continue
        rules.append(CodeOwnersRule(line_no, pattern_text, pattern, tuple(owners)))
    return CodeOwners(source_file, tuple(rules))
