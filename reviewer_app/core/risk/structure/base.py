"""What the structured analysers share: the catalogue of their rules and the finding builder.

Each structured rule (``resources/structure/rules.toml``) has an id, a title, a default severity
and a reference. Where a structured rule does the job of a line rule it keeps that rule's id
(INFRA-TF-RESOURCE-REMOVED, IAM-ADMIN-WILDCARD, DB-DROP-TABLE …), so an acknowledgement, a team's
``disable`` and a team's severity ``override`` keep working; the others have ids of their own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.rules import SEVERITIES, RuleSet
from reviewer_app.core.risk.structure.texts import FileSides

HUNKS_ONLY = " (Judged from the diff's hunks only: the full file was not available.)"


@dataclass(frozen=True, slots=True)
class CatalogueRule:
    id: str
    title: str
    severity: str
    reference: str


@lru_cache(maxsize=1)
def catalogue() -> dict[str, CatalogueRule]:
    text = (resources.files("reviewer_app.resources") / "structure" / "rules.toml").read_text(encoding="utf-8")
    rules: dict[str, CatalogueRule] = {}
    for table in tomllib.loads(text)["rule"]:
        assert table["severity"] in SEVERITIES, table["id"]
        rules[table["id"]] = CatalogueRule(table["id"], table["title"], table["severity"], table["reference"])
    return rules


@lru_cache(maxsize=1)
def default_exclude() -> tuple[str, ...]:
    """Where the structured-only rules do not look (tests, fixtures): from rules.toml."""
    text = (resources.files("reviewer_app.resources") / "structure" / "rules.toml").read_text(encoding="utf-8")
    return tuple(tomllib.loads(text).get("exclude", []))


@lru_cache(maxsize=256)
def _spec(globs: tuple[str, ...]) -> Any:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(globs)


def in_scope(path: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    return _spec(include).match_file(path) and not (exclude and _spec(exclude).match_file(path))


@lru_cache(maxsize=1)
def builtin_line_rule_ids() -> frozenset[str]:
    from reviewer_app.core.risk.loader import _builtin_rules

    return frozenset(_builtin_rules())


@lru_cache(maxsize=8)
def data_table(name: str) -> dict[str, Any]:
    """A data file of resources/structure/ (e.g. the Terraform attributes that force replacement)."""
    text = (resources.files("reviewer_app.resources") / "structure" / name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass
class Emitter:
    """Builds findings for one file, honouring the effective rule set (disabled ids, overrides)."""

    sides: FileSides
    rules: RuleSet
    findings: list[Finding] = field(default_factory=list)

    # Where the rules' reach is checked, when not the file's own path (a workflow kept outside
    # .github/workflows is judged as one; exclusions still see the real path).
    scope_path: str | None = None

    _role: Any = None
    _role_known: bool = False

    def _role_lowered(self, rule: Any, severity: str, message: str) -> tuple[str, str]:
        """The file's role (examples, vendored, generated …: roles.py) lowers severity as for line rules."""
        if not self._role_known:
            from reviewer_app.core.risk.roles import role_of

            self._role, self._role_known = role_of(self.sides.diff), True
        role = self._role
        if role is None or (rule is not None and role.name in getattr(rule, "for_roles", ())):
            return severity, message
        lowered = role.lower(severity, getattr(rule, "role_floor", "low") if rule is not None else "low")
        if lowered == severity:
            return severity, message
        return lowered, f"{message} Lowered to {lowered}: {role.because}."

    @property
    def hunks_only(self) -> bool:
        return not self.sides.complete

    def emit(self, rule_id: str, side: str, line: int, message: str, severity: str | None = None,
             span: tuple[int, int] = (0, 0)) -> None:
        entry = catalogue()[rule_id]
        severity = severity or entry.severity
        rule = self.rules.by_id(rule_id)
        diff = self.sides.diff
        path = diff.path if side == "new" else (diff.old_path or diff.path)
        if rule is None and rule_id in builtin_line_rule_ids():
            return  # the team disabled the line rule this structured rule stands for
        if rule is not None:
            # The same concern keeps the same reach: the line rule's paths and exclusions apply.
            paths = tuple(p for p in (diff.new_path, diff.old_path) if p)
            if self.scope_path is not None:
                if not in_scope(self.scope_path, rule.paths, ()) or not all(in_scope(p, ("**",), rule.exclude) for p in paths):
                    return
            elif not any(in_scope(p, rule.paths, rule.exclude) for p in paths):
                return
            if rule.origin != "built-in":
                severity = rule.severity  # the team's override wins
        elif not in_scope(path, ("**",), default_exclude()):
            return
        severity, message = self._role_lowered(rule, severity, message)
        if self.hunks_only:
            message += HUNKS_ONLY
        self.findings.append(Finding(rule_id, severity, path, side, line, span[0], span[1], message, entry.reference, "line"))


@dataclass(frozen=True, slots=True)
class Parsed:
    """What an analyser made of a file: whether it understood it, and if not, why."""

    ok: bool
    note: str = ""
    # Not understood as a whole (the line rules keep judging the file), but what was judged from
    # its text stands (a Helm template's selector helpers, a deleted claim template).
    keep: bool = False
    # The file is of the analyser's format and complete, but the parser could not read what the
    # change touched (a syntax the parser's grammar lacks): its checks did not run, and the change is
    # not passed as if they had (STRUCTURE-UNREAD says so on the file). "change": the old side read
    # and the new one does not; "before": the old side did not read either (a legacy file the checks
    # never covered, which this change did not make unreadable).
    unread: str = ""


NOT_MINE = Parsed(False, "")
