"""GitHub Actions workflows by structure: triggers, token permissions per job, secrets, actions used.

Judged on the new side against the old one:
  * triggers that run with the base repository's secrets on events a fork controls
    (``pull_request_target``, ``workflow_run``); with a checkout of the pull request's head in
    the same workflow, it is the "pwn request" and critical;
  * the token's effective permissions per job (the job's own, else the workflow's): a scope
    that becomes ``write`` (``write-all``, ``secrets: inherit`` critical). ``permissions: {}``
    grants nothing and a workflow deleted whole grants nothing: neither is a widening;
  * secrets handed to a job that runs code from a fork;
  * third-party actions moved from a pinned commit SHA to a tag or branch, or added unpinned.
    A tag bumped to another tag (a bot's version bump) is not a finding;
  * automatic approval or merge of dependency pull requests (a new one is high).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import Emitter, Parsed
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
REMOTE_SCRIPT = re.compile(r"\b(curl|wget)\b[^|\n]*\|\s*(sudo\s+)?(ba|z|da)?sh\b")
BOT_AUTHORS = re.compile(r"dependabot|renovate|github-actions\[bot\]|\[bot\]", re.IGNORECASE)
CRITICAL_SCOPES = frozenset({"contents", "id-token", "packages", "actions", "deployments"})
# Events whose runs an outsider can cause (a fork's pull request, a comment): a token minted there
# is the outsider's.
OUTSIDER_EVENTS = frozenset({*PRIVILEGED_TRIGGERS, "issue_comment", "pull_request_review_comment", "discussion_comment", "issues"})


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
        self.privileged_triggers(events, old_events, holder, key)
        self.checkout_of_untrusted_code(events, old_events)
        self.permissions()
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
                self.emitter.emit("GHA-DANGEROUS-TRIGGER", "new", line,
                                  f"the workflow now runs on `{event}`: with the repository's secrets and a write token, "
                                  "on an event a fork can cause.")

    def checkout_of_untrusted_code(self, events: set[str], old_events: set[str]) -> None:
        untrusted = [e for e in PRIVILEGED_TRIGGERS if e in events]
        if not untrusted:
            return
        old_sites = {text for _, _, _, text in _checkouts(self.old)}
        trigger_is_new = not any(e in old_events for e in untrusted)
        for job_name, node, key, text in _checkouts(self.new):
            if text in old_sites and not trigger_is_new:
                continue
            job = self.new["jobs"].get(job_name)
            uses_secrets = "secrets." in _dump(job)
            self.emitter.emit("GHA-PR-TARGET-CHECKOUT", "new", self.line(node, key),
                              f"job {job_name} checks out the pull request's own code under `{untrusted[0]}`: a fork's code "
                              "runs with the base repository's token" + (" and the job's secrets." if uses_secrets else "."))
            if uses_secrets:
                self.emitter.emit("GHA-SECRETS-UNTRUSTED", "new", self.line(job, "steps") if isinstance(job, Map) else 0,
                                  f"job {job_name} hands secrets to steps that run a fork's code.")

    # -- permissions ------------------------------------------------------------------------------
    def permissions(self) -> None:
        new_jobs, old_jobs = self.new["jobs"], self.old.get("jobs") if isinstance(self.old.get("jobs"), Map) else Map()
        outsider_events = triggers(self.new)[0]
        for name, job in new_jobs.items():
            if not isinstance(job, Map):
                continue
            old_job = old_jobs.get(name) if isinstance(old_jobs.get(name), Map) else None
            granted = _effective(self.new, job)
            before = _effective(self.old, old_job) if old_job is not None or self.old else {}
            replaced = _secret_token_replaced(old_job, job)
            for scope, level in sorted(granted.items()):
                if level != "write" or before.get(scope) == "write":
                    continue
                node, key = (job, "permissions") if "permissions" in job else (self.new, "permissions")
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
                                      f"job {name}: the token gains `id-token: write`: the job can mint an OIDC token, "
                                      "and the cloud's trust policy decides what it reaches.", severity="medium")
                    continue
                if replaced and scope != "*" and not workflow_wide:
                    # The job stops using a stored token (a bot's or a person's, scoped to far more
                    # than this repository) for the job token: the write scope it now states is
                    # what that secret already gave it, so standing privilege shrinks.
                    self.emitter.emit("GHA-PERMISSIONS-WIDENED", "new", line,
                                      f"job {name}: the token gains `{scope}: write`, as the job replaces the stored "
                                      f"token secrets.{replaced} with the job's own token.", severity="medium")
                    continue
                self.emitter.emit("GHA-PERMISSIONS-WIDENED", "new", line,
                                  f"job {name}: the token gains "
                                  + ("every write scope (write-all)." if critical else f"`{scope}: write`.")
                                  + (" A compromised step can push code, publish packages or mint cloud credentials." if scope in CRITICAL_SCOPES or critical else "")
                                  + (" It is granted workflow-wide, to every job." if workflow_wide else ""),
                                  severity="critical" if critical else "high" if scope in CRITICAL_SCOPES or workflow_wide else "medium")
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

    # -- actions ------------------------------------------------------------------------------------
    def actions_used(self) -> None:
        old_refs: dict[str, set[str]] = {}
        for _, _, _, uses in _steps_uses(self.old):
            action, _, ref = uses.partition("@")
            old_refs.setdefault(action.lower(), set()).add(ref)
        for job_name, node, key, uses in _steps_uses(self.new):
            if not _third_party(uses):
                continue
            action, _, ref = uses.partition("@")
            if SHA.match(ref):
                continue
            previous = old_refs.get(action.lower())
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
        for job_name, _, step in _steps(self.new):
            run = step.get("run")
            if isinstance(run, str) and REMOTE_SCRIPT.search(run) and run not in old_runs:
                self.emitter.emit("GHA-REMOTE-SCRIPT", "new", self._run_line(step, REMOTE_SCRIPT),
                                  f"job {job_name} pipes a script downloaded at run time into a shell: its publisher "
                                  "(or whoever takes over the URL) runs code with this job's token and secrets.")

    def _run_line(self, step: Map, pattern: re.Pattern[str]) -> int:
        start = step.line_of("run")
        end = max([line for line in step.lines.values() if line > start], default=start + 200)
        for index in range(start, min(end + 1, len(self.sides.new.lines))):
            if pattern.search(self.sides.new.lines[index]):
                return self.sides.new.real_line(index)
        return self.line(step, "run")


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
                    yield job_name, with_, key, f"{uses}:{with_.get(key)}"
                    break
        run = step.get("run")
        if isinstance(run, str) and RUN_CHECKOUT.search(run):
            yield job_name, step, "run", run


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
