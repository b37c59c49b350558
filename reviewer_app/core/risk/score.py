"""The change-level risk model: findings, size, diffusion, AI provenance and blast radius -> level.

The level is decided by explicit rules a reviewer can check (docs/risk-rules.md); the score
places the change inside its level's band so that a queue sorts sensibly. The score never
crosses a band on its own, so the two always agree.

    critical  any critical finding; a high finding in an AI-assisted change; any change to .reviewer/
    high      any high finding; a medium finding that reaches a tier-0 service
    medium    any medium finding; more than 400 changed lines; wide diffusion;
              a tier-0/1 service or >= 10 dependents reached together with any finding
    low       everything else (blast radius alone never raises a change above low); a low change
              whose just-in-time defect likelihood (jit.py) reaches jit.RAISE_TO_MEDIUM is medium

Inside the band, the score orders changes by that likelihood (size, diffusion, the touched files'
history and the author's experience, see jit.py and history.py), then by the findings' weight.
"""

from __future__ import annotations

from typing import Any, Protocol

from reviewer_app.core.model import Change
from reviewer_app.core.records import FrozenRecord
from reviewer_app.core.risk import jit
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.history import History
from reviewer_app.core.risk.metrics import COMFORTABLE_LINES, REVIEWABLE_LINES, WIDE_AREAS, WIDE_FILES, ChangeMetrics
from reviewer_app.core.risk.rules import SEVERITIES, SEVERITY_RANK

BANDS = {"low": 0, "medium": 25, "high": 50, "critical": 75}
BAND_WIDTH = 24  # a band spans base .. base + 24
FINDING_POINTS = {"low": 1, "medium": 2, "high": 4, "critical": 6}
MANY_DEPENDENTS = 10
CONFIG_DIR = ".reviewer/"
# Share of the in-band place given to the change model; the rest to findings, size and reach. On the
# real-world corpus the share hardly moves the order of reverted and fix-inducing commits (0.6 to 1.0
# within 0.001 of AUC): the bands decide most of it. At 0.8 the findings break the model's near-ties.
MODEL_SHARE = 0.8
NEGLIGIBLE = 0.05  # log-odds below which an input is not worth a sentence


class ProvenanceLike(Protocol):
    ai_assisted: bool
    tools: list[str]


class ServiceReach(FrozenRecord):
    """What the services part says the change reaches, reduced to what the risk model needs."""

    FIELDS = ("direct", "dependents")

    def __init__(self, direct: tuple[tuple[str, int | None], ...],
                 dependents: tuple[tuple[str, int | None, str], ...]) -> None:
        self.direct = direct  # (name, tier)
        self.dependents = dependents  # (name, tier, the changed service it goes through)

    @classmethod
    def of(cls, services: dict[str, Any] | None) -> ServiceReach:
        if not services:
            return cls((), ())
        direct = tuple(sorted((str(s.get("name", "?")), _tier(s.get("tier"))) for s in _entries(services, "direct")))
        direct_names = {name for name, _ in direct}
        dependents = []
        for service in _entries(services, "transitive"):
            via = [str(v) for v in service.get("via") or [] if v]
            through = next((v for v in via if v in direct_names), via[0] if via else "the changed services")
            dependents.append((str(service.get("name", "?")), _tier(service.get("tier")), through))
        return cls(direct, tuple(sorted(dependents)))

    @property
    def all_tiers(self) -> list[int]:
        return [t for _, t in self.direct if t is not None] + [t for _, t, _ in self.dependents if t is not None]

    @property
    def reaches_tier0(self) -> bool:
        return 0 in self.all_tiers

    @property
    def reaches_tier1(self) -> bool:
        return any(t <= 1 for t in self.all_tiers)

    @property
    def many_dependents(self) -> bool:
        return len(self.dependents) >= MANY_DEPENDENTS

    def tier0_names(self) -> list[str]:
        return sorted({n for n, t in self.direct if t == 0} | {n for n, t, _ in self.dependents if t == 0})


