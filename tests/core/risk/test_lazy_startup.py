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
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert not NOT_ON_THE_ONE_LINE_PATH & modules
    assert not {f"reviewer_app.cli.{name}" for name in COMMAND_MODULES if name != "changes"} & modules
    assert json.loads(proc.stdout)["risk"]["findings"] == []


# Packages a one-line Python change never needs: the store, the lexers, signing, Qt, the parsers of
# other formats, and what the standard library would pull in for little (tempfile and shutil with
# the compression modules, for an empty folder and a terminal width; platformdirs for a cache path).
NOT_ON_THE_ONE_LINE_PATH = {
    "sqlite_utils", "pygments", "cryptography", "PySide6", "yaml", "hcl2", "lark", "sqlglot", "tree_sitter",
    "unidiff", "email", "tempfile", "shutil", "zlib", "bz2", "lzma", "platformdirs", "hashlib",
}


def test_a_one_line_range_runs_few_git_processes(git_repo: GitRepo, tmp_path: Path) -> None:
    """Each git process is a few milliseconds of a quarter-second budget: the work tree's top and git
    dir come from one rev-parse, and both ends of the range are resolved by one more."""
    _one_line_python_commit(git_repo)
    trace = tmp_path / "git-trace"
    env = {**os.environ, "GIT_TRACE": str(trace), "REVIEWER_APP_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "analyze", "--git", "HEAD~1..HEAD", "--repo",
                           str(git_repo.path), "--format", "json"], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    commands = [line.split("built-in: git ", 1)[1] for line in trace.read_text().splitlines()
                if "built-in: git " in line]
    rev_parses = [command for command in commands if command.startswith("rev-parse")]
    assert len(rev_parses) == 2, rev_parses  # the top and git dir, the range's two ends
    assert not any("--absolute-git-dir" in c and "--show-toplevel" not in c for c in rev_parses), rev_parses
    # HEAD~1 is an ancestor of HEAD as written, so it is their merge base without asking git.
    assert not any(command.startswith("merge-base") for command in commands), commands
    assert len(commands) <= 8, commands  # and diff, log, ls-files, history log, cat-file, grep


def test_a_base_written_as_steps_back_from_the_head_is_the_merge_base_git_names(git_repo: GitRepo) -> None:
    """``X~N..X`` and ``X^..X`` skip ``git merge-base`` (the base is an ancestor of the head as written):
    the change is the one the same range gives when git is asked, the base given as a commit id."""
    from reviewer_app.core.ingest import load_git_range

    git_repo.write("app.py", "a = 1\n", dedent=False)
    git_repo.commit("first")
    git_repo.git("checkout", "-q", "-b", "side")
    git_repo.write("side.py", "s = 1\n", dedent=False)
    git_repo.commit("side")
    git_repo.git("checkout", "-q", "main")
    git_repo.write("app.py", "a = 2\n", dedent=False)
    git_repo.commit("second")
    git_repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    git_repo.write("app.py", "a = 3\n", dedent=False)
    git_repo.commit("third")

    def seen(change) -> tuple:
        return (change.base, change.head, change.raw, repr(change.files), repr(change.commits), change.title)

    for written in ("HEAD~1", "HEAD^", "HEAD~2", "HEAD~1^2", "HEAD^^2", "HEAD~3"):
        sha = git_repo.git("rev-parse", written).strip()
        assert seen(load_git_range(git_repo.path, f"{written}..HEAD")) == seen(load_git_range(git_repo.path, f"{sha}..HEAD"))
    # Not written as steps back: git is asked, as before (here the side branch's base is no ancestor).
    side = load_git_range(git_repo.path, "side..HEAD~2")
    assert side.base == git_repo.git("merge-base", "side", "HEAD~2").strip() != git_repo.git("rev-parse", "side").strip()


