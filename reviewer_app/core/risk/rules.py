"""The rule model: one declarative rule, validated field by field, and the effective rule set.

Rules are data (TOML tables, see docs/risk-rules.md). Everything a rule file can get wrong is
reported as a UserError naming the file, the rule id and the field, so a team editing
``.reviewer/rules/*.toml`` is told exactly what to fix instead of seeing a traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from functools import cached_property, lru_cache
from typing import Any, Iterator, Mapping


from reviewer_app.core.digest import sha256
from reviewer_app.core.records import FrozenRecord, Record
from reviewer_app.errors import UserError

SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
SCOPES = ("line", "hunk", "file", "change")
FILE_STATUSES = ("added", "deleted", "modified", "renamed", "copied")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")

# Every key a rule table may carry; anything else is a typo worth stopping for.
RULE_FIELDS = frozenset({
    "id", "title", "severity", "scope", "paths", "exclude", "added", "removed", "net_removed",
    "ignore_moved", "ignore_lines", "max_pure_removal", "guarded_code_kept", "file_status", "any_change", "file_lacks", "entropy_group", "min_entropy",
    "min_entropy_hex", "escalate", "message", "reference", "examples", "structured",
    "in_comments", "role_floor", "for_roles", "commented_out", "preexisting_severity", "subject_group",
    "deleted_holds",
})
# File roles (roles.py) a rule may be meant for: its findings there keep their full severity.
ROLE_NAMES = ("documentation", "example", "test", "vendored", "generated", "deleted")
# Formats whose structured analyser (core/risk/structure) covers a rule's concern: the engine
# skips the rule on a file that parsed as one of them (docs/risk-rules.md, "Structured analysis").
STRUCTURED_FORMATS = ("terraform", "kubernetes", "helm-values", "actions", "sql", "iam-json", "go")
ESCALATION_FIELDS = frozenset({"severity", "line", "added", "removed", "lost", "because"})
EXAMPLE_FIELDS = frozenset({"path", "status", "positive", "negative", "escalated"})


def max_severity(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


_INLINE_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_FLAG_LETTERS = {"a": re.ASCII, "i": re.IGNORECASE, "L": re.LOCALE, "m": re.MULTILINE, "s": re.DOTALL,
                 "u": re.UNICODE, "x": re.VERBOSE}


class LazyPattern:
    """A rule regex compiled on first use.

    Compiling the 60-rule built-in pack took about a third of a one-line ``analyze``; most
    rules never run on a given change (their paths do not apply, or their literal pre-filter
    finds nothing, which needs only the source). ``pattern`` and ``flags`` are those the compiled
    pattern has (global inline flags included), so the pre-filter reads them without compiling.
    """

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, source: str, flags: int = re.MULTILINE) -> None:
        self.pattern = source
        inline = _INLINE_FLAGS.match(source)
        for letter in inline.group(1) if inline else "":
            flags |= _FLAG_LETTERS[letter]
        self.flags = flags if flags & re.ASCII else flags | re.UNICODE
        self._compiled: re.Pattern[str] | None = None

    @classmethod
    def restored(cls, source: str, flags: int) -> LazyPattern:
        """The pattern whose ``pattern`` and ``flags`` are these (as read from rule_record's output)."""
        pattern = cls.__new__(cls)
        pattern.pattern, pattern.flags, pattern._compiled = source, flags, None
        return pattern

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def search(self, text: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        return self.compiled.search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = 2**62) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text, pos, endpos)

    @property
    def groupindex(self) -> Mapping[str, int]:
        return self.compiled.groupindex

    @property
    def groups(self) -> int:
        return self.compiled.groups

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyPattern) and (self.pattern, self.flags) == (other.pattern, other.flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"


# Facts about the built-in pack's regexes and globs that cost a parse to derive, read with the
# parsed pack from the loader's cache (loader.py) and derived by the very code that uses them, so
# a lookup answers exactly what that code would compute: prefilter.py's (pre-filter, can a match
# span lines, how far) per (source, flags), and pathspec's gitignore translation per glob.
_PATTERN_FACTS: dict[tuple[str, int], tuple[Any, ...]] = {}
_GLOB_REGEXES: dict[str, tuple[str | None, bool | None]] = {}


def known_pattern_facts(pattern: Any) -> tuple[Any, ...] | None:
    """(pre-filter fields or None, can_span_lines, line_reach) of a pattern of the built-in pack
    (anything with ``pattern`` and ``flags``: a LazyPattern or a compiled regex); None: not known."""
    return _PATTERN_FACTS.get((pattern.pattern, pattern.flags))


def glob_to_regex(glob: str) -> tuple[str | None, bool | None]:
    """pathspec's ``GitIgnoreSpecPattern.pattern_to_regex(glob)``: from the built-in pack's table
    when the glob is there (no pathspec import), else from pathspec itself."""
    known = _GLOB_REGEXES.get(glob)
    if known is None:
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        known = GitIgnoreSpecPattern.pattern_to_regex(glob)
    return known


def rule_patterns(rule: Rule) -> Iterator[LazyPattern]:
    """Every regex of a rule, its escalations' included."""
    for holder in (rule, *rule.escalate):
        for value in vars(holder).values():
            if isinstance(value, LazyPattern):
                yield value


class Escalation(FrozenRecord):
    """Raise a finding to ``severity`` when a condition holds (e.g. rm -rf on a database directory).

    ``line`` is searched in the text of the line that triggered the finding (for file-scope
    findings: in any added line of the file); ``added``/``removed`` in the added/removed lines of
    the hunk (hunk and line scope) or of the whole file (file and change scope). ``lost`` is
    ``removed`` restricted to lines removed outright: a removed line whose edit also adds lines
    (a CODEOWNERS entry whose owners change) is rewritten, not lost.
    """

    FIELDS = ("severity", "because", "line", "added", "removed", "lost")

    def __init__(self, severity: str, because: str, line: LazyPattern | None = None,
                 added: LazyPattern | None = None, removed: LazyPattern | None = None,
                 lost: LazyPattern | None = None) -> None:
        self.severity = severity
        self.because = because
        self.line = line
        self.added = added
        self.removed = removed
        self.lost = lost

    def canonical(self) -> dict[str, Any]:
        return {
            "severity": self.severity, "because": self.because,
            "line": _source(self.line), "added": _source(self.added), "removed": _source(self.removed),
            **({"lost": _source(self.lost)} if self.lost is not None else {}),
        }


class Examples(FrozenRecord):
    """Lines a rule must (positive, escalated) and must not (negative) fire on; run by the tests."""

    FIELDS = ("path", "status", "positive", "negative", "escalated")

    def __init__(self, path: str | None = None, status: str = "modified", positive: tuple[str, ...] = (),
                 negative: tuple[str, ...] = (), escalated: tuple[str, ...] = ()) -> None:
        self.path = path
        self.status = status
        self.positive = positive
        self.negative = negative
        self.escalated = escalated


@dataclass(frozen=True)
class Rule:
    """One rule of the pack, as its TOML table defines it (docs/risk-rules.md)."""

    id: str
    title: str
    severity: str
    scope: str
    message: str
    reference: str
    paths: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    added: LazyPattern | None = None
    removed: LazyPattern | None = None
    net_removed: bool = False  # removed-pattern hits must outnumber its hits on added lines of the hunk
    ignore_moved: bool = False  # a removed hit whose text reappears on an added line is a move
    ignore_lines: LazyPattern | None = None  # a hit on a line matching this does not count
    max_pure_removal: int = 0  # removed hits in a hunk that only removes more lines than this are ignored
    guarded_code_kept: bool = False  # a removed guard counts only when the code around it stays
    file_status: tuple[str, ...] = ()  # fires when the file has one of these statuses
    any_change: bool = False  # fires on any change to a matching path
    file_lacks: LazyPattern | None = None  # suppressed when the file's new text shows this guard
    entropy_group: int | str | None = None  # the regex group whose Shannon entropy is checked
    min_entropy: float = 0.0
    min_entropy_hex: float = 0.0
    escalate: tuple[Escalation, ...] = ()
    examples: Examples = field(default_factory=Examples)
    structured: tuple[str, ...] = ()  # formats whose structured analyser replaces this rule
    # A hit inside a comment counts only with in_comments (secrets, suppressions, Trojan Source).
    in_comments: bool = False
    # File roles (documentation, example, test, ...) lower a finding, never below this floor.
    role_floor: str = "low"
    for_roles: tuple[str, ...] = ()  # roles the rule is meant for: no lowering there
    commented_out: bool = False  # fires where removed code comes back as a comment (one finding per hunk)
    # An added hit whose paired removed line already matched (same subject_group value) is lowered.
    preexisting_severity: str = ""
    subject_group: str = ""
    # file_status "deleted" fires only when the deleted file's lines show this (a test file held tests).
    deleted_holds: LazyPattern | None = None
    origin: str = "built-in"  # "built-in" or the team file that defined or changed it

    @property
    def path_key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Rules with equal include/exclude globs share one path decision per file."""
        return (self.paths, self.exclude)

    def canonical(self) -> dict[str, Any]:
        """Everything that changes what the rule reports (examples and origin do not)."""
        return {
            "id": self.id, "title": self.title, "severity": self.severity, "scope": self.scope,
            "message": self.message, "reference": self.reference, "paths": list(self.paths),
            "exclude": list(self.exclude), "added": _source(self.added), "removed": _source(self.removed),
            "net_removed": self.net_removed, "ignore_moved": self.ignore_moved,
            "ignore_lines": _source(self.ignore_lines),
            "max_pure_removal": self.max_pure_removal, "guarded_code_kept": self.guarded_code_kept,
            "file_status": list(self.file_status), "any_change": self.any_change,
            "file_lacks": _source(self.file_lacks), "entropy_group": self.entropy_group,
            "min_entropy": self.min_entropy, "min_entropy_hex": self.min_entropy_hex,
            "escalate": [e.canonical() for e in self.escalate],
            **({"structured": list(self.structured)} if self.structured else {}),
            **{name: value for name, value in self._noise_controls().items() if value},
        }

    def _noise_controls(self) -> dict[str, Any]:
        """Fields added with file roles and comments; left out of the hash while at their defaults."""
        return {
            "in_comments": self.in_comments, "role_floor": "" if self.role_floor == "low" else self.role_floor,
            "for_roles": list(self.for_roles), "commented_out": self.commented_out,
            "preexisting_severity": self.preexisting_severity, "subject_group": self.subject_group,
            "deleted_holds": _source(self.deleted_holds),
        }


class RuleSet(FrozenRecord):
    """The effective rules (built-in pack with the team's changes applied), ordered by id."""

    FIELDS = ("rules", "sources", "releases_by_tag")

    def __init__(self, rules: tuple[Rule, ...], sources: tuple[str, ...] = (), releases_by_tag: bool = True) -> None:
        self.rules = rules
        self.sources = sources  # the files read, for messages and docs
        # How the team ships (a team file's ``[releases] by_tag``): True when what no release tag contains
        # is installed nowhere, so breaking changes to it are medium (releases.py); False for a team that
        # deploys untagged commits.
        self.releases_by_tag = releases_by_tag

    @cached_property  # hashed once per rule set, not once per assessed change
    def pack_hash(self) -> str:
        # The built-in setting adds nothing, so the built-in pack keeps its hash.
        setting = [] if self.releases_by_tag else [{"releases_by_tag": False}]
        canonical = json.dumps([r.canonical() for r in self.rules] + setting, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        return "sha256:" + sha256(canonical.encode("utf-8")).hexdigest()

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def only(self, *rule_ids: str) -> RuleSet:
        """A subset, e.g. to run one rule's examples alone."""
        return RuleSet(tuple(r for r in self.rules if r.id in rule_ids), self.sources, self.releases_by_tag)


def _source(pattern: LazyPattern | None) -> str | None:
    return None if pattern is None else pattern.pattern


# -- a validated rule as plain data (the loader's cache of the built-in pack) ---------------------------

def rule_record(rule: Rule) -> dict[str, Any]:
    """The rule's fields as data marshal holds (regexes as their source and flags): rule_from_record
    gives back an equal rule without validating the fields again, which took a few milliseconds of
    every start for the built-in pack."""
    record = _record(rule)
    record["escalate"] = [_record(escalation) for escalation in rule.escalate]
    record["examples"] = _record(rule.examples)
    return record


def rule_from_record(record: dict[str, Any]) -> Rule:
    """The rule rule_record was given (a malformed record raises TypeError, KeyError or ValueError)."""
    values = _from_record(Rule, record)
    values["escalate"] = tuple(_built(Escalation, _from_record(Escalation, item)) for item in record["escalate"])
    values["examples"] = _built(Examples, _from_record(Examples, record["examples"]))
    return _built(Rule, values)


def _built(cls: type, values: dict[str, Any]) -> Any:
    """``cls(**values)`` for a frozen dataclass given every field (no __post_init__): the instance
    dictionary filled at once, without a frozen __init__'s setattr per field (about 2 ms a start)."""
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


def _record(holder: Any) -> dict[str, Any]:
    return {
        name: (value.pattern, int(value.flags)) if isinstance(value, LazyPattern) else value
        for name in _field_names(type(holder)) for value in (getattr(holder, name),)
    }


def _from_record(cls: type, record: dict[str, Any]) -> dict[str, Any]:
    values = dict(record)
    if values.keys() != _field_set(cls):
        raise KeyError(f"{cls.__name__}: the record's fields are not the class's")
    for name in _pattern_fields(cls):
        if values[name] is not None:
            source, flags = values[name]
            values[name] = LazyPattern.restored(source, flags)
    return values


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    if issubclass(cls, Record):  # Escalation, Examples
        return cls.FIELDS
    return tuple(item.name for item in fields(cls))


@lru_cache(maxsize=None)
def _field_set(cls: type) -> frozenset[str]:
    assert not hasattr(cls, "__post_init__"), cls  # _built would skip it
    return frozenset(_field_names(cls))


@lru_cache(maxsize=None)
def _pattern_fields(cls: type) -> tuple[str, ...]:
    """The fields that hold a regex (annotated LazyPattern)."""
    if issubclass(cls, Record):  # a record's fields are its __init__'s parameters, annotated alike
        annotations = cls.__init__.__annotations__
        return tuple(name for name in cls.FIELDS if "LazyPattern" in str(annotations[name]))
    return tuple(item.name for item in fields(cls) if "LazyPattern" in str(item.type))


class RuleParser:
    """Turns one TOML rule table into a Rule, naming ``<file>: rule <id>: field '<name>'`` on error."""

    def __init__(self, source: str, table: Any, index: int, strict: bool = True) -> None:
        # strict=False skips compiling regexes and globs to validate them: only for the built-in
        # pack, which its own tests load strictly (tests/core/risk/test_loader.py).
        self.strict = strict
        self.source = source
        self.table = table
        self.label = f"rule #{index + 1}"
        if not isinstance(table, dict):
            raise UserError(f"{source}: {self.label}: must be a table, got {type(table).__name__}")

    def fail(self, name: str, problem: str) -> UserError:
        return UserError(f"{self.source}: {self.label}: field '{name}': {problem}")

    def parse(self) -> Rule:
        rule_id = self.string("id", required=True)
        if not RULE_ID.match(rule_id):
            raise self.fail("id", f"'{rule_id}' is not an id (upper case words joined by '-', e.g. TEAM-DROP-1)")
        self.label = f"rule {rule_id}"
        unknown = sorted(set(self.table) - RULE_FIELDS)
        if unknown:
            raise self.fail(unknown[0], f"unknown field (known: {', '.join(sorted(RULE_FIELDS))})")
        rule = Rule(
            id=rule_id,
            title=self.string("title", required=True),
            severity=self.choice("severity", SEVERITIES, required=True),
            scope=self.choice("scope", SCOPES, required=True),
            message=self.string("message", required=True),
            reference=self.string("reference", required=True),
            paths=self.globs("paths") or ("**",),
            exclude=self.globs("exclude"),
            added=self.regex("added"),
            removed=self.regex("removed"),
            net_removed=self.boolean("net_removed"),
            ignore_moved=self.boolean("ignore_moved"),
            ignore_lines=self.regex("ignore_lines"),
            max_pure_removal=self.count("max_pure_removal"),
            guarded_code_kept=self.boolean("guarded_code_kept"),
            file_status=self.choices("file_status", FILE_STATUSES),
            any_change=self.boolean("any_change"),
            file_lacks=self.regex("file_lacks"),
            entropy_group=self.group("entropy_group"),
            min_entropy=self.number("min_entropy"),
            min_entropy_hex=self.number("min_entropy_hex"),
            escalate=self.escalations(),
            examples=self.examples(),
            structured=self.choices("structured", STRUCTURED_FORMATS),
            in_comments=self.boolean("in_comments"),
            role_floor=self.choice("role_floor", SEVERITIES) if "role_floor" in self.table else "low",
            for_roles=self.choices("for_roles", ROLE_NAMES),
            commented_out=self.boolean("commented_out"),
            preexisting_severity=(self.choice("preexisting_severity", SEVERITIES)
                                  if "preexisting_severity" in self.table else ""),
            subject_group=self.string("subject_group"),
            deleted_holds=self.regex("deleted_holds"),
            origin="built-in",
        )
        self.check_consistency(rule)
        return rule

    def check_consistency(self, rule: Rule) -> None:
        if not (rule.added or rule.removed or rule.file_status or rule.any_change or rule.commented_out):
            raise self.fail("added", "a rule needs something to match: 'added', 'removed', 'file_status', "
                                     "'any_change' or 'commented_out'")
        if rule.subject_group and not rule.preexisting_severity:
            raise self.fail("subject_group", "only means something with 'preexisting_severity'")
        if rule.preexisting_severity and rule.added is None:
            raise self.fail("preexisting_severity", "needs an 'added' pattern")
        if rule.deleted_holds is not None and "deleted" not in rule.file_status:
            raise self.fail("deleted_holds", "only means something with file_status = [\"deleted\"]")
        if rule.net_removed and rule.removed is None:
            raise self.fail("net_removed", "needs a 'removed' pattern to count")
        if rule.max_pure_removal and rule.removed is None:
            raise self.fail("max_pure_removal", "needs a 'removed' pattern")
        if rule.guarded_code_kept and rule.removed is None:
            raise self.fail("guarded_code_kept", "needs a 'removed' pattern")
        if rule.entropy_group is not None and rule.added is None:
            raise self.fail("entropy_group", "needs an 'added' pattern with that group")
        if not self.strict:
            return
        if rule.subject_group and rule.added is not None and rule.subject_group not in rule.added.groupindex:
            raise self.fail("subject_group", f"'added' has no group named '{rule.subject_group}'")
        if isinstance(rule.entropy_group, str) and rule.added is not None and rule.entropy_group not in rule.added.groupindex:
            raise self.fail("entropy_group", f"'added' has no group named '{rule.entropy_group}'")
        if isinstance(rule.entropy_group, int) and rule.added is not None and rule.entropy_group > rule.added.groups:
            raise self.fail("entropy_group", f"'added' has only {rule.added.groups} groups")

    # -- typed field readers -------------------------------------------------------------------
    def string(self, name: str, required: bool = False, table: dict[str, Any] | None = None) -> str:
        value = (self.table if table is None else table).get(name)
        if value is None:
            if required:
                raise self.fail(name, "missing")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(name, "must be a non-empty string")
        return value

    def boolean(self, name: str) -> bool:
        value = self.table.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def count(self, name: str) -> int:
        value = self.table.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(name, "must be a whole number, 0 or more")
        return value

    def number(self, name: str) -> float:
        value = self.table.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.fail(name, "must be a non-negative number")
        return float(value)

    def group(self, name: str) -> int | str | None:
        value = self.table.get(name)
        if value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            return value
        raise self.fail(name, "must be a group number or name")

    def choice(self, name: str, allowed: tuple[str, ...], required: bool = False, table: dict[str, Any] | None = None) -> str:
        value = self.string(name, required=required, table=table)
        if value not in allowed:
            raise self.fail(name, f"'{value}' is not one of {'|'.join(allowed)}")
        return value

    def choices(self, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        values = self.string_list(name)
        for value in values:
            if value not in allowed:
                raise self.fail(name, f"'{value}' is not one of {'|'.join(allowed)}")
        return values

    def string_list(self, name: str, table: dict[str, Any] | None = None, label: str | None = None) -> tuple[str, ...]:
        value = (self.table if table is None else table).get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(label or name, "must be a list of strings")
        return tuple(value)

    def globs(self, name: str) -> tuple[str, ...]:
        patterns = self.string_list(name)
        for pattern in patterns:
            if not pattern.strip() or pattern.startswith(("#", "!")):
                raise self.fail(name, f"'{pattern}' is not an include glob (use 'exclude' for exceptions)")
            if "{" in pattern:
                raise self.fail(name, f"'{pattern}': braces are not gitignore syntax; list each pattern")
        if self.strict:
            import pathspec  # only to validate a team's globs; the engine matches with plain regexes

            try:
                pathspec.GitIgnoreSpec.from_lines(patterns)
            except (ValueError, TypeError) as exc:  # pathspec reports a bad pattern as ValueError
                raise self.fail(name, f"invalid glob: {exc}") from exc
        return patterns

    def regex(self, name: str, table: dict[str, Any] | None = None, field_name: str | None = None) -> LazyPattern | None:
        value = (self.table if table is None else table).get(name)
        label = field_name or name
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(label, "must be a non-empty string (a Python regular expression)")
        # MULTILINE: the engine runs a pattern over a file's added lines joined by newlines.
        pattern = LazyPattern(value, re.MULTILINE)
        if not self.strict:
            return pattern
        try:
            compiled = pattern.compiled
        except re.error as exc:
            raise self.fail(label, f"invalid regex: {exc}") from exc
        if compiled.search("") is not None:
            raise self.fail(label, "the regex matches an empty line, so it would fire everywhere")
        return pattern

    def escalations(self) -> tuple[Escalation, ...]:
        items = self.table.get("escalate", [])
        if not isinstance(items, list):
            raise self.fail("escalate", "must be an array of tables ([[rule.escalate]])")
        found: list[Escalation] = []
        for number, item in enumerate(items, start=1):
            where = f"escalate[{number}]"
            if not isinstance(item, dict):
                raise self.fail(where, "must be a table")
            unknown = sorted(set(item) - ESCALATION_FIELDS)
            if unknown:
                raise self.fail(f"{where}.{unknown[0]}", "unknown field")
            severity = item.get("severity")
            if severity not in SEVERITIES:
                raise self.fail(f"{where}.severity", f"must be one of {'|'.join(SEVERITIES)}")
            because = item.get("because")
            if not isinstance(because, str) or not because.strip():
                raise self.fail(f"{where}.because", "must say why the severity rises")
            escalation = Escalation(
                severity=severity, because=because,
                line=self.regex("line", item, f"{where}.line"),
                added=self.regex("added", item, f"{where}.added"),
                removed=self.regex("removed", item, f"{where}.removed"),
                lost=self.regex("lost", item, f"{where}.lost"),
            )
            if not (escalation.line or escalation.added or escalation.removed or escalation.lost):
                raise self.fail(where, "needs a condition: 'line', 'added', 'removed' or 'lost'")
            found.append(escalation)
        return tuple(found)

    def examples(self) -> Examples:
        table = self.table.get("examples", {})
        if not isinstance(table, dict):
            raise self.fail("examples", "must be a table")
        unknown = sorted(set(table) - EXAMPLE_FIELDS)
        if unknown:
            raise self.fail(f"examples.{unknown[0]}", "unknown field")
        path = table.get("path")
        if path is not None and (not isinstance(path, str) or not path):
            raise self.fail("examples.path", "must be a path")
        status = table.get("status", "modified")
        if status not in FILE_STATUSES:
            raise self.fail("examples.status", f"must be one of {'|'.join(FILE_STATUSES)}")
        return Examples(
            path=path, status=status,
            positive=self.string_list("positive", table, "examples.positive"),
            negative=self.string_list("negative", table, "examples.negative"),
            escalated=self.string_list("escalated", table, "examples.escalated"),
        )