def _entries(services: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = services.get(key) or []
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _tier(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tier_label(tier: int | None) -> str:
    return "no tier" if tier is None else f"tier {tier}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _rule_list(findings: list[Finding]) -> str:
    return ", ".join(sorted({f.rule for f in findings}))


class Verdict(FrozenRecord):
    """A change's risk level and score, and the reasons for them."""

    FIELDS = ("level", "score", "reasons")

    def __init__(self, level: str, score: int, reasons: tuple[str, ...]) -> None:
        self.level = level
        self.score = score
        self.reasons = reasons


def judge(change: Change, provenance: ProvenanceLike | None, findings: list[Finding],
          services: dict[str, Any] | None, history: History | None = None) -> Verdict:
    metrics = ChangeMetrics.of(change)
    reach = ServiceReach.of(services)
    ai_assisted = bool(provenance is not None and provenance.ai_assisted)
    tools = sorted(provenance.tools) if provenance is not None and provenance.tools else []
    level = "low"
    reasons: list[str] = []

    def raise_to(new_level: str) -> None:
        nonlocal level
        if SEVERITY_RANK[new_level] > SEVERITY_RANK[level]:
            level = new_level

    config_paths = sorted(p for p in change.paths if p.startswith(CONFIG_DIR))
    if config_paths:
        raise_to("critical")
        reasons.append(f"It changes {', '.join(config_paths)}; the approvals policy treats any change to .reviewer/ as critical.")

    if findings:
        counts = {s: [f for f in findings if f.severity == s] for s in reversed(SEVERITIES)}
        parts = [f"{len(group)} {severity} ({_rule_list(group)})" for severity, group in counts.items() if group]
        reasons.append(f"{_plural(len(findings), 'rule finding')}: {'; '.join(parts)}.")
        for finding in findings:
            raise_to(finding.severity)
        high = counts["high"]
        if ai_assisted and high:
            raise_to("critical")
            by = f" ({', '.join(tools)})" if tools else ""
            reasons.append(f"It is AI-assisted{by}, so its high findings ({_rule_list(high)}) count as critical.")
        medium = counts["medium"]
        if reach.reaches_tier0 and medium:
            raise_to("high")
            reasons.append(
                f"Its medium findings ({_rule_list(medium)}) reach tier-0 services "
                f"({', '.join(reach.tier0_names())}), so they count as high."
            )
        if reach.reaches_tier1 or reach.many_dependents:
            raise_to("medium")
    elif ai_assisted:
        reasons.append("It is AI-assisted, but no rule fired.")

    if metrics.too_big:
        raise_to("medium")
        reasons.append(
            f"It changes {metrics.size} lines ({metrics.added} added, {metrics.removed} removed); "
            f"review quality falls beyond {REVIEWABLE_LINES} lines."
        )
    elif metrics.size > COMFORTABLE_LINES:
        reasons.append(f"It changes {metrics.size} lines, near the {REVIEWABLE_LINES} a reviewer checks well at once.")
    if metrics.wide:
        raise_to("medium")
        reasons.append(
            f"It is spread over {_plural(metrics.files, 'file')} in {_plural(metrics.directories, 'folder')} and "
            f"{_plural(metrics.areas, 'top-level area')} (more than {WIDE_FILES} files or {WIDE_AREAS}+ areas is wide); "
            f"line spread entropy {metrics.entropy:.2f}."
        )
    if metrics.deleted_paths:
        shown = ", ".join(metrics.deleted_paths[:5]) + (", ..." if len(metrics.deleted_paths) > 5 else "")
        reasons.append(f"It deletes {_plural(len(metrics.deleted_paths), 'file')}: {shown}.")
    reasons.extend(service_reasons(reach))
    if not reasons:
        reasons.append(f"No rule fired on its {_plural(metrics.size, 'changed line')} in {_plural(metrics.files, 'file')}.")
    prediction = jit.predict(metrics, history)
    raised = level == "low" and prediction.probability >= jit.RAISE_TO_MEDIUM
    if raised:
        raise_to("medium")
    reasons.extend(model_reasons(prediction, history, raised))

    points = min(10, sum(FINDING_POINTS[f.severity] for f in findings))
    points += min(6, metrics.size // 100)
    points += min(3, metrics.files // 5) + (1 if metrics.areas >= 3 else 0)
    points += 4 if reach.reaches_tier0 else 2 if reach.reaches_tier1 else 0
    points += 2 if reach.many_dependents else 0
    points += 2 if ai_assisted else 0
    points += min(2, len(metrics.deleted_paths))
    score = BANDS[level] + in_band(prediction.probability, points)
    return Verdict(level, score, tuple(reasons))


def in_band(probability: float, points: int) -> int:
    """The place inside a band: mostly the defect likelihood, then the findings, size and reach points."""
    return min(BAND_WIDTH, round(MODEL_SHARE * BAND_WIDTH * probability + (1 - MODEL_SHARE) * min(BAND_WIDTH, points)))


def model_reasons(prediction: jit.Prediction, history: History | None, raised: bool) -> list[str]:
    """The model's estimate, then one sentence per input that moves it, saying which way."""
    source = ("size, diffusion, the touched files' history and the author's experience" if prediction.with_history
              else "size and diffusion only (no repository history was available)")
    raise_note = (f"; at {jit.RAISE_TO_MEDIUM:.2f} or more, a change with no finding counts as medium"
                  if raised else "")
    reasons = [f"Change model: {prediction.probability:.2f} estimated likelihood of a revert or fix, "
               f"from {source}{raise_note}."]
    if history is None:
        return reasons
    effect = prediction.contributions

    def way(*names: str) -> str:
        total = sum(effect.get(n, 0.0) for n in names)
        return f"{'raises' if total > 0 else 'lowers'} the estimate against an average change"

    def moves(*names: str) -> bool:
        return abs(sum(effect.get(n, 0.0) for n in names)) >= NEGLIGIBLE

    if moves("past_reverts_and_fixes"):
        parts = [_plural(history.past_reverts, "earlier revert")] if history.past_reverts else []
        fixes = history.past_fixes
        parts += [f"{fixes} earlier fix{'' if fixes == 1 else 'es'}"] if fixes else []
        troubles = " and ".join(parts) or "no earlier revert or fix"
        reasons.append(f"history: {troubles} touched these files ({way('past_reverts_and_fixes')}).")
    if moves("prior_changes", "developers"):
        reasons.append(f"history: these files changed {_plural(history.prior_changes, 'time')} before, by "
                       f"{_plural(history.developers, 'developer')} ({way('prior_changes', 'developers')}).")
    if moves("age") and history.files_with_history:
        reasons.append(f"history: the touched files last changed {history.age_days:.0f} days earlier on average ({way('age')}).")
    if moves("new_files_share"):
        total = history.files_with_history + history.files_without_history
        reasons.append(f"history: {history.files_without_history} of {_plural(total, 'touched file')} "
                       f"{'is' if history.files_without_history == 1 else 'are'} new to the repository ({way('new_files_share')}).")
    if moves("author_changes_here") and history.files_with_history:
        text = ("author's first change in these files" if history.author_changes_here == 0
                else f"the author changed these files {_plural(history.author_changes_here, 'time')} before")
        reasons.append(f"{text} ({way('author_changes_here')}).")
    return reasons


def service_reasons(reach: ServiceReach) -> list[str]:
    """One checkable sentence per critical service reached, naming the dependents and their tiers."""
    reasons: list[str] = []
    dependents_of: dict[str, list[tuple[str, int | None]]] = {}
    for name, tier, through in reach.dependents:
        dependents_of.setdefault(through, []).append((name, tier))
    for name, tier in reach.direct:
        if tier is not None and tier <= 1:
            reasons.append(f"It changes {name} ({_tier_label(tier)}) directly.")
    for through in sorted(dependents_of):
        users = dependents_of[through]
        if not any(t is not None and t <= 1 for _, t in users) and len(users) < MANY_DEPENDENTS:
            continue
        # The most critical users first, so the sentence leads with what matters.
        ordered = sorted(users, key=lambda u: (u[1] if u[1] is not None else 99, u[0]))
        listed = ", ".join(f"{n} ({_tier_label(t)})" for n, t in ordered[:6])
        more = f" and {len(ordered) - 6} more" if len(ordered) > 6 else ""
        reasons.append(f"{through} is used by {listed}{more}.")
    if reach.many_dependents:
        reasons.append(f"{_plural(len(reach.dependents), 'service')} depend on the changed services ({MANY_DEPENDENTS}+ is many).")
    return reasons
