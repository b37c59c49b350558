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


def test_a_symbolic_link_to_a_terraform_file_is_not_read_as_terraform(git_repo: GitRepo) -> None:
    # git stores a link as a blob holding the target's path ("../locals.tf"): not Terraform to parse.
    import os

    git_repo.write_files({"locals.tf": 'locals {\n  name = "orders"\n}\n', "fixture/main.tf": "# fixture\n"})
    git_repo.commit("before")
    os.symlink("../locals.tf", git_repo.path / "fixture" / "locals.tf")
    head = git_repo.commit("link the fixture to the module's locals")
    from reviewer_app.core.ingest import load_git_range

    change = load_git_range(git_repo.path, f"{head}^..{head}")
    assert [f.new_mode for f in change.files] == ["120000"]
    assert fired(change, "STRUCTURE-UNREAD") == []


def test_a_jinja_template_of_terraform_is_not_unread(git_repo: GitRepo) -> None:
    # A generator's source (autogen/variables.tf): Terraform refuses it as it stands, so nothing the
    # parser missed runs as written; a Jinja line inside a heredoc would not count.
    before = 'variable "name" {\n  type = string\n}\n{% if private_cluster %}\nvariable "endpoint" {\n  type = string\n}\n{% endif %}\n'
    after = before.replace("type = string\n}\n{% if", 'type    = string\n  default = "a"\n}\n{% if')
    change = committed_change(git_repo, {"autogen/variables.tf": before}, {"autogen/variables.tf": after})
    assert fired(change, "STRUCTURE-UNREAD") == []


def test_a_jinja_line_inside_a_heredoc_does_not_excuse_an_unreadable_block(git_repo: GitRepo) -> None:
    text = _UNREADABLE.replace('  engine     = "postgres"\n', '  engine     = "postgres"\n  note = <<EOT\n{% raw %}\nEOT\n')
    change = committed_change(git_repo, {"db.tf": _BEFORE}, {"db.tf": text})
    assert [f.severity for f in fired(change, "STRUCTURE-UNREAD")] == ["high"]


def test_a_file_that_did_not_read_before_the_change_either_is_medium_and_says_so(git_repo: GitRepo) -> None:
    # A legacy file the checks never covered: the change did not make it unreadable (no way to slip a
    # hazard past them by this change), but a senior still reads it.
    change = committed_change(git_repo, {"db.tf": _UNREADABLE}, {"db.tf": _UNREADABLE.replace('"postgres"', '"mysql"')})
    found = fired(change, "STRUCTURE-UNREAD")
    assert [f.severity for f in found] == ["medium"]
    assert "did not read before this change either" in found[0].message
