"""Terraform (HCL) by structure: both sides parsed with python-hcl2, resources compared by address.

Judged: resources removed (a destroy on the next apply) or renamed without a ``moved`` block;
arguments that force replacement (resources/structure/terraform.toml); guards switched off
(prevent_destroy, deletion_protection, skip_final_snapshot, force_destroy, backups, versioning);
ingress opened to the internet (ingress only: an open egress is the default); IAM policy
documents as statements (iam.py). A modified file needs both whole sides: from a patch alone the
hunks of a block cannot be told apart from their resource, so the line rules judge it and say so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from reviewer_app.core.risk.structure import ChangeContext, iam, tf_defaults
from reviewer_app.core.risk.structure.base import Emitter, Parsed, data_table
from reviewer_app.core.risk.structure.texts import FileSides, Side

HEADER = re.compile(r'^\s*(resource|data|module|moved|removed|locals|variable|output|provider|terraform|import|check)\b(?:\s+"([^"]+)")?(?:\s+"([^"]+)")?')
# Blocks nothing here judges (their settings are judged where they are used): not parsed.
UNJUDGED = frozenset({"output", "provider", "terraform", "import", "check"})
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
SENSITIVE_PORTS = {22: "SSH", 3389: "RDP", 5432: "PostgreSQL", 3306: "MySQL", 6379: "Redis", 27017: "MongoDB", 9200: "Elasticsearch", 1433: "SQL Server"}
JSONENCODE = re.compile(r"^\$\{jsonencode\((.*)\)\}$", re.DOTALL)


@dataclass
class Block:
    kind: str  # resource | data | module
    type: str
    name: str
    body: dict[str, Any]
    span: tuple[int, int]  # 0-based line indexes [start, end) in the side's text

    @property
    def address(self) -> str:
        return f"{'data.' if self.kind == 'data' else ''}{self.type}.{self.name}"


@dataclass
class Module:
    blocks: dict[str, Block]  # the blocks parsed (those the change touched, on either side)
    moved: list[tuple[str, str]]  # (from, to)
    removed: set[str]  # addresses in ``removed`` blocks (Terraform 1.7: forget without destroying)
    known: dict[str, Block] = field(default_factory=dict)  # every resource, by its header (body unread)


Chunk = tuple[tuple[str, str, str], int, int]  # (block key, first line index, end line index)


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.complete:
        return Parsed(False, "only the diff's hunks were available, so Terraform structure was not analysed and line rules judged this file")
    # Only the top-level blocks the change touched (on either side) are parsed: a one-line change
    # to a 2,000-line policies.tf parses one block per side, not the whole file twice.
    old_chunks = _chunks(sides.old) if sides.old.exists else []
    new_chunks = _chunks(sides.new) if sides.new.exists else []
    touched = {key for side, chunks in ((sides.old, old_chunks), (sides.new, new_chunks))
               for key, start, end in chunks if any(side.real_line(i) in side.changed for i in range(start, end))}
    try:
        old = _parse(sides.old, old_chunks, touched) if sides.old.exists else Module({}, [], set())
        new = _parse(sides.new, new_chunks, touched) if sides.new.exists else Module({}, [], set())
    except Exception as exc:  # noqa: BLE001 - hcl2 raises lark and value errors of many kinds
        return Parsed(False, f"the file did not parse as Terraform ({type(exc).__name__}), so line rules judged it")
    table = data_table("terraform.toml")
    holding = set(table["data_holding"])
    _removed_and_renamed(sides, old, new, emit, context, holding)
    for address, block in new.blocks.items():
        before = old.blocks.get(address)
        if block.kind == "resource" and before is not None:
            _replacement(sides, before, block, emit, table["replace"].get(block.type, []), holding, context)
            _rekeyed(sides, before, block, emit, holding, new.moved)
        _guards(sides, before, block, emit)
        _ingress(sides, before, block, emit)
    _moved_blocks_removed(sides, old, new, emit, context)
    _defaults_adopted(sides, old, new, emit, table.get("adopting", []))
    _default_resources_adopted(sides, old, new, emit)
    try:
        _policies(sides, old, new, emit)
    except UnreadablePolicy as exc:
        return Parsed(False, f"{exc}, so line rules judged this file")
    return Parsed(True)


def _options() -> Any:
    from hcl2.utils import SerializationOptions

    return SerializationOptions(with_comments=False, strip_string_quotes=True, preserve_heredocs=False)


def _parse(side: Side, chunks: list[Chunk], touched: set[tuple[str, str, str]]) -> Module:
    """The touched blocks of one side parsed (each alone), every resource known by its header.

    When a block does not parse alone (a header-looking line inside a heredoc split it), the whole
    side is parsed instead, which raises when the file is not Terraform.
    """
    import hcl2

    wanted = [(key, start, end) for key, start, end in chunks
              if (key in touched and key[0] not in UNJUDGED) or key[0] in ("moved", "removed")]
    module = Module({}, [], set())
    try:
        for key, start, end in wanted:
            document = hcl2.loads("\n".join(side.lines[start:end]) + "\n", serialization_options=_options())
            _collect(document, module, (start, end), key)
    except Exception:  # noqa: BLE001 - retried on the whole text below
        module = Module({}, [], set())
        _collect(hcl2.loads(side.text, serialization_options=_options()), module, None, None, _spans(side))
    for (kind, rtype, name), start, end in chunks:
        if kind == "resource" and rtype and name:
            module.known.setdefault(f"{rtype}.{name}", Block(kind, rtype, name, {}, (start, end)))
    for address, block in module.blocks.items():
        if block.kind == "resource":
            module.known[address] = block
    return module


def _collect(document: dict[str, Any], module: Module, span: tuple[int, int] | None, key: tuple[str, str, str] | None,
             spans: dict[tuple[str, str, str], tuple[int, int]] | None = None) -> None:
    """Add a parsed document's blocks to ``module``; each spans ``span`` (a chunk) or its own header's span."""
    def where(block_key: tuple[str, str, str]) -> tuple[int, int]:
        if spans is not None:
            return spans.get(block_key, (0, 0))
        return span or (0, 0)

    for kind in ("resource", "data"):
        for entry in document.get(kind, []):
            for rtype, named in entry.items():
                for name, body in (named or {}).items():
                    block = Block(kind, rtype, name, body if isinstance(body, dict) else {}, where((kind, rtype, name)))
                    module.blocks[block.address] = block
    for entry in document.get("module", []):
        for name, body in entry.items():
            module.blocks[f"module.{name}"] = Block("module", "module", name, body if isinstance(body, dict) else {},
                                                    where(("module", name, "")))
    for entry in document.get("variable", []):
        for name, body in (entry or {}).items():
            module.blocks[f"var.{name}"] = Block("variable", "variable", name, body if isinstance(body, dict) else {},
                                                 where(("variable", name, "")))
    for number, body in enumerate(document.get("locals", [])):
        if isinstance(body, dict):
            label = key[1] if key is not None and key[0] == "locals" else f"#{number + 1}"
            module.blocks[f"locals.{label}"] = Block("locals", "locals", label, body, where(("locals", label, "")))
    module.moved += [(_ref(m.get("from")), _ref(m.get("to"))) for m in document.get("moved", []) if isinstance(m, dict)]
    module.removed |= {_ref(r.get("from")) for r in document.get("removed", []) if isinstance(r, dict)}


def _chunks(side: Side) -> list[Chunk]:
    """The side cut at its top-level block headers (text before the first header is a chunk too)."""
    headers = _headers(side)
    chunks: list[Chunk] = []
    if not headers or headers[0][0] > 0:
        chunks.append((("", "#preamble", ""), 0, headers[0][0] if headers else len(side.lines)))
    for number, (index, key) in enumerate(headers):
        end = headers[number + 1][0] if number + 1 < len(headers) else len(side.lines)
        chunks.append((key, index, end))
    return chunks


def _headers(side: Side) -> list[tuple[int, tuple[str, str, str]]]:
    headers: list[tuple[int, tuple[str, str, str]]] = []
    ordinals: dict[str, int] = {}
    for index, text in enumerate(side.lines):
        if text[:1].isspace():
            continue
        match = HEADER.match(text)
        if match:
            kind = match.group(1)
            if kind in ("locals", "moved", "removed", "terraform", "import", "check"):
                ordinals[kind] = ordinals.get(kind, 0) + 1  # unnamed blocks repeat: number them
                key = (kind, f"#{ordinals[kind]}", "")
            else:
                key = (kind, match.group(2) or "", match.group(3) or "")
            headers.append((index, key))
    return headers


def _ref(value: Any) -> str:
    return str(value or "").removeprefix("${").removesuffix("}").strip()


def _spans(side: Side) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Where each top-level block starts and ends (the next top-level header), by line index."""
    return {key: (start, end) for key, start, end in _chunks(side)}


