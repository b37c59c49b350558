"""A test file deleted while the change adds tests in another language in the same test tree is medium, on a real git repository.

A suite rewritten for another runner (an InSpec control replaced by a Go test) keeps no test name, so "its tests are
defined elsewhere by name" cannot see it. New test files in another language that define tests under the folder
holding the deleted file's folder lower TEST-DISABLED-OR-DELETED to medium and name them. A test file deleted with
no test added there, with tests added in another tree, or replaced by a test of the same language (which may test
something else) stays high.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CONTROL = """output_region = attribute('output_region')
region = attribute('region')

describe 'Outputs' do
  it 'should reflect inputted variables' do
    expect(output_region).to eq region
  end
end
"""

GO_TEST = """package minimal

import "testing"

func TestMinimalRedis(t *testing.T) {
\tif tier() != "BASIC" {
\t\tt.Fatalf("tier")
\t}
}
"""


def _deleted(git_repo: GitRepo, after: dict[str, str | None]) -> list[tuple[str, str]]:
    before = {"test/integration/minimal/controls/gcloud.rb": CONTROL, "main.tf": 'resource "null_resource" "x" {}\n'}
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "TEST-DISABLED-OR-DELETED")]


def test_a_control_replaced_by_a_go_test_in_the_same_tree_is_medium(git_repo: GitRepo) -> None:
    found = _deleted(git_repo, {"test/integration/minimal/controls/gcloud.rb": None,
                                "test/integration/minimal/minimal_test.go": GO_TEST})
    assert [severity for severity, _ in found] == ["medium"], found
    assert "test/integration/minimal/minimal_test.go, which define 1 test" in found[0][1], found


def test_a_test_file_deleted_with_nothing_added_stays_high(git_repo: GitRepo) -> None:
    found = _deleted(git_repo, {"test/integration/minimal/controls/gcloud.rb": None})
    assert [severity for severity, _ in found] == ["high"], found


def test_tests_added_in_another_tree_do_not_lower(git_repo: GitRepo) -> None:
    found = _deleted(git_repo, {"test/integration/minimal/controls/gcloud.rb": None,
                                "other/module/minimal_test.go": GO_TEST})
    assert [severity for severity, _ in found] == ["high"], found


def test_a_new_test_in_the_same_language_is_no_rewrite(git_repo: GitRepo) -> None:
    # A test replaced by another of the same runner may test something else: the finding keeps its level.
    other = "describe 'Other' do\n  it 'works' do\n    expect(1).to eq 1\n  end\nend\n"
    found = _deleted(git_repo, {"test/integration/minimal/controls/gcloud.rb": None,
                                "test/integration/minimal/controls/other_spec.rb": other})
    assert [severity for severity, _ in found] == ["high"], found