@pytest.mark.parametrize("merged", [False, True])
def test_the_callers_of_a_range_read_the_base_tree_its_log_printed(git_repo: GitRepo, merged: bool) -> None:
    """The range's ``git log --boundary`` prints the merge base's tree: the callers search the same
    tree, with the same answer, as when they ask git for it."""
    from reviewer_app.core import gitcmd
    from reviewer_app.core.callers import find_callers
    from reviewer_app.core.ingest import load_git_range
    from reviewer_app.core.workspace import Workspace

    git_repo.write("app.py", "def greet(name):\n    return 'hello ' + name\n", dedent=False)
    git_repo.write("use.py", "from app import greet\n\nprint(greet('x'))\n", dedent=False)
    git_repo.commit("first")
    git_repo.git("checkout", "-q", "-b", "topic")
    if merged:  # the range holds a merge: its base is still the one the callers read
        git_repo.git("checkout", "-q", "-b", "side")
        git_repo.write("other.py", "x = 1\n", dedent=False)
        git_repo.commit("side")
        git_repo.git("checkout", "-q", "topic")
        git_repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    git_repo.write("app.py", "def greet(name, loud):\n    return 'hello ' + name\n", dedent=False)
    git_repo.commit("greet gets loud")
    workspace = Workspace.discover(git_repo.path)
    change = load_git_range(workspace.root, "main..topic")
    base_tree = git_repo.git("rev-parse", f"{change.base}^{{tree}}").strip()
    assert gitcmd.known_tree(workspace.root, change.base) == base_tree
    remembered = find_callers(change, workspace).to_list()
    gitcmd._TREES.clear()  # noqa: SLF001 - as a process that never saw the range's log
    asked = find_callers(change, workspace).to_list()
    assert remembered == asked and remembered[0]["base"] == change.base
    assert [use["path"] for use in remembered[0]["uses"]] == ["use.py", "use.py"]
    assert len(change.commits) == (3 if merged else 1)  # boundary commits are not the range's


def test_resolving_two_revisions_at_once_answers_as_one_by_one(git_repo: GitRepo) -> None:
    from reviewer_app.core.revisions import resolve_commit, resolve_commits
    from reviewer_app.errors import UserError

    _one_line_python_commit(git_repo)
    git_repo.git("branch", "topic", "HEAD~1")
    git_repo.git("tag", "v1", "HEAD~1")
    full = git_repo.git("rev-parse", "HEAD").strip()
    for pair in (["HEAD~1", "HEAD"], ["topic", full], ["refs/heads/topic", "HEAD^"], ["HEAD", "HEAD"]):
        assert resolve_commits(git_repo.path, pair, context="r") == [resolve_commit(git_repo.path, t, "r") for t in pair]

    def message(call) -> str:
        with pytest.raises(UserError) as info:
            call()
        return info.value.message

    for pair in (["HEAD~5", "HEAD"], ["HEAD", "nosuch"], ["v1", "HEAD"], ["HEAD~9", "nosuch"], ["app.py", "HEAD"]):
        one_by_one = message(lambda: [resolve_commit(git_repo.path, t, "a..b") for t in pair])
        assert message(lambda: resolve_commits(git_repo.path, pair, context="a..b")) == one_by_one


@pytest.mark.parametrize("xdg", ["", "/tmp/xdg-cache", "relative/cache", "/tmp/xdg-cache/"])
@pytest.mark.parametrize("home", ["/home/dana", "/", "", "relative", None])
def test_the_cache_folder_is_the_one_platformdirs_names(monkeypatch: pytest.MonkeyPatch, xdg: str, home: str | None) -> None:
    import platformdirs

    from reviewer_app.core.risk.history import CACHE_ENV, cache_dir

    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    if home is None:
        monkeypatch.delenv("HOME", raising=False)
    else:
        monkeypatch.setenv("HOME", home)
    assert str(cache_dir()) == platformdirs.user_cache_dir("reviewer-app", appauthor=False)


@pytest.mark.parametrize("columns", [None, "120", "0", "-3", "wide"])
def test_help_is_laid_out_for_the_width_argparse_would_use(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    from reviewer_app.cli.main import _Formatter, build_parser

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert _Formatter("reviewer-app")._width == argparse.HelpFormatter("reviewer-app")._width
    ours = build_parser(["analyze"])
    stock = build_parser(["analyze"])
    for parser in (stock, *stock._subparsers._group_actions[0].choices.values()):  # type: ignore[union-attr]
        parser.formatter_class = argparse.HelpFormatter
    assert ours.format_help() == stock.format_help()
    assert (ours._subparsers._group_actions[0].choices["analyze"].format_help()  # type: ignore[union-attr]
            == stock._subparsers._group_actions[0].choices["analyze"].format_help())  # type: ignore[union-attr]


def test_a_range_diff_leaves_no_folder_behind_and_needs_no_usable_tmpdir(git_repo: GitRepo, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer_app.core.ingest import load_git_range

    _one_line_python_commit(git_repo)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    assert load_git_range(git_repo.path, "HEAD~1..HEAD").files[0].path == "app.py"
    assert list(temp.iterdir()) == []
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))  # not there: the tempfile module finds one
    assert load_git_range(git_repo.path, "HEAD~1..HEAD").files[0].path == "app.py"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", "tmp")  # relative: still the folder git is given, not one under the repository
    assert load_git_range(git_repo.path, "HEAD~1..HEAD").files[0].path == "app.py"
    assert list(temp.iterdir()) == []