def _header_line(side: Side, block: Block) -> int:
    return side.real_line(block.span[0])


def _attr_line(side: Side, block: Block, name: str) -> int:
    leaf = name.split(".")[-1]
    return side.locate(re.compile(rf"^\s*\"?{re.escape(leaf)}\"?\s*[={{]"), *block.span) or _header_line(side, block)


# -- removed and renamed resources ----------------------------------------------------------------
def _removed_and_renamed(sides: FileSides, old: Module, new: Module, emit: Emitter, context: ChangeContext,
                         holding: set[str]) -> None:
    moved_from = {source for source, _ in new.moved}
    added_by_type: dict[str, list[Block]] = {}
    for address, block in new.known.items():
        if address not in old.known:
            added_by_type.setdefault(block.type, []).append(block)
    for address, block in old.known.items():
        if address in new.known or address in moved_from or address in new.removed:
            continue
        if _declared_elsewhere(block, context, sides):
            continue  # the block moved to another file of the change: same address, nothing destroyed
        line = _header_line(sides.old, block)
        data = block.type in holding
        ephemeral = block.type.startswith(tuple(data_table("terraform.toml")["ephemeral"]))
        candidates = added_by_type.get(block.type, [])
        if candidates:
            target = candidates[0]
            emit.emit("TF-RENAME-WITHOUT-MOVED", "old", line,
                      f"{address} is renamed to {target.address} without a `moved` block: the next apply destroys "
                      f"{address} and creates {target.address} empty"
                      + (" (it holds data)." if data else ".") + f" Add `moved {{ from = {address} to = {target.address} }}`.",
                      severity="critical" if data else "low" if ephemeral else "high")
            continue
        emit.emit("INFRA-TF-RESOURCE-REMOVED", "old", line,
                  f"The resource {address} is removed: the next `terraform apply` destroys it"
                  + (", and it holds data (database, bucket, key or cluster)." if data else ".")
                  + (" It is a helper that the next apply recreates as good as new." if ephemeral else
                     " prevent_destroy does not protect a block that is gone; a `removed` block with destroy = false forgets it instead."),
                  severity="critical" if data else "low" if ephemeral else "high")


