"""GitHub Actions workflows by structure: triggers, token permissions per job, secrets, actions used.

Judged on the new side against the old one:
  * triggers that run with the base repository's secrets on events a fork controls
    (``pull_request_target``, ``workflow_run``): high when a job runs the fork's code or pastes
    its text into a script, medium when the workflow only reads the event's data (a title check,
    a labeler). With a checkout of the pull request's head it is the "pwn request" and critical;
    a comment-triggered job fetching the head is the same;
  * a job anyone can start with a comment or an issue that holds a stored secret, its condition
    checking nobody's association or login (high, on the condition's line);
  * the token's effective permissions per job (the job's own, else the workflow's): a scope
    that becomes ``write`` (``write-all``, ``secrets: inherit`` critical). ``permissions: {}``
    grants nothing and a workflow deleted whole grants nothing: neither is a widening. A write
    scope no untrusted code reaches (the job runs only on events people with write access cause,
    or on an outsider's event without running anything of theirs) is medium: publishing needs it.
    A job's `if:` limits its events when every `||` alternative names them
    (``(event_name == 'push' && ref == main) || (event_name == 'push' && ref == master)`` is push).
    A job renamed with its steps kept is the job it was: a scope that moves with it widens nothing;
  * secrets handed to a job that runs code from a fork;
  * an event test removed from a publishing step (``push: ${{ github.event_name != 'pull_request' }}``):
    pull-request builds reach the step, or, where the job runs only on push, the step's
    publishing changes on every run;
  * third-party actions moved from a pinned commit SHA to a tag or branch, or added unpinned.
    A tag bumped to another tag (a bot's version bump) is not a finding, nor a use the job already
    had by the same ref (unchanged context); a mistyped pin (hex, not 40 digits) is medium;
  * automatic approval or merge of dependency pull requests (a new one is high);
  * a script downloaded and piped into a shell, rated by what it reaches and saying what that is:
    high where the job references a stored secret (its own or the workflow's env), holds a write
    scope or `id-token: write`, a deployment environment, a publishing step, a runner that may be
    self-hosted, or leaves artifacts or caches for a privileged job of the workflow; medium where a
    `permissions:` block makes its token read-only (`checks`/`statuses: write` only post results)
    and it holds none of these. No block at all is the repository's default token, maybe read-write:
    high, unless the URL names a release and the job holds nothing else (medium, saying so).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any, Iterator

from reviewer_app.core.risk.rules import SEVERITY_RANK
from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed, in_scope
from reviewer_app.core.risk.structure.splitting import split_top_level
from reviewer_app.core.risk.structure.texts import FileSides
from reviewer_app.core.risk.structure.yamldoc import Map, Seq, load_all

PRIVILEGED_TRIGGERS = ("pull_request_target", "workflow_run")
SHA = re.compile(r"^[0-9a-f]{40}$")
PR_HEAD = re.compile(r"github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|refs/pull/|github\.event\.workflow_run\.head_(sha|branch)")
RUN_CHECKOUT = re.compile(r"\bgh\s+pr\s+checkout\b|\bgit\s+(fetch|checkout)\b[^\n]*(\$\{\{\s*github\.(event\.pull_request\.head|head_ref)|refs/pull/)")
AUTO_MERGE_RUN = re.compile(r"\bgh\s+pr\s+(merge\b[^\n]*--auto|merge\b|review\b[^\n]*(--approve|-a\b))")
AUTO_MERGE_ACTIONS = re.compile(r"^(hmarr/auto-approve-action|ahmadnassri/action-dependabot-auto-merge|pascalgn/automerge-action|"
                                r"fastify/github-action-merge-dependabot|peter-evans/enable-pull-request-automerge|"
                                r"juliangruber/approve-pull-request-action|cognitedata/auto-approve-dependabot-action)", re.IGNORECASE)
REMOTE_SCRIPT = re.compile(r"\b(curl|wget)\b[^|\n]*\|[ \t]*(sudo[ \t]+(-\S+[ \t]+)*)?(ba|z|da)?sh\b"
                           r"|\b(ba)?sh[ \t]+(-c[ \t]+)?[\"']?(<\(|\$\()[ \t]*(curl|wget)\b"
                           r"|\biex[ \t]*\(?[^\n]*(DownloadString|Invoke-WebRequest|iwr)\b")
# A download URL that names a release (a version tag or a commit in its path): the publisher has to
# move that release to change what runs, unlike a bare installer URL that serves whatever is current.
VERSIONED_URL = re.compile(r"https?://\S*/(v?\d+\.\d+(\.\d+)?[\w.-]*|[0-9a-f]{40})/\S*")
HEXLIKE = re.compile(r"^[0-9a-f]{32,64}$")
BOT_AUTHORS = re.compile(r"dependabot|renovate|github-actions\[bot\]|\[bot\]", re.IGNORECASE)
CRITICAL_SCOPES = frozenset({"contents", "id-token", "packages", "actions", "deployments"})
# What a compromised step does with each of those scopes written (GitHub's token permissions).
SCOPE_REACH = {"contents": "push commits and tags to the repository and create or edit its releases",
               "packages": "publish or overwrite the repository's packages and images",
               "id-token": "mint an OIDC token for any cloud role that trusts this repository",
               "actions": "cancel, re-run or disable workflows and delete their artifacts and caches",
               "deployments": "create deployments and set their status",
               "*": "push code, publish packages and write every other scope of the repository"}
# Scopes the repository's permissive default token (read-write, the default before Feb 2023 and still
# set by many organisations) already holds as `write`; `id-token: write` is never part of a default.
DEFAULT_WRITE_SCOPES = frozenset({"actions", "attestations", "checks", "contents", "deployments", "discussions", "issues",
                                  "packages", "pages", "pull-requests", "repository-projects", "security-events",
                                  "statuses"})
# Events whose runs an outsider can cause (a fork's pull request, a comment): a token minted there
# is the outsider's.
OUTSIDER_EVENTS = frozenset({*PRIVILEGED_TRIGGERS, "issue_comment", "pull_request_review_comment", "discussion_comment", "issues"})
# Events anyone with a GitHub account can cause on a public repository by writing text (a comment,
# an issue, a review): the job runs the base repository's workflow with its secrets.
# (Reviews are left out: on a fork's pull request they run without secrets, like pull_request.)
COMMENT_EVENTS = frozenset({"issue_comment", "issues", "discussion", "discussion_comment"})
# Events only people with write access (or the repository itself) cause: a write scope a job on
# these alone needs (publishing on push or release) is the job's purpose rather than exposure.
MAINTAINER_EVENTS = frozenset({"push", "release", "workflow_dispatch", "schedule", "create", "delete", "merge_group",
                               "registry_package", "deployment", "deployment_status", "page_build", "repository_dispatch",
                               "milestone", "label", "project", "project_card", "project_column", "gollum", "watch",
                               "check_run", "check_suite", "status"})
# A job condition that checks who caused the event (their association, login or membership).
ACTOR_GATE = re.compile(r"author_association|github\.(triggering_)?actor\b|\.user\.login|sender\.login|"
                        r"\bis_member\b|\bcollaborator", re.IGNORECASE)
# A condition that accepts a comment only when its whole text is a fixed command (`/approve`).
COMMAND_ONLY = re.compile(r"github\.event\.comment\.body\s*==\s*'[^']*'")
STORED_SECRET = re.compile(r"\bsecrets\.(?!GITHUB_TOKEN\b)([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
# Text a fork or a commenter controls, expanded into a script.
UNTRUSTED_EXPANSION = re.compile(r"\$\{\{\s*github\.(event\.(issue|pull_request|comment|review|discussion|workflow_run)[\w.]*"
                                 r"\.(title|body|head_branch|ref|label|name)|head_ref)\s*\}\}")


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.new.exists:
        return Parsed(True)  # a workflow deleted whole runs nothing and grants nothing
    if not sides.complete:
        return Parsed(False, "only the diff's hunks were available, so the workflow's structure was not analysed and line rules judged it")
    try:
        old_docs = load_all(sides.old.text) if sides.old.exists else []
        new_docs = load_all(sides.new.text)
    except Exception as exc:  # noqa: BLE001 - yaml raises scanner, parser and constructor errors
        return Parsed(False, f"the workflow did not parse as YAML ({type(exc).__name__}), so line rules judged it")
    new = new_docs[0] if new_docs and isinstance(new_docs[0], Map) else None
    old = old_docs[0] if old_docs and isinstance(old_docs[0], Map) else Map()
    if new is None or not isinstance(new.get("jobs"), Map):
        return Parsed(False, "the file is not a workflow (no jobs), so line rules judged it")
    Workflow(sides, emit, old, new).run()
    check_bypass(sides, emit, context, old, new)
    return Parsed(True)


def triggers(workflow: Map) -> tuple[set[str], Any, str | None]:
    """The workflow's event names, the node holding them, and its key (``on`` reads as true in YAML 1.1)."""
    key = "on" if "on" in workflow else "True" if "True" in workflow else None
    value = workflow.get(key) if key else None
    if isinstance(value, str):
        return {value}, workflow, key
    if isinstance(value, list):
        return {str(v) for v in value}, value, key
    if isinstance(value, Map):
        return set(value), value, key
    return set(), workflow, key


