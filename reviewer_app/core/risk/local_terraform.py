"""A Terraform apply or destroy in a CI step whose working folder declares only providers with no remote effect.

OPS-IAC-DESTRUCTIVE-COMMAND reads ``terraform apply -auto-approve`` added to a workflow as infrastructure
changed with nobody reading the plan. A test workflow of a Terraform tool (an action that installs Terraform,
a wrapper) often applies a fixture that creates a ``random_pet`` and an output: nothing outside the runner
exists before or after. Read from the head of the change, failing closed:

  * only a GitHub Actions workflow, whose working folder is written down: the step's ``working-directory``,
    else the job's or the workflow's ``defaults.run.working-directory``, else the repository root; a
    ``-chdir=`` on the line wins. An expression (``${{ matrix.dir }}``) or a ``cd`` in the step's script
    keeps the rule's level;
  * the folder's ``.tf`` files (at least one; no ``.tf.json``) declare resources, data sources and providers
    only of ``LOCAL_PROVIDERS``, call no module, and keep their state locally (no backend other than
    ``local``, no ``cloud`` block).
"""

from __future__ import annotations

import posixpath
import re

from reviewer_app.core.lazyregex import lazy_compile
from reviewer_app.core.model import Change
from reviewer_app.core.risk.hits import FileView, Hit

# Providers whose resources live in the state file and on the machine running Terraform, nowhere else.
LOCAL_PROVIDERS = frozenset({"random", "local", "null", "time", "tls", "terraform", "archive"})
_WORKFLOW = lazy_compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$")
_TERRAFORM = lazy_compile(r"\b(terraform|tofu)\b")
_CHDIR = lazy_compile(r"-chdir[= ](\S+)")
_DECLARED = lazy_compile(r'^\s*(resource|data|ephemeral|provider|module)\s+"([^"]+)"', re.MULTILINE)
_BACKEND = lazy_compile(r'^\s*backend\s+"([^"]+)"|^\s*cloud\s*\{', re.MULTILINE)
_CD = lazy_compile(r"(^|[;&|]\s*|\s)(cd|pushd)\s")
MAX_FILES = 20


def own_local_state(view: FileView, anchor: Hit, change: Change | None) -> str:
    """Why the Terraform command on this workflow line touches nothing outside the runner (see the module
    docstring); "" otherwise."""
    path = view.diff.path or ""
    if anchor.side != "new" or change is None or not _WORKFLOW.search(path):
        return ""
    line = view.added.lines[anchor.index]
    if line.new_no is None or not _TERRAFORM.search(line.text):
        return ""
    folder = _working_folder(view, line.new_no, line.text)
    if folder is None:
        return ""
    from reviewer_app.core.risk.structure.texts import git_output, repository_for

    repo = repository_for(change.base, change.head)
    if repo is None or not change.head:
        return ""
    listed = git_output(repo, "ls-tree", "--name-only", f"{change.head}:{folder}" if folder != "." else change.head)
    if listed is None:
        return ""
    names = listed.decode("utf-8", "replace").split()
    if any(name.endswith(".tf.json") for name in names):
        return ""
    files = [name for name in names if name.endswith(".tf")]
    if not files or len(files) > MAX_FILES:
        return ""
    types: set[str] = set()
    for name in files:
        shown = git_output(repo, "show", f"{change.head}:{posixpath.join(folder, name) if folder != '.' else name}")
        if shown is None:
            return ""
        text = shown.decode("utf-8", "replace")
        backend = _BACKEND.search(text)
        if backend is not None and backend.group(1) != "local":
            return ""
        for kind, name_or_type in _DECLARED.findall(text):
            if kind == "module" or name_or_type.split("_", 1)[0] not in LOCAL_PROVIDERS:
                return ""
            if kind != "provider":
                types.add(name_or_type)
    if not types:
        return ""
    shown_types = ", ".join(sorted(types)[:4]) + (" …" if len(types) > 4 else "")
    return (f"the step runs in {folder}, whose Terraform declares only {shown_types}: providers that keep "
            f"everything in the runner and its local state ({', '.join(sorted(LOCAL_PROVIDERS))}), and no module "
            "or remote backend, so the command creates or destroys nothing outside the CI job")


def _working_folder(view: FileView, number: int, text: str) -> str | None:
    """The folder the command on new line ``number`` runs in, or None when it cannot be told plainly."""
    chdir = _CHDIR.search(text)
    if chdir is not None:
        return _plain_folder(chdir.group(1).strip("\"'"))
    lines = view.whole_new_lines()
    if lines is None:
        return None
    from reviewer_app.core.risk.structure.actions import place_in_workflow
    from reviewer_app.core.risk.structure.yamldoc import Map, load_all

    try:
        docs = load_all("\n".join(lines))
    except Exception:  # noqa: BLE001 - not YAML: nothing is told
        return None
    workflow = docs[0] if len(docs) == 1 and isinstance(docs[0], Map) else None
    place = place_in_workflow(workflow, number - 1, len(lines)) if workflow is not None else None
    if place is None or place[2] is None:
        return None
    _, job, step, _, _ = place
    if _CD.search(str(step.get("run") or "")):
        return None  # the script moves elsewhere before (or after) the command
    folder = step.get("working-directory") or _default_folder(job) or _default_folder(workflow) or "."
    return _plain_folder(str(folder))


def _default_folder(node: dict) -> str | None:
    """``defaults.run.working-directory`` of a job or a workflow, when written."""
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    folder = run.get("working-directory") if isinstance(run, dict) else None
    return str(folder) if folder else None


def _plain_folder(folder: str) -> str | None:
    """A folder inside the repository, normalised (``./a/b/`` -> ``a/b``); None for an expression, an absolute
    path or one leading out of the repository."""
    if "$" in folder or folder.startswith(("/", "~")):
        return None
    normal = posixpath.normpath(folder)
    return None if normal.startswith("..") else normal
