"""Loading the effective rule set: the built-in pack, then the team's ``.reviewer/rules/*.toml``.

A team file may add rules (``[[rule]]``), switch built-in rules off (``disable = [ids]``) and
change a rule's severity (``[[override]] id = ..., severity = ...``). Files are applied in name
order so the same files always give the same rule set (and the same ``pack_hash``).
"""

from __future__ import annotations

import dataclasses
import tomllib
from importlib import resources
from typing import TYPE_CHECKING, Any

from reviewer_app.core.risk.rules import SEVERITIES, Rule, RuleParser, RuleSet
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    from reviewer_app.core.workspace import Workspace

TEAM_RULES_DIR = ".reviewer/rules/"
BUILTIN_FILE_KEYS = frozenset({"rule"})
TEAM_FILE_KEYS = frozenset({"rule", "disable", "override"})
OVERRIDE_FIELDS = frozenset({"id", "severity", "enabled"})


def load_rules(workspace: Workspace | None) -> RuleSet:
    """The built-in pack plus the team's rules read from ``workspace`` (None: built-in only)."""
    rules = dict(_builtin_rules())
    sources = ["built-in"]
    if workspace is not None:
        for relpath in team_rule_files(workspace):
            text = workspace.read_text(relpath)
            if text is None:
                continue
            label = workspace.describe(relpath)
            _apply_team_file(rules, label, text)
            sources.append(label)
    return RuleSet(tuple(rules[rule_id] for rule_id in sorted(rules)), tuple(sources))


def team_rule_files(workspace: Workspace) -> list[str]:
    """``.reviewer/rules/*.toml`` (not nested folders), sorted."""
    return sorted(
        path for path in workspace.list_files()
        if path.startswith(TEAM_RULES_DIR) and path.endswith(".toml") and "/" not in path[len(TEAM_RULES_DIR):]
    )


def builtin_rule_files() -> list[tuple[str, str]]:
    """(label, text) of each TOML file of the built-in pack, in name order."""
    folder = resources.files("reviewer_app.resources") / "rules"
    found = [(f"rules/{entry.name}", entry.read_text(encoding="utf-8"))
             for entry in folder.iterdir() if entry.name.endswith(".toml")]
    return sorted(found)


_BUILTIN_CACHE: dict[str, Rule] | None = None


def _builtin_rules() -> dict[str, Rule]:
    # The pack ships with the program and never changes while it runs: parse it once.
    global _BUILTIN_CACHE
    if _BUILTIN_CACHE is None:
        rules: dict[str, Rule] = {}
        for label, text in builtin_rule_files():
            document = parse_toml(label, text, BUILTIN_FILE_KEYS)
            # Not compiled here: each regex is compiled the first time a change needs it (rules.LazyPattern).
            for rule in parse_rules(label, document.get("rule", []), strict=False):
                if rule.id in rules:
                    raise UserError(f"{label}: rule {rule.id}: field 'id': defined twice in the built-in pack")
                rules[rule.id] = rule
        _BUILTIN_CACHE = rules
    return _BUILTIN_CACHE


def parse_toml(label: str, text: str, allowed_keys: frozenset[str]) -> dict[str, Any]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{label}: invalid TOML: {exc}") from exc
    unknown = sorted(set(document) - allowed_keys)
    if unknown:
        raise UserError(f"{label}: unknown top-level key '{unknown[0]}' (known: {', '.join(sorted(allowed_keys))})")
    return document


def parse_rules(label: str, tables: Any, strict: bool = True) -> list[Rule]:
    """``strict`` compiles every regex and glob to report mistakes now (team files always are)."""
    if not isinstance(tables, list):
        raise UserError(f"{label}: 'rule' must be an array of tables ([[rule]])")
    return [RuleParser(label, table, index, strict).parse() for index, table in enumerate(tables)]


def _apply_team_file(rules: dict[str, Rule], label: str, text: str) -> None:
    document = parse_toml(label, text, TEAM_FILE_KEYS)
    for rule in parse_rules(label, document.get("rule", [])):
        if rule.id in rules:
            raise UserError(
                f"{label}: rule {rule.id}: field 'id': already defined ({rules[rule.id].origin}); "
                "use [[override]] to change a built-in rule or pick a new id"
            )
        if rule.structured:  # it would only switch the team's rule off where a file parses
            raise UserError(f"{label}: rule {rule.id}: field 'structured': only built-in rules have structured analysers")
        rules[rule.id] = dataclasses.replace(rule, origin=label)
    disabled = document.get("disable", [])
    if not isinstance(disabled, list) or not all(isinstance(item, str) for item in disabled):
        raise UserError(f"{label}: field 'disable': must be a list of rule ids")
    for rule_id in disabled:
        if rule_id not in rules:
            raise UserError(f"{label}: field 'disable': no rule {rule_id} to disable")
        del rules[rule_id]
    overrides = document.get("override", [])
    if not isinstance(overrides, list):
        raise UserError(f"{label}: 'override' must be an array of tables ([[override]])")
    for number, table in enumerate(overrides, start=1):
        _apply_override(rules, label, number, table)


def _apply_override(rules: dict[str, Rule], label: str, number: int, table: Any) -> None:
    where = f"{label}: override #{number}"
    if not isinstance(table, dict):
        raise UserError(f"{where}: must be a table")
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or rule_id not in rules:
        raise UserError(f"{where}: field 'id': no rule {rule_id!r} to override")
    where = f"{label}: rule {rule_id}"
    unknown = sorted(set(table) - OVERRIDE_FIELDS)
    if unknown:
        raise UserError(f"{where}: field '{unknown[0]}': cannot be overridden (only severity, enabled)")
    if table.get("enabled", True) is False:
        del rules[rule_id]
        return
    if "enabled" in table and table["enabled"] is not True:
        raise UserError(f"{where}: field 'enabled': must be true or false")
    if "severity" in table:
        severity = table["severity"]
        if severity not in SEVERITIES:
            raise UserError(f"{where}: field 'severity': {severity!r} is not one of {'|'.join(SEVERITIES)}")
        rules[rule_id] = dataclasses.replace(rules[rule_id], severity=severity, origin=label)