def _declared_elsewhere(block: Block, context: ChangeContext, sides: FileSides) -> bool:
    pattern = re.compile(rf'^\s*resource\s+"{re.escape(block.type)}"\s+"{re.escape(block.name)}"', re.MULTILINE)
    if not pattern.search(context.added_text):
        return False
    # Re-added in this same file counts only when the new side has it (it does not, or we would not be here).
    return any(diff is not sides.diff and pattern.search("\n".join(
        line.text for hunk in diff.hunks for line in hunk.lines if line.kind.value == "+"))
        for diff in context.change.files)


def _moved_blocks_removed(sides: FileSides, old: Module, new: Module, emit: Emitter, context: ChangeContext) -> None:
    """A ``moved`` block deleted: state still at the old address (an older module version) is destroyed."""
    kept = set(new.moved)
    for source, target in old.moved:
        if (source, target) in kept or re.search(rf"from\s*=\s*{re.escape(source)}\b", context.added_text):
            continue
        line = sides.old.locate(re.compile(rf"^\s*from\s*=\s*{re.escape(source)}\b")) or 0
        emit.emit("TF-MOVED-BLOCK-REMOVED", "old", line,
                  f"the `moved` block from {source} to {target} is deleted: a state that still has {source} (users "
                  f"upgrading from a version before the move) gets a destroy of {source} and a create of {target}.")


DEFAULT_RESOURCES = ("aws_default_route_table", "aws_default_security_group", "aws_default_network_acl",
                     "aws_default_vpc", "aws_default_subnet", "aws_default_vpc_dhcp_options")


