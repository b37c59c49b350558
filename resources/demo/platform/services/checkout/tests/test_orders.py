from types import SimpleNamespace

import pytest

from app.orders import place_order


class ApprovingPayments:
    def authorise(self, customer_id, amount_cents, idempotency_key):
        return SimpleNamespace(approved=True)


def test_place_order_marks_paid_orders():
    cart = SimpleNamespace(cart_id="c1", lines=[SimpleNamespace(sku="tea", price_cents=450, quantity=2)])
    customer = SimpleNamespace(customer_id="u1", segment="regular")
    order = place_order(cart, customer, ApprovingPayments())
    assert order.status == "paid"
    assert order.total_cents == 900


def test_empty_cart_is_refused():
    cart = SimpleNamespace(cart_id="c2", lines=[])
    customer = SimpleNamespace(customer_id="u1", segment="regular")
    with pytest.raises(ValueError):
        place_order(cart, customer, ApprovingPayments())
