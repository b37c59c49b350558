"""A finding: one rule firing at one place of a change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule firing at one place of a change."""

    rule: str
    severity: str  # after the rule's own escalations
    path: str
    side: str  # "new" for added lines (and file/change scope), "old" for removed lines
    line: int  # 0 for file- and change-scope findings
    start: int  # matched span in Line.text: 0-based columns, end exclusive (0, 0 when no span)
    end: int
    message: str
    reference: str
    scope: str = "line"

    @property
    def id(self) -> str:
        """Stable across runs and machines; what ``approve --ack`` names."""
        return f"{self.rule}@{self.path}:{self.side}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "rule": self.rule, "severity": self.severity, "path": self.path,
            "line": self.line, "side": self.side, "start": self.start, "end": self.end,
            "message": self.message, "reference": self.reference,
        }
