"""Loading the effective rule set: the built-in pack, then the team's ``.reviewer/rules/*.toml``.

A team file may add rules (``[[rule]]``), switch built-in rules off (``disable = [ids]``) and
change a rule's severity (``[[override]] id = ..., severity = ...``) and say how the team ships
(``[releases] by_tag = false``: untagged commits are deployed, so what no tag contains is not safe to
break; see releases.py). Files are applied in name order so the same files always give the same rule
set (and the same ``pack_hash``).
"""

from __future__ import annotations

import dataclasses
import marshal
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.core.digest import sha256
from reviewer_app.core.risk import rules as rules_module
from reviewer_app.core.risk.rules import SEVERITIES, Rule, RuleParser, RuleSet, glob_to_regex, rule_patterns
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    from reviewer_app.core.workspace import Workspace

TEAM_RULES_DIR = ".reviewer/rules/"
BUILTIN_FILE_KEYS = frozenset({"rule"})
TEAM_FILE_KEYS = frozenset({"rule", "disable", "override", "releases"})
RELEASES_FIELDS = frozenset({"by_tag"})
OVERRIDE_FIELDS = frozenset({"id", "severity", "enabled"})


def load_rules(workspace: Workspace | None) -> RuleSet:
    """The built-in pack plus the team's rules read from ``workspace`` (None: built-in only)."""
    rules = dict(_builtin_rules())
    sources = ["built-in"]
    by_tag = True
    if workspace is not None:
        for relpath in team_rule_files(workspace):
            text = workspace.read_text(relpath)
            if text is None:
                continue
            label = workspace.describe(relpath)
            setting = _apply_team_file(rules, label, text)
            by_tag = by_tag if setting is None else setting
            sources.append(label)
    rule_set = RuleSet(tuple(rules[rule_id] for rule_id in sorted(rules)), tuple(sources), by_tag)
    if sources == ["built-in"] and _BUILTIN_PACK_HASH:
        vars(rule_set)["pack_hash"] = _BUILTIN_PACK_HASH  # what RuleSet.pack_hash computes for it (cached)
    return rule_set


def team_rule_files(workspace: Workspace) -> list[str]:
    """``.reviewer/rules/*.toml`` (not nested folders), sorted."""
    return sorted(
        path for path in workspace.list_files()
        if path.startswith(TEAM_RULES_DIR) and path.endswith(".toml") and "/" not in path[len(TEAM_RULES_DIR):]
    )


def builtin_rule_files() -> list[tuple[str, str]]:
    """(label, text) of each TOML file of the built-in pack, in name order."""
    folder = Path(__file__).resolve().parents[2] / "resources" / "rules"
    try:
        names = [name for name in os.listdir(folder) if name.endswith(".toml")]
        found = [(f"rules/{name}", (folder / name).read_text(encoding="utf-8")) for name in names]
    except OSError:  # not a plain folder (a zip import): ask the package's resource reader
        from importlib import resources

        entries = (resources.files("reviewer_app.resources") / "rules").iterdir()
        found = [(f"rules/{entry.name}", entry.read_text(encoding="utf-8"))
                 for entry in entries if entry.name.endswith(".toml")]
    return sorted(found)


_BUILTIN_CACHE: dict[str, Rule] | None = None
_BUILTIN_PACK_HASH = ""
# The built-in pack's validated rules (rules.rule_record: each file's as {"rule": [record, ...]}), its
# pack hash and the facts the engine derives from its regexes and globs (rules.known_pattern_facts,
# rules.glob_to_regex), cached on disk by the texts they come from: parsing, validating and deriving
# are about a third of a one-line analyze; reading them back (marshal: plain dicts, tuples and
# scalars) takes about a millisecond.
PARSED_CACHE_VERSION = 4
STALE_AFTER_SECONDS = 7 * 24 * 3600
# Off unless a command that only shows results turns it on (analyze, the GUI): the cache folder is
# writable by whatever ran before on the machine (a CI runner restoring a shared cache, a pull
# request's job), so the gate and every other trust decision parse the pack the program ships.
_DISK_CACHE_ALLOWED = False


def allow_disk_cache(allowed: bool = True) -> None:
    """Let this process read and write the parsed built-in pack in the cache folder (display only)."""
    global _DISK_CACHE_ALLOWED
    _DISK_CACHE_ALLOWED = allowed


def _builtin_rules() -> dict[str, Rule]:
    # The pack ships with the program and never changes while it runs: parse it once.
    global _BUILTIN_CACHE, _BUILTIN_PACK_HASH
    if _BUILTIN_CACHE is None:
        files = builtin_rule_files()
        digest = sha256(f"{PARSED_CACHE_VERSION}\0{sys.version}".encode())
        for text in (*(part for label, text in files for part in (label, text)), *_derivers()):
            digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
        cache = _parsed_cache_path(digest.hexdigest())
        cached = _read_cache(cache, [label for label, _ in files])
        parsed = _rules_of_records(cached[0]) if cached else None
        if parsed is None:
            cached = None
            # Not compiled here: each regex is compiled the first time a change needs it (rules.LazyPattern).
            parsed = [(label, parse_rules(label, parse_toml(label, text, BUILTIN_FILE_KEYS).get("rule", []),
                                          strict=False)) for label, text in files]
        rules: dict[str, Rule] = {}
        for label, found in parsed:
            for rule in found:
                if rule.id in rules:
                    raise UserError(f"{label}: rule {rule.id}: field 'id': defined twice in the built-in pack")
                rules[rule.id] = rule
        if cached:
            pattern_facts, glob_regexes, pack_hash = cached[1:]
        else:
            pattern_facts, glob_regexes = _derive_facts(rules.values())
            pack_hash = RuleSet(tuple(rules[rule_id] for rule_id in sorted(rules))).pack_hash
            if cache is not None:
                records = [(label, {"rule": [rules_module.rule_record(rule) for rule in found]})
                           for label, found in parsed]
                _write_quietly(cache, (records, pattern_facts, glob_regexes, pack_hash))
        rules_module._PATTERN_FACTS.update(pattern_facts)
        rules_module._GLOB_REGEXES.update(glob_regexes)
        _BUILTIN_CACHE, _BUILTIN_PACK_HASH = rules, pack_hash
    return _BUILTIN_CACHE


