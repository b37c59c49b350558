"""Line-rule classes of false alarm from judged draw G (corpus/fresh-verdicts.csv), each beside the
danger of the same rule that must still be flagged. Changes are committed in real git repositories;
no rule is keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

# -- GLOBAL-CONFIG-PLANE: a folder word names a configuration plane only for configuration files --

_COMPONENT = """import {Component, Input} from '@angular/core';

@Component({selector: 'kd-resource-quota-list', templateUrl: './template.html'})
export class ResourceQuotaListComponent {
  @Input() quotas: ResourceQuota[];
}
"""
_TEMPLATE = """<mat-card>
  <mat-card-title>Resource Quotas</mat-card-title>
  <kd-quota-row *ngFor="let q of quotas" [quota]="q"></kd-quota-row>
</mat-card>
"""


def test_a_ui_component_in_a_quotas_folder_is_no_config_plane(git_repo: GitRepo) -> None:
    before = {"src/app/frontend/common/components/card/style.scss": ".card { margin: 0; }\n"}
    change = committed_change(git_repo, before, {
        "src/app/frontend/common/components/quotas/component.ts": _COMPONENT,
        "src/app/frontend/common/components/quotas/template.html": _TEMPLATE,
    })
    assert fired(change, "GLOBAL-CONFIG-PLANE") == []


def test_a_reformatted_ui_template_in_a_quotas_folder_is_no_config_plane(git_repo: GitRepo) -> None:
    path = "src/app/frontend/common/components/quotas/template.html"
    change = committed_change(git_repo, {path: _TEMPLATE}, {path: _TEMPLATE.replace("  <kd-quota-row", "    <kd-quota-row")})
    assert fired(change, "GLOBAL-CONFIG-PLANE") == []


def test_a_react_component_and_its_styles_in_a_quota_folder_are_no_config_plane(git_repo: GitRepo) -> None:
    before = {"web/src/App.tsx": "export const App = () => null;\n"}
    change = committed_change(git_repo, before, {
        "web/src/quota/QuotaTable.tsx": "export const QuotaTable = ({rows}) => <table>{rows}</table>;\n",
        "web/src/quota/quota-table.css": ".quota-table { width: 100%; }\n",
    })
    assert fired(change, "GLOBAL-CONFIG-PLANE") == []


def test_a_quota_policy_file_still_fires(git_repo: GitRepo) -> None:
    path = "platform/quotas/limits.yaml"
    change = committed_change(git_repo, {path: "default:\n  requests_per_minute: 600\n"},
                              {path: "default:\n  requests_per_minute: 6\n"})
    assert [f.severity for f in fired(change, "GLOBAL-CONFIG-PLANE")] == ["high"]


def test_a_waf_rule_file_still_fires(git_repo: GitRepo) -> None:
    path = "edge/waf/managed-rules.json"
    change = committed_change(git_repo, {path: '{"rules": [{"id": 100173, "action": "log"}]}\n'},
                              {path: '{"rules": [{"id": 100173, "action": "block"}]}\n'})
    assert [f.severity for f in fired(change, "GLOBAL-CONFIG-PLANE")] == ["high"]


# -- DEP-LOCKFILE-OR-SOURCE-CHANGE: the public npm registry's own tarballs over HTTP -----------------

def _lock_entry(name: str, url: str) -> str:
    return (f'    "{name}": {{\n      "version": "1.0.0",\n      "resolved": "{url}",\n'
            f'      "integrity": "sha512-Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVk==",\n'
            '      "dev": true\n    },\n')


def _lockfile(*entries: str) -> str:
    return ('{\n  "name": "dashboard",\n  "lockfileVersion": 1,\n  "dependencies": {\n' + "".join(entries)
            + '    "zzz": {\n      "version": "0.0.1"\n    }\n  }\n}\n')


def test_registry_tarballs_over_http_with_integrity_are_the_registry(git_repo: GitRepo) -> None:
    old = _lockfile(_lock_entry("chalk", "https://registry.npmjs.org/chalk/-/chalk-1.1.3.tgz"))
    new = _lockfile(_lock_entry("chalk", "http://registry.npmjs.org/chalk/-/chalk-1.1.3.tgz"),
                    _lock_entry("raw-loader", "http://registry.npmjs.org/raw-loader/-/raw-loader-0.5.1.tgz"),
                    _lock_entry("@types/q", "http://registry.npmjs.org/@types/q/-/q-0.0.32.tgz"))
    change = committed_change(git_repo, {"package-lock.json": old}, {"package-lock.json": new})
    assert fired(change, "DEP-LOCKFILE-OR-SOURCE-CHANGE") == []


def test_a_tarball_from_another_host_over_http_is_still_high(git_repo: GitRepo) -> None:
    old = _lockfile(_lock_entry("chalk", "https://registry.npmjs.org/chalk/-/chalk-1.1.3.tgz"))
    new = _lockfile(_lock_entry("chalk", "http://npm.mirror.example.com/chalk/-/chalk-1.1.3.tgz"))
    change = committed_change(git_repo, {"package-lock.json": old}, {"package-lock.json": new})
    assert [f.severity for f in fired(change, "DEP-LOCKFILE-OR-SOURCE-CHANGE")] == ["high"]


def test_a_registry_lookalike_host_over_http_is_still_high(git_repo: GitRepo) -> None:
    old = _lockfile(_lock_entry("chalk", "https://registry.npmjs.org/chalk/-/chalk-1.1.3.tgz"))
    new = _lockfile(_lock_entry("chalk", "http://registry.npmjs.org.evil.example/chalk/-/chalk-1.1.3.tgz"))
    change = committed_change(git_repo, {"package-lock.json": old}, {"package-lock.json": new})
    assert [f.severity for f in fired(change, "DEP-LOCKFILE-OR-SOURCE-CHANGE")] == ["high"]


def test_a_registry_tarball_as_a_package_json_dependency_is_still_high(git_repo: GitRepo) -> None:
    """No lockfile hash stands beside a URL dependency in package.json."""
    old = '{\n  "dependencies": {\n    "chalk": "^1.1.3"\n  }\n}\n'
    new = '{\n  "dependencies": {\n    "chalk": "http://registry.npmjs.org/chalk/-/chalk-1.1.3.tgz"\n  }\n}\n'
    change = committed_change(git_repo, {"package.json": old}, {"package.json": new})
    assert [f.severity for f in fired(change, "DEP-LOCKFILE-OR-SOURCE-CHANGE")] == ["high"]


_YARN = '''chalk@^1.1.3:
  version "1.1.3"
  resolved "{url}"
  integrity sha1-qBFcVeSnAv5NFQq9OHKCKn4J/Jg=
'''


def test_a_yarn_registry_tarball_with_its_sha1_is_the_registry(git_repo: GitRepo) -> None:
    url = "https://registry.yarnpkg.com/chalk/-/chalk-1.1.3.tgz#a8115c55e4a702fe4d150abd3872822a7e09fc98"
    change = committed_change(git_repo, {"yarn.lock": _YARN.format(url=url)},
                              {"yarn.lock": _YARN.format(url=url.replace("https://", "http://"))})
    assert fired(change, "DEP-LOCKFILE-OR-SOURCE-CHANGE") == []


def test_a_yarn_tarball_from_another_host_over_http_is_still_high(git_repo: GitRepo) -> None:
    url = "https://registry.yarnpkg.com/chalk/-/chalk-1.1.3.tgz#a8115c55e4a702fe4d150abd3872822a7e09fc98"
    other = "http://packages.example.net/chalk/-/chalk-1.1.3.tgz#a8115c55e4a702fe4d150abd3872822a7e09fc98"
    change = committed_change(git_repo, {"yarn.lock": _YARN.format(url=url)}, {"yarn.lock": _YARN.format(url=other)})
    assert [f.severity for f in fired(change, "DEP-LOCKFILE-OR-SOURCE-CHANGE")] == ["high"]


# -- DEPLOY-PIPELINE-CHANGE: a matrix label named "environment" protects nothing ---------------------

_MATRIX_RELEASE = """name: Release
on:
  release:
    types: [published]