# -- a warm start reads the rule pack back instead of parsing it ---------------------------------------

_PROBE = (
    "import sys, json\n"
    "from reviewer_app.cli.main import main\n"
    "code = main(['analyze', '--git', 'HEAD~1..HEAD', '--repo', sys.argv[1], '--format', 'json'])\n"
    "from reviewer_app.core.risk import rules\n"
    "print(json.dumps({'code': code, 'modules': sorted(sys.modules), 'facts': len(rules._PATTERN_FACTS)}),"
    " file=sys.stderr)\n"
)


def _analyze_in_a_process(repo: Path, cache: Path) -> tuple[dict, dict]:
    env = {**os.environ, "REVIEWER_APP_CACHE_DIR": str(cache)}
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(repo)], capture_output=True, text=True, check=False, env=env)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    return result, json.loads(proc.stdout)


def _one_line_python_commit(git_repo: GitRepo) -> None:
    git_repo.write("app.py", "def greet(name):\n    return 'hello ' + name\n", dedent=False)
    git_repo.commit("first")
    git_repo.write("app.py", "def greet(name):\n    return 'hello, ' + name\n", dedent=False)
    git_repo.commit("one line")


def test_a_warm_start_parses_no_toml_and_imports_no_mail_or_policy_code(git_repo: GitRepo, tmp_path: Path) -> None:
    _one_line_python_commit(git_repo)
    cache = tmp_path / "cache"
    cold, cold_report = _analyze_in_a_process(git_repo.path, cache)
    warm, warm_report = _analyze_in_a_process(git_repo.path, cache)
    assert "tomllib" in cold["modules"]  # the first run parses the pack and writes the cache
    assert list(cache.glob("rules-*.marshal"))
    modules = set(warm["modules"])
    # No TOML to parse (the pack comes from the cache; no services file, no policy file, no TOML
    # changed), no mail headers to read (a git range), no policy without a policy file, no other
    # language's definition patterns.
    assert not {"tomllib", "email.utils", "email.header", "reviewer_app.core.approvals.policy", "pathspec"} & modules
    assert warm["facts"] > 50  # the pre-filter facts of the pack came with it
    assert warm_report["risk"] == cold_report["risk"]


def test_the_cached_pack_is_the_parsed_pack(tmp_path: Path) -> None:
    probe = ("import json\nfrom reviewer_app.core.risk import load_rules\nfrom reviewer_app.core.risk import rules\n"
             "from reviewer_app.core.risk.loader import allow_disk_cache\nallow_disk_cache()\n"
             "pack = load_rules(None)\n"
             "computed = rules.RuleSet(pack.rules, pack.sources).pack_hash\n"
             "print(json.dumps([pack.pack_hash, computed, [repr(r) for r in pack.rules],"
             " sorted(map(list, rules._PATTERN_FACTS)), sorted(rules._GLOB_REGEXES)]))\n")
    env = {**os.environ, "REVIEWER_APP_CACHE_DIR": str(tmp_path)}

    def run() -> list:
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
        return json.loads(proc.stdout)

    parsed = run()
    assert parsed[0] == parsed[1]
    [cache_file] = tmp_path.glob("rules-*.marshal")
    assert run() == parsed  # from the cache, the pack hash included
    cache_file.write_bytes(cache_file.read_bytes()[:100])  # damaged: parsed again, and rewritten
    assert run() == parsed
    assert run() == parsed


