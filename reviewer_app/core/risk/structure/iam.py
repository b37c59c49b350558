"""IAM policy documents understood as statements: effect, principal, action, resource, condition.

A line pattern sees ``"Action": "*"`` and cannot tell a Deny from an Allow, a trust policy from a
permission policy, or ``ec2:Describe*`` from ``iam:*``. Here each statement is judged whole:
  * Deny statements take permissions away: never a finding.
  * A trust policy (``assume_role_policy``, or a document whose every Allow only assumes roles)
    says who may assume the role. ``sts:AssumeRole`` is its normal action; what matters is the
    principal: any principal (``*``) is critical, unless a condition narrows it (then high).
  * A permission policy: every action (``*``, ``iam:*``, NotAction) is critical; a service's
    wildcard (``s3:*``, ``ec2:Delete*``) is high, the variants of one named action
    (``kms:GenerateDataKey*``) medium; actions that grant more IAM power
    (``iam:PassRole`` …) are high on every resource; read-only actions (``Describe*``, ``List*``,
    ``Get*`` …) on ``*`` are what monitoring needs and are not a wildcard grant.
  * A resource policy whose principal is anyone is critical (high with a condition).
  * A KMS key policy (terraform.py tells which documents are one): its ``Resource "*"`` is the key
    itself, and key actions granted to named principals (the account, key administrators) are what
    AWS's default key policy grants: judged as scoped to one key (see ``key_policy_principals``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

READ_ONLY_VERB = re.compile(r"^(Describe|List|Get|Head|Query|Scan|Search|Select|Lookup|View|Read|BatchGet|Check|Filter|Validate)", re.IGNORECASE)
ESCALATION_ACTIONS = frozenset(a.lower() for a in (
    "iam:PassRole", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachRolePolicy",
    "iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy",
    "iam:PutGroupPolicy", "iam:CreateAccessKey", "iam:UpdateAssumeRolePolicy", "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile", "iam:AddUserToGroup",
))
ASSUME_ACTIONS = frozenset(a.lower() for a in (
    "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession",
    "sts:SetSourceIdentity", "sts:SetContext",
))


@dataclass(frozen=True)
class Statement:
    effect: str  # "allow" | "deny"
    principals: tuple[str, ...]  # "*" (anyone), "AWS:*", "Service:ec2.amazonaws.com", … empty: identity policy
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: bool
    # Not part of what the statement grants (equality and hashing ignore them): what a principal-only
    # edit is told apart by.
    sid: str = field(default="", compare=False)
    principal_source: Any = field(default=None, compare=False)  # the principals as written (HCL or JSON)
    rest: str = field(default="", compare=False)  # everything but the principals, as written
    not_principal: bool = field(default=False, compare=False)  # NotPrincipal: everyone except those listed

    @property
    def public(self) -> bool:
        return any(p in ("*", "AWS:*") for p in self.principals)


@dataclass(frozen=True)
class Verdict:
    rule: str
    severity: str
    culprit: str  # the text to point at (an action, "*" …)
    message: str


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if v is not None)
    return (str(value),)


def from_json_document(document: Any) -> list[Statement]:
    """Statements of a JSON-shaped document (``jsonencode({...})`` or a heredoc/JSON string)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    raw = _get(document, "Statement")
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    statements = []
    for item in items:
        if not isinstance(item, dict):
            continue
        principal = _get(item, "Principal")
        principals: list[str] = []
        if isinstance(principal, str):
            principals.append("*" if principal == "*" else principal)
        elif isinstance(principal, dict):
            for kind, ids in principal.items():
                principals.extend(f"{kind}:{i}" for i in _strings(ids))
        statements.append(Statement(
            effect=str(_get(item, "Effect") or "Allow").lower(),
            principals=tuple(principals),
            actions=_strings(_get(item, "Action")),
            not_actions=_strings(_get(item, "NotAction")),
            resources=_strings(_get(item, "Resource")) or (("*",) if _get(item, "NotResource") else ()),
            conditions=bool(_get(item, "Condition")),
            sid=str(_get(item, "Sid") or ""),
            principal_source=_get(item, "Principal") if _get(item, "Principal") is not None else _get(item, "NotPrincipal"),
            rest=_written({k: v for k, v in item.items() if str(k).strip('"').lower() not in ("principal", "notprincipal")}),
            not_principal=_get(item, "NotPrincipal") is not None,
        ))
    return statements


