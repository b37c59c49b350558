"""Terraform (HCL) by structure: both sides parsed with python-hcl2, resources compared by address.

Judged: resources removed (a destroy on the next apply; with a whole module folder that no configuration
of the repository called, a failing ``terraform init`` for callers instead) or renamed without a ``moved`` block;
arguments that force replacement (resources/structure/terraform.toml); a ``count`` (or a local
used as one) that takes other values for existing configurations; an input a block used that a new
variable now gates off by default; guards switched off (prevent_destroy, deletion_protection,
skip_final_snapshot, force_destroy, backups, versioning); ingress opened to the internet (ingress
only: an open egress is the default; a network ACL rule is low or medium, security groups still
decide); IAM policy documents as statements (iam.py), judging only what a rewritten statement
adds; in a KMS key policy (a document only key resources' ``policy`` use) ``Resource "*"`` is that key. A
statement whose only edit is its principal's expression is judged by what the principal evaluates to. A breaking finding on a resource the nearest release's copy of the module does not declare (added
since, removed or renamed before the next release) is medium, saying which release lacks it (releases.py);
a recovery setting a new option turns off by default, where the module set no such setting before, is
medium too. A modified file needs both whole sides: from a patch alone the
hunks of a block cannot be told apart from their resource, so the line rules judge it and say so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from reviewer_app.core.model import FileDiff, FileStatus
from reviewer_app.core.risk.structure import ChangeContext, iam, tf_defaults, tf_eval
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
    unparsed: set[str] = field(default_factory=set)  # removed resources known by their header only (body did not parse)


Chunk = tuple[tuple[str, str, str], int, int]  # (block key, first line index, end line index)


_HEREDOC_START = re.compile(r"<<-?\s*([A-Za-z_]\w*)\s*$")
_TEMPLATE_LINE = re.compile(r"^\s*(\{%-?\s|\{\{\s*\w)")


def _readable(side: Side, chunks: list[Chunk], touched: set[tuple[str, str, str]]) -> bool:
    """Whether the touched blocks of one side parse."""
    try:
        _parse(side, chunks, touched)
    except Exception:  # noqa: BLE001 - hcl2 raises lark and value errors of many kinds
        return False
    return True


def _template_source(side: Side) -> bool:
    """A line that opens with a Jinja statement or expression outside any heredoc: Terraform itself
    refuses such a file, so it is a template rendered into Terraform elsewhere (a generator's
    ``autogen/`` sources), not a file Terraform applies; nothing the parser missed runs as written."""
    marker = None
    for line in side.text.splitlines():
        if marker is not None:
            if line.strip() == marker:
                marker = None
            continue
        if _TEMPLATE_LINE.match(line):
            return True
        opened = _HEREDOC_START.search(line)
        if opened:
            marker = opened.group(1)
    return False


def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    if not sides.complete:
        return Parsed(False, "only the diff's hunks were available, so Terraform structure was not analysed and line rules judged this file")
    # Only the top-level blocks the change touched (on either side) are parsed: a one-line change
    # to a 2,000-line policies.tf parses one block per side, not the whole file twice.
    old_chunks = _chunks(sides.old) if sides.old.exists else []
    new_chunks = _chunks(sides.new) if sides.new.exists else []
    touched = {key for side, chunks in ((sides.old, old_chunks), (sides.new, new_chunks))
               for key, start, end in chunks if any(side.real_line(i) in side.changed for i in range(start, end))}
    # A null_resource or terraform_data block the change removes whole is judged by its header and text
    # when its body does not parse (Terraform 0.11 syntax): the old side is history, not the change's to
    # shape, and such a block holds nothing but its provisioners. Any other unreadable block keeps the file
    # with the line rules (fail closed).
    new_keys = {key for key, _, _ in new_chunks}
    gone = {key for key, _, _ in old_chunks if key[0] == "resource" and key[1] in STATE_ONLY and key[2] and key not in new_keys}
    try:
        old = _parse(sides.old, old_chunks, touched, gone) if sides.old.exists else Module({}, [], set())
        new = _parse(sides.new, new_chunks, touched) if sides.new.exists else Module({}, [], set())
    except Exception as exc:  # noqa: BLE001 - hcl2 raises lark and value errors of many kinds
        if any(_template_source(side) for side in (sides.old, sides.new) if side.exists):
            return Parsed(False, "the file is a template (a line of Jinja `{% … %}` or `{{ … }}`), not Terraform "
                                 "until it is rendered, so line rules judged it")
        return Parsed(False, f"the file did not parse as Terraform ({type(exc).__name__}), so line rules judged it",
                      unread="before" if sides.old.exists and not _readable(sides.old, old_chunks, touched) else "change")
    table = data_table("terraform.toml")
    holding = set(table["data_holding"])
    # Terraform reads every .tf file of a folder as one module: `moved` and `removed` blocks the change
    # adds in another file of this folder (a moved.tf beside the renames) count as this file's.
    sibling_moved, sibling_removed = _sibling_refactoring(sides, context)
    new.moved += sibling_moved
    new.removed |= sibling_removed
    values = _Values(sides, old_chunks, new_chunks, context, old, new)
    _removed_and_renamed(sides, old, new, emit, context, holding, values)
    for address, block in new.blocks.items():
        before = old.blocks.get(address)
        if block.kind == "resource" and before is not None:
            _replacement(sides, before, block, emit, table["replace"].get(block.type, []), holding, context, values)
            _rekeyed(sides, before, block, emit, holding, new.moved, values)
            _count_changed(sides, before, block, emit, holding, values)
        if block.kind in ("resource", "module") and before is not None:
            _input_ignored(sides, before, block, emit, values)
        _guards(sides, before, block, emit, context)
        _ingress(sides, before, block, emit)
    _count_locals_changed(sides, old, new, emit, holding, values)
    _moved_blocks_removed(sides, old, new, emit, context)
    _defaults_adopted(sides, old, new, emit, table.get("adopting", []))
    _default_resources_adopted(sides, old, new, emit)
    try:
        _policies(sides, old, new, emit, values)
    except UnreadablePolicy as exc:
        return Parsed(False, f"{exc}, so line rules judged this file")
    _lower_unreleased(sides, emit, context)
    return Parsed(True)


def _options() -> Any:
    from hcl2.utils import SerializationOptions

    return SerializationOptions(with_comments=False, strip_string_quotes=True, preserve_heredocs=False)


def _parse(side: Side, chunks: list[Chunk], touched: set[tuple[str, str, str]],
           gone: set[tuple[str, str, str]] = frozenset()) -> Module:  # type: ignore[assignment]
    """The touched blocks of one side parsed (each alone), every resource known by its header.

    When a block does not parse alone (a header-looking line inside a heredoc split it), the whole
    side is parsed instead, which raises when the file is not Terraform. A block of ``gone`` (resources
    the other side no longer declares) that does not parse stays known by its header only, in
    ``unparsed``: its removal is judged from its type and text.
    """
    import hcl2

    wanted = [(key, start, end) for key, start, end in chunks
              if (key in touched and key[0] not in UNJUDGED) or key[0] in ("moved", "removed")]
    module = Module({}, [], set())
    unparsed: set[str] = set()
    try:
        for key, start, end in wanted:
            if key in gone:
                try:
                    document = hcl2.loads("\n".join(side.lines[start:end]) + "\n", serialization_options=_options())
                except Exception:  # noqa: BLE001 - judged by its header and text
                    unparsed.add(f"{key[1]}.{key[2]}")
                    continue
                _collect(document, module, (start, end), key)
                continue
            document = hcl2.loads("\n".join(side.lines[start:end]) + "\n", serialization_options=_options())
            _collect(document, module, (start, end), key)
    except Exception:  # noqa: BLE001 - retried on the whole text below
        module, unparsed = Module({}, [], set()), set()
        _collect(hcl2.loads(side.text, serialization_options=_options()), module, None, None, _spans(side))
    module.unparsed = unparsed
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
# A moved or removed block's body holds no braces (addresses index with brackets), so it ends at the first "}".
_REFACTOR_BLOCK = re.compile(r"^\s*(moved|removed)\s*\{([^}]*)\}", re.MULTILINE)
_FROM = re.compile(r"^\s*from\s*=\s*([^\s#]+)", re.MULTILINE)
_TO = re.compile(r"^\s*to\s*=\s*([^\s#]+)", re.MULTILINE)


def _sibling_refactoring(sides: FileSides, context: ChangeContext) -> tuple[list[tuple[str, str]], set[str]]:
    """The ``moved`` (from, to) and ``removed`` addresses added, as whole blocks, to the other .tf files
    of this file's folder in the same change. Read from the added lines only: a block the change
    deletes there does not count, and one merely kept is not the change's to credit."""
    folder = posixpath.dirname(sides.diff.path)
    moved: list[tuple[str, str]] = []
    removed: set[str] = set()
    for diff in context.change.files:
        path = diff.new_path
        if diff is sides.diff or not path or not path.endswith(".tf") or posixpath.dirname(path) != folder:
            continue
        added = "\n".join(line.text for hunk in diff.hunks for line in hunk.lines if line.kind.value == "+")
        for kind, body in _REFACTOR_BLOCK.findall(added):
            source, target = _FROM.search(body), _TO.search(body)
            if source is None:
                continue
            if kind == "removed":
                if not re.search(r"\bdestroy\s*=\s*true\b", body):  # destroy = true still destroys
                    removed.add(source.group(1))
            elif target is not None:
                moved.append((source.group(1), target.group(1)))
    return moved, removed


def _likeliest_target(block: Block, candidates: list[Block], moved_to: set[str]) -> Block:
    """The added block of the same type the removed one most likely became, for the message: one no
    `moved` block already accounts for, with the most alike name (kebab-case and snake_case alike)."""
    from difflib import SequenceMatcher

    def plain(name: str) -> str:
        return name.lower().replace("-", "_")

    free = [candidate for candidate in candidates if candidate.address not in moved_to] or candidates
    return max(free, key=lambda candidate: SequenceMatcher(None, plain(block.name), plain(candidate.name)).ratio())


