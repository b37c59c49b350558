"""Breaking changes to what no release contains: such findings are medium, not high.

Some findings say that a change breaks what an existing installation runs: a Terraform argument
that forces the replacement of a live resource, a StatefulSet selector Kubernetes refuses to
update, a renamed column, a removed HTTP route, a chart value dropped. The hazard is in the step
from the old version to the new one, so it exists only where the old version was installed. In a
repository that releases by tag, what no release contains was installed by nobody: renaming a
resource in a module's fifth commit, or editing a migration written since the last release, breaks
no one. Readers judged such flags borderline or noise on real history (docs/risk-evaluation.md).

When it applies (everything else keeps its severity, so an unreadable history never lowers):
  * the change comes from a repository with its full history (not a patch, not a shallow clone)
    whose base commit is known;
  * the nearest tag reachable from the base (``git describe --tags``: the fewest commits away) does
    not contain the file the finding is on. Only tags in the base's own history count: the base is
    the reviewed branch, while a tag elsewhere (on the change's own commit, dated as anyone likes) is
    whatever its pusher wanted, so "no tag before the base, hence nothing released" is not concluded;
    a tag pushed later on an old commit of the base's history moves the answer only for a file that
    was released, deleted and added again since;
  * for migration findings (``DB-*``), the migration itself is edited: a new migration that renames
    a released column is a change to a released schema, whichever file it sits in;
  * the rule keeps its built-in severity: a team's override of the rule's severity wins;
  * the team has not said it deploys untagged commits (``[releases] by_tag = false`` in a file of
    ``.reviewer/rules/``, loader.py), where a tag says nothing about what is installed.

Finer than a file (``release_to_compare`` and ``release_lacks``, asked by the analysers, which know
what a finding is about): a file that a release contains can still hold a thing no release had. A
Terraform resource added to a released main.tf after the release and removed or renamed before the
next one is in no state; a column that a migration written since the release added and a later one
drops is in no database. The analyser asks whether the nearest release (as above) holds the thing: a
git grep at the release's tag for its declaration (a resource header in the module's folder, and no
`moved` block of the change leading into it; the column's or table's name anywhere in the release's
tree, with or without underscores or an ``_id`` ending). Only a grep that ran and found nothing
lowers; a tag that names it, a failing git, no tag in the base's history keep the severity.

A Helm chart's value (``chart_releases``, ``chart_release_lacks``): a chart repository often publishes each chart
version it merges without a tag, so the commit that set the chart's current Chart.yaml version counts as a release
beside the nearest tag. A key removed from values.yaml that each of them was read without (no such key in its
values.yaml, no template reading ``.Values.<key>``) was set by no install.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.model import Change, FileDiff, FileStatus
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.rules import SEVERITY_RANK, RuleSet
from reviewer_app.errors import UserError

# Findings about the step from the old version to the new one: harmless where nobody installed the old.
BREAKING_RULES = frozenset({
    "TF-FORCES-REPLACEMENT", "TF-RENAME-WITHOUT-MOVED", "INFRA-TF-RESOURCE-REMOVED",
    "K8S-IMMUTABLE-FIELD", "K8S-ENV-RENAMED", "HELM-VALUES-BREAKING",
    "DB-RENAME", "DB-DROP-COLUMN", "DB-DROP-TABLE",
    "GO-HTTP-ROUTE-REMOVED",
})
MIGRATION_PREFIX = "DB-"
CAP = "medium"




def lower_unreleased(findings: dict[str, Finding], change: Change, rules: RuleSet) -> None:
    """Cap the breaking findings on files no release contains at medium, in place, saying why."""
    cap = SEVERITY_RANK[CAP]
    candidates = [(key, finding) for key, finding in findings.items()
                  if finding.rule in BREAKING_RULES and SEVERITY_RANK[finding.severity] > cap
                  and _built_in(rules, finding.rule)]
    if not candidates or not change.base or not rules.releases_by_tag:
        return
    from reviewer_app.core.risk.structure.texts import repository_for  # only with a finding to judge

    repo = repository_for(change.base, change.head)
    if repo is None:
        return
    release = nearest_release(repo, change.base)
    if release is None:
        return  # no history to read, or no release in the base's history: cannot tell
    diffs = {diff.path: diff for diff in change.files}
    present: dict[str, bool] = {}
    for key, finding in candidates:
        diff = diffs.get(finding.path) or next(
            (d for d in change.files if finding.path in (d.old_path, d.new_path)), None)
        reason = _why_unreleased(repo, release, finding, diff, present)
        if reason:
            findings[key] = dataclasses.replace(finding, severity=CAP, message=lowered_message(finding.message, reason))


def release_to_compare(change: Change, rules: RuleSet, rule_id: str,
                       memo: dict | None = None) -> tuple[Path, str] | None:
    """(repository, nearest release tag in the base's history) when a ``rule_id`` finding of this change may be
    lowered by what that release lacks; None when the rule is not a breaking one, the team overrides
    its severity or deploys untagged commits, or the history cannot tell (no repository, no tag)."""
    if rule_id not in BREAKING_RULES or not change.base or not rules.releases_by_tag or not _built_in(rules, rule_id):
        return None
    from reviewer_app.core.risk.structure.texts import repository_for

    repo = repository_for(change.base, change.head)
    if repo is None:
        return None
    memo = {} if memo is None else memo
    key = (str(repo), change.base)
    if key not in memo:
        memo[key] = nearest_release(repo, change.base)
    release = memo[key]
    return (repo, release) if release else None


def _grep(repo: Path, revision: str, pattern: str, pathspecs: tuple[str, ...] = (),
          ignore_case: bool = False) -> bool | None:
    """Whether ``git grep -E pattern`` at ``revision`` matched a line of ``pathspecs`` (every file when empty):
    True or False when git answered, None when it failed (the callers then fail closed)."""
    args = ["grep", "-q", "-I", "-E", *(["-i"] if ignore_case else []), "-e", pattern, revision]
    if pathspecs:
        args += ["--", *pathspecs]
    try:
        proc = run_git(repo, *args, check=False, timeout=60)
    except (UserError, OSError):
        return None
    if proc.returncode == 0:
        return True
    return False if proc.returncode == 1 and not proc.stderr.strip() else None


def release_lacks(repo: Path, revision: str, pattern: str, pathspecs: tuple[str, ...] = (),
                  ignore_case: bool = False) -> bool:
    """True only when the grep at ``revision`` (a tag or a commit) ran and matched nothing; False on a match and
    whenever git fails (fail closed)."""
    return _grep(repo, revision, pattern, pathspecs, ignore_case) is False


def revision_names(repo: Path, revision: str, pattern: str, ignore_case: bool = False) -> bool:
    """True only when the grep at ``revision`` ran and matched a line; False on no match and whenever git fails
    (the question "was it added since the release" must be answered, not assumed)."""
    return _grep(repo, revision, pattern, ignore_case=ignore_case) is True


def added_since(repo: Path, release: str, base: str, pattern: str, pathspecs: tuple[str, ...] = (),
                ignore_case: bool = False) -> bool:
    """True only when ``pattern`` is new since the release tag ``release``: no file of the release (of ``pathspecs``,
    when given) matches it and the tree at ``base`` does. A grep that failed, or a name neither holds (a table made
    by hand, history a squash removed), is not "added since": the finding keeps its severity."""
    return release_lacks(repo, f"refs/tags/{release}", pattern, pathspecs, ignore_case) \
        and revision_names(repo, base, pattern, ignore_case)


def file_in_release(repo: Path, release: str, path: str) -> bool:
    """Whether the release holds ``path`` (True when git cannot tell: the finer questions are then asked)."""
    try:
        proc = run_git(repo, "ls-tree", "--full-tree", "--name-only", f"refs/tags/{release}", "--", path, check=False, timeout=30)
    except (UserError, OSError):
        return True
    return proc.returncode != 0 or bool(proc.stdout.strip())


def ere_literal(text: str) -> str:
    """``text`` as a POSIX extended regular expression (for ``git grep -E``) matching it literally."""
    import re

    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def lowered_message(message: str, reason: str) -> str:
    """A breaking finding's message once lowered because no release holds what it breaks."""
    return (f"{message} Lowered to {CAP}: {reason}, so no installation runs the old version this change breaks "
            "(a team that deploys untagged commits says so with [releases] by_tag = false).")


def nearest_release(repo: Path, base: str) -> str | None:
    """The nearest tag in ``base``'s history; None when there is none or it cannot be read (a shallow
    clone, a base the repository lacks, git failing)."""
    try:
        shallow = _git(repo, "rev-parse", "--is-shallow-repository")
        if shallow is None or shallow.strip() != "false":
            return None
        nearest = _git(repo, "describe", "--tags", "--abbrev=0", f"{base}^{{commit}}")
    except (UserError, OSError):
        return None
    return (nearest or "").strip() or None


def _why_unreleased(repo: Path, release: str, finding: Finding, diff: FileDiff | None,
                    present: dict[str, bool]) -> str:
    if diff is None or diff.status is FileStatus.ADDED or not diff.old_path:
        return ""  # the old version lives in another file (or is unknown): cannot tell
    if finding.rule.startswith(MIGRATION_PREFIX) and diff.status is not FileStatus.MODIFIED:
        return ""
    path = diff.old_path
    if path not in present:
        present[path] = _git(repo, "cat-file", "-e", f"refs/tags/{release}:{path}") is not None
    if present[path]:
        return ""
    return f"{path} is in no release yet (the nearest release before this change, {release}, does not contain it)"


def _built_in(rules: RuleSet, rule_id: str) -> bool:
    rule = rules.by_id(rule_id)
    return rule is None or rule.origin == "built-in"


def _git(repo: Path, *args: str) -> str | None:
    proc = run_git(repo, *args, check=False, timeout=30)
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None


def chart_releases(change: Change, rules: RuleSet, chart: str, memo: dict | None = None) -> list[tuple[str, str]] | None:
    """The released states of a Helm chart before a change, as (revision, how it is named): the nearest tag in the
    base's history (as ``release_to_compare``), and the commit that set the chart's current Chart.yaml version (a
    chart repository publishes each version it merges). None when neither can be read or the rule's severity is the
    team's own (fail closed)."""
    found = release_to_compare(change, rules, "HELM-VALUES-BREAKING", memo)
    if not change.base or not rules.releases_by_tag or not _built_in(rules, "HELM-VALUES-BREAKING"):
        return None
    from reviewer_app.core.risk.structure.texts import repository_for

    repo = repository_for(change.base, change.head)
    if repo is None:
        return None
    out = [(f"refs/tags/{found[1]}", f"release {found[1]}")] if found else []
    versioned = _chart_version_commit(repo, change.base, f"{chart}/Chart.yaml" if chart else "Chart.yaml")
    if versioned is not None:
        out.append(versioned)
    return out or None


def _chart_version(text: str | None) -> str | None:
    import re

    match = re.search(r"^version\s*:\s*[\"']?([^\s\"'#]+)", text or "", re.MULTILINE)
    return match.group(1) if match else None


def _chart_version_commit(repo: Path, base: str, chart_yaml: str) -> tuple[str, str] | None:
    """(commit, name) of the oldest commit of the base's history whose Chart.yaml holds the base's chart version, walking
    back through the commits that touched it while the version stays the same; None when it cannot be read (a shallow
    clone, no Chart.yaml, more than 100 commits with one version)."""
    try:
        shallow = _git(repo, "rev-parse", "--is-shallow-repository")
        if shallow is None or shallow.strip() != "false":
            return None
        version = _chart_version(_git(repo, "show", f"{base}:{chart_yaml}"))
        listed = _git(repo, "log", "--format=%H", "-n", "101", base, "--", chart_yaml)
        if version is None or listed is None:
            return None
        commits = listed.split()
        for index, commit in enumerate(commits[:100]):
            parent = commits[index + 1] if index + 1 < len(commits) else None
            if parent is None or _chart_version(_git(repo, "show", f"{parent}:{chart_yaml}")) != version:
                return commit, f"chart version {version} (set by commit {commit[:10]})"
    except (UserError, OSError):
        return None
    return None


def chart_release_lacks(repo: Path, releases: list[tuple[str, str]], values_file: str, templates: str,
                        path: tuple[str, ...]) -> str | None:
    """The name of a chart release when none of ``releases`` holds the value ``path``: each release's values file read
    and parsed without the key, and its templates not reading ``.Values.<path>``. None when one holds it or cannot be
    read (fail closed)."""
    import re

    import yaml

    dotted = r"\.".join(re.escape(p) for p in path)
    for revision, _ in releases:
        try:
            text = _git(repo, "show", f"{revision}:{values_file}")
            values = yaml.safe_load(text) if text is not None else None
        except (UserError, OSError, yaml.YAMLError):
            return None
        if not isinstance(values, dict):
            return None
        node: object = values
        for key in path:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            return None  # the release holds the key
        if not release_lacks(repo, revision, rf"\.Values\.{dotted}([^A-Za-z0-9_-]|$)", (templates,)):
            return None  # its templates read it (or git failed)
    return " and ".join(name for _, name in releases) if releases else None
