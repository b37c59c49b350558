# Structured analysis: where a real parser exists for a file's format, judge the change by what
# the file *means* on both sides instead of by patterns on its changed lines.
#
# Design:
#   * One module per format (terraform, kubernetes, helm values, actions, sql), each a function
#     ``analyse(sides, emit, context) -> Parsed`` over the file's old and new text (texts.py) that
#     emits findings in the line rules' own Finding model (base.Emitter), on the culprit line.
#   * Texts: a file added or deleted whole is complete from its diff; a modified file is complete
#     when the change comes from a repository (blobs read by id, texts.py); from a patch alone only
#     the hunks are known, and each analyser either judges what the hunks show (and says so in the
#     message) or declines, and the line rules run as before.
#   * Line rules marked ``structured = ["<format>"]`` in resources/rules/*.toml are skipped on a file
#     that parsed as that format, so one concern fires once. A file that does not parse (a Helm
#     template, a syntax error, a fragment) keeps its line rules, and their findings say why.
#   * Parsing never raises out of here: any exception in an analyser counts as "did not parse".
#   * Parsers are imported lazily, only when the change has a file of their kind, so a one-line
#     change to a Python file pays nothing for hcl2, sqlglot or YAML.
"""Structured risk analysis (Terraform, Kubernetes/Helm YAML, GitHub Actions, SQL, Go): see the comment above."""

from __future__ import annotations

import dataclasses
import fnmatch
import posixpath
import re
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable

from reviewer_app.core.model import Change, FileDiff, LineKind
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.rules import SEVERITY_RANK, Rule, RuleSet

if TYPE_CHECKING:
    from reviewer_app.core.risk.structure.texts import FileSides

__all__ = ["Outcome", "analyse", "format_of"]

# JSON that is never a policy document (package manifests, lockfiles, editor and compiler settings).
NOT_POLICY_JSON = re.compile(r"(^|[-.])(package|package-lock|composer|tsconfig\w*|jsconfig|lock|\.eslintrc|settings|launch|tasks)\.json$|-lock\.json$|\.lock\.json$")
WORKFLOW_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml")
# A workflow kept elsewhere (a starter-workflow template, a workflow-templates folder, a reusable
# workflow vendored into a repository) is still a workflow: its top level has ``on:`` and ``jobs:``.
WORKFLOW_TOP_KEYS = (re.compile(r"^jobs\s*:\s*(#.*)?$", re.MULTILINE), re.compile(r"^[\"']?on[\"']?\s*:", re.MULTILINE))
# format -> the module that analyses it (imported on first use)
MODULES = {
    "terraform": "reviewer_app.core.risk.structure.terraform",
    "kubernetes": "reviewer_app.core.risk.structure.kubernetes",
    "helm-values": "reviewer_app.core.risk.structure.helm",
    "helm-template": "reviewer_app.core.risk.structure.helm_template",
    "jsonnet": "reviewer_app.core.risk.structure.jsonnet",
    "actions": "reviewer_app.core.risk.structure.actions",
    "sql": "reviewer_app.core.risk.structure.sql",
    "iam-json": "reviewer_app.core.risk.structure.policy_json",
    "go": "reviewer_app.core.risk.structure.golang",
}
MAX_FILE_LINES = 20_000  # a bigger manifest or migration is generated; its line rules judge it
MAX_FILE_CHARS = 1_000_000


def format_of(path: str) -> str | None:
    """The structured format a path is analysed as, or None."""
    name = posixpath.basename(path)
    lower = name.lower()
    if lower.endswith(".tf"):
        return "terraform"
    if lower.endswith(".go"):
        # Test code is not judged by the Go analyser (its rules skip tests and generated code).
        return None if lower.endswith("_test.go") else "go"
    if lower.endswith(".tpl") and "/templates/" in f"/{path}":
        return "helm-template"
    if lower.endswith((".jsonnet", ".libsonnet")):
        return "jsonnet"
    if lower.endswith(".sql"):
        return "sql"
    if lower.endswith(".json") and not NOT_POLICY_JSON.search(lower):
        return "iam-json"
    if lower.endswith((".yml", ".yaml")):
        if any(fnmatch.fnmatchcase(path, glob) for glob in WORKFLOW_GLOBS):
            return "actions"
        if lower.startswith("values") and "/templates/" not in f"/{path}":
            return "helm-values"
        return "kubernetes"
    return None


