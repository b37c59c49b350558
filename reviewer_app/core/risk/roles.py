"""File roles: documentation, examples, tests, vendored and generated code, files deleted whole.

The same line means different things in different files: ``terraform destroy -auto-approve`` in
an example README is instructions for a reader, in ``ops/rebuild.sh`` it is a command that runs.
A role lowers a finding's severity (never below the rule's ``role_floor``, never for a rule meant
for that role) and the finding's message says why, so a reviewer can disagree.

Roles are decided from what cannot be used to hide a deployed file:
- a path that configures how code is built, reviewed or deployed (``.github/``, ``.reviewer/``,
  CI files, agent instructions) never has a role, whatever its name or extension;
- documentation is a documentation *format* (Markdown, reStructuredText, AsciiDoc, README/CHANGELOG
  text), not any file under ``docs/``: a script under ``docs/`` still runs;
- tests are *source code* under a test folder or named as a test: YAML, Terraform, SQL or shell
  in a ``tests/`` folder may be deployed (Helm chart tests, test clusters), so it keeps its severity;
- generated code is a generated *name* (lockfiles, ``*.pb.go``, ``zz_generated*``) or a
  ``Code generated ... DO NOT EDIT`` header that was already in the file: a change that adds the
  header to a file does not make that file generated. A Terraform wrapper module (``module
  "wrapper"`` over ``var.items`` in a ``wrappers/`` folder, the shape pre-commit-terraform's
  wrapper hook writes) carries no header; it counts as generated only when every argument the
  change writes forwards the input of the same name (``x = try(each.value.x, var.defaults.x, …)``),
  so a value typed into the wrapper by hand keeps its severity.

A file added whole is a role of its own for a few posture rules (``NEW_COMPONENT_RULES``): what a
new object may do or is granted changes nothing that runs today, so those findings are capped at
medium, with the reason (``lower_new_components``, applied where line and structured findings meet).
"""

from __future__ import annotations

import re
from dataclasses import replace

from reviewer_app.core.lazyregex import lazy_compile  # most analyses never need a file's role
from reviewer_app.core.model import Change, FileDiff, FileStatus, LineKind
from reviewer_app.core.records import FrozenRecord
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.rules import SEVERITIES, SEVERITY_RANK


# Paths that steer the build, the review or the deployment: never a role.
_NEVER_ROLE = lazy_compile(
    r"(^|/)(\.github|\.gitlab|\.circleci|\.buildkite|\.reviewer|\.claude|\.cursor|\.gemini|\.kiro|\.amazonq|\.codex)/"
    r"|(^|/)(\.gitlab-ci\.yml|Jenkinsfile|azure-pipelines[^/]*\.ya?ml|CODEOWNERS|CLAUDE\.md|AGENTS\.md|GEMINI\.md"
    r"|\.cursorrules|\.windsurfrules|\.clinerules|\.mcp\.json|Dockerfile[^/]*|Makefile|action\.ya?ml)$"
)
# Documentation formats. Not MDX (its JSX runs when the site builds), and a README or CHANGELOG
# only as plain text: README.sh is a script. A document's template (helm-docs renders README.md
# from README.md.gotmpl; Jinja and ERB templates of docs) is documentation too; not .tpl, which a
# Helm chart's templates/ folder renders into the cluster.
_DOC_FORMAT = lazy_compile(
    r"\.(md|markdown|rst|adoc|asciidoc)(\.(gotmpl|tmpl|j2|jinja2?|mustache|erb|in))?$"
    r"|(^|/)(README|CHANGELOG|CHANGES|HISTORY|NEWS)(\.txt)?$", re.IGNORECASE)
