"""reviewer-app init: the three files, never an overwrite, keys chosen safely; the CI recipes parse."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from reviewer_app.cli import main as cli_main
from reviewer_app.core.approvals import policy as approval_policy
from reviewer_app.core.signing.allowed_signers import TrustStore
from reviewer_app.core.services import load_catalog
from reviewer_app.core.workspace import Workspace
from tests.gitrepo import GitRepo

CI_DIR = Path(__file__).resolve().parents[3] / "packaging" / "ci"


def keygen(folder: Path, name: str) -> Path:
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
    return path


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.git("config", "user.email", "Alice@Acme.Test")
    git_repo.write_files({"services/pricing/api.py": "x = 1\n", "services/checkout/app.py": "y = 2\n",
                          "docs/intro.md": "hi\n", "billing/main.go": "package main\n"})
    git_repo.commit("base")
    return git_repo


def test_init_writes_a_policy_signers_and_services_that_the_gate_can_load(repo: GitRepo, tmp_path: Path, capsys) -> None:
    key = keygen(tmp_path, "alice")
    code = cli_main.main(["init", "--repo", str(repo.path), "--key", f"{key}.pub"])
    out, err = capsys.readouterr()
    assert code == 0, err
    for name in ("policy.toml", "allowed_signers", "services.toml"):
        assert f"wrote .reviewer/{name}" in out
    assert "# --- GitHub Actions" in out and "# --- GitLab CI" in out and "refs/remotes/origin/" in out
    workspace = Workspace(repo.path)
    policy = approval_policy.load_policy(workspace)
    assert [rule.name for rule in policy.rules] == ["AI-assisted change by a junior or mid-level engineer",
                                                    "High or critical risk"]
    trust = TrustStore.load(workspace)
    assert trust.keys_for("alice@acme.test", "reviewer-app"), "the email is written in lower case"
    catalog = load_catalog(workspace)
    assert sorted(catalog.services) == ["billing", "checkout", "pricing"]


def test_init_never_overwrites_and_names_the_file(repo: GitRepo, tmp_path: Path, capsys) -> None:
    key = keygen(tmp_path, "alice")
    repo.write(".reviewer/policy.toml", "# mine\n")
    code = cli_main.main(["init", "--repo", str(repo.path), "--key", f"{key}.pub", "--no-recipes"])
    _, err = capsys.readouterr()
    assert code == 2 and ".reviewer/policy.toml: already exists" in err
    assert (repo.path / ".reviewer" / "policy.toml").read_text() == "# mine\n"
    assert not (repo.path / ".reviewer" / "allowed_signers").exists(), "nothing is written when one file exists"


def test_no_services_toml_beside_a_backstage_catalog(repo: GitRepo, tmp_path: Path, capsys) -> None:
    repo.write("catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n")
    repo.commit("catalog")
    key = keygen(tmp_path, "alice")
    assert cli_main.main(["init", "--repo", str(repo.path), "--key", f"{key}.pub", "--no-recipes"]) == 0
    assert not (repo.path / ".reviewer" / "services.toml").exists()


def test_keys_from_home_ssh_one_is_taken_several_need_naming(repo: GitRepo, tmp_path: Path, capsys,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    keygen(home / ".ssh", "id_ed25519")
    assert cli_main.main(["init", "--repo", str(repo.path), "--no-recipes"]) == 0
    capsys.readouterr()
    other = repo.path.parent / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    subprocess.run(["git", "-C", str(other), "config", "user.email", "a@b.test"], check=True)
    keygen(home / ".ssh", "id_work")
    assert cli_main.main(["init", "--repo", str(other), "--no-recipes"]) == 2
    _, err = capsys.readouterr()
    assert "several SSH public keys" in err and "--key" in err


@pytest.mark.parametrize(("content", "message"), [
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n", "this is a private key"),
    ("not a key\n", ":1: not an OpenSSH public key line"),
])
def test_a_bad_key_file_is_one_line_naming_it(repo: GitRepo, tmp_path: Path, capsys, content: str, message: str) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text(content)
    assert cli_main.main(["init", "--repo", str(repo.path), "--key", str(bad)]) == 2
    _, err = capsys.readouterr()
    assert message in err and str(bad) in err


def test_init_outside_a_repository(tmp_path: Path, capsys) -> None:
    assert cli_main.main(["init", "--repo", str(tmp_path), "--email", "a@b.test"]) == 2
    assert "not a git repository" in capsys.readouterr().err


def test_the_ci_recipes_parse_and_use_full_ref_names() -> None:
    github = yaml.safe_load((CI_DIR / "github-actions.yml").read_text())
    steps = github["jobs"]["gate"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "reviewer-app gate --git \"refs/remotes/origin/${GITHUB_BASE_REF}..HEAD\" --fetch" in runs
    assert any(step.get("uses", "").startswith("github/codeql-action/upload-sarif") for step in steps)
    gitlab = yaml.safe_load((CI_DIR / "gitlab-ci.yml").read_text())
    assert any("reviewer-app gate --git \"refs/remotes/origin/" in line for line in gitlab["reviewer-gate"]["script"])
    for script in ("gate-step.sh", "pre-push"):
        assert subprocess.run(["sh", "-n", str(CI_DIR / script)]).returncode == 0


def test_the_pre_push_hook_refuses_an_unapproved_push_to_main(repo: GitRepo, tmp_path: Path) -> None:
    """The hook as git runs it: a bare remote, a push of unapproved commits to main is refused."""
    import os
    import shutil
    import sys

    key = keygen(tmp_path, "alice")
    assert cli_main.main(["init", "--repo", str(repo.path), "--key", f"{key}.pub", "--no-recipes"]) == 0
    repo.commit("Reviewer configuration")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("fetch", "-q", "origin")
    shutil.copy(CI_DIR / "pre-push", repo.path / ".git" / "hooks" / "pre-push")
    repo.write("services/pricing/api.py", "x = 2\n")
    repo.commit("Change pricing", author=("Bob", "bob@acme.test"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["git", "-C", str(repo.path), "push", "origin", "main"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode != 0 and "the gate refuses these commits" in proc.stderr, proc.stderr
    pushed = subprocess.run(["git", "-C", str(remote), "rev-parse", "main"], capture_output=True, text=True).stdout
    assert pushed.strip() != repo.git("rev-parse", "HEAD").strip()