@dataclass
class ChangeContext:
    """What an analyser may need to know about the rest of the change (e.g. where a probe went)."""

    change: Change
    _added: str | None = None
    # Per-change caches of the analysers, by name (chart files read at a revision, a chart's values …):
    # one dict each, created on first use, so reads a change shares happen once.
    _memos: dict[str, dict[Any, Any]] = field(default_factory=dict)

    def memo(self, name: str) -> dict[Any, Any]:
        """The analysers' cache ``name`` for this change (empty at first)."""
        return self._memos.setdefault(name, {})

    @property
    def added_text(self) -> str:
        """Every added line of the change, one text (for "did this move elsewhere?" questions)."""
        if self._added is None:
            self._added = "\n".join(line.text for diff in self.change.files for hunk in diff.hunks
                                    for line in hunk.lines if line.kind is LineKind.ADDED)
        return self._added


@dataclass
class Outcome:
    """The structured findings of a change and, per path, the format it was parsed as (or why not)."""

    findings: list[Finding] = field(default_factory=list)
    parsed: dict[str, str] = field(default_factory=dict)  # path -> format that parsed
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (format, why not parsed)
    change: Change | None = None  # for what the whole change says of a file (roles.lower_new_components)

    def line_rules(self, diff: FileDiff, rules: list[Rule]) -> list[Rule]:
        """``rules`` without those a successful structured analysis of this file replaces."""
        fmt = self.parsed.get(diff.path)
        if fmt is None:
            return rules
        return [rule for rule in rules if fmt not in rule.structured]

    def merge_into(self, findings: dict[str, Finding], rules: RuleSet) -> None:
        """Add the structured findings to the line findings (keyed by id, the more severe wins).

        A line finding of a structured rule on a file that could not be parsed says why.
        """
        by_id = {rule.id: rule for rule in rules.rules} if self.notes else {}
        for key, finding in list(findings.items()):
            note = self.notes.get(finding.path)
            rule = by_id.get(finding.rule)
            if note is not None and rule is not None and note[0] in rule.structured:
                findings[key] = dataclasses.replace(finding, message=f"{finding.message} ({note[1]}.)")
        for finding in self.findings:
            previous = findings.get(finding.id)
            if previous is None or SEVERITY_RANK[finding.severity] > SEVERITY_RANK[previous.severity]:
                findings[finding.id] = finding
        if self.change is not None:
            # Posture findings on files added whole (new components), line and structured alike.
            from reviewer_app.core.risk.roles import lower_new_components

            lower_new_components(findings, self.change)
            # Breaking changes to what no release contains (reads tags only when such a finding is high).
            from reviewer_app.core.risk.releases import lower_unreleased

            lower_unreleased(findings, self.change, rules)


def _looks_like_workflow(sides: FileSides) -> bool:
    """A YAML file outside .github/workflows whose top level is a GitHub Actions workflow's."""
    for side in (sides.new, sides.old):
        if side.exists and side.complete:
            text = side.text
            return all(pattern.search(text) for pattern in WORKFLOW_TOP_KEYS)
    return False


SYMLINK_MODE = "120000"


def _symlink(diff: FileDiff) -> bool:
    """A symbolic link on its newest side (git's mode 120000)."""
    return (diff.new_mode if diff.new_path else diff.old_mode) == SYMLINK_MODE


