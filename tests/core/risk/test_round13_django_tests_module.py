"""A Django app's ``tests.py`` is a test module, as ``test_*.py`` is: a bulk delete in a test's set-up is
no production mass delete, and a test skipped there is a skipped test. Product code beside it
(``models.py``, ``views.py``) keeps every finding."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

TESTS = '''from django.test import TestCase


class SnippetTests(TestCase):
    def test_listing(self):
        self.assertTrue(True)
'''
CLEARED = TESTS.replace("        self.assertTrue(True)\n",
                        "        Advert.objects.all().delete()\n        self.assertTrue(True)\n")
SKIPPED = TESTS.replace("    def test_listing", '    @unittest.skip("flaky")\n    def test_listing')
VIEWS = "def purge(request):\n    return None\n"


def _found(git_repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[dict]:
    return risk_findings(range_analysis(git_repo, before, after))


def test_a_bulk_delete_in_a_tests_module_is_no_mass_delete(git_repo: GitRepo) -> None:
    found = _found(git_repo, {"shop/snippets/tests.py": TESTS}, {"shop/snippets/tests.py": CLEARED})
    assert by_rule(found, "ORM-MASS-DELETE") == []


def test_the_same_delete_in_a_view_keeps_the_finding(git_repo: GitRepo) -> None:
    after = VIEWS.replace("    return None\n", "    Advert.objects.all().delete()\n    return None\n")
    found = _found(git_repo, {"shop/snippets/views.py": VIEWS}, {"shop/snippets/views.py": after})
    assert [f["severity"] for f in by_rule(found, "ORM-MASS-DELETE")] == ["high"]


def test_a_test_skipped_in_a_tests_module_is_found(git_repo: GitRepo) -> None:
    found = _found(git_repo, {"shop/snippets/tests.py": TESTS}, {"shop/snippets/tests.py": SKIPPED})
    assert by_rule(found, "TEST-DISABLED-OR-DELETED"), [f["rule"] for f in found]