class Workflow:
    def __init__(self, sides: FileSides, emitter: Emitter, old: Map, new: Map) -> None:
        self.sides, self.emitter, self.old, self.new = sides, emitter, old, new

    def line(self, node: Any, key: Any = None) -> int:
        if isinstance(node, Map):
            return self.sides.new.real_line(node.line_of(key) if key is not None else node.line)
        if isinstance(node, Seq):
            return self.sides.new.real_line(node.lines[key] if isinstance(key, int) and key < len(node.lines) else node.line)
        return 0

    def old_line(self, node: Any, key: Any = None) -> int:
        if isinstance(node, Map):
            return self.sides.old.real_line(node.line_of(key) if key is not None else node.line)
        return 0

    def run(self) -> None:
        events, holder, key = triggers(self.new)
        old_events, _, _ = triggers(self.old)
        self.events = events
        # Jobs that run a fork's code or paste its text into a script under a privileged trigger.
        self.untrusted_jobs = _untrusted_code_jobs(self.new) if events & (OUTSIDER_EVENTS | COMMENT_EVENTS) else set()
        self.privileged_triggers(events, old_events, holder, key)
        self.checkout_of_untrusted_code(events, old_events)
        self.comment_triggered_secrets(events)
        self.permissions()
        self.publish_guards()
        self.actions_used()
        self.auto_merge()

    # -- triggers ---------------------------------------------------------------------------------
    def privileged_triggers(self, events: set[str], old_events: set[str], holder: Any, key: str | None) -> None:
        for event in PRIVILEGED_TRIGGERS:
            if event in events and event not in old_events:
                if isinstance(holder, Map) and event in holder:
                    line = self.line(holder, event)
                elif isinstance(holder, Seq):
                    line = self.line(holder, [str(v) for v in holder].index(event))
                else:
                    line = self.line(self.new, key)
                if self.untrusted_jobs:
                    self.emitter.emit("GHA-DANGEROUS-TRIGGER", "new", line,
                                      f"the workflow now runs on `{event}`: with the repository's secrets and a write token, "
                                      f"on an event a fork can cause, and job {sorted(self.untrusted_jobs)[0]} runs the fork's "
                                      "code or text.")
                else:
                    # The pwn request needs the fork's code or text to run in the privileged job; a
                    # workflow that checks out nothing of the pull request (a title check, a labeler)
                    # only reads the event's data through actions.
                    self.emitter.emit("GHA-DANGEROUS-TRIGGER", "new", line,
                                      f"the workflow now runs on `{event}`: with the repository's secrets and a write token, "
                                      "on an event a fork can cause. No job checks out or runs the pull request's code, "
                                      "nor pastes its text into a script, so a fork controls only the event's data.",
                                      severity="medium")

    def checkout_of_untrusted_code(self, events: set[str], old_events: set[str]) -> None:
        # A comment on a pull request runs the base repository's workflow too: a job that fetches
        # the pull request's head there hands a fork's code the same token and secrets.
        untrusted = [e for e in (*PRIVILEGED_TRIGGERS, *sorted(COMMENT_EVENTS)) if e in events]
        if not untrusted:
            return
        old_sites = {text for _, _, _, text in _checkouts(self.old)}
        trigger_is_new = not any(e in old_events for e in untrusted)
        for job_name, node, key, text in _checkouts(self.new):
            if text in old_sites and not trigger_is_new:
                continue
            job = self.new["jobs"].get(job_name)
            uses_secrets = "secrets." in _dump(job)
            gated = not events & set(PRIVILEGED_TRIGGERS) and isinstance(job, Map) and ACTOR_GATE.search(str(job.get("if") or ""))
            line = self._run_line(node, RUN_CHECKOUT) if key == "run" and isinstance(node, Map) else self.line(node, key)
            self.emitter.emit("GHA-PR-TARGET-CHECKOUT", "new", line,
                              f"job {job_name} checks out the pull request's own code under `{untrusted[0]}`: a fork's code "
                              "runs with the base repository's token" + (" and the job's secrets." if uses_secrets else ".")
                              + (" High rather than critical: the job's condition checks who commented." if gated else ""),
                              severity="high" if gated else None)
            if uses_secrets:
                self.emitter.emit("GHA-SECRETS-UNTRUSTED", "new", self.line(job, "steps") if isinstance(job, Map) else 0,
                                  f"job {job_name} hands secrets to steps that run a fork's code.")

    def comment_triggered_secrets(self, events: set[str]) -> None:
        """A job anyone can start by writing a comment or an issue, holding a stored secret, with no check of who wrote it."""
        comment_events = events & COMMENT_EVENTS
        if not comment_events:
            return
        old_jobs = self.old.get("jobs") if isinstance(self.old.get("jobs"), Map) else Map()
        old_exposed = {name for name, job in old_jobs.items()
                       if isinstance(job, Map) and triggers(self.old)[0] & COMMENT_EVENTS and _outsider_held_secret(job)}
        for name, job in self.new["jobs"].items():
            if not isinstance(job, Map) or name in old_exposed:
                continue
            secret = _outsider_held_secret(job)
            if secret is None:
                continue
            condition = job.get("if")
            line = self._condition_line(job, comment_events) if condition is not None else self.line(job)
            self.emitter.emit("GHA-DANGEROUS-TRIGGER", "new", line,
                              f"job {name} runs on `{'`, `'.join(sorted(comment_events))}`, which anyone who can comment or "
                              f"open an issue causes, and holds {secret}; its condition does not check who wrote the text "
                              "(author_association, actor), so any outsider starts a run with that secret on text they wrote.")

    def _condition_line(self, job: Map, events: set[str]) -> int:
        """The line of the job's `if:` that lets a comment or issue event in, else the `if:` line itself."""
        start = job.line_of("if")
        after = [line for line in job.lines.values() if line > start]
        end = min(after) if after else start + 1
        wanted = ["github.event.comment", "github.event.issue", "github.event.review", *sorted(events)]
        for index in range(start, min(end, len(self.sides.new.lines))):
            if any(w in self.sides.new.lines[index] for w in wanted):
                return self.sides.new.real_line(index)
        return self.line(job, "if")

    # -- permissions ------------------------------------------------------------------------------
    def permissions(self) -> None:
        new_jobs = self.new["jobs"]
        outsider_events = triggers(self.new)[0]
        # A job renamed (its steps kept) is the job it was: its scopes are compared with the old
        # job's, so a write scope that moves with the rename widens nothing.
        paired = _paired_jobs(self.old, self.new)
        for name, job in new_jobs.items():
            if not isinstance(job, Map):
                continue
            old_job = paired.get(str(name))
            granted = _effective(self.new, job)
            before = _effective(self.old, old_job) if old_job is not None or self.old else {}
            # The job was there and stated no permissions, nor did its workflow: its token was the
            # repository's default, which may be write on every scope. A block that now lists scopes
            # can only narrow that token relative to write-all (`write-all` itself is another matter).
            had_default = old_job is not None and "permissions" not in old_job and "permissions" not in self.old
            replaced = _secret_token_replaced(old_job, job)
            for scope, level in sorted(granted.items()):
                if level != "write" or before.get(scope) == "write":
                    continue
                node, key = (job, "permissions") if "permissions" in job else (self.new, "permissions")
                # A job the change adds (in a new workflow or an existing one) had no token to widen:
                # it gets one with this scope.
                subject = (f"job {name}" + (" of the new workflow" if not self.sides.old.exists else " (new in this workflow)")
                           + " gets a token with ") if old_job is None else f"job {name}: the token gains "
                line = self._scope_line(node.get(key), scope) or self.line(node, key)
                critical = scope == "*"
                # A write scope added to an existing workflow-wide block reaches every job, those
                # added later included (zizmor excessive-permissions): one step more severe.
                workflow_wide = node is self.new and isinstance(self.old.get("permissions"), Map)
                # `id-token: write` only lets the job ask for an OIDC token; what that token reaches is
                # decided by the cloud's trust policy (bound to repository, branch or environment), so
                # it is the documented need of OIDC publishing and deployment rather than a standing
                # credential, unless an outsider's event can run the job.
                oidc_only = scope == "id-token" and not workflow_wide and not (outsider_events & OUTSIDER_EVENTS)
                if oidc_only:
                    self.emitter.emit("GHA-PERMISSIONS-WIDENED", "new", line,
                                      f"{subject}`id-token: write`: the job can mint an OIDC token, "
                                      "and the cloud's trust policy decides what it reaches.", severity="medium")
                    continue
                if replaced and scope != "*" and not workflow_wide:
                    # The job stops using a stored token (a bot's or a person's, scoped to far more
                    # than this repository) for the job token: the write scope it now states is
                    # what that secret already gave it, so standing privilege shrinks.
                    self.emitter.emit("GHA-PERMISSIONS-WIDENED", "new", line,
                                      f"{subject}`{scope}: write`, as the job replaces the stored "
                                      f"token secrets.{replaced} with the job's own token.", severity="medium")
                    continue
                if had_default and scope in DEFAULT_WRITE_SCOPES and isinstance(node.get(key), Map):
                    self.emitter.emit("GHA-PERMISSIONS-WIDENED", "new", line,
                                      f"job {name}: the token gains `{scope}: write` from a `permissions:` block, where neither the job "
                                      "nor its workflow stated one. "
                                      "Medium: before, the job had the repository's default token permissions; an explicit "
                                      "block cannot grant more than write-all (it widens only where the repository's "
                                      "default is read-only).", severity="medium")
                    continue
                severity = "critical" if critical else "high" if scope in CRITICAL_SCOPES or workflow_wide else "medium"
                reach = self._reach(name, job)
                if severity == "high" and reach:
                    severity = "medium"
                self.emitter.emit("GHA-PERMISSIONS-WIDENED", "new", line,
                                  subject
                                  + ("every write scope (write-all)." if critical else f"`{scope}: write`.")
                                  + (f" A compromised step can {SCOPE_REACH.get('*' if critical else scope, '')}."
                                     if scope in CRITICAL_SCOPES or critical else "")
                                  + (" It is granted workflow-wide, to every job." if workflow_wide else "")
                                  + (f" Medium: {reach}." if reach and severity == "medium" and (scope in CRITICAL_SCOPES or workflow_wide) else ""),
                                  severity=severity)
            if old_job is not None and "permissions" in old_job and "permissions" not in job and "permissions" not in self.new:
                self.emitter.emit("GHA-PERMISSIONS-WIDENED", "old", self._first_scope_line(old_job),
                                  f"job {name} loses its `permissions:` block and the workflow states none: it gets the "
                                  "repository's default token, which may be read-write.")
            if job.get("secrets") == "inherit" and not (old_job is not None and old_job.get("secrets") == "inherit"):
                self.emitter.emit("GHA-PERMISSIONS-WIDENED", "new", self.line(job, "secrets"),
                                  f"job {name} passes every secret of the repository on to {job.get('uses', 'a reusable workflow')}.",
                                  severity="critical")
        if "permissions" in self.old and "permissions" not in self.new and any(
                isinstance(j, Map) and "permissions" not in j for j in new_jobs.values()):
            self.emitter.emit("GHA-PERMISSIONS-WIDENED", "old", self.old_line(self.old, "permissions"),
                              "the workflow's `permissions:` block is removed: its jobs get the repository's default token, "
                              "which may be read-write.")

    def _reach(self, name: str, job: Map) -> str:
        """Why no untrusted code reaches this job's write token ("" when it may): the events that run it."""
        if name in self.untrusted_jobs:
            return ""
        events = set(self.events)
        condition = str(job.get("if") or "")
        only = _condition_events(condition)
        if only and only <= MAINTAINER_EVENTS:
            events = only  # the job's own condition limits it to these events
        if not events:
            return ""
        if events <= MAINTAINER_EVENTS:
            return (f"the job runs only on `{'`, `'.join(sorted(events))}`, which people with write access cause, so the "
                    "write scope serves the job's own publishing rather than code from a pull request")
        if not events <= MAINTAINER_EVENTS | OUTSIDER_EVENTS | COMMENT_EVENTS or events & {"pull_request_review", "pull_request_review_comment"}:
            return ""  # pull_request and the like run the pull request's own, unreviewed code
        outsider = sorted(events - MAINTAINER_EVENTS)
        if events & COMMENT_EVENTS and not ACTOR_GATE.search(condition) and not COMMAND_ONLY.search(condition):
            # The job's actions read the comment or issue: an outsider's free text drives a run
            # that holds the write token.
            return ""
        return (f"an outsider can cause a run (`{'`, `'.join(outsider)}`), but no job checks out or runs the pull "
                "request's code, nor pastes its text into a script"
                + (", and the job's condition checks who commented or accepts only a fixed command"
                   if events & COMMENT_EVENTS else "")
                + ": only the workflow's own steps hold the token")

    def _first_scope_line(self, old_job: Map) -> int:
        """The first scope the removed block stated (the restriction lost), else its key's line."""
        block = old_job.get("permissions")
        if isinstance(block, Map) and block:
            return self.old_line(block, next(iter(block)))
        return self.old_line(old_job, "permissions")

    def _scope_line(self, permissions: Any, scope: str) -> int:
        if isinstance(permissions, Map) and scope in permissions:
            return self.line(permissions, scope)
        return 0

    # -- guards on publishing steps -----------------------------------------------------------------
    def publish_guards(self) -> None:
        """A publishing step loses the event test that decided when it publishes (`push: ${{ github.event_name != 'pull_request' }}`)."""
        old_jobs = self.old.get("jobs") if isinstance(self.old.get("jobs"), Map) else Map()
        for name, job in self.new["jobs"].items():
            old_job = old_jobs.get(name)
            if not isinstance(job, Map) or not isinstance(old_job, Map):
                continue
            new_steps = [step for step in job.get("steps") or [] if isinstance(step, Map)]
            for old_step in old_job.get("steps") or []:
                if not isinstance(old_step, Map) or not _publishes(old_step):
                    continue
                step = _same_step(old_step, new_steps)
                if step is None:
                    continue  # the step itself is gone: not a guard lost on a step that still publishes
                for key, before, after in _event_guards_lost(old_step, step):
                    reaches_prs = bool(self.events & {"pull_request", "pull_request_target"}) and not _job_excludes_prs(job)
                    label = step.get("name") or step.get("uses") or "a step"
                    where = f"job {name}, step `{label}`"
                    if key == "if":
                        if not reaches_prs:
                            continue  # the job's own condition still keeps pull requests away
                        message = (f"{where}: the condition `{before}` that kept pull-request runs from publishing is "
                                   "removed: pull-request builds now reach the publishing step.")
                    elif reaches_prs:
                        message = (f"{where}: the input `{key}: {before}` that kept pull-request runs from publishing is "
                                   + ("removed" if after is None else f"replaced by `{after}`")
                                   + ": a pull request's build now publishes whatever the input's new value says.")
                    else:
                        message = (f"{where}: the input `{key}: {before}`, which decided per event whether the step "
                                   "publishes, is " + ("removed" if after is None else f"replaced by `{after}`")
                                   + ": on every run of the release pipeline the step now takes "
                                   + ("the action's default" if after is None else "the new value")
                                   + ", so it starts or stops publishing everywhere at once.")
                    self.emitter.emit("GHA-DANGEROUS-TRIGGER", "old", self._old_step_line(old_step, key), message)

    def _old_step_line(self, step: Map, key: str) -> int:
        with_ = step.get("with")
        if key != "if" and isinstance(with_, Map) and key in with_:
            return self.old_line(with_, key)
        return self.old_line(step, key if key in step else None)

    # -- actions ------------------------------------------------------------------------------------
    def actions_used(self) -> None:
        old_refs: dict[str, set[str]] = {}
        for _, _, _, uses in _steps_uses(self.old):
            action, _, ref = uses.partition("@")
            old_refs.setdefault(action.lower(), set()).add(ref)
        # The uses each job (or the job it was renamed from) already had, counted: a use the job
        # already ran by the same ref is unchanged context, not something this change does.
        paired = _paired_jobs(self.old, self.new)
        old_counts = {name: Counter(_use_key(uses) for uses in _job_uses(old_job))
                      for name, old_job in paired.items() if old_job is not None}
        seen: Counter[tuple[str, str]] = Counter()
        for job_name, node, key, uses in _steps_uses(self.new):
            if not _third_party(uses):
                continue
            action, _, ref = uses.partition("@")
            if SHA.match(ref):
                continue
            seen[(job_name, _use_key(uses))] += 1
            if seen[(job_name, _use_key(uses))] <= old_counts.get(job_name, Counter())[_use_key(uses)]:
                continue  # the job already used this action by this very ref
            previous = old_refs.get(action.lower())
            if HEXLIKE.match(ref):
                # Meant as a commit pin and mistyped (a digit too many or too few): GitHub reads it as
                # a branch or tag name, so the step fails to resolve rather than running moved code.
                self.emitter.emit("GHA-UNPINNED-ACTION", "new", self.line(node, key),
                                  f"job {job_name}: {action}@{ref} looks like a commit SHA but has {len(ref)} hex digits, "
                                  "not 40: GitHub resolves it as a branch or tag name, so the step fails (or runs a "
                                  "branch of that name).", severity="medium")
                continue
            if previous is not None and not any(SHA.match(r) for r in previous):
                continue  # a tag moved to another tag: a version bump, not a loss of pinning
            if previous is None:
                message = f"job {job_name} uses the third-party action {action} by the mutable ref `{ref or '(none)'}`; pin it to a full commit SHA."
                severity = None
            else:
                # Pinning was there and is given up: whoever can move the tag now runs code here
                # (tj-actions/changed-files, Mar 2025).
                message = f"job {job_name}: {action} moves from a pinned commit SHA to the mutable ref `{ref or '(none)'}`, which its owner can repoint."
                severity = "high"
            self.emitter.emit("GHA-UNPINNED-ACTION", "new", self.line(node, key), message, severity=severity)

    # -- automatic approval and merge ---------------------------------------------------------------------
    def auto_merge(self) -> None:
        old_text = _dump(self.old)
        for job_name, job in self.new["jobs"].items():
            if not isinstance(job, Map):
                continue
            for node, key, what in _auto_merge_steps(job):
                if what in old_text:
                    continue
                bots = BOT_AUTHORS.search(_dump(job)) or BOT_AUTHORS.search(_dump(self.new.get("on") or self.new.get("True")))
                admin = "--admin" in str(node.get(key) if isinstance(node, Map) else "")
                self.emitter.emit("GHA-AUTO-MERGE", "new", self.line(node, key),
                                  f"job {job_name} approves or merges pull requests automatically ({what})"
                                  + (" for bot-authored dependency updates: a compromised or malicious dependency release "
                                     "reaches the default branch without a human reading it." if bots else
                                     ": nobody reads what is merged.")
                                  + (" `--admin` also bypasses the branch protection rules." if admin else ""),
                                  severity="critical" if admin else None)
        self.remote_scripts()

    def remote_scripts(self) -> None:
        """A script fetched from the network and run as is: whoever controls that URL runs code here."""
        old_runs = {str(step.get("run")) for _, _, step in _steps(self.old)}
        # The piped commands each job of the old side already ran, spacing aside: a step re-spaced,
        # re-indented or moved within its job pipes nothing new (trailing blanks trimmed).
        old_commands: dict[str, set[str]] = {}
        old_pipes: dict[str, set[str]] = {}
        for job_name, _, step in _steps(self.old):
            if isinstance(step.get("run"), str):
                old_commands.setdefault(job_name, set()).update(_remote_commands(step["run"]))
                old_pipes.setdefault(job_name, set()).update(_remote_pipes(step["run"]))
        for job_name, _, step in _steps(self.new):
            run = step.get("run")
            if isinstance(run, str) and REMOTE_SCRIPT.search(run) and run not in old_runs:
                commands = _remote_commands(run)
                if commands and commands <= old_commands.get(job_name, set()):
                    continue
                line_no = self._run_line(step, REMOTE_SCRIPT)
                pipes = _remote_pipes("\n".join(commands - old_commands.get(job_name, set())))
                if pipes and pipes <= old_pipes.get(job_name, set()):
                    # The same download from the same URL piped into the same shell, only a version (of the
                    # URL or of the script's arguments) edited: the job ran that publisher's script before.
                    self.emitter.emit("GHA-REMOTE-SCRIPT", "new", line_no,
                                      f"job {job_name} pipes a script downloaded at run time into a shell. Low: the job "
                                      "already piped this same installer (same URL, same shell) before the change; only a "
                                      "version or argument of the command is edited, so no new publisher runs code here.",
                                      severity="low")
                    continue
                command = next((l for l in run.splitlines() if REMOTE_SCRIPT.search(l)), run)
                job = self.new["jobs"].get(job_name)
                reach = _script_reach(self.new, job_name, job if isinstance(job, Map) else Map())
                versioned = bool(VERSIONED_URL.search(command))
                if reach.items:
                    self.emitter.emit("GHA-REMOTE-SCRIPT", "new", line_no,
                                      f"job {job_name} pipes a script downloaded at run time into a shell: its publisher "
                                      "(or whoever takes over the URL) runs code that reaches "
                                      + _joined(reach.items + ([DEFAULT_TOKEN] if reach.token is None else [])) + ".")
                elif reach.token is None and not versioned:
                    self.emitter.emit("GHA-REMOTE-SCRIPT", "new", line_no,
                                      f"job {job_name} pipes a script downloaded at run time into a shell: its publisher "
                                      f"(or whoever takes over the URL) runs code that reaches {DEFAULT_TOKEN}. The job "
                                      "references no stored secret, but neither it nor the workflow states `permissions:`.")
                elif reach.token is None:
                    self.emitter.emit("GHA-REMOTE-SCRIPT", "new", line_no,
                                      f"job {job_name} pipes a script downloaded at run time into a shell. Medium: the URL "
                                      "names a release (a version or a commit), and the job references no stored secret, "
                                      f"deployment environment or publishing step; the script still gets {DEFAULT_TOKEN}. "
                                      "A checksum would make the download tamper-evident.",
                                      severity="medium")
                else:
                    self.emitter.emit("GHA-REMOTE-SCRIPT", "new", line_no,
                                      f"job {job_name} pipes a script downloaded at run time into a shell. Medium, for what "
                                      f"a hostile script reaches: {reach.token}; the job references no stored secret and no "
                                      "deployment environment, publishes nothing, runs on a GitHub-hosted runner, and no "
                                      "privileged job of this workflow takes its artifacts or caches. It can still forge this "
                                      "job's result"
                                      + (" and poison the caches it saves, which other workflows of the repository may restore"
                                         if _uses_cache(job if isinstance(job, Map) else Map(), "save") else "")
                                      + ("; the URL names a release, and a checksum would make the download tamper-evident."
                                         if versioned else "; the URL names no release, so whoever takes it over decides what runs."),
                                      severity="medium")

    def _run_line(self, step: Map, pattern: re.Pattern[str]) -> int:
        start = step.line_of("run")
        end = max([line for line in step.lines.values() if line > start], default=start + 200)
        for index in range(start, min(end + 1, len(self.sides.new.lines))):
            if pattern.search(self.sides.new.lines[index]):
                return self.sides.new.real_line(index)
        return self.line(step, "run")


