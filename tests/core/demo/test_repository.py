"""The demo's git side: repository, history, catalog, keys and remote, built with real git."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_ssh_private_key, load_ssh_public_key

from reviewer_app.core.demo.builder import DemoPaths, build_repositories, demo_paths
from reviewer_app.core.demo.templates import load_people
from reviewer_app.errors import UserError


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True, text=True).stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoPaths:
    paths = demo_paths(tmp_path_factory.mktemp("demo") / "shop")
    build_repositories(paths)
    return paths


def all_refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads")


def test_the_same_commit_ids_on_every_build(built: DemoPaths, tmp_path: Path) -> None:
    again = demo_paths(tmp_path / "elsewhere")
    build_repositories(again)
    assert all_refs(again.repo) == all_refs(built.repo)
    assert len(all_refs(built.repo).splitlines()) >= 13  # main and at least 12 change branches


def test_work_tree_is_main_and_clean(built: DemoPaths) -> None:
    assert git(built.repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(built.repo, "status", "--porcelain") == ""
    assert (built.repo / ".reviewer" / "policy.toml").is_file()
    assert (built.repo / ".github" / "workflows" / "ci.yml").is_file()
    assert (built.repo / "infra" / "scripts" / "plan.sh").stat().st_mode & stat.S_IXUSR
    # No key of the demo people is inside the repository.
    assert not list(built.repo.rglob("*.pub"))


def test_remote_has_main_and_is_origin(built: DemoPaths) -> None:
    heads = git(built.remote, "for-each-ref", "--format=%(refname) %(objectname)")
    assert heads.split() == ["refs/heads/main", git(built.repo, "rev-parse", "main").strip()]
    assert git(built.repo, "remote", "get-url", "origin").strip() == str(built.remote)


def test_catalog_files_parse_and_name_known_teams(built: DemoPaths) -> None:
    teams = {team for person in load_people() for team in person.teams}
    descriptors = sorted(built.repo.rglob("catalog-info.yaml"))
    names = set()
    for path in descriptors:
        documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        assert all(doc["apiVersion"] == "backstage.io/v1alpha1" for doc in documents), path
        for entity in documents:
            assert entity["spec"]["owner"] in teams, path
            if entity["kind"] in ("Component", "Resource"):
                assert entity["metadata"]["annotations"]["reviewer-app/tier"] in {"0", "1", "2", "3"}
                names.add(entity["metadata"]["name"])
    assert {"checkout", "login", "pricing", "cart", "payments", "catalog", "search", "cost-explorer",
            "pricing-rules", "storefront"} <= names
    # The shared pricing library is used by several services.
    users = [path.parent.name for path in descriptors
             if "component:pricing-rules" in path.read_text()]
    assert {"checkout", "cart", "storefront"} <= set(users)


def test_codeowners_and_reviewer_config_are_committed(built: DemoPaths) -> None:
    tracked = git(built.repo, "ls-files").split()
    for path in (".github/CODEOWNERS", ".reviewer/policy.toml", ".reviewer/allowed_signers", ".reviewer/revoked_keys"):
        assert path in tracked


def test_keys_load_and_match_allowed_signers(built: DemoPaths) -> None:
    allowed = (built.repo / ".reviewer" / "allowed_signers").read_text()
    revoked = (built.repo / ".reviewer" / "revoked_keys").read_text()
    people = [p for p in load_people() if p.signs]
    assert any(p.level == "senior" for p in people)
    for person in people:
        private_path = built.keys / person.handle
        assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
        private = load_ssh_private_key(private_path.read_bytes(), password=None)
        assert isinstance(private, Ed25519PrivateKey)
        derived = subprocess.run(["ssh-keygen", "-y", "-f", str(private_path)], capture_output=True, check=True,
                                 text=True).stdout.split()[:2]
        line = f'{person.email} namespaces="reviewer-app" {derived[0]} {derived[1]}'
        assert line in allowed.splitlines()
        public_file = (built.keys / f"{person.handle}.pub").read_text().split()
        assert public_file[:2] == derived
        load_ssh_public_key(" ".join(derived).encode())
        assert (" ".join(derived) in revoked) == person.revoked
    assert stat.S_IMODE(built.keys.stat().st_mode) == 0o700


def test_a_real_ssh_keygen_signature_verifies_against_allowed_signers(built: DemoPaths, tmp_path: Path) -> None:
    senior = next(p for p in load_people() if p.level == "senior" and p.signs and not p.revoked)
    message = tmp_path / "approval.txt"
    message.write_text("approve sha256:0\n")
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(built.keys / senior.handle), "-n", "reviewer-app",
                    str(message)], check=True, capture_output=True)
    verify = ["ssh-keygen", "-Y", "verify", "-f", str(built.repo / ".reviewer" / "allowed_signers"),
              "-I", senior.email, "-n", "reviewer-app", "-s", f"{message}.sig"]
    ok = subprocess.run(verify, input=message.read_bytes(), capture_output=True)
    assert ok.returncode == 0, ok.stderr
    revoked = subprocess.run([*verify, "-r", str(built.repo / ".reviewer" / "revoked_keys")],
                             input=message.read_bytes(), capture_output=True)
    assert revoked.returncode == 0  # a current senior's key is not revoked


def test_change_commits_carry_real_ai_markers(built: DemoPaths) -> None:
    log = git(built.repo, "log", "--format=%an <%ae>%n%B%x00", "--branches", "--not", "main")
    entries = [entry for entry in log.split("\0") if entry.strip()]
    assert len(entries) >= 12
    markers = [
        "Co-Authored-By: Claude <noreply@anthropic.com>",
        "Generated with [Claude Code](https://claude.ai/code)",
        "copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>",
        "Co-authored-by: Cursor <cursoragent@cursor.com>",
        "(aider) <",
        "Assisted-by: ",
    ]
    for marker in markers:
        assert any(marker in entry for entry in entries), marker


def test_dangerous_changes_have_their_shape(built: DemoPaths) -> None:
    def diff(branch: str) -> str:
        return git(built.repo, "diff", f"main..{branch}")

    assert re.search(r"^\+.*terraform apply -replace=\S+ -auto-approve", diff("copilot/recreate-staging"), re.M)
    assert '+      "Action": "*",' in diff("aiko/cost-explorer-access")
    assert "+  replicas: 0" in diff("leo/pause-checkout")
    assert "+ALTER TABLE prices DROP COLUMN legacy_amount;" in diff("priya/drop-legacy-amount")
    assert "+    rollout_percentage: 100" in diff("jonas/passkeys-for-everyone")
    assert "+GATEWAY_TIMEOUT_SECONDS = None" in diff("ravi/simplify-gateway-client")
    assert "+@pytest.mark.skip(" in diff("nora/skip-flaky-cart-tests")
    assert "+    continue-on-error: true" in diff("aiko/ci-unblock")
    assert re.search(r'^\+AWS_ACCESS_KEY_ID = .*"AKIA[A-Z2-7]{16}"', diff("leo/cost-explorer-local-creds"), re.M)
    assert "+-----BEGIN OPENSSH PRIVATE KEY-----" in diff("ravi/search-reindex-deploy-key")
    assert re.search(r"^\+.*rm -rf /var/lib/postgresql", diff("priya/runbook-replica-disk"), re.M)


def test_committed_private_key_is_well_formed(built: DemoPaths) -> None:
    text = git(built.repo, "show", "ravi/search-reindex-deploy-key:services/search/deploy/reindex_ed25519")
    assert isinstance(load_ssh_private_key(text.encode(), password=None), Ed25519PrivateKey)


def test_a_previous_demo_is_rebuilt(tmp_path: Path) -> None:
    paths = demo_paths(tmp_path / "shop")
    build_repositories(paths)
    (paths.repo / "stray.txt").write_text("left over\n")
    build_repositories(paths)
    assert not (paths.repo / "stray.txt").exists()
    assert git(paths.repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("which", ["repo", "remote", "keys"])
def test_a_folder_that_is_not_a_demo_is_refused(tmp_path: Path, which: str) -> None:
    paths = demo_paths(tmp_path / "shop")
    folder = getattr(paths, which)
    folder.mkdir()
    (folder / "thesis.tex").write_text("\\chapter{Five years of work}\n")
    with pytest.raises(UserError, match=re.escape(str(folder)) + ": not empty and not a previous reviewer-app demo"):
        build_repositories(paths)
    assert (folder / "thesis.tex").read_text().startswith("\\chapter")


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    paths = demo_paths(tmp_path / "shop")
    paths.repo.mkdir()
    build_repositories(paths)
    assert (paths.repo / ".git").is_dir()


def test_the_revoked_key_no_longer_verifies(built: DemoPaths, tmp_path: Path) -> None:
    former = next(p for p in load_people() if p.revoked)
    message = tmp_path / "approval.txt"
    message.write_text("approve sha256:0\n")
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(built.keys / former.handle), "-n", "reviewer-app",
                    str(message)], check=True, capture_output=True)
    verify = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(built.repo / ".reviewer" / "allowed_signers"), "-I", former.email,
         "-n", "reviewer-app", "-s", f"{message}.sig", "-r", str(built.repo / ".reviewer" / "revoked_keys")],
        input=message.read_bytes(), capture_output=True,
    )
    assert verify.returncode != 0


def test_the_repository_identity_is_the_example_senior(built: DemoPaths) -> None:
    from reviewer_app.core.demo.templates import load_change_plan

    people = load_people()
    example = load_change_plan(people).example_approval
    assert example is not None
    senior = next(p for p in people if p.handle == example.approver)
    assert git(built.repo, "config", "--local", "user.email").strip() == senior.email