def test_cached_facts_are_what_the_prefilter_and_pathspec_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    from reviewer_app.core.risk import prefilter, rules
    from reviewer_app.core.risk.loader import load_rules

    pack = load_rules(None)
    patterns = {(p.pattern, int(p.flags)): p for rule in pack.rules for p in rules.rule_patterns(rule)}
    assert patterns and set(patterns) == set(rules._PATTERN_FACTS)
    known = {key: rules.known_pattern_facts(pattern) for key, pattern in patterns.items()}
    monkeypatch.setattr(rules, "_PATTERN_FACTS", {})  # the pre-filter computes them afresh
    for key, pattern in patterns.items():
        facts = known[key]
        computed = prefilter.prefilter_for.__wrapped__(pattern)
        assert facts is not None
        assert facts[0] == (None if computed is None else (computed.literals, computed.non_ascii, computed.exact))
        assert facts[1] == prefilter.can_span_lines.__wrapped__(pattern)
        assert facts[2] == prefilter.line_reach.__wrapped__(pattern)
    globs = {glob for rule in pack.rules for glob in (*rule.paths, *rule.exclude)}
    assert globs == set(rules._GLOB_REGEXES)
    for glob in globs:
        assert rules.glob_to_regex(glob) == tuple(GitIgnoreSpecPattern.pattern_to_regex(glob))
    assert rules.glob_to_regex("team/only/**") == tuple(GitIgnoreSpecPattern.pattern_to_regex("team/only/**"))
    assert rules.known_pattern_facts(rules.LazyPattern("a team's own pattern")) is None


@pytest.mark.parametrize("iso", [
    "2026-01-02T03:04:05Z", "2023-12-31T23:59:59+05:30", "1999-02-03T04:05:06-08:00", "2020-02-29T00:00:00",
    "2024-06-01T12:00:00.123456+00:00", "2024-03-10T01:02:03+14:00", "not a date", "",
])
def test_the_range_patch_date_is_the_one_the_email_package_writes(iso: str) -> None:
    from datetime import datetime
    from email.utils import format_datetime

    from reviewer_app.core.ingest import _mail_date

    try:
        expected = format_datetime(datetime.fromisoformat(iso.replace("Z", "+00:00"))) if iso else ""
    except ValueError:
        expected = iso
    assert _mail_date(iso) == expected


def test_only_display_commands_read_the_parsed_pack_from_the_cache_folder(tmp_path: Path) -> None:
    # The cache folder may have been written by anything that ran before on the machine (a CI job of
    # someone's pull request restoring a shared cache): the gate must judge with the shipped pack.
    probe = ("import sys\nfrom reviewer_app.core.risk import load_rules\n"
             "from reviewer_app.core.risk.loader import allow_disk_cache\n"
             "allow_disk_cache(sys.argv[1] == 'display')\nprint(len(load_rules(None).rules))\n")
    env = {**os.environ, "REVIEWER_APP_CACHE_DIR": str(tmp_path)}

    def count(mode: str) -> int:
        proc = subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True, check=True, env=env)
        return int(proc.stdout)

    assert count("trust") > 50 and not list(tmp_path.glob("rules-*.marshal"))  # never written either
    shipped = count("display")
    [cache_file] = tmp_path.glob("rules-*.marshal")
    documents, facts, globs, pack_hash = marshal.loads(cache_file.read_bytes())
    emptied = [(label, {**document, "rule": []}) for label, document in documents]
    cache_file.write_bytes(marshal.dumps((emptied, facts, globs, pack_hash)))
    assert count("display") == 0  # a display command would show the planted pack...
    assert count("trust") == shipped  # ...a trust decision never reads it


def test_the_builtin_sha256_gives_hashlibs_digests_without_loading_openssl() -> None:
    import hashlib

    from reviewer_app.core.digest import sha256

    for data in (b"", b"abc", bytes(range(256)) * 1000):
        assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
        incremental, reference = sha256(), hashlib.sha256()
        for part in (data[:7], data[7:], b"\0tail"):
            incremental.update(part)
            reference.update(part)
        assert incremental.copy().digest() == reference.copy().digest()
    probe = "import sys, reviewer_app.core.digest, reviewer_app.core.changeid; print('hashlib' in sys.modules)"
    builtin = subprocess.run([sys.executable, "-c", "import _sha2"], capture_output=True).returncode == 0 or \
        subprocess.run([sys.executable, "-c", "import _sha256"], capture_output=True).returncode == 0
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ("False" if builtin else "True")


