"""Revisions the user names, resolved to exactly one commit: never by git's guess.

Given a short name, git tries ``refs/<name>``, ``refs/tags/<name>``, ``refs/heads/<name>``,
``refs/remotes/<name>`` and ``refs/remotes/<name>/HEAD`` in that order and takes the first that
exists. Anyone who can push a tag can therefore make ``origin/main`` mean their own commit in a
fresh CI clone (``refs/tags/origin/main`` wins over ``refs/remotes/origin/main``), and the gate
would read that commit's permissive policy. So the tool resolves names itself:

- a full ref (``refs/remotes/origin/main``) must exist under exactly that name;
- a short name must match exactly one of git's candidates, else it is an error naming them all;
- a name that only matches a tag is refused unless tags were asked for (writing ``refs/tags/...``
  in full counts as asking);
- ``HEAD``, a full commit id, or an abbreviated one that matches exactly one commit and no ref;
- then ``~N`` / ``^N`` steps, applied by git to the full commit id found.

Everything else git accepts (``@{upstream}``, reflog entries, ``:path``, ``^{/text}``, pseudo-refs
such as ``FETCH_HEAD``) is refused: a gate decision must not depend on what git guesses.
"""

from __future__ import annotations

import re
from pathlib import Path

from reviewer_app.core.lazyregex import lazy_compile  # module patterns: compiled on first use
from reviewer_app.core.gitcmd import repository_root, run_git
from reviewer_app.core.records import FrozenRecord
from reviewer_app.errors import UserError

TAG_PREFIX = "refs/tags/"
_FULL_ID = lazy_compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_SHORT_ID = r"^[0-9a-f]{4,63}$"  # compiled (and kept in re's cache) at its first use: short ids are rare
_STEPS = lazy_compile(r"^(?:[~^][0-9]*)*$")
# Characters git never allows in a ref name (check-ref-format), and a few that only its revision
# syntax uses; '~' and '^' start the steps and are split off before this check.
_NOT_IN_A_NAME = lazy_compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_PSEUDO_REF = r"^[A-Z_]+$"  # likewise: a range written with HEAD never asks


class Revision(FrozenRecord):
    """One resolved revision: what the user wrote, the full ref it named (``HEAD`` or None for a
    commit id) and the full commit id every later git command is given."""

    FIELDS = ("text", "ref", "commit")

    def __init__(self, text: str, ref: str | None, commit: str) -> None:
        self.text = text
        self.ref = ref
        self.commit = commit


def candidates(name: str) -> list[str]:
    """The full refs git would try for a short ``name``, in git's order of preference."""
    return [f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}", f"refs/remotes/{name}",
            f"refs/remotes/{name}/HEAD"]


def resolve_commit(repo: Path, text: str, context: str | None = None, allow_tags: bool = False) -> str:
    """The full commit id ``text`` names (see the module docstring for what it may be)."""
    return resolve_revision(repo, text, context, allow_tags).commit


def resolve_revision(repo: Path, text: str, context: str | None = None, allow_tags: bool = False) -> Revision:
    """Resolve ``text`` in ``repo`` to one ref (or commit id) and its commit; UserError otherwise.

    ``context`` starts every error message (e.g. the range the revision came from), so the user
    sees which argument was wrong.
    """
    prefix, name, steps, ref, target = _target(repo, text, context, allow_tags)
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{target}{steps}^{{commit}}",
                   check=False)
    commit = proc.stdout.decode("ascii", "replace").strip()
    if proc.returncode != 0 or not _FULL_ID.match(commit):
        if steps:
            raise UserError(f"{prefix}'{text}' is not a commit in {repo} ({name} has no '{steps}')")
        if name == "HEAD":
            raise UserError(f"{prefix}HEAD is not a commit in {repo} (the repository has no commits?)")
        raise UserError(f"{prefix}'{text}' is not a commit in {repo} ({ref or name} points to another kind of object)")
    return Revision(text=text, ref=ref, commit=commit)


