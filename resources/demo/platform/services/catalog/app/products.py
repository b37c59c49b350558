"""Product records as the storefront shows them."""

from __future__ import annotations


def product_page(db, sku: str) -> dict:
    row = db.execute("SELECT sku, title, description FROM products WHERE sku = ?", (sku,)).fetchone()
    if row is None:
        raise LookupError(sku)
    return {"sku": row[0], "title": row[1], "description": row[2]}
