"""Signed approvals recorded while the demo is built, so the queue opens with changes in mixed states.

They are real events: signed with the approver's demo key through ``core.keys`` and appended with
``core.events.create_event``, exactly as ``reviewer-app approve --ack-all`` would, at a fixed time
so the event ids are the same on every build (Ed25519 signatures are deterministic).
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys
from reviewer_app.core.demo.templates import DemoPerson, PlannedApproval
from reviewer_app.errors import UserError


def record_approvals(db: sqlite_utils.Database, planned: tuple[PlannedApproval, ...], people: dict[str, DemoPerson],
                     key_files: dict[str, Path], change_ids: dict[str, str]) -> list[str]:
    """Sign and store each planned approval (once: a rebuild finds them already there); returns event ids."""
    recorded: list[str] = []
    for approval in planned:
        change_id = change_ids[approval.branch]
        approver = people[approval.approver]
        analysis = store.get_analysis(db, change_id)
        if analysis is None:
            raise UserError(f"{change_id}: the demo change {approval.branch!r} is not in the queue")
        already = [e.id for e in events.events_for_change(db, change_id) if e.principal == approver.email]
        if already:
            recorded.extend(already)
            continue
        risk = analysis["risk"]
        fields = {
            "rule_pack": risk["rule_pack"],
            "risk_level": risk["level"],
            "acks": sorted({finding["id"] for finding in risk["findings"]}),  # as --ack-all
            "comment": approval.comment,
        }
        signer = keys.file_signer(key_files[approver.handle], approver.email)
        event = events.create_event(db, signer, "approve", change_id, fields, clock=lambda: approval.date)
        recorded.append(event.id)
    return recorded
