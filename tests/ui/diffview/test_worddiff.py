"""Intra-line differences: word ranges of paired lines, computed only when asked."""

from __future__ import annotations

from reviewer_app.core.model import FileDiff, FileStatus, Hunk, Line, LineKind
from reviewer_app.ui.diffview.worddiff import WordDiffs, word_ranges


def test_changed_words_are_marked_on_both_sides() -> None:
    old, new = "return os.system(cmd)", "return subprocess.run(cmd)"
    old_ranges, new_ranges = word_ranges(old, new)
    assert [old[s:e] for s, e in old_ranges] == ["os.system"]
    assert [new[s:e] for s, e in new_ranges] == ["subprocess.run"]


def test_unrelated_lines_get_no_word_marks() -> None:
    assert word_ranges("import os", "class Foo(Bar): pass  # totally different") == ((), ())


def test_very_long_pairs_fall_back_to_prefix_and_suffix() -> None:
    old = "a" * 5000 + "X" + "b" * 5000
    new = "a" * 5000 + "YY" + "b" * 5000
    assert word_ranges(old, new) == (((5000, 5001),), ((5000, 5002),))


def test_pairs_follow_the_change_block_order_and_are_cached() -> None:
    lines = [
        Line(LineKind.REMOVED, 1, None, "x = compute(1)"),
        Line(LineKind.REMOVED, 2, None, "y = compute(2)"),
        Line(LineKind.ADDED, None, 1, "x = compute(10)"),
        Line(LineKind.ADDED, None, 2, "y = compute(20)"),
        Line(LineKind.ADDED, None, 3, "z = 3"),
    ]
    words = WordDiffs([FileDiff("a.py", "a.py", FileStatus.MODIFIED, hunks=[Hunk(1, 2, 1, 3, "", lines)])])
    assert words.partner(0, 0, 1) == 3 and words.partner(0, 0, 4) is None
    assert words.ranges(0, 0, 3, removed=False) == ((12, 14),)
    assert words.ranges(0, 0, 1, removed=True) == ((12, 13),)
    assert words.pair(0, 0, 1, 3) is words.pair(0, 0, 1, 3)
