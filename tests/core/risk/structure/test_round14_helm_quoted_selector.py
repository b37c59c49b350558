"""A selector label's value quoted renders the same selector, on a real git repository.

`app.kubernetes.io/instance: {{ .Release.Name | quote }}` (or `"{{ .Release.Name }}"`) renders the string the unquoted
action rendered: a label value is a string, so an old selector that applied held one. Quoting a selector helper's
values is no selector change (no K8S-IMMUTABLE-FIELD); adding a label to the helper still is.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.core.risk.structure.test_helm_templates import HELPERS, HELPERS_PATH
from tests.gitrepo import GitRepo


def _immutable(git_repo: GitRepo, after: str) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {HELPERS_PATH: HELPERS}, {HELPERS_PATH: after}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")]


def test_quoting_a_selector_helpers_values_changes_no_selector(git_repo: GitRepo) -> None:
    after = HELPERS.replace("app.kubernetes.io/instance: {{ .Release.Name }}",
                            "app.kubernetes.io/instance: {{ .Release.Name | quote }}")
    assert after != HELPERS
    assert _immutable(git_repo, after) == []


def test_a_value_quoted_in_the_yaml_changes_no_selector(git_repo: GitRepo) -> None:
    after = HELPERS.replace("app.kubernetes.io/instance: {{ .Release.Name }}",
                            'app.kubernetes.io/instance: "{{ .Release.Name }}"')
    assert after != HELPERS
    assert _immutable(git_repo, after) == []


def test_a_label_added_beside_the_quoting_is_still_a_selector_change(git_repo: GitRepo) -> None:
    after = HELPERS.replace("app.kubernetes.io/instance: {{ .Release.Name }}\n",
                            "app.kubernetes.io/instance: {{ .Release.Name | quote }}\napp.kubernetes.io/component: server\n")
    found = _immutable(git_repo, after)
    assert [severity for severity, _ in found] == ["high"], found
