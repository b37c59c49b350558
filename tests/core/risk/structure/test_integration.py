"""How structured analysis joins the engine: one call, line rules stepping aside, never raising, lazy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import evaluate
from reviewer_app.core.risk.loader import _apply_team_file
from reviewer_app.core.risk.rules import RuleSet
from reviewer_app.core.risk.structure import analyse, format_of
from tests.core.risk.structure.helpers import RULES, added_file, by_rule, findings

ROOT = Path(__file__).resolve().parents[4]
BUCKET = 'resource "aws_s3_bucket" "logs" {\n  bucket        = "logs"\n  force_destroy = true\n}\n'


def test_formats_by_path() -> None:
    assert [format_of(p) for p in ("infra/main.tf", "db/001.sql", ".github/workflows/ci.yml", "k8s/app.yaml",
                                   "charts/a/values.yaml", "charts/a/templates/values.yaml", "app/main.py", "x.tf.json")] == [
        "terraform", "sql", "actions", "kubernetes", "helm-values", "kubernetes", None, "iam-json"]


# A line rule whose concern a structured analyser reports under an id of its own.
REPORTED_AS = {"REMOTE-SCRIPT-PIPED-TO-SHELL": "GHA-REMOTE-SCRIPT"}


def test_every_structured_marker_names_a_rule_the_analysers_emit() -> None:
    import importlib.util

    from reviewer_app.core.risk.structure import MODULES
    from reviewer_app.core.risk.structure.base import catalogue

    marked = [rule for rule in RULES.rules if rule.structured]
    assert len(marked) == 26
    for rule in marked:
        reported = REPORTED_AS.get(rule.id, rule.id)
        for fmt in rule.structured:
            spec = importlib.util.find_spec(MODULES[fmt])
            assert spec is not None and spec.origin is not None
            source = Path(spec.origin).read_text(encoding="utf-8")
            # The analyser of every format the rule steps aside for reports the concern: the id is in
            # the structured catalogue (emitted by the analysers) or the analyser names it itself.
            assert reported in catalogue() or f'"{reported}"' in source, (rule.id, fmt)


def team_rules(text: str) -> RuleSet:
    rules = {rule.id: rule for rule in load_rules(None).rules}
    _apply_team_file(rules, ".reviewer/rules/team.toml", text)
    return RuleSet(tuple(rules[i] for i in sorted(rules)))


def test_a_team_disable_and_override_apply_to_the_structured_finding() -> None:
    change = added_file("infra/logs.tf", BUCKET)
    assert by_rule(evaluate(change, team_rules('disable = ["INFRA-FORCE-DESTROY"]\n')), "INFRA-FORCE-DESTROY") == []
    [finding] = by_rule(evaluate(change, team_rules('[[override]]\nid = "INFRA-FORCE-DESTROY"\nseverity = "critical"\n')),
                        "INFRA-FORCE-DESTROY")
    assert finding.severity == "critical" and finding.message.startswith("aws_s3_bucket.logs:")


def test_structured_findings_keep_the_line_rule_s_exclusions() -> None:
    assert by_rule(findings(added_file("modules/tests/fixtures/logs.tf", BUCKET)), "INFRA-FORCE-DESTROY") == []


def test_an_analyser_that_crashes_leaves_the_file_to_the_line_rules_and_says_so(monkeypatch) -> None:
    from reviewer_app.core.risk.structure import terraform

    def broken(*_args, **_kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(terraform, "analyse", broken)
    outcome = analyse(added_file("infra/logs.tf", BUCKET), RULES)
    # Fail closed: the crash is a finding of its own (high), not a silent pass.
    assert [(f.rule, f.severity) for f in outcome.findings] == [("STRUCTURE-UNREAD", "high")] and outcome.parsed == {}
    assert "terraform analyser failed on it (RuntimeError)" in outcome.findings[0].message
    [finding] = by_rule(findings(added_file("infra/logs.tf", BUCKET)), "INFRA-FORCE-DESTROY")
    assert "analyser failed (RuntimeError)" in finding.message


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["infra/x.tf", "db/x.sql", ".github/workflows/x.yml", "k8s/x.yaml", "chart/values.yaml"]),
       st.text(alphabet=st.sampled_from(list('{}[]()"=:;,-# \n\tabcDROP*<>$\'')), max_size=200))
def test_no_input_makes_structured_analysis_raise(path: str, text: str) -> None:
    outcome = analyse(added_file(path, text or "x"), RULES)
    assert set(outcome.parsed) <= {path}


def test_a_one_line_python_change_imports_no_parser() -> None:
    code = textwrap.dedent("""
        import sys
        from tests.core.risk.structure.helpers import added_file, findings
        findings(added_file("app/main.py", "print('hello')"))
        print(sorted(m for m in sys.modules if m in ("hcl2", "sqlglot", "lark") or m.startswith("reviewer_app.core.risk.structure.")))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_file_s_role_lowers_a_structured_finding_and_says_why() -> None:
    # (INFRA-FORCE-DESTROY on a file added whole is medium as a new resource already: a backup setting is not.)
    database = 'resource "aws_db_instance" "main" {\n  identifier          = "main"\n  skip_final_snapshot = true\n}\n'
    [finding] = by_rule(findings(added_file("examples/complete/main.tf", database)), "INFRA-BACKUP-WEAKENED")
    assert finding.severity == "medium"
    assert "Lowered to medium: main.tf is an example." in finding.message


