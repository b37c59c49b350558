"""SECRET-FILE-ADDED on real history: a tracked compose ``.env`` of image versions and ports edited,
and ordinary Terraform files in a folder whose name holds "kubeconfig", are not secret files
committed; a secret-bearing file added, or a secret-looking line added to a tracked one, still is.
Changes are committed in real git repositories and read through the whole engine.
"""

from __future__ import annotations

import pytest

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo

_ENV = "# Demo settings\nIMAGE_VERSION=1.10.0\nFRONTEND_PORT=8080\nOTEL_COLLECTOR_HOST=otelcol\n"


@pytest.mark.parametrize("added", [
    "IMAGE_VERSION=1.11.0",
    "# the load generator's weights",
    "CART_DOCKERFILE=./src/cart/Dockerfile",
    "IMAGE_NAME=ghcr.io/open-telemetry/demo",
])
def test_a_plain_setting_added_to_a_tracked_env_file_is_no_secret_file(git_repo: GitRepo, added: str) -> None:
    after = _ENV.replace("IMAGE_VERSION=1.10.0\n", f"IMAGE_VERSION=1.10.0\n{added}\n")
    change = committed_change(git_repo, {".env": _ENV}, {".env": after})
    assert fired(change, "SECRET-FILE-ADDED") == []


@pytest.mark.parametrize("added", [
    "POSTGRES_PASSWORD=hunter2",
    "STRIPE_API_KEY=abc",
    "DATABASE_URL=postgres://app:hunter2@db/app",
    "UPSTREAM=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0",
])
def test_a_secret_looking_line_added_to_a_tracked_env_file_fires(git_repo: GitRepo, added: str) -> None:
    after = _ENV + added + "\n"
    change = committed_change(git_repo, {".env": _ENV}, {".env": after})
    assert [f.severity for f in fired(change, "SECRET-FILE-ADDED")] == ["high"]


def test_an_env_file_added_fires_whatever_it_holds(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {"README.md": "demo\n"}, {".env": _ENV})
    assert [f.severity for f in fired(change, "SECRET-FILE-ADDED")] == ["high"]


def test_terraform_in_a_folder_named_for_kubeconfig_is_no_kubeconfig(git_repo: GitRepo) -> None:
    before = 'module "gke" {\n  source  = "../../"\n  version = "1.0.0"\n}\n'
    change = committed_change(git_repo, {"examples/regional_with_kubeconfig/main.tf": before},
                              {"examples/regional_with_kubeconfig/main.tf": before.replace("1.0.0", "1.1.0")})
    assert fired(change, "SECRET-FILE-ADDED") == []


def test_a_kubeconfig_file_added_fires(git_repo: GitRepo) -> None:
    text = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: abc\n"
    change = committed_change(git_repo, {"README.md": "demo\n"}, {"deploy/prod-kubeconfig.yaml": text})
    assert [f.severity for f in fired(change, "SECRET-FILE-ADDED")] == ["high"]