def _rules_of_records(files: list[Any]) -> list[tuple[str, list[Rule]]] | None:
    """The rules of each file from the cache's records (rules.rule_record); None when one is malformed."""
    try:
        return [(label, [rules_module.rule_from_record(record) for record in document["rule"]])
                for label, document in files]
    except (TypeError, KeyError, ValueError, AttributeError):
        return None  # damaged: parse the files


def _derivers() -> list[str]:
    """The texts the cached data is derived by: the rule model and loader (the pack hash), the
    pre-filter's code and pathspec's version."""
    from importlib.util import find_spec

    texts = []
    try:
        for name in ("rules.py", "loader.py", "prefilter.py"):
            texts.append(Path(__file__).with_name(name).read_text(encoding="utf-8"))
        spec = find_spec("pathspec")
        folder = Path(spec.origin).parent if spec is not None and spec.origin else None
        for name in ("_version.py", "_meta.py", "patterns/gitignore/spec.py", "patterns/gitignore/base.py"):
            if folder is not None and (folder / name).is_file():
                texts.append((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError, ImportError):
        texts.append(str(os.getpid()))  # cannot tell: a key no later run shares
    return texts


def _derive_facts(rules: Any) -> tuple[dict[tuple[str, int], tuple[Any, ...]], dict[str, Any]]:
    """What prefilter.py and pathspec answer for every regex and glob of the pack."""
    from reviewer_app.core.risk import prefilter

    patterns: dict[tuple[str, int], tuple[Any, ...]] = {}
    globs: dict[str, Any] = {}
    for rule in rules:
        for pattern in rule_patterns(rule):
            key = (pattern.pattern, int(pattern.flags))  # a plain int (re.RegexFlag does not marshal), equal to it
            if key in patterns:
                continue
            try:
                found = prefilter.prefilter_for(pattern)
                fields = None if found is None else found._values()
                patterns[key] = (fields, prefilter.can_span_lines(pattern), prefilter.line_reach(pattern))
            except Exception:  # noqa: BLE001 - left to the pre-filter itself, at its first use
                continue
        for glob in (*rule.paths, *rule.exclude):
            if glob not in globs:
                try:
                    globs[glob] = tuple(glob_to_regex(glob))
                except Exception:  # noqa: BLE001 - likewise, left to the engine
                    continue
    return patterns, globs


def _read_cache(path: Path | None, labels: list[str]) -> tuple[Any, ...] | None:
    if path is None:
        return None
    try:
        payload = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None  # absent, unreadable or damaged: parse the files
    if (isinstance(payload, tuple) and len(payload) == 4 and isinstance(payload[0], list)
            and isinstance(payload[1], dict) and isinstance(payload[2], dict) and isinstance(payload[3], str)
            and [entry[0] for entry in payload[0]] == labels):
        return payload
    return None


def _parsed_cache_path(key: str) -> Path | None:
    if not _DISK_CACHE_ALLOWED:
        return None
    from reviewer_app.core.risk.history import cache_dir

    try:
        return cache_dir() / f"rules-{key[:32]}.marshal"
    except Exception:  # noqa: BLE001 - no usable cache folder (no home): parse every time
        return None


def _write_quietly(path: Path, payload: tuple[Any, ...]) -> None:
    try:
        data = marshal.dumps(payload)
    except ValueError:  # a TOML value marshal cannot hold (a date): parse every time
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)  # readers see the old file or the whole new one
        # Files of earlier packs or program versions, untouched for a week (two installed versions
        # used side by side each keep theirs).
        for stale in path.parent.glob("rules-*.marshal"):
            if stale != path and time.time() - stale.stat().st_mtime > STALE_AFTER_SECONDS:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache folder: parse every time


def parse_toml(label: str, text: str, allowed_keys: frozenset[str]) -> dict[str, Any]:
    import tomllib

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


def _apply_team_file(rules: dict[str, Rule], label: str, text: str) -> bool | None:
    """Apply one team file to ``rules``; returns its ``[releases] by_tag`` (None when it has none)."""
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
    return _releases_setting(label, document.get("releases"))


def _releases_setting(label: str, table: Any) -> bool | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UserError(f"{label}: 'releases' must be a table ([releases])")
    unknown = sorted(set(table) - RELEASES_FIELDS)
    if unknown:
        raise UserError(f"{label}: [releases]: unknown field '{unknown[0]}' (known: by_tag)")
    value = table.get("by_tag")
    if not isinstance(value, bool):
        raise UserError(f"{label}: [releases]: field 'by_tag' must be true or false")
    return value


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
