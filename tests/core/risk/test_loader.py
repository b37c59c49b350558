"""Team rules in .reviewer/rules/*.toml: adding, disabling, re-grading, and precise errors."""

from __future__ import annotations

import pytest

from reviewer_app.core.risk import assess, load_rules
from reviewer_app.core.workspace import Workspace
from reviewer_app.errors import UserError
from tests.core.risk.diffs import one_file_change
from tests.gitrepo import GitRepo

TEAM_RULE = """
[[rule]]
id = "TEAM-LEDGER-WRITE"
title = "Direct write to the ledger table"
severity = "high"
scope = "line"
paths = ["services/**/*.py"]
added = 'INSERT\\s+INTO\\s+ledger'
message = "Ledger rows must go through LedgerService so balances stay consistent."
reference = "Team postmortem PM-2031"
"""


def workspace_with(repo: GitRepo, files: dict[str, str]) -> Workspace:
    for path, text in files.items():
        repo.write(path, text, dedent=False)
    repo.commit("rules")
    return Workspace(root=repo.path)


def test_builtin_pack_loads_without_a_workspace() -> None:
    rules = load_rules(None)
    assert rules.by_id("OPS-RM-RF") is not None
    assert rules.pack_hash.startswith("sha256:") and len(rules.pack_hash) == 71
    assert load_rules(None).pack_hash == rules.pack_hash  # canonical form: stable


def test_team_file_adds_disables_and_regrades(git_repo: GitRepo) -> None:
    builtin = load_rules(None)
    # Top-level keys come before the first [[rule]] table (TOML would put them inside it).
    team = 'disable = ["DEPLOY-PIPELINE-CHANGE"]\n' + TEAM_RULE + """

[[override]]
id = "SCANNER-SUPPRESSION"
severity = "high"
"""
    rules = load_rules(workspace_with(git_repo, {".reviewer/rules/team.toml": team}))
    assert rules.by_id("TEAM-LEDGER-WRITE") is not None
    assert rules.by_id("TEAM-LEDGER-WRITE").origin == ".reviewer/rules/team.toml"
    assert rules.by_id("DEPLOY-PIPELINE-CHANGE") is None
    assert rules.by_id("SCANNER-SUPPRESSION").severity == "high"
    assert rules.pack_hash != builtin.pack_hash
    assert ".reviewer/rules/team.toml" in rules.sources

    change = one_file_change("services/payments/ledger.py", '+    db.execute("INSERT INTO ledger VALUES (?)", row)')
    report = assess(change, None, rules)
    assert [f.id for f in report.findings] == ["TEAM-LEDGER-WRITE@services/payments/ledger.py:new:10"]
    assert report.findings[0].reference == "Team postmortem PM-2031"


def test_team_rules_are_read_from_the_given_revision(git_repo: GitRepo) -> None:
    workspace_with(git_repo, {".reviewer/rules/team.toml": TEAM_RULE})
    base = git_repo.git("rev-parse", "HEAD").strip()
    git_repo.write(".reviewer/rules/team.toml", 'disable = ["OPS-RM-RF"]\n', dedent=False)
    git_repo.commit("head disables a built-in rule")
    at_base = load_rules(Workspace(root=git_repo.path, revision=base))
    assert at_base.by_id("TEAM-LEDGER-WRITE") is not None and at_base.by_id("OPS-RM-RF") is not None
    at_head = load_rules(Workspace(root=git_repo.path))
    assert at_head.by_id("OPS-RM-RF") is None


def test_nested_and_non_toml_files_are_ignored(git_repo: GitRepo) -> None:
    rules = load_rules(workspace_with(git_repo, {
        ".reviewer/rules/README.md": "not rules", ".reviewer/rules/drafts/x.toml": "this is = not [ valid",
    }))
    assert rules.pack_hash == load_rules(None).pack_hash


