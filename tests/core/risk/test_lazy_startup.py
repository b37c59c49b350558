"""Start-up: a command imports what it runs, not the whole program.

``analyze`` of a one-line commit must take at most a quarter of a second as a whole process
(benchmarks/bench_analyze.py measures it). These tests keep the structure that makes that possible:
the CLI builds only the named command, the built-in rules are not compiled on load, and the heavy
packages are imported only by the code that needs them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

from reviewer_app.cli.main import COMMAND_MODULES, COMMAND_OF, command_modules
from tests.gitrepo import GitRepo


def test_the_command_table_matches_what_each_module_registers() -> None:
    registered: dict[str, str] = {}
    for name in COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"reviewer_app.cli.{name}").register(subparsers)
        registered.update({command: name for command in subparsers.choices})
    assert registered == COMMAND_OF


def test_only_the_named_commands_module_is_built() -> None:
    assert command_modules(["analyze", "x.patch"]) == ["changes"]
    assert command_modules(["--db", "analyze", "gate", "--help"]) == ["approvals"]  # --db takes a value
    assert command_modules(["--help"]) == COMMAND_MODULES
    assert command_modules(["analyse"]) == COMMAND_MODULES  # a typo: argparse lists every command
    assert command_modules([]) == COMMAND_MODULES


def test_analyze_of_a_small_commit_imports_no_store_no_lexer_no_other_command(git_repo: GitRepo) -> None:
    git_repo.write("app.py", "def greet(name):\n    return 'hello ' + name\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", "def greet(name):\n    return 'hello, ' + name\n", dedent=False)
    git_repo.commit("one line")
    probe = (
        "import sys, json\n"
        "from reviewer_app.cli.main import main\n"
        "code = main(['analyze', '--git', 'HEAD~1..HEAD', '--repo', sys.argv[1], '--format', 'json'])\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe, str(git_repo.path)], capture_output=True, text=True, check=False)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    modules = set(result["modules"])
    assert not {"sqlite_utils", "pygments", "cryptography", "PySide6"} & modules
    assert not {f"reviewer_app.cli.{name}" for name in COMMAND_MODULES if name != "changes"} & modules
    assert json.loads(proc.stdout)["risk"]["findings"] == []
