"""Row painting helpers: only the visible tokens are turned into runs; markers are not drawn twice."""

from __future__ import annotations

from reviewer_app.ui.diffview.painter import cut_ranges, token_range


def test_token_range_finds_the_tokens_overlapping_a_column_window() -> None:
    # tokens at [0,3) [4,7) [8,12) [20,25), as flattened (start, end, type) triples
    tokens = (0, 3, 1, 4, 7, 2, 8, 12, 1, 20, 25, 3)
    assert token_range(tokens, 0, 100) == (0, 4)
    assert token_range(tokens, 5, 9) == (1, 3)
    assert token_range(tokens, 12, 20) == (3, 3)  # only blanks on screen
    assert token_range(tokens, 24, 30) == (3, 4)
    long_line = tuple(value for n in range(100_000) for value in (n * 10, n * 10 + 5, 0))
    assert token_range(long_line, 500_000, 500_100) == (50_000, 50_010)


def test_cut_removes_marker_ranges_from_runs() -> None:
    runs = [(0, 4, "a", False, False), (4, 20, "b", False, False)]
    assert cut_ranges(runs, [(3, 6), (10, 11)]) == [  # type: ignore[arg-type]
        (0, 3, "a", False, False), (6, 10, "b", False, False), (11, 20, "b", False, False),
    ]
