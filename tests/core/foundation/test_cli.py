"""The command line as users and CI meet it: real subprocesses, real files, real git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer_app import __version__
from reviewer_app.cli.main import build_parser
from tests.cli import run_cli
from tests.gitrepo import GitRepo

README = Path(__file__).resolve().parents[3] / "README.md"


def _ai_patch(repo: GitRepo) -> bytes:
    repo.write("svc/app.py", "def f():\n    return call(timeout=5)\n")
    repo.commit("init")
    repo.write("svc/app.py", "def f():\n    return call()\n")
    repo.commit("Drop the timeout\n\nCo-Authored-By: Claude <noreply@anthropic.com>", author=("Ivy", "ivy@example.com"))
    return repo.format_patch()


def test_version_and_help() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout
    assert run_cli("--help").returncode == 0


def test_every_command_has_help_and_is_in_the_readme() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    readme = README.read_text(encoding="utf-8")
    for name, sub in commands.items():
        assert sub.format_help().strip(), name
        assert f"reviewer-app {name}" in readme, f"command {name} is not documented in README.md"


def test_analyze_json_has_the_contract_fields(git_repo: GitRepo, tmp_path: Path) -> None:
    patch = tmp_path / "c.patch"
    patch.write_bytes(_ai_patch(git_repo))
    proc = run_cli("analyze", patch, "--repo", git_repo.path, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["change_id"].startswith("sha256:")
    assert data["title"] == "Drop the timeout"
    assert data["author"] == {"name": "Ivy", "email": "ivy@example.com"}
    assert data["provenance"]["ai_assisted"] is True and data["provenance"]["tools"] == ["Claude Code"]
    assert data["files"][0]["path"] == "svc/app.py" and data["files"][0]["added"] == 1
    assert {"level", "score", "reasons", "findings", "rule_pack"} <= set(data["risk"])
    assert {"direct", "transitive", "max_tier"} <= set(data["services"])


def test_analyze_text_and_git_range(git_repo: GitRepo) -> None:
    _ai_patch(git_repo)
    proc = run_cli("analyze", "--git", "HEAD~1..HEAD", cwd=git_repo.path)
    assert proc.returncode == 0, proc.stderr
    assert "Drop the timeout" in proc.stdout and "Claude Code" in proc.stdout


def test_submit_twice_is_one_entry_and_queue_lists_it(git_repo: GitRepo, tmp_path: Path) -> None:
    patch = tmp_path / "c.patch"
    patch.write_bytes(_ai_patch(git_repo))
    db = tmp_path / "q.db"
    first = run_cli("submit", patch, "--repo", git_repo.path, db=db)
    second = run_cli("submit", patch, "--repo", git_repo.path, db=db)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    change_id = first.stdout.split()[0]
    assert second.stdout.startswith(change_id) and "already in the queue" in second.stdout
    queue = json.loads(run_cli("queue", "--format", "json", db=db).stdout)
    assert [c["change_id"] for c in queue["changes"]] == [change_id]
    text = run_cli("queue", db=db).stdout
    assert "Drop the timeout" in text


def test_not_ai_assisted_override_on_submit(git_repo: GitRepo, tmp_path: Path) -> None:
    patch = tmp_path / "c.patch"
    patch.write_bytes(_ai_patch(git_repo))
    db = tmp_path / "q.db"
    assert run_cli("submit", patch, "--not-ai-assisted", "--repo", git_repo.path, db=db).returncode == 0
    [row] = json.loads(run_cli("queue", "--format", "json", db=db).stdout)["changes"]
    assert row["ai_assisted"] is False


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty input"),
        (b"hello\nworld\n", "no diff found"),
        (b"--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n", "ends early"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "binary data"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_file(tmp_path: Path, content: bytes, fragment: str) -> None:
    bad = tmp_path / "bad.patch"
    bad.write_bytes(content)
    proc = run_cli("analyze", bad, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and fragment in lines[0]


def test_bad_input_to_submit_leaves_the_database_untouched(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    good = tmp_path / "good.patch"
    good.write_bytes(b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n")
    assert run_cli("submit", good, db=db, cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.patch"
    bad.write_bytes(b"--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n")
    proc = run_cli("submit", bad, db=db, cwd=tmp_path)
    assert proc.returncode == 2 and "bad.patch:" in proc.stderr
    assert len(json.loads(run_cli("queue", "--format", "json", db=db).stdout)["changes"]) == 1


def test_usage_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    proc = run_cli("analyze", cwd=tmp_path)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("no-such-command")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = run_cli("analyze", tmp_path / "missing.patch", cwd=tmp_path)
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_catalog_check_reports_problems_and_graph_prints_nodes(git_repo: GitRepo) -> None:
    git_repo.write("svc/pay/catalog-info.yaml", """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: pay, annotations: {reviewer-app/tier: "0"}}
        spec: {type: service, owner: team-pay, dependsOn: [component:ledger]}
        """)
    git_repo.commit("catalog")
    check = run_cli("catalog", "check", "--repo", git_repo.path)
    assert check.returncode == 1
    assert "ledger" in check.stdout and "1 services" in check.stdout
    graph = run_cli("catalog", "graph", "--repo", git_repo.path)
    assert graph.returncode == 0
    assert [n["name"] for n in json.loads(graph.stdout)["nodes"]] == ["pay"]
