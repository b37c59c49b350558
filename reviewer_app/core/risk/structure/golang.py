"""Go source parsed with tree-sitter: API surface removed, goroutines started, flags redefined.

Judged on non-test Go files (tests, test data, vendored and generated code are skipped), from
both sides of each file (tree-sitter, imported only when a change has a Go file):
  * GO-PACKAGE-REMOVED: a package whose every Go file this change deletes, and a file of the change
    that stops importing it. The finding sits where the importer used it (its first removed call
    ``alias.New(``, else the import): that is where the component was wired in. High when the
    deleted package registered HTTP routes (their clients break at run time), medium otherwise
    (importers outside the module no longer build); an ``internal`` package without routes breaks
    nobody outside and is not reported.
  * GO-HTTP-ROUTE-REMOVED: a route registered with a literal path (``r.Get("/status", h)``,
    ``mux.HandleFunc("/x", h)``) on the old side whose path is on no added line of the change.
  * GO-EXPORTED-API-REMOVED: exported functions, methods, types, variables and constants of a
    package that is not ``main`` nor ``internal``, removed and declared on no added line of the
    change (a move to another file is no removal). Low: callers outside the module fail to build,
    which they see at once.
  * GO-GOROUTINE-STARTED: a ``go`` statement the file did not have (counted per enclosing function
    and statement head, so a moved or re-indented one is none). Medium; high when it is started in a
    loop and runs a loop of its own: a pool of long-running workers now does concurrently what
    one loop did in order, so ordering and every piece of state the work touches change at once.
  * GO-WIRE-FORMAT-METHOD-REMOVED (the line rule's id, its paths and severity): a ``MarshalJSON``/
    ``UnmarshalYAML``/… method removed while its type stays and the method is re-declared on no
    added line. A type deleted whole takes its encoding with it: no wire format falls back to the
    field dump (the line rule, which sees only the removed method, cannot tell). A struct that embeds
    one type of its package declaring the method keeps it (Go promotes it): low, saying so. Takes
    the line rule's place once that rule is marked ``structured = ["go"]``.
  * GO-FLAG-MEANING-CHANGED: a command-line flag (kingpin, flag, pflag/cobra) that keeps its name
    and its definition while its help text says something else (more than case, punctuation or
    spacing): every deployment that sets it now gets the new meaning unannounced. Medium: help text
    alone cannot tell a clarification from a change of behaviour.
A Go file known only by its hunks (a patch without its repository) is left to the line rules.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterator

from reviewer_app.core.model import FileStatus, LineKind
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.structure import ChangeContext
from reviewer_app.core.risk.structure.base import HUNKS_ONLY, Emitter, Parsed, data_table, in_scope
from reviewer_app.core.risk.structure.texts import FileSides, Side

ROUTE_METHODS = frozenset({"Get", "Post", "Put", "Del", "Delete", "Patch", "Head", "Options", "Handle",
                           "HandleFunc", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "Any",
                           "Route", "Mount", "Group"})
ROUTE_CALL = re.compile(r"\.(?P<method>" + "|".join(sorted(ROUTE_METHODS, key=len, reverse=True))
                        + r")\(\s*\"(?P<path>/[^\"]*)\"")
FLAG_FUNCS = re.compile(r"^(Flag|(String|Int|Int32|Int64|Uint|Uint32|Uint64|Bool|Duration|Float32|Float64|"
                        r"StringSlice|StringArray|IntSlice|Var|Func|TextVar)(Var)?P?)$")
FLAG_OWNERS = re.compile(r"^(flag|pflag|kingpin|kingpin\.CommandLine|\w+\.(Persistent)?Flags\(\)|(fs|flags|flagSet|flagset|f))$")
STOP_SIGNAL = re.compile(r"\.Done\(\)|<-\s*\w*\.?(ctx|stop|quit|done|closing|close|shutdown|exit|term)\w*|\bctx\.Err\(\)|\bDone\(\)")
# A route that serves a file of a web UI: a name with a file extension, or a folder of assets.
STATIC_ASSET = re.compile(r"\.(js|mjs|css|map|ico|png|svg|jpe?g|gif|woff2?|ttf|eot|otf|html?|txt)$|^/(lib|static|assets|public|css|js|fonts|img|images)(/|$)")
ENCODING_METHOD = re.compile(r"^(Marshal|Unmarshal)(JSON|YAML|Text)$")
WORD = re.compile(r"[a-z0-9]+")
MAX_LISTED = 6


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_go

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, Any]]:
    return {table["id"]: table for table in data_table("go.toml")["rule"]}


@lru_cache(maxsize=1)
def _exclude() -> tuple[str, ...]:
    return tuple(data_table("go.toml").get("exclude", []))


def judged(path: str) -> bool:
    """A Go file these rules look at (not tests, test data, vendored or generated code)."""
    return path.endswith(".go") and in_scope(path, ("**",), _exclude())


def _emit(emit: Emitter, rule_id: str, side: str, line: int, message: str, severity: str | None = None) -> None:
    entry = _catalogue()[rule_id]
    diff = emit.sides.diff
    path = diff.path if side == "new" else (diff.old_path or diff.path)
    severity, message = emit._role_lowered(None, severity or entry["severity"], message)
    if emit.hunks_only:
        message += HUNKS_ONLY
    emit.findings.append(Finding(rule_id, severity, path, side, line, 0, 0, message, entry["reference"], "line"))


# -- what one side of a file holds -------------------------------------------------------------------------

@dataclass
class Goroutine:
    line: int
    key: tuple[str, str]  # (enclosing function, what it runs: a function's name or "func literal")
    in_loop: bool
    worker: bool  # its function literal runs a loop of its own
    stoppable: bool  # a context, a done channel or a WaitGroup is visible in it (or it runs a named function)
    retries: bool = False  # its function literal's only loops retry one piece of work until it succeeds


@dataclass
class Facts:
    package: str = ""
    imports: dict[str, tuple[str, int]] = field(default_factory=dict)  # import path -> (name used, line)
    exported: dict[str, int] = field(default_factory=dict)  # "func New", "method API.Register" -> line
    routes: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, line)
    goroutines: list[Goroutine] = field(default_factory=list)
    flags: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # name -> (help, definition without help, line)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (operand, line) of pkg.Func( calls
    encodings: dict[str, int] = field(default_factory=dict)  # "Type.MarshalJSON" -> line, any receiver
    embeds: dict[str, list[str]] = field(default_factory=dict)  # struct type -> types of this package it embeds


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _string_value(node: Any) -> str | None:
    if node.type == "interpreted_string_literal" or node.type == "raw_string_literal":
        return _text(node)[1:-1]
    return None


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def facts_of(side: Side) -> Facts:
    source = side.text.encode("utf-8")
    tree = _parser().parse(source)
    facts = Facts()

    def real(node: Any) -> int:
        return side.real_line(node.start_point[0])

    for node in tree.root_node.children:
        kind = node.type
        if kind == "package_clause":
            facts.package = _text(node).split()[-1]
        elif kind == "import_declaration":
            for spec in _walk(node):
                if spec.type == "import_spec":
                    path_node = spec.child_by_field_name("path")
                    name_node = spec.child_by_field_name("name")
                    path = _string_value(path_node) if path_node is not None else None
                    if path:
                        used = _text(name_node) if name_node is not None else posixpath.basename(path)
                        facts.imports[path] = (used, real(spec))
        elif kind == "function_declaration":
            name = _text(node.child_by_field_name("name"))
            if name[:1].isupper():
                facts.exported[f"func {name}"] = real(node)
        elif kind == "method_declaration":
            name = _text(node.child_by_field_name("name"))
            receiver = _receiver_type(node)
            if name[:1].isupper() and receiver[:1].isupper():
                facts.exported[f"method {receiver}.{name}"] = real(node)
            if ENCODING_METHOD.match(name):
                facts.encodings[f"{receiver}.{name}"] = real(node)
        elif kind in ("type_declaration", "var_declaration", "const_declaration"):
            word = {"type_declaration": "type", "var_declaration": "var", "const_declaration": "const"}[kind]
            for spec in _walk(node):
                if spec.type == "type_spec":
                    _embedded(spec, facts)
                if spec.type in ("type_spec", "type_alias", "var_spec", "const_spec"):
                    for child in spec.children_by_field_name("name"):
                        name = _text(child)
                        if name[:1].isupper():
                            facts.exported.setdefault(f"{word} {name}", real(child))
    for node in _walk(tree.root_node):
        if node.type == "go_statement":
            facts.goroutines.append(_goroutine(node, real(node)))
        elif node.type == "call_expression":
            _call(node, facts, real)
    return facts


def _embedded(spec: Any, facts: Facts) -> None:
    """Record the types of this package a struct embeds (``InclusiveRange``, ``*Base``): their
    methods are promoted to it. A type of another package (``foo.Base``) is not followed."""
    name, body = spec.child_by_field_name("name"), spec.child_by_field_name("type")
    if name is None or body is None or body.type != "struct_type":
        return
    embedded = []
    for fields in body.children:
        if fields.type != "field_declaration_list":
            continue
        for declaration in fields.children:
            kind = declaration.child_by_field_name("type")
            if declaration.type == "field_declaration" and declaration.child_by_field_name("name") is None \
                    and kind is not None and kind.type == "type_identifier":
                embedded.append(_text(kind))
    if embedded:
        facts.embeds[_text(name)] = embedded


def _receiver_type(node: Any) -> str:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return ""
    for child in _walk(receiver):
        if child.type == "type_identifier":
            return _text(child)
    return ""


def _enclosing_function(node: Any) -> str:
    current = node.parent
    while current is not None:
        if current.type in ("function_declaration", "method_declaration"):
            name = current.child_by_field_name("name")
            return _text(name) if name is not None else ""
        current = current.parent
    return ""


def _goroutine(node: Any, line: int) -> Goroutine:
    in_loop = False
    current = node.parent
    while current is not None and current.type not in ("function_declaration", "method_declaration", "func_literal"):
        if current.type == "for_statement":
            in_loop = True
            break
        current = current.parent
    call = node.children[-1] if node.children else None
    function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
    worker = function is not None and function.type == "func_literal" and any(
        child.type == "for_statement" and not _retry_loop(child) for child in _walk(function))
    # What it runs: a named function (its arguments may change: ``go d.Run()`` to ``go d.Run(at)``
    # starts no new goroutine), or a function literal.
    runs = "func literal" if function is None or function.type == "func_literal" else "".join(_text(function).split())
    # Only a literal's body is in view; a named function's body may well watch a context.
    stoppable = runs != "func literal" or bool(STOP_SIGNAL.search(_text(node)))
    retries = not worker and function is not None and function.type == "func_literal" and any(
        child.type == "for_statement" for child in _walk(function))
    return Goroutine(line, (_enclosing_function(node), runs), in_loop, worker, stoppable, retries)


def _retry_loop(loop: Any) -> bool:
    """A bare ``for { … }`` whose body ends in ``return`` or an unlabelled ``break``: it runs its work
    once and goes round again only where a ``continue`` retries (a failed attempt), unlike a worker's
    loop that takes the next piece of work until it is stopped."""
    if any(child.type in ("for_clause", "range_clause") or child.type.endswith("expression") or child.type == "identifier"
           for child in loop.named_children if child != loop.child_by_field_name("body")):
        return False
    body = loop.child_by_field_name("body")
    statements = _statements(body) if body is not None else []
    if not statements:
        return False
    last = statements[-1]
    return last.type == "return_statement" or (last.type == "break_statement" and not last.named_children)


def _call(node: Any, facts: Facts, real: Any) -> None:
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or arguments is None or function.type != "selector_expression":
        return
    operand, member = function.child_by_field_name("operand"), function.child_by_field_name("field")
    if operand is None or member is None:
        return
    name = _text(member)
    values = [child for child in arguments.named_children]
    if operand.type == "identifier":
        facts.calls.append((_text(operand), real(node)))
    if name in ROUTE_METHODS and len(values) >= 2:
        # A registration names its handler; ``client.Get("/path")`` (one argument) is a request.
        path = _string_value(values[0])
        if path is not None and path.startswith("/"):
            facts.routes.append((name, path, real(node)))
        return
    if FLAG_FUNCS.match(name) and FLAG_OWNERS.match("".join(_text(operand).split())):
        strings = [(index, _string_value(value)) for index, value in enumerate(values) if _string_value(value) is not None]
        if len(strings) < 2 or strings[-1][0] != len(values) - 1 or strings[0][0] == strings[-1][0]:
            return
        flag_name, help_text = strings[0][1] or "", strings[-1][1] or ""
        # The definition as a whole (a kingpin chain's .Default(…) included), the help text left out.
        outer = node
        while outer.parent is not None and outer.parent.type in ("selector_expression", "call_expression"):
            outer = outer.parent
        definition = "".join(_text(outer).replace(_text(values[-1]), "", 1).split())
        facts.flags.setdefault(flag_name, (help_text, definition, real(values[-1])))


# -- the change as a whole (computed once per change) -----------------------------------------------------

@dataclass
class ChangeFacts:
    added: str  # every added line of the change
    removed: str  # every removed line of the change
    deleted_packages: dict[str, list[str]]  # directory -> the files of it this change deletes
    deleted_routes: dict[str, list[tuple[str, str]]]  # directory -> routes its deleted files registered
    deleted_exports: dict[str, list[str]]  # directory -> exported names its deleted files declared
    removed_imports: set[str]
    added_imports: set[str]


IMPORT_LINE = re.compile(r"^\s*(?:import\s+)?(?:[\w.]+\s+)?\"(?P<path>[\w.~/-]+)\"\s*$")
EXPORTED_DECL = re.compile(r"^(?:func\s+(?:\([^)]*\)\s*)?|type\s+|var\s+|const\s+)(?P<name>[A-Z]\w*)")


def change_facts(context: ChangeContext) -> ChangeFacts:
    cached = getattr(context, "_go_facts", None)
    if cached is not None:
        return cached
    change = context.change
    by_dir: dict[str, list[Any]] = {}
    removed_imports: set[str] = set()
    added_imports: set[str] = set()
    for diff in change.files:
        for path in {p for p in (diff.old_path, diff.new_path) if p and p.endswith(".go")}:
            by_dir.setdefault(posixpath.dirname(path), []).append(diff)
        if not diff.path.endswith(".go"):
            continue
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is LineKind.CONTEXT:
                    continue
                match = IMPORT_LINE.match(line.text)
                if match:
                    (added_imports if line.kind is LineKind.ADDED else removed_imports).add(match.group("path"))
    deleted: dict[str, list[str]] = {}
    for directory, diffs in by_dir.items():
        code = [d for d in diffs if not (d.old_path or d.path).endswith("_test.go")]
        if code and all(d.status is FileStatus.DELETED for d in code):
            deleted[directory] = [d.old_path or d.path for d in code]
    deleted = {d: files for d, files in deleted.items() if not _still_has_go(context, d)}
    routes: dict[str, list[tuple[str, str]]] = {}
    exports: dict[str, list[str]] = {}
    for diff in change.files:
        directory = posixpath.dirname(diff.old_path or diff.path)
        if directory not in deleted or diff.status is not FileStatus.DELETED or (diff.old_path or diff.path).endswith("_test.go"):
            continue
        for hunk in diff.hunks:
            for line in hunk.lines:
                for match in ROUTE_CALL.finditer(line.text):
                    routes.setdefault(directory, []).append((match.group("method"), match.group("path")))
                declared = EXPORTED_DECL.match(line.text)
                if declared:
                    exports.setdefault(directory, []).append(declared.group("name"))
    removed = "\n".join(line.text for diff in change.files for hunk in diff.hunks for line in hunk.lines
                        if line.kind is LineKind.REMOVED)
    facts = ChangeFacts(context.added_text, removed, deleted, routes, exports, removed_imports, added_imports)
    context._go_facts = facts  # type: ignore[attr-defined]
    return facts


def _still_has_go(context: ChangeContext, directory: str) -> bool:
    """Whether the head of the change still has Go code in ``directory`` (files the change did not touch)."""
    from reviewer_app.core.risk.structure import texts

    change = context.change
    repo = texts.repository_for(change.base, change.head)
    if repo is None or not change.head:
        return False  # no tree to ask: the deleted files and the dropped import are the evidence
    out = texts.git_output(repo, "ls-tree", "--name-only", change.head, "--", f"{directory}/")
    return out is not None and any(
        name.endswith(".go") and not name.endswith("_test.go") for name in out.decode("utf-8", "replace").splitlines())


# -- the analyser --------------------------------------------------------------------------------------------

def analyse(sides: FileSides, emit: Emitter, context: ChangeContext) -> Parsed:
    diff = sides.diff
    paths = [p for p in (diff.old_path, diff.new_path) if p]
    if not all(judged(p) for p in paths):
        return Parsed(False, "")
    if not sides.complete:
        return Parsed(False, "")  # hunks of Go are not a program: the line rules judge them
    old = facts_of(sides.old) if sides.old.exists else Facts()
    new = facts_of(sides.new) if sides.new.exists else Facts()
    whole = change_facts(context)
    public = old.package not in ("", "main") and "internal" not in (diff.old_path or diff.path).split("/")
    _package_removed(sides, emit, old, new, whole)
    deleted_whole = diff.status is FileStatus.DELETED and posixpath.dirname(diff.old_path or diff.path) in whole.deleted_packages
    if not deleted_whole:
        _routes_removed(emit, old, new, whole, context)
        if public:
            _exports_removed(emit, old, new, whole, deleted=diff.status is FileStatus.DELETED)
    _encodings_removed(emit, old, new, whole, posixpath.dirname(diff.new_path or diff.path), context)
    _goroutines(sides, emit, old, new)
    _flags(emit, old, new)
    return Parsed(True)


def _package_removed(sides: FileSides, emit: Emitter, old: Facts, new: Facts, whole: ChangeFacts) -> None:
    for import_path, (used, import_line) in old.imports.items():
        if import_path in new.imports or import_path in whole.added_imports:
            continue
        directory = next((d for d in whole.deleted_packages if d and (import_path == d or import_path.endswith("/" + d))), None)
        if directory is None:
            continue
        routes = whole.deleted_routes.get(directory, [])
        if not routes and "internal" in directory.split("/"):
            continue
        line = next((number for operand, number in old.calls if operand == used and number in sides.old.changed), import_line)
        names = list(dict.fromkeys(whole.deleted_exports.get(directory, [])))
        shown = f" ({len(names)} exported names: {', '.join(names[:MAX_LISTED])}{', …' if len(names) > MAX_LISTED else ''})" if names else ""
        message = f"package {directory}/ is deleted by this change{shown} and this file stops using it (`{used}`)."
        if routes:
            listed = ", ".join(f"{m.upper()} {p}" for m, p in routes[:MAX_LISTED]) + (", …" if len(routes) > MAX_LISTED else "")
            again = [p for _, p in routes if f'"{p}"' in whole.added]
            message += (f" It registered {len(routes)} HTTP routes ({listed}): every client of those endpoints"
                        " loses them on upgrade.")
            if again:
                message += " The change registers some of the same paths again elsewhere: check what they answer now."
            _emit(emit, "GO-PACKAGE-REMOVED", "old", line, message, "high")
        else:
            message += " Code outside this module that imports it no longer builds."
            _emit(emit, "GO-PACKAGE-REMOVED", "old", line, message)


def _routes_removed(emit: Emitter, old: Facts, new: Facts, whole: ChangeFacts, context: ChangeContext) -> None:
    kept = {path for _, path, _ in new.routes}
    gone = [(method, path, line) for method, path, line in old.routes
            if path not in kept and f'"{path}"' not in whole.added and len(path) > 1]
    if not gone:
        return
    listed = ", ".join(f"{m.upper()} {p}" for m, p, _ in gone[:MAX_LISTED]) + (", …" if len(gone) > MAX_LISTED else "")
    route_word = "route is" if len(gone) == 1 else f"{len(gone)} routes are"
    message = f"HTTP {route_word} no longer registered anywhere in the change ({listed}): clients calling them get 404 or 405."
    if all(STATIC_ASSET.search(path) for _, path, _ in gone):
        # A web UI's own files (script.js, favicon.ico, lib/…) are fetched by the page served with
        # them, which moves in step; only a stale cached page asks for the old names.
        _emit(emit, "GO-HTTP-ROUTE-REMOVED", "old", gone[0][2],
              f"{message} They serve static files of a web UI, whose pages move with them: medium.", "medium")
    else:
        unreleased = _routes_unreleased(emit, context, [path for _, path, _ in gone])
        if unreleased:
            from reviewer_app.core.risk.releases import CAP, lowered_message

            _emit(emit, "GO-HTTP-ROUTE-REMOVED", "old", gone[0][2], lowered_message(message, unreleased), CAP)
        else:
            _emit(emit, "GO-HTTP-ROUTE-REMOVED", "old", gone[0][2], message)


def _routes_unreleased(emit: Emitter, context: ChangeContext, paths: list[str]) -> str | None:
    """Why no client can call the removed routes yet: no Go file of the nearest release (releases.py) holds any of
    their paths as a string, while the tree before the change does (added since). None when a release holds one,
    or git cannot tell: the finding keeps its severity."""
    from reviewer_app.core.risk import releases

    found = releases.release_to_compare(context.change, emit.rules, "GO-HTTP-ROUTE-REMOVED", context.memo("releases"))
    if found is None:
        return None
    repo, release = found
    for path in paths:
        # The path as a Go string: "/users/x", or after a method in a Go 1.22 pattern ("GET /users/x").
        pattern = f'["[:space:]]{releases.ere_literal(path)}"'
        if not releases.added_since(repo, release, context.change.base, pattern, ("*.go",)):
            return None
    shown = ", ".join(paths[:MAX_LISTED]) + (", …" if len(paths) > MAX_LISTED else "")
    return (f"the route {shown} is in no release yet (it was added since {release}: the tree before this change "
            f"registers it and no Go file of {release} names it)")


def _exports_removed(emit: Emitter, old: Facts, new: Facts, whole: ChangeFacts, deleted: bool) -> None:
    gone = []
    for key, line in old.exported.items():
        name = key.rsplit(" ", 1)[-1].rsplit(".", 1)[-1]
        if key in new.exported or ENCODING_METHOD.match(name):
            continue  # kept, or an encoding method: GO-WIRE-FORMAT-METHOD-REMOVED judges those
        if re.search(rf"^\+?\s*(func\s+(\([^)]*\)\s*)?|type\s+|var\s+|const\s+|){re.escape(name)}\b", whole.added, re.MULTILINE):
            continue  # declared again on an added line (moved to another file, or re-shaped)
        gone.append((key, line))
    if not gone:
        return
    listed = ", ".join(key for key, _ in gone[:MAX_LISTED]) + (", …" if len(gone) > MAX_LISTED else "")
    where = "the file is deleted and" if deleted else "the change removes"
    _emit(emit, "GO-EXPORTED-API-REMOVED", "old", gone[0][1],
          f"package {old.package}: {where} {len(gone)} exported name{'s' if len(gone) > 1 else ''} declared nowhere else "
          f"in the change ({listed}): code outside this module that uses them no longer builds.")


def _emit_line_rule(emit: Emitter, rule_id: str, side: str, line: int, message: str,
                    severity: str | None = None) -> None:
    """A finding under a line rule's id: the team's disable, override, paths and exclusions apply
    (a team's severity override wins over the ``severity`` the analyser judged)."""
    rule = emit.rules.by_id(rule_id)
    diff = emit.sides.diff
    if rule is None or not any(in_scope(p, rule.paths, rule.exclude) for p in (diff.new_path, diff.old_path) if p):
        return
    path = diff.path if side == "new" else (diff.old_path or diff.path)
    if severity is None or rule.origin != "built-in":
        severity = rule.severity
    severity, message = emit._role_lowered(rule, severity, message)
    emit.findings.append(Finding(rule_id, severity, path, side, line, 0, 0, message, rule.reference, "line"))


def _declared(name: str, text: str) -> bool:
    """Whether ``text`` (lines of Go) declares the type ``name`` (``type T …`` or ``T struct`` in a type block)."""
    return bool(re.search(rf"^\s*type\s+{re.escape(name)}\b|^\s*{re.escape(name)}(\[[^\]\n]*\])?\s+(struct|interface)\s*\{{",
                          text, re.MULTILINE))


def _encodings_removed(emit: Emitter, old: Facts, new: Facts, whole: ChangeFacts, directory: str,
                       context: ChangeContext) -> None:
    """GO-WIRE-FORMAT-METHOD-REMOVED, judged with the receiver type in view: a type deleted whole
    takes its encoding with it (its removal is an exported-name or config change, not a format
    falling back to the field dump); a method re-declared on an added line moved. A struct that
    embeds a type of its package having the method still has it in its method set (Go promotes it):
    values encode through the embedded type's encoder, not the field dump. Low, saying so: the
    shape may differ from the one the removed method wrote."""
    for key, line in old.encodings.items():
        if key in new.encodings:
            continue
        receiver, method = key.rsplit(".", 1)
        if re.search(rf"^\s*func\s*\([^)]*\b{re.escape(receiver)}(\[[^\]]*\])?\)\s*{method}\(", whole.added, re.MULTILINE):
            continue
        if receiver and _declared(receiver, whole.removed) and not _declared(receiver, whole.added):
            continue  # the type itself is deleted
        if _plain_decoder_removed(emit, receiver, method, line, whole):
            continue
        shape = _same_shape(emit, receiver, method, directory, context)
        if shape is not None:
            _emit_line_rule(emit, "GO-WIRE-FORMAT-METHOD-REMOVED", "old", line,
                            f"`{receiver}` drops its own `{method}`, but its fields now carry the keys the removed codec "
                            + ("wrote: the default encoding has the same field names, so the wire shape stays. Low: check the "
                               "values' formats." if shape == "exact" else
                               "read up to letter case: encoding/json matches keys case-insensitively, so documents in the old "
                               "shape still decode." if method.startswith("Unmarshal") else
                               "wrote up to letter case, declared by json tags: a case-sensitive reader of what it writes "
                               "(a browser UI, another language) sees the keys whose case changed as new ones."),
                            severity="low" if shape == "exact" or method.startswith("Unmarshal") else "medium")
            continue
        promoted = _promoted_from(receiver, method, new, directory, context)
        if promoted is not None:
            _emit_line_rule(emit, "GO-WIRE-FORMAT-METHOD-REMOVED", "old", line,
                            f"`{receiver}` drops its own `{method}`, but it embeds `{promoted}`, whose `{method}` its method "
                            f"set still holds: values still encode through `{promoted}`'s encoder, not the default field dump. "
                            "Low: check that the embedded type's shape is the one readers of the old one accept.",
                            severity="low")
            continue
        _emit_line_rule(emit, "GO-WIRE-FORMAT-METHOD-REMOVED", "old", line,
                        f"`{receiver}` loses its custom encoding (`{method}`) while the type stays: its shape falls back to "
                        "the default field dump, and every client, stored file or API consumer reading the old shape breaks.")


# -- a removed decoder that only decoded through a plain copy of its type (yaml.v2's idiom) ------------

@dataclass
class PlainDecoder:
    """What a removed ``UnmarshalYAML(unmarshal func(interface{}) error)`` did besides decoding through
    ``type plain T; unmarshal((*plain)(c))`` (what the decoder does without it): the value it set the
    receiver to first (``*c = DefaultAuth``), and the error messages of the checks it ran after."""
    defaults: str
    errors: list[str]
    own: str = "c"  # the receiver's name


ERROR_CALL = re.compile(r"^(fmt\.Errorf|errors\.New)$")


def _method_named(tree: Any, receiver: str, method: str) -> Any:
    """The first top-level declaration of ``receiver``'s method ``method``; None when there is none."""
    for node in tree.root_node.children:
        if node.type == "method_declaration" and _receiver_type(node) == receiver:
            name = node.child_by_field_name("name")
            if name is not None and _text(name) == method:
                return node
    return None


def _plain_decoder(tree: Any, receiver: str, method: str) -> PlainDecoder | None:
    """The removed method, when its body is no more than: ``*c = <name or literal>``, ``type plain T``,
    one decode through the method's own ``unmarshal`` parameter of ``(*plain)(c)`` (which carries the
    outer decoder's settings, strictness included), checks that only return ``fmt.Errorf``/``errors.New``
    of a literal, and ``return nil``. None for anything else (fail closed: the method may convert)."""
    if method != "UnmarshalYAML":
        return None
    node = _method_named(tree, receiver, method)
    if node is None:
        return None
    own = _receiver_name(node)
    declared = node.child_by_field_name("parameters")
    parameters = [p for p in declared.named_children if p.type == "parameter_declaration"] if declared is not None else []
    kinds = [p.child_by_field_name("type") for p in parameters]
    names = [p.child_by_field_name("name") for p in parameters]
    if len(parameters) != 1 or names[0] is None or kinds[0] is None or kinds[0].type != "function_type" or not own:
        return None
    decode = _text(names[0])
    body = node.child_by_field_name("body")
    if body is None:
        return None
    return _plain_body(body, own, receiver, decode)


def _receiver_name(node: Any) -> str:
    receiver = node.child_by_field_name("receiver")
    for parameter in (receiver.named_children if receiver is not None else []):
        if parameter.type == "parameter_declaration" and parameter.child_by_field_name("name") is not None:
            return _text(parameter.child_by_field_name("name"))
    return ""


def _statements(block: Any) -> list[Any]:
    found = []
    for child in block.named_children:
        if child.type == "statement_list":
            found.extend(c for c in child.named_children if c.type != "comment")
        elif child.type != "comment":
            found.append(child)
    return found


def _plain_body(body: Any, own: str, receiver: str, decode: str) -> PlainDecoder | None:
    aliases: set[str] = set()
    defaults, decoded, errors = "", False, []
    statements = _statements(body)
    for number, statement in enumerate(statements):
        text = " ".join(_text(statement).split())
        last = number == len(statements) - 1
        if statement.type == "type_declaration":
            specs = [c for c in statement.named_children if c.type == "type_spec"]
            if not specs or decoded:
                return None
            for spec in specs:
                kind = spec.child_by_field_name("type")
                if kind is None or _text(kind) != receiver:
                    return None
                aliases.add(_text(spec.child_by_field_name("name")))
            continue
        if not decoded and not defaults and statement.type == "assignment_statement":
            match = re.fullmatch(rf"\*{re.escape(own)} = (\w+(\{{.*\}})?)", text, re.DOTALL)
            if match is None:
                return None
            defaults = match.group(1)
            continue
        call = "|".join(re.escape(a) for a in aliases) or "(?!)"
        through = rf"{re.escape(decode)}\(\(\*(?:{call})\)\({re.escape(own)}\)\)"
        if not decoded and (re.fullmatch(rf"if (\w+) :?= {through}; \1 != nil {{ return \1 }}", text)
                            or (last and re.fullmatch(rf"return {through}", text))):
            decoded = True
            continue
        if decoded and last and text == "return nil":
            continue
        if decoded and statement.type == "if_statement":
            found = _checks(statement)
            if found is None:
                return None
            errors.extend(found)
            continue
        return None
    return PlainDecoder(defaults, errors, own) if decoded else None


def _checks(node: Any) -> list[str] | None:
    """The error messages an ``if`` (or ``switch``) returns, when all it does is return errors made from
    a literal (nested ``if``/``switch`` and ``fallthrough`` allowed); None when it does anything else."""
    found: list[str] = []
    blocks: list[Any] = []
    if node.type == "if_statement":
        if node.child_by_field_name("initializer") is not None:
            return None
        blocks = [c for c in (node.child_by_field_name("consequence"), node.child_by_field_name("alternative")) if c is not None]
    elif node.type == "expression_switch_statement":
        if node.child_by_field_name("initializer") is not None:
            return None
        for case in node.named_children:
            if case.type in ("expression_case", "default_case"):
                blocks.append(case)
    else:
        return None
    for block in blocks:
        if block.type == "if_statement":
            inner = _checks(block)
            if inner is None:
                return None
            found.extend(inner)
            continue
        for statement in _statements(block):
            if block.type in ("expression_case", "default_case") and statement == block.child_by_field_name("value"):
                continue
            if statement.type in ("if_statement", "expression_switch_statement"):
                inner = _checks(statement)
                if inner is None:
                    return None
                found.extend(inner)
            elif statement.type == "fallthrough_statement":
                continue
            elif statement.type == "return_statement":
                values = [c for c in statement.named_children if c.type == "expression_list"]
                call = values[0].named_children[0] if values and len(values[0].named_children) == 1 else None
                function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
                arguments = call.child_by_field_name("arguments") if call is not None and function is not None else None
                first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
                message = _string_value(first) if first is not None else None
                if function is None or not ERROR_CALL.match("".join(_text(function).split())) or not message:
                    return None
                found.append(message)
            else:
                return None
    return found


def _errors_returned(node: Any) -> set[str]:
    """The literal messages of every ``fmt.Errorf``/``errors.New`` call under ``node``."""
    found = set()
    for call in _walk(node):
        if call.type != "call_expression":
            continue
        function, arguments = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if function is None or arguments is None or not arguments.named_children \
                or not ERROR_CALL.match("".join(_text(function).split())):
            continue
        message = _string_value(arguments.named_children[0])
        if message:
            found.add(message)
    return found


def _other_decoders(new_text: str, receiver: str, method: str) -> list[tuple[str, Any]]:
    """(receiver type, method node) of the new side's ``method`` methods of types other than ``receiver``."""
    tree = _parser().parse(new_text.encode("utf-8"))
    found = []
    for node in tree.root_node.children:
        name = node.child_by_field_name("name") if node.type == "method_declaration" else None
        if name is not None and _text(name) == method and _receiver_type(node) not in ("", receiver):
            found.append((_receiver_type(node), node))
    return found


def _defaults_carried(new_text: str, receiver: str, method: str, defaults: str) -> tuple[str, str] | None:
    """Whether the new side still applies ``defaults`` (a variable) when the receiver is decoded inside
    another type: that type's own ``method`` sets ``*x = Y`` first, and ``Y``'s keyed literal carries
    ``defaults`` as a field's value, directly or through other variables' keyed literals
    (``DefaultModule = Module{WalkParams: DefaultWalkParams}``, ``DefaultWalkParams = WalkParams{Auth:
    DefaultAuth}``). A keyed value that is a variable of the struct type is a struct-valued field, which
    the decoder fills in place: fields a document leaves out keep the defaults. (holder type, Y) or None."""
    if not re.fullmatch(r"[A-Za-z_]\w*", defaults):
        return None
    tree = _parser().parse(new_text.encode("utf-8"))
    literals: dict[str, set[str]] = {}
    for spec in _walk(tree.root_node):
        if spec.type != "var_spec" or spec.parent is None or _enclosing_function(spec):
            continue
        names = [_text(n) for n in spec.children_by_field_name("name")]
        values = spec.child_by_field_name("value")
        if len(names) != 1 or values is None or len(values.named_children) != 1 \
                or values.named_children[0].type != "composite_literal":
            continue
        carried = set()
        for element in _walk(values.named_children[0]):
            if element.type == "keyed_element" and len(element.named_children) == 2:
                value = element.named_children[1]
                inner = value.named_children[0] if value.type == "literal_element" and value.named_children else value
                if inner.type == "identifier":
                    carried.add(_text(inner))
        literals[names[0]] = carried

    def reaches(name: str, seen: set[str]) -> bool:
        if name in seen:
            return False
        seen.add(name)
        return any(value == defaults or reaches(value, seen) for value in literals.get(name, ()))

    for node in tree.root_node.children:
        if node.type != "method_declaration" or _receiver_type(node) in ("", receiver):
            continue
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        own = _receiver_name(node)
        if name is None or body is None or _text(name) != method or not own:
            continue
        statements = _statements(body)
        first = " ".join(_text(statements[0]).split()) if statements else ""
        match = re.fullmatch(rf"\*{re.escape(own)} = (\w+)", first)
        if match and reaches(match.group(1), set()):
            return _receiver_type(node), match.group(1)
    return None


def _plain_decoder_removed(emit: Emitter, receiver: str, method: str, line: int, whole: ChangeFacts) -> bool:
    """GO-WIRE-FORMAT-METHOD-REMOVED for a removed ``UnmarshalYAML`` that decoded through ``type plain T``
    (the format it reads is the struct's own, with or without it): low when that is all it did; when it
    also set defaults or ran checks, what is lost is those, said so, and medium when the new side applies
    the same defaults through the type that holds it and every error it returned is returned by an added
    line; high otherwise. False when the method was no such decoder (the caller judges it)."""
    sides = emit.sides
    if not sides.old.exists:
        return False
    try:
        decoder = _plain_decoder(_parser().parse(sides.old.text.encode("utf-8")), receiver, method)
        carried = (_defaults_carried(sides.new.text, receiver, method, decoder.defaults)
                   if decoder is not None and decoder.defaults and sides.new.exists else None)
    except Exception:  # noqa: BLE001 - a parse failure leaves the finding to the caller (fail closed)
        return False
    if decoder is None:
        return False
    plain = f"`{receiver}` drops an `{method}` that decoded through a plain copy of the type (`type plain {receiver}`)"
    if not decoder.defaults and not decoder.errors:
        _emit_line_rule(emit, "GO-WIRE-FORMAT-METHOD-REMOVED", "old", line,
                        f"{plain} and did nothing else: the decoder reads the same fields the same way without it, "
                        "so the format does not change. Low.", severity="low")
        return True
    lost, kept = [], []
    if decoder.defaults:
        shown = decoder.defaults if len(decoder.defaults) <= 40 else decoder.defaults[:37] + "…"
        if carried is not None:
            kept.append(f"its defaults (`*{decoder.own} = {shown}`) still apply where `{receiver}` is decoded inside "
                        f"`{carried[0]}`, whose `{method}` first sets `{carried[1]}`, which carries `{shown}` (the "
                        f"decoder fills a nested struct in place); `{receiver}` decoded on its own no longer gets them")
        else:
            lost.append(f"it set defaults before decoding (`*{decoder.own} = {shown}`): fields a document leaves out "
                        "now stay zero unless something else sets them")
    if decoder.errors:
        holders = [(holder, node) for holder, node in _other_decoders(sides.new.text, receiver, method)
                   if carried is None or holder == carried[0]] if sides.new.exists else []
        returned = set().union(*(_errors_returned(node) for _, node in holders)) if holders else set()
        missing = [message for message in decoder.errors if message not in returned]
        if missing:
            lost.append(f"it rejected invalid values ({len(decoder.errors)} checks, e.g. \"{missing[0][:60]}\"), and "
                        f"{len(missing)} of their errors no other type's `{method}` in this file returns: documents "
                        "it rejected may now load")
        else:
            where = " or ".join(f"`{holder}`" for holder in sorted({holder for holder, _ in holders}))
            kept.append(f"every error its {len(decoder.errors)} checks returned (e.g. \"{decoder.errors[0][:60]}\") is "
                        f"returned by {where}'s `{method}`, so they run where `{receiver}` is decoded inside it")
    message = f"{plain}, so the format read stays the struct's own; what else it did: " + "; ".join(lost + kept) + "."
    if not lost:
        message += " Medium, not high: what it did is still done where the type is decoded inside another."
    _emit_line_rule(emit, "GO-WIRE-FORMAT-METHOD-REMOVED", "old", line, message, severity="high" if lost else "medium")
    return True


def _promoted_from(receiver: str, method: str, new: Facts, directory: str, context: ChangeContext) -> str | None:
    """The one type ``receiver`` embeds (on the new side) that declares ``method`` in the same package,
    or None (none does, or two do: Go then promotes neither). Looked up in this file and in the
    package's other files at the change's head."""
    embedded = new.embeds.get(receiver) or []
    if not embedded:
        return None
    having = {name for name in embedded if f"{name}.{method}" in new.encodings}
    from reviewer_app.core.risk.structure import texts

    change = context.change
    repo = texts.repository_for(change.base, change.head)
    if repo is not None and change.head and len(having) < len(embedded):
        names = "|".join(re.escape(name) for name in embedded)
        pattern = rf"^func[[:space:]]*\([^)]*[^[:alnum:]_]({names})(\[[^]]*\])?\)[[:space:]]*{method}\("
        prefix = f"{directory}/" if directory else ""
        out = texts.git_output(repo, "grep", "-h", "-E", pattern, change.head, "--", f":(glob){prefix}*.go",
                               f":(glob,exclude){prefix}*_test.go")
        for found in (out or b"").decode("utf-8", "replace").splitlines():
            having.update(name for name in embedded
                          if re.search(rf"\b{re.escape(name)}(\[[^\]]*\])?\)\s*{method}\(", found))
    return next(iter(having)) if len(having) == 1 else None


def _goroutines(sides: FileSides, emit: Emitter, old: Facts, new: Facts) -> None:
    before = Counter(g.key for g in old.goroutines)
    for goroutine in new.goroutines:
        if before[goroutine.key] > 0:
            before[goroutine.key] -= 1
            continue
        if goroutine.line not in sides.new.changed:
            continue
        where = f" in {goroutine.key[0]}" if goroutine.key[0] else ""
        if goroutine.in_loop and goroutine.worker:
            _emit(emit, "GO-GOROUTINE-STARTED", "new", goroutine.line,
                  f"goroutines are started in a loop{where}, each running a loop of its own: a pool of workers now does "
                  "concurrently what ran in order, so ordering changes and everything the work touches is shared between "
                  "them (races, lock contention, shutdown of the pool).", "high")
        else:
            stop = "" if goroutine.stoppable else " Nothing visible in it (a context, a done channel, a WaitGroup) stops or waits for it."
            started = f"goroutines are started in a loop{where}, one per pass" if goroutine.in_loop else f"a new goroutine is started{where}"
            retry = (", each retrying its one piece of work until it succeeds (its loop ends in return or break, so "
                     "it is no pool of workers; a failure that persists keeps it alive)") if goroutine.retries else ""
            _emit(emit, "GO-GOROUTINE-STARTED", "new", goroutine.line,
                  f"{started}{retry}: what it touches is now shared with the caller, and it must end "
                  f"when its owner stops.{stop}")


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _flags(emit: Emitter, old: Facts, new: Facts) -> None:
    for name, (help_text, definition, line) in new.flags.items():
        previous = old.flags.get(name)
        if previous is None or previous[1] != definition or _words(previous[0]) == _words(help_text):
            continue
        _emit(emit, "GO-FLAG-MEANING-CHANGED", "new", line,
              f"flag `{name}` keeps its name and definition but its help now reads \"{help_text}\" "
              f"(was \"{previous[0]}\"): deployments that set it get the new meaning without changing anything.")


# -- the wire shape a removed custom JSON codec wrote, against the default encoding of the new struct ----
JSON_TAG = re.compile(r'(?:^|\s)json:"([^"]*)"')
MAX_EMBED_DEPTH = 3


def _field_names(body: Any, resolve: Callable[[Any], Any | None], depth: int = 0) -> dict[str, tuple[int, bool]] | None:
    """The JSON keys encoding/json writes for a ``struct_type`` node: each exported field under its tag's
    name (or its own name), ``-`` left out, an untagged embedded struct's keys inlined one level deeper
    (the shallower key wins, two at the same depth cancel, as encoding/json does). None when a key cannot
    be told (an embedded type that cannot be found, or not a struct). Each key with its depth and
    whether a json tag names it (else it is the Go field's own name: the default field dump)."""
    keys: dict[str, tuple[int, bool]] = {}
    clashes: set[str] = set()

    def put(key: str, level: int, tagged: bool) -> None:
        if key in keys and keys[key][0] == level:
            clashes.add(key)
        elif key not in keys or level < keys[key][0]:
            keys[key] = (level, tagged)
            clashes.discard(key)

    for fields in body.children:
        if fields.type != "field_declaration_list":
            continue
        for declaration in fields.children:
            if declaration.type != "field_declaration":
                continue
            tag_node = declaration.child_by_field_name("tag")
            tag = JSON_TAG.search(_string_value(tag_node) or "") if tag_node is not None else None
            name = tag.group(1).split(",")[0] if tag else ""
            if tag and name == "-" and tag.group(1) == "-":
                continue
            names = [_text(n) for n in declaration.children_by_field_name("name")]
            if names:
                for field_name in names:
                    if field_name[:1].isupper():
                        put(name or field_name, depth, bool(name))
                continue
            kind = declaration.child_by_field_name("type")
            if kind is None:
                return None
            if name:  # a tagged embedded field is one key
                put(name, depth, True)
                continue
            if depth >= MAX_EMBED_DEPTH:
                return None
            inner = resolve(kind)
            if inner is None:
                return None
            found = _field_names(inner, resolve, depth + 1)
            if found is None:
                return None
            for key, (level, tagged) in found.items():
                put(key, level, tagged)
    return {key: level for key, level in keys.items() if key not in clashes}


def _struct_types(tree: Any) -> dict[str, Any]:
    """name -> ``struct_type`` node of every top-level struct type a parsed file declares."""
    found = {}
    for spec in _walk(tree.root_node):
        if spec.type == "type_spec" and spec.parent is not None and spec.parent.type == "type_declaration" \
                and spec.parent.parent is not None and spec.parent.parent.type == "source_file":
            name, body = spec.child_by_field_name("name"), spec.child_by_field_name("type")
            if name is not None and body is not None and body.type == "struct_type":
                found[_text(name)] = body
    return found


def _custom_keys(tree: Any, receiver: str, method: str) -> dict[str, tuple[int, bool]] | None:
    """The JSON keys a removed ``MarshalJSON``/``UnmarshalJSON`` wrote or read, when it does so through
    one anonymous struct literal (``v := struct{ ID … `json:"id"` }{…}``); None when that cannot be told."""
    if method not in ("MarshalJSON", "UnmarshalJSON"):
        return None
    node = _method_named(tree, receiver, method)
    if node is None:
        return None
    body = node.child_by_field_name("body")
    if body is None or "json." not in _text(body):
        return None
    candidates = []
    for struct in _walk(body):
        if struct.type != "struct_type":
            continue
        parent, nested = struct.parent, False
        while parent is not None and parent is not body:
            nested = nested or parent.type in ("struct_type", "type_spec")
            parent = parent.parent
        if not nested:
            candidates.append(struct)
    if len(candidates) != 1:
        return None
    return _field_names(candidates[0], lambda kind: None)


def _package_files(repo: Any, revision: str, folder: str) -> list[str]:
    out = _git_text(repo, "ls-tree", "--name-only", f"{revision}:{folder}" if folder else revision)
    return [f"{folder}/{name}" if folder else name for name in (out or "").splitlines()
            if name.endswith(".go") and not name.endswith("_test.go")]


def _git_text(repo: Any, *args: str) -> str | None:
    from reviewer_app.core.risk.structure import texts

    out = texts.git_output(repo, *args)
    return out.decode("utf-8", "replace") if out is not None else None


def _default_keys(new_text: str, receiver: str, directory: str, context: ChangeContext) -> dict[str, tuple[int, bool]] | None:
    """The JSON keys encoding/json writes for ``receiver`` on the new side, embedded types followed into
    this package and into imported packages the repository holds (its own folders, ``vendor/``)."""
    from reviewer_app.core.risk.structure import texts

    tree = _parser().parse(new_text.encode("utf-8"))
    local = _struct_types(tree)
    if receiver not in local:
        return None
    change = context.change
    repo = texts.repository_for(change.base, change.head)
    imports = _imports_of(tree)
    module = ""
    if repo is not None and change.head:
        module_text = _git_text(repo, "show", f"{change.head}:go.mod") or ""
        match = re.search(r"^module\s+(\S+)", module_text, re.MULTILINE)
        module = match.group(1) if match else ""
    cache: dict[str, dict[str, Any]] = {}

    def structs_in(folder: str) -> dict[str, Any]:
        if folder not in cache:
            found: dict[str, Any] = {}
            if repo is not None and change.head:
                for path in _package_files(repo, change.head, folder):
                    text = _git_text(repo, "show", f"{change.head}:{path}")
                    if text is not None:
                        found.update(_struct_types(_parser().parse(text.encode("utf-8"))))
            cache[folder] = found
        return cache[folder]

    def resolve(kind: Any) -> Any | None:
        text = _text(kind).lstrip("*").strip()
        if "." not in text:
            return local.get(text) or structs_in(directory).get(text)
        qualifier, name = text.split(".", 1)
        paths = [path for path, used in imports.items() if used == qualifier]
        if len(paths) != 1:
            return None
        path = paths[0]
        folders = [f"vendor/{path}"]
        if module and (path == module or path.startswith(module + "/")):
            folders.insert(0, path[len(module):].lstrip("/"))
        for folder in folders:
            found = structs_in(folder).get(name)
            if found is not None:
                return found
        return None

    return _field_names(local[receiver], resolve)


def _imports_of(tree: Any) -> dict[str, str]:
    """import path -> the name the file uses for it."""
    found = {}
    for spec in _walk(tree.root_node):
        if spec.type == "import_spec":
            path_node, name_node = spec.child_by_field_name("path"), spec.child_by_field_name("name")
            path = _string_value(path_node) if path_node is not None else None
            if path:
                found[path] = _text(name_node) if name_node is not None else posixpath.basename(path)
    return found


def _same_shape(emit: Emitter, receiver: str, method: str, directory: str, context: ChangeContext) -> str | None:
    """Whether the new struct declares, with json tags (its own or an embedded type's), the keys the removed
    codec wrote or read: ``"exact"`` for the very keys, ``"case"`` for the same keys up to letter case
    (encoding/json reads keys case-insensitively; a case-sensitive reader of what it writes does not).
    None otherwise, and the finding stays high: a key that is a Go field's own name is the field dump,
    and a codec that cannot be read statically is not guessed at (fail closed)."""
    sides = emit.sides
    if not (sides.old.exists and sides.new.exists):
        return None
    try:
        custom = _custom_keys(_parser().parse(sides.old.text.encode("utf-8")), receiver, method)
        if not custom:
            return None
        default = _default_keys(sides.new.text, receiver, directory, context)
    except Exception:  # noqa: BLE001 - a parse or git failure leaves the finding as it is (fail closed)
        return None
    if not default or not all(tagged for _, tagged in default.values()):
        return None  # keys that are Go field names: the field dump, which the removed codec may have converted
    if set(custom) == set(default):
        return "exact"
    if {k.lower() for k in custom} == {k.lower() for k in default} and len(custom) == len(default):
        return "case"
    return None
