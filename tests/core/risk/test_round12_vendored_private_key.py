"""SECRET-PRIVATE-KEY in a role's file: a key in vendored third-party code (a published example in a
package's type files under node_modules) is high, its message saying the file is vendored; the same key
in the project's own file stays critical. A real key leaks wherever it is committed, so the role takes
one step at most."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

# Not a key: base64 text shaped like the start of one, made up for this test.
PEM = ("-----BEGIN RSA PRIVATE KEY-----\\nMIIEogIBAAKCAQEAqL3vZ8yTn2Wc5Rk0pXe7HsJd4Fm9Ub1Qo6Ni3Gt8Ya2Kr5Ew"
       "\\nx7Pd2Vc9Lm4Ts1Hq6Zb8Nk3Rf5Jy0Wg7Ua2Ce9Xo4Mi6Dv1Sp8Bl3Ht5Kn0Qz7Fr2\\n-----END RSA PRIVATE KEY-----")
TYPES = '''export interface components {{
  schemas: {{
    "integration": {{
      /** @example "{pem}" */
      pem?: string;
    }};
  }};
}}
'''


def _keys(git_repo: GitRepo, path: str) -> list[dict]:
    before = {"README.md": "project\n"}
    after = {path: TYPES.format(pem=PEM)}
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), "SECRET-PRIVATE-KEY")


def test_a_key_in_vendored_type_files_is_high_saying_why(git_repo: GitRepo) -> None:
    found = _keys(git_repo, "node_modules/@octokit/openapi-types/types.d.ts")
    assert [(f["severity"], f["line"]) for f in found] == [("high", 4)]
    assert "types.d.ts is vendored third-party code" in found[0]["message"]


def test_the_same_key_in_the_project_own_file_stays_critical(git_repo: GitRepo) -> None:
    found = _keys(git_repo, "src/github/types.d.ts")
    assert [(f["severity"], f["line"]) for f in found] == [("critical", 4)]
    assert "vendored" not in found[0]["message"]
