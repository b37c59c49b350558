from types import SimpleNamespace

from pricing_rules.discounts import apply_discounts


def line(price, quantity=1):
    return SimpleNamespace(price_cents=price, quantity=quantity)


def test_regular_customers_pay_the_list_price():
    assert apply_discounts([line(450, 2)], "regular") == 900


def test_member_discount_rounds_half_up():
    assert apply_discounts([line(995)], "member") == 896
