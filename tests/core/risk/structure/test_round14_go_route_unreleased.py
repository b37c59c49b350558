"""A removed HTTP route that no release served is medium, saying so, on a real git repository with a release tag.

A route added since the nearest release (tag in the base's history) and renamed before the next one was never
called by any client of a released version: GO-HTTP-ROUTE-REMOVED is medium, naming the release. A route the
release already registered keeps its level (high).
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

API = """package api

import "net/http"

func Serve(mux *http.ServeMux) {
\tmux.HandleFunc("/v1/feeds", feeds)
%s}
"""


def _routes(git_repo: GitRepo, released: str, before: str, after: str) -> list[tuple[str, str]]:
    git_repo.write_files({"internal/api/api.go": API % released})
    git_repo.commit("release")
    git_repo.git("tag", "2.2.1")
    found = risk_findings(range_analysis(git_repo, {"internal/api/api.go": API % before},
                                         {"internal/api/api.go": API % after}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "GO-HTTP-ROUTE-REMOVED")]


def test_a_route_added_since_the_release_and_renamed_is_medium(git_repo: GitRepo) -> None:
    found = _routes(git_repo, "", '\tmux.HandleFunc("/v1/integrations/status", status)\n',
                    '\tmux.HandleFunc("/v1/integrations-status", status)\n')
    assert [severity for severity, _ in found] == ["medium"], found
    assert "in no release yet" in found[0][1] and "2.2.1" in found[0][1], found


def test_a_route_the_release_served_stays_high(git_repo: GitRepo) -> None:
    route = '\tmux.HandleFunc("/v1/integrations/status", status)\n'
    found = _routes(git_repo, route, route, '\tmux.HandleFunc("/v1/integrations-status", status)\n')
    assert [severity for severity, _ in found] == ["high"], found