def test_blob_ids_of_a_patch_are_only_used_when_the_blobs_agree_with_its_hunks(git_repo) -> None:
    from reviewer_app.core.diffparse import parse_patch
    from reviewer_app.core.risk.structure.texts import repository, sides_for

    git_repo.write_files({"infra/a.tf": 'resource "aws_s3_bucket" "a" {\n  bucket = "a"\n}\n'})
    git_repo.commit("a")
    git_repo.write_files({"infra/a.tf": 'resource "aws_s3_bucket" "a" {\n  bucket = "b"\n}\n'})
    git_repo.commit("b")
    honest = git_repo.git("diff", "--full-index", "HEAD~1", "HEAD").encode()
    with repository(git_repo.path):
        [sides] = sides_for(parse_patch(honest, "honest.diff")[0].files).values()
        assert sides.complete and sides.new.text.count("\n") == 3
        # The same index line over hunks that add something else: the blobs do not agree, hunks only.
        forged = honest.replace(b'+  bucket = "b"', b'+  force_destroy = true')
        [sides] = sides_for(parse_patch(forged, "forged.diff")[0].files).values()
        assert not sides.complete
        [finding] = by_rule(evaluate(parse_patch(forged, "forged.diff")[0], RULES), "INFRA-FORCE-DESTROY")
        assert "only the diff's hunks were available" in finding.message


def test_a_range_loaded_from_a_repository_is_read_whole_without_naming_it_again(git_repo) -> None:
    from reviewer_app.core.ingest import load_git_range

    git_repo.write_files({"infra/a.tf": BUCKET.replace("force_destroy = true", "force_destroy = false")})
    git_repo.commit("a")
    git_repo.write_files({"infra/a.tf": BUCKET})
    git_repo.commit("b")
    change = load_git_range(git_repo.path, "HEAD~1..HEAD")
    [finding] = by_rule(evaluate(change, RULES), "INFRA-FORCE-DESTROY")
    assert finding.message.startswith("aws_s3_bucket.logs:") and "hunks" not in finding.message


def test_a_team_rule_cannot_claim_a_structured_analyser() -> None:
    import pytest

    from reviewer_app.errors import UserError

    text = ('[[rule]]\nid = "TEAM-X"\ntitle = "x"\nseverity = "high"\nscope = "line"\nadded = "x"\n'
            'message = "m"\nreference = "r"\nstructured = ["terraform"]\n')
    with pytest.raises(UserError, match="field 'structured': only built-in rules"):
        team_rules(text)