def _removed_and_renamed(sides: FileSides, old: Module, new: Module, emit: Emitter, context: ChangeContext,
                         holding: set[str], values: _Values | None = None) -> None:
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
        if values is not None and _never_instantiated(values, block):
            emit.emit("TF-RENAME-WITHOUT-MOVED" if candidates else "INFRA-TF-RESOURCE-REMOVED", "old", line,
                      f"{address} is {'renamed' if candidates else 'removed'}, but its `count` is 0 under the module's defaults and "
                      "every representative input (lists of 1 to 3 elements, each flag both ways): no existing deployment has an "
                      "instance of it, so nothing is destroyed.", severity="low")
            continue
        if candidates:
            target = _likeliest_target(block, candidates, {target for _, target in new.moved})
            emit.emit("TF-RENAME-WITHOUT-MOVED", "old", line,
                      f"{address} is renamed to {target.address} without a `moved` block: the next apply destroys "
                      f"{address} and creates {target.address} empty"
                      + (" (it holds data)." if data else ".") + f" Add `moved {{ from = {address} to = {target.address} }}`.",
                      severity="critical" if data else "low" if ephemeral else "high")
            continue
        folder = _folder_gone_uncalled(sides, context)
        if folder is not None:
            emit.emit("INFRA-TF-RESOURCE-REMOVED", "old", line,
                      f"The resource {address} is removed with its whole module folder {folder}/, which no configuration of "
                      "this repository called (outside examples and tests): a caller's `source` no longer resolves, so "
                      "`terraform init` fails before any plan, and nothing is destroyed. Lowered to "
                      + ("medium: it holds data, and a caller who drops the module call to get past init destroys it in "
                         "that plan." if data else "low: a caller who drops the module call to get past init sees the "
                         "destroy in that plan."),
                      severity="medium" if data else "low")
            continue
        swap = _swapped_for(block, new, added_by_type, values) if not data and not ephemeral else None
        if swap is not None:
            emit.emit("INFRA-TF-RESOURCE-REMOVED", "old", line,
                      f"The resource {address} is removed and replaced in the same change by {swap.address}, which takes "
                      f"the same `count` and the same values ({_show_leaves(_leaf_strings(swap.body))}); its `count` is 0 "
                      "under the module's defaults, so only callers who turned the switch on see the old object destroyed and "
                      "the new one created in the same apply (briefly without it in between).", severity="medium")
            continue
        unread = (" (Its body did not parse as Terraform, so it was read by its header and text.)"
                  if address in old.unparsed else "")
        if ephemeral and _destroy_provisioner(sides.old, block):
            emit.emit("INFRA-TF-RESOURCE-REMOVED", "old", line,
                      f"The resource {address} is removed: the next `terraform apply` destroys it, and its destroy-time "
                      "provisioner (`when = destroy`) runs its command then." + unread, severity="high")
            continue
        elsewhere = _declared_in_other_folder(block, context, sides)
        if elsewhere:
            unread += (f" The same block is added in {elsewhere}, another module folder: there it has another address "
                       "(module.<name>.…), so Terraform creates it anew unless the state is moved (`terraform state mv`, "
                       "or a `moved` block in the calling configuration).")
        emit.emit("INFRA-TF-RESOURCE-REMOVED", "old", line,
                  f"The resource {address} is removed: the next `terraform apply` destroys it"
                  + (", and it holds data (database, bucket, key or cluster)." if data else ".")
                  + ((f" A {block.type} holds no object outside Terraform's state and this one has no destroy-time "
                      "provisioner, so its removal destroys nothing real; low." if block.type in STATE_ONLY else
                      " It is a helper (a random value, a timer or a local file), not a cloud object; low.") if ephemeral else
                     " prevent_destroy does not protect a block that is gone; a `removed` block with destroy = false forgets it instead.")
                  + unread,
                  severity="critical" if data else "low" if ephemeral else "high")


# Resource types whose destruction only drops their entry from the state (no provider-side object).
STATE_ONLY = ("null_resource", "terraform_data")
_WHEN_DESTROY = re.compile(r"\bwhen\s*=\s*\"?destroy\b")


def _destroy_provisioner(side: Side, block: Block) -> bool:
    """The block's text (on ``side``) holds a destroy-time provisioner: removing it runs that command."""
    start, end = block.span
    return any(_WHEN_DESTROY.search(text) for text in side.lines[start:end])


# -- what no release holds ---------------------------------------------------------------------------
# A resource added to a released file after the release and removed, renamed or replaced before the next
# one is in no installation's state (releases.py says when a tag counts as the release).
UNRELEASED_RULES = ("TF-RENAME-WITHOUT-MOVED", "INFRA-TF-RESOURCE-REMOVED", "TF-FORCES-REPLACEMENT")


def _ere(text: str) -> str:
    from reviewer_app.core.risk.releases import ere_literal

    return ere_literal(text)


def _block_at(side: Side, line: int) -> tuple[str, str, str] | None:
    """The (kind, type, name) of the top-level block holding real line ``line`` of ``side``."""
    try:
        index = side.numbers.index(line)
    except ValueError:
        return None
    for key, start, end in _chunks(side):
        if start <= index < end:
            return key
    return None


def _lower_unreleased(sides: FileSides, emit: Emitter, context: ChangeContext) -> None:
    """Breaking findings on a resource (or module call) that the nearest release's copy of this module folder
    does not declare, and that nothing the change keeps moves into: medium, saying why (fail closed)."""
    from reviewer_app.core.risk.rules import SEVERITY_RANK

    pending = [(index, finding) for index, finding in enumerate(emit.findings)
               if finding.rule in UNRELEASED_RULES and SEVERITY_RANK[finding.severity] > SEVERITY_RANK["medium"]]
    diff, change = sides.diff, context.change
    if not pending or not change.head or not diff.old_path:
        return
    folder = posixpath.dirname(diff.old_path)
    if diff.new_path and posixpath.dirname(diff.new_path) != folder:
        return  # the file changed module: its old addresses are another module's
    from reviewer_app.core.risk import releases

    memo = context.memo("releases")
    glob = f":(glob){folder + '/' if folder else ''}*.tf"
    for index, finding in pending:
        found = releases.release_to_compare(change, emit.rules, finding.rule, memo)
        if found is None:
            continue
        repo, release = found
        if ("file", release, diff.old_path) not in memo:
            memo[("file", release, diff.old_path)] = releases.file_in_release(repo, release, diff.old_path)
        if not memo[("file", release, diff.old_path)]:
            continue  # no release holds the file at all: releases.py lowers, saying so
        block = _block_at(sides.old if finding.side == "old" else sides.new, finding.line)
        if block is None or block[0] not in ("resource", "module") or not block[1]:
            continue
        kind, rtype, name = block
        if kind == "resource":
            address = f"{rtype}.{name}"
            header = rf'^[[:space:]]*resource[[:space:]]+"?{_ere(rtype)}"?[[:space:]]+"?{_ere(name)}"?([[:space:]]|\{{|$)'
        else:
            address, name = f"module.{rtype}", rtype
            header = rf'^[[:space:]]*module[[:space:]]+"?{_ere(name)}"?([[:space:]]|\{{|$)'
        moved_in = rf"^[[:space:]]*to[[:space:]]*=[[:space:]]*{_ere(address)}([[:space:]]|\[|#|$)"
        key = (release, folder, address)
        if key not in memo:
            memo[key] = (releases.release_lacks(repo, f"refs/tags/{release}", header, (glob,))
                         and releases.release_lacks(repo, f"refs/tags/{release}", _ere(name), (glob + ".json",))
                         and releases.release_lacks(repo, change.head, moved_in, (glob,)))
        if memo[key]:
            where = f"{folder}/" if folder else "the root module"
            emit.findings[index] = dataclasses.replace(finding, severity="medium", message=releases.lowered_message(
                finding.message, f"{address} is in no release yet (the nearest release before this change, {release}, "
                f"declares no such {'resource' if kind == 'resource' else 'module call'} in {where}, and no `moved` "
                "block of this change leads into it)"))


# Folders whose configurations are not run by an existing install (examples, tests, fixtures).
_NOT_RUN = re.compile(r"(^|/)(examples?|example[-_][^/]*|samples?|tests?|testing|test[-_]fixtures?|fixtures)/", re.IGNORECASE)
_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"')
_FOLDERS_GONE: dict[tuple[str, str, str, str], bool] = {}


def _folder_gone_uncalled(sides: FileSides, context: ChangeContext) -> str | None:
    """The module folder of a file deleted whole, when the change deletes every ``.tf`` file of that folder and no
    configuration of the repository outside examples and tests called it (a ``module`` block whose local
    ``source`` resolves to it) on the old side; None otherwise, and whenever git cannot tell (fail closed).

    Such a folder is a submodule for callers elsewhere: their ``source`` stops resolving and ``terraform init``
    fails. Called from the repository's own configuration, its resources are destroyed with the call.
    """
    if sides.new.exists:
        return None
    folder = posixpath.dirname(sides.diff.old_path or sides.diff.path)
    change = context.change
    if not folder or _NOT_RUN.search(folder + "/") or not change.base or not change.head:
        return None
    from reviewer_app.core.risk.structure.texts import repository_for

    repo = repository_for(change.base, change.head)
    if repo is None:
        return None
    key = (str(repo), change.base, change.head, folder)
    if key not in _FOLDERS_GONE:
        if len(_FOLDERS_GONE) > 256:
            _FOLDERS_GONE.clear()
        _FOLDERS_GONE[key] = _gone_and_uncalled(repo, change.base, change.head, folder)
    return folder if _FOLDERS_GONE[key] else None


def _gone_and_uncalled(repo: Any, base: str, head: str, folder: str) -> bool:
    from reviewer_app.core.gitcmd import run_git
    from reviewer_app.core.risk.structure.texts import git_output
    from reviewer_app.errors import UserError

    remaining = git_output(repo, "ls-tree", "-r", "--name-only", "-z", head, "--", f"{folder}/")
    if remaining is None or any(path.endswith(".tf") for path in remaining.decode("utf-8", "replace").split("\0")):
        return False  # unreadable, or the folder still holds Terraform: not a folder deleted whole
    try:
        proc = run_git(repo, "grep", "-I", "-n", "-E", '^[[:space:]]*source[[:space:]]*=[[:space:]]*"[.]{1,2}/', base, "--",
                       "*.tf", check=False, timeout=30)
    except (UserError, OSError):
        return False
    if proc.returncode not in (0, 1):
        return False  # git grep failed (1 is "no match")
    prefix = f"{base}:"
    for entry in proc.stdout.decode("utf-8", "replace").splitlines():
        if not entry.startswith(prefix):
            return False  # not the shape read here: fail closed
        path, _, rest = entry[len(prefix):].partition(":")
        _, _, text = rest.partition(":")
        match = _LOCAL_SOURCE.match(text)
        if match is None or _NOT_RUN.search(path):
            continue
        caller = posixpath.dirname(path)
        if caller == folder or caller.startswith(folder + "/"):
            continue  # the folder's own files (its nested modules) go with it
        target = posixpath.normpath(posixpath.join(caller, match.group(1).split("//")[0]))
        if target == folder or folder.startswith(target + "/") or target.startswith(folder + "/"):
            return False  # a configuration of the repository calls it (or a folder around or inside it)
    return True