# -- what a script piped into a shell reaches -------------------------------------------------------
DEFAULT_TOKEN = ("the repository's default token (no `permissions:` block states it, and the repository's "
                 "default may be read-write)")
# Scopes that only report results on a commit (check runs, commit statuses): no code, package,
# release or cloud credential is behind them.
REPORT_SCOPES = frozenset({"checks", "statuses"})
HOSTED_RUNNER = re.compile(r"^(ubuntu|windows|macos)-[\w.-]+$", re.IGNORECASE)
ALL_SECRETS = re.compile(r"\bsecrets\s*\[|toJSON\(\s*secrets\s*\)", re.IGNORECASE)
PUBLISH_RUN = re.compile(r"\b(docker\s+(image\s+)?push|podman\s+push|buildah\s+push|npm\s+publish|yarn\s+(npm\s+)?publish|"
                         r"pnpm\s+publish|twine\s+upload|poetry\s+publish|gh\s+release|helm\s+push|git\s+push|"
                         r"cargo\s+publish|gem\s+push|goreleaser|mvn\b[^\n]*\bdeploy|gradlew?\b[^\n]*\bpublish|"
                         r"kubectl\s+(apply|set|rollout|replace|patch)|helm\s+(upgrade|install)|terraform\s+apply)", re.IGNORECASE)
