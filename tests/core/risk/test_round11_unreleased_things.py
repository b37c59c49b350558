"""Breaking findings on a thing no release held, in a file a release did hold; and recovery options that are new.

Real repositories with real tags (risk/releases.py, structure/terraform.py, structure/sql.py):
  * a Terraform resource added to a released main.tf after the release and removed or renamed before
    the next one is in no state: medium, saying which release lacks it; a resource the release
    declares, a repository without tags, a tag outside the base's history, or a `moved` block of the
    change that leads released state into the name keep it high;
  * a column a migration written since the release added, dropped by a later new migration: medium;
    a column the release names (in any spelling: ``rev_id``, ``revId``) stays high.
"""

from __future__ import annotations

from typing import Any

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.risk import load_rules
from reviewer_app.core.workspace import Workspace
from tests.gitrepo import GitRepo

NETWORK = 'resource "google_compute_network" "main" {\n  name = "main"\n}\n'
SUBNET = 'resource "google_compute_subnetwork" "extra" {\n  name    = "extra"\n  network = "main"\n}\n'
FIREWALL = 'resource "google_compute_firewall" "{name}" {{\n  name    = "fw"\n  network = "main"\n}}\n'


def _findings(repo: GitRepo, head: str, rule: str) -> list[dict[str, Any]]:
    change = load_git_range(repo.path, f"{head}^..{head}")
    workspace = Workspace(repo.path)
    report = analyze(change, workspace, rules=load_rules(workspace)).to_dict()["risk"]
    return [f for f in report["findings"] if f["rule"] == rule]


def _released_network(repo: GitRepo, tag: bool = True) -> None:
    repo.write_files({"main.tf": NETWORK, "README.md": "# network\n"})
    repo.commit("network module")
    if tag:
        repo.git("tag", "-a", "v1.0.0", "-m", "first release")


# -- Terraform: resources -----------------------------------------------------------------------------

def test_a_resource_added_to_a_released_file_and_removed_before_the_next_release_is_medium(git_repo: GitRepo) -> None:
    _released_network(git_repo)
    git_repo.write_files({"main.tf": NETWORK + "\n" + SUBNET})
    git_repo.commit("add a subnetwork after the release")
    git_repo.write_files({"main.tf": NETWORK})
    head = git_repo.commit("drop it again")
    [finding] = _findings(git_repo, head, "INFRA-TF-RESOURCE-REMOVED")
    assert finding["severity"] == "medium"
    assert "google_compute_subnetwork.extra is in no release yet" in finding["message"]
    assert "v1.0.0" in finding["message"] and "the root module" in finding["message"]


def test_a_resource_the_release_declares_stays_high(git_repo: GitRepo) -> None:
    git_repo.write_files({"main.tf": NETWORK + "\n" + SUBNET})
    git_repo.commit("network and subnetwork")
    git_repo.git("tag", "v1.0.0")
    git_repo.write_files({"README.md": "# more\n"})
    git_repo.commit("docs after the release")
    git_repo.write_files({"main.tf": NETWORK})
    head = git_repo.commit("drop the released subnetwork")
    [finding] = _findings(git_repo, head, "INFRA-TF-RESOURCE-REMOVED")
    assert finding["severity"] == "high"
    assert "release" not in finding["message"]


def test_a_resource_declared_in_another_file_of_the_module_at_the_release_stays_high(git_repo: GitRepo) -> None:
    git_repo.write_files({"mod/main.tf": NETWORK, "mod/subnets.tf": SUBNET})
    git_repo.commit("module")
    git_repo.git("tag", "v1.0.0")
    # The subnetwork moved from subnets.tf into main.tf after the release, and is now removed.
    git_repo.write_files({"mod/main.tf": NETWORK + "\n" + SUBNET, "mod/subnets.tf": None})
    git_repo.commit("one file")
    git_repo.write_files({"mod/main.tf": NETWORK})
    head = git_repo.commit("drop the subnetwork")
    [finding] = _findings(git_repo, head, "INFRA-TF-RESOURCE-REMOVED")
    assert finding["severity"] == "high"


def test_without_tags_an_unreleased_resource_cannot_be_told_and_stays_high(git_repo: GitRepo) -> None:
    _released_network(git_repo, tag=False)
    git_repo.write_files({"main.tf": NETWORK + "\n" + SUBNET})
    git_repo.commit("add a subnetwork")
    git_repo.write_files({"main.tf": NETWORK})
    head = git_repo.commit("drop it again")
    [finding] = _findings(git_repo, head, "INFRA-TF-RESOURCE-REMOVED")
    assert finding["severity"] == "high"