# A chart's templates/NOTES.txt: rendered, but only printed to whoever ran helm install or upgrade.
_HELM_NOTES = lazy_compile(r"(^|/)templates/NOTES\.txt$")
_EXAMPLE = lazy_compile(r"(^|/)(examples?|example[-_][^/]*|samples?)/", re.IGNORECASE)
_JVM_SOURCE_ROOT = lazy_compile(r"(^|/)src/(main|test|it|integrationTest)/(java|kotlin|scala|groovy)/")
_CODE = lazy_compile(r"\.(py|go|js|jsx|mjs|cjs|ts|tsx|java|kt|kts|rb|rs|cs|php|scala|swift|c|cc|cpp|h|hpp|m|ex|exs|clj|groovy)$")
_TEST = lazy_compile(
    r"(^|/)(tests?|unittests?|__tests__|spec|specs|testing|testdata|test_data|fixtures)/"
    r"|(^|/)(test_[^/]*\.py|tests\.py|[^/]*_test\.(py|go|rs|rb|exs)|[^/]*\.(test|spec)\.[jt]sx?|[^/]*Tests?\.(java|kt|cs|scala)|conftest\.py)$"
)
# helm-unittest suites: YAML test specs beside a chart's templates, never rendered into the cluster
# (a chart's templates/tests/ hooks are rendered, and keep their severity). In a ``unittests/``
# folder every YAML file is a suite or its values (``deployment-test.yaml``, ``values-ha.yaml``);
# one under a ``templates/`` folder is rendered whatever its folder's name.
_CHART_UNITTEST = lazy_compile(r"^(?!(.*/)?templates/)(.*/)?unittests?/([^/]+/)*[^/]*\.ya?ml$")
_VENDORED = lazy_compile(r"(^|/)(vendor|third_party|third-party|node_modules|bower_components|external/[^/]+/src)/")
_GENERATED_NAME = lazy_compile(
    r"(^|/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|uv\.lock|Pipfile\.lock"
    r"|Cargo\.lock|go\.sum|Gemfile\.lock|composer\.lock|\.terraform\.lock\.hcl|bun\.lockb)$"
    r"|\.pb\.go$|_pb2(_grpc)?\.pyi?$|\.pb\.(cc|h)$|(^|/)zz_generated[^/]*$|\.generated\.[a-z]+$|\.min\.(js|css)$"
)
# The last: the runtime a webpack (or ncc) bundle opens with, `/******/ (() => { // webpackBootstrap`.
_GENERATED_HEADER = lazy_compile(r"(Code generated .* DO NOT EDIT|@generated\b|autogenerated file\b|DO NOT EDIT[.!]? *(This|this) file"
                                 r"|^/\*{6}/ .*// webpackBootstrap\b)")
# A Terraform module wrapper as pre-commit-terraform's wrapper hook writes it.
_WRAPPER_PATH = lazy_compile(r"(^|/)wrappers/([^/]+/)*[^/]+\.tf$")
_WRAPPER_BLOCK = lazy_compile(r'^module\s+"wrapper"\s*\{')
_WRAPPER_FORWARD = lazy_compile(r"^  (\w+)\s*=\s*try\(each\.value\.(\w+),\s*var\.defaults\.(\w+)\b")
_WRAPPER_FIXED = lazy_compile(r"^  (source\s*=\s*\"[^\"]*\"|for_each\s*=\s*var\.items)\s*$")
_WRAPPER_ARGUMENT = lazy_compile(r"^  \w+\s*=")
_TOP_LEVEL_BLOCK = lazy_compile(r"^[A-Za-z_]\w*(\s+\"[^\"]*\")*\s*\{")
HEADER_LINES = 8  # a generator's header is at the top of the file
MINIFIED_LINE = 2000  # characters: a line this long in code is machine-written

# How many severity steps a role takes off. Vendored and generated code is compiled and shipped,
# so it loses one step only; documentation and examples are read, not run.
LOWERING = {"documentation": 2, "example": 1, "test": 1, "vendored": 1, "generated": 1}
# The most a role leaves: an example is copied and adapted by a reader, never run by an existing
# install, so a critical posture in it (a public database, an open port, every IAM action) is worth a
# look at medium, as in documentation, not the high that one step leaves. A rule's role_floor (a
# committed secret is leaked wherever it sits) still wins.
ROLE_CAP = {"example": "medium"}


class FileRole(FrozenRecord):
    """What a file is for, when it is not ordinary code, and how that was decided."""

    FIELDS = ("name", "because")

    def __init__(self, name: str, because: str) -> None:
        self.name = name  # documentation | example | test | vendored | generated
        self.because = because  # how the role was decided, for the finding's message

    def lower(self, severity: str, floor: str) -> str:
        """``severity`` lowered by the role's steps and held at its cap (ROLE_CAP), never below ``floor`` nor
        above ``severity``."""
        rank = SEVERITY_RANK[severity]
        lowered = rank - LOWERING[self.name]
        if self.name in ROLE_CAP:
            lowered = min(lowered, SEVERITY_RANK[ROLE_CAP[self.name]])
        return SEVERITIES[min(rank, max(lowered, SEVERITY_RANK[floor]))]


