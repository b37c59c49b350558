"""Terraform reads every .tf file of a folder as one module: a rename whose `moved` block the change
adds in another file of the folder (a moved.tf, as module authors keep them) destroys nothing. A
moved block in another folder (another module) does not count. Real git repositories, whole engine.
"""

from __future__ import annotations

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

_BEFORE = '''resource "kubernetes_config_map_v1_data" "kube-dns" {
  metadata {
    name      = "kube-dns"
    namespace = "kube-system"
  }
  data = {
    stubDomains = "{}"
  }
}
'''
_AFTER = _BEFORE.replace('"kube-dns" {', '"kube_dns" {', 1)
_MOVED = '''# kebab case to snake case
moved {
  from = kubernetes_config_map_v1_data.kube-dns
  to   = kubernetes_config_map_v1_data.kube_dns
}
'''


def test_a_rename_with_its_moved_block_in_a_moved_tf_beside_it_destroys_nothing(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"dns.tf": _BEFORE}, {"dns.tf": _AFTER, "moved.tf": _MOVED})
    assert [f for f in fired(change, "TF-RENAME-WITHOUT-MOVED") if f.severity in ("high", "critical")] == []


def test_a_moved_block_in_another_module_folder_does_not_count(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"dns.tf": _BEFORE}, {"dns.tf": _AFTER, "modules/other/moved.tf": _MOVED})
    assert [f.severity for f in fired(change, "TF-RENAME-WITHOUT-MOVED")] == ["high"]


def test_a_removed_block_beside_it_that_still_destroys_does_not_count(git_repo: GitRepo) -> None:
    removed = ('removed {\n  from = kubernetes_config_map_v1_data.kube-dns\n  lifecycle {\n    destroy = true\n  }\n}\n')
    change = committed_change(git_repo, {"dns.tf": _BEFORE, "main.tf": "# main\n"}, {"dns.tf": None, "main.tf": "# main\n" + removed})
    assert [f.severity for f in fired(change, "INFRA-TF-RESOURCE-REMOVED")] == ["high"]


def test_a_removed_block_beside_it_that_forgets_counts(git_repo: GitRepo) -> None:
    removed = ('removed {\n  from = kubernetes_config_map_v1_data.kube-dns\n  lifecycle {\n    destroy = false\n  }\n}\n')
    change = committed_change(git_repo, {"dns.tf": _BEFORE, "main.tf": "# main\n"}, {"dns.tf": None, "main.tf": "# main\n" + removed})
    assert [f for f in fired(change, "INFRA-TF-RESOURCE-REMOVED") if f.severity in ("high", "critical")] == []


def test_the_rename_left_without_a_moved_block_names_its_likeliest_new_name(git_repo: GitRepo) -> None:
    second = _BEFORE.replace('"kube-dns" {', '"kube-dns-upstream-nameservers" {', 1)
    after = _AFTER + second.replace('"kube-dns-upstream-nameservers" {', '"kube_dns_upstream_nameservers" {', 1)
    change = committed_change(git_repo, {"dns.tf": _BEFORE + second}, {"dns.tf": after, "moved.tf": _MOVED})
    [finding] = [f for f in fired(change, "TF-RENAME-WITHOUT-MOVED") if f.severity == "high"]
    assert "kube-dns-upstream-nameservers is renamed to kubernetes_config_map_v1_data.kube_dns_upstream_nameservers" in finding.message
