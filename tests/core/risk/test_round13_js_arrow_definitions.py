"""A JS/TS test file deleted with the module it imports is medium (the tests went with their code), also
when the module defines its functions as constant arrow functions (``const initExplorer = (node) => {``):
those are definitions, so a module whose code moved elsewhere (the same function added again) keeps the
finding high."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

MODULE = '''import { createStore } from 'redux';

const initExplorer = (explorerNode: HTMLElement, toggleNode: HTMLElement) => {
  const store = createStore(() => ({}));
  return store;
};

export { initExplorer };
'''
TEST = '''import { initExplorer } from './index';

describe('initExplorer', () => {
  it('works', () => {
    expect(initExplorer(document.body, document.body)).toBeTruthy();
  });
});
'''
FILES = {"client/src/components/Explorer/index.tsx": MODULE, "client/src/components/Explorer/index.test.js": TEST,
         "client/src/main.ts": "export const main = 1;\n"}


def _deleted(git_repo: GitRepo, after: dict[str, str | None]) -> list[dict]:
    found = risk_findings(range_analysis(git_repo, dict(FILES), after))
    return [f for f in by_rule(found, "TEST-DISABLED-OR-DELETED") if f["path"].endswith("index.test.js")]


def test_a_test_deleted_with_the_arrow_function_module_it_imports_is_medium(git_repo: GitRepo) -> None:
    [found] = _deleted(git_repo, {"client/src/components/Explorer/index.tsx": None,
                                  "client/src/components/Explorer/index.test.js": None})
    assert found["severity"] == "medium"
    assert "Explorer/index.tsx (what it imports" in found["message"]


def test_the_function_added_again_elsewhere_keeps_it_high(git_repo: GitRepo) -> None:
    [found] = _deleted(git_repo, {"client/src/components/Explorer/index.tsx": None,
                                  "client/src/components/Explorer/index.test.js": None,
                                  "client/src/sidebar/explorer.tsx": MODULE})
    assert found["severity"] == "high"