MATRIX_VALUE = re.compile(r"^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$")


class Reach:
    """What a script running in a job reaches: ``items`` (secrets, write scopes, an environment, ...)
    and ``token``, a description of a declared token that grants nothing beyond reading and
    reporting results, or None when no `permissions:` block states the token (fail closed)."""

    def __init__(self, items: list[str], token: str | None) -> None:
        self.items, self.token = items, token


def _script_reach(workflow: Map, job_name: str, job: Map) -> Reach:
    items = _direct_reach(workflow, job)
    token = _declared_token(workflow, job)
    items += _handed_on(workflow, job_name, job)
    return Reach(items, token[1] if token is not None else None)


def _direct_reach(workflow: Map, job: Map) -> list[str]:
    """What the job itself holds: stored secrets, write scopes, an environment, publishing, its runner."""
    items: list[str] = []
    text = _dump(job) + " " + _dump(workflow.get("env") or {})
    if job.get("secrets") == "inherit" or ALL_SECRETS.search(text):
        items.append("every secret of the repository")
    else:
        names = sorted({m.group(1) for m in STORED_SECRET.finditer(text)})
        if names:
            items.append(_joined([f"secrets.{name}" for name in names[:4]]
                                 + ([f"{len(names) - 4} more secrets"] if len(names) > 4 else [])))
    token = _declared_token(workflow, job)
    if token is not None:
        writes = token[0]
        if "*" in writes:
            items.append("a token with every write scope (write-all)")
        elif "id-token" in writes:
            items.append("`id-token: write` (a cloud OIDC credential)")
        wider = sorted(scope for scope in writes if scope not in REPORT_SCOPES | {"*", "id-token"})
        if wider:
            items.append("a token with " + ", ".join(f"`{scope}: write`" for scope in wider))
    environment = job.get("environment")
    if environment:
        name = environment.get("name") if isinstance(environment, Map) else environment
        items.append(f"the deployment environment `{name}` (its secrets and protection rules)")
    publishing = [str(step.get("name") or step.get("uses") or "a step") for step in job.get("steps") or []
                  if isinstance(step, Map) and (_publishes(step) or PUBLISH_RUN.search(str(step.get("run") or "")))]
    if publishing:
        items.append(f"the job's publishing or deploying step `{publishing[0]}`")
    runner = _non_hosted_runner(job)
    if runner:
        items.append(f"a runner that may be self-hosted (`runs-on: {runner}`), which keeps state between jobs")
    return items


