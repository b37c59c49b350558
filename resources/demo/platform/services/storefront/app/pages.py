"""Server-side pages of the web shop."""

from __future__ import annotations

from pricing_rules.discounts import apply_discounts


def basket_summary(lines, segment: str) -> str:
    total = apply_discounts(lines, segment)
    return f"{len(lines)} items, {total / 100:.2f} EUR"