# -- records instead of dataclasses on the one-line path -----------------------------------------------

# Dataclasses a one-line analyze may still define: each costs about a millisecond of every start (its
# methods are compiled from source when the class is created). These are read through dataclasses
# (``replace`` of findings and rules) or declare per-field options (Workspace), or belong to the
# structured analysers. Any other record on the path is a records.Record.
DATACLASSES_ON_THE_ONE_LINE_PATH = {
    "reviewer_app.core.risk.rules.Rule", "reviewer_app.core.risk.findings.Finding",
    "reviewer_app.core.workspace.Workspace",
    "reviewer_app.core.risk.structure.ChangeContext", "reviewer_app.core.risk.structure.Outcome",
    "reviewer_app.core.risk.structure.texts.Side", "reviewer_app.core.risk.structure.texts.FileSides",
}


def test_a_one_line_analyze_defines_no_other_dataclass(git_repo: GitRepo, tmp_path: Path) -> None:
    _one_line_python_commit(git_repo)
    probe = (
        "import sys, json, dataclasses\n"
        "from reviewer_app.cli.main import main\n"
        "code = main(['analyze', '--git', 'HEAD~1..HEAD', '--repo', sys.argv[1], '--format', 'json'])\n"
        "found = sorted(f'{name}.{value.__qualname__}' for name, module in list(sys.modules.items())\n"
        "               if name.startswith('reviewer_app.') for value in vars(module).values()\n"
        "               if isinstance(value, type) and value.__module__ == name and dataclasses.is_dataclass(value))\n"
        "print(json.dumps({'code': code, 'dataclasses': found}), file=sys.stderr)\n"
    )
    env = {**os.environ, "REVIEWER_APP_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", probe, str(git_repo.path)], capture_output=True, text=True,
                          check=False, env=env)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    assert set(result["dataclasses"]) <= DATACLASSES_ON_THE_ONE_LINE_PATH, result["dataclasses"]


RECORD_MODULES = (
    "analysis", "diffparse", "model", "provenance", "revisions", "callers", "callers.model", "callers.python_uses",
    "callers.search", "callers.texts", "risk.engine", "risk.hits", "risk.history", "risk.jit", "risk.metrics",
    "risk.prefilter", "risk.report", "risk.roles", "risk.rules", "risk.score", "services.affected", "services.model",
    "services.pathindex", "services.refs",
)


def _records() -> list[type]:
    from reviewer_app.core.records import Record

    modules = [importlib.import_module(f"reviewer_app.core.{name}") for name in RECORD_MODULES]
    return [value for module in modules for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Record) and value.__module__ == module.__name__]


def test_records_answer_as_the_dataclasses_they_replace() -> None:
    """Each record's repr, equality and hash are what ``@dataclass`` generates for the same fields
    (frozen records hash by value; the others are unhashable), and its constructor takes every field
    positionally, in order."""
    import dataclasses
    import inspect

    from reviewer_app.core.records import FrozenRecord

    records = _records()
    assert len(records) == 44
    for record in records:
        frozen = issubclass(record, FrozenRecord)
        twin = dataclasses.make_dataclass(record.__name__, list(record.FIELDS), frozen=frozen)
        twin.__qualname__ = record.__qualname__
        parameters = list(inspect.signature(record.__init__).parameters)[1:]
        if parameters == list(record.FIELDS):
            values = [f"value {index}" for index in range(len(record.FIELDS))]
            ours, theirs = record(*values), twin(*values)
            assert repr(ours) == repr(theirs), record
            same, other = record(*values), record(*values[:-1], "another value")
            assert ours == same and not ours != same and ours != other, record
            assert (ours == theirs) is False and ours.__eq__(theirs) is NotImplemented, record
            if frozen:
                assert hash(ours) == hash(theirs) == hash(same), record
            else:
                with pytest.raises(TypeError):
                    hash(ours)
        else:  # a record that fills some fields itself (FileContext's caches)
            assert parameters == list(record.FIELDS[:len(parameters)]), record
        slotted = "__slots__" in vars(record) and vars(record)["__slots__"] == record.FIELDS
        assert slotted or "__dict__" in dir(record), record
