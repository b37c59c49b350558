"""TLS-VERIFY-DISABLED on an edit that keeps a check already off: the setting moved onto another
struct inside the same opt-in branch is no new hazard (low, saying so); the same line added where
nothing was off before stays high. Real git repositories, whole engine.
"""

from __future__ import annotations

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

_BEFORE = '''package upstream

func newProxy(skipTLSVerify bool) *Proxy {
	proxy := newReverseProxy()
	if skipTLSVerify {
		proxy.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return proxy
}
'''
_MOVED = _BEFORE.replace("		proxy.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}\n",
                         "		proxy.Transport = &http.Transport{\n			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},\n		}\n")


def test_a_check_already_off_moved_onto_another_struct_is_low(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"pkg/upstream/http.go": _BEFORE}, {"pkg/upstream/http.go": _MOVED})
    found = fired(change, "TLS-VERIFY-DISABLED")
    assert [f.severity for f in found] == ["low"]
    assert "already did this before the change" in found[0].message


def test_a_check_turned_off_where_it_was_on_stays_high(git_repo: GitRepo) -> None:
    before = _BEFORE.replace("InsecureSkipVerify: true", "MinVersion: tls.VersionTLS12")
    change = committed_change(git_repo, {"pkg/upstream/http.go": before}, {"pkg/upstream/http.go": _MOVED})
    assert [f.severity for f in fired(change, "TLS-VERIFY-DISABLED")] == ["high"]