def resolve_commits(repo: Path, texts: list[str], context: str | None = None, allow_tags: bool = False) -> list[str]:
    """``resolve_commit`` of each of ``texts``, with one git process for the final step of them all
    (a range names two revisions). Any doubt, and every error, takes the one-by-one way, so the
    answers and the messages are ``resolve_commit``'s."""
    try:
        targets = [_target(repo, text, context, allow_tags) for text in texts]
    except UserError:
        targets = []
    if targets:
        # Each target is HEAD, a full ref or a full commit id (never an option or a path), so the
        # answer is one line per revision, in order, when all of them name commits.
        proc = run_git(repo, "rev-parse", *(f"{target}{steps}^{{commit}}" for _, _, steps, _, target in targets),
                       check=False)
        commits = proc.stdout.decode("ascii", "replace").split()
        if proc.returncode == 0 and len(commits) == len(texts) and all(_FULL_ID.match(c) for c in commits):
            return commits
    return [resolve_commit(repo, text, context, allow_tags) for text in texts]


def _target(repo: Path, text: str, context: str | None, allow_tags: bool) -> tuple[str, str, str, str | None, str]:
    """(message prefix, name, steps, ref, target): what ``text`` names before its ``~N``/``^N`` steps,
    the target as a full ref, ``HEAD`` or a full commit id."""
    prefix = f"{context}: " if context and context != text else ""
    name, steps = _split_steps(text, prefix)
    _check_name(name, text, prefix)
    if name == "HEAD":
        ref: str | None = "HEAD"
        target = "HEAD"
    elif _FULL_ID.match(name.lower()) and _is_commit(repo, name.lower()):
        ref, target = None, _commit_id(repo, name.lower(), text, prefix)
    elif name.startswith("refs/"):
        ref, target = _full_ref(repo, name, text, prefix)
    else:
        ref, target = _short_name(repo, name, text, prefix, allow_tags)
    return prefix, name, steps, ref, target


def _split_steps(text: str, prefix: str) -> tuple[str, str]:
    """``main~2^1`` -> (``main``, ``~2^1``); any other revision syntax is refused."""
    cut = min((i for i in (text.find("~"), text.find("^")) if i >= 0), default=len(text))
    name, steps = text[:cut], text[cut:]
    if not _STEPS.match(steps):
        raise UserError(f"{prefix}'{text}': only ~N and ^N may follow a name "
                        "(write the commit or the full ref you mean)")
    return name, steps


def _check_name(name: str, text: str, prefix: str) -> None:
    if not name:
        raise UserError(f"{prefix}'{text}': expected a ref or a commit id before '{text[:1]}'")
    if name.startswith("-"):
        raise UserError(f"{prefix}'{text}': a revision may not start with '-'")
    if name == "@" or "@{" in name:
        raise UserError(f"{prefix}'{text}': reflog and upstream shorthands (@, @{{...}}) are not accepted; "
                        "write HEAD, a full ref or a commit id")
    if (_NOT_IN_A_NAME.search(name) or ".." in name or "//" in name or name.endswith(("/", ".", ".lock"))
            or any(part.startswith(".") for part in name.split("/"))):
        raise UserError(f"{prefix}'{text}': not a valid ref name or commit id")
    if name != "HEAD" and re.match(_PSEUDO_REF, name):
        raise UserError(f"{prefix}'{text}': pseudo-refs other than HEAD are not accepted "
                        "(their meaning depends on the last fetch or merge); write a full ref or a commit id")


def _existing(repo: Path, names: list[str]) -> dict[str, str]:
    """``{full ref: object id}`` for each of ``names`` that exists as exactly that ref."""
    proc = run_git(repo, "for-each-ref", "--format=%(refname) %(objectname)", *names, check=False)
    if proc.returncode != 0:
        if repository_root(repo) is None:
            raise UserError(f"{repo}: not a git repository (a revision needs one: run inside it or give --repo DIR)")
        run_git(repo, "for-each-ref", *names)  # any other failure: git's own message, one line
    out = proc.stdout.decode("utf-8", "replace")
    found: dict[str, str] = {}
    for line in out.splitlines():
        ref, _, oid = line.partition(" ")
        # for-each-ref also lists refs below a pattern (refs/tags/x/y for refs/tags/x): exact only.
        if ref in names and oid:
            found[ref] = oid
    return found


