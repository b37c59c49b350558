"""Cycle finding stays iterative and reports each cycle once, by its shortest loop."""

from __future__ import annotations

from reviewer_app.core.services.cycles import shortest_loop, strongly_connected


def test_a_long_chain_and_a_long_cycle_do_not_hit_the_recursion_limit() -> None:
    chain = {f"n{i}": [f"n{i + 1}"] for i in range(20_000)}
    assert strongly_connected(chain) == []

    ring = {f"n{i:05d}": [f"n{(i + 1) % 20_000:05d}"] for i in range(20_000)}
    (component,) = strongly_connected(ring)
    assert len(component) == 20_000
    loop = shortest_loop(ring, "n00000", set(component))
    assert (loop[0], loop[1], loop[-2], loop[-1], len(loop)) == ("n00000", "n00001", "n19999", "n00000", 20_001)


def test_shortest_loop_prefers_the_short_way_back() -> None:
    graph = {"a": ["b", "x"], "b": ["c"], "c": ["a"], "x": ["a"], "solo": ["solo"], "free": ["a"]}
    assert strongly_connected(graph) == [["a", "b", "c", "x"], ["solo"]]
    assert shortest_loop(graph, "a", {"a", "b", "c", "x"}) == ["a", "x", "a"]
    assert shortest_loop(graph, "solo", {"solo"}) == ["solo", "solo"]
