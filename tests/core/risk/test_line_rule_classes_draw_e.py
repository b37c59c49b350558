"""Line-rule classes of false alarm from draw E (corpus/fresh-verdicts.csv), each beside the danger
of the same rule that must still be flagged. Changes are committed in real git repositories; no rule
is keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

from tests.core.risk.diffs import committed_change, fired, line_rule, one_file_change
from tests.gitrepo import GitRepo





def test_an_empty_test_package_file_deleted_held_no_test(git_repo: GitRepo) -> None:
    before = {"hc/integrations/template/tests/__init__.py": "", "hc/integrations/template/views.py": "",
              "hc/settings.py": "APPS = ()\n"}
    change = committed_change(git_repo, before, {"hc/integrations/template/tests/__init__.py": None,
                                                 "hc/integrations/template/views.py": None,
                                                 "hc/settings.py": "APPS = ('hc.integrations.email',)\n"})
    assert fired(change, "TEST-DISABLED-OR-DELETED") == []


def test_a_test_file_with_tests_deleted_still_fires(git_repo: GitRepo) -> None:
    tests = "def test_refund_is_idempotent():\n    assert refund(1) == refund(1)\n"
    change = committed_change(git_repo, {"app/tests/test_refunds.py": tests, "app/refunds.py": "def refund(x):\n    return x\n"},
                              {"app/tests/test_refunds.py": None})
    assert [f.severity for f in fired(change, "TEST-DISABLED-OR-DELETED")] == ["high"]


def test_an_authorization_check_removed_is_medium_and_says_why() -> None:
    [found] = line_rule("AUTHZ-CHECK-REMOVED", "app/views.py", "-@login_required\n def refund(request, order_id):")
    assert found.severity == "medium" and "cannot see whether the check moved" in found.message


def test_bidirectional_characters_in_a_design_file_are_no_source() -> None:
    assert fired(one_file_change("docs/images/architecture.ai", "+(\u202e) Tj"), "TROJAN-SOURCE-BIDI") == []
    [found] = line_rule("TROJAN-SOURCE-BIDI", "app/access.py", "+access = \u202e 'granted'")
    assert found.severity == "high"


def test_nothing_to_commit_guard_of_a_bot_step_is_no_bypassed_check() -> None:
    path = ".github/workflows/sync-readme.yml"
    assert line_rule("CI-CHECK-BYPASS", path, '+          git commit --signoff -m "Sync README" || exit 0') == []
    assert line_rule("CI-CHECK-BYPASS", path, "+          git commit -m sync || true") == []
    [found] = line_rule("CI-CHECK-BYPASS", path, "+          pytest -q || exit 0")
    assert found.severity == "high"


def test_force_pushing_the_generated_pages_branch_is_low_a_shared_branch_is_high() -> None:
    pages = line_rule("GIT-HISTORY-REWRITE", "hack/publish-docs.sh", '+git push --force --quiet "https://${GH_REF}" gh-pages')
    assert [f.severity for f in pages] == ["low"]
    main = line_rule("GIT-HISTORY-REWRITE", "hack/publish-docs.sh", "+git push --force origin main")
    assert [f.severity for f in main] == ["high"]
    named = line_rule("GIT-HISTORY-REWRITE", "hack/publish-docs.sh", '+git push --force "https://${GH_REF}" HEAD:${BRANCH} > /dev/null')
    assert [f.severity for f in named] == ["high"]
