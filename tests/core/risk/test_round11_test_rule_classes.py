"""TEST-DISABLED-OR-DELETED: classes of real-history noise from draws I and J, in real git repositories.

* A JS/TS test declared skipped with its title (``test.skip('title', async ...)``) that the change adds
  (its whole body added, its title removed nowhere, no test removed from the file, its body not lines
  the change removes) skips no test that ran before: TEST-ADDED-SKIPPED (medium), not
  TEST-DISABLED-OR-DELETED. A test renamed and skipped, moved and skipped, or a suite skipped around
  tests that were there keeps high.
* A data file deleted under a test folder (an expected-output YAML, a JSON fixture) holds no test, whatever
  words its values hold; a Helm test hook or a data file named as a test still counts.
* A test file deleted with what it reads by a relative path (a kustomize test and the folder of
  manifests it builds), when the change deletes that folder whole and the test names nothing that
  stays: medium, naming it. A folder that keeps a file, or test inputs under a test folder, keep high.
* Each finding says which case it is: a test skipped, a test focused, or a test file deleted.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

RULE = "TEST-DISABLED-OR-DELETED"
ADDED_SKIPPED = "TEST-ADDED-SKIPPED"


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> list[dict]:
    return risk_findings(range_analysis(repo, before, after))


def _levels(found: list[dict], rule: str) -> list[tuple[str, str, int]]:
    return [(f["severity"], f["path"], f["line"]) for f in by_rule(found, rule)]


# -- 1. a test the change adds already skipped ------------------------------------------------------------

ADMIN = """import { test, expect } from '@playwright/test';

test.describe('store-admin tests', () => {
  test('has the admin portal title', async ({ page }) => {
    await page.goto(process.env.STORE_ADMIN_URL);
    await expect(page).toHaveTitle(/Admin Portal/);
  });
%s});
"""

NEW_SKIPPED = """
  // Skipping this test as a future feature enhancement
  test.skip('responsive design works on different screen sizes', async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 667 });
    await page.getByRole('link', { name: 'Products' }).click();
    await expect(page.locator('table.product-table')).toBeVisible();
  });
"""


def test_a_new_test_added_skipped_in_a_new_file_is_an_added_skip(git_repo: GitRepo) -> None:
    before = {"README.md": "store\n"}
    after = {"tests/e2e/store-admin/comprehensive.spec.ts": ADMIN % NEW_SKIPPED}
    found = _found(git_repo, before, after)
    assert _levels(found, RULE) == []
    [added] = by_rule(found, ADDED_SKIPPED)
    assert (added["severity"], added["line"]) == ("medium", 10)
    assert "no test that ran before stops running" in added["message"]


def test_a_new_test_added_skipped_in_an_existing_file_is_an_added_skip(git_repo: GitRepo) -> None:
    before = {"tests/e2e/store-admin.spec.ts": ADMIN % ""}
    after = {"tests/e2e/store-admin.spec.ts": ADMIN % NEW_SKIPPED}
    found = _found(git_repo, before, after)
    assert _levels(found, RULE) == []
    assert _levels(found, ADDED_SKIPPED) == [("medium", "tests/e2e/store-admin.spec.ts", 10)]


def test_a_new_jest_it_skip_and_xit_are_added_skips(git_repo: GitRepo) -> None:
    spec = """describe('refunds', () => {
  it('refunds the whole order', () => {
    expect(refund({ total: 10 }, 10)).toBe(10);
  });
%s});
"""
    new = """  it.skip('caps a refund at the order total', () => {
    expect(refund({ total: 10 }, 12)).toBe(10);
  });
  xit("refunds nothing for an empty order", () => {
    expect(refund({ total: 0 }, 5)).toBe(0);
  });
"""
    found = _found(git_repo, {"src/refunds.test.js": spec % ""}, {"src/refunds.test.js": spec % new})
    assert _levels(found, RULE) == []
    assert [level for level, _, _ in _levels(found, ADDED_SKIPPED)] == ["medium", "medium"]


def test_a_test_renamed_and_skipped_in_its_file_stays_high(git_repo: GitRepo) -> None:
    old = """
  test('lists the products of the catalogue', async ({ page }) => {
    await page.goto('/products');
    await expect(page.locator('table tr')).not.toHaveCount(0);
  });