@pytest.mark.parametrize(("text", "expected"), [
    (TEAM_RULE.replace("INSERT\\s+INTO\\s+ledger", "INSERT (INTO"),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'added': invalid regex: missing ), unterminated subpattern at position 7"),
    (TEAM_RULE.replace('severity = "high"', 'severity = "urgent"'),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'severity': 'urgent' is not one of low|medium|high|critical"),
    (TEAM_RULE.replace('scope = "line"', 'scope = "line"\nadded_lines = "x"'),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'added_lines': unknown field"),
    (TEAM_RULE.replace('message = "Ledger rows must go through LedgerService so balances stay consistent."\n', ""),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'message': missing"),
    (TEAM_RULE.replace("INSERT\\s+INTO\\s+ledger", "x*"),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'added': the regex matches an empty line"),
    (TEAM_RULE.replace('paths = ["services/**/*.py"]', 'paths = ["services/**/*.{py,pyi}"]'),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'paths': 'services/**/*.{py,pyi}': braces are not gitignore syntax"),
    (TEAM_RULE.replace('id = "TEAM-LEDGER-WRITE"', 'id = "OPS-RM-RF"'),
     ".reviewer/rules/team.toml: rule OPS-RM-RF: field 'id': already defined (built-in); use [[override]]"),
    (TEAM_RULE.replace('id = "TEAM-LEDGER-WRITE"', 'id = "team ledger"'),
     ".reviewer/rules/team.toml: rule #1: field 'id': 'team ledger' is not an id"),
    ('disable = ["NO-SUCH-RULE"]\n', ".reviewer/rules/team.toml: field 'disable': no rule NO-SUCH-RULE to disable"),
    ('[[override]]\nid = "OPS-RM-RF"\nseverity = "severe"\n',
     ".reviewer/rules/team.toml: rule OPS-RM-RF: field 'severity': 'severe' is not one of"),
    ('[[override]]\nid = "OPS-RM-RF"\nadded = "x"\n',
     ".reviewer/rules/team.toml: rule OPS-RM-RF: field 'added': cannot be overridden"),
    ("[[rule]\nid = 1\n", ".reviewer/rules/team.toml: invalid TOML:"),
    ('rules = []\n', ".reviewer/rules/team.toml: unknown top-level key 'rules'"),
    (TEAM_RULE + '[[rule.escalate]]\nseverity = "critical"\nbecause = "always"\n',
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'escalate[1]': needs a condition"),
    (TEAM_RULE + '[[rule.escalate]]\nseverity = "critical"\nline = "(x"\nbecause = "x"\n',
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'escalate[1].line': invalid regex"),
    (TEAM_RULE.replace("added = ", "guarded_code_kept = true\nadded = "),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'guarded_code_kept': needs a 'removed' pattern"),
    (TEAM_RULE.replace("added = ", "max_pure_removal = -1\nadded = "),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'max_pure_removal': must be a whole number"),
    (TEAM_RULE.replace("added = ", "ignore_lines = \"[\"\nadded = "),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'ignore_lines': invalid regex"),
    (TEAM_RULE + '[rule.examples]\npositive = "+x"\n',
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'examples.positive': must be a list of strings"),
    (TEAM_RULE.replace("added = ", "entropy_group = \"secret\"\nadded = "),
     ".reviewer/rules/team.toml: rule TEAM-LEDGER-WRITE: field 'entropy_group': 'added' has no group named 'secret'"),
])
def test_broken_team_file_names_file_rule_and_field(git_repo: GitRepo, text: str, expected: str) -> None:
    workspace = workspace_with(git_repo, {".reviewer/rules/team.toml": text})
    with pytest.raises(UserError) as raised:
        load_rules(workspace)
    assert str(raised.value).startswith(expected), str(raised.value)
    assert "\n" not in str(raised.value)


def test_error_names_the_revision_when_read_from_one(git_repo: GitRepo) -> None:
    workspace_with(git_repo, {".reviewer/rules/team.toml": 'disable = ["GONE"]\n'})
    with pytest.raises(UserError, match=r"^\.reviewer/rules/team\.toml@HEAD: field 'disable'"):
        load_rules(Workspace(root=git_repo.path, revision="HEAD"))


def test_the_builtin_pack_passes_the_strict_checks_its_lazy_load_skips() -> None:
    """The built-in pack is loaded without compiling (LazyPattern); the strict parser compiles
    every regex and glob, and a lazy pattern's flags must be those of its compiled form (the
    pre-filter reads them before anything is compiled)."""
    import re

    from reviewer_app.core.risk.loader import BUILTIN_FILE_KEYS, builtin_rule_files, parse_rules, parse_toml

    strict = [rule for label, text in builtin_rule_files()
              for rule in parse_rules(label, parse_toml(label, text, BUILTIN_FILE_KEYS).get("rule", []), strict=True)]
    assert sorted(rule.id for rule in strict) == sorted(rule.id for rule in load_rules(None).rules)
    for rule in strict:
        patterns = [rule.added, rule.removed, rule.ignore_lines, rule.file_lacks]
        patterns += [p for e in rule.escalate for p in (e.line, e.added, e.removed)]
        for pattern in filter(None, patterns):
            assert pattern.flags == re.compile(pattern.pattern, re.MULTILINE).flags, (rule.id, pattern.pattern)

