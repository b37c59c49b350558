"""Findings are placed on the lines they name; malformed ones are refused with a precise message."""

from __future__ import annotations

import pytest

from reviewer_app.errors import UserError
from reviewer_app.ui.diffview.findings import FILE_LEVEL, FindingIndex
from tests.gitrepo import GitRepo
from tests.ui.diffview.helpers import sample_change


def finding(**overrides: object) -> dict:
    base = {
        "id": "shell-true@app/main.py:new:6", "rule": "shell-true", "severity": "high", "path": "app/main.py",
        "line": 6, "side": "new", "start": 28, "end": 38, "message": "subprocess with shell=True", "reference": "CWE-78",
    }
    base.update(overrides)
    return base


def test_findings_land_on_their_line_side_and_file(git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    main = next(i for i, f in enumerate(change.files) if f.path == "app/main.py")
    index = FindingIndex(change.files, [
        finding(),
        finding(id="old-system@app/main.py:old:5", side="old", line=5, severity="medium"),
        finding(id="file-level@app/main.py", line=None, severity="critical"),
        finding(id="elsewhere@nope.py", path="nope.py"),
    ])
    new_line = index.by_id["shell-true@app/main.py:new:6"]
    hunk = change.files[main].hunks[new_line.hunk_index]
    assert hunk.lines[new_line.line_index].text == "    return subprocess.run(cmd, shell=True)"
    old_line = index.by_id["old-system@app/main.py:old:5"]
    assert change.files[main].hunks[old_line.hunk_index].lines[old_line.line_index].text == "    return os.system(cmd)"
    assert [f.id for f in index.file_level(main)] == ["file-level@app/main.py"]
    assert index.by_id["elsewhere@nope.py"].file_index == FILE_LEVEL
    assert index.count_per_file[main] == 3 and index.worst_per_file[main] == "critical"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"severity": "urgent"}, "finding 'shell-true@app/main.py:new:6': field 'severity' is 'urgent'"),
        ({"side": "left"}, "field 'side' is 'left', expected old or new"),
        ({"line": "six"}, "field 'line' must be an integer"),
        ({"id": ""}, "field 'id' is missing"),
    ],
)
def test_malformed_findings_name_the_finding_and_field(bad: dict, message: str) -> None:
    with pytest.raises(UserError) as raised:
        FindingIndex([], [finding(**bad)])
    assert message in str(raised.value)


def test_risk_engine_findings_without_a_span_are_not_underlined(git_repo: GitRepo) -> None:
    change = sample_change(git_repo)
    index = FindingIndex(change.files, [finding(start=0, end=0), finding(id="x", start=4, end=10)])
    assert not index.by_id["shell-true@app/main.py:new:6"].has_span
    assert index.by_id["x"].has_span
    change_scope = FindingIndex(change.files, [finding(id="scope", path="", line=0)])
    assert change_scope.by_id["scope"].file_index == FILE_LEVEL
