"""Discounts, applied the same way by every service that shows or charges a price."""

from __future__ import annotations

# Per customer segment, in percent.
SEGMENT_DISCOUNT_PERCENT = {"regular": 0, "member": 10, "staff": 25}


def apply_discounts(lines, segment: str) -> int:
    """The total in cents after the segment discount, rounded half up to a whole cent."""
    subtotal = sum(line.price_cents * line.quantity for line in lines)
    percent = SEGMENT_DISCOUNT_PERCENT.get(segment, 0)
    return (subtotal * (100 - percent) + 50) // 100