def _leaf_strings(body: Any) -> set[str]:
    """The argument values of a block, flattened to strings (lists unwrapped, ``${…}`` interpolation of a
    single reference unwrapped), without ``count``/``for_each``/``name``/``tags``/``depends_on``."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key not in ("__is_block__",):
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        elif value is not None:
            text = str(value).strip()
            match = re.fullmatch(r"\$\{([^{}]*)\}", text)
            found.add(match.group(1).strip() if match else text)

    for key, value in (body or {}).items():
        if key not in ("count", "for_each", "name", "tags", "depends_on", "lifecycle", "provider", "__is_block__"):
            walk(value)
    return found


def _swapped_for(block: Block, new: Module, added_by_type: dict[str, list[Block]], values: _Values | None) -> Block | None:
    """The resource the change adds in place of ``block``: another type under the same name, with the same
    ``count``/``for_each`` and every value of its arguments taken from the removed one (the same role and
    policy through another resource type), when the shared ``count`` is 0 under the module's defaults
    (a switch that is off unless the caller turned it on). None otherwise."""
    if values is None or "count" not in block.body or "for_each" in block.body:
        return None
    old_values = _leaf_strings(block.body)
    for candidates in added_by_type.values():
        for other in candidates:
            if other.kind != "resource" or other.name != block.name or other.type == block.type:
                continue
            if _flat_text(other.body.get("count")) != _flat_text(block.body.get("count")) or "for_each" in other.body:
                continue
            mine = _leaf_strings(other.body)
            if not mine or not mine <= old_values:
                continue
            modules = values.modules
            if modules is None:
                return None
            try:
                count = tf_eval.count_value(tf_eval.from_hcl2(block.body["count"]), tf_eval.Env(modules[0], {}))
            except Exception:  # noqa: BLE001 - unknown or failing under the defaults: not judged off, keep high
                return None
            return other if count == 0 else None
    return None


def _files_adding(block: Block, context: ChangeContext) -> list[FileDiff]:
    """The files of the change whose added lines declare the same resource block (type and name)."""
    pattern = re.compile(rf'^\s*resource\s+"{re.escape(block.type)}"\s+"{re.escape(block.name)}"', re.MULTILINE)
    if not pattern.search(context.added_text):
        return []
    return [diff for diff in context.change.files if diff.new_path and pattern.search("\n".join(
        line.text for hunk in diff.hunks for line in hunk.lines if line.kind.value == "+"))]


def _declared_elsewhere(block: Block, context: ChangeContext, sides: FileSides) -> bool:
    # Re-added in this same file counts only when the new side has it (it does not, or we would not be here).
    # Only a file of the same folder declares the same address: Terraform reads a folder as one module,
    # and a block moved into another folder (a submodule) is another address, destroyed and created.
    folder = posixpath.dirname(sides.diff.old_path or sides.diff.path)
    return any(diff is not sides.diff and posixpath.dirname(diff.new_path or "") == folder
               for diff in _files_adding(block, context))


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


def _declared_in_other_folder(block: Block, context: ChangeContext, sides: FileSides) -> str:
    """The path of a file in another folder to which the change adds the same resource block, or ""."""
    folder = posixpath.dirname(sides.diff.old_path or sides.diff.path)
    return next((diff.new_path for diff in _files_adding(block, context)
                 if diff.new_path and posixpath.dirname(diff.new_path) != folder), "")


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
                 context: ChangeContext, values: _Values | None = None) -> None:
    defaults: dict[str, Any] | None = None
    table = data_table("terraform.toml")
    unset_defaults = table.get("unset_default", {}).get(after.type, {})
    for argument in arguments:
        old_value, new_value = _value(before.body, argument), _value(after.body, argument)
        if json.dumps(old_value, sort_keys=True, default=str) == json.dumps(new_value, sort_keys=True, default=str):
            continue
        # Made configurable with new variables whose defaults render the old value: existing
        # callers see no change, so nothing is replaced. Unset is the provider's default, where it has one.
        defaults = tf_defaults.new_variable_defaults(context.change) if defaults is None else defaults
        if json.dumps(_or_default(tf_defaults.render(old_value, defaults), argument, unset_defaults), sort_keys=True, default=str) == \
                json.dumps(_or_default(tf_defaults.render(new_value, defaults), argument, unset_defaults), sort_keys=True, default=str):
            continue
        if _same_per_index(old_value, new_value):
            continue
        if _dynamic_of_same(before.body, after.body, argument) or _dynamic_of_same(after.body, before.body, argument):
            continue  # the blocks written as a `dynamic` block over the same collection: the same blocks
        kept = argument in table.get("kept_when_unset", {}).get(after.type, [])
        if kept and new_value is None:
            continue  # optional and computed, now unset: the provider keeps the value on record
        placement = argument in table.get("unset_is_default_network", {}).get(after.type, [])
        verdict = _evaluated_argument(values, before, after, argument, unset_defaults.get(argument), kept, placement) \
            if values is not None else tf_eval.Verdict("unknown")
        if verdict.status == "same":
            continue  # every existing instance evaluates to the same value under every input tried
        if verdict.status == "set-where-unset":
            emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, argument),
                      f"{after.address}: `{argument}` is now set where it was unset ({verdict.witness}). Lowered to medium: "
                      f"the provider computes `{argument}` when it is unset and keeps the value on record, so this replaces "
                      f"the {after.type} only where the new value differs from that record (the value given or chosen when "
                      f"it was created), which the module cannot know"
                      + (" — where it differs, its data does not come along." if after.type in holding else "."),
                      severity="medium")
            continue
        if verdict.status == "unset-by-default":
            emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, argument),
                      f"{after.address}: `{argument}` is now unset under the module's defaults ({_show(old_value)} → "
                      f"{_show(new_value)}; {verdict.witness}). Not a replacement: `{argument}` is optional and computed, so "
                      f"existing {after.type} objects keep the value on record; but every new one created with the module's "
                      f"defaults lands in the account's default network (the default VPC or subnet) instead of the one it got before.",
                      severity="high")
            continue
        if verdict.status == "unknown" and _undecidable(verdict):
            side, line = ("new", _attr_line(sides.new, after, argument)) if new_value is not None else ("old", _attr_line(sides.old, before, argument))
            emit.emit("TF-FORCES-REPLACEMENT", side, line,
                      f"{after.address}: `{argument}` may force replacement: the expression changed ({_show(old_value)} → "
                      f"{_show(new_value)}) and its value could not be computed for existing configurations ({verdict.reason}). "
                      f"Lowered to medium: where the value does change, the next apply destroys the {after.type} and creates a new one"
                      + (" — its data does not come along." if after.type in holding else "."),
                      severity="medium")
            continue
        if verdict.status == "opt-in":
            emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, argument) if new_value is not None
                      else _attr_line(sides.old, before, argument),
                      f"{after.address}: `{argument}` is the same for every existing caller (the input "
                      f"{verdict.reason} keeps its default: it is new, or was declared before but read nowhere, so no existing "
                      f"caller's setting of it did anything); a caller who turns "
                      f"it on asks for the new value, which replaces the {after.type} ({verdict.witness}).",
                      severity="low")
            continue
        data = after.type in holding
        side, line = ("new", _attr_line(sides.new, after, argument)) if new_value is not None else ("old", _attr_line(sides.old, before, argument))
        emit.emit("TF-FORCES-REPLACEMENT", side, line,
                  f"{after.address}: `{argument}` changes ({_show(old_value)} → {_show(new_value)})"
                  + (f"; {verdict.witness}" if verdict.status == "differs" else "")
                  + f"; this argument forces replacement, so the next apply destroys the {after.type} and creates a new one"
                  + (" — its data does not come along." if data else "."),
                  severity="critical" if data else "high")


def _or_default(value: Any, argument: str, unset_defaults: dict[str, Any]) -> Any:
    """An argument's rendered value, unset read as the provider's default when the table knows it."""
    return unset_defaults[argument] if value is None and argument in unset_defaults else value


def _undecidable(verdict: tf_eval.Verdict) -> bool:
    """The evaluator read the module and could not decide equality (a function, a module output, a value it
    cannot represent); not when it had nothing to read (no repository, inputs the module does not declare),
    where the finding keeps its severity."""
    return bool(verdict.reason) and verdict.reason != "no repository" and "is not declared" not in verdict.reason


def _dynamic_of_same(attribute_side: dict[str, Any], dynamic_side: dict[str, Any], argument: str) -> bool:
    """``argument = <collection>`` on one side, ``dynamic "argument" { for_each = <collection> }`` on the other.

    The content must pass every attribute of the element through under its own name
    (``it.value.name`` or ``lookup(it.value, "name", null)``): then each element gives the block it gave.
    """
    value = attribute_side.get(argument)
    if value is None or attribute_side.get("dynamic") or argument in dynamic_side:
        return False
    for entry in dynamic_side.get("dynamic") or []:
        block = entry.get(argument) if isinstance(entry, dict) else None
        if not isinstance(block, dict):
            continue
        if _bare(block.get("for_each")) != _bare(value if not isinstance(value, list) or len(value) != 1 else value[0]):
            return False
        iterator = _bare(block.get("iterator")) or argument
        contents = block.get("content") or []
        content = contents[0] if isinstance(contents, list) and len(contents) == 1 else contents
        if not isinstance(content, dict):
            return False
        for key, item in content.items():
            if key == "__is_block__":
                continue
            text = _bare(item)
            through = (rf"{re.escape(iterator)}\.value\.{re.escape(key)}",
                       rf'lookup\({re.escape(iterator)}\.value,"{re.escape(key)}",null\)')
            if not any(re.fullmatch(form, text) for form in through):
                return False
        return True
    return False


def _bare(value: Any) -> str:
    """An expression's text without interpolation marks or white space (``${var.x}`` and ``var.x`` alike)."""
    text = _flat_text(value) if value is not None else ""
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


INDEXED = re.compile(r"element\(concat\(((?:var|local)\.[\w-]+),(\[[^\[\]]*\]|list\([^()]*\))\),count\.index\)"
                     r"|element\(((?:var|local)\.[\w-]+),count\.index\)"
                     r"|((?:var|local)\.[\w-]+)\[count\.index\]")


