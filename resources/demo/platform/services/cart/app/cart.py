"""A customer's cart: lines of (sku, quantity, price)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pricing_rules.discounts import apply_discounts

MAX_QUANTITY_PER_LINE = 99


@dataclass
class CartLine:
    sku: str
    quantity: int
    price_cents: int


@dataclass
class Cart:
    cart_id: str
    lines: list[CartLine] = field(default_factory=list)

    def add(self, sku: str, quantity: int, price_cents: int) -> None:
        if not 0 < quantity <= MAX_QUANTITY_PER_LINE:
            raise ValueError(f"quantity must be between 1 and {MAX_QUANTITY_PER_LINE}")
        self.lines.append(CartLine(sku, quantity, price_cents))

    def total(self, segment: str) -> int:
        return apply_discounts(self.lines, segment)