def _get(table: dict[str, Any], key: str) -> Any:
    for candidate, value in table.items():
        if str(candidate).strip('"').lower() == key.lower():
            return value
    return None


def from_policy_document_block(block: dict[str, Any]) -> list[Statement]:
    """Statements of a ``data "aws_iam_policy_document"`` block (HCL statement blocks)."""
    statements = []
    items = [(item, None) for item in block.get("statement") or []]
    # dynamic "statement" { for_each = …  content { … } }: each content block is a statement.
    for dynamic in block.get("dynamic") or []:
        for label, generator in (dynamic.items() if isinstance(dynamic, dict) else ()):
            if str(label).strip('"') == "statement" and isinstance(generator, dict):
                gate = {k: v for k, v in generator.items() if k != "content"}  # its for_each decides whether it exists
                items.extend((c, gate) for c in generator.get("content") or [] if isinstance(c, dict))
    for item, gate in items:
        if not isinstance(item, dict):
            continue
        principals = []
        for principal in (item.get("principals") or []) + (item.get("not_principals") or []):
            if not isinstance(principal, dict):
                continue
            kind = str(principal.get("type", ""))
            for identifier in _strings(principal.get("identifiers")):
                principals.append("*" if kind == "*" and identifier == "*" else f"{kind}:{identifier}")
        statements.append(Statement(
            effect=str(item.get("effect") or "Allow").lower(),
            principals=tuple(principals),
            actions=_strings(item.get("actions")),
            not_actions=_strings(item.get("not_actions")),
            resources=_strings(item.get("resources")) or (("*",) if item.get("not_resources") else ()),
            conditions=bool(item.get("condition")),
            sid=str(item.get("sid") or ""),
            principal_source=[item.get("principals") or [], item.get("not_principals") or []],
            rest=_written({"statement": {k: v for k, v in item.items() if k not in ("principals", "not_principals")}, "gate": gate}),
            not_principal=bool(item.get("not_principals")),
        ))
    return statements


