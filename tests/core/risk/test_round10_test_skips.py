"""TEST-DISABLED-OR-DELETED says "skipped unconditionally" or "a whole test file is deleted": two
classes of real-history noise where neither was true, in real git repositories:

* a Playwright skip whose first argument is a condition (``test.skip(!process.env.URL, "...")``,
  ``test.skip(({ browserName }) => ...)``) skips only where the condition holds, like pytest's
  skipif: no finding. A skip with a title (a test declared skipped), with no argument or with
  ``true`` keeps its level;
* a test file deleted whole whose tests (most of them, by name) are defined in a test
  file the change adds or modifies was moved or merged there: low, and the message names where.
  Names too short to say which test they are (``test_get``) never count as reappearing.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

RULE = "TEST-DISABLED-OR-DELETED"

SPEC = """import { test, expect } from '@playwright/test';

const STORE_URL = process.env.STORE_URL || '';

test.describe('store tests', () => {
%s
  test('has title', async ({ page }) => {
    await page.goto(STORE_URL);
    await expect(page).toHaveTitle(/Pet Store/);
  });
});
"""


def _skips(repo: GitRepo, line: str) -> list[dict]:
    before = {"tests/e2e/store.spec.ts": SPEC % ""}
    after = {"tests/e2e/store.spec.ts": SPEC % line}
    return by_rule(risk_findings(range_analysis(repo, before, after)), RULE)


def test_a_skip_whose_argument_is_an_unset_variable_is_conditional(git_repo: GitRepo) -> None:
    assert _skips(git_repo, "  test.skip(!process.env.STORE_URL, 'STORE_URL is not set');") == []


def test_a_skip_on_a_config_check_is_conditional(git_repo: GitRepo) -> None:
    assert _skips(git_repo, "  test.skip(!config.isStoreConfigured(), 'the store URL is not configured');") == []


def test_a_skip_whose_argument_is_a_callback_is_conditional(git_repo: GitRepo) -> None:
    assert _skips(git_repo, "  test.skip(({ browserName }) => browserName === 'webkit', 'no webkit');") == []


def test_a_skip_with_no_argument_stays_high(git_repo: GitRepo) -> None:
    found = _skips(git_repo, "  test.skip();")
    assert [f["severity"] for f in found] == ["high"]


def test_a_skip_that_is_always_true_stays_high(git_repo: GitRepo) -> None:
    found = _skips(git_repo, "  test.skip(true, 'broken for now');")
    assert [f["severity"] for f in found] == ["high"]


def test_an_existing_test_declared_skipped_stays_high(git_repo: GitRepo) -> None:
    before = {"tests/e2e/store.spec.ts": SPEC % ""}
    after = {"tests/e2e/store.spec.ts": (SPEC % "").replace("  test('has title'", "  test.skip('has title'")}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)
    assert [f["severity"] for f in found] == ["high"]


ADD_PRODUCT = """import { test, expect } from '@playwright/test';

test.use({ baseURL: process.env.STORE_ADMIN_URL });