def _same_per_index(old_value: Any, new_value: Any) -> bool:
    """``list[count.index]`` written as ``element(list, count.index)`` or ``element(concat(list, [""]), count.index)``.

    Each existing instance rendered the old form; where one side indexes strictly (``list[i]``),
    an existing instance had ``i < length(list)`` (else its plan failed), and there ``element``
    and the padded ``concat`` give ``list[i]`` too; an index past the end makes the strict form
    fail loudly, which replaces nothing. Two lenient forms (wrapping ``element`` against a padded
    ``concat``) differ past the end and are not taken as equal.
    """
    if not isinstance(old_value, str) or not isinstance(new_value, str):
        return False

    def shape(text: str) -> tuple[str, list[str]]:
        kinds: list[str] = []

        def one(match: re.Match[str]) -> str:
            # the padding is part of the kind: two paddings differ past the end of the list
            kinds.append(f"padded {match.group(2)}" if match.group(1) else "wrapping" if match.group(3) else "strict")
            return f"{match.group(1) or match.group(3) or match.group(4)}[count.index]"
        return INDEXED.sub(one, tf_defaults.LEGACY_LIST.sub(r"[\1]", "".join(text.split()))), kinds

    (old_text, old_kinds), (new_text, new_kinds) = shape(old_value), shape(new_value)
    if old_text != new_text or len(old_kinds) != len(new_kinds) or not old_kinds:
        return False
    return all(a == b or "strict" in (a, b) for a, b in zip(old_kinds, new_kinds))


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
             moved: list[tuple[str, str]], values: _Values | None = None) -> None:
    """Instances keyed another way (count to for_each, a set to a map): every instance gets a new address.

    Without ``moved`` blocks for each instance, the next apply destroys every instance under its
    old key and creates it again under the new one.
    """
    old, new = _key_scheme(before), _key_scheme(after)
    if old is None or new is None or old == new or "other" in (old, new):
        return
    if any(source.startswith(after.address + "[") for source, _ in moved):
        return  # the instances are moved to their new keys
    if values is not None and "for_each" in before.body and "for_each" in after.body and \
            _evaluated_keys(values, before, after).status == "same":
        return  # written another way, the same keys under the module's defaults and every representative input
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


# -- instance counts and inputs under the new variables' defaults --------------------------------------
class _Values:
    """What the change's expressions refer to: each side's locals and the new variables' defaults (read on demand)."""

    def __init__(self, sides: FileSides, old_chunks: list[Chunk], new_chunks: list[Chunk], context: ChangeContext,
                 old: Module, new: Module) -> None:
        self._sides, self._chunks, self._context = sides, {"old": old_chunks, "new": new_chunks}, context
        self._parsed = {"old": old, "new": new}  # the touched locals blocks are parsed already
        self._locals: dict[str, dict[str, Any]] = {}
        self._defaults: dict[str, Any] | None = None
        self._changed: dict[str, tuple[Any, Any]] | None = None
        self._renamed: dict[str, str] | None = None
        self._modules: tuple[tf_eval.ModuleSide, tf_eval.ModuleSide] | None | bool = False

    @property
    def modules(self) -> tuple[tf_eval.ModuleSide, tf_eval.ModuleSide] | None:
        """The module folder of this file on both sides of the change (every ``.tf`` file), when a repository backs it."""
        if self._modules is False:
            from reviewer_app.core.risk.structure.texts import repository_for

            change = self._context.change
            repo = repository_for(change.base, change.head)
            diff = self._sides.diff
            old = tf_eval.load_module(repo, change.base, posixpath.dirname(diff.old_path or diff.path)) if self._sides.old.exists else None
            new = self.new_module
            self._modules = (old, new) if old is not None and new is not None else None
        return self._modules  # type: ignore[return-value]

    @property
    def new_module(self) -> tf_eval.ModuleSide | None:
        """The module folder of this file after the change (every ``.tf`` file), when a repository backs it."""
        if not self._sides.new.exists:
            return None
        from reviewer_app.core.risk.structure.texts import repository_for

        change = self._context.change
        return tf_eval.load_module(repository_for(change.base, change.head), change.head,
                                   posixpath.dirname(self._sides.diff.new_path or self._sides.diff.path))

    @property
    def defaults(self) -> dict[str, Any]:
        if self._defaults is None:
            self._defaults = tf_defaults.new_variable_defaults(self._context.change)
        return self._defaults

    @property
    def renamed(self) -> dict[str, str]:
        if self._renamed is None:
            self._renamed = tf_defaults.renamed_variables(self._context.change, posixpath.dirname(self._sides.diff.path))
        return self._renamed

    @property
    def changed(self) -> dict[str, tuple[Any, Any]]:
        if self._changed is None:
            self._changed = tf_defaults.changed_variable_defaults(self._context.change, posixpath.dirname(self._sides.diff.path))
        return self._changed

    def parsed(self, which: str) -> Module:
        return self._parsed[which]

    def locals(self, which: str) -> dict[str, Any]:
        """name -> expression of every local of one side (each ``locals`` block parsed alone)."""
        if which not in self._locals:
            import hcl2

            side = self._sides.old if which == "old" else self._sides.new
            found: dict[str, Any] = {}
            done = set()
            for block in self._parsed[which].blocks.values():
                if block.kind == "locals":
                    found.update({k: v for k, v in block.body.items() if k != "__is_block__"})
                    done.add(block.span)
            for (kind, _, _), start, end in self._chunks[which] if side.exists else []:
                if kind != "locals" or (start, end) in done:
                    continue
                try:
                    document = hcl2.loads("\n".join(side.lines[start:end]) + "\n", serialization_options=_options())
                except Exception:  # noqa: BLE001 - a block that does not parse alone is left out
                    continue
                for body in document.get("locals", []):
                    if isinstance(body, dict):
                        found.update({k: v for k, v in body.items() if k != "__is_block__"})
            self._locals[which] = found
        return self._locals[which]


# -- values evaluated under the module's defaults and representative inputs (tf_eval) ---------------------
def _evaluated_count(values: _Values, before: Block, after: Block) -> tf_eval.Verdict:
    """The old and new ``count`` of a resource compared under every input assignment tried."""
    modules = values.modules
    if modules is None:
        return tf_eval.Verdict("unknown", reason="no repository")
    try:
        old_node, new_node = tf_eval.from_hcl2(before.body["count"]), tf_eval.from_hcl2(after.body["count"])
    except tf_eval.Unknowable as exc:
        return tf_eval.Verdict("unknown", reason=str(exc))
    return tf_eval.compare(modules[0], modules[1], [old_node], [new_node],
                           lambda env: tf_eval.count_value(old_node, env), lambda env: tf_eval.count_value(new_node, env), kind="count",
                           renamed=values.renamed)


def _evaluated_local(values: _Values, name: str) -> tf_eval.Verdict:
    """A local's old and new value compared under every input assignment tried."""
    modules = values.modules
    if modules is None:
        return tf_eval.Verdict("unknown", reason="no repository")
    node = ("path", ("name", "local"), (("attr", name),))

    def as_count(env: tf_eval.Env) -> Any:
        # read as the count it is: "1" is 1, and a value no count takes ("t3.micro") fails that plan loudly
        value = env.local(name)
        if isinstance(value, str) and not isinstance(value, tf_eval.Token) and not re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
            raise tf_eval.EvalError("not a count")
        return value if isinstance(value, bool) else tf_eval.count_value(("lit", value), env)
    return tf_eval.compare(modules[0], modules[1], [node], [node], as_count, as_count, kind="count", renamed=values.renamed)


def _users_counts_same(values: _Values, users: list[tuple[str, str]]) -> bool:
    """Each resource's ``count`` (as written on each side) takes the same number on both sides under the
    module's defaults and every representative input: the local changed its written form (a string
    "true" that the condition converts to the bool true), not the number of instances. False when any
    resource is missing on a side or any count cannot be evaluated (fail closed)."""
    modules = values.modules
    if modules is None or not users:
        return False
    for rtype, rname in users:
        before, after = modules[0].resource(rtype, rname), modules[1].resource(rtype, rname)
        if before is None or after is None or "count" not in before or "count" not in after:
            return False
        try:
            old_node, new_node = tf_eval.from_hcl2(before["count"]), tf_eval.from_hcl2(after["count"])
        except tf_eval.Unknowable:
            return False
        verdict = tf_eval.compare(modules[0], modules[1], [old_node], [new_node],
                                  lambda env, node=old_node: tf_eval.count_value(node, env),
                                  lambda env, node=new_node: tf_eval.count_value(node, env), kind="count",
                                  renamed=values.renamed)
        if verdict.status != "same":
            return False
    return True


