"""Read prices; the amount is stored in integer cents in the currency of the price list."""

from __future__ import annotations


def current_price(db, sku: str, price_list: str = "default") -> int:
    row = db.execute(
        "SELECT amount_cents FROM prices WHERE sku = ? AND price_list = ? ORDER BY valid_from DESC LIMIT 1",
        (sku, price_list),
    ).fetchone()
    if row is None:
        raise LookupError(f"no price for {sku} in {price_list}")
    return row[0]
