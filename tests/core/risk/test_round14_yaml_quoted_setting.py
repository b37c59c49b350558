"""A YAML setting unquoted (`"true"` -> `true`) is the setting it was, on a real git repository.

`kong_admin_tls_skip_verify: "true"` -> `kong_admin_tls_skip_verify: true` leaves TLS verification off as it was:
TLS-VERIFY-DISABLED is low, saying the edited line already set it, quoted. A quoted `"false"` turned to `true`
is new (high), and outside YAML a quoted value is a string of the language (`verify="False"` in Python is true),
so nothing is read as the same there.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

VALUES = """ingressController:
  env:
    # Kong generates self-signed certificates by default.
    kong_admin_tls_skip_verify: %s
"""


def _tls(git_repo: GitRepo, path: str, before: str, after: str) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {path: before}, {path: after}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "TLS-VERIFY-DISABLED")]


def test_a_quoted_true_unquoted_is_the_same_setting(git_repo: GitRepo) -> None:
    found = _tls(git_repo, "charts/kong/values.yaml", VALUES % '"true"', VALUES % "true")
    assert [severity for severity, _ in found] == ["low"], found
    assert 'already set this, quoted (`kong_admin_tls_skip_verify: "true"`)' in found[0][1], found


def test_a_quoted_false_turned_true_is_new(git_repo: GitRepo) -> None:
    found = _tls(git_repo, "charts/kong/values.yaml", VALUES % '"false"', VALUES % "true")
    assert [severity for severity, _ in found] == ["high"], found


def test_outside_yaml_a_quoted_value_is_not_the_same(git_repo: GitRepo) -> None:
    code = 'import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=%s)\n'
    found = _tls(git_repo, "app/client.py", code % '"False"', code % "False")
    assert [severity for severity, _ in found] == ["high"], found