def _default_resources_adopted(sides: FileSides, old: Module, new: Module, emit: Emitter) -> None:
    """An ``aws_default_*`` resource added unconditionally to an existing module: every user adopts it.

    Adopting a default resource replaces its routes or rules with those the block declares (none
    unless listed). Gated by ``count``/``for_each`` it is opt-in, and the variable's default says
    whether users get it (judged by _defaults_adopted).
    """
    if not sides.old.exists:
        return  # a new module: nobody's infrastructure changes under it
    for address, block in new.blocks.items():
        if block.kind != "resource" or block.type not in DEFAULT_RESOURCES or address in old.blocks or address in old.known:
            continue
        if "count" in block.body or "for_each" in block.body:
            continue
        emit.emit("TF-DEFAULT-ADOPTED", "new", _header_line(sides.new, block),
                  f"{address} adopts the VPC's default {block.type.removeprefix('aws_default_').replace('_', ' ')} for every "
                  "user of the module on the next apply: whatever it holds that the block does not declare (routes, rules) is removed.")


def _defaults_adopted(sides: FileSides, old: Module, new: Module, emit: Emitter, adopting: list[str]) -> None:
    for name in adopting:
        block, before = new.blocks.get(f"var.{name}"), old.blocks.get(f"var.{name}")
        if block is None or _truthy(block.body.get("default")) is not True:
            continue
        if before is not None and _truthy(before.body.get("default")) is True:
            continue
        emit.emit("TF-DEFAULT-ADOPTED", "new", _attr_line(sides.new, block, "default"),
                  f"`{name}` now defaults to true: every user of the module adopts the cloud's default resource on the next "
                  "apply, and its existing rules are replaced by the module's (by default none).")


# -- arguments that force replacement ---------------------------------------------------------------
def _value(body: dict[str, Any], dotted: str) -> Any:
    current: Any = body
    for part in dotted.split("."):
        if isinstance(current, list):  # a nested block: hcl2 gives a list of its occurrences
            values = [item.get(part) if isinstance(item, dict) else None for item in current]
            current = values[0] if len(values) == 1 else values
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return _clean(current)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _replacement(sides: FileSides, before: Block, after: Block, emit: Emitter, arguments: list[str], holding: set[str],
                 context: ChangeContext) -> None:
    defaults: dict[str, Any] | None = None
    for argument in arguments:
        old_value, new_value = _value(before.body, argument), _value(after.body, argument)
        if json.dumps(old_value, sort_keys=True, default=str) == json.dumps(new_value, sort_keys=True, default=str):
            continue
        # Made configurable with new variables whose defaults render the old value: existing
        # callers see no change, so nothing is replaced.
        defaults = tf_defaults.new_variable_defaults(context.change) if defaults is None else defaults
        if json.dumps(tf_defaults.render(old_value, defaults), sort_keys=True, default=str) == \
                json.dumps(tf_defaults.render(new_value, defaults), sort_keys=True, default=str):
            continue
        data = after.type in holding
        side, line = ("new", _attr_line(sides.new, after, argument)) if new_value is not None else ("old", _attr_line(sides.old, before, argument))
        emit.emit("TF-FORCES-REPLACEMENT", side, line,
                  f"{after.address}: `{argument}` changes ({_show(old_value)} → {_show(new_value)}); this argument forces "
                  f"replacement, so the next apply destroys the {after.type} and creates a new one"
                  + (" — its data does not come along." if data else "."),
                  severity="critical" if data else "high")


def _key_scheme(block: Block) -> str | None:
    """How a resource's instances are keyed: by index (count), by set element, by map key, or singly."""
    if "count" in block.body:
        return "index"
    each = block.body.get("for_each")
    if each is None:
        return None
    text = str(each)
    if re.search(r"\btoset\s*\(", text):
        return "set"
    if re.search(r"\{\s*for\s+\w+\s*,\s*\w+\s+in\b", text):
        return "map"
    return "other"


def _rekeyed(sides: FileSides, before: Block, after: Block, emit: Emitter, holding: set[str],
             moved: list[tuple[str, str]]) -> None:
    """Instances keyed another way (count to for_each, a set to a map): every instance gets a new address.

    Without ``moved`` blocks for each instance, the next apply destroys every instance under its
    old key and creates it again under the new one.
    """
    old, new = _key_scheme(before), _key_scheme(after)
    if old is None or new is None or old == new or "other" in (old, new):
        return
    if any(source.startswith(after.address + "[") for source, _ in moved):
        return  # the instances are moved to their new keys
    argument = "for_each" if "for_each" in after.body else "count"
    data = after.type in holding
    emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, argument),
              f"{after.address}: its instances are now keyed by {new} instead of by {old}: every instance moves to a new "
              f"address, so the next apply destroys each {after.type} and creates it again"
              + (" — its data does not come along." if data else " (a moved block per instance avoids it)."),
              severity="critical" if data else "high")


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "…"


