"""The approval policy: who is who (the roster), which approvals a change needs, and whether it has them.

``.reviewer/policy.toml``::

    [people."alice@example.com"]
    level = "senior"              # junior | mid | senior | principal | agent
    teams = ["team-checkout"]

    [defaults]                    # applies when no rule matches
    approvals = 1
    min_level = "mid"

    [[rules]]
    name = "High blast radius"
    when = { risk_at_least = "high" }
    require = { approvals = 2, min_level = "senior" }
    # evidence of review (core/evidence.py) may be required too:
    # require = { approvals = 2, min_level = "senior", min_coverage = 1.0, max_lines_per_hour = 500, client = "gui" }

Conditions (all must hold for a rule to match): ``ai_assisted`` (bool), ``author_level`` (a level or
list), ``risk_at_least`` (low | medium | high | critical), ``tier_at_most`` (int: the most critical
affected tier is at most this), ``paths`` (gitignore-style patterns, any changed path matching).

Semantics: every matching rule must hold on its own (the defaults only when no rule matches);
approvers are distinct people; the author and co-authors never count; level ``agent`` never counts;
people missing from the roster count as nobody (an author missing from it is judged as a junior);
``owner_of_affected`` needs an approver in a team owning an affected service, direct or transitive.
A change touching ``.reviewer/`` is judged as critical, whatever its risk report says.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer_app.core import evidence as review_evidence
from reviewer_app.core.workspace import POLICY_PATH  # defined there: analyze checks for the file without this module
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    from reviewer_app.core.workspace import Workspace

CONFIG_PREFIX = ".reviewer/"
RANKED_LEVELS = ("junior", "mid", "senior", "principal")
AGENT = "agent"
LEVELS = (*RANKED_LEVELS, AGENT)
RISK_LEVELS = ("low", "medium", "high", "critical")
UNKNOWN_AUTHOR_LEVEL = "junior"
# Without a [defaults] table a change no rule matches still needs one senior approval (fail closed).
FALLBACK_DEFAULTS = {"approvals": 1, "min_level": "senior"}
CONDITIONS = ("ai_assisted", "author_level", "risk_at_least", "tier_at_most", "paths")
# Set by the gate on an analysis: paths whose content no risk rule could see (text shown as binary, submodules).
HIDDEN_CONTENT = "hidden_content"
# More approvals than any team has people is a typo (10 for 1?), and it would block every change forever.
MAX_APPROVALS = 100
# A change to .reviewer/ rewrites who judges what: whatever the policy says, it needs at least CONFIG_FLOOR.
CONFIG_FLOOR_RULE = "Change to .reviewer/ (built in)"

# Reasons an approval does not count (shared with the gate's JSON).
AUTHOR = "author or co-author"
SAME_KEY = "same key"
AGENT_REASON = "agent"
LEVEL_TOO_LOW = "level too low"
NOT_OWNER = "not an owner of an affected service"
NO_EVIDENCE = "evidence of review falls short"
EVIDENCE_KEYS = ("min_coverage", "max_lines_per_hour", "client")

HOW_TO_CREATE = (
    "create .reviewer/policy.toml in the base branch, for example:\n"
    '  [people."you@example.com"]\n  level = "senior"\n  teams = ["your-team"]\n'
    '  [defaults]\n  approvals = 1\n  min_level = "senior"\n'
    "(see docs/approvals.md)"
)


@dataclass(frozen=True)
class Person:
    email: str
    level: str
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirement:
    approvals: int
    min_level: str
    owner_of_affected: bool = False
    # Evidence of review an approval must carry to count here (None: not required). An approval signed
    # before evidence was recorded counts only for requirements without any of them.
    min_coverage: float | None = None  # share of the changed lines that were on screen, 0..1
    max_lines_per_hour: int | None = None  # changed lines per hour of active review
    client: str | None = None  # "gui": reviewed in the desktop app

    @property
    def wants_evidence(self) -> bool:
        return self.min_coverage is not None or self.max_lines_per_hour is not None or self.client is not None


CONFIG_FLOOR = Requirement(approvals=1, min_level="senior")


@dataclass(frozen=True)
class Rule:
    name: str
    when: dict[str, Any]
    require: Requirement


@dataclass
class Policy:
    people: dict[str, Person]  # by lower-cased email
    defaults: Requirement
    rules: list[Rule] = field(default_factory=list)
    source: str = POLICY_PATH

    def person(self, email: str) -> Person | None:
        return self.people.get(email.strip().lower())


# --- loading and validation ----------------------------------------------------------------------

def load_policy(workspace: "Workspace") -> Policy:
    """The policy at the workspace (its revision, for the gate); a missing or invalid file is a UserError."""
    policy = load_policy_optional(workspace)
    if policy is None:
        raise UserError(f"{workspace.describe(POLICY_PATH)}: no approval policy, so nothing can be approved; "
                        + HOW_TO_CREATE)
    return policy


def load_policy_optional(workspace: "Workspace") -> Policy | None:
    """The policy, or None when the workspace has no policy file; an invalid file is a UserError."""
    text = workspace.read_text(POLICY_PATH)
    if text is None:
        return None
    return parse_policy(text, workspace.describe(POLICY_PATH))


def parse_policy(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: invalid TOML: {exc}") from exc
    _only_keys(data, ("people", "defaults", "rules"), "", source)
    people = _parse_people(data.get("people", {}), source)
    defaults_table = data.get("defaults", FALLBACK_DEFAULTS)
    _expect(isinstance(defaults_table, dict), source, "defaults", "must be a table")
    _only_keys(defaults_table, ("approvals", "min_level", *EVIDENCE_KEYS), "defaults", source)
    defaults = Requirement(
        approvals=_count(defaults_table.get("approvals", FALLBACK_DEFAULTS["approvals"]), source, "defaults.approvals", 0,
                         MAX_APPROVALS),
        min_level=_level(defaults_table.get("min_level", FALLBACK_DEFAULTS["min_level"]), source, "defaults.min_level"),
        **_evidence_requirement(defaults_table, source, "defaults"),
    )
    rules_list = data.get("rules", [])
    _expect(isinstance(rules_list, list), source, "rules", "must be an array of tables ([[rules]])")
    rules = [_parse_rule(rule, source, f"rules[{i}]") for i, rule in enumerate(rules_list)]
    return Policy(people=people, defaults=defaults, rules=rules, source=source)


def _parse_people(table: Any, source: str) -> dict[str, Person]:
    _expect(isinstance(table, dict), source, "people", 'must be tables like [people."alice@example.com"]')
    people: dict[str, Person] = {}
    for email, entry in table.items():
        where = f'people."{email}"'
        _expect("@" in email, source, where, "the key must be an email address")
        _expect(isinstance(entry, dict), source, where, "must be a table with level and teams")
        _only_keys(entry, ("level", "teams"), where, source)
        _expect("level" in entry, source, f"{where}.level", f"is required (one of {', '.join(LEVELS)})")
        level = entry["level"]
        _expect(level in LEVELS, source, f"{where}.level", f"must be one of {', '.join(LEVELS)} (got {level!r})")
        teams = entry.get("teams", [])
        _expect(isinstance(teams, list) and all(isinstance(t, str) for t in teams), source, f"{where}.teams",
                "must be a list of team names")
        key = email.strip().lower()
        _expect(key not in people, source, where, "is listed twice (emails compare case-insensitively)")
        people[key] = Person(email=key, level=level, teams=tuple(teams))
    return people


def _parse_rule(rule: Any, source: str, where: str) -> Rule:
    _expect(isinstance(rule, dict), source, where, "must be a table")
    _only_keys(rule, ("name", "when", "require"), where, source)
    name = rule.get("name")
    _expect(isinstance(name, str) and name.strip() != "", source, f"{where}.name", "is required (a non-empty string)")
    where = f'{where} "{name}"'
    when = rule.get("when", {})
    _expect(isinstance(when, dict), source, f"{where}.when", "must be a table of conditions")
    _only_keys(when, CONDITIONS, f"{where}.when", source)
    _check_conditions(when, source, f"{where}.when")
    require = rule.get("require")
    _expect(isinstance(require, dict), source, f"{where}.require", "is required: { approvals = N, min_level = \"...\" }")
    _only_keys(require, ("approvals", "min_level", "owner_of_affected", *EVIDENCE_KEYS), f"{where}.require", source)
    owner = require.get("owner_of_affected", False)
    _expect(isinstance(owner, bool), source, f"{where}.require.owner_of_affected", "must be true or false")
    return Rule(name=name, when=dict(when), require=Requirement(
        approvals=_count(require.get("approvals", 1), source, f"{where}.require.approvals", 1, MAX_APPROVALS),
        min_level=_level(require.get("min_level", "senior"), source, f"{where}.require.min_level"),
        owner_of_affected=owner,
        **_evidence_requirement(require, source, f"{where}.require"),
    ))


def _evidence_requirement(table: dict[str, Any], source: str, where: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if "min_coverage" in table:
        value = table["min_coverage"]
        _expect(type(value) in (int, float) and 0 <= value <= 1, source, f"{where}.min_coverage",
                f"must be a share from 0 to 1, e.g. 1.0 for every changed line (got {value!r})")
        found["min_coverage"] = float(value)
    if "max_lines_per_hour" in table:
        found["max_lines_per_hour"] = _count(table["max_lines_per_hour"], source, f"{where}.max_lines_per_hour", 1)
    if "client" in table:
        _expect(table["client"] == "gui", source, f"{where}.client",
                f'must be "gui" (a review in the desktop app, which measures it) (got {table["client"]!r})')
        found["client"] = "gui"
    return found


def _check_conditions(when: dict[str, Any], source: str, where: str) -> None:
    if "ai_assisted" in when:
        _expect(isinstance(when["ai_assisted"], bool), source, f"{where}.ai_assisted", "must be true or false")
    if "author_level" in when:
        value = when["author_level"]
        values = value if isinstance(value, list) else [value]
        _expect(bool(values) and all(v in LEVELS for v in values), source, f"{where}.author_level",
                f"must be a level or list of levels from {', '.join(LEVELS)} (got {value!r})")
    if "risk_at_least" in when:
        _expect(when["risk_at_least"] in RISK_LEVELS, source, f"{where}.risk_at_least",
                f"must be one of {', '.join(RISK_LEVELS)} (got {when['risk_at_least']!r})")
    if "tier_at_most" in when:
        _count(when["tier_at_most"], source, f"{where}.tier_at_most", 0)
    if "paths" in when:
        value = when["paths"]
        _expect(isinstance(value, list) and bool(value) and all(isinstance(p, str) for p in value), source,
                f"{where}.paths", "must be a non-empty list of path patterns")


def _expect(ok: bool, source: str, where: str, message: str) -> None:
    if not ok:
        raise UserError(f"{source}: {where}: {message}")


def _only_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str, source: str) -> None:
    for key in table:
        if key not in allowed:
            place = f"{where}.{key}" if where else key
            raise UserError(f"{source}: {place}: unknown key (known: {', '.join(allowed)})")


def _count(value: Any, source: str, where: str, minimum: int, maximum: int | None = None) -> int:
    # bool is an int in Python; `approvals = true` must not mean one approval
    _expect(type(value) is int and value >= minimum, source, where, f"must be a whole number >= {minimum} (got {value!r})")
    if maximum is not None:
        _expect(value <= maximum, source, where, f"must be at most {maximum} (got {value!r})")
    return value


def _level(value: Any, source: str, where: str) -> str:
    _expect(value in RANKED_LEVELS, source, where, f"must be one of {', '.join(RANKED_LEVELS)} (got {value!r})")
    return value


# --- what a change needs ------------------------------------------------------------------------

def touches_config(analysis: dict[str, Any]) -> bool:
    return any(is_config_path(str(path)) for path in _paths(analysis))


def is_config_path(path: str) -> bool:
    """Is ``path`` inside ``.reviewer/``, however a hand-made patch spells it?

    ``./.reviewer/x``, ``a//.reviewer/../.reviewer/x`` or ``.Reviewer/x`` (the same folder on a
    case-insensitive checkout) must not pass for ordinary paths: when in doubt, it is configuration.
    """
    parts: list[str] = []
    for part in path.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return bool(parts) and parts[0].strip().casefold() == CONFIG_PREFIX.rstrip("/")


def effective_risk_level(analysis: dict[str, Any]) -> str:
    """The risk level rules see: critical for changes to .reviewer/ (they change who judges what) and for
    changes whose text the risk rules could not read (shown as binary)."""
    if touches_config(analysis) or analysis.get(HIDDEN_CONTENT):
        return "critical"
    level = (analysis.get("risk") or {}).get("level") or "low"
    return level if level in RISK_LEVELS else "critical"  # an unknown level is the worst case


def author_level(analysis: dict[str, Any], policy: Policy) -> str:
    person = policy.person(((analysis.get("author") or {}).get("email") or ""))
    return person.level if person else UNKNOWN_AUTHOR_LEVEL


def rule_matches(rule: Rule, analysis: dict[str, Any], policy: Policy) -> bool:
    when = rule.when
    if "ai_assisted" in when and bool((analysis.get("provenance") or {}).get("ai_assisted")) != when["ai_assisted"]:
        return False
    if "author_level" in when:
        wanted = when["author_level"] if isinstance(when["author_level"], list) else [when["author_level"]]
        if author_level(analysis, policy) not in wanted:
            return False
    if "risk_at_least" in when and \
            RISK_LEVELS.index(effective_risk_level(analysis)) < RISK_LEVELS.index(when["risk_at_least"]):
        return False
    if "tier_at_most" in when:
        tier = (analysis.get("services") or {}).get("max_tier")
        if tier is None or tier > when["tier_at_most"]:
            return False
    if "paths" in when:
        import pathspec  # only policies with path conditions pay for it

        spec = pathspec.GitIgnoreSpec.from_lines(when["paths"])
        if not any(spec.match_file(p) for p in _paths(analysis)):
            return False
    return True


def applicable_requirements(analysis: dict[str, Any], policy: Policy) -> list[tuple[str, Requirement]]:
    """(rule name, requirement) for every matching rule, or the defaults when none matches."""
    matched = [(rule.name, rule.require) for rule in policy.rules if rule_matches(rule, analysis, policy)]
    applicable = matched or [("defaults", policy.defaults)]
    if touches_config(analysis) and not any(
            req.approvals >= 1 and RANKED_LEVELS.index(req.min_level) >= RANKED_LEVELS.index(CONFIG_FLOOR.min_level)
            for _, req in applicable):
        # A policy without a rule for critical changes (or with `approvals = 0` defaults) must not let a
        # change rewrite the policy, the signers or the revocations with no senior looking at it.
        applicable.append((CONFIG_FLOOR_RULE, CONFIG_FLOOR))
    return applicable


def requirements_for(analysis_dict: dict[str, Any], policy: Policy) -> list[dict[str, Any]]:
    """The ``policy.requirements`` of the analyze JSON."""
    return [{"rule": name, "needed": req.approvals, "min_level": req.min_level, "owner_of_affected": req.owner_of_affected,
             **_evidence_dict(req)} for name, req in applicable_requirements(analysis_dict, policy)]


def _evidence_dict(req: Requirement) -> dict[str, Any]:
    """The evidence a requirement asks for, only when it asks (older JSON readers see the keys they knew)."""
    return {key: getattr(req, key) for key in EVIDENCE_KEYS if getattr(req, key) is not None}


# --- evaluation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Approver:
    """A verified, still-standing approval by one principal (the gate has already checked the signature)."""

    principal: str
    event_id: str
    key: str | None = None  # the signing key's fingerprint: one key is one person, whatever email it signs as
    evidence: dict[str, Any] | None = None  # the signed evidence of review; None for approvals made before it


@dataclass
class RequirementResult:
    rule: str
    needed: int
    min_level: str
    owner_of_affected: bool
    approvers: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)  # what it requires of the evidence of review
    shortfalls: list[str] = field(default_factory=list)  # approvals refused here for their evidence, in words

    @property
    def have(self) -> int:
        return len(self.approvers)

    @property
    def met(self) -> bool:
        return self.have >= self.needed

    def to_dict(self) -> dict[str, Any]:
        extra = {"evidence": dict(self.evidence), "evidence_shortfalls": list(self.shortfalls)} if self.evidence else {}
        return {"rule": self.rule, "needed": self.needed, "min_level": self.min_level,
                "owner_of_affected": self.owner_of_affected, "have": self.have,
                "approvers": list(self.approvers), "met": self.met, **extra}


@dataclass
class Evaluation:
    requirements: list[RequirementResult]
    not_counted: list[tuple[Approver, str, str]]  # (approver, reason code, detail)

    @property
    def approved(self) -> bool:
        return all(r.met for r in self.requirements)


def affected_owners(analysis: dict[str, Any]) -> set[str]:
    services = analysis.get("services") or {}
    owners = {str(o) for o in services.get("owners") or [] if o}
    for group in ("direct", "transitive"):
        owners.update(str(s["owner"]) for s in services.get(group) or [] if isinstance(s, dict) and s.get("owner"))
    return {_team_key(o) for o in owners}


def _team_key(name: str) -> str:
    """Compare owners across catalogs: ``group:default/team-x``, ``@org/team-x`` and ``team-x`` are one team."""
    name = name.strip().lower().removeprefix("@")
    if "@" in name and "/" not in name:
        return name  # an email address (CODEOWNERS may name people)
    return name.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def evaluate(analysis: dict[str, Any], policy: Policy, approvers: list[Approver],
             author_keys: dict[str, str] | None = None) -> Evaluation:
    """Which requirements the approvers meet, and why each approver that counts for none does not.

    ``author_keys`` maps the fingerprints of keys allowed_signers lists for an author or co-author to
    that person: an approval made with one of them is the author's, whatever email it claims.
    """
    excluded = {e.lower() for e in _authors(analysis)}
    author_keys = author_keys or {}
    counted_keys: dict[str, str] = {}  # fingerprint -> the principal it already counts as
    owners = affected_owners(analysis)
    requirements = applicable_requirements(analysis, policy)
    results = [RequirementResult(name, req.approvals, req.min_level, req.owner_of_affected, [], _evidence_dict(req))
               for name, req in requirements]
    real_changed = review_evidence.changed_lines(analysis)
    not_counted: list[tuple[Approver, str, str]] = []
    seen: set[str] = set()
    for approver in approvers:
        key = approver.principal.strip().lower()
        if key in seen:
            continue  # distinct people: a second approval by the same person adds nothing
        seen.add(key)
        person = policy.person(key)
        if key in excluded:
            not_counted.append((approver, AUTHOR, f"{approver.principal} wrote this change"))
            continue
        if approver.key is not None and approver.key in author_keys:
            not_counted.append((approver, AUTHOR, f"{approver.principal} signed with {approver.key}, the key of "
                                                  f"{author_keys[approver.key]}, who wrote this change"))
            continue
        if approver.key is not None and approver.key in counted_keys:
            not_counted.append((approver, SAME_KEY, f"{approver.principal} signed with {approver.key}, the key "
                                                    f"{counted_keys[approver.key]} already counts with: one person"))
            continue
        if person is None:
            not_counted.append((approver, LEVEL_TOO_LOW, f"{approver.principal} is not in the roster of {policy.source}"))
            continue
        if person.level == AGENT:
            not_counted.append((approver, AGENT_REASON, f"{approver.principal} is an agent; agents never count"))
            continue
        counted, reasons = False, []
        for result, (_, req) in zip(results, requirements):
            if RANKED_LEVELS.index(person.level) < RANKED_LEVELS.index(req.min_level):
                reasons.append((LEVEL_TOO_LOW, f"{approver.principal} is {person.level}, {result.rule!r} needs {req.min_level}"))
            elif req.owner_of_affected and not owners & ({_team_key(t) for t in person.teams} | {key}):
                reasons.append((NOT_OWNER, f"{approver.principal} is in none of the owning teams "
                                           f"({', '.join(sorted(owners)) or 'no owner known'}) for {result.rule!r}"))
            elif req.wants_evidence and (short := review_evidence.shortfall(
                    approver.principal, approver.evidence, real_changed, min_coverage=req.min_coverage,
                    max_lines_per_hour=req.max_lines_per_hour, client=req.client)):
                result.shortfalls.append(short)
                reasons.append((NO_EVIDENCE, f"{short} (for {result.rule!r})"))
            else:
                result.approvers.append(approver.principal)
                counted = True
        if counted and approver.key is not None:
            counted_keys[approver.key] = approver.principal
        if not counted and reasons:
            not_counted.append((approver, *reasons[0]))
    return Evaluation(results, not_counted)


def _authors(analysis: dict[str, Any]) -> list[str]:
    author = ((analysis.get("author") or {}).get("email") or "")
    return [a for a in [author, *(analysis.get("co_authors") or [])] if a]


def _paths(analysis: dict[str, Any]) -> list[str]:
    if analysis.get("paths"):
        return list(analysis["paths"])
    found = []
    for f in analysis.get("files") or []:
        found.extend(p for p in (f.get("old_path"), f.get("new_path"), f.get("path")) if p)
    return found
