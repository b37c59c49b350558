"""A webpack (or ncc) bundle is generated code, also when the change's hunks start below its runtime header.

`dist/index.js` of a JavaScript GitHub Action opens with webpack's runtime (`/******/ (() => { // webpackBootstrap`)
and holds the bundled libraries. A dependency bump rebuilds it far below that line, so the diff shows no line of the
header: the header is read from the old blob. A TLS finding in the bundle is lowered one step, saying why; the same
code in a file without the header keeps its level.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

HEADER = "/******/ (() => { // webpackBootstrap\n/******/ \tvar __webpack_modules__ = ({\n\n"
BODY = "".join(f"/***/ {n}: ((module) => {{ module.exports = {n}; }}),\n" for n in range(40))
AGENT = """function agentFor(options, ignoreSslError) {
    const agent = new https.Agent(options);
    if (ignoreSslError) {
        agent.options = Object.assign(agent.options || {}, {
            rejectUnauthorized: false
        });
    }
    return agent;
}
"""


def _tls(git_repo: GitRepo, header: str) -> list[tuple[str, str]]:
    before = {"dist/index.js": header + BODY + "/******/ })();\n"}
    after = {"dist/index.js": header + BODY + AGENT + "/******/ })();\n"}
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "TLS-VERIFY-DISABLED")]


def test_a_bundle_rebuilt_below_its_runtime_header_is_generated_code(git_repo: GitRepo) -> None:
    found = _tls(git_repo, HEADER)
    assert [severity for severity, _ in found] == ["medium"], found
    assert "generated-code header" in found[0][1], found


def test_the_same_code_without_the_header_keeps_its_level(git_repo: GitRepo) -> None:
    found = _tls(git_repo, "'use strict';\n\n\n")
    assert [severity for severity, _ in found] == ["high"], found
