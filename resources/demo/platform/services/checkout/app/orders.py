"""Place an order: price the cart, authorise the payment, record the order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pricing_rules.discounts import apply_discounts

from .payments_client import PaymentsClient


@dataclass
class Order:
    order_id: str
    customer_id: str
    total_cents: int
    status: str


def place_order(cart, customer, payments: PaymentsClient) -> Order:
    total = apply_discounts(cart.lines, customer.segment)
    if total <= 0:
        raise ValueError("an order must cost something")
    idempotency_key = f"order-{cart.cart_id}"
    authorisation = payments.authorise(customer.customer_id, total, idempotency_key=idempotency_key)
    status = "paid" if authorisation.approved else "declined"
    return Order(order_id=str(uuid.uuid4()), customer_id=customer.customer_id, total_cents=total, status=status)