"""
    new = """
  test.skip('shows the product table', async ({ page }) => {
    await page.goto(process.env.STORE_ADMIN_URL + '/products');
    await expect(page.locator('table.products')).toBeVisible();
  });
"""
    found = _found(git_repo, {"tests/e2e/store-admin.spec.ts": ADMIN % old},
                   {"tests/e2e/store-admin.spec.ts": ADMIN % new})
    assert [level for level, _, _ in _levels(found, RULE)] == ["high"]
    assert by_rule(found, ADDED_SKIPPED) == []


PRODUCTS = """import { test, expect } from '@playwright/test';

test('can add a product to the catalogue', async ({ page }) => {
  await page.goto(process.env.STORE_ADMIN_URL);
  await page.getByRole('link', { name: 'Products' }).click();
  await page.getByRole('button', { name: 'Add Product' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill('Super Snacks');
  await page.getByRole('button', { name: 'Save Product' }).click();
});
"""


def test_a_test_moved_to_another_file_and_skipped_under_its_title_stays_high(git_repo: GitRepo) -> None:
    moved = """
  test.skip('can add a product to the catalogue', async ({ page }) => {
    await page.goto(process.env.STORE_ADMIN_URL);
    await expect(page.getByText('Add Product')).toBeVisible();
  });
"""
    before = {"tests/e2e/add_product.spec.ts": PRODUCTS, "tests/e2e/store-admin.spec.ts": ADMIN % ""}
    after = {"tests/e2e/add_product.spec.ts": None, "tests/e2e/store-admin.spec.ts": ADMIN % moved}
    found = _found(git_repo, before, after)
    assert ("high", "tests/e2e/store-admin.spec.ts", 9) in _levels(found, RULE)
    assert by_rule(found, ADDED_SKIPPED) == []


def test_a_test_moved_to_another_file_renamed_and_skipped_stays_high(git_repo: GitRepo) -> None:
    body = "\n".join("  " + line for line in PRODUCTS.split("\n")[3:8])
    moved = f"\n  test.skip('catalogue takes new products', async ({{ page }}) => {{\n{body}\n  }});\n"
    before = {"tests/e2e/add_product.spec.ts": PRODUCTS, "tests/e2e/store-admin.spec.ts": ADMIN % ""}
    after = {"tests/e2e/add_product.spec.ts": None, "tests/e2e/store-admin.spec.ts": ADMIN % moved}
    found = _found(git_repo, before, after)
    assert ("high", "tests/e2e/store-admin.spec.ts", 9) in _levels(found, RULE)
    assert by_rule(found, ADDED_SKIPPED) == []


def test_a_suite_skipped_around_tests_that_were_there_stays_high(git_repo: GitRepo) -> None:
    before = """import { test, expect } from '@playwright/test';

test('has the admin portal title', async ({ page }) => {
  await page.goto(process.env.STORE_ADMIN_URL);
  await expect(page).toHaveTitle(/Admin Portal/);
});
"""
    after = before.replace("\ntest('has", "\ntest.describe.skip('admin portal checks', () => {\ntest('has") + "});\n"
    found = _found(git_repo, {"tests/e2e/admin.spec.ts": before}, {"tests/e2e/admin.spec.ts": after})
    assert [level for level, _, _ in _levels(found, RULE)] == ["high"]
    assert by_rule(found, ADDED_SKIPPED) == []


def test_a_conditional_skip_inside_a_new_test_is_no_finding(git_repo: GitRepo) -> None:
    conditional = """
  test('responsive design works on different screen sizes', async ({ page }) => {
    test.skip(!process.env.MOBILE, 'no mobile viewport configured');
    await page.setViewportSize({ width: 375, height: 667 });
  });
"""
    found = _found(git_repo, {"tests/e2e/store-admin.spec.ts": ADMIN % ""},
                   {"tests/e2e/store-admin.spec.ts": ADMIN % conditional})
    assert by_rule(found, RULE) == [] and by_rule(found, ADDED_SKIPPED) == []


# -- 2. a data file deleted under a test folder -------------------------------------------------------------

CRD = """apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata:
  name: seldondeployments.machinelearning.seldon.io
spec:
  validation:
    openAPIV3Schema:
      properties:
        message:
          description: A human readable message indicating details about why the
            container is in this condition, such as an assertion failure message.
          type: string
"""


def test_an_expected_output_yaml_deleted_is_no_test_deleted(git_repo: GitRepo) -> None:
    fixture = "tests/stacks/seldon/test_data/expected/apiextensions_crd_seldondeployments.yaml"
    before = {fixture: CRD, "README.md": "manifests\n"}
    found = _found(git_repo, before, {fixture: None})
    assert by_rule(found, RULE) == []


def test_a_json_fixture_deleted_is_no_test_deleted(git_repo: GitRepo) -> None:
    fixture = "tests/data/responses.json"
    before = {fixture: '{"cases": [{"name": "refund", "expect(total)": 10, "assert": "equal"}]}\n', "README.md": "x\n"}
    found = _found(git_repo, before, {fixture: None})
    assert by_rule(found, RULE) == []


def test_a_helm_test_hook_deleted_stays_high_whatever_its_name(git_repo: GitRepo) -> None:
    hook = """apiVersion: v1
kind: Pod
metadata:
  name: "{{ .Release.Name }}-connection"
  annotations:
    "helm.sh/hook": test
spec:
  containers:
    - name: wget
      image: busybox
      command: ['wget', '{{ .Release.Name }}:8080']
  restartPolicy: Never
"""
    before = {"charts/app/templates/tests/connection.yaml": hook, "charts/app/Chart.yaml": "name: app\n"}
    found = _found(git_repo, before, {"charts/app/templates/tests/connection.yaml": None})
    assert [level for level, _, _ in _levels(found, RULE)] == ["high"]


def test_a_declarative_trace_test_deleted_stays_high(git_repo: GitRepo) -> None:
    trace_test = """type: Test
spec:
  id: payment-valid-credit-card
  name: "Payment: valid credit card"
  trigger:
    type: grpc
  specs:
    - name: It should call Charge method successfully
      selector: span[name="grpc.PaymentService/Charge"]
      assertions:
        - attr:rpc.grpc.status_code = 0
"""
    before = {"test/tracetesting/payment/valid-credit-card.yaml": trace_test, "README.md": "x\n"}
    found = _found(git_repo, before, {"test/tracetesting/payment/valid-credit-card.yaml": None})
    assert [level for level, _, _ in _levels(found, RULE)] == ["high"]


def test_a_data_file_named_as_a_test_that_reads_like_one_stays_high(git_repo: GitRepo) -> None:
    suite = "- name: refunds\n  request: {url: /refund}\n  check: assert (response.total == 10)\n"
    before = {"tests/api/refunds_test.yaml": suite, "README.md": "x\n"}
    found = _found(git_repo, before, {"tests/api/refunds_test.yaml": None})
    assert [level for level, _, _ in _levels(found, RULE)] == ["high"]


# -- 3. a test deleted with the folder it reads by path ----------------------------------------------------

KUSTOMIZE_TEST = """package seldon

import (
\t"github.com/example/manifests/tests"
\t"testing"
)

func TestKustomize(t *testing.T) {
\ttestCase := &tests.KustomizeTestCase{
\t\tPackage:  "%s",
\t\tExpected: "test_data/expected",
\t}

\ttests.RunTestCase(t, testCase)
}
"""

MANIFESTS = {
    "stacks/ibm/application/seldon/kustomization.yaml": "resources:\n- deployment.yaml\n",
    "stacks/ibm/application/seldon/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: seldon\n",
}
TEST_PATH = "tests/stacks/ibm/application/seldon/kustomize_test.go"
TO_MANIFESTS = "../../../../../stacks/ibm/application/seldon"


def test_a_test_deleted_with_the_folder_it_builds_is_medium(git_repo: GitRepo) -> None:
    before = {**MANIFESTS, TEST_PATH: KUSTOMIZE_TEST % TO_MANIFESTS, "stacks/ibm/README.md": "ibm\n"}
    after = {**{path: None for path in MANIFESTS}, TEST_PATH: None}
    found = by_rule(_found(git_repo, before, after), RULE)
    assert [f["severity"] for f in found] == ["medium"]
    assert ("the code it tested, stacks/ibm/application/seldon (a path the test reads; the change deletes "
            "every file there)") in found[0]["message"]


def test_a_test_deleted_while_the_folder_it_builds_keeps_a_file_stays_high(git_repo: GitRepo) -> None:
    before = {**MANIFESTS, TEST_PATH: KUSTOMIZE_TEST % TO_MANIFESTS}
    after = {"stacks/ibm/application/seldon/deployment.yaml": None, TEST_PATH: None}
    found = by_rule(_found(git_repo, before, after), RULE)
    assert [f["severity"] for f in found] == ["high"]


def test_a_test_deleted_with_inputs_under_a_test_folder_stays_high(git_repo: GitRepo) -> None:
    inputs = {"tests/legacy/seldon/kustomization.yaml": "resources:\n- deployment.yaml\n",
              "tests/legacy/seldon/deployment.yaml": "kind: Deployment\n"}
    path = "tests/tests/legacy/seldon/kustomize_test.go"
    before = {**inputs, path: KUSTOMIZE_TEST % "../../../../tests/legacy/seldon", "README.md": "x\n"}
    after = {**{p: None for p in inputs}, path: None}
    found = by_rule(_found(git_repo, before, after), RULE)
    assert [f["severity"] for f in found] == ["high"]


def test_a_test_that_also_reads_a_path_that_stays_stays_high(git_repo: GitRepo) -> None:
    test = (KUSTOMIZE_TEST % TO_MANIFESTS).replace(
        '\t\tExpected: "test_data/expected",', '\t\tExpected: "test_data/expected",\n\t\tBase: "../../../../../common/base",')
    before = {**MANIFESTS, TEST_PATH: test, "common/base/kustomization.yaml": "resources: []\n"}
    after = {**{p: None for p in MANIFESTS}, TEST_PATH: None}
    found = by_rule(_found(git_repo, before, after), RULE)
    assert [f["severity"] for f in found] == ["high"]


# -- 5. the message says which case the finding is ----------------------------------------------------------

def test_each_finding_says_whether_a_test_is_skipped_focused_or_deleted(git_repo: GitRepo) -> None:
    spec = """describe('refunds', () => {
  it('refunds the whole order', () => {
    expect(refund({ total: 10 }, 10)).toBe(10);
  });
  it('caps a refund at the order total', () => {
    expect(refund({ total: 10 }, 12)).toBe(10);
  });
});
"""
    edited = spec.replace("it('refunds the whole", "it.only('refunds the whole").replace(
        "it('caps a refund", "it.skip('caps a refund")
    gone = "def test_refund_is_capped():\n    assert refund(10, 12) == 10\n"
    before = {"src/refunds.test.js": spec, "tests/test_refunds.py": gone}
    after = {"src/refunds.test.js": edited, "tests/test_refunds.py": None}
    found = {(f["path"], f["line"]): f["message"] for f in by_rule(_found(git_repo, before, after), RULE)}
    focused, skipped = found[("src/refunds.test.js", 2)], found[("src/refunds.test.js", 5)]
    deleted = found[("tests/test_refunds.py", 0)]
    assert focused.startswith("A test is focused (.only, fit, fdescribe)") and "skipped" not in focused
    assert skipped.startswith("A test is skipped unconditionally") and "focused" not in skipped
    assert deleted.startswith("A whole test file is deleted") and "skipped" not in deleted and "focused" not in deleted