def _evaluated_argument(values: _Values, before: Block, after: Block, argument: str, unset_default: Any = None,
                        kept: bool = False, placement: bool = False) -> tf_eval.Verdict:
    """An argument's value per existing instance (count index, for_each key), old against new, under every input tried.

    ``unset_default``: the provider's default, which an unset (null) argument takes. ``kept``: the argument
    is optional and computed: unset on the new side keeps the value on record (no change), and a value
    where the old side was unset is undecidable (status "set-where-unset") when nothing else differs.
    ``placement``: unset is the account's default network; a value that becomes null under the module's
    defaults is status "unset-by-default" (existing objects keep theirs, new ones land in the default network).
    """
    modules = values.modules
    if modules is None:
        return tf_eval.Verdict("unknown", reason="no repository")
    try:
        old_node, new_node = tf_eval.from_hcl2(_value(before.body, argument)), tf_eval.from_hcl2(_value(after.body, argument))
        old_keys = [tf_eval.from_hcl2(before.body[k]) for k in ("count", "for_each") if k in before.body]
        new_keys = [tf_eval.from_hcl2(after.body[k]) for k in ("count", "for_each") if k in after.body]
    except tf_eval.Unknowable as exc:
        return tf_eval.Verdict("unknown", reason=str(exc))

    def per_instance(body: dict[str, Any], node: Any) -> Any:
        def run(env: tf_eval.Env) -> dict[Any, Any]:
            found = {}
            for instance in tf_eval.instances(body, env) or []:
                # A single instance is index 0: adding a count moves it there (Terraform's implied move).
                key = instance.count_index if instance.count_index is not tf_eval.UNSET else (instance.each[0] if instance.each else 0)
                value = tf_eval.evaluate(node, instance)
                # Providers built on the plugin SDK (most AWS, Google and Azure resources) read "" as an unset
                # argument, and an unset argument as its default where the provider has one.
                value = None if value == "" else value
                found[key] = unset_default if value is None and unset_default is not None else value
            return found
        return run

    old_nodes, new_nodes = [old_node, *old_keys], [new_node, *new_keys]
    # An input only the new side declares cannot have been set by an existing caller. One the argument
    # reads itself (through locals: a switch such as `use_name_prefix ? null : var.name`) is the caller's
    # opt-in to the new value, so it keeps its default. One that reaches the argument only through
    # another resource (the caller adopts it for that resource) is set too: a caller adopting it later
    # must not find this resource's existing objects replaced as a side effect.
    # An input the old module declared but read nowhere did nothing for a caller who set it: new too.
    new_only = {name for name in tf_eval.variables_read(new_nodes, modules[1])
                if modules[1].variable(name) is not None and (modules[0].variable(name) is None or not modules[0].reads(name))
                and name not in values.renamed.values()}  # a renamed input is the caller's old setting
    switches = {name for name in new_only & tf_eval.variables_read(new_nodes, modules[1], through_resources=False)
                if modules[1].variable(name).has_default}  # a new required input is set by every caller: it varies
    verdict = tf_eval.compare(modules[0], modules[1], old_nodes, new_nodes, per_instance(before.body, old_node),
                              per_instance(after.body, new_node), kind="instances", vary_new=frozenset(new_only - switches),
                              unread_new=True, renamed=values.renamed, same=_kept_same if kept else None)
    if kept and verdict.status == "differs":
        # Where the only differences are values set where the argument was unset, the record decides.
        loose = tf_eval.compare(modules[0], modules[1], old_nodes, new_nodes, per_instance(before.body, old_node),
                                per_instance(after.body, new_node), kind="instances", vary_new=frozenset(new_only - switches),
                                unread_new=True, renamed=values.renamed, same=_unset_before_same)
        if loose.status == "same":
            return tf_eval.Verdict("set-where-unset", verdict.witness)
        if loose.status == "differs":
            return loose  # the witness a value changes under, not one where the record decides
    if kept and placement and verdict.status == "same":
        # Unset on the new side keeps the record of existing objects; but where the module's defaults now
        # give null and gave a value, every new object the defaults create lands in the default network.
        dropped = tf_eval.compare(modules[0], modules[1], old_nodes, new_nodes, per_instance(before.body, old_node),
                                  per_instance(after.body, new_node), kind="instances", vary_new=frozenset(new_only - switches),
                                  unread_new=True, renamed=values.renamed, same=_not_dropped)
        if dropped.status == "differs" and dropped.at_defaults:
            return tf_eval.Verdict("unset-by-default", dropped.witness)
    if verdict.status != "same" or not switches:
        return verdict
    opted = tf_eval.compare(modules[0], modules[1], old_nodes, new_nodes, per_instance(before.body, old_node),
                            per_instance(after.body, new_node), kind="instances", vary_new=True, unread_new=True,
                            renamed=values.renamed, same=_kept_same if kept else None)
    if opted.status == "differs":
        return tf_eval.Verdict("opt-in", opted.witness, reason=", ".join(f"`{name}`" for name in sorted(switches)))
    return verdict


def _kept_same(before: Any, after: Any) -> bool:
    """An optional and computed argument left unset on the new side keeps the value on record: no change."""
    return after is None or tf_eval.same_value(before, after)


def _unset_before_same(before: Any, after: Any) -> bool:
    return before is None or _kept_same(before, after)


def _not_dropped(before: Any, after: Any) -> bool:
    """Only a value that becomes null counts as a difference (for "now unset under the module's defaults")."""
    return before is None or after is not None


def _evaluated_keys(values: _Values, before: Block, after: Block) -> tf_eval.Verdict:
    """The instance keys of a ``for_each`` (old against new) under every input assignment tried."""
    modules = values.modules
    if modules is None:
        return tf_eval.Verdict("unknown", reason="no repository")
    try:
        old_node, new_node = tf_eval.from_hcl2(before.body["for_each"]), tf_eval.from_hcl2(after.body["for_each"])
    except tf_eval.Unknowable as exc:
        return tf_eval.Verdict("unknown", reason=str(exc))

    def keys(body: dict[str, Any]) -> Any:
        return lambda env: sorted(str(instance.each[0]) for instance in tf_eval.instances(body, env) or [] if instance.each)
    return tf_eval.compare(modules[0], modules[1], [old_node], [new_node], keys(before.body), keys(after.body))


def _reference_edited(values: _Values, addresses: list[str]) -> bool:
    """Another block of the file has an argument the change rewrites that refers to one of ``addresses``.

    A count that only grows creates instances and destroys none, unless what points at the instances
    by index is rewritten with it (associations moved from table 0 to table ``count.index``): then
    existing objects are re-pointed, and the finding keeps its severity.
    """
    pattern = re.compile(r"\b(" + "|".join(re.escape(a) for a in addresses) + r")\b")
    old, new = values.parsed("old"), values.parsed("new")
    for address, block in new.blocks.items():
        if address in addresses or block.kind not in ("resource", "module", "locals"):
            continue
        before = old.blocks.get(address)
        for name, value in block.body.items():
            previous = before.body.get(name) if before is not None else None
            if _flat_text(previous) != _flat_text(value) and pattern.search(_flat_text(value)):
                return True
    return False


def _never_instantiated(values: _Values, block: Block) -> bool:
    """A resource whose ``count`` is 0 under the module's defaults and every representative input (old side)."""
    if "count" not in block.body:
        return False
    modules = values.modules
    if modules is None:
        return False
    try:
        node = tf_eval.from_hcl2(block.body["count"])
    except tf_eval.Unknowable:
        return False
    verdict = tf_eval.compare(modules[0], modules[0], [node], [], lambda env: tf_eval.count_value(node, env), lambda env: 0,
                              kind="count")
    return verdict.status == "same"


def _witness(verdict: tf_eval.Verdict) -> str:
    return f" ({verdict.witness})" if verdict.status in ("differs", "grows") and verdict.witness else ""


def _flat_text(value: Any) -> str:
    return re.sub(r"\s+", "", json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value)


def _severity_for(rtype: str, holding: set[str]) -> str:
    if rtype in holding:
        return "critical"
    return "low" if rtype.startswith(tuple(data_table("terraform.toml")["ephemeral"])) else "high"


def _same_count(old: set[str], new: set[str], new_text: Any) -> bool:
    """The values compare equal, or a boolean used as the count (Terraform 0.11) became ``flag ? 1 : 0``."""
    if old == new or not old:
        return True
    if len(old) == 1 and new == {"1"}:
        flag = next(iter(old))
        return bool(re.fullmatch(r"(var|local)\.[\w-]+", flag)) and re.search(rf"\b{re.escape(flag)}\b", str(new_text)) is not None
    return False


def _max_terms(value: str) -> set[str]:
    """The arguments of ``max(a, b, …)`` split at top-level commas, or the value itself."""
    text = "".join(value.split())
    if not (text.startswith("max(") and text.endswith(")")):
        return {text}
    terms, depth, start = set(), 0, 4
    for index, char in enumerate(text[4:-1], start=4):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            terms.add(text[start:index])
            start = index + 1
    terms.add(text[start:-1])
    return {term for term in terms if term}


def _only_grows(old: set[str], new: set[str]) -> bool:
    """One value before and after, the new a ``max`` over every old term and more: it is never smaller,
    so the apply creates instances and destroys none (a subnet kind added to ``max_subnet_length``)."""
    if len(old) != 1 or len(new) != 1:
        return False
    before, after = _max_terms(next(iter(old))), _max_terms(next(iter(new)))
    return "".join(next(iter(new)).split()).startswith("max(") and before < after


def _renaming(found: set[str], renamed: dict[str, str]) -> set[str]:
    """The count values with each renamed variable written under its new name."""
    pattern = re.compile(r"\bvar\.(" + "|".join(re.escape(name) for name in renamed) + r")\b")
    return {pattern.sub(lambda match: f"var.{renamed[match.group(1)]}", leaf) for leaf in found}


COALESCE = re.compile(r"^coalesce\(var\.([A-Za-z_][\w-]*),(.+)\)$")


def _coalesce_restored(old: set[str], new: set[str], changed: dict[str, tuple[Any, Any]]) -> str:
    """``var.n`` became ``coalesce(var.n, y)`` with n's default moved from 0 to null: the fallback, else "".

    A caller that set n still gets n (coalesce keeps the first value that is not null); a caller
    that left it at its old default had 0 instances and now gets y: the count never shrinks.
    """
    fallbacks, rewritten = [], set()
    for leaf in new:
        match = COALESCE.match(leaf)
        was, now = changed.get(match.group(1), (None, 0)) if match else (None, 0)
        if match and type(was) is int and was == 0 and now is None and tf_defaults._closes_at_end(leaf[8:]):
            rewritten.add(f"var.{match.group(1)}")
            fallbacks.append(match.group(2))
        else:
            rewritten.add(leaf)
    return ", ".join(sorted(fallbacks)) if fallbacks and rewritten == old else ""


def _restored_message(fallback: str) -> str:
    return (f"falls back to {fallback} (via `coalesce`) where its number variable is now null by default: a caller that set that "
            "variable keeps its count, one that left it at the old default 0 had no instances and gets the fallback's; the next "
            "apply creates instances and destroys none; medium, for the new resources")


OPT_IN_GROWS = ("is the same under the module's defaults and never smaller under the representative inputs tried (lists of 0 to "
                "3 elements, each flag both ways): only a caller who opts in gets more instances, and the next apply creates them "
                "and destroys none; medium, for the new resources")
GROWS_ONLY = ("only grows (a `max` over the same terms and more): the next apply creates instances past the old "
              "count and destroys none; medium, for the new resources and their cost")


def _show_leaves(found: set[str]) -> str:
    text = ", ".join(sorted(found)) or "0"
    return text if len(text) <= 80 else text[:77] + "…"


