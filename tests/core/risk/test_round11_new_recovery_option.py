"""A recovery setting that a new option turns off by default, where the module never set one (structure/terraform.py).

Real repositories: a point-in-time recovery option added to a variable's default as false, where no
.tf file of the module named any point-in-time recovery setting before, changes nothing for an
existing caller (medium, saying why); where the module switched it on before and now reads it from
the new option, defaulting off, every caller who leaves the default loses it (high).
"""

from __future__ import annotations

from typing import Any

from reviewer_app.core.analysis import analyze
from reviewer_app.core.ingest import load_git_range
from reviewer_app.core.risk import load_rules
from reviewer_app.core.workspace import Workspace
from tests.gitrepo import GitRepo


def _findings(repo: GitRepo, head: str, rule: str) -> list[dict[str, Any]]:
    change = load_git_range(repo.path, f"{head}^..{head}")
    workspace = Workspace(repo.path)
    report = analyze(change, workspace, rules=load_rules(workspace)).to_dict()["risk"]
    return [f for f in report["findings"] if f["rule"] == rule]


INSTANCE = '''resource "google_sql_database_instance" "default" {{
  name = "db"
  settings {{
    backup_configuration {{
      enabled = var.backup_configuration.enabled
{extra}    }}
  }}
}}
'''
VARIABLE = '''variable "backup_configuration" {{
  type = object({{
    enabled = bool
{types}  }})
  default = {{
    enabled = false
{defaults}  }}
}}
'''


def _recovery_change(repo: GitRepo, old_extra: str) -> str:
    repo.write_files({"modules/postgresql/main.tf": INSTANCE.format(extra=old_extra),
                      "modules/postgresql/variables.tf": VARIABLE.format(types="", defaults="")})
    repo.commit("module")
    repo.write_files({
        "modules/postgresql/main.tf": INSTANCE.format(
            extra="      point_in_time_recovery_enabled = lookup(var.backup_configuration, \"point_in_time_recovery_enabled\", false)\n"),
        "modules/postgresql/variables.tf": VARIABLE.format(types="    point_in_time_recovery_enabled = bool\n",
                                                           defaults="    point_in_time_recovery_enabled = false\n")})
    return repo.commit("point-in-time recovery option")


def test_a_new_recovery_option_defaulting_to_what_the_module_never_set_is_medium(git_repo: GitRepo) -> None:
    head = _recovery_change(git_repo, old_extra="")
    [finding] = [f for f in _findings(git_repo, head, "INFRA-BACKUP-WEAKENED") if f["path"].endswith("variables.tf")]
    assert finding["severity"] == "medium"
    assert "no .tf file of modules/postgresql/ named `point_in_time_recovery_enabled`" in finding["message"]
    assert "nothing the module switched on is switched off" in finding["message"]


def test_a_new_option_defaulting_off_what_the_module_switched_on_stays_high(git_repo: GitRepo) -> None:
    head = _recovery_change(git_repo, old_extra="      point_in_time_recovery_enabled = true\n")
    findings = [f for f in _findings(git_repo, head, "INFRA-BACKUP-WEAKENED") if f["path"].endswith("variables.tf")]
    assert findings and all(f["severity"] == "high" for f in findings)
