"""What a one-line ``analyze`` leaves out: the parsers of commands it does not run, and the modules
only other inputs need (a CODEOWNERS file, a dependency graph, SARIF output)."""

from __future__ import annotations

import json
import subprocess
import sys

from reviewer_app.cli.main import COMMAND_OF, build_parser, named_command
from tests.gitrepo import GitRepo


def _commands(parser) -> set[str]:
    return set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001 - what argparse built


def test_only_the_named_command_gets_a_parser() -> None:
    assert _commands(build_parser(["analyze", "--git", "HEAD~1..HEAD"])) == {"analyze"}
    assert _commands(build_parser(["--db", "x.db", "gate", "--help"])) == {"gate"}
    assert _commands(build_parser(["--help"])) == set(COMMAND_OF)
    assert _commands(build_parser(["analyse"])) == set(COMMAND_OF)  # a typo: argparse lists every command
    assert _commands(build_parser(None)) == set(COMMAND_OF)
    assert named_command(["--db", "analyze", "queue"]) == "queue"  # --db takes a value
    assert named_command(["--version", "analyze"]) is None


def test_analyze_of_a_one_line_change_imports_no_codeowners_cycles_or_sarif(git_repo: GitRepo) -> None:
    git_repo.write("app.py", "def greet(name):\n    return 'hello ' + name\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", "def greet(name):\n    return 'hello, ' + name\n", dedent=False)
    git_repo.commit("one line")
    probe = (
        "import sys, json\n"
        "from reviewer_app.cli.main import main\n"
        "code = main(['analyze', '--git', 'HEAD~1..HEAD', '--repo', sys.argv[1]])\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe, str(git_repo.path)], capture_output=True, text=True, check=False)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    assert "Services: 0 direct" in proc.stdout
    lazy = {"reviewer_app.core.services.codeowners", "reviewer_app.core.services.cycles",
            "reviewer_app.core.services.reading", "reviewer_app.core.risk.sarif"}
    assert not lazy & set(result["modules"])


def test_a_codeowners_file_is_still_read(git_repo: GitRepo) -> None:
    git_repo.write(".github/CODEOWNERS", "*.py @acme/python\n", dedent=False)
    git_repo.write("app.py", "x = 1\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", "x = 2\n", dedent=False)
    git_repo.commit("one line")
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "analyze", "--git", "HEAD~1..HEAD", "--repo",
                           str(git_repo.path), "--format", "json"], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout)["services"]["owners"] == ["@acme/python"]