def _full_ref(repo: Path, name: str, text: str, prefix: str) -> tuple[str, str]:
    """A name written in full means exactly that ref (``refs/tags/...`` written out asks for a tag)."""
    found = _existing(repo, [name])
    if name not in found:
        raise UserError(f"{prefix}unknown revision '{text}' in {repo}: no ref {name} (a full ref name is "
                        "taken exactly as written)")
    return name, found[name]


def _short_name(repo: Path, name: str, text: str, prefix: str, allow_tags: bool) -> tuple[str | None, str]:
    names = candidates(name)
    found = _existing(repo, names)
    matches = [ref for ref in names if ref in found]
    objects = _objects_with_prefix(repo, name) if re.match(_SHORT_ID, name.lower()) else []
    if len(matches) + (1 if objects else 0) > 1:
        what = ", ".join(matches + ([f"the commit id {objects[0]}"] if len(objects) == 1 else
                                    [f"{len(objects)} commits whose ids start with {name}"] if objects else []))
        raise UserError(f"{prefix}'{name}' is ambiguous in {repo}: it could mean {what}; "
                        "write the full ref (or the full commit id) you mean")
    if objects:
        return None, _abbreviated_id(repo, name, objects, text, prefix)
    if not matches:
        raise UserError(f"{prefix}unknown revision '{text}' in {repo} ({name}: not a commit id, and none of "
                        f"{', '.join(names)} exists)")
    ref = matches[0]
    if ref.startswith(TAG_PREFIX) and not allow_tags:
        raise UserError(f"{prefix}'{name}' is a tag ({ref}), not a branch; "
                        f"write {ref} in full if you mean the tag")
    return ref, found[ref]


def _objects_with_prefix(repo: Path, abbreviation: str) -> list[str]:
    """Every commit or tag object whose id starts with ``abbreviation``.

    Blobs and trees are left out: they can never name a commit, and in a large repository almost
    every four-letter hex word (``beef``, ``cafe``) starts some blob's id, which would make a
    branch of that name ambiguous for nothing.
    """
    proc = run_git(repo, "rev-parse", f"--disambiguate={abbreviation.lower()}", check=False)
    oids = [line for line in proc.stdout.decode("ascii", "replace").split() if _FULL_ID.match(line)]
    if not oids:
        return []
    types = run_git(repo, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                    input_bytes=("\n".join(oids) + "\n").encode()).stdout.decode("ascii", "replace")
    return [oid for oid, _, kind in (line.partition(" ") for line in types.splitlines()) if kind in ("commit", "tag")]


def _abbreviated_id(repo: Path, name: str, objects: list[str], text: str, prefix: str) -> str:
    if len(objects) > 1:
        raise UserError(f"{prefix}'{name}' is ambiguous in {repo}: {len(objects)} commits have ids starting "
                        "with it; write the full commit id")
    return _commit_id(repo, objects[0], text, prefix)


def _is_commit(repo: Path, oid: str) -> bool:
    return run_git(repo, "cat-file", "-e", f"{oid}^{{commit}}", check=False).returncode == 0


def _commit_id(repo: Path, oid: str, text: str, prefix: str) -> str:
    """A full object id: it must be a commit (or a tag of one), and no ref may carry the same name."""
    shadowing = list(_existing(repo, candidates(oid)))
    if shadowing:
        raise UserError(f"{prefix}'{oid}' is ambiguous in {repo}: it is a commit id and also {', '.join(shadowing)}; "
                        "write the full ref if you mean the ref")
    if not _is_commit(repo, oid):
        raise UserError(f"{prefix}unknown revision '{text}' in {repo}: {oid} is not a commit here")
    return oid


__all__ = ["Revision", "candidates", "resolve_commit", "resolve_commits", "resolve_revision"]