# -- guards -------------------------------------------------------------------------------------------
def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _guards(sides: FileSides, before: Block | None, after: Block, emit: Emitter) -> None:
    old_body = before.body if before else {}
    new_body = after.body
    where = after.address
    # prevent_destroy: in lifecycle blocks.
    old_pd = _truthy(_value(old_body, "lifecycle.prevent_destroy"))
    new_pd = _truthy(_value(new_body, "lifecycle.prevent_destroy"))
    if old_pd is True and new_pd is not True:
        side, line = ("new", _attr_line(sides.new, after, "prevent_destroy")) if new_pd is False else ("old", _attr_line(sides.old, before, "prevent_destroy"))  # type: ignore[arg-type]
        emit.emit("INFRA-TF-PREVENT-DESTROY-OFF", side, line,
                  f"{where}: lifecycle.prevent_destroy is {'set to false' if new_pd is False else 'removed'}, so a plan that destroys it now applies.")
    for name in ("deletion_protection", "deletion_protection_enabled", "termination_protection", "disable_api_termination"):
        old_v, new_v = _anywhere(old_body, name), _anywhere(new_body, name)
        if False in new_v and False not in old_v:
            emit.emit("INFRA-DELETION-PROTECTION-OFF", "new", _attr_line(sides.new, after, name),
                      f"{where}: `{name}` is {'switched off' if True in old_v else 'set to false'}; one mistaken apply or API call now deletes it.")
        elif True in old_v and True not in new_v and False not in new_v and before is not None:
            emit.emit("INFRA-DELETION-PROTECTION-OFF", "old", _attr_line(sides.old, before, name),
                      f"{where}: `{name} = true` is removed (the default is off); one mistaken apply or API call now deletes it.")
    if True in _anywhere(new_body, "force_destroy") and True not in _anywhere(old_body, "force_destroy"):
        emit.emit("INFRA-FORCE-DESTROY", "new", _attr_line(sides.new, after, "force_destroy"),
                  f"{where}: force_destroy = true lets Terraform delete it together with everything in it.")
    if True in _anywhere(new_body, "skip_final_snapshot") and True not in _anywhere(old_body, "skip_final_snapshot"):
        emit.emit("INFRA-BACKUP-WEAKENED", "new", _attr_line(sides.new, after, "skip_final_snapshot"),
                  f"{where}: skip_final_snapshot = true — when it is destroyed, no final snapshot is taken.")
    if 0 in _anywhere(new_body, "backup_retention_period", raw=True) and 0 not in _anywhere(old_body, "backup_retention_period", raw=True):
        emit.emit("INFRA-BACKUP-WEAKENED", "new", _attr_line(sides.new, after, "backup_retention_period"),
                  f"{where}: backup_retention_period = 0 turns automated backups off.")
    for path, value, old_value in _weakened_recovery(old_body, new_body):
        emit.emit("INFRA-BACKUP-WEAKENED", "new", _attr_line(sides.new, after, path[-1]),
                  f"{where}: `{'.'.join(path)}` is {_show(value)}, so an overwrite or delete can no longer be undone.")


RECOVERY_PATH = re.compile(r"versioning|point_in_time_recovery", re.IGNORECASE)
RECOVERY_OFF = (False, "false", "Suspended", "Disabled", "suspended", "disabled")


def _weakened_recovery(old_body: Any, new_body: Any) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """Versioning or point-in-time recovery switched off, at any depth (blocks, module inputs)."""
    old_values = dict(_leaves(old_body))
    for path, value in _leaves(new_body):
        if not RECOVERY_PATH.search(".".join(path)) or value not in RECOVERY_OFF:
            continue
        if old_values.get(path) not in RECOVERY_OFF:
            yield path, value, old_values.get(path)


