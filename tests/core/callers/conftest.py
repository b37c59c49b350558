"""A small platform of services for the callers tests: billing owns discounts, pricing and checkout use them."""

from __future__ import annotations

import pytest

from tests.gitrepo import GitRepo

SERVICES_TOML = """\
[services.billing]
paths = ["services/billing/"]
tier = 1
owner = "@acme/billing"

[services.pricing]
paths = ["services/pricing/"]
tier = 2
owner = "@acme/pricing"

[services.checkout]
paths = ["services/checkout/"]
tier = 0
owner = "@acme/checkout"

[services.reporting]
paths = ["services/reporting/"]
tier = 2
owner = "@acme/data"
"""

DISCOUNTS = """\
RATE = 10


def apply_discount(price, percent):
    return price - price * percent / 100


def round_price(price):
    return round(price, 2)


class Cart:
    def total(self, items):
        return sum(items)
"""


@pytest.fixture
def platform(git_repo: GitRepo) -> GitRepo:
    git_repo.write(".reviewer/services.toml", SERVICES_TOML)
    git_repo.write("services/billing/__init__.py", "")
    git_repo.write("services/billing/discounts.py", DISCOUNTS)
    git_repo.write("services/pricing/api.py", """\
        from services.billing.discounts import apply_discount


        def price_of(item):
            return apply_discount(item.price, 5)
        """)
    git_repo.write("services/checkout/cart.py", """\
        from billing import discounts
        from services.billing.discounts import Cart


        def checkout(items):
            total = Cart().total(items)
            return discounts.round_price(total)
        """)
    git_repo.write("services/reporting/notes.py", """\
        # apply_discount is documented in the billing guide
        def apply_discount():  # a local function of the same name, not billing's
            return 0
        """)
    git_repo.commit("platform")
    return git_repo