def _declared_token(workflow: Map, job: Map) -> tuple[set[str], str] | None:
    """(write scopes, description) of the token a `permissions:` block states; None when none does or it is an expression."""
    if "permissions" in job:
        source, where = job.get("permissions"), "the job's"
    elif "permissions" in workflow:
        source, where = workflow.get("permissions"), "the workflow's"
    else:
        return None
    if source == "read-all":
        return set(), f"{where} `permissions: read-all` makes the token read-only"
    if source == "write-all":
        return {"*"}, f"{where} `permissions: write-all`"
    if source is None or (isinstance(source, Map) and not source):
        return set(), f"{where} `permissions:` grants the token nothing"
    if not isinstance(source, Map):
        return None  # an expression or a value the file does not settle: fail closed
    writes = {str(scope) for scope, level in source.items() if str(level) == "write"}
    reports = sorted(writes & REPORT_SCOPES)
    description = f"{where} `permissions:` makes the token read-only"
    if reports:
        description += (" but for " + ", ".join(f"`{scope}: write`" for scope in reports)
                        + ", which only posts results on a commit")
    return writes, description


def _non_hosted_runner(job: Map) -> str:
    """The job's `runs-on` when it is not plainly a GitHub-hosted runner (fail closed), else ""."""
    value = job.get("runs-on")
    labels = list(value) if isinstance(value, list) else [value]
    matrix = (job.get("strategy") or {}).get("matrix") if isinstance(job.get("strategy"), Map) else None
    for label in labels:
        if not isinstance(label, str):
            return " ".join(_dump(value).split()) or "(none)"
        found = MATRIX_VALUE.match(label.strip())
        if found and isinstance(matrix, Map):
            values = matrix.get(found.group(1))
            values = list(values) if isinstance(values, list) else [] if values is None else [values]
            for extra in matrix.get("include") or []:
                if isinstance(extra, Map) and found.group(1) in extra:
                    values.append(extra[found.group(1)])
            if values and all(isinstance(v, str) and HOSTED_RUNNER.match(v) for v in values):
                continue
            return label
        if not HOSTED_RUNNER.match(label.strip()):
            return label
    return ""


def _uses_cache(job: Map, direction: str) -> bool:
    """Whether the job saves (``direction="save"``) or restores (``"restore"``) a cache of the repository's."""
    skipped = "actions/cache/restore" if direction == "save" else "actions/cache/save"
    for step in job.get("steps") or []:
        if not isinstance(step, Map):
            continue
        action = str(step.get("uses") or "").partition("@")[0].lower()
        with_ = step.get("with") if isinstance(step.get("with"), Map) else Map()
        if action.startswith("actions/cache") and action != skipped:
            return True
        # setup-go caches by default; the other setup actions when given `cache:`
        cache = str(with_.get("cache", "true" if action == "actions/setup-go" else "")).lower()
        if action.startswith("actions/setup-") and cache not in ("", "false"):
            return True
    return False


def _needs(job: Map) -> set[str]:
    needs = job.get("needs")
    return {str(n) for n in needs} if isinstance(needs, list) else {str(needs)} if needs else set()


def _handed_on(workflow: Map, job_name: str, job: Map) -> list[str]:
    """Privileged jobs of the workflow that take this job's artifacts (they need it, directly or not, and
    download artifacts) or restore caches while this job saves them."""
    jobs = workflow.get("jobs") if isinstance(workflow.get("jobs"), Map) else Map()
    uploads = any(str(s.get("uses") or "").lower().startswith("actions/upload-artifact")
                  for s in job.get("steps") or [] if isinstance(s, Map))
    caches = _uses_cache(job, "save")
    if not uploads and not caches:
        return []
    after: set[str] = {job_name}
    grew = True
    while grew:  # the jobs that run after this one
        grew = False
        for name, other in jobs.items():
            if isinstance(other, Map) and str(name) not in after and _needs(other) & after:
                after.add(str(name))
                grew = True
    items = []
    for name, other in jobs.items():
        if not isinstance(other, Map) or str(name) == job_name:
            continue
        downloads = str(name) in after and any(str(s.get("uses") or "").lower().startswith("actions/download-artifact")
                                               for s in other.get("steps") or [] if isinstance(s, Map))
        restores = caches and _uses_cache(other, "restore")
        if not ((uploads and downloads) or restores):
            continue
        held = _direct_reach(workflow, other) + ([DEFAULT_TOKEN] if _declared_token(workflow, other) is None else [])
        if held:
            what = "artifacts" if uploads and downloads else "caches"
            items.append(f"{what} this job leaves for job {name}, which holds {held[0]}")
    return items


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _job_uses(job: Map) -> Iterator[str]:
    if isinstance(job.get("uses"), str):
        yield job["uses"]
    for step in job.get("steps") or []:
        if isinstance(step, Map) and isinstance(step.get("uses"), str):
            yield step["uses"]


def _use_key(uses: str) -> str:
    action, at, ref = uses.partition("@")
    return action.lower() + at + ref


def _job_signature(job: Map) -> set[str]:
    """What a job runs, step by step: the actions (without their ref), scripts (spacing aside) and step names."""
    marks: set[str] = set()
    if isinstance(job.get("uses"), str):
        marks.add("uses:" + job["uses"].partition("@")[0].lower())
    for step in job.get("steps") or []:
        if isinstance(step, Map):
            marks |= _step_keys(step, with_id=False)
    return marks


def _paired_jobs(old: Map, new: Map) -> dict[str, Map | None]:
    """new job name -> the old job it continues (None for a new job).

    The same name is the same job. A job under a new name whose old name is gone is the job it
    was renamed from when they run mostly the same steps: at least two of the same actions,
    scripts or step names, and at least half of each side's (the better match wins).
    """
    old_jobs = old.get("jobs") if isinstance(old.get("jobs"), Map) else Map()
    new_jobs = new.get("jobs") if isinstance(new.get("jobs"), Map) else Map()
    paired: dict[str, Map | None] = {}
    for name, job in new_jobs.items():
        if isinstance(job, Map):
            paired[str(name)] = old_jobs.get(name) if isinstance(old_jobs.get(name), Map) else None
    gone = {str(name): job for name, job in old_jobs.items() if isinstance(job, Map) and name not in new_jobs}
    candidates: list[tuple[float, str, str]] = []
    for name, job in new_jobs.items():
        if not isinstance(job, Map) or name in old_jobs:
            continue
        mine = _job_signature(job)
        for old_name, old_job in gone.items():
            theirs = _job_signature(old_job)
            common = len(mine & theirs)
            if common >= 2 and 2 * common >= len(mine) and 2 * common >= len(theirs):
                candidates.append((common / max(len(mine), len(theirs)), str(name), old_name))
    taken: set[str] = set()
    for _, name, old_name in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if paired.get(name) is None and old_name not in taken:
            paired[name] = gone[old_name]
            taken.add(old_name)
    return paired


_EVENT_IS = re.compile(r"^github\.event_name\s*==\s*'([\w-]+)'$")


def _condition_events(condition: str) -> set[str]:
    """The events a job's `if:` admits, when every alternative of it names them (`event_name == 'push'`).

    Empty when the condition does not limit the events: some alternative (an `||` part) names no
    event, or the condition negates a group or cannot be split (fail closed: read as any event).
    ``(event_name == 'push' && ref == main) || (event_name == 'push' && ref == master)`` admits push.
    """
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    if not text or re.search(r"!\s*\(", text):
        return set()
    events: set[str] = set()
    for alternative in _split_top(text, "||"):
        found: set[str] = set()
        for part in _split_top(_unwrap(alternative), "&&"):
            part = _unwrap(part)
            if len(_split_top(part, "||")) > 1:
                found |= _condition_events(part)
                if found:
                    break
                continue
            match = _EVENT_IS.match(" ".join(part.split()))
            if match:
                found = {match.group(1)}
                break
        if not found:
            return set()
        events |= found
    return events


