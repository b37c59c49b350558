"""Building real Change objects for risk tests, from example lines or from real git diffs."""

from __future__ import annotations

import functools

from reviewer_app.core.model import Change, FileDiff, FileStatus, Hunk, Line, LineKind, Person

KINDS = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}


def hunk_from(example: str, start: int = 10) -> Hunk:
    """A hunk from prefixed lines ('+added', '-removed', ' context'), numbered from ``start``."""
    lines: list[Line] = []
    old_no = new_no = start
    for raw in example.strip("\n").split("\n"):
        prefix, text = (raw[:1], raw[1:]) if raw[:1] in KINDS else (" ", raw)
        kind = KINDS[prefix]
        lines.append(Line(kind, old_no if kind is not LineKind.ADDED else None,
                          new_no if kind is not LineKind.REMOVED else None, text))
        if kind is not LineKind.ADDED:
            old_no += 1
        if kind is not LineKind.REMOVED:
            new_no += 1
    old_count = sum(1 for line in lines if line.kind is not LineKind.ADDED)
    new_count = sum(1 for line in lines if line.kind is not LineKind.REMOVED)
    return Hunk(start, old_count, start, new_count, "", lines)


def file_from(path: str, *examples: str, status: str = "modified") -> FileDiff:
    state = FileStatus(status)
    hunks = [hunk_from(example, start=10 + 100 * number) for number, example in enumerate(examples)]
    return FileDiff(
        old_path=None if state is FileStatus.ADDED else path,
        new_path=None if state is FileStatus.DELETED else path,
        status=state, hunks=hunks,
    )


def change_of(*files: FileDiff, title: str = "test change") -> Change:
    return Change(
        title=title, message=title, author=Person("Dana Dev", "dana@example.com"), committer=None,
        author_date=None, commit_date=None, files=list(files), source="test",
    )


def one_file_change(path: str, *examples: str, status: str = "modified") -> Change:
    return change_of(file_from(path, *examples, status=status))


@functools.lru_cache(maxsize=1)
def _builtin_rules():  # type: ignore[no-untyped-def]
    from reviewer_app.core.risk import load_rules

    return load_rules(None)


def line_rule(rule_id: str, path: str, *examples: str, status: str = "modified") -> list:
    """The findings of one built-in line rule on one hand-made file (the structured analysers left out)."""
    from reviewer_app.core.risk.engine import FileContext, evaluate_rule
    from reviewer_app.core.risk.hits import prepare
    from reviewer_app.core.risk.removals import ChangeAddedLines

    diff = file_from(path, *examples, status=status)
    rule = _builtin_rules().by_id(rule_id)
    assert rule is not None, rule_id
    view = prepare(diff)
    return evaluate_rule(rule, view, FileContext(view, ChangeAddedLines(change_of(diff))))


def committed_change(repo, before: dict[str, str], after: dict[str, str | None]) -> Change:  # type: ignore[no-untyped-def]
    """``before`` then ``after`` committed in ``repo`` (a tests.gitrepo.GitRepo; None deletes a file),
    loaded as ``analyze --git HEAD~1..HEAD`` loads it: both sides of each file readable from the repository."""
    from reviewer_app.core.ingest import load_git_range

    repo.write_files(dict(before))
    repo.commit("before")
    repo.write_files(after)
    head = repo.commit("after")
    return load_git_range(repo.path, f"{head}^..{head}")


def fired(change: Change, rule_id: str) -> list:
    """The findings of one built-in rule on a change, through the whole engine (paths, structure)."""
    from reviewer_app.core.risk.engine import evaluate

    return [finding for finding in evaluate(change, _builtin_rules()) if finding.rule == rule_id]
