"""The history features and the just-in-time change model, on real git repositories."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.model import Change
from reviewer_app.core.provenance import Provenance
from reviewer_app.core.risk import assess, jit, load_rules
from reviewer_app.core.risk.history import CACHE_ENV, History, history_of
from reviewer_app.core.risk.metrics import ChangeMetrics
from reviewer_app.core.risk.score import BANDS, judge
from reviewer_app.core.workspace import Workspace
from tests.core.risk.diffs import one_file_change
from tests.gitrepo import GitRepo, init_repo

RULES = load_rules(None)
HUMAN = Provenance(ai_assisted=False)
DANA = ("Dana Dev", "dana@example.com")
ROBIN = ("Robin Rook", "robin@example.com")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own history cache, never the user's."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def numbered(count: int, word: str) -> str:
    return "".join(f"{word}_{n} = {n}\n" for n in range(count))


def troubled_and_calm(repo: GitRepo) -> tuple[str, str]:
    """Two files with the same number of earlier changes: one reverted and fixed over and over, one calm."""
    repo.write("troubled.py", numbered(5, "a"))
    repo.write("calm.py", numbered(5, "b"))
    repo.commit("Add both modules", author=DANA, date="2026-01-01T00:00:00Z")
    for day in range(2, 9):
        repo.write("troubled.py", numbered(5 + day, "a"))
        first = repo.commit(f"Tune parsing step {day}", author=DANA, date=f"2026-01-{day:02}T00:00:00Z")
        repo.write("troubled.py", numbered(5, "a"))
        repo.commit(f'Revert "Tune parsing step {day}"\n\nThis reverts commit {first}.', author=DANA,
                    date=f"2026-01-{day:02}T12:00:00Z")
        repo.write("calm.py", numbered(10 + 2 * day, "b"))
        repo.commit(f"Extend the report with section {day}", author=DANA, date=f"2026-01-{day:02}T06:00:00Z")
        repo.write("calm.py", numbered(11 + 2 * day, "b"))
        repo.commit(f"Name the report section {day}", author=DANA, date=f"2026-01-{day:02}T18:00:00Z")
    return "troubled.py", "calm.py"


def change_to(repo: GitRepo, path: str, author: tuple[str, str] = DANA) -> Change:
    """Commit a three-line edit of ``path`` and load it as the reviewer would (parent..commit)."""
    text = (repo.path / path).read_text(encoding="utf-8")
    repo.write(path, text + numbered(3, "extra"))
    sha = repo.commit(f"Edit {path}", author=author, date="2026-02-01T00:00:00Z")
    return load_git_range(repo.path, f"{sha}^..{sha}")


def test_a_file_with_reverts_in_its_history_scores_higher_than_a_calm_one(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    troubled, calm = troubled_and_calm(repo)
    on_troubled = change_to(repo, troubled)
    troubled_history = history_of(repo.path, on_troubled)
    repo.git("reset", "-q", "--hard", "HEAD^")
    on_calm = change_to(repo, calm)
    calm_history = history_of(repo.path, on_calm)

    assert troubled_history is not None and calm_history is not None
    assert troubled_history.past_reverts == 7 and calm_history.past_reverts == 0
    assert troubled_history.prior_changes == calm_history.prior_changes == 15
    hot = assess(on_troubled, HUMAN, RULES, history=troubled_history)
    cool = assess(on_calm, HUMAN, RULES, history=calm_history)
    assert hot.level == cool.level == "low"
    assert hot.score > cool.score
    assert "history: 7 earlier reverts touched these files (raises the estimate against an average change)." in hot.reasons
    assert jit.predict(ChangeMetrics.of(on_troubled), troubled_history).probability > \
        jit.predict(ChangeMetrics.of(on_calm), calm_history).probability


def test_experience_counts_the_authors_earlier_changes_in_these_files(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    troubled_and_calm(repo)
    by_dana = history_of(repo.path, change_to(repo, "calm.py", author=DANA))
    repo.git("reset", "-q", "--hard", "HEAD^")
    newcomer_change = change_to(repo, "calm.py", author=ROBIN)
    by_robin = history_of(repo.path, newcomer_change)

    assert by_dana is not None and by_robin is not None
    assert by_dana.author_changes_here == 15  # the first commit and fourteen edits of calm.py
    assert by_robin.author_changes_here == 0
    assert by_robin.developers == 1 and by_robin.files_with_history == 1 and by_robin.files_without_history == 0
    assert by_robin.age_days == pytest.approx(23.2, abs=0.1)  # 2026-01-08T18:00 to 2026-02-01
    reasons = assess(newcomer_change, HUMAN, RULES, history=by_robin).reasons
    assert "author's first change in these files (raises the estimate against an average change)." in reasons


def test_new_files_have_no_history_and_say_so(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    repo.write("old.py", numbered(3, "o"))
    repo.commit("Start", author=DANA)
    repo.write("fresh.py", numbered(3, "f"))
    repo.write("old.py", numbered(4, "o"))
    sha = repo.commit("Add a module", author=DANA)
    history = history_of(repo.path, load_git_range(repo.path, f"{sha}^..{sha}"))
    assert history == History(prior_changes=1, developers=1, age_days=0.0, past_reverts=0, past_fixes=0,
                               author_changes_here=1, files_with_history=1, files_without_history=1)


def test_second_lookup_is_a_cache_hit_that_needs_no_repository(tmp_path: Path, private_cache: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    troubled_and_calm(repo)
    change = change_to(repo, "troubled.py")
    first = history_of(repo.path, change)
    assert first is not None
    with sqlite3.connect(private_cache / "history.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM history").fetchone() == (1,)
    moved = repo.path.rename(tmp_path / "elsewhere")  # git can no longer answer from the old path
    assert history_of(repo.path, change) == first
    assert history_of(moved, change) == first  # the key is the base commit, author and paths


def test_without_a_repository_the_model_falls_back_to_size_and_diffusion(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    troubled_and_calm(repo)
    change = change_to(repo, "troubled.py")
    assert history_of(None, change) is None
    assert history_of(tmp_path / "not-a-repo", change) is None  # git fails: no history, no error
    change.base = None
    assert history_of(repo.path, change) is None  # a plain patch has no base
    report = assess(change, HUMAN, RULES)
    assert any(r.startswith("Change model: ") and r.endswith(
        "from size and diffusion only (no repository history was available).") for r in report.reasons)
    assert not any(r.startswith("history: ") for r in report.reasons)


def test_analyze_reads_history_from_the_workspace_repository(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    troubled_and_calm(repo)
    change = change_to(repo, "troubled.py")
    with_repo = analyze(change, Workspace(repo.path)).risk
    without = analyze(change, Workspace(None)).risk
    assert any("the touched files' history" in r for r in with_repo.reasons)
    assert any("history: 7 earlier reverts" in r for r in with_repo.reasons)
    assert not any(r.startswith("history: ") for r in without.reasons)


def test_the_model_raises_low_to_medium_at_most() -> None:
    change = one_file_change("app/util.py", "\n".join(f"+v_{n} = {n}" for n in range(40)))
    storm = History(prior_changes=0, developers=30, age_days=1.0, past_reverts=40, past_fixes=60,
                    author_changes_here=0, files_with_history=1, files_without_history=0)
    prediction = jit.predict(ChangeMetrics.of(change), storm)
    assert prediction.probability >= jit.RAISE_TO_MEDIUM
    verdict = judge(change, HUMAN, [], None, storm)
    assert verdict.level == "medium" and BANDS["medium"] <= verdict.score < BANDS["high"]
    assert any("a change with no finding counts as medium" in r for r in verdict.reasons)
    calm = History(prior_changes=3, developers=1, age_days=30.0, past_reverts=0, past_fixes=0,
                   author_changes_here=3, files_with_history=1, files_without_history=0)
    assert judge(change, HUMAN, [], None, calm).level == "low"
