"""OPS-CLOUD-DELETE-CLI on Helm's own teardown: a chart's templates/NOTES.txt is the text Helm prints after an
install (documentation: low, saying so), and a Makefile target uninstalling a release the same Makefile
installs (same name, namespace and context) is a developer's teardown (medium, saying so). A delete of
anything else, or of a name from a variable, keeps its level."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

MAKEFILE = '''.PHONY: pgbench-deploy
pgbench-deploy: ## Installs pgbench chart
\thelm dependency update charts/pgbench
\thelm upgrade --install pgbench --atomic charts/pgbench
'''
UNINSTALL = '''
.PHONY: pgbench-uninstall
pgbench-uninstall: ## Uninstalls the pgbench chart
\t@helm uninstall {target}
'''
NOTES = '''After the job completes, gather the results. You can then uninstall the chart

  helm uninstall {{ .Release.Name }} -n {{ .Release.Namespace }}
'''


def _deletes(git_repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), "OPS-CLOUD-DELETE-CLI")


def test_a_makefile_uninstalling_the_release_it_installs_is_medium(git_repo: GitRepo) -> None:
    found = _deletes(git_repo, {"Makefile": MAKEFILE}, {"Makefile": MAKEFILE + UNINSTALL.format(target="pgbench")})
    assert [f["severity"] for f in found] == ["medium"]
    assert "installs the release `pgbench` (line 4)" in found[0]["message"]


def test_a_makefile_uninstalling_another_release_stays_high(git_repo: GitRepo) -> None:
    found = _deletes(git_repo, {"Makefile": MAKEFILE}, {"Makefile": MAKEFILE + UNINSTALL.format(target="billing")})
    assert [f["severity"] for f in found] == ["high"]


def test_an_uninstall_in_another_namespace_stays_high(git_repo: GitRepo) -> None:
    found = _deletes(git_repo, {"Makefile": MAKEFILE},
                     {"Makefile": MAKEFILE + UNINSTALL.format(target="pgbench -n production")})
    assert [f["severity"] for f in found] == ["high"]


def test_the_same_uninstall_in_a_script_stays_high(git_repo: GitRepo) -> None:
    script = "#!/bin/sh\nhelm upgrade --install pgbench charts/pgbench\n"
    found = _deletes(git_repo, {"deploy.sh": script}, {"deploy.sh": script + "helm uninstall pgbench\n"})
    assert [f["severity"] for f in found] == ["high"]


def test_an_uninstall_hint_in_a_charts_notes_is_low(git_repo: GitRepo) -> None:
    found = _deletes(git_repo, {"charts/pgbench/Chart.yaml": "apiVersion: v2\nname: pgbench\nversion: 0.1.0\n"},
                     {"charts/pgbench/templates/NOTES.txt": NOTES})
    assert [f["severity"] for f in found] == ["low"]
    assert "the text Helm prints to the user after an install" in found[0]["message"]