def test_a_tag_on_another_branch_does_not_count_as_the_release(git_repo: GitRepo) -> None:
    _released_network(git_repo, tag=False)
    git_repo.git("checkout", "-q", "-b", "elsewhere")
    git_repo.write_files({"other.txt": "x\n"})
    git_repo.commit("elsewhere")
    git_repo.git("tag", "v9.0.0")  # holds main.tf without the subnetwork, but is not in the base's history
    git_repo.git("checkout", "-q", "main")
    git_repo.write_files({"main.tf": NETWORK + "\n" + SUBNET})
    git_repo.commit("add a subnetwork")
    git_repo.write_files({"main.tf": NETWORK})
    head = git_repo.commit("drop it again")
    [finding] = _findings(git_repo, head, "INFRA-TF-RESOURCE-REMOVED")
    assert finding["severity"] == "high"


def test_renaming_a_name_no_release_held_while_the_released_name_is_moved_on_is_medium(git_repo: GitRepo) -> None:
    git_repo.write_files({"main.tf": NETWORK + "\n" + FIREWALL.format(name="fw-namservers")})
    git_repo.commit("module")
    git_repo.git("tag", "v1.0.0")
    git_repo.write_files({"main.tf": NETWORK + "\n" + FIREWALL.format(name="fw-nameservers")
                          + "\nmoved {\n  from = google_compute_firewall.fw-namservers\n  to   = google_compute_firewall.fw-nameservers\n}\n"})
    git_repo.commit("fix a typo")
    # snake_case: the released name moves straight to the new one (moved.tf); the typo-fixed name was never released.
    git_repo.write_files({"main.tf": NETWORK + "\n" + FIREWALL.format(name="fw_nameservers"),
                          "moved.tf": "moved {\n  from = google_compute_firewall.fw-namservers\n  to   = google_compute_firewall.fw_nameservers\n}\n"})
    head = git_repo.commit("snake case")
    [finding] = _findings(git_repo, head, "TF-RENAME-WITHOUT-MOVED")
    assert finding["severity"] == "medium"
    assert "google_compute_firewall.fw-nameservers is in no release yet" in finding["message"]


def test_renaming_a_name_that_released_state_is_moved_into_stays_high(git_repo: GitRepo) -> None:
    git_repo.write_files({"main.tf": NETWORK + "\n" + FIREWALL.format(name="old")})
    git_repo.commit("module")
    git_repo.git("tag", "v1.0.0")
    git_repo.write_files({"main.tf": NETWORK + "\n" + FIREWALL.format(name="middle"),
                          "moved.tf": "moved {\n  from = google_compute_firewall.old\n  to   = google_compute_firewall.middle\n}\n"})
    git_repo.commit("rename with a moved block")
    # `middle` is in no release, but the kept moved block leads released state (`old`) into it.
    git_repo.write_files({"main.tf": NETWORK + "\n" + FIREWALL.format(name="last")})
    head = git_repo.commit("rename again, without a moved block")
    [finding] = _findings(git_repo, head, "TF-RENAME-WITHOUT-MOVED")
    assert finding["severity"] == "high"


# -- SQL migrations -------------------------------------------------------------------------------------

def _released_schema(repo: GitRepo, code: str = "") -> None:
    repo.write_files({"db/migrations/01_init/migration.sql": "CREATE TABLE website (id int, name text);\n",
                      "src/website.js": code or "export const fields = ['id', 'name'];\n"})
    repo.commit("schema")
    repo.git("tag", "v1.39.4")


def test_dropping_a_column_added_since_the_release_is_medium(git_repo: GitRepo) -> None:
    _released_schema(git_repo)
    git_repo.write_files({"db/migrations/02_rev/migration.sql": "ALTER TABLE website ADD COLUMN rev_id int;\n"})
    git_repo.commit("a revision column")
    git_repo.write_files({"db/migrations/03_reset/migration.sql":
                          'ALTER TABLE "website" DROP COLUMN "rev_id",\nADD COLUMN "reset_at" timestamptz;\n'})
    head = git_repo.commit("replace it before the release")
    [finding] = _findings(git_repo, head, "DB-DROP-COLUMN")
    assert finding["severity"] == "medium"
    assert "website.rev_id is in no release yet" in finding["message"] and "v1.39.4" in finding["message"]


def test_dropping_a_column_the_release_names_stays_high(git_repo: GitRepo) -> None:
    _released_schema(git_repo)
    git_repo.write_files({"db/migrations/02_drop/migration.sql": "ALTER TABLE website DROP COLUMN name;\n"})
    head = git_repo.commit("drop a released column")
    [finding] = _findings(git_repo, head, "DB-DROP-COLUMN")
    assert finding["severity"] == "high"


def test_a_column_the_release_names_in_another_spelling_stays_high(git_repo: GitRepo) -> None:
    # The column came from an ORM model (revId) at the release, not from a migration's text.
    _released_schema(git_repo, code="export const fields = ['id', 'name', 'revId'];\n")
    git_repo.write_files({"db/migrations/02_reset/migration.sql": 'ALTER TABLE "website" DROP COLUMN "rev_id";\n'})
    head = git_repo.commit("drop rev_id")
    [finding] = _findings(git_repo, head, "DB-DROP-COLUMN")
    assert finding["severity"] == "high"