def _count_changed(sides: FileSides, before: Block, after: Block, emit: Emitter, holding: set[str], values: _Values) -> None:
    """An existing resource's ``count`` takes other values: instances past the new count are destroyed.

    Only the values the count can take are compared (the arms of its conditionals, ``0`` aside),
    with conditions on the change's new variables decided by their defaults and a ``local`` standing
    alone replaced by its expression: a new gate whose default keeps the resource, or a count moved
    into a local of the same value, changes nothing for an existing configuration.
    """
    if "count" not in before.body or "count" not in after.body:
        return
    if _flat_text(before.body["count"]) == _flat_text(after.body["count"]):
        return
    if _same_count(tf_defaults.leaves(before.body["count"], {}), tf_defaults.leaves(after.body["count"], values.defaults),
                   after.body["count"]):
        return  # decided without reading the locals
    old = tf_defaults.leaves(before.body["count"], {}, values.locals("old"))
    new = tf_defaults.leaves(after.body["count"], values.defaults, values.locals("new"))
    if _same_count(old, new, after.body["count"]):
        return
    if values.renamed and _same_count(_renaming(old, values.renamed), new, after.body["count"]):
        return  # a variable renamed with its default kept: the old name fails loudly, the default is the same
    restored = _coalesce_restored(old, new, values.changed)
    if restored:
        emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, "count"),
                  f"{after.address}: its `count` {_restored_message(restored)}.", severity="medium")
        return
    verdict = _evaluated_count(values, before, after)
    if verdict.status == "same":
        return  # the same number of instances under the module's defaults and every representative input
    if verdict.status == "grows" and verdict.defaults_same and not _reference_edited(values, [after.address]):
        emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, "count"),
                  f"{after.address}: its `count` {OPT_IN_GROWS}{_witness(verdict)}.", severity="medium")
        return
    if _only_grows(old, new):
        emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, "count"),
                  f"{after.address}: its `count` {GROWS_ONLY} ({_show_leaves(old)} → {_show_leaves(new)}).", severity="medium")
        return
    what = (f"is now 0 unless a new variable is set (it was {_show_leaves(old)}): every existing instance is destroyed on the next apply"
            if not new else
            f"now takes other values ({_show_leaves(old)} → {_show_leaves(new)}): where the number of instances changes, "
            f"the next apply destroys the {after.type}s past the new count or creates more, and what refers to them by index moves")
    emit.emit("TF-FORCES-REPLACEMENT", "new", _attr_line(sides.new, after, "count"),
              f"{after.address}: its `count` {what}{_witness(verdict)}.", severity=_severity_for(after.type, holding))


def _count_locals_changed(sides: FileSides, old: Module, new: Module, emit: Emitter, holding: set[str], values: _Values) -> None:
    """A local that is the ``count`` of resources in this file takes other values (as _count_changed)."""
    if not sides.old.exists or not sides.new.exists:
        return
    touched_before = {name: value for block in old.blocks.values() if block.kind == "locals" for name, value in block.body.items()}
    for block in new.blocks.values():
        if block.kind != "locals":
            continue
        for name, value in block.body.items():
            if name == "__is_block__" or _flat_text(touched_before.get(name)) == _flat_text(value):
                continue
            if not re.search(rf"\blocal\.{re.escape(name)}\b", sides.new.text):
                continue  # used nowhere in this file (a count elsewhere is judged where it is written)
            previous = values.locals("old").get(name)
            if previous is None or _flat_text(previous) == _flat_text(value):
                continue
            users = _count_users(sides.new, name)
            for other, expression in values.locals("new").items():  # through another local (nat_gateway_count = … max_subnet_length)
                if other != name and re.search(rf"\blocal\.{re.escape(name)}\b", str(expression)):
                    users += [user for user in _count_users(sides.new, other) if user not in users]
            if not users:
                continue
            before = tf_defaults.leaves(previous, {}, values.locals("old"))
            after = tf_defaults.leaves(value, values.defaults, values.locals("new"))
            if _same_count(before, after, value) or (values.renamed and _same_count(_renaming(before, values.renamed), after, value)):
                continue
            severities = [_severity_for(rtype, holding) for rtype, _ in users]
            severity = next((s for s in ("critical", "high", "low") if s in severities), "high")
            line = sides.new.locate(re.compile(rf"^\s*{re.escape(name)}\s*="), *block.span) or _header_line(sides.new, block)
            named = ", ".join(f"{rtype}.{rname}" for rtype, rname in users[:3]) + (" …" if len(users) > 3 else "")
            restored = _coalesce_restored(before, after, values.changed)
            if restored:
                emit.emit("TF-FORCES-REPLACEMENT", "new", line,
                          f"local.{name} is the `count` of {named} and {_restored_message(restored)}.", severity="medium")
                continue
            verdict = _evaluated_local(values, name)
            if verdict.status == "same":
                continue  # the same value under the module's defaults and every representative input
            if verdict.status != "differs" and _users_counts_same(values, users):
                continue  # each resource's own count, as Terraform converts the value ("true" is true), is the same
            if verdict.status == "grows" and verdict.defaults_same and not _reference_edited(
                    values, [f"{rtype}.{rname}" for rtype, rname in users]):
                emit.emit("TF-FORCES-REPLACEMENT", "new", line,
                          f"local.{name} is the `count` of {named} and {OPT_IN_GROWS}{_witness(verdict)}.", severity="medium")
                continue
            if _only_grows(before, after):
                emit.emit("TF-FORCES-REPLACEMENT", "new", line,
                          f"local.{name} is the `count` of {named} and {GROWS_ONLY} ({_show_leaves(before)} → {_show_leaves(after)}).",
                          severity="medium")
                continue
            emit.emit("TF-FORCES-REPLACEMENT", "new", line,
                      f"local.{name} is the `count` of {named} and now takes other values ({_show_leaves(before)} → "
                      f"{_show_leaves(after) if after else 'a value Reviewer could not work out'}){_witness(verdict)}: where the number changes, the next apply destroys "
                      "the instances past the new count or creates more, and what refers to them by index moves.", severity=severity)


def _count_users(side: Side, name: str) -> list[tuple[str, str]]:
    """The resources of the side whose ``count`` refers to ``local.<name>``."""
    users: list[tuple[str, str]] = []
    current: tuple[str, str] | None = None
    pattern = re.compile(rf"^\s*count\s*=.*\blocal\.{re.escape(name)}\b")
    for text in side.lines:
        header = HEADER.match(text) if not text[:1].isspace() else None
        if header:
            current = (header.group(2) or "", header.group(3) or "") if header.group(1) == "resource" else None
        elif current is not None and pattern.match(text) and current not in users:
            users.append(current)
    return users


VAR_REF = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")
LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][\w-]*)")


def _expanded(value: str, local_values: dict[str, Any], defaults: dict[str, Any] | None) -> str:
    """``value`` with each ``local.x`` replaced by its expression (rendered under ``defaults`` when given)."""
    def inline(match: re.Match[str]) -> str:
        if match.group(1) not in local_values or not isinstance(local_values[match.group(1)], str):
            return match.group(0)
        expression = local_values[match.group(1)]
        if defaults is not None:
            rendered = tf_defaults.render(expression, defaults)
            if not isinstance(rendered, tf_defaults.Opaque):
                return json.dumps(rendered)
            expression = str(rendered)
        inner = tf_defaults.WHOLE.match(expression)
        return "(" + (inner.group(1) if inner else expression) + ")"
    text = LOCAL_REF.sub(inline, value)
    if defaults is not None:
        text = str(tf_defaults.render(text, defaults))
    return text


POLICY_INPUTS = re.compile(r"policy|principal|trust|cidr|ingress|acl|encrypt|kms|public", re.IGNORECASE)


def _input_ignored(sides: FileSides, before: Block, after: Block, emit: Emitter, values: _Values) -> None:
    """An input the block used is now used only when a new variable is set, and its default leaves it out.

    ``assume_role_policy = var.custom_trust_policy`` rewritten as ``var.use_custom ? var.custom_trust_policy : …``
    with ``use_custom`` new and false by default: every caller that set the input silently gets the
    other arm (the module's default trust policy, for one) on the next apply.
    """
    defaults = values.defaults
    if not defaults:
        return
    for name, value in after.body.items():
        previous = before.body.get(name)
        if not isinstance(value, str) or not isinstance(previous, str) or previous == value:
            continue
        old_locals = values.locals("old") if "local." in previous else {}
        new_locals = values.locals("new") if "local." in value else {}
        used_before = set(VAR_REF.findall(_expanded(previous, old_locals, None)))
        written = _expanded(value, new_locals, None)
        if not set(VAR_REF.findall(written)) & set(defaults):
            continue  # no new variable decides anything here
        live = set(VAR_REF.findall(_expanded(value, new_locals, defaults)))
        ignored = sorted((used_before & set(VAR_REF.findall(written))) - live - set(defaults))
        if not ignored:
            continue
        gates = sorted(set(VAR_REF.findall(written)) & set(defaults))
        via = [m for m in LOCAL_REF.findall(value) if isinstance(new_locals.get(m), str)
               and any(f"var.{v}" in new_locals[m] for v in ignored)]
        needle = re.compile(rf"\blocal\.{re.escape(via[0])}\b") if via else re.compile(rf"\bvar\.{re.escape(ignored[0])}\b")
        line = sides.new.locate(needle, *after.span) or _attr_line(sides.new, after, name)
        gate = ", ".join(f"`{g}` (new, default {json.dumps(defaults[g])})" for g in gates) or "a new variable"
        emit.emit("TF-DEFAULT-ADOPTED", "new", line,
                  f"{after.address}: `{name}` now uses {', '.join('var.' + v for v in ignored)} only when {gate} is set: every caller "
                  f"that set {ignored[0]} silently gets the module's default in its place on the next apply.",
                  severity="high" if POLICY_INPUTS.search(name) else "medium")


# -- guards -------------------------------------------------------------------------------------------
def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _guards(sides: FileSides, before: Block | None, after: Block, emit: Emitter, context: ChangeContext | None = None) -> None:
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
        # In a file added whole, the resource is created by this change: nothing it holds today can be lost.
        fresh = before is None and sides.diff.status is FileStatus.ADDED
        emit.emit("INFRA-FORCE-DESTROY", "new", _attr_line(sides.new, after, "force_destroy"),
                  f"{where}: force_destroy = true lets Terraform delete it together with everything in it."
                  + (f" Medium: {where} is new, in a file this change adds, so it holds nothing yet; review it as a new "
                     "component (whether what it will hold may go with a destroy)." if fresh else ""),
                  severity="medium" if fresh else None)
    if True in _anywhere(new_body, "skip_final_snapshot") and True not in _anywhere(old_body, "skip_final_snapshot"):
        emit.emit("INFRA-BACKUP-WEAKENED", "new", _attr_line(sides.new, after, "skip_final_snapshot"),
                  f"{where}: skip_final_snapshot = true — when it is destroyed, no final snapshot is taken.")
    if 0 in _anywhere(new_body, "backup_retention_period", raw=True) and 0 not in _anywhere(old_body, "backup_retention_period", raw=True):
        emit.emit("INFRA-BACKUP-WEAKENED", "new", _attr_line(sides.new, after, "backup_retention_period"),
                  f"{where}: backup_retention_period = 0 turns automated backups off.")
    for path, value, old_value in _weakened_recovery(old_body, new_body):
        message = f"{where}: `{'.'.join(path)}` is {_show(value)}, so an overwrite or delete can no longer be undone."
        folder = _never_set_before(sides, after, path, old_body, context)
        if folder is not None:
            emit.emit("INFRA-BACKUP-WEAKENED", "new", _attr_line(sides.new, after, path[-1]),
                      f"{where}: `{'.'.join(path)}` defaults to {_show(value)} in a new option, and no .tf file of {folder} "
                      f"named `{path[-1]}` or any other {' or '.join(_recovery_kinds(path))} setting before this change, so the "
                      "module never set it: a caller who leaves the "
                      "default gets it off where the module set nothing before, and only a caller who sets the option "
                      "changes anything. Lowered to medium: nothing the module switched on is switched off.",
                      severity="medium")
            continue
        emit.emit("INFRA-BACKUP-WEAKENED", "new", _attr_line(sides.new, after, path[-1]), message)