def _leaves(body: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(body, dict):
        for name, value in body.items():
            if name != "__is_block__":
                yield from _leaves(value, path + (str(name),))
    elif isinstance(body, list):
        for item in body:
            yield from _leaves(item, path)
    else:
        yield path, body


def _anywhere(body: Any, key: str, raw: bool = False) -> list[Any]:
    """Every value of ``key`` at any depth (a guard may sit in a nested settings block or a module input)."""
    found: list[Any] = []
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for name, value in item.items():
                if name == key and not isinstance(value, (dict, list)):
                    if raw:
                        found.append(int(value) if isinstance(value, str) and value.isdigit() else value)
                    else:
                        found.append(_truthy(value))
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


# -- ingress --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Opening:
    cidr: str
    ports: tuple[Any, Any, Any]  # from, to, protocol


def _openings(block: Block) -> set[Opening]:
    """Ingress rules of the block that accept any address (egress is never counted)."""
    body = block.body
    rules: list[dict[str, Any]] = []
    if block.type in ("aws_security_group", "aws_default_security_group"):
        rules = [r for r in body.get("ingress") or [] if isinstance(r, dict)]
    elif block.type == "aws_security_group_rule" and str(body.get("type", "")).lower() == "ingress":
        rules = [body]
    elif block.type == "aws_vpc_security_group_ingress_rule":
        rules = [{**body, "cidr_blocks": [body.get("cidr_ipv4"), body.get("cidr_ipv6")]}]
    elif block.type == "google_compute_firewall" and str(body.get("direction", "INGRESS")).upper() == "INGRESS":
        ports = [p for allow in body.get("allow") or [] if isinstance(allow, dict) for p in (allow.get("ports") or ["0-65535"])]
        return {Opening(cidr, (str(port), str(port), "tcp")) for cidr in _flat(body.get("source_ranges")) if cidr in OPEN_CIDRS for port in ports or ["all"]}
    elif block.type in ("aws_security_group_rule", "aws_vpc_security_group_egress_rule", "aws_route", "aws_route_table"):
        return set()
    elif block.type == "azurerm_network_security_rule" or block.type == "azurerm_network_security_group":
        return _azure_openings(body)
    elif block.type == "aws_network_acl_rule":
        if _truthy(body.get("egress")) is True or str(body.get("rule_action", "allow")).lower() != "allow":
            return set()
        return _named_openings({k: v for k, v in body.items() if k != "egress"})
    elif block.kind == "variable":  # a module's default (variable "ingress_cidr_blocks" { default = [...] })
        return _named_openings(body, block.name)
    else:  # a module input (ingress_cidr_blocks …) or a type not listed
        return _named_openings(body)
    found = set()
    for rule in rules:
        for cidr in _flat(rule.get("cidr_blocks")) + _flat(rule.get("ipv6_cidr_blocks")):
            if cidr in OPEN_CIDRS:
                found.add(Opening(cidr, (rule.get("from_port"), rule.get("to_port"), rule.get("protocol", rule.get("ip_protocol")))))
    return found


# Settings whose open CIDR lets nothing in: where traffic goes out or is routed to.
EGRESS_WORDS = re.compile(r"egress|outbound|destination|route|nat_gateway|vpn", re.IGNORECASE)


def _named_openings(body: Any, path: str = "") -> set[Opening]:
    """Open CIDRs at any depth, unless the setting's path says egress, a destination or a route.

    Failing closed: an open CIDR in a setting this module has no table for (a module input, an
    EKS endpoint's public_access_cidrs, a NACL) is taken as an opening, as the line rule took it.
    """
    found: set[Opening] = set()
    if isinstance(body, dict):
        ports = (body.get("from_port"), body.get("to_port"), body.get("protocol"))
        for name, value in body.items():
            child = f"{path}.{name}"
            if isinstance(value, (dict, list)):
                found |= _named_openings(value, child)
            elif str(value) in OPEN_CIDRS and not EGRESS_WORDS.search(child):
                found.add(Opening(str(value), ports))
            elif isinstance(value, str) and not EGRESS_WORDS.search(child):
                found |= {Opening(c, ports) for c in OPEN_CIDRS if re.search(rf"(^|[\s,\"]){re.escape(c)}($|[\s,\"])", value)}
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, (dict, list)):
                found |= _named_openings(item, path)
            elif str(item) in OPEN_CIDRS and not EGRESS_WORDS.search(path):
                found.add(Opening(str(item), (None, None, None)))
    return found


