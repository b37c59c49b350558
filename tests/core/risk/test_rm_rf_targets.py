"""OPS-RM-RF on real-history shapes: which targets make a recursive delete catastrophic, and an
edit that keeps the same delete of the same target (rm -fr $X -> rm -rf $X)."""

from __future__ import annotations

from tests.core.risk.diffs import line_rule

SCRIPT = "scripts/cleanup.sh"


def severities(*examples: str) -> list[str]:
    return [finding.severity for finding in line_rule("OPS-RM-RF", SCRIPT, *examples)]


def test_a_variable_followed_by_a_slash_or_a_glob_is_critical() -> None:
    # Empty, "$X/" is the filesystem root and "$X"* the working folder (Steam for Linux, 2015).
    assert severities('+rm -rf "$STEAMROOT/"*') == ["critical"]
    assert severities("+rm -rf ${TARGET}/") == ["critical"]
    assert severities("+rm -rf $WORK*") == ["critical"]


def test_a_variable_alone_is_medium_not_critical() -> None:
    # Empty, rm -rf "" deletes nothing; the variable's value is the worry, which medium already says.
    assert severities("+rm -rf ${OPENSHIFT_CONFIG}") == ["medium"]
    assert severities('+rm -rf "$BUILD_OUTPUT" && echo done') == ["medium"]


def test_the_same_delete_kept_through_an_edit_is_low_and_says_so() -> None:
    findings = line_rule("OPS-RM-RF", SCRIPT, " export CONFIG=$(pwd)/config\n-rm -fr ${CONFIG}\n-kubectl delete rc app\n"
                                              "+echo removing local files\n+rm -rf ${CONFIG}\n+rm ${CONFIG}.log")
    assert [f.severity for f in findings] == ["low"]
    assert "already did this before the change" in findings[0].message


def test_a_new_target_in_the_same_edit_keeps_the_rule_severity() -> None:
    assert severities("-rm -rf ${CONFIG}\n+rm -rf ${DATA_HOME}") == ["medium"]


def test_a_kept_delete_made_worse_is_not_lowered() -> None:
    assert severities("-rm -rf ./build/tmp\n+rm -rf ./build/tmp /") == ["critical"]


def test_a_lint_script_cleaning_its_checkout_is_a_build_file() -> None:
    from reviewer_app.core.risk import load_rules
    from reviewer_app.core.risk.engine import evaluate
    from tests.core.risk.diffs import one_file_change

    fired = {f.rule for f in evaluate(one_file_change("scripts/lint.sh", "+    sudo rm -rf $dir/charts"), load_rules(None))}
    assert "OPS-RM-RF" not in fired and "OPS-RM-RF-IN-BUILD" in fired
    [found] = line_rule("OPS-RM-RF-IN-BUILD", "scripts/lint.sh", "+    sudo rm -rf $dir/charts")
    assert found.severity == "low"
    # Its escalations still hold: a bare variable followed by a slash is the root when empty.
    [root] = line_rule("OPS-RM-RF-IN-BUILD", "scripts/lint.sh", "+rm -rf $WORKDIR/")
    assert root.severity == "high"