def role_of(diff: FileDiff) -> FileRole | None:
    """The role of the file a diff touches (None: ordinary code or configuration)."""
    paths = [p for p in (diff.new_path, diff.old_path) if p]
    if not paths or any(_NEVER_ROLE.search(p) for p in paths):
        return None
    path = diff.new_path or diff.old_path or ""
    name = path.rsplit("/", 1)[-1]
    # A role must hold for every name the file has: renaming a script to README.md hides nothing.
    if all(_GENERATED_NAME.search(p) for p in paths):
        return FileRole("generated", f"{name} is a generated file")
    if _generated_header(diff):
        return FileRole("generated", f"{name} carries a generated-code header")
    if all(_WRAPPER_PATH.search(p) for p in paths) and _generated_wrapper(diff):
        return FileRole("generated", f"{name} is a generated module wrapper (each argument forwards the input of "
                                     "the same name, as pre-commit-terraform's wrapper hook writes it)")
    if _CODE.search(path) and _minified(diff):
        return FileRole("generated", f"{name} is minified or bundled (lines of {MINIFIED_LINE:,}+ characters)")
    if all(_VENDORED.search(p) for p in paths):
        return FileRole("vendored", f"{name} is vendored third-party code")
    if all(_DOC_FORMAT.search(p) for p in paths):
        return FileRole("documentation", f"{name} is documentation")
    if all(_HELM_NOTES.search(p) for p in paths):
        return FileRole("documentation", f"{name} is the text Helm prints to the user after an install or upgrade "
                                         "(documentation: nothing in it is applied to the cluster)")
    if all(_is_example(p) for p in paths):
        return FileRole("example", f"{name} is an example")
    if all(_TEST.search(p) and _CODE.search(p) or _CHART_UNITTEST.search(p) for p in paths):
        return FileRole("test", f"{name} is test code")
    return None


def _is_example(path: str) -> bool:
    """An examples folder, not a JVM package named ``example`` (``src/main/java/com/example/``: the
    default group of Maven and Spring projects, as deployed as any other package)."""
    match = _EXAMPLE.search(path)
    if match is None:
        return False
    package_root = _JVM_SOURCE_ROOT.search(path)
    return package_root is None or match.start() < package_root.start()


def _minified(diff: FileDiff) -> bool:
    """Code whose lines on both sides run to thousands of characters is a build's output (a
    bundled UI, a minified library): nobody writes or reviews it line by line."""
    sides = {LineKind.ADDED: False, LineKind.REMOVED: False, LineKind.CONTEXT: False}
    for hunk in diff.hunks:
        for line in hunk.lines:
            if len(line.text) >= MINIFIED_LINE:
                sides[line.kind] = True
    # Every side the diff shows has such a line: a long line pasted into hand-written code is not enough.
    shown = {line.kind for hunk in diff.hunks for line in hunk.lines}
    return bool(shown) and all(sides[kind] for kind in shown if kind is not LineKind.CONTEXT)


def _generated_wrapper(diff: FileDiff) -> bool:
    """A ``module "wrapper"`` block (shown, or named by a hunk's section) whose every argument the
    change adds forwards the input of the same name, and no other top-level block added."""
    if not any(_WRAPPER_BLOCK.search(hunk.section.strip()) for hunk in diff.hunks) and not any(
            _WRAPPER_BLOCK.search(line.text) for hunk in diff.hunks for line in hunk.lines):
        return False
    forwards = 0
    for hunk in diff.hunks:
        for line in hunk.lines:
            if line.kind is not LineKind.ADDED:
                continue
            text = line.text.rstrip()
            if _TOP_LEVEL_BLOCK.search(text) and not _WRAPPER_BLOCK.search(text):
                return False
            forward = _WRAPPER_FORWARD.search(text)
            if forward:
                if not forward.group(1) == forward.group(2) == forward.group(3):
                    return False
                forwards += 1
            elif _WRAPPER_ARGUMENT.search(text) and not _WRAPPER_FIXED.search(text):
                return False
    return forwards > 0