def analyse(change: Change, rules: RuleSet) -> Outcome:
    """Run the structured analyser of every file whose format has one; never raises."""
    outcome = Outcome(change=change)
    candidates = [(index, diff, format_of(diff.path)) for index, diff in enumerate(change.files)]
    # A pure rename (no hunks) changes no content to judge; a binary file is not text; a symbolic
    # link's text is the path it points to (the file there is judged where it changes).
    candidates = [(index, diff, fmt) for index, diff, fmt in candidates
                  if fmt in MODULES and not diff.binary and diff.hunks and not _symlink(diff)]
    if not candidates:
        return outcome
    from reviewer_app.core.risk.structure.base import Emitter
    from reviewer_app.core.risk.structure.texts import sides_for

    sides = sides_for([diff for _, diff, _ in candidates], change.base, change.head)
    context = ChangeContext(change)
    for position, (_, diff, fmt) in enumerate(candidates):
        file_sides = sides[position]
        emitter = Emitter(file_sides, rules)
        if fmt == "kubernetes" and _looks_like_workflow(file_sides):
            fmt = "actions"
            # The workflow rules' reach is written for .github/workflows; a workflow kept elsewhere
            # is judged as if it were there (a team's exclusions still apply to its real path).
            emitter.scope_path = f".github/workflows/{posixpath.basename(diff.path)}"
        if sum(len(hunk.lines) for hunk in diff.hunks) > MAX_FILE_LINES or max(
                len(file_sides.old.text) if file_sides.old.complete else 0,
                len(file_sides.new.text) if file_sides.new.complete else 0) > MAX_FILE_CHARS:
            outcome.notes[diff.path] = (fmt, f"{fmt} structure not analysed: the file is too large")
            continue
        try:
            analyser: Callable = import_module(MODULES[fmt]).analyse
            parsed = analyser(file_sides, emitter, context)
        except Exception as exc:  # noqa: BLE001 - a parser bug must never take the assessment down
            parsed_note = f"the {fmt} analyser failed ({type(exc).__name__}), so line rules judged this file"
            outcome.notes[diff.path] = (fmt, parsed_note)
            _unread(file_sides, rules, fmt, f"the {fmt} analyser failed on it ({type(exc).__name__})", "change", outcome)
            continue
        if parsed.unread:
            _unread(file_sides, rules, fmt, parsed.note.split(", so ")[0], parsed.unread, outcome)
        if parsed.ok:
            outcome.parsed[diff.path] = fmt
            outcome.findings.extend(emitter.findings)
        else:
            if parsed.note:
                outcome.notes[diff.path] = (fmt, parsed.note)
            if parsed.keep:
                outcome.findings.extend(emitter.findings)
    return outcome


# What each analyser checks, for the finding that says they did not run.
CHECKS = {
    "terraform": "replacement, removal, renames, IAM policies and open ingress",
    "kubernetes": "immutable fields, RBAC, privileges and probes",
    "helm-values": "chart defaults and removed values",
    "helm-template": "selectors and immutable fields",
    "actions": "triggers, permissions, secrets and pinned actions",
    "sql": "dropped, renamed and retyped columns",
    "iam-json": "policy statements",
    "go": "routes, wire formats and error handling",
}


def _unread(sides: FileSides, rules: RuleSet, fmt: str, why: str, when: str, outcome: Outcome) -> None:
    """Fail closed: a file the structure checks could not read is not passed as if they had run. High
    when this change made it unreadable (the way to slip a hazard past the checks); medium when its old
    side did not read either (a legacy file the checks never covered: a senior still reads it). A
    file's role lowers it further as for every finding (an example: medium)."""
    from reviewer_app.core.risk.structure.base import Emitter

    emitter = Emitter(sides, rules)
    checks = CHECKS.get(fmt, "its structure checks")
    before = when == "before"
    emitter.emit("STRUCTURE-UNREAD", "new" if sides.new.exists else "old", 0,
                 f"Reviewer could not read this file: {why}. Its checks ({checks}) did not run, so nothing "
                 "they would have found is reported; read the changed blocks yourself (the tool that applies "
                 "the file may accept what the parser did not)."
                 + (" Medium, not high: the file did not read before this change either, so the change did not make "
                    "it unreadable." if before else ""),
                 severity="medium" if before else None)
    outcome.findings.extend(emitter.findings)