def _unwrap(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def _split_top(text: str, operator: str) -> list[str]:
    """``text`` split at ``operator`` outside parentheses and quoted strings (an expression's strings
    are single-quoted, with no backslash escapes)."""
    return split_top_level(text, operator, quote="'", opening="(", closing=")", backslash_escapes=False)


# A version written into a command (v1.30.0, 2.4, a commit id): edited by a version bump.
VERSION_TOKEN = re.compile(r"(?<![\w.])v?\d+(\.\d+)+[\w.+-]*|\b[0-9a-f]{40}\b")
URL = re.compile(r"(?P<host>[a-z][a-z0-9+.-]*://[^/\s\"'|)]*)(?P<path>[^\s\"'|)]*)", re.IGNORECASE)


def _remote_pipes(run: str) -> set[str]:
    """The downloads piped into a shell: each such line's download-to-shell command and the URLs on the
    line, whitespace collapsed and versions blanked (in a URL's path only, never its host): two are equal
    when only a version in them differs."""
    pipes = set()
    for line in run.splitlines():
        matches = [match.group(0) for match in REMOTE_SCRIPT.finditer(line)]
        if not matches:
            continue
        urls = sorted(url.group("host").lower() + VERSION_TOKEN.sub("<version>", url.group("path"))
                      for url in URL.finditer(line))
        commands = [VERSION_TOKEN.sub("<version>", " ".join(URL.sub("<url>", match).split())) for match in matches]
        pipes.add(" ".join(commands) + " from " + " ".join(urls))
    return pipes


def _remote_commands(run: str) -> set[str]:
    """The lines of a script that pipe a download into a shell, whitespace collapsed."""
    return {" ".join(line.split()) for line in run.splitlines() if REMOTE_SCRIPT.search(line)}


def _effective(workflow: Map, job: Map | None) -> dict[str, str]:
    """scope -> level of the token a job gets ("*" for write-all); {} when nothing is granted."""
    source = job.get("permissions") if job is not None and "permissions" in job else workflow.get("permissions")
    if source == "write-all":
        return {"*": "write"}
    if source == "read-all":
        return {"*": "read"}
    if isinstance(source, Map):
        return {str(scope): str(level) for scope, level in source.items()}
    return {}  # not stated: the repository's default, which the workflow file does not change


def _steps(workflow: Map) -> Iterator[tuple[str, Map, Map]]:
    jobs = workflow.get("jobs")
    if not isinstance(jobs, Map):
        return
    for job_name, job in jobs.items():
        if not isinstance(job, Map):
            continue
        for step in job.get("steps") or []:
            if isinstance(step, Map):
                yield str(job_name), job, step


def _steps_uses(workflow: Map) -> Iterator[tuple[str, Any, str, str]]:
    jobs = workflow.get("jobs")
    if isinstance(jobs, Map):
        for job_name, job in jobs.items():
            if isinstance(job, Map) and isinstance(job.get("uses"), str):
                yield str(job_name), job, "uses", job["uses"]
    for job_name, _, step in _steps(workflow):
        if isinstance(step.get("uses"), str):
            yield job_name, step, "uses", step["uses"]


def _third_party(uses: str) -> bool:
    lowered = uses.lower()
    return not (lowered.startswith(("./", "actions/", "github/", "docker://")))


def _checkouts(workflow: Map) -> Iterator[tuple[str, Any, str, str]]:
    """Steps that fetch the pull request's head: actions/checkout with such a ref, or git/gh in a script."""
    for job_name, _, step in _steps(workflow):
        uses = str(step.get("uses") or "")
        with_ = step.get("with")
        if uses.lower().startswith("actions/checkout") and isinstance(with_, Map):
            for key in ("ref", "repository"):
                if PR_HEAD.search(str(with_.get(key) or "")) or (key == "repository" and "pull_request.head.repo" in str(with_.get(key) or "")):
                    # The checkout action's version is left out: bumping it keeps the same site.
                    yield job_name, with_, key, f"{uses.partition('@')[0].lower()}:{key}:{with_.get(key)}"
                    break
        run = step.get("run")
        if isinstance(run, str) and RUN_CHECKOUT.search(run):
            yield job_name, step, "run", " ".join(run.split())  # re-spacing the script fetches nothing new


def _untrusted_code_jobs(workflow: Map) -> set[str]:
    """Jobs that check out the pull request's head or paste text an outsider wrote into a script."""
    jobs = {job_name for job_name, _, _, _ in _checkouts(workflow)}
    for job_name, _, step in _steps(workflow):
        if isinstance(step.get("run"), str) and UNTRUSTED_EXPANSION.search(step["run"]):
            jobs.add(job_name)
    return jobs


def _outsider_held_secret(job: Map) -> str | None:
    """The stored secret a job holds (``secrets.X``, not the job token) unless its condition checks who caused the run."""
    if ACTOR_GATE.search(str(job.get("if") or "")):
        return None
    if job.get("secrets") == "inherit":
        return "every secret of the repository (secrets: inherit)"
    match = STORED_SECRET.search(_dump({k: v for k, v in job.items() if k != "if"}))
    return f"secrets.{match.group(1)}" if match else None


PUBLISH_ACTIONS = re.compile(r"^(docker/build-push-action|pypa/gh-action-pypi-publish|softprops/action-gh-release|"
                             r"actions/deploy-pages|peaceiris/actions-gh-pages|jamesives/github-pages-deploy-action|"
                             r"ncipollo/release-action|goreleaser/goreleaser-action|JS-DevTools/npm-publish)", re.IGNORECASE)
PUBLISH_WORDS = re.compile(r"\b(publish|push|deploy|release|upload)", re.IGNORECASE)
EVENT_TEST = re.compile(r"github\.event_name|github\.event\.pull_request|github\.ref\b|startsWith\(\s*github\.ref")


def _publishes(step: Map) -> bool:
    uses = str(step.get("uses") or "")
    return bool(PUBLISH_ACTIONS.match(uses) or PUBLISH_WORDS.search(str(step.get("name") or "")))


def _same_step(old_step: Map, new_steps: list[Map]) -> Map | None:
    for key in ("id", "name"):
        if old_step.get(key):
            for step in new_steps:
                if step.get(key) == old_step.get(key):
                    return step
    action = str(old_step.get("uses") or "").partition("@")[0].lower()
    if action:
        same = [step for step in new_steps if str(step.get("uses") or "").partition("@")[0].lower() == action]
        if len(same) == 1:
            return same[0]
    return None


def _event_guards_lost(old_step: Map, step: Map) -> Iterator[tuple[str, str, str | None]]:
    """(key, old value, new value or None) for each event test on a publishing input or the step's `if:` that is gone."""
    before_if, after_if = str(old_step.get("if") or ""), step.get("if")
    if EVENT_TEST.search(before_if) and not EVENT_TEST.search(str(after_if or "")):
        yield "if", before_if, None if after_if is None else str(after_if)
    old_with = old_step.get("with") if isinstance(old_step.get("with"), Map) else Map()
    new_with = step.get("with") if isinstance(step.get("with"), Map) else Map()
    for key, value in old_with.items():
        if PUBLISH_WORDS.fullmatch(str(key)) and EVENT_TEST.search(str(value)) and not EVENT_TEST.search(str(new_with.get(key) or "")):
            yield str(key), str(value), None if key not in new_with else str(new_with.get(key))


def _job_excludes_prs(job: Map) -> bool:
    condition = str(job.get("if") or "")
    return bool(re.search(r"github\.event_name\s*==\s*'(push|release|workflow_dispatch|schedule)'|"
                          r"github\.event_name\s*!=\s*'pull_request|startsWith\(\s*github\.ref\s*,\s*'refs/tags/|"
                          r"github\.ref\s*==\s*'refs/heads/", condition)) and "||" not in condition


def _auto_merge_steps(job: Map) -> Iterator[tuple[Any, str, str]]:
    for step in job.get("steps") or []:
        if not isinstance(step, Map):
            continue
        uses = str(step.get("uses") or "")
        if AUTO_MERGE_ACTIONS.match(uses):
            yield step, "uses", uses.partition("@")[0]
        run = step.get("run")
        if isinstance(run, str):
            match = AUTO_MERGE_RUN.search(run)
            if match:
                yield step, "run", match.group(0).strip()


STORED_TOKEN = re.compile(r"\bsecrets\.([A-Za-z0-9_]*(?:TOKEN|PAT)[A-Za-z0-9_]*)\b", re.IGNORECASE)
JOB_TOKEN = re.compile(r"\bgithub\.token\b|\bsecrets\.GITHUB_TOKEN\b", re.IGNORECASE)


def _secret_token_replaced(old_job: Map | None, job: Map) -> str | None:
    """The stored token secret the old job used and the new one swaps for the job token, if any."""
    if old_job is None:
        return None
    old_text, new_text = _dump(old_job), _dump(job)
    stored = {m for m in STORED_TOKEN.findall(old_text)
              if m.upper() != "GITHUB_TOKEN" and {"TOKEN", "PAT"} & set(m.upper().split("_"))}
    still = {m for m in STORED_TOKEN.findall(new_text)}
    gone = sorted(stored - still)
    return gone[0] if gone and JOB_TOKEN.search(new_text) else None


def _dump(node: Any) -> str:
    if isinstance(node, dict):
        return " ".join(f"{k} {_dump(v)}" for k, v in node.items())
    if isinstance(node, list):
        return " ".join(_dump(v) for v in node)
    return str(node)


# -- CI-CHECK-BYPASS read by structure ----------------------------------------------------------------
# The line rule (resources/rules/safety-nets.toml) finds the line; on a workflow that parses, what the
# line stands in says whether a check that blocked merges stops blocking:
#   * a `|| true` whose command only fills a variable that a later line of the same script tests and
#     exits non-zero on: the step still fails there (low, naming both lines);
#   * `continue-on-error` on a step that decides which jobs run (a paths filter), not a check: when the
#     filter fails its outputs are empty; the message says which jobs then run or are skipped (a
#     skipped job reports success, so a required check passes unrun): medium when one may be skipped,
#     low when every reader of its outputs still runs on an empty one;
#   * `continue-on-error`, `|| true`, `|| exit 0` or `if: false` in a workflow, job or step this change
#     adds: nothing that blocked a merge before is made non-blocking (medium, saying why). Read from the
#     old side, fail closed: the step or job is new only when the old side had none like it (by id,
#     name, action or script), none of the old file's steps or jobs is gone (a replacement is no
#     addition), and no line the old file or the change removes runs its commands.
# Everything else (a `|| true` on the check itself in an existing step, `--admin`, `--no-verify`,
# skipped tests) keeps the line rule's severity and message.
BYPASS_RULE = "CI-CHECK-BYPASS"
_OR_TRUE = re.compile(r"\|\|\s*(true|exit\s+0)\b")
_CONTINUE = re.compile(r"continue-on-error")
_IF_FALSE = re.compile(r"^\s*if\s*:")
# `name=$(command) || true` (also export/local/readonly/declare): the status is ignored to keep the output.
_CAPTURE = re.compile(r"^\s*(?:-\s*)?(?:run\s*:\s*)?(?:(?:export|local|readonly|declare(?:\s+-\w+)*)\s+)?"
                      r"(?P<var>[A-Za-z_]\w*)=(?P<value>[\"']?(\$\(|`).*)$")
_SHELL_TEST = re.compile(r"^\s*(if|elif|while|until)\b|\[\[?\s|\btest\s+-|&&|\|\||^\s*case\b")
_EXIT_FAIL = re.compile(r"\bexit\s+(?P<code>[1-9]\d*)\b")
# Actions that compute which files (and so which jobs) a change touches.
FILTER_ACTIONS = re.compile(r"^(dorny/paths-filter|tj-actions/changed-files|step-security/changed-files|"
                            r"technote-space/get-diff-action|ana06/get-changed-files|jitterbit/get-changed-files|"
                            r"trilom/file-changes-action)(@|$)", re.IGNORECASE)
# Actions nearly every job runs: a new step using one is not told apart from an old one by its action.
_COMMON_ACTIONS = re.compile(r"^actions/(checkout|setup-[\w-]+|cache|upload-artifact|download-artifact)$", re.IGNORECASE)
# Script lines that say nothing of what a step checks.
_TRIVIAL_LINE = re.compile(r"^(#.*|fi|else|then|do|done|esac|\{|\}|;;|(echo|printf|cd|mkdir|ls|cat|set|pwd)\b.*)?$")


def check_bypass(sides: FileSides, emit: Emitter, context: ChangeContext, old: Map, new: Map) -> None:
    """The line rule CI-CHECK-BYPASS on this workflow, each finding judged by what its line stands in."""
    rule = emit.rules.by_id(BYPASS_RULE)
    if rule is None:
        return  # disabled by the team
    diff = sides.diff
    if not any(in_scope(p, rule.paths, rule.exclude) for p in (diff.new_path, diff.old_path) if p):
        return  # a workflow kept elsewhere (a template): the line rule never read it
    from reviewer_app.core.risk.engine import FileContext, evaluate_rule
    from reviewer_app.core.risk.hits import prepare
    from reviewer_app.core.risk.removals import ChangeAddedLines

    memo = context.memo("ci-check-bypass")
    if "added" not in memo:
        memo["added"] = ChangeAddedLines(context.change)
    view = prepare(diff)
    findings = evaluate_rule(rule, view, FileContext(view, memo["added"]))
    judge = _BypassJudge(sides, context, old, new, rule.paths) if rule.origin == "built-in" else None
    for finding in findings:
        if judge is not None and finding.side == "new" and finding.line:
            try:
                verdict = judge.judge(finding)
            except Exception:  # noqa: BLE001 - a reading that fails keeps the line rule's finding (fail closed)
                verdict = None
            # Only a lowering replaces the finding: one the file's role already lowered as far keeps its reason.
            if verdict is not None and SEVERITY_RANK[verdict[0]] < SEVERITY_RANK[finding.severity]:
                finding = dataclasses.replace(finding, severity=verdict[0], message=verdict[1])
        emit.findings.append(finding)


def place_in_workflow(workflow: Map, index: int, total: int) -> tuple[str, Map, Map | None, int, int] | None:
    """(job name, job, step or None, start, end) holding the 0-based line ``index`` of a parsed workflow of ``total``
    lines; None outside every job."""
    jobs = workflow.get("jobs")
    if not isinstance(jobs, Map):
        return None
    starts = sorted((jobs.line_of(str(name)), str(name)) for name in jobs)
    for position, (start, name) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else total
        job = jobs.get(name)
        if not (start <= index < end) or not isinstance(job, Map):
            continue
        steps = job.get("steps")
        if isinstance(steps, Seq):
            after = [line for key, line in job.lines.items() if line > job.line_of("steps")]
            steps_end = min([end, *after])
            for n, step in enumerate(steps):
                s_start = steps.lines[n] if n < len(steps.lines) else steps.line
                s_end = steps.lines[n + 1] if n + 1 < len(steps.lines) else steps_end
                if isinstance(step, Map) and s_start <= index < s_end:
                    return name, job, step, s_start, s_end
        return name, job, None, start, end
    return None


class _BypassJudge:
    def __init__(self, sides: FileSides, context: ChangeContext, old: Map, new: Map, ci_paths: tuple[str, ...]) -> None:
        self.sides, self.context, self.old, self.new, self.ci_paths = sides, context, old, new, tuple(ci_paths)
        self.index = {number: index for index, number in enumerate(sides.new.numbers)}
        self._evidence: list[str] | None = None

    # -- where a line stands ----------------------------------------------------------------------
    def place(self, index: int) -> tuple[str, Map, Map | None, int, int] | None:
        """(job name, job, step or None, start, end) of the 0-based line ``index`` of the new side."""
        return place_in_workflow(self.new, index, len(self.sides.new.lines))

    def judge(self, finding: Any) -> tuple[str, str] | None:
        index = self.index.get(finding.line)
        if index is None:
            return None
        text = self.sides.new.lines[index]
        matched = text[finding.start:finding.end] if finding.end > finding.start else text
        place = self.place(index)
        if place is None:
            return None
        job_name, job, step, _, step_end = place
        if _OR_TRUE.search(matched):
            captured = self.captured(index, text, finding.start, step_end if step is not None else len(self.sides.new.lines))
            if captured is not None:
                return captured
            command = _command_before(text, finding.start)
            if not command:
                return None
            return self.added(job_name, job, step, {command}, f"`{' '.join(matched.split())}` after `{_short(command)}`",
                              "a failure of that command will not fail the step")
        if _CONTINUE.search(matched):
            if step is not None and self.sides.new.real_line(step.line_of("continue-on-error")) == finding.line:
                uses = str(step.get("uses") or "")
                if FILTER_ACTIONS.match(uses.strip()):
                    return self.filter_step(job_name, job, step, uses.partition("@")[0])
                return self.added(job_name, job, step, _step_marks(step), "`continue-on-error: true`",
                                  "a failure of that step will not fail the job")
            if step is None and self.sides.new.real_line(job.line_of("continue-on-error")) == finding.line:
                return self.added(job_name, job, None, _job_marks(job), "`continue-on-error: true`",
                                  "a failure of that job will not fail the workflow run")
            return None
        if _IF_FALSE.search(text) and "false" in matched:
            if step is not None and self.sides.new.real_line(step.line_of("if")) == finding.line:
                return self.added(job_name, job, step, _step_marks(step), "`if: false`", "the step never runs")
            if step is None and self.sides.new.real_line(job.line_of("if")) == finding.line:
                return self.added(job_name, job, None, _job_marks(job), "`if: false`", "the job never runs")
        return None

    # -- `out=$(cmd) || true`, then a test of $out that exits non-zero ------------------------------
    def captured(self, index: int, text: str, start: int, end: int) -> tuple[str, str] | None:
        found = _CAPTURE.match(text[:start])
        if found is None or re.match(r"^\s*(-\s*)?run\s*:\s*[^|>\s]", text):
            return None  # not an assignment, or a one-line script: no later line tests it
        var = found.group("var")
        uses = re.compile(r"\$\{?" + re.escape(var) + r"\b")
        lines = self.sides.new.lines
        indent = len(text) - len(text.lstrip())
        test_at = exit_at = None
        code = ""
        for later in range(index + 1, min(end, len(lines))):
            line = lines[later]
            if line.strip() and len(line) - len(line.lstrip()) < indent:
                break  # the script (a block scalar) ends where its indentation does
            if line.lstrip().startswith("#"):
                continue
            if test_at is None and uses.search(line) and _SHELL_TEST.search(line):
                test_at = later
            if test_at is not None:
                failing = _EXIT_FAIL.search(line)
                if failing:
                    exit_at, code = later, failing.group("code")
                    break
        if test_at is None or exit_at is None:
            return None
        real = self.sides.new.real_line
        command = _short(found.group("value"))
        return "low", (f"`|| true` lets the script go on when the command in `{var}={command}` fails, only to keep its "
                       f"output in `{var}`; line {real(test_at)} tests `${var}` and line {real(exit_at)} exits {code}, so the "
                       "step still fails there and no check is made non-blocking. Low: read that test, it decides "
                       "whether this step blocks the merge.")

    # -- a paths filter: which jobs run when it fails --------------------------------------------------
    def filter_step(self, job_name: str, job: Map, step: Map, action: str) -> tuple[str, str]:
        label = f"step `{step.get('name') or step.get('id') or action}` ({action})"
        step_id = str(step.get("id") or "")
        head = (f"`continue-on-error: true` is on {label}, which decides which jobs run; it is no check. If the filter "
                "fails, the step's outputs are empty and its job still succeeds")
        if not step_id:
            return "medium", (head + "; the step has no id, so what reads its outputs was not traced: jobs that run only "
                              "on its output may then be skipped, and a skipped job reports success, so a required check "
                              "passes without running. Medium, not high: this fails open only when the filter itself fails.")
        own = re.compile(r"\bsteps\." + re.escape(step_id) + r"\.outputs\b")
        outputs = job.get("outputs") if isinstance(job.get("outputs"), Map) else Map()
        names = [str(name) for name, value in outputs.items() if own.search(str(value))]
        job_ref = (re.compile(r"\bneeds\." + re.escape(job_name) + r"\.outputs\.(" + "|".join(map(re.escape, names)) + r")\b")
                   if names else None)
        safe: list[str] = []
        unsafe: list[str] = []
        jobs = self.new.get("jobs") if isinstance(self.new.get("jobs"), Map) else Map()
        for name, other in jobs.items():
            if not isinstance(other, Map):
                continue
            pattern = own if str(name) == job_name else job_ref
            if pattern is None or (str(name) != job_name and job_name not in _needs(other)):
                continue
            readers: list[tuple[str, Any]] = [] if str(name) == job_name else [(f"job `{name}`", other.get("if"))]
            readers += [(f"step `{s.get('name') or s.get('id') or s.get('uses') or 'a step'}` of job `{name}`", s.get("if"))
                        for s in other.get("steps") or [] if isinstance(s, Map) and s is not step]
            for reader, condition in readers:
                if condition is not None and pattern.search(str(condition)):
                    (safe if _runs_on_empty(str(condition), pattern) else unsafe).append(f"{reader} (`if: {_short(str(condition))}`)")
            rest = dict(other)
            rest.pop("if", None)
            rest["steps"] = [{k: v for k, v in s.items() if k != "if"} for s in other.get("steps") or []
                             if isinstance(s, Map) and s is not step]
            if str(name) == job_name:
                rest.pop("outputs", None)
            if pattern.search(_dump(rest)):
                unsafe.append(f"job `{name}`, whose steps or settings read the outputs (an empty list of changes)")
        called = re.compile(r"\bjobs\." + re.escape(job_name) + r"\.outputs\b")
        if "workflow_call" in triggers(self.new)[0] and called.search(_dump(self.new.get("on") or self.new.get("True") or "")):
            unsafe.append("the callers of this reusable workflow, which read its outputs")
        if unsafe:
            return "medium", (head + f": then {_joined(unsafe)} may be skipped or do nothing, and a skipped job reports "
                              "success, so a required check it provides passes without running. Medium, not high: this "
                              "fails open only when the filter itself fails.")
        if safe:
            return "low", (head + f", and {_joined(safe)} still {'runs' if len(safe) == 1 else 'run'} on an empty output: a filter failure skips nothing. "
                           "Low: no check is made non-blocking.")
        return "low", (head + ", and nothing in this workflow reads those outputs: a filter failure skips nothing. Low: no "
                       "check is made non-blocking.")

    # -- a workflow, job or step this change adds ---------------------------------------------------
    def added(self, job_name: str, job: Map, step: Map | None, marks: set[str], what: str, effect: str) -> tuple[str, str] | None:
        old_jobs = self.old.get("jobs") if isinstance(self.old.get("jobs"), Map) else Map()
        label = f"step `{_step_label(step)}`" if step is not None else ""
        if any(d.status.value == "deleted" and d is not self.sides.diff and in_scope(d.old_path or d.path, self.ci_paths, ())
               for d in self.context.change.files):
            return None  # a CI configuration deleted in the same change (a workflow, azure-pipelines.yml …) may be what this replaces
        if not self.sides.old.exists:
            where = (f"{label} of job `{job_name}`" if step is not None else f"job `{job_name}`") + " of the workflow this change adds"
            why = "the workflow is new (the change deletes no CI configuration it could replace)"
        else:
            paired = _paired_jobs(self.old, self.new)
            old_job = paired.get(job_name)
            kept = {id(j) for j in paired.values() if j is not None}
            if any(isinstance(j, Map) and id(j) not in kept for j in old_jobs.values()):
                return None  # an old job is gone: the new one may replace it
            if old_job is None:
                where = (f"{label} of job `{job_name}`" if step is not None else f"job `{job_name}`") + ", which this change adds"
                why = "the job is new (the old workflow had no job like it and loses none)"
            elif step is None:
                return None  # a setting of a job that was there: it may have blocked merges
            else:
                new_steps = [s for s in job.get("steps") or [] if isinstance(s, Map)]
                old_steps = [s for s in old_job.get("steps") or [] if isinstance(s, Map)]
                if any(_step_keys(step) & _step_keys(s) for s in old_steps):
                    return None  # the step was there (same id, name, action or script)
                if any(not any(_step_keys(o) & _step_keys(s) for s in new_steps) for o in old_steps):
                    return None  # an old step is gone: the new one may replace it
                where = f"{label}, which this change adds to job `{job_name}`"
                why = f"the step is new (job `{job_name}` had no step like it, by id, name, action or script, and loses none)"
        marks = {m for m in marks if m}
        if any(mark in line for mark in marks for line in self.evidence()):
            return None  # the old file or a line the change removes ran the same command: moved, not added
        lines = "no line of the old file, nor one this change removes," if self.sides.old.exists else "no line this change removes"
        return "medium", (f"{what} in {where}: {effect}. Medium, not high: {why}, and {lines} runs its commands, so "
                          "nothing that blocked a merge before is made non-blocking; read whether it should block.")

    def evidence(self) -> list[str]:
        """The old file's lines and every line the change removes, whitespace collapsed."""
        if self._evidence is None:
            texts = [_normal(line) for line in self.sides.old.lines] if self.sides.old.exists else []
            from reviewer_app.core.model import LineKind

            texts += [_normal(line.text) for d in self.context.change.files for hunk in d.hunks
                      for line in hunk.lines if line.kind is LineKind.REMOVED]
            self._evidence = [t for t in texts if t]
        return self._evidence


def _normal(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"^-\s*", "", text)
    return re.sub(r"^run\s*:\s*[|>]?[-+]?\s*", "", text)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _command_before(text: str, start: int) -> str:
    """The command an `|| true` at column ``start`` guards: the line before it, without YAML's `- run:`."""
    command = _normal(text[:start])
    command = command.strip().strip("'\"").strip()
    return "" if _TRIVIAL_LINE.match(command) else command


def _step_label(step: Map) -> str:
    return str(step.get("name") or step.get("id") or step.get("uses") or _short(str(step.get("run") or "a step"), 40))


def _step_keys(step: Map, with_id: bool = True) -> set[str]:
    """What identifies a step across the two sides: its id (unless ``with_id`` is off), name, action (without
    ref) or script (spacing aside)."""
    keys = set()
    for key in ("id", "name") if with_id else ("name",):
        if step.get(key):
            keys.add(f"{key}:{step.get(key)}")
    if isinstance(step.get("uses"), str):
        keys.add("uses:" + step["uses"].partition("@")[0].lower())
    if isinstance(step.get("run"), str):
        keys.add("run:" + " ".join(step["run"].split()))
    return keys


def _step_marks(step: Map) -> set[str]:
    """The commands and actions a step runs (its script's lines that say what it does)."""
    marks = {_normal(line) for line in str(step.get("run") or "").splitlines()}
    marks = {m for m in marks if not _TRIVIAL_LINE.match(m)}
    action = str(step.get("uses") or "").partition("@")[0].strip()
    if action and not _COMMON_ACTIONS.match(action):
        marks.add(action)
    return marks


def _job_marks(job: Map) -> set[str]:
    marks = {str(job["uses"]).partition("@")[0].strip()} if isinstance(job.get("uses"), str) else set()
    for step in job.get("steps") or []:
        if isinstance(step, Map):
            marks |= _step_marks(step)
    return marks


_EMPTY_SAFE = re.compile(r"^(?P<ref>[\w.\-\[\]']+)\s*!=\s*'false'$|^'false'\s*!=\s*(?P<ref2>[\w.\-\[\]']+)$")


def _runs_on_empty(condition: str, reads: re.Pattern[str]) -> bool:
    """True when a condition still holds with the filter's outputs empty: every comparison reading them is
    ``X != 'false'`` (an empty output passes it) and nothing negates a group, so an empty output can only
    make the condition truer (fail closed: any other use may skip)."""
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    if re.search(r"!(?!=)", text):
        return False
    atoms: list[str] = []
    pending = [text]
    while pending:
        part = _unwrap(pending.pop())
        pieces = _split_top(part, "||")
        if len(pieces) == 1:
            pieces = _split_top(part, "&&")
        if len(pieces) > 1:
            pending.extend(pieces)
        else:
            atoms.append(" ".join(part.split()))
    reading = [atom for atom in atoms if reads.search(atom)]
    return bool(reading) and all(_EMPTY_SAFE.match(atom) and reads.search(atom) for atom in reading)
