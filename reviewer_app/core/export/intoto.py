"""In-toto attestations: one Statement v1 per approved change, as JSON lines.

The subject is the change (its digest is the hex of the change id, i.e. the sha256 of the
canonical diff); the predicate (type ``PREDICATE_TYPE``, schema in docs/audit.md) records every
signed decision with its exact payload and SSH signature, the policy verdict and the rule pack.
The statement itself is not signed again: each review inside carries its own signature, which
verify-export (and ssh-keygen) check.
"""

from __future__ import annotations

import json
from typing import IO, Any

from reviewer_app import __version__
from reviewer_app.core.export.report_model import AuditReport, ChangeAudit
from reviewer_app.core.export.selection import ExportEvent

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://reviewer-app.dev/review/v1"


def statement(change: ChangeAudit, events_by_id: dict[str, ExportEvent]) -> dict[str, Any]:
    reviews = []
    for decision in change.decisions:
        event = events_by_id[decision.event_id]
        reviews.append({
            "event_id": event.id, "type": event.type, "principal": event.principal, "level": decision.level,
            "key_fingerprint": event.fingerprint, "created_at": event.created_at,
            "payload": event.payload, "signature": event.signature,
        })
        if event.type in ("approve", "reject"):  # copied from the signed payload; flags are the exporter's reading
            reviews[-1].update(evidence=decision.evidence, evidence_flags=decision.flags)
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": change.title or change.change_id,
                     "digest": {"sha256": change.change_id.removeprefix("sha256:")}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "change": {
                "id": change.change_id, "title": change.title, "author": change.author,
                "ai_assisted": change.ai_assisted, "ai_tools": change.ai_tools,
                "risk_level": change.risk_level, "risk_score": change.risk_score,
                "acknowledged_findings": change.acknowledged,
                "services": {"direct": change.services_direct, "transitive": change.services_transitive},
            },
            "reviews": reviews,
            "threads": change.threads,
            "verdict": {"result": change.verdict, "details": change.verdict_details},
            "rule_pack": change.rule_pack,
            "signature_namespace": "reviewer-app",
            "producer": {"name": "reviewer-app", "version": __version__},
        },
    }


def write_intoto(report: AuditReport, events: list[ExportEvent], out: IO[bytes]) -> int:
    """One statement per change with at least one approval in the selection; returns how many."""
    events_by_id = {event.id: event for event in events}
    count = 0
    for change in report.changes:
        if not change.approvals:
            continue
        line = json.dumps(statement(change, events_by_id), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        out.write((line + "\n").encode("utf-8"))
        count += 1
    return count
