"""Errors and warnings that name the real problem, and JSON that other programs can read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.cli import main as cli_main
from tests.gitrepo import GitRepo

NON_UTF8_PATCH = (b"From: Jos\xe9 <jose@example.com>\nSubject: [PATCH] caf\xe9 \xff\n\n---\n"
                  b"diff --git a/notes.txt b/notes.txt\nnew file mode 100644\nindex 0000000..587be6b\n"
                  b"--- /dev/null\n+++ b/notes.txt\n@@ -0,0 +1 @@\n+x\n")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_global_option_after_the_command_is_pointed_out(capsys) -> None:
    code, _, err = run(capsys, "queue", "--db", "x.db")
    assert code == 2 and "--db is a global option: put it before the command (reviewer-app --db VALUE queue" in err


def test_analyze_json_is_valid_utf8_whatever_bytes_the_patch_held(tmp_path: Path) -> None:
    patch = tmp_path / "latin1.patch"
    patch.write_bytes(NON_UTF8_PATCH)
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "analyze", str(patch), "--format", "json"],
                          capture_output=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.decode("utf-8"))  # strict: any invalid byte raises
    assert data["title"] == "caf\\xe9 \\xff" and data["author"]["name"] == "Jos\\xe9"
    if subprocess.run(["sh", "-c", "command -v jq"], capture_output=True).returncode == 0:
        assert subprocess.run(["jq", "-e", ".title"], input=proc.stdout, capture_output=True).returncode == 0


def test_analyze_outside_a_repository_says_services_and_policy_were_not_evaluated(tmp_path: Path, capsys,
                                                                                  monkeypatch) -> None:
    patch = tmp_path / "change.patch"
    patch.write_bytes(NON_UTF8_PATCH)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "analyze", str(patch))
    assert code == 0, err
    assert "Services and policy: not inside a git repository" in out
    code, out, _ = run(capsys, "analyze", str(patch), "--format", "json")
    assert code == 0 and set(json.loads(out)["not_evaluated"]) == {"services", "policy"}


def test_a_patch_for_another_repository_is_warned_about(git_repo: GitRepo, tmp_path: Path, capsys) -> None:
    git_repo.write("app/main.py", "print(1)\n")
    git_repo.commit("base")
    patch = tmp_path / "other.patch"
    patch.write_text("diff --git a/billing/invoice.py b/billing/invoice.py\nindex 1111111..2222222 100644\n"
                     "--- a/billing/invoice.py\n+++ b/billing/invoice.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n")
    code, _, err = run(capsys, "analyze", str(patch), "--repo", str(git_repo.path))
    assert code == 0 and "1 of the 1 file(s) the patch edits do not exist in" in err and "billing/invoice.py" in err


def test_allowed_signers_mistakes_are_named(git_repo: GitRepo, tmp_path: Path, capsys) -> None:
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    line = (tmp_path / "k.pub").read_text().strip()
    git_repo.write(".reviewer/allowed_signers", f"Alice@Example.com {line}\n")
    git_repo.commit("signers")
    code, out, _ = run(capsys, "catalog", "check", "--repo", str(git_repo.path))
    assert code == 1 and "allowed_signers:1: principal Alice@Example.com has upper-case letters" in out
    git_repo.write(".reviewer/allowed_signers", f"{line}\n")
    code, _, err = run(capsys, "catalog", "check", "--repo", str(git_repo.path))
    assert code == 2 and "allowed_signers:1: the line starts with the key type 'ssh-ed25519'" in err
    assert "starts with the signer's email" in err
    git_repo.write(".reviewer/allowed_signers", f"alice@example.com {line}\n")
    code, out, err = run(capsys, "catalog", "check", "--repo", str(git_repo.path))
    assert code == 0 and ".reviewer/allowed_signers changed in the work tree but not committed" in err


def test_a_repo_that_is_not_a_git_repository_is_named(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    for command in ("analyze", "submit", "gate"):
        code, _, err = run(capsys, command, "--repo", str(folder), "--git", "main..feature")
        assert code == 2 and f"{folder}: not a git repository" in err, (command, err)
        assert "unknown revision" not in err and "for-each-ref" not in err


def test_export_of_an_unknown_service_warns_and_names_the_known_ones(git_repo: GitRepo, tmp_path: Path, capsys) -> None:
    git_repo.write(".reviewer/services.toml", '[services.pricing]\npaths = ["pricing/"]\n')
    git_repo.write("pricing/a.py", "x = 1\n")
    git_repo.commit("base")
    patch = tmp_path / "p.patch"
    patch.write_text("diff --git a/pricing/a.py b/pricing/a.py\nindex 1111111..2222222 100644\n"
                     "--- a/pricing/a.py\n+++ b/pricing/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n")
    assert run(capsys, "submit", str(patch), "--repo", str(git_repo.path))[0] == 0
    code, _, err = run(capsys, "export", "--format", "csv", "--output", str(tmp_path / "a.csv"), "--service", "pricng")
    assert code == 0 and "warning: --service pricng: no change in the database names this service" in err
    assert "known: pricing" in err
    code, _, err = run(capsys, "export", "--format", "csv", "--output", str(tmp_path / "b.csv"), "--service", "pricing")
    assert code == 0 and "warning" not in err


def test_gate_warns_when_reviewer_config_is_changed_but_not_committed(git_repo: GitRepo, capsys) -> None:
    git_repo.write(".reviewer/policy.toml", "[defaults]\napprovals = 1\nmin_level = \"senior\"\n")
    git_repo.write("app/a.py", "x = 1\n")
    git_repo.commit("base")
    git_repo.write(".reviewer/policy.toml", "[defaults]\napprovals = 0\n")
    code, _, err = run(capsys, "gate", "--repo", str(git_repo.path), "--git", "HEAD..HEAD")
    assert code == 2  # nothing to judge, but the warning comes first
    assert ".reviewer/policy.toml changed in the work tree but not committed" in err
