"""Findings of the risk report, placed on the lines of the change they point at.

A finding names ``path``, ``side`` (old|new) and a line number; this index turns that into a
(file, hunk, line) position once per change, so the painter asks "what is on this line" in a
dict lookup and navigation (n/p) walks a sorted list. Findings whose line is outside the diff's
hunks (file-level findings, or lines the diff does not show) stay attached to their file.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewer_app.core.model import FileDiff, LineKind
from reviewer_app.errors import UserError

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
SEVERITY_LETTER = {"critical": "C", "high": "H", "medium": "M", "low": "L"}
FILE_LEVEL = -1


@dataclass(slots=True)
class Finding:
    id: str
    rule: str
    severity: str
    path: str
    line: int | None
    side: str
    start: int | None
    end: int | None
    message: str
    reference: str
    file_index: int = FILE_LEVEL  # FILE_LEVEL when the path is not in the change
    hunk_index: int = FILE_LEVEL  # FILE_LEVEL when the line is not shown by any hunk
    line_index: int = FILE_LEVEL

    @property
    def has_span(self) -> bool:
        """Whether the finding names columns to underline (the risk engine sends 0, 0 for none)."""
        return self.start is not None and self.end is not None and self.end > self.start

    @property
    def letter(self) -> str:
        return SEVERITY_LETTER[self.severity]

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def tooltip(self) -> str:
        lines = [f"{self.letter} {self.severity} · {self.rule}", self.message]
        if self.reference:
            lines.append(f"Reference: {self.reference}")
        return "\n".join(line for line in lines if line)


def _optional_int(raw: dict, field: str, finding_id: str) -> int | None:
    value = raw.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"finding {finding_id!r}: field {field!r} must be an integer, got {value!r}")
    return value


def parse_finding(raw: dict) -> Finding:
    """A Finding from the risk report's dict; UserError naming the finding and field when malformed."""
    if not isinstance(raw, dict):
        raise UserError(f"finding: expected an object, got {type(raw).__name__}")
    finding_id = raw.get("id")
    if not isinstance(finding_id, str) or not finding_id:
        raise UserError(f"finding {raw!r}: field 'id' is missing")
    severity = str(raw.get("severity", "")).strip().lower()
    if severity not in SEVERITY_RANK:
        raise UserError(f"finding {finding_id!r}: field 'severity' is {raw.get('severity')!r}, expected critical, high, medium or low")
    side = str(raw.get("side") or "new").lower()
    if side not in ("old", "new"):
        raise UserError(f"finding {finding_id!r}: field 'side' is {raw.get('side')!r}, expected old or new")
    path = raw.get("path")
    if not isinstance(path, str):
        raise UserError(f"finding {finding_id!r}: field 'path' is missing")
    return Finding(
        id=finding_id,
        rule=str(raw.get("rule") or ""),
        severity=severity,
        path=path,
        line=_optional_int(raw, "line", finding_id),
        side=side,
        start=_optional_int(raw, "start", finding_id),
        end=_optional_int(raw, "end", finding_id),
        message=str(raw.get("message") or ""),
        reference=str(raw.get("reference") or ""),
    )


def _position(diff: FileDiff, side: str, number: int | None) -> tuple[int, int] | None:
    """(hunk, line) showing line ``number`` of the old or new file; None when no hunk shows it.

    Hunk headers give each hunk's line range, so only the one hunk that can hold the line is
    scanned (a finding costs O(hunks + hunk size), never O(file)).
    """
    if number is None:
        return None
    old_side = side == "old"
    for hunk_index, hunk in enumerate(diff.hunks):
        start, count = (hunk.old_start, hunk.old_count) if old_side else (hunk.new_start, hunk.new_count)
        if not start <= number < start + count:
            continue
        for line_index, line in enumerate(hunk.lines):
            if old_side:
                if line.kind is not LineKind.ADDED and line.old_no == number:
                    return hunk_index, line_index
            elif line.kind is not LineKind.REMOVED and line.new_no == number:
                return hunk_index, line_index
    return None


class FindingIndex:
    """Findings by id, by line, and per file (counts and worst severity for the file list)."""

    def __init__(self, files: list[FileDiff], raw_findings: list[dict]) -> None:
        self.findings = [parse_finding(raw) for raw in raw_findings]
        self.by_id = {finding.id: finding for finding in self.findings}
        self._at_line: dict[tuple[int, int, int], list[Finding]] = {}
        self._file_level: dict[int, list[Finding]] = {}
        self.count_per_file = [0] * len(files)
        self.worst_per_file: list[str | None] = [None] * len(files)
        self._locate(files)

    def _locate(self, files: list[FileDiff]) -> None:
        by_path: dict[str, int] = {}
        for file_index, diff in enumerate(files):
            for path in (diff.old_path, diff.new_path):
                if path is not None:
                    by_path.setdefault(path, file_index)
        wanted: dict[int, list[Finding]] = {}
        for finding in self.findings:
            file_index = by_path.get(finding.path, FILE_LEVEL)
            finding.file_index = file_index
            if file_index != FILE_LEVEL:
                wanted.setdefault(file_index, []).append(finding)
        for file_index, findings in wanted.items():
            for finding in findings:
                position = _position(files[file_index], finding.side, finding.line)
                if position is None:
                    self._file_level.setdefault(file_index, []).append(finding)
                else:
                    finding.hunk_index, finding.line_index = position
                    self._at_line.setdefault((file_index, *position), []).append(finding)
                self.count_per_file[file_index] += 1
                worst = self.worst_per_file[file_index]
                if worst is None or finding.rank < SEVERITY_RANK[worst]:
                    self.worst_per_file[file_index] = finding.severity
        for found in self._at_line.values():
            found.sort(key=lambda finding: finding.rank)

    def at_line(self, file_index: int, hunk_index: int, line_index: int) -> list[Finding]:
        return self._at_line.get((file_index, hunk_index, line_index), [])

    def file_level(self, file_index: int) -> list[Finding]:
        return self._file_level.get(file_index, [])

    def __len__(self) -> int:
        return len(self.findings)
