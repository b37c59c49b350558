import pytest

from app.cart import Cart


def test_total_of_two_lines():
    cart = Cart("c1")
    cart.add("tea", 2, 450)
    cart.add("mug", 1, 1200)
    assert cart.total("regular") == 2100


def test_quantity_is_bounded():
    cart = Cart("c1")
    with pytest.raises(ValueError):
        cart.add("tea", 500, 450)


def test_members_get_the_member_discount():
    cart = Cart("c1")
    cart.add("mug", 1, 1000)
    assert cart.total("member") == 900