def _generated_header(diff: FileDiff) -> bool:
    """A generator's header among the first lines, on a line the change did not write."""
    for hunk in diff.hunks:
        if hunk.new_start > HEADER_LINES:
            break
        for line in hunk.lines:
            if line.kind is LineKind.CONTEXT and line.new_no is not None and line.new_no <= HEADER_LINES:
                if _GENERATED_HEADER.search(line.text):
                    return True
    first = min((h.old_start for h in diff.hunks), default=0)
    if diff.status is FileStatus.MODIFIED and first > 1 and first == min(h.new_start for h in diff.hunks):
        # The lines above the first hunk are the old file's, unchanged, and the diff may show none of them (a bundle
        # rebuilt below its runtime): read them from the old blob.
        return any(_GENERATED_HEADER.search(text) for text in _old_head(diff, min(HEADER_LINES, first - 1)))
    return False


def _old_head(diff: FileDiff, count: int) -> list[str]:
    """The first ``count`` lines of the file's old side, read from its blob whatever its size (a bundle runs to
    megabytes); [] when no repository of the change holds it."""
    from reviewer_app.core.risk.structure import texts

    blob = diff.old_blob or ""
    if not texts.FULL_BLOB_ID.match(blob):
        return []
    for repo in texts.known_repositories():
        shown = texts.git_output(repo, "cat-file", "blob", blob)
        if shown is not None:
            return shown[:64 * 1024].decode("utf-8", "replace").split("\n")[:count]
    return []


def deleted_whole(diff: FileDiff) -> bool:
    """The file is deleted: what its removed lines protected went with it."""
    return diff.status is FileStatus.DELETED


# -- New components -----------------------------------------------------------------------------
# A file added whole holds only objects that did not exist before: a posture finding on it (what a
# new workload may do on its node, what a new role grants, what a new chart's values default to)
# changes nothing that runs today. It is capped at medium, with the reason, so the file is still
# reviewed as the new component it is. The rules are named one by one:
#   * in: K8S-PRIVILEGED, K8S-RBAC-WIDENED, K8S-RBAC-WILDCARD (unless the grant is
#     cluster-admin-equivalent), HELM-DEFAULT-WEAKENED;
#   * out, though they can fire on a new file: committed secrets, scripts piped from the network,
#     TLS verification turned off in code, GitHub Actions triggers, permissions and auto-approval,
#     destructive commands and migrations (all act the moment the change merges or its job runs);
#     K8S-NETWORK-POLICY-ADDED (a new policy selects pods that run today and cuts their traffic);
#     K8S-POD-SECURITY-RELAXED (Jsonnet workloads keep it; the Jsonnet analyser lowers a new
#     PodSecurityPolicy itself: a policy admits pods, it runs none);
#   * out because they compare an object with its old self (immutable fields, probes, selectors,
#     removed values): on a file added whole they fire only when the object came from elsewhere.
# Not new after all: a file whose lines are mostly removed elsewhere in the change (moved with
# edits: its objects run today), and a chart added beside one the change deprecates (its
# successor: the old chart's installs are told to move to it with its defaults).
NEW_COMPONENT_RULES = frozenset({"K8S-PRIVILEGED", "K8S-RBAC-WIDENED", "K8S-RBAC-WILDCARD", "HELM-DEFAULT-WEAKENED"})
NEW_COMPONENT_CAP = "medium"
MOVED_SHARE = 0.5  # of the added file's lines found among the change's removed lines: moved, not new
_WILDCARD_GRANT = lazy_compile(r"\((?P<verb>[\w*-]+) on (?P<resource>[\w*./-]+)(?: in (?P<group>[\w*.-]+))?\)")
_CORE_GROUPS = ("", "*", "core")
# API groups whose every verb on every resource controls workloads (a pod runs as any service
# account), access (roles, bindings, admission webhooks) or the API itself (CRDs, certificates).
_CONTROL_GROUPS = ("apps", "batch", "extensions", "policy", "rbac.authorization.k8s.io", "admissionregistration.k8s.io",
                   "apiextensions.k8s.io", "certificates.k8s.io", "authentication.k8s.io", "authorization.k8s.io")
_DEPRECATED = lazy_compile(r"^\s*deprecated\s*:\s*[\"']?true")
_CHART_FILE = "Chart.yaml"