test('can add a product to the catalogue', async ({ page, request }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Products' }).click();
  await page.getByRole('button', { name: 'Add Product' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill('Super Snacks');
  await page.getByRole('button', { name: 'Save Product' }).click();
  expect(await request.get('/api/products')).toBeOK();
});

test('lists the products of the catalogue', async ({ page }) => {
  await page.goto('/products');
  expect(await page.locator('table tr').count()).toBeGreaterThan(1);
});
"""

ADMIN = """import { test, expect } from '@playwright/test';

test.describe('store-admin tests', () => {
  test('has title', async ({ page }) => {
    await page.goto(process.env.STORE_ADMIN_URL);
    await expect(page).toHaveTitle(/Admin Portal/);
  });
});
"""

ADMIN_WITH_PRODUCTS = """import { test, expect } from '@playwright/test';

test.describe('store-admin tests', () => {
  test('has title', async ({ page }) => {
    await page.goto(process.env.STORE_ADMIN_URL);
    await expect(page).toHaveTitle(/Admin Portal/);
  });

  test('can add a product to the catalogue', async ({ page }) => {
    await page.goto(process.env.STORE_ADMIN_URL);
    await page.getByRole('link', { name: 'Products' }).click();
    await page.getByText('Add Product').click();
    await page.getByLabel('Name').fill('Super Snacks');
    await page.getByText('Save').click();
    await expect(page.getByText('Super Snacks')).toBeVisible();
  });

  test('lists the products of the catalogue', async ({ page }) => {
    await page.goto(process.env.STORE_ADMIN_URL + '/products');
    await expect(page.locator('table tr')).not.toHaveCount(0);
  });
});
"""


def test_a_deleted_spec_whose_tests_are_defined_in_a_modified_spec_is_low(git_repo: GitRepo) -> None:
    before = {"tests/e2e/add_product.spec.ts": ADD_PRODUCT, "tests/e2e/store-admin.spec.ts": ADMIN}
    after = {"tests/e2e/add_product.spec.ts": None, "tests/e2e/store-admin.spec.ts": ADMIN_WITH_PRODUCTS}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)
    assert [f["severity"] for f in found] == ["low"]
    assert "tests/e2e/store-admin.spec.ts (2 of its 2 tests are defined there by name)" in found[0]["message"]


def test_a_deleted_spec_whose_tests_are_defined_nowhere_stays_high(git_repo: GitRepo) -> None:
    before = {"tests/e2e/add_product.spec.ts": ADD_PRODUCT, "tests/e2e/store-admin.spec.ts": ADMIN}
    after = {"tests/e2e/add_product.spec.ts": None,
             "tests/e2e/store-admin.spec.ts": ADMIN.replace("Admin Portal", "Admin Portal v2")}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)
    assert [f["severity"] for f in found] == ["high"]


def test_a_deleted_spec_with_half_its_tests_defined_elsewhere_stays_high(git_repo: GitRepo) -> None:
    half = ADMIN_WITH_PRODUCTS.replace("lists the products of the catalogue", "shows the product table")
    before = {"tests/e2e/add_product.spec.ts": ADD_PRODUCT, "tests/e2e/store-admin.spec.ts": ADMIN}
    after = {"tests/e2e/add_product.spec.ts": None, "tests/e2e/store-admin.spec.ts": half}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)
    assert [f["severity"] for f in found] == ["high"]


def test_a_deleted_spec_with_one_of_three_tests_defined_elsewhere_stays_high(git_repo: GitRepo) -> None:
    three = ADD_PRODUCT + """
test('removes a product from the catalogue', async ({ page }) => {
  await page.goto('/products/1');
  expect(await page.getByText('Deleted').count()).toBe(1);
});
"""
    only_one = ADMIN_WITH_PRODUCTS.replace("lists the products of the catalogue", "shows the product table")
    before = {"tests/e2e/add_product.spec.ts": three, "tests/e2e/store-admin.spec.ts": ADMIN}
    after = {"tests/e2e/add_product.spec.ts": None, "tests/e2e/store-admin.spec.ts": only_one}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)
    assert [f["severity"] for f in found] == ["high"]


PY_TESTS = """import pytest

from shop.refunds import refund


def test_refund_is_capped_at_the_order_total():
    order = {"total": 10}
    assert refund(order, 12) == 10


def test_refund_of_nothing_is_zero():
    assert refund({"total": 10}, 0) == 0
"""

PY_MOVED = """from shop.refunds import refund
from tests.factories import make_order


def test_refund_is_capped_at_the_order_total():
    assert refund(make_order(total=10), amount=12) == 10


def test_refund_of_nothing_is_zero():
    assert refund(make_order(total=10), amount=0) == 0
"""


def test_python_tests_moved_into_a_new_file_and_rewritten_are_low(git_repo: GitRepo) -> None:
    before = {"shop/refunds.py": "def refund(order, amount):\n    return min(order['total'], amount)\n",
              "tests/test_refunds.py": PY_TESTS}
    after = {"tests/test_refunds.py": None, "tests/billing/test_refund_limits.py": PY_MOVED}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)
    assert [f["severity"] for f in found] == ["low"]
    assert "tests/billing/test_refund_limits.py (2 of its 2 tests are defined there by name)" in found[0]["message"]


def test_short_test_names_defined_elsewhere_do_not_make_a_move(git_repo: GitRepo) -> None:
    short = ("from shop.refunds import refund\n\n\ndef test_a():\n    assert refund({'total': 1}, 2) == 1\n"
             "    assert refund({'total': 3}, 0) == 0\n")
    other = "from shop.refunds import refund\n\n\ndef test_a():\n    assert refund({'total': 5}, 1) == 1\n"
    before = {"shop/refunds.py": "def refund(order, amount):\n    return min(order['total'], amount)\n",
              "tests/test_refunds.py": short, "tests/test_other.py": "def test_b():\n    assert True\n"}
    after = {"tests/test_refunds.py": None, "tests/test_other.py": other}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), RULE)
    assert [f["severity"] for f in found] == ["high"]
