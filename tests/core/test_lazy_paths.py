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
            "reviewer_app.core.services.reading", "reviewer_app.core.risk.sarif", "difflib"}
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


def test_importing_the_engine_and_the_patch_reader_compiles_none_of_their_module_patterns() -> None:
    """engine.py and removals.py hold about sixty patterns, the patch reader twenty; a one-line Python
    change needs few. A pattern defined at module level with re.compile would be compiled by every
    start: use lazy_compile."""
    probe = (
        "import json, re\n"
        "from reviewer_app.core.lazyregex import LazyRegex\n"
        "from reviewer_app.core import diffparse, ingest, jsonout, provenance, revisions\n"
        "from reviewer_app.core.risk import engine, removals\n"
        "found = {}\n"
        "for module in (engine, removals, diffparse, ingest, jsonout, provenance, revisions):\n"
        "    for name, value in vars(module).items():\n"
        "        if isinstance(value, re.Pattern):\n"
        "            found[f'{module.__name__}.{name}'] = 'compiled on import'\n"
        "        elif isinstance(value, LazyRegex):\n"
        "            found[f'{module.__name__}.{name}'] = 'compiled' if '_compiled' in vars(value) else 'lazy'\n"
        "print(json.dumps(found))\n"
    )
    found = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
    assert len(found) > 75
    assert {name: state for name, state in found.items() if state != "lazy"} == {}


# -- the built-in pack read back validated (rules.rule_record) ------------------------------------------

def test_a_rule_record_gives_back_an_equal_rule_with_its_patterns_uncompiled() -> None:
    import marshal

    from reviewer_app.core.risk import rules
    from reviewer_app.core.risk.loader import load_rules

    pack = load_rules(None)
    records = marshal.loads(marshal.dumps([rules.rule_record(rule) for rule in pack.rules]))
    back = [rules.rule_from_record(record) for record in records]
    assert back == list(pack.rules) and [repr(rule) for rule in back] == [repr(rule) for rule in pack.rules]
    assert [hash(e) for rule in back for e in rule.escalate] == [hash(e) for rule in pack.rules for e in rule.escalate]
    patterns = [pattern for rule in back for pattern in rules.rule_patterns(rule)]
    assert len(patterns) > 60 and all(pattern._compiled is None for pattern in patterns)  # noqa: SLF001
    assert rules.RuleSet(tuple(back)).pack_hash == rules.RuleSet(pack.rules).pack_hash
    damaged = dict(records[0])
    del damaged["severity"]
    with pytest.raises(KeyError):
        rules.rule_from_record(damaged)


_WARM_PROBE = (
    "import json, sys\n"
    "from reviewer_app.core.risk import rules\n"
    "from reviewer_app.core.risk.loader import allow_disk_cache, load_rules\n"
    "allow_disk_cache()\n"
    "parsed = []\n"
    "parse = rules.RuleParser.parse\n"
    "rules.RuleParser.parse = lambda self: parsed.append(1) or parse(self)\n"
    "pack = load_rules(None)\n"
    "print(json.dumps({'parsed': len(parsed), 'rules': [repr(r) for r in pack.rules], 'hash': pack.pack_hash}))\n"
)


def test_a_warm_start_validates_no_rule_and_a_damaged_record_is_parsed_again(tmp_path) -> None:
    import marshal
    import os

    env = {**os.environ, "REVIEWER_APP_CACHE_DIR": str(tmp_path)}

    def run() -> dict:
        proc = subprocess.run([sys.executable, "-c", _WARM_PROBE], capture_output=True, text=True, check=True, env=env)
        return json.loads(proc.stdout)

    cold = run()
    assert cold["parsed"] == len(cold["rules"]) > 50
    warm = run()
    assert warm["parsed"] == 0 and warm == {**cold, "parsed": 0}
    [cache_file] = tmp_path.glob("rules-*.marshal")
    files, facts, globs, pack_hash = marshal.loads(cache_file.read_bytes())
    label, document = files[0]
    record = dict(document["rule"][0])
    record.pop("title")
    files[0] = (label, {"rule": [record, *document["rule"][1:]]})
    cache_file.write_bytes(marshal.dumps((files, facts, globs, pack_hash)))
    assert run() == cold  # parsed again (and the cache rewritten)
    assert run() == {**cold, "parsed": 0}


# -- no cyclic garbage collection during start-up (cli/main.py) ----------------------------------------

_GC_PROBE = (
    "import gc, json, sys\n"
    "from reviewer_app.cli import changes\n"
    "from reviewer_app.cli.main import main\n"
    "from reviewer_app.core import analysis, risk\n"
    "seen = {}\n"
    "def watch(name, function):\n"
    "    def watched(*args, **kwargs):\n"
    "        seen[name] = [gc.isenabled(), gc.get_freeze_count() > 0]\n"
    "        return function(*args, **kwargs)\n"
    "    return watched\n"
    "risk.load_rules = watch('rules', risk.load_rules)\n"
    "analysis.analyze = watch('analysis', analysis.analyze)\n"
    "changes.run_queue = watch('queue', lambda args: 0)\n"
    "codes = [main(['analyze', '--git', 'HEAD~1..HEAD', '--repo', sys.argv[1]]), main(['queue'])]\n"
    "print(json.dumps({'codes': codes, 'seen': seen, 'after': [gc.isenabled(), gc.get_freeze_count()]}),"
    " file=sys.stderr)\n"
)


def test_start_up_runs_without_the_garbage_collector_and_the_analysis_with_it(git_repo: GitRepo) -> None:
    git_repo.write("app.py", "x = 1\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", "x = 2\n", dedent=False)
    git_repo.commit("one line")
    proc = subprocess.run([sys.executable, "-c", _GC_PROBE, str(git_repo.path)], capture_output=True, text=True,
                          check=False)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["codes"] == [0, 0], proc.stderr
    assert result["seen"]["rules"] == [False, False]  # the rule pack loads during start-up
    assert result["seen"]["analysis"] == [True, True]  # the analysis collects, start-up's objects frozen
    assert result["seen"]["queue"] == [True, True]  # other commands: on before the handler runs
    assert result["after"] == [True, 0]  # main leaves the collector as it found it


def test_main_leaves_a_disabled_collector_disabled(git_repo: GitRepo) -> None:
    import gc

    from reviewer_app.cli.main import main

    git_repo.write("app.py", "x = 1\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", "x = 2\n", dedent=False)
    git_repo.commit("one line")
    gc.disable()
    try:
        assert main(["analyze", "--git", "HEAD~1..HEAD", "--repo", str(git_repo.path), "--format", "json"]) == 0
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