def new_component(diff: FileDiff, change: Change | None) -> str | None:
    """Why the file holds only new components (for the finding's message), or None."""
    if diff.status is not FileStatus.ADDED or not diff.new_path:
        return None
    if change is not None and _moved_here(diff, change):
        return None
    chart = _new_chart(diff.new_path, change)
    if chart is not None:
        if _chart_deprecated(change):
            return None  # a successor chart: installs of the deprecated one move to it as it is
        return f"new chart {chart} (its {_CHART_FILE} is added)"
    return f"new file {diff.new_path.rsplit('/', 1)[-1]} (added whole)"


def lower_new_components(findings: dict[str, Finding], change: Change) -> None:
    """Cap the posture findings of files added whole at medium, in place (see NEW_COMPONENT_RULES)."""
    cap = SEVERITY_RANK[NEW_COMPONENT_CAP]
    candidates = [(key, f) for key, f in findings.items()
                  if f.rule in NEW_COMPONENT_RULES and SEVERITY_RANK[f.severity] > cap and not _admin_equivalent(f)]
    if not candidates:
        return
    added = {diff.new_path: diff for diff in change.files if diff.status is FileStatus.ADDED and diff.new_path}
    why: dict[str, str | None] = {}
    for key, finding in candidates:
        diff = added.get(finding.path)
        if diff is None:
            continue
        if finding.path not in why:
            why[finding.path] = new_component(diff, change)
        reason = why[finding.path]
        if reason is None:
            continue
        findings[key] = replace(finding, severity=NEW_COMPONENT_CAP, message=(
            f"{finding.message} Lowered to {NEW_COMPONENT_CAP}: {reason}: nothing running changes; review it as a "
            "new component."))


def _admin_equivalent(finding: Finding) -> bool:
    """A wildcard grant worth as much as cluster-admin stays as it is, new or not: every resource of
    Kubernetes' core group or of every group (secrets, pods/exec, service-account tokens), every verb on
    every resource of a group that controls workloads or access, every verb on secrets, or cluster-admin
    bound. Every verb on an aggregated read-only API (metrics.k8s.io) or on a plugin's group is not. A
    wildcard finding whose grant cannot be read from its message counts as one (fail closed)."""
    if finding.rule != "K8S-RBAC-WILDCARD":
        return False
    match = _WILDCARD_GRANT.search(finding.message)
    if match is None:
        return True
    verb, resource, group = match.group("verb"), match.group("resource"), match.group("group") or ""
    if resource == "*":
        return group in _CORE_GROUPS or (verb == "*" and group in _CONTROL_GROUPS)
    return resource == "secrets" and group in _CORE_GROUPS and verb == "*"


def _moved_here(diff: FileDiff, change: Change) -> bool:
    """Most of the added file's lines are removed elsewhere in the change: moved with edits."""
    if not any(other.status is FileStatus.DELETED or other.removed for other in change.files if other is not diff):
        return False
    lines = [" ".join(line.text.split()) for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.ADDED]
    lines = [text for text in lines if len(text) > 3]
    if not lines:
        return False
    removed = {" ".join(line.text.split()) for other in change.files if other is not diff for hunk in other.hunks
               for line in hunk.lines if line.kind is LineKind.REMOVED}
    return sum(1 for text in lines if text in removed) >= MOVED_SHARE * len(lines)


def _new_chart(path: str, change: Change | None) -> str | None:
    """The folder of the Helm chart holding ``path`` when the change adds that chart's Chart.yaml."""
    if change is None:
        return None
    charts = {diff.new_path.rsplit("/", 1)[0] if "/" in diff.new_path else "" for diff in change.files
              if diff.status is FileStatus.ADDED and diff.new_path and diff.new_path.rsplit("/", 1)[-1] == _CHART_FILE}
    folder = path
    while "/" in folder:
        folder = folder.rsplit("/", 1)[0]
        if folder in charts:
            return folder
    return "." if "" in charts else None


def _chart_deprecated(change: Change | None) -> bool:
    """A Chart.yaml the change keeps gains ``deprecated: true``."""
    return change is not None and any(
        diff.status is not FileStatus.ADDED and (diff.new_path or "").rsplit("/", 1)[-1] == _CHART_FILE
        and any(line.kind is LineKind.ADDED and _DEPRECATED.search(line.text) for hunk in diff.hunks for line in hunk.lines)
        for diff in change.files)
