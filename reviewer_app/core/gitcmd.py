"""Running git: argument lists only (never a shell string), with the options that make output stable.

A user's git configuration must not change what a diff looks like, or the same commit would get a
different change id on two machines. ``PINNED_DIFF_OPTIONS`` fixes every option that alters the
text of a diff; ``git_env`` keeps global and system configuration out of the way entirely.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from reviewer_app.errors import UserError

# Configuration that would otherwise leak into diff text (prefixes, quoting, colour, renames).
_PINNED_CONFIG = [
    "-c", "core.quotePath=true",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.relative=false",
    "-c", "diff.renames=true",
    "-c", "diff.suppressBlankEmpty=false",
    "-c", "color.ui=false",
    "-c", "core.autocrlf=false",
    "-c", f"core.attributesFile={os.devnull}",
    # The hunk heading is part of the change id (docs/change-id.md). Files without a diff attribute
    # use the "default" driver, and `diff.default.xfuncname` in any config file would change every
    # heading; this is git's built-in rule (a line starting with a letter, '_' or '$') spelled as a
    # pattern, which gives byte-identical headings under the C locale git_env sets.
    "-c", "diff.default.xfuncname=^[A-Za-z_$].*",
]

PINNED_DIFF_OPTIONS = [
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--unified=3",
    "--inter-hunk-context=0",
    "--diff-algorithm=myers",
    "--indent-heuristic",
    "--find-renames",
    "--full-index",
    "--binary",
    "--no-relative",
    "--ignore-submodules=none",
]


def git_env() -> dict[str, str]:
    """The environment for git: no pager, no prompts, fixed language for parsable messages.

    Replace refs (``refs/replace/*``, ``git replace``) are ignored: they swap one object for another
    in this clone only, so a diff read through them is not the content of the commits that ship.
    """
    env = dict(os.environ)
    env.update(GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANG="C", GIT_OPTIONAL_LOCKS="0",
               GIT_NO_REPLACE_OBJECTS="1")
    return env


def run_git(
    repo: Path,
    *args: str,
    input_bytes: bytes | None = None,
    check: bool = True,
    timeout: float | None = 600,
    env: dict[str, str] | None = None,
    global_args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C repo args...``; raise UserError with git's own message when it fails."""
    cmd = ["git", "-C", str(repo), *global_args, *_PINNED_CONFIG, *args]
    try:
        proc = subprocess.run(
            cmd, input=input_bytes, capture_output=True, env={**git_env(), **(env or {})},
            timeout=timeout, check=False,
        )
    except FileNotFoundError as exc:  # git itself missing
        raise UserError("git is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"git {args[0] if args else ''} timed out after {timeout:.0f} s in {repo}") from exc
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[-1] if message else f"exit status {proc.returncode}"
        raise UserError(f"git {args[0] if args else ''} failed in {repo}: {first}")
    return proc


def run_git_without_worktree(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run git on ``repo``'s objects with an empty work tree and index.

    Diffs between commits still read ``.gitattributes`` from the checkout: a checkout whose
    attributes say ``*.sh -diff`` would show a script as "binary" and hide it from the risk rules,
    and two checkouts of the same commits could yield different change ids. With an empty work
    tree and index, no checked-out attribute applies.
    """
    git_dir = _GIT_DIRS.pop(str(repo), None)  # used once: a long-running process asks again later
    if git_dir is None:
        git_dir = run_git(repo, "rev-parse", "--absolute-git-dir").stdout.decode("utf-8", "replace").strip()
    empty = _empty_folder()
    try:
        return run_git(
            Path(empty), *args,
            env={"GIT_INDEX_FILE": str(Path(empty) / "index")},
            global_args=(f"--git-dir={git_dir}", f"--work-tree={empty}"),
        )
    finally:
        try:
            os.rmdir(empty)
        except OSError:  # something was written in it after all
            import shutil

            shutil.rmtree(empty, ignore_errors=True)


def _empty_folder() -> str:
    """A new empty folder of this process's own (mode 0700) under $TMPDIR or /tmp, made without the
    tempfile module (it and shutil, which it imports, are a fiftieth of a one-line analyze); where
    neither can take it (another platform), tempfile makes it."""
    parent = os.path.abspath(os.environ.get("TMPDIR") or "/tmp")
    for _ in range(3):
        path = os.path.join(parent, f"reviewer-app-git-{os.urandom(8).hex()}")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
        except OSError:
            break
    import tempfile

    return tempfile.mkdtemp(prefix="reviewer-app-git-")


def configured_email(repo: Path | None) -> str | None:
    """The repository's ``git config user.email``, lower-cased: the default identity for signing
    (the gate counts only lower-case principals) and whose ref carries locally submitted patches."""
    if repo is None:
        return None
    proc = run_git(repo, "config", "--get", "user.email", check=False)
    value = proc.stdout.decode("utf-8", "replace").strip().lower()
    return value or None


# (repository, commit id) -> the commit's tree id, as git printed them: content-addressed, never stale.
_TREES: dict[tuple[str, str], str] = {}


def remember_tree(repo: Path, commit: str, tree: str) -> None:
    """Record the tree of ``commit`` (a full id git printed for ``repo``) for ``known_tree``."""
    _TREES[(str(repo), commit)] = tree


def known_tree(repo: Path, commit: str) -> str | None:
    """The tree id of ``commit`` in ``repo`` when a git command already printed it, else None."""
    return _TREES.get((str(repo), commit))


# Work tree top -> its absolute git dir, as the rev-parse that found the top printed it: the range
# diff that follows runs on the git dir (run_git_without_worktree) without a git process to ask.
_GIT_DIRS: dict[str, str] = {}


def repository_root(start: Path) -> Path | None:
    """The top of the git work tree holding ``start``, or None when it is not in one."""
    proc = run_git(start, "rev-parse", "--show-toplevel", "--absolute-git-dir", check=False)
    if proc.returncode != 0:
        return None
    lines = proc.stdout.decode("utf-8", "replace").strip().split("\n")
    if len(lines) != 2:  # a path with a line break in it: ask for the top alone
        proc = run_git(start, "rev-parse", "--show-toplevel", check=False)
        return Path(proc.stdout.decode("utf-8", "replace").strip()) if proc.returncode == 0 else None
    top, git_dir = lines
    _GIT_DIRS[top] = git_dir
    return Path(top)