def _azure_openings(body: dict[str, Any]) -> set[Opening]:
    rules = [body] if "direction" in body else [r for r in body.get("security_rule") or [] if isinstance(r, dict)]
    found = set()
    for rule in rules:
        if str(rule.get("direction", "")).lower() != "inbound" or str(rule.get("access", "Allow")).lower() != "allow":
            continue
        sources = _flat(rule.get("source_address_prefix")) + _flat(rule.get("source_address_prefixes"))
        for source in sources:
            if source in ("*", "0.0.0.0/0", "Internet", "Any"):
                port = rule.get("destination_port_range", "*")
                low, _, high = str(port).partition("-")
                found.add(Opening(source, (low if low != "*" else 0, (high or low) if low != "*" else 65535, "tcp")))
    return found


def _flat(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)] if value is not None else []


def _ingress(sides: FileSides, before: Block | None, after: Block, emit: Emitter) -> None:
    new_openings = _openings(after) - (_openings(before) if before else set())
    for opening in sorted(new_openings, key=lambda o: (o.cidr, str(o.ports))):
        exposed = _exposed(opening.ports)
        line = sides.new.locate(opening.cidr, *after.span) or _header_line(sides.new, after)
        if opening.ports[0] is None:
            ports = "the ports it lists"
        else:
            ports = f"port {opening.ports[0]}" if opening.ports[0] == opening.ports[1] else f"ports {opening.ports[0]}–{opening.ports[1]}"
        emit.emit("NET-OPEN-INGRESS", "new", line,
                  f"{after.address}: ingress from {opening.cidr} (anyone on the internet) on {ports}"
                  + (f", which exposes {exposed}." if exposed else "."),
                  severity="critical" if exposed else "high")


def _exposed(ports: tuple[Any, Any, Any]) -> str:
    low, high, protocol = ports
    try:
        low_n, high_n = int(low), int(high)
    except (TypeError, ValueError):
        return ""
    if str(protocol) in ("-1", "all") or (low_n <= 0 and high_n >= 65535):
        return "every port"
    names = [name for port, name in SENSITIVE_PORTS.items() if low_n <= port <= high_n]
    return ", ".join(names)


# -- IAM policy documents --------------------------------------------------------------------------------
@dataclass
class Policy:
    owner: Block
    statements: list[iam.Statement]
    trust: bool


class UnreadablePolicy(ValueError):
    """An inline policy document hcl2 or json cannot read: the file falls back to line rules."""


def _documents(module: Module) -> Iterator[Policy]:
    for block in module.blocks.values():
        if block.kind == "data" and block.type == "aws_iam_policy_document":
            statements = iam.from_policy_document_block(block.body)
            yield Policy(block, statements, iam.is_trust_policy(statements))
            continue
        for name, value in _strings_with_keys(block.body):
            document = _embedded_document(value)
            if document is None:
                continue
            statements = iam.from_json_document(document)
            if statements:
                trust = name == "assume_role_policy" or iam.is_trust_policy(statements)
                yield Policy(block, statements, trust)


