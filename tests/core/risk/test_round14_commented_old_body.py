"""Code commented out that is the old body of a function rewritten beside it, on a real git repository.

CODE-COMMENTED-OUT is raised to high when the commented lines held a safety check (a try/except). When they are the
old body of a definition the file still defines live (`#    def fetch(...)` kept under the rewritten `def fetch`),
the code that runs is the rewrite: medium, naming the definition and its line. The same block commented out with no
live definition of that name stays high.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

BEFORE = """class Attributes:
    def __init__(self, product):
        self.product = product

    def fetch(self, name):
        try:
            return self.lookup(name)
        except KeyError:
            raise AttributeError(name)
        finally:
            self.log(name)
"""

REWRITTEN = """class Attributes:
    def __init__(self, product):
        self.product = product

    def fetch(self, name):
        values = self.load_all()
        if name not in values:
            raise AttributeError(name)
        return values[name]

#    def fetch(self, name):
#        try:
#            return self.lookup(name)
#        except KeyError:
#            raise AttributeError(name)
#        finally:
#            self.log(name)
"""

DISABLED = """class Attributes:
    def __init__(self, product):
        self.product = product

#    def fetch(self, name):
#        try:
#            return self.lookup(name)
#        except KeyError:
#            raise AttributeError(name)
#        finally:
#            self.log(name)
"""


def _commented(git_repo: GitRepo, after: str) -> list[tuple[str, str]]:
    found = risk_findings(range_analysis(git_repo, {"shop/attributes.py": BEFORE}, {"shop/attributes.py": after}))
    return [(f["severity"], f["message"]) for f in by_rule(found, "CODE-COMMENTED-OUT")]


def test_the_old_body_kept_beside_its_rewrite_is_medium(git_repo: GitRepo) -> None:
    found = _commented(git_repo, REWRITTEN)
    assert found and all(severity == "medium" for severity, _ in found), found
    assert any("the old body of fetch, kept as a comment beside its rewrite" in m and "line 5" in m for _, m in found), found


def test_a_function_commented_out_with_no_rewrite_stays_high(git_repo: GitRepo) -> None:
    found = _commented(git_repo, DISABLED)
    assert found and any(severity == "high" for severity, _ in found), found