def _written(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def key_policy_principals(statement: Statement) -> str:
    """The principals of an Allow of key actions, shown, when each is named (an account, a role, a service, a
    variable the caller sets); '' when any is a wildcard or anyone (``*``, ``AWS = "*"``, an ARN with ``*``),
    none is given, or the statement lists those it does not grant (NotPrincipal)."""
    if statement.effect != "allow" or statement.not_principal or statement.not_actions or not statement.principals:
        return ""
    if not statement.actions or not all(a.lower().startswith("kms:") for a in statement.actions):
        return ""
    if statement.public or any("*" in p.partition(":")[2] or not p.partition(":")[2] for p in statement.principals):
        return ""
    shown = ", ".join(p if len(p) <= 72 else p[:71] + "…" for p in statement.principals[:2])
    return shown + (f" and {len(statement.principals) - 2} more" if len(statement.principals) > 2 else "")


def is_trust_policy(statements: Iterable[Statement]) -> bool:
    allows = [s for s in statements if s.effect == "allow"]
    # Actions from a variable (``actions = var.trusted_role_actions``) are unknown here: they
    # neither make nor unmake a trust policy, which a statement with a known assume action decides.
    known = [a.lower() for s in allows for a in s.actions if "${" not in a]
    return bool(allows) and bool(known) and all(a in ASSUME_ACTIONS for a in known) and all(s.actions for s in allows)


def _action_family(action: str) -> str:
    """``GenerateDataKey`` for ``kms:GenerateDataKey*``: a trailing wildcard after a verb and a noun, else ''."""
    name = action.partition(":")[2]
    if name.count("*") != 1 or not name.endswith("*"):
        return ""
    # Action names are case-insensitive in IAM: `sqs:sendMessage*` is `sqs:SendMessage*`.
    prefix = name[:1].upper() + name[1:-1]
    return prefix if len(re.findall(r"[A-Z][a-z0-9]*", prefix)) >= 2 and prefix[1:2].islower() else ""


def judge(statement: Statement, trust: bool) -> list[Verdict]:
    """What is risky about one statement (nothing for a Deny)."""
    if statement.effect != "allow":
        return []
    if trust:
        if statement.public:
            severity = "high" if statement.conditions else "critical"
            because = "a condition narrows it, check that it pins the caller" if statement.conditions else "no condition narrows it"
            return [Verdict("IAM-TRUST-ANY-PRINCIPAL", severity, "*",
                            f"The role's trust policy lets any principal assume it ({because}).")]
        return []
    verdicts: list[Verdict] = []
    if statement.public:
        severity = "high" if statement.conditions else "critical"
        verdicts.append(Verdict("IAM-PUBLIC-PRINCIPAL", severity, "*",
                                "The resource policy allows any principal (\"*\")"
                                + (" under a condition." if statement.conditions else ", with no condition.")))
    every_resource = "*" in statement.resources or not statement.resources
    if statement.not_actions:
        verdicts.append(Verdict("IAM-ADMIN-WILDCARD", "critical", statement.not_actions[0],
                                "The statement allows every action except the listed ones (NotAction with Allow)."))
        return verdicts
    for action in statement.actions:
        lower = action.lower()
        service, _, name = lower.partition(":")
        if lower == "*" or lower == "iam:*":
            verdicts.append(Verdict("IAM-ADMIN-WILDCARD", "critical", action,
                                    f"The statement allows {action!r}: its holder can do anything"
                                    + (" in IAM, including granting itself every other permission." if lower == "iam:*" else " the account allows.")))
        elif lower in ESCALATION_ACTIONS:
            # On "*" its holder can escalate through any role or user; scoped to named resources it is
            # the ordinary way to let a service pass its own role or users manage their own keys.
            where = "on every resource" if every_resource else "on " + ", ".join(statement.resources[:2])
            verdicts.append(Verdict("IAM-PRIV-ESCALATION", "high" if every_resource else "medium", action,
                                    f"The statement allows {action} {where}: "
                                    + ("its holder can give itself more permissions." if every_resource else
                                       "check that these resources cannot be used to gain more permissions.")))
        elif lower in ASSUME_ACTIONS and every_resource:
            verdicts.append(Verdict("IAM-PRIV-ESCALATION", "high", action,
                                    f"The statement allows {action} on every role: its holder can become any role that trusts the account."))
        elif "*" in name and not READ_ONLY_VERB.match(name) and _action_family(action):
            # kms:GenerateDataKey*, kms:ReEncrypt*: the variants of one named action, not a service's writes.
            verdicts.append(Verdict("IAM-SERVICE-WILDCARD", "medium", action,
                                    f"The statement allows {action}: the variants of {_action_family(action)}, "
                                    f"not every write of {service}; check that each variant is needed."))
        elif "*" in name and not READ_ONLY_VERB.match(name):
            verdicts.append(Verdict("IAM-SERVICE-WILDCARD", "high", action,
                                    f"The statement allows {action}: every {'action' if name == '*' else 'matching write action'} of {service}."))
    if every_resource and not verdicts:
        writes = [a for a in statement.actions if not READ_ONLY_VERB.match(a.partition(":")[2])]
        if writes:
            verdicts.append(Verdict("IAM-RESOURCE-WILDCARD", "medium", writes[0],
                                    f"The statement allows {', '.join(writes[:3])}{' …' if len(writes) > 3 else ''} on every resource (\"*\"), not only the ones this needs."))
    return verdicts
