"""IAM policy documents in JSON files (policy files, CloudFormation templates) judged as statements.

The same judgement as for Terraform (iam.py): a Deny grants nothing, a trust policy is judged by
its principal, read-only actions on ``*`` are no wildcard grant. A JSON file counts as policies
when it holds a ``Statement`` list anywhere (a policy file, a CloudFormation ``PolicyDocument`` or
``AssumeRolePolicyDocument``); GCP bindings to ``allUsers`` count too. Any other JSON file is not
this module's, and its line rules judge it unannounced.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from reviewer_app.core.risk.structure import ChangeContext, iam
from reviewer_app.core.risk.structure.base import Emitter, Parsed
from reviewer_app.core.risk.structure.texts import FileSides, Side

TRUST_KEYS = frozenset({"assumerolepolicydocument", "assume_role_policy", "trustpolicy", "trust_policy"})
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    new_text = sides.new.text if sides.new.exists else ""
    old_text = sides.old.text if sides.old.exists else ""
    if "Statement" not in new_text and "Statement" not in old_text and not any(m in new_text for m in PUBLIC_MEMBERS):
        return Parsed(False, "")  # not a policy file
    if not sides.complete:
        return Parsed(False, "only the diff's hunks were available, so the policy's statements were not read and line rules judged it")
    try:
        new = json.loads(new_text) if new_text.strip() else None
        old = json.loads(old_text) if old_text.strip() else None
    except ValueError:
        return Parsed(False, "the file did not parse as JSON, so line rules judged it")
    before = {(trust, statement) for trust, statement in _statements(old)}
    for trust, statement in _statements(new):
        if (trust, statement) in before:
            continue
        for verdict in iam.judge(statement, trust):
            line = _locate(sides.new, verdict.culprit)
            kind = "trust policy" if trust else "policy"
            emit.emit(verdict.rule, "new", line, f"{kind}: {verdict.message}", severity=verdict.severity)
    old_public = set(_public_members(old))
    for member in _public_members(new):
        if member not in old_public:
            emit.emit("IAM-PUBLIC-PRINCIPAL", "new", _locate(sides.new, member.split("|")[-1]),
                      f"a binding grants {member.split('|')[0]} to {member.split('|')[-1]} (anyone).")
    return Parsed(True)


def _statements(document: Any, key: str = "") -> Iterator[tuple[bool, iam.Statement]]:
    """(is trust policy, statement) for every policy document anywhere in the JSON."""
    if isinstance(document, dict):
        if "Statement" in document:
            statements = iam.from_json_document(document)
            trust = key.lower() in TRUST_KEYS or iam.is_trust_policy(statements)
            for statement in statements:
                yield trust, statement
            return
        for name, value in document.items():
            yield from _statements(value, str(name))
    elif isinstance(document, list):
        for item in document:
            yield from _statements(item, key)


def _public_members(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        members = document.get("members")
        if isinstance(members, list):
            for member in members:
                if member in PUBLIC_MEMBERS:
                    yield f"{document.get('role', 'a role')}|{member}"
        for value in document.values():
            yield from _public_members(value)
    elif isinstance(document, list):
        for item in document:
            yield from _public_members(item)


def _locate(side: Side, culprit: str) -> int:
    return side.locate(re.compile(rf'"{re.escape(culprit)}"')) or side.locate(culprit) or (side.numbers[0] if side.numbers else 0)
