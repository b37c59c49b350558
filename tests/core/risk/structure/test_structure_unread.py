"""Fail closed: a Terraform file whose changed block the parser cannot read is not passed as if the
replacement checks had run. Before this, such a change came out low with no finding at all (the
note saying why only decorated line findings, and Terraform's replacement checks have no line rule).
Changes are committed in real git repositories and read through the whole engine.
"""

from __future__ import annotations

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

_BEFORE = '''resource "aws_db_instance" "main" {
  identifier = "orders"
  engine     = "postgres"
  tags = {
    Team = "payments"
  }
}
'''

# The identifier changes (a replacement, with the database's data) in a block that also carries a
# body the parser does not read: Terraform 0.11's quoted keys in a block.
_UNREADABLE = '''resource "aws_db_instance" "main" {
  identifier = "orders-v2"
  engine     = "postgres"
  tags {
    "Team" = "payments"
  }
}
'''

_READABLE = _BEFORE.replace('"orders"', '"orders-v2"')


def test_a_changed_block_the_parser_cannot_read_is_high_and_says_what_did_not_run(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"db.tf": _BEFORE}, {"db.tf": _UNREADABLE})
    found = fired(change, "STRUCTURE-UNREAD")
    assert [(f.path, f.severity) for f in found] == [("db.tf", "high")]
    assert "did not parse as Terraform" in found[0].message
    assert "replacement" in found[0].message and "did not run" in found[0].message


def test_a_readable_change_has_no_unread_finding_and_its_replacement_is_found(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"db.tf": _BEFORE}, {"db.tf": _READABLE})
    assert fired(change, "STRUCTURE-UNREAD") == []
    assert [f.severity for f in fired(change, "TF-FORCES-REPLACEMENT")] in (["high"], ["critical"])


def test_an_unreadable_example_is_lowered_like_every_example_finding(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"examples/complete/db.tf": _BEFORE}, {"examples/complete/db.tf": _UNREADABLE})
    found = fired(change, "STRUCTURE-UNREAD")
    assert len(found) == 1 and found[0].severity == "medium"
