"""What a one-line ``analyze`` leaves out: the parsers of commands it does not run, and the modules
only other inputs need (a CODEOWNERS file, a dependency graph, SARIF output)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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


# -- module patterns compiled on first use (core/lazyregex.py) ------------------------------------------

def test_a_lazy_pattern_answers_as_the_compiled_one() -> None:
    import copy
    import re

    from reviewer_app.core.lazyregex import lazy_compile

    source, flags = r"(?P<word>[a-z]+)(\d*)", re.IGNORECASE
    lazy, compiled = lazy_compile(source, flags), re.compile(source, flags)
    assert lazy.pattern == source and "_compiled" not in vars(lazy)  # the source, without compiling
    text = "Abc12 de f3"
    assert lazy.search(text).group(0) == compiled.search(text).group(0)
    assert lazy.match(text).span() == compiled.match(text).span()
    assert lazy.fullmatch("abc") is not None and lazy.fullmatch("ab c") is None
    assert lazy.findall(text) == compiled.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.sub("<\\g<word>>", text) == compiled.sub("<\\g<word>>", text)
    assert lazy.split(text) == compiled.split(text)
    assert (lazy.groups, lazy.groupindex, lazy.flags) == (compiled.groups, compiled.groupindex, compiled.flags)
    assert lazy.compiled is vars(lazy)["_compiled"]
    assert copy.copy(lazy).search(text) is not None
    broken = lazy_compile("(unclosed")  # a mistake shows at first use
    with pytest.raises(re.error):
        broken.search("x")


def test_importing_the_engine_compiles_none_of_its_module_patterns() -> None:
    """engine.py and removals.py hold about sixty patterns; a one-line Python change needs few. A
    pattern defined at module level with re.compile would be compiled by every start: use lazy_compile."""
    probe = (
        "import json, re\n"
        "from reviewer_app.core.lazyregex import LazyRegex\n"
        "from reviewer_app.core.risk import engine, removals\n"
        "found = {}\n"
        "for module in (engine, removals):\n"
        "    for name, value in vars(module).items():\n"
        "        if isinstance(value, re.Pattern):\n"
        "            found[f'{module.__name__}.{name}'] = 'compiled on import'\n"
        "        elif isinstance(value, LazyRegex):\n"
        "            found[f'{module.__name__}.{name}'] = 'compiled' if '_compiled' in vars(value) else 'lazy'\n"
        "print(json.dumps(found))\n"
    )
    found = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
    assert len(found) > 50
    assert {name: state for name, state in found.items() if state != "lazy"} == {}
