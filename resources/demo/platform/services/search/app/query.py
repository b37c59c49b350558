"""Search queries: normalise the text, page through the hits."""

from __future__ import annotations

PAGE_SIZE = 20


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def page(hits: list, number: int) -> list:
    if number < 1:
        raise ValueError("pages are numbered from 1")
    start = (number - 1) * PAGE_SIZE
    return hits[start:start + PAGE_SIZE]