def _recovery_kinds(path: tuple[str, ...]) -> list[str]:
    return sorted({match.lower().replace("_", "-") for match in RECOVERY_PATH.findall(".".join(path))})


def _never_set_before(sides: FileSides, after: Block, path: tuple[str, ...], old_body: Any,
                      context: ChangeContext | None) -> str | None:
    """The module folder, when a recovery setting turned off in a variable's default is new to that default and no
    .tf file of the folder named the setting at the change's base (read with git: facts the change cannot
    rewrite); None otherwise, and whenever git cannot tell (fail closed)."""
    if after.kind != "variable" or context is None or dict(_leaves(old_body)).get(path) is not None:
        return None
    change = context.change
    if not change.base or not sides.diff.new_path:
        return None
    from reviewer_app.core.risk.releases import release_lacks
    from reviewer_app.core.risk.structure.texts import repository_for

    repo = repository_for(change.base, change.head)
    if repo is None:
        return None
    folder = posixpath.dirname(sides.diff.new_path)
    glob = f":(glob){folder + '/' if folder else ''}*.tf"
    # The setting by its own name, or any argument of its kind (versioning, point-in-time recovery) under any
    # name: a module that set one before (`pitr = true` now read from the new option) changes for its callers.
    kinds = sorted({match.lower() for match in RECOVERY_PATH.findall(".".join(path))})
    word = "|".join([f"(^|[^A-Za-z0-9_]){_ere(path[-1])}([^A-Za-z0-9_]|$)", *map(_ere, kinds)])
    memo = context.memo("terraform-named-before")
    key = (folder, path[-1])
    if key not in memo:
        memo[key] = release_lacks(repo, change.base, word, (glob, glob + ".json"), ignore_case=True)
    return (f"{folder}/" if folder else "the root module") if memo[key] else None


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
    nacl: bool = False  # a network ACL rule: stateless, in front of the security groups, which still decide


NACL_TYPES = ("aws_network_acl", "aws_default_network_acl", "aws_network_acl_rule")
NACL_KEYS = ("rule_action", "rule_number", "rule_no")


def _openings(block: Block) -> set[Opening]:
    """Ingress rules of the block that accept any address (egress is never counted)."""
    found = _rule_openings(block)
    if block.type in NACL_TYPES or (block.kind == "variable" and "acl" in block.name.lower()):
        found = {Opening(o.cidr, o.ports, True) for o in found}
    return found


def _rule_openings(block: Block) -> set[Opening]:
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
        if OWN_RANGE.search(block.name) and not SOURCE_WORDS.search(block.name):
            return set()  # the network's own address range (variable "cidr" of a VPC): it admits no one
        return _named_openings(body, block.name)
    else:  # a module input (ingress_cidr_blocks …) or a type not listed
        return _named_openings(body)
    found = set()
    for rule in rules:
        for cidr in _flat(rule.get("cidr_blocks")) + _flat(rule.get("ipv6_cidr_blocks")):
            if cidr in OPEN_CIDRS:
                found.add(Opening(cidr, (rule.get("from_port"), rule.get("to_port"), rule.get("protocol", rule.get("ip_protocol")))))
    return found


# A variable naming the address range of the network the module builds (a VPC's "cidr", "vpc_cidr_block",
# "address_space", a subnet's range), not a list of sources: 0.0.0.0/0 there is a placeholder the cloud
# rejects, and admits no traffic. Names that say where traffic comes from stay sources.
OWN_RANGE = re.compile(r"^((vpc|ipv4|ipv6|secondary|primary|network|subnet)_)?(cidr|cidr_block|cidr_range|address_space|ip_range)$"
                       r"|^(vpc|network|subnet)_(ipv4_|ipv6_)?cidrs?(_blocks?)?$", re.IGNORECASE)
SOURCE_WORDS = re.compile(r"ingress|allow|source|trusted|whitelist|access|client|admin|ssh|remote", re.IGNORECASE)

# Settings whose open CIDR lets nothing in: where traffic goes out or is routed to.
EGRESS_WORDS = re.compile(r"egress|outbound|destination|route|nat_gateway|vpn", re.IGNORECASE)


def _named_openings(body: Any, path: str = "") -> set[Opening]:
    """Open CIDRs at any depth, unless the setting's path says egress, a destination or a route.

    Failing closed: an open CIDR in a setting this module has no table for (a module input, an
    EKS endpoint's public_access_cidrs) is taken as an opening, as the line rule took it. A
    network ACL rule (``rule_action``/``rule_number``, or a setting named ``…acl…``) is marked as
    such, and a NACL rule that denies opens nothing.
    """
    found: set[Opening] = set()
    nacl = "acl" in path.lower()
    if isinstance(body, dict):
        nacl = nacl or any(key in body for key in NACL_KEYS)
        if str(body.get("rule_action", "allow")).lower() == "deny":
            return found
        ports = (body.get("from_port"), body.get("to_port"), body.get("protocol"))
        for name, value in body.items():
            child = f"{path}.{name}"
            if isinstance(value, (dict, list)):
                found |= _named_openings(value, child)
            elif str(value) in OPEN_CIDRS and not EGRESS_WORDS.search(child):
                found.add(Opening(str(value), ports, nacl or "acl" in name.lower()))
            elif isinstance(value, str) and not EGRESS_WORDS.search(child):
                # An expression holding the rules (``try(each.value.x_acl_rules, [{ rule_action = … }])``).
                rules = nacl or "acl" in name.lower() or bool(re.search(r"\brule_(action|number)\b", value))
                found |= {Opening(c, ports, rules) for c in OPEN_CIDRS if re.search(rf"(^|[\s,\"]){re.escape(c)}($|[\s,\"])", value)}
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, (dict, list)):
                found |= _named_openings(item, path)
            elif str(item) in OPEN_CIDRS and not EGRESS_WORDS.search(path):
                found.add(Opening(str(item), (None, None, None), nacl))
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
    for opening in sorted(new_openings, key=lambda o: (o.cidr, str(o.ports), o.nacl)):
        exposed = _exposed(opening.ports)
        line = sides.new.locate(opening.cidr, *after.span) or _header_line(sides.new, after)
        if opening.ports[0] is None:
            ports = "the ports it lists"
        else:
            ports = f"port {opening.ports[0]}" if opening.ports[0] == opening.ports[1] else f"ports {opening.ports[0]}–{opening.ports[1]}"
        if exposed == "every port":
            ports = "every port and protocol"
        if opening.nacl:
            # A network ACL is stateless and sits in front of the security groups, which still decide
            # what reaches an instance; allowing everything is what AWS's default network ACL does.
            narrow = exposed and exposed != "every port"
            emit.emit("NET-OPEN-INGRESS", "new", line,
                      f"{after.address}: a network ACL rule allows ingress from {opening.cidr} on {ports}"
                      + (f" ({exposed})" if narrow else "") + ". "
                      + ("Security groups still decide what reaches an instance; check that this port is meant to be reachable."
                         if narrow else "That is what AWS's default network ACL allows: security groups still decide what reaches an instance."),
                      severity="medium" if narrow else "low")
            continue
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
    attribute: str = ""  # the owner's argument a JSON document is written in ('' for a policy document block)


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
                yield Policy(block, statements, trust, name)


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


OPT_IN_LOWERED = ("IAM-SERVICE-WILDCARD", "IAM-RESOURCE-WILDCARD", "IAM-PRIV-ESCALATION")
# Resources whose ``policy`` is a KMS key policy: there ``Resource "*"`` means the key itself.
KEY_POLICY_OWNERS = frozenset({"aws_kms_key", "aws_kms_key_policy", "aws_kms_replica_key", "aws_kms_external_key",
                               "aws_kms_replica_external_key"})


def _key_policy_of(policy: Policy, values: _Values) -> str:
    """The KMS key resources whose ``policy`` this document is, when that is all it is used for; '' otherwise.

    A JSON document written in a key resource's ``policy``: that key. A ``data "aws_iam_policy_document"``:
    every reference to it in the module folder (every ``.tf`` file of the change's new side) must sit in
    the ``policy`` argument of a key resource. Any other use (an IAM policy or role, another document's
    source, an output, a local, a module call), no use, or a folder that cannot be read leaves it a
    policy like any other (fail closed).
    """
    owner = policy.owner
    if owner.kind == "resource":
        return owner.address if owner.type in KEY_POLICY_OWNERS and policy.attribute == "policy" else ""
    if owner.kind != "data" or owner.type != "aws_iam_policy_document" or policy.attribute:
        return ""
    module = values.new_module
    if module is None:
        return ""
    reference = re.compile(rf"\bdata\.aws_iam_policy_document\.{re.escape(owner.name)}\b")
    uses = len(reference.findall(module.source))
    consumers: list[str] = []
    for (rtype, name), text in sorted(module.resource_texts.items()):
        found = len(reference.findall(text))
        if not found:
            continue
        body = module.resource(rtype, name)
        if rtype not in KEY_POLICY_OWNERS or body is None:
            return ""
        rest = json.dumps({k: v for k, v in body.items() if k != "policy"}, default=str)
        if reference.search(rest) or not reference.search(str(body.get("policy"))):
            return ""
        consumers.append(f"{rtype}.{name}")
        uses -= found
    return ", ".join(consumers) if consumers and uses == 0 else ""


def _key_policy_verdict(verdict: iam.Verdict, statement: iam.Statement, consumers: str) -> iam.Verdict | None:
    """A verdict on a key policy's statement of key actions granted to named principals: judged as scoped to
    the one key (None: no finding). Wildcard or public principals, and every other rule, keep their verdict."""
    principals = iam.key_policy_principals(statement) if consumers else ""
    if not principals:
        return verdict
    if verdict.rule == "IAM-RESOURCE-WILDCARD":
        return None  # "*" in a key policy is this key, not every resource
    if verdict.rule == "IAM-SERVICE-WILDCARD" and verdict.severity == "high":
        return iam.Verdict(verdict.rule, "medium", verdict.culprit,
                           f"{verdict.message} Medium: this is the key policy of {consumers}, where Resource \"*\" is the key "
                           f"the policy is attached to, not every resource, and the statement names who gets it ({principals}); "
                           f"{verdict.culprit} for the account or the key's administrators is AWS's default key policy: "
                           "check who is named.")
    return verdict