def _strings_with_keys(body: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(body, dict):
        for name, value in body.items():
            yield from _strings_with_keys(value, name)
    elif isinstance(body, list):
        for item in body:
            yield from _strings_with_keys(item, key)
    elif isinstance(body, str):
        yield key, body


def _embedded_document(value: str) -> Any:
    """A policy written inline: ``jsonencode({...})`` or a JSON string / heredoc."""
    stripped = value.strip()
    match = JSONENCODE.match(stripped)
    looks_like_policy = "Statement" in stripped and ("Action" in stripped or "Principal" in stripped)
    if match:
        import hcl2
        from hcl2.utils import SerializationOptions

        options = SerializationOptions(with_comments=False, strip_string_quotes=True)
        try:
            return hcl2.loads(f"v = {match.group(1)}\n", serialization_options=options).get("v")
        except Exception as exc:  # noqa: BLE001 - hcl2 raises lark errors of many kinds
            if looks_like_policy:
                raise UnreadablePolicy("a jsonencode() policy document could not be read") from exc
            return None
    if stripped.startswith("{") and looks_like_policy:
        # hcl2 hands a heredoc's text back with the string escapes of an HCL literal (\" for ").
        for candidate in (stripped, re.sub(r'\\(["\\])', r"\1", stripped)):
            try:
                return json.loads(candidate)
            except ValueError:
                continue
        raise UnreadablePolicy("a JSON policy document could not be read")
    return None


def _policies(sides: FileSides, old: Module, new: Module, emit: Emitter) -> None:
    before = {(p.trust, s) for p in _documents(old) for s in p.statements}
    # The same grant (effect and actions) as before, by what it was scoped to: a statement whose
    # resources go from named ARNs to "*" is a widening of an existing grant, not a new one.
    scoped_before = {(trust, s.effect, frozenset(s.actions)): s for trust, s in before if s.resources and "*" not in s.resources}
    conditioned_before = [s for trust, s in before if not trust and s.effect == "allow" and s.conditions and s.actions]
    free_before = {a.lower() for trust, s in before if not trust and s.effect == "allow" and not s.conditions for a in s.actions}
    for policy in _documents(new):
        for statement in policy.statements:
            if (policy.trust, statement) in before:
                continue  # the statement was there already
            was_scoped = scoped_before.get((policy.trust, statement.effect, frozenset(statement.actions)))
            if _condition_dropped(sides, policy, statement, conditioned_before, free_before, emit):
                continue
            for verdict in iam.judge(statement, policy.trust):
                if verdict.rule == "IAM-RESOURCE-WILDCARD" and was_scoped is not None and "*" in statement.resources:
                    line = sides.new.locate(re.compile(r'resources\s*=\s*\[?\s*"\*"|^\s*"\*",?\s*$'), *policy.owner.span)
                    if line:
                        emit.emit(verdict.rule, "new", line,
                                  f"{policy.owner.address} (policy): write actions scoped to {was_scoped.resources[0]}"
                                  f"{' and others' if len(was_scoped.resources) > 1 else ''} now apply to every resource (\"*\"). {verdict.message}",
                                  severity="high")
                        continue
                needle = re.compile(rf'"{re.escape(verdict.culprit)}"|=\s*{re.escape(verdict.culprit)}\s*$')
                line = sides.new.locate(needle, *policy.owner.span) or _header_line(sides.new, policy.owner)
                kind = "trust policy" if policy.trust else "policy"
                emit.emit(verdict.rule, "new", line, f"{policy.owner.address} ({kind}): {verdict.message}", severity=verdict.severity)
    _public_members(sides, old, new, emit)


def _condition_dropped(sides: FileSides, policy: Policy, statement: iam.Statement, conditioned_before: list[iam.Statement],
                       free_before: set[str], emit: Emitter) -> bool:
    """Write actions that were granted only under a condition are now granted without one.

    A statement split or rewritten so that some of its actions lose the condition (a tag, a source
    account, MFA) widens them to every resource its ARNs match, whoever tagged them.
    """
    if policy.trust or statement.effect != "allow" or statement.conditions or not statement.actions:
        return False
    actions = {a.lower() for a in statement.actions}
    if any(a.endswith(":*") or a == "*" for a in actions):
        return False  # the wildcard rules judge it
    if actions <= free_before:
        return False  # these actions were already granted without a condition (on some resources)
    for previous in conditioned_before:
        if actions <= {a.lower() for a in previous.actions} and not all(
                iam.READ_ONLY_VERB.match(a.partition(":")[2]) for a in actions):
            needle = re.compile(rf'"{re.escape(statement.actions[0])}"')
            line = sides.new.locate(needle, *policy.owner.span) or _header_line(sides.new, policy.owner)
            emit.emit("IAM-CONDITION-REMOVED", "new", line,
                      f"{policy.owner.address} (policy): {', '.join(statement.actions)} was granted only under a condition "
                      "and is now granted without one: every resource its ARNs match is in reach, whoever owns or tagged it.")
            return True
    return False


def _public_members(sides: FileSides, old: Module, new: Module, emit: Emitter) -> None:
    """GCP IAM bindings to allUsers / allAuthenticatedUsers (anyone on the internet)."""
    for address, block in new.blocks.items():
        members = _flat(block.body.get("member")) + _flat(block.body.get("members"))
        public = [m for m in members if m in ("allUsers", "allAuthenticatedUsers")]
        if not public:
            continue
        previous = old.blocks.get(address)
        if previous and set(public) <= set(_flat(previous.body.get("member")) + _flat(previous.body.get("members"))):
            continue
        line = sides.new.locate(public[0], *block.span) or _header_line(sides.new, block)
        emit.emit("IAM-PUBLIC-PRINCIPAL", "new", line, f"{address}: grants {block.body.get('role', 'a role')} to {public[0]} (anyone).")
