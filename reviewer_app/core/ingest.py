"""Where changes come from: a patch or mbox file, standard input, or a git range.

A git range ``BASE..HEAD`` becomes one Change diffed from the merge base (what a pull request
shows), with every commit's message kept for provenance and review. Git runs with argument lists
and pinned diff options (see gitcmd), so a user's configuration cannot change the change id.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.lazyregex import lazy_compile  # module patterns: compiled on first use
from reviewer_app.core.gitcmd import PINNED_DIFF_OPTIONS, remember_tree, run_git, run_git_without_worktree
from reviewer_app.core.model import Change, Commit, Person
from reviewer_app.core.revisions import resolve_commits
from reviewer_app.errors import UserError

GIT_PREFIX = "git:"
_RANGE = lazy_compile(r"^([^.\s][^\s]*?)(\.\.\.?)([^.\s][^\s]*)$")
# One record per commit; fields separated by NUL, records by RS (0x1e) so messages may hold anything.
# The log runs with --boundary: the boundary mark and tree come first, so the merge base's tree
# (the callers search it) is known without another git process.
_LOG_FORMAT = "%m%x00%T%x00%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e"


def read_patch_bytes(spec: str, stdin: BinaryIO | None = None) -> tuple[bytes, str]:
    """The bytes of a patch file, or of standard input for ``-``; returns (data, source name)."""
    if spec == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return stream.read(), "<stdin>"
    path = Path(spec)
    try:
        return path.read_bytes(), spec
    except FileNotFoundError as exc:
        raise UserError(f"{spec}: no such file") from exc
    except IsADirectoryError as exc:
        raise UserError(f"{spec}: is a directory, expected a patch file (or use --git BASE..HEAD)") from exc
    except OSError as exc:
        raise UserError(f"{spec}: cannot read: {exc.strerror}") from exc


def load_changes(spec: str, repo: Path | None = None, stdin: BinaryIO | None = None) -> list[Change]:
    """Changes from a path, ``-`` (stdin) or ``git:BASE..HEAD`` (needs ``repo``)."""
    if spec.startswith(GIT_PREFIX):
        if repo is None:
            raise UserError(f"{spec[len(GIT_PREFIX):]}: a git range needs a repository (--repo DIR)")
        return [load_git_range(repo, spec[len(GIT_PREFIX):])]
    data, source = read_patch_bytes(spec, stdin)
    return parse_patch(data, source)


def _verify_commits(repo: Path, revs: list[str], range_text: str) -> list[str]:
    """The one commit each of ``revs`` names: a full ref, an unambiguous short name, HEAD or a commit
    id (core/revisions: git's own guess would let a pushed tag shadow a branch)."""
    return resolve_commits(repo, revs, context=range_text)


def load_git_range(repo: Path, range_text: str) -> Change:
    """One Change for ``BASE..HEAD`` (or ``BASE...HEAD``), diffed from the merge base."""
    match = _RANGE.match(range_text.strip())
    if not match:
        raise UserError(f"{range_text}: expected a range BASE..HEAD")
    base, head = _verify_commits(repo, [match.group(1), match.group(3)], range_text)
    if _steps_back(match.group(1), match.group(3)):
        merge_base = base  # an ancestor of the head (or the head itself) is their merge base: no git process
    else:
        merge_base_proc = run_git(repo, "merge-base", base, head, check=False)
        if merge_base_proc.returncode != 0:
            raise UserError(f"{range_text}: '{match.group(1)}' and '{match.group(3)}' have no common history")
        merge_base = merge_base_proc.stdout.decode().strip()
    diff = run_git_without_worktree(repo, "diff", *PINNED_DIFF_OPTIONS, merge_base, head, "--").stdout
    source = f"git:{range_text}"
    if not diff.strip():
        raise UserError(f"{range_text}: no changes between {match.group(1)} and {match.group(3)}")
    changes = parse_patch(diff, source)
    change = changes[0]
    commits = _commits(repo, merge_base, head)
    _apply_commits(change, commits, base=merge_base, head=head)
    from reviewer_app.core.risk.structure.texts import remember_range

    remember_range(merge_base, head, repo)  # the structured risk analysers read whole files from here
    change.raw = _range_patch(change, diff)
    return change


def _steps_back(base: str, head: str) -> bool:
    """Whether ``base`` is written as ``head`` followed by ``~N``/``^N`` steps (``X^..X``,
    ``HEAD~3..HEAD``): then it names an ancestor of the head, or the head itself, by construction."""
    steps = base[len(head):]
    return base.startswith(head) and steps[:1] in ("~", "^") and not steps.strip("~^0123456789")


def _commits(repo: Path, base: str, head: str) -> list[Commit]:
    """The commits of ``base..head``, oldest first; ``base``'s tree is remembered (gitcmd.remember_tree)."""
    out = run_git(repo, "log", "--reverse", "--boundary", "--no-color", f"--format={_LOG_FORMAT}", f"{base}..{head}",
                  "--").stdout
    commits: list[Commit] = []
    for record in out.decode("utf-8", "replace").split("\x1e"):
        record = record.lstrip("\n")
        if not record:
            continue
        fields = record.split("\0")
        if len(fields) < 10:
            continue
        mark, tree = fields[0], fields[1]
        if mark == "-":  # a boundary commit: outside the range, listed for its tree
            if fields[2] == base:
                remember_tree(repo, base, tree)
            continue
        sha, an, ae, ad, cn, ce, cd, message = fields[2:10]
        message = message.strip("\n")
        commits.append(Commit(
            subject=message.split("\n", 1)[0], message=message, author=Person(an, ae),
            committer=Person(cn, ce), author_date=_utc(ad), commit_date=_utc(cd), sha=sha,
        ))
    return commits


def _utc(iso: str) -> str:
    return iso.replace("+00:00", "Z")


def _apply_commits(change: Change, commits: list[Commit], base: str, head: str) -> None:
    change.base, change.head = base, head
    change.commits = commits
    if not commits:
        return
    # The change's author is whoever wrote most of its commits (ties: the earliest).
    counts = Counter(commit.author.email.lower() for commit in commits)
    top = max(counts.values())
    main_author = next(c.author for c in commits if counts[c.author.email.lower()] == top)
    last = commits[-1]
    change.author = main_author
    change.committer = last.committer
    change.author_date = commits[0].author_date
    change.commit_date = last.commit_date
    if len(commits) == 1:
        change.title = commits[0].subject
        change.message = commits[0].message
    else:
        change.title = f"{commits[0].subject} (+{len(commits) - 1} more commit{'s' if len(commits) > 2 else ''})"
        change.message = "\n\n".join(commit.message for commit in commits)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _mail_date(iso: str | None) -> str:
    """An RFC 2822 date, exactly as ``email.utils.format_datetime`` writes it (tests compare the two):
    written here because the email package costs a git range's analysis more than the rest of ingest."""
    from datetime import datetime

    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    zone = "-0000" if moment.tzinfo is None else moment.strftime("%z")
    return (f"{_WEEKDAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {zone}")


def _range_patch(change: Change, diff: bytes) -> bytes:
    """A self-describing patch for the queue: the commits' messages as a header, then the diff.

    Stored so that a teammate (after sync) sees the same diff; the header is mail-like, so
    parse_patch reads the metadata back.
    """
    author = change.author
    header = (
        f"From {change.head} Mon Sep 17 00:00:00 2001\n"
        f"From: {author.name} <{author.email}>\n"
        f"Date: {_mail_date(change.author_date)}\n"
        f"Subject: [PATCH] {change.title}\n"
        f"X-Reviewer-Base: {change.base}\n"
        "\n"
    )
    body = change.message.split("\n", 1)[1].strip("\n") if "\n" in change.message else ""
    return (header + (body + "\n" if body else "") + "---\n\n").encode("utf-8") + diff


__all__ = ["load_changes", "load_git_range", "read_patch_bytes"]