def _principal_edit(statement: iam.Statement, previous: list[iam.Statement]) -> iam.Statement | None:
    """The old statement this one is with only its principals rewritten: matched by sid, else by effect, actions
    and resources; everything but the principals written the same (conditions, and a dynamic block's gate too)."""
    if statement.principal_source is None:
        return None
    candidates = [p for p in previous if statement.sid and p.sid == statement.sid]
    if not candidates:
        candidates = [p for p in previous if p.effect == statement.effect and set(p.actions) == set(statement.actions)
                      and set(p.not_actions) == set(statement.not_actions) and set(p.resources) == set(statement.resources)]
    for candidate in candidates:
        if candidate.rest == statement.rest and candidate.principal_source is not None \
                and candidate.principal_source != statement.principal_source:
            return candidate
    return None


_DATA_READ = re.compile(r"data\.([\w-]+)\.([\w-]+)(\[[^\]]*\])?\.([\w-]+)#[0-9a-f]{8}")


def _read_by_arguments(value: Any, module: tf_eval.ModuleSide) -> Any:
    """A value with each data source attribute named by what the data source reads (its arguments but
    ``count``/``for_each``), not by its address: ``data.aws_partition.current.partition`` and
    ``data.aws_partition.current[0].partition`` after a ``count`` is added read the same partition. An
    instance whose arguments use its index or key keeps its address."""
    if isinstance(value, list):
        return [_read_by_arguments(v, module) for v in value]
    if isinstance(value, dict):
        return {k: _read_by_arguments(v, module) for k, v in value.items()}
    if not isinstance(value, str):
        return value

    def canonical(match: re.Match[str]) -> str:
        body = module.data(match.group(1), match.group(2))
        if body is None:
            return match.group(0)
        arguments = json.dumps({k: v for k, v in body.items() if k not in ("count", "for_each")}, sort_keys=True, default=str)
        if re.search(r"\bcount\.index\b|\beach\.(key|value)\b", arguments):
            return match.group(0)
        digest = hashlib.sha256(arguments.encode()).hexdigest()[:8]
        return f"data.{match.group(1)}.{match.group(2)}.{match.group(4)}#{digest}"
    return _DATA_READ.sub(canonical, value)


def _principals_compared(values: _Values, old_owner: Block | None, new_owner: Block, old_statement: iam.Statement,
                         new_statement: iam.Statement) -> tf_eval.Verdict:
    """The two statements' principals, evaluated per instance of their documents under every input tried."""
    modules = values.modules
    if modules is None or old_owner is None:
        return tf_eval.Verdict("unknown", reason="no repository")
    try:
        old_node, new_node = tf_eval.from_hcl2(old_statement.principal_source), tf_eval.from_hcl2(new_statement.principal_source)
        old_keys = [tf_eval.from_hcl2(old_owner.body[k]) for k in ("count", "for_each") if k in old_owner.body]
        new_keys = [tf_eval.from_hcl2(new_owner.body[k]) for k in ("count", "for_each") if k in new_owner.body]
    except tf_eval.Unknowable as exc:
        return tf_eval.Verdict("unknown", reason=str(exc))

    def per_instance(body: dict[str, Any], node: Any, module: tf_eval.ModuleSide) -> Any:
        def run(env: tf_eval.Env) -> dict[Any, Any]:
            env.tokens_in_templates = True  # only sameness is asked: "arn:${data.aws_partition.x.partition}:…" is comparable
            found = {}
            for instance in tf_eval.instances(body, env) or []:
                key = instance.count_index if instance.count_index is not tf_eval.UNSET else (instance.each[0] if instance.each else 0)
                found[key] = _read_by_arguments(tf_eval.evaluate(node, instance), module)
            return found
        return run

    return tf_eval.compare(modules[0], modules[1], [old_node, *old_keys], [new_node, *new_keys],
                           per_instance(old_owner.body, old_node, modules[0]), per_instance(new_owner.body, new_node, modules[1]),
                           kind="instances", renamed=values.renamed)


def _granted_before(statement: iam.Statement, verdict: iam.Verdict, previous: list[iam.Statement]) -> bool:
    """The verdict's actions were granted by the same document before, on the same resources or more.

    A statement rewritten (an action added to a long list, a comment moved) is new as a whole, yet
    the wildcard it kept was granted already: only what the change adds is judged.
    """
    if verdict.rule not in ("IAM-ADMIN-WILDCARD", "IAM-SERVICE-WILDCARD", "IAM-RESOURCE-WILDCARD", "IAM-PRIV-ESCALATION"):
        return False
    if verdict.rule == "IAM-RESOURCE-WILDCARD":
        actions = [a for a in statement.actions if not iam.READ_ONLY_VERB.match(a.partition(":")[2])]
    elif verdict.rule == "IAM-ADMIN-WILDCARD" and statement.not_actions:
        return False
    else:
        actions = [verdict.culprit]
    for action in actions:
        if not any(p.effect == "allow" and not p.not_actions and p.principals == statement.principals
                   and action.lower() in {a.lower() for a in p.actions}
                   and ("*" in p.resources or set(statement.resources) <= set(p.resources))
                   and (not p.conditions or statement.conditions) for p in previous):
            return False
    return bool(actions)


def _opt_in(sides: FileSides, owner: Block, values: _Values) -> str:
    """A policy document new in this change whose ``count`` is 0 unless a new variable is set: the variable."""
    if "count" not in owner.body or not sides.old.exists:
        return ""
    header = re.compile(rf'^{owner.kind}\s+"{re.escape(owner.type)}"\s+"{re.escape(owner.name)}"', re.MULTILINE)
    if header.search(sides.old.text) or tf_defaults.leaves(owner.body["count"], values.defaults, values.locals("new")):
        return ""
    gates = sorted(set(VAR_REF.findall(str(owner.body["count"]))) & set(values.defaults))
    return gates[0] if gates else ""


def _policies(sides: FileSides, old: Module, new: Module, emit: Emitter, values: _Values) -> None:
    old_documents = list(_documents(old))
    before = {(p.trust, s) for p in old_documents for s in p.statements}
    previous_by_owner: dict[str, list[iam.Statement]] = {}
    for document in old_documents:
        previous_by_owner.setdefault(document.owner.address, []).extend(document.statements)
    # The same grant (effect and actions) as before, by what it was scoped to: a statement whose
    # resources go from named ARNs to "*" is a widening of an existing grant, not a new one.
    scoped_before = {(trust, s.effect, frozenset(s.actions)): s for trust, s in before if s.resources and "*" not in s.resources}
    conditioned_before = [s for trust, s in before if not trust and s.effect == "allow" and s.conditions and s.actions]
    free_before = {a.lower() for trust, s in before if not trust and s.effect == "allow" and not s.conditions for a in s.actions}
    for policy in _documents(new):
        opt_in: str | None = None
        key_policy: str | None = None
        for statement in policy.statements:
            if (policy.trust, statement) in before:
                continue  # the statement was there already
            was_scoped = scoped_before.get((policy.trust, statement.effect, frozenset(statement.actions)))
            if _condition_dropped(sides, policy, statement, conditioned_before, free_before, emit):
                continue
            # Only the principal's expression rewritten (an interpolation moved into a local): the grant is
            # not new when the principal evaluates the same; when it cannot be evaluated, the reader checks it.
            principal_unread = ""
            earlier = _principal_edit(statement, previous_by_owner.get(policy.owner.address, []))
            if earlier is not None:
                compared = _principals_compared(values, old.blocks.get(policy.owner.address), policy.owner, earlier, statement)
                if compared.status == "same":
                    continue
                if compared.status == "unknown" and not statement.public:
                    principal_unread = compared.reason or "not evaluated"
            for verdict in iam.judge(statement, policy.trust):
                if _granted_before(statement, verdict, previous_by_owner.get(policy.owner.address, [])):
                    continue
                if principal_unread and verdict.severity == "high" and verdict.rule != "IAM-PUBLIC-PRINCIPAL":
                    verdict = iam.Verdict(verdict.rule, "medium", verdict.culprit,
                                          f"{verdict.message} Medium: the statement already allowed {verdict.culprit}; only its "
                                          "principal expression changes, to a value this analysis cannot evaluate "
                                          f"({principal_unread}): check who gets it.")
                if key_policy is None:
                    key_policy = "" if policy.trust else _key_policy_of(policy, values)
                judged = _key_policy_verdict(verdict, statement, key_policy)
                if judged is None:
                    continue
                verdict = judged
                if verdict.rule in OPT_IN_LOWERED and verdict.severity == "high":
                    opt_in = _opt_in(sides, policy.owner, values) if opt_in is None else opt_in
                    if opt_in:
                        verdict = iam.Verdict(verdict.rule, "medium", verdict.culprit,
                                              f"{verdict.message} Medium: the policy is new and opt-in (its `count` is 0 unless "
                                              f"`{opt_in}` is set), so no existing role gets it.")
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
    if not _reaches_what_it_makes(statement):
        return False  # e.g. CreateVolume on snapshot ARNs: the source it reads, not the volume it creates
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


def _arn_type(resource: str) -> str:
    """``volume`` for ``arn:aws:ec2:*:*:volume/*``; '' when the resource does not say (``*``, a variable)."""
    parts = resource.split(":")
    if len(parts) < 6 or "${" in parts[5].split("/")[0] or "*" in parts[5].split("/")[0]:
        return ""
    return parts[5].split("/")[0].replace("-", "").lower()


def _reaches_what_it_makes(statement: iam.Statement) -> bool:
    """Whether the statement's resources may include what its actions create or change.

    ``ec2:CreateVolume`` on ``…:snapshot/*`` only names the snapshot a volume is made from: the
    condition that still guards ``…:volume/*`` keeps guarding every volume created. Unknown
    resource types (``*``, a variable) are taken as reaching it.
    """
    types = {_arn_type(resource) for resource in statement.resources}
    if not types or "" in types:
        return True
    for action in statement.actions:
        words = re.findall(r"[A-Z][a-z0-9]*", action.partition(":")[2])
        noun = "".join(words[1:]).lower()
        if not noun or any(noun == t or noun == t + "s" or noun.endswith(t) or noun.endswith(t + "s") for t in types):
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