jobs:
  release:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        images:
          - prefix: slim-
            environment: Release-SLIM
          - prefix: ""
            environment: Release
    steps:
      - run: ./publish.sh ${{ matrix.images.prefix }}
"""
_PLAIN_RELEASE = """name: Release
on:
  release:
    types: [published]
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: ./publish.sh
"""


def test_a_matrix_label_named_environment_removed_is_no_protection_lost(git_repo: GitRepo) -> None:
    path = ".github/workflows/release.yml"
    change = committed_change(git_repo, {path: _MATRIX_RELEASE}, {path: _PLAIN_RELEASE})
    found = fired(change, "DEPLOY-PIPELINE-CHANGE")
    assert [f.severity for f in found] == ["medium"]


def test_a_job_environment_removed_is_still_high(git_repo: GitRepo) -> None:
    path = ".github/workflows/release.yml"
    old = _PLAIN_RELEASE.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    environment: production\n")
    change = committed_change(git_repo, {path: old}, {path: _PLAIN_RELEASE})
    found = fired(change, "DEPLOY-PIPELINE-CHANGE")
    assert [f.severity for f in found] == ["high"]
    assert "environment protection" in found[0].message


def test_a_job_environment_removed_from_a_four_space_workflow_is_still_high(git_repo: GitRepo) -> None:
    path = ".github/workflows/deploy.yml"
    old = ("on:\n    push:\n        branches: [main]\njobs:\n    deploy:\n        runs-on: ubuntu-latest\n"
           "        environment:\n            name: production\n            url: https://example.com\n"
           "        steps:\n            - run: ./deploy.sh\n")
    new = old.replace("        environment:\n            name: production\n            url: https://example.com\n", "")
    change = committed_change(git_repo, {path: old}, {path: new})
    assert [f.severity for f in fired(change, "DEPLOY-PIPELINE-CHANGE")] == ["high"]


# -- STORAGE-PUBLIC (and every critical posture) in an example: at most medium ----------------------

_CLUSTER = """module "aurora" {
  source = "../../"

  name                = "example"
  engine              = "aurora-postgresql"
  publicly_accessible = false
}
"""


def test_a_public_database_in_an_example_is_medium_with_the_reason(git_repo: GitRepo) -> None:
    path = "examples/custom_instance_settings/main.tf"
    change = committed_change(git_repo, {"main.tf": 'variable "name" {}\n'},
                              {path: _CLUSTER.replace("publicly_accessible = false", "publicly_accessible = true")})
    found = fired(change, "STORAGE-PUBLIC")
    assert [f.severity for f in found] == ["medium"]
    assert "Lowered to medium: main.tf is an example." in found[0].message


def test_a_public_database_in_the_module_itself_is_still_critical(git_repo: GitRepo) -> None:
    before = {"main.tf": 'resource "aws_db_instance" "this" {\n  publicly_accessible = false\n}\n'}
    change = committed_change(git_repo, before,
                              {"main.tf": 'resource "aws_db_instance" "this" {\n  publicly_accessible = true\n}\n'})
    assert [f.severity for f in fired(change, "STORAGE-PUBLIC")] == ["critical"]


def test_a_committed_key_in_an_example_stays_critical(git_repo: GitRepo) -> None:
    """A rule's role_floor wins over the example cap: a key is leaked wherever it sits."""
    path = "examples/basic/provider.tf"
    change = committed_change(git_repo, {"main.tf": 'variable "name" {}\n'}, {
        path: 'provider "aws" {\n  access_key = "AKIAQ7XK2M4PLW9RZT3B"\n}\n'})
    assert [f.severity for f in fired(change, "SECRET-AWS-ACCESS-KEY")] == ["critical"]
