"""What a Terraform expression evaluates to for an existing deployment, before and after a change.

Comparing an expression's text says little: ``element(concat(var.subnets, [""]), count.index)``
and ``var.subnets[count.index]`` differ as text and give every existing instance the same value,
while ``length(var.azs)`` becoming ``length(var.private_subnets)`` is the same shape and moves
instances wherever the two lists differ in length. Here both sides are evaluated:

  * a small evaluator of HCL expressions as python-hcl2 gives them: literals, ``var.x`` (the
    module's declared defaults), ``local.x``, ``count.index``, ``each.key``/``each.value``,
    arithmetic, comparison, logic, conditionals, ``for`` expressions, splats, and the functions
    modules use to shape counts and names (length, coalesce, element, concat, max, min, compact,
    try, lookup, merge, format, regexall, cidrsubnet …). Anything else (a resource's attribute, a
    data source, a function it does not know) makes the result *unknown*, never a guess;
  * a set of input assignments: the module's defaults, then representative inputs (each list
    variable with 0 to 3 distinct elements, alone and together, booleans both ways, numbers and
    strings set). A variable only one side declares keeps its default: a caller cannot have set a
    variable that did not exist, and one that sets a variable that no longer exists fails at plan.
    Inputs under which the old side fails (an index past the end of a list) are no deployment;
    inputs under which only the new side fails fail loudly, which destroys nothing.

``compare`` answers "same" (equal under every assignment), "grows" (a count never smaller),
"differs" (with the first assignment, fewest inputs changed, under which the values differ) or
"unknown" (the evaluator could not tell: the caller keeps judging as before, failing closed).
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from reviewer_app.core.digest import sha256

__all__ = ["Unknowable", "EvalError", "ModuleSide", "Verdict", "compare", "load_module", "parse"]


class Unknowable(Exception):
    """The evaluator cannot tell the value (a resource attribute, an unsupported construct)."""


class EvalError(Exception):
    """Terraform itself fails on these inputs (an index past the end, coalesce of nothing, null in arithmetic)."""


UNSET = object()  # an assignment's "the caller left this variable at its default"


class Token(str):
    """A resource attribute known only by identity (``aws_vpc.this[0].id``): equal to itself, its content unknown."""


@dataclass(frozen=True)
class Ref:
    """One instance of a resource of the module (``aws_subnet.private[1]``): its attributes are Tokens."""

    address: str

    def __str__(self) -> str:
        return f"<{self.address}>"


@dataclass(frozen=True)
class DataSource:
    """A data source read by the module (``data.aws_ami.this``): its attributes are Tokens of its address and of
    its block's text on that side, so a data source whose arguments change reads as another value."""

    address: str
    identity: str  # "" when the block's text is unknown, else "#" and a digest of it
    index: Any = None


RESERVED_ROOTS = frozenset({"var", "local", "count", "each", "path", "terraform", "data", "module", "self"})


# -- parsing ---------------------------------------------------------------------------------------------
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?")
_PRECEDENCE = [("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%")]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    # lexing helpers
    def _skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r\n":
                self.pos += 1
            elif char == "#" or text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                self.pos = len(text) if end < 0 else end + 2
            else:
                break

    def _peek(self, *options: str) -> str | None:
        self._skip()
        for option in options:
            if self.text.startswith(option, self.pos):
                if option.isalpha() and IDENT.match(self.text, self.pos).group(0) != option:  # type: ignore[union-attr]
                    continue
                return option
        return None

    def _take(self, option: str) -> bool:
        if self._peek(option) == option:
            self.pos += len(option)
            return True
        return False

    def _expect(self, option: str) -> None:
        if not self._take(option):
            raise Unknowable(f"expected {option!r} at {self.pos}")

    def _binary_operator(self, level: tuple[str, ...]) -> str | None:
        self._skip()
        for option in level:
            if self.text.startswith(option, self.pos):
                longer = self.text[self.pos:self.pos + 2]
                if option in ("<", ">") and longer in ("<=", ">="):
                    continue
                return option
        return None

    # grammar
    def parse(self) -> Any:
        node = self.expression()
        self._skip()
        if self.pos != len(self.text):
            raise Unknowable(f"unparsed text at {self.pos}")
        return node

    def expression(self) -> Any:
        condition = self._binary(0)
        if self._peek("?") and not self.text.startswith("??", self.pos):
            self.pos += 1
            yes = self.expression()
            self._expect(":")
            no = self.expression()
            return ("cond", condition, yes, no)
        return condition

    def _binary(self, level: int) -> Any:
        if level == len(_PRECEDENCE):
            return self._unary()
        left = self._binary(level + 1)
        while True:
            operator = self._binary_operator(_PRECEDENCE[level])
            if operator is None:
                return left
            self.pos += len(operator)
            right = self._binary(level + 1)
            left = ("op", operator, left, right)

    def _unary(self) -> Any:
        self._skip()
        if self.text.startswith("!", self.pos) and not self.text.startswith("!=", self.pos):
            self.pos += 1
            return ("not", self._unary())
        if self.text.startswith("-", self.pos):
            self.pos += 1
            return ("neg", self._unary())
        return self._postfix(self._primary())

    def _postfix(self, node: Any) -> Any:
        steps: list[Any] = []
        while True:
            self._skip()
            if self.text.startswith(".*", self.pos):
                self.pos += 2
                steps.append(("splat",))
            elif self.text.startswith("[*]", self.pos):
                self.pos += 3
                steps.append(("splat",))
            elif self.text.startswith(".", self.pos) and not self.text.startswith("...", self.pos):
                self.pos += 1
                self._skip()
                number = NUMBER.match(self.text, self.pos)
                name = IDENT.match(self.text, self.pos)
                if number and not name:
                    self.pos = number.end()
                    steps.append(("index", ("lit", int(number.group(0)))))
                elif name:
                    self.pos = name.end()
                    steps.append(("attr", name.group(0)))
                else:
                    raise Unknowable("bad attribute access")
            elif self.text.startswith("[", self.pos):
                self.pos += 1
                index = self.expression()
                self._expect("]")
                steps.append(("index", index))
            else:
                break
        return ("path", node, tuple(steps)) if steps else node

    def _primary(self) -> Any:
        self._skip()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise Unknowable("unexpected end")
        char = text[pos]
        if char == '"':
            return self._string()
        if text.startswith("<<", pos):
            raise Unknowable("heredoc")
        number = NUMBER.match(text, pos)
        if number:
            self.pos = number.end()
            value = number.group(0)
            return ("lit", float(value) if any(c in value for c in ".eE") else int(value))
        if char == "(":
            self.pos += 1
            node = self.expression()
            self._expect(")")
            return node
        if char == "[":
            return self._tuple()
        if char == "{":
            return self._object()
        name = IDENT.match(text, pos)
        if not name:
            raise Unknowable(f"unexpected {char!r}")
        self.pos = name.end()
        word = name.group(0)
        if word in ("true", "false"):
            return ("lit", word == "true")
        if word == "null":
            return ("lit", None)
        self._skip()
        if self.text.startswith("(", self.pos):
            self.pos += 1
            args, expand = [], False
            while not self._take(")"):
                args.append(self.expression())
                if self._take("..."):
                    expand = True
                if not self._take(","):
                    self._expect(")")
                    break
            return ("call", word, tuple(args), expand)
        if self.text.startswith("::", self.pos):
            raise Unknowable("provider function")
        return ("name", word)

    def _string(self) -> Any:
        """A quoted template: literal parts and ``${...}`` interpolations (directives are unknowable)."""
        text = self.text
        self.pos += 1
        parts: list[Any] = []
        buffer: list[str] = []
        while True:
            if self.pos >= len(text):
                raise Unknowable("unterminated string")
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                break
            if char == "\\":
                escape = text[self.pos + 1:self.pos + 2]
                mapping = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
                if escape in mapping:
                    buffer.append(mapping[escape])
                    self.pos += 2
                elif escape == "u":
                    buffer.append(chr(int(text[self.pos + 2:self.pos + 6], 16)))
                    self.pos += 6
                else:
                    raise Unknowable("escape")
                continue
            if text.startswith("$${", self.pos) or text.startswith("%%{", self.pos):
                buffer.append(text[self.pos + 1:self.pos + 3])
                self.pos += 3
                continue
            if text.startswith("${", self.pos):
                if buffer:
                    parts.append("".join(buffer))
                    buffer = []
                self.pos += 2
                self._take("~")
                parts.append(self.expression())
                self._take("~")
                self._expect("}")
                continue
            if text.startswith("%{", self.pos):
                raise Unknowable("template directive")
            buffer.append(char)
            self.pos += 1
        if buffer:
            parts.append("".join(buffer))
        if all(isinstance(p, str) for p in parts):
            return ("lit", "".join(parts))
        return ("template", tuple(parts))

    def _for_header(self) -> tuple[str | None, str, Any]:
        names = [self._ident()]
        if self._take(","):
            names.append(self._ident())
        if not self._take_word("in"):
            raise Unknowable("for without in")
        collection = self.expression()
        self._expect(":")
        return (names[0] if len(names) == 2 else None), names[-1], collection

    def _ident(self) -> str:
        self._skip()
        name = IDENT.match(self.text, self.pos)
        if not name:
            raise Unknowable("identifier expected")
        self.pos = name.end()
        return name.group(0)

    def _tuple(self) -> Any:
        self.pos += 1
        if self._peek("for"):
            self.pos += 3
            key, value, collection = self._for_header()
            body = self.expression()
            condition = self.expression() if self._take_word("if") else None
            self._expect("]")
            return ("for_list", key, value, collection, body, condition)
        items = []
        while not self._take("]"):
            items.append(self.expression())
            if not self._take(","):
                self._expect("]")
                break
        return ("list", tuple(items))

    def _take_word(self, word: str) -> bool:
        if self._peek(word):
            self.pos += len(word)
            return True
        return False

    def _object(self) -> Any:
        self.pos += 1
        if self._peek("for"):
            self.pos += 3
            key, value, collection = self._for_header()
            key_expression = self.expression()
            self._expect("=>")
            body = self.expression()
            if self._take("..."):
                raise Unknowable("grouping for")
            condition = self.expression() if self._take_word("if") else None
            self._expect("}")
            return ("for_map", key, value, collection, key_expression, body, condition)
        items = []
        while not self._take("}"):
            self._skip()
            name = IDENT.match(self.text, self.pos)
            if name and self.text[name.end():].lstrip()[:1] in ("=", ":") and not self.text[name.end():].lstrip().startswith("=="):
                self.pos = name.end()
                key: Any = ("lit", name.group(0))
            else:
                key = self.expression()
            if not (self._take("=") or self._take(":")):
                raise Unknowable("object item")
            items.append((key, self.expression()))
            self._take(",")
        return ("object", tuple(items))


_PARSED: dict[str, Any] = {}


def parse(text: str) -> Any:
    """The AST of an HCL expression's text (cached); raises Unknowable when it cannot be read."""
    if text not in _PARSED:
        try:
            _PARSED[text] = ("ok", _Parser(text).parse())
        except Unknowable as exc:
            _PARSED[text] = ("unknowable", str(exc))
        except (IndexError, ValueError, RecursionError):
            _PARSED[text] = ("unknowable", "unreadable")
    status, node = _PARSED[text]
    if status != "ok":
        raise Unknowable(node)
    return node


WHOLE = re.compile(r"^\$\{(.*)\}$", re.DOTALL)


def from_hcl2(value: Any) -> Any:
    """A value as python-hcl2 gives it as an AST: ``"${expr}"`` an expression, other strings templates."""
    if isinstance(value, str):
        if "${" not in value and "%{" not in value:
            return ("lit", value)
        whole = WHOLE.match(value)
        if whole:
            try:
                return parse(whole.group(1))
            except Unknowable:
                pass  # "${a}-${b}": a template, read below
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return parse(f'"{escaped}"')
    if isinstance(value, list):
        return ("list", tuple(from_hcl2(item) for item in value))
    if isinstance(value, dict):
        return ("object", tuple((("lit", k), from_hcl2(v)) for k, v in value.items() if k != "__is_block__"))
    return ("lit", value)


def references(node: Any) -> set[tuple[str, str]]:
    """The ``(root, name)`` pairs an AST refers to: ("var", "azs"), ("local", "x"), ("count", "index") …"""
    found: set[tuple[str, str]] = set()

    def walk(item: Any) -> None:
        if not isinstance(item, tuple) or not item:
            return
        if item[0] == "path" and isinstance(item[1], tuple) and item[1][0] == "name":
            steps = item[2]
            if steps and steps[0][0] == "attr":
                found.add((item[1][1], steps[0][1]))
                if item[1][1] == "data" and len(steps) > 1 and steps[1][0] == "attr":
                    found.add((f"data.{steps[0][1]}", steps[1][1]))  # the data source itself: its count may read inputs
            for step in steps:
                walk(step)
            return
        if item[0] == "name":
            found.add((item[1], ""))
            return
        for part in item[1:]:
            if isinstance(part, tuple):
                if part and isinstance(part[0], str):
                    walk(part)
                else:
                    for sub in part:
                        walk(sub)

    walk(node)
    return found


# -- values ----------------------------------------------------------------------------------------------
def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise Unknowable("bool as number")
    if isinstance(value, (int, float)):
        return value
    if value is None:
        raise EvalError("null as number")
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise Unknowable("string as number") from None
        return int(number) if number.is_integer() and re.fullmatch(r"-?\d+", value.strip()) else number
    raise Unknowable("not a number")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        raise EvalError("null as bool")
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, str) and value in ("1", "0"):  # Terraform 0.11 wrote booleans as "1"/"0"
        return value == "1"
    raise Unknowable("not a bool")


def _string(value: Any) -> str:
    if isinstance(value, Token):
        raise Unknowable(f"the content of {value}")
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _show_number(value)
    if value is None:
        raise EvalError("null in a string")
    raise Unknowable("not a string")


def _show_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        raise EvalError("null as list")
    raise Unknowable("not a list")


def equal(a: Any, b: Any) -> bool:
    """Terraform's ``==``: values of different types are never equal (no number/bool mix-up)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# ``aws_x.this[0]``: instance 0 of a counted resource. Terraform moves the object of a resource that
# gains a ``count`` to index 0 (and index 0 back to the bare address when the count goes), so across
# the two sides of a change the two addresses name one object (data sources are read anew: not here).
_INDEX_ZERO = re.compile(r"^((?!data\.)[A-Za-z_][\w-]*\.[\w-]+)\[0\](?=\.|$)")


def same_object(address: str) -> str:
    """A resource address (or an attribute of one) as the object it names on either side of a change."""
    return _INDEX_ZERO.sub(r"\1", address)


def normal(value: Any) -> Any:
    """The value as an argument receives it: scalars as their string form (1 and "1" are the same argument)."""
    if value is None:
        return None
    if isinstance(value, Token):
        return f"<{same_object(value)}>"
    if isinstance(value, Ref):
        return f"<{same_object(value.address)}>"
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items() if k != "__is_block__"}
    return _string(value)


# -- evaluation ------------------------------------------------------------------------------------------
class Env:
    """What one side's expressions see under one assignment: variables, locals, count.index, each, for-scopes.

    ``tokens_in_templates``: a string template that interpolates a resource or data source attribute is a
    Token of its text (known only by identity: equal to the same template of the same attributes) instead
    of unknown; for a caller that only asks whether two values are the same (a policy's principal).
    """

    tokens_in_templates = False

    def __init__(self, module: ModuleSide, assignment: dict[str, Any]) -> None:
        self.module, self.assignment = module, assignment
        self._locals: dict[str, Any] = {}
        self._busy: set[str] = set()
        self.count_index: Any = UNSET
        self.each: tuple[Any, Any] | None = None

    def instance(self, count_index: Any = UNSET, each: tuple[Any, Any] | None = None) -> Env:
        other = Env.__new__(Env)
        other.module, other.assignment, other._locals, other._busy = self.module, self.assignment, self._locals, self._busy
        other.count_index, other.each = count_index, each
        other.tokens_in_templates = self.tokens_in_templates
        return other

    def var(self, name: str) -> Any:
        value = self.assignment.get(name, UNSET)
        declaration = self.module.variable(name)
        if declaration is None:
            raise Unknowable(f"var.{name} is not declared")
        if value is UNSET:
            if not declaration.has_default:
                raise EvalError(f"var.{name} is required")  # the caller must set it, or the plan fails
            return declaration.convert(declaration.default_value())
        if not declaration.fits(value):
            raise EvalError(f"var.{name} does not take this value")  # the plan rejects the input
        return declaration.convert(value)

    def resource(self, rtype: str, name: str) -> Any:
        """A resource of the module as its instances: a list (count), a map (for_each) or one Ref."""
        key = f"{rtype}.{name}"
        body = self.module.resource(rtype, name)
        if body is None:
            raise Unknowable(f"{key} is not a resource of the module")
        return self._instances(key, body, lambda address, index: Ref(address))

    def data(self, dtype: str, name: str) -> Any:
        """A data source of the module as its instances: a list (count), a map (for_each) or one DataSource."""
        key = f"data.{dtype}.{name}"
        text = self.module.data_texts.get((dtype, name))
        body = self.module.data(dtype, name)
        if text is None or body is None:
            raise Unknowable(f"{key} is not read by the module")
        identity = "#" + sha256(re.sub(r"\s+", "", text).encode()).hexdigest()[:8]
        return self._instances(key, body, lambda address, index: DataSource(address, identity, index))

    def _instances(self, key: str, body: Any, make: Callable[[str, Any], Any]) -> Any:
        """The instances of the block ``key`` (evaluated once, failures too): ``make(address, index)`` per
        count index or for_each key, in a list or a map, or ``make(key, None)`` for a single one."""
        cached = self._locals.get("\0" + key)
        if cached is not None:
            if isinstance(cached, BaseException):
                raise cached
            return cached
        try:
            root = self.instance()
            if "count" in body:
                value: Any = [make(f"{key}[{i}]", i) for i in range(count_value(from_hcl2(body["count"]), root))]
            elif "for_each" in body:
                value = {k: make(f'{key}["{k}"]', k) for k in (e.each[0] for e in instances(body, root) or [])}
            else:
                value = make(key, None)
        except (Unknowable, EvalError) as exc:
            self._locals["\0" + key] = exc
            raise
        self._locals["\0" + key] = value
        return value

    def local(self, name: str) -> Any:
        if name in self._locals:
            outcome = self._locals[name]
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        expression = self.module.local(name)
        if expression is None or name in self._busy:
            raise Unknowable(f"local.{name}")
        self._busy.add(name)
        root = self.instance()
        try:
            value = evaluate(expression, root)
        except (Unknowable, EvalError) as exc:
            self._locals[name] = exc
            raise
        finally:
            self._busy.discard(name)
        self._locals[name] = value
        return value


def evaluate(node: Any, env: Env, scope: dict[str, Any] | None = None) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "template":
        if env.tokens_in_templates:
            values = [part if isinstance(part, str) else evaluate(part, env, scope) for part in node[1]]
            if any(isinstance(value, Token) for value in values):
                return Token("".join(str(value) if isinstance(value, Token) else _string(value) for value in values))
            return "".join(_string(value) for value in values)
        return "".join(part if isinstance(part, str) else _string(evaluate(part, env, scope)) for part in node[1])
    if kind == "list":
        return [evaluate(item, env, scope) for item in node[1]]
    if kind == "object":
        return {_string(evaluate(k, env, scope)): evaluate(v, env, scope) for k, v in node[1]}
    if kind == "name":
        if scope and node[1] in scope:
            return scope[node[1]]
        raise Unknowable(f"bare name {node[1]}")
    if kind == "path":
        return _path(node, env, scope)
    if kind == "cond":
        if _bool(evaluate(node[1], env, scope)):
            return evaluate(node[2], env, scope)
        return evaluate(node[3], env, scope)
    if kind == "not":
        return not _bool(evaluate(node[1], env, scope))
    if kind == "neg":
        return -_number(evaluate(node[1], env, scope))
    if kind == "op":
        return _operator(node[1], node[2], node[3], env, scope)
    if kind == "call":
        return _call(node[1], node[2], node[3], env, scope)
    if kind in ("for_list", "for_map"):
        return _for(node, env, scope)
    raise Unknowable(kind)


def _operator(operator: str, left_node: Any, right_node: Any, env: Env, scope: dict[str, Any] | None) -> Any:
    left = evaluate(left_node, env, scope)
    if operator == "&&":
        return _bool(left) and _bool(evaluate(right_node, env, scope))
    if operator == "||":
        return _bool(left) or _bool(evaluate(right_node, env, scope))
    right = evaluate(right_node, env, scope)
    if operator == "==":
        return equal(left, right)
    if operator == "!=":
        return not equal(left, right)
    a, b = _number(left), _number(right)
    if operator == "<":
        return a < b
    if operator == "<=":
        return a <= b
    if operator == ">":
        return a > b
    if operator == ">=":
        return a >= b
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if b == 0:
        raise EvalError("division by zero")
    if operator == "/":
        result = a / b
        return int(result) if result.is_integer() else result
    return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else int(math.fmod(a, b))


def _path(node: Any, env: Env, scope: dict[str, Any] | None) -> Any:
    root, steps = node[1], node[2]
    if root[0] == "name" and not (scope and root[1] in scope):
        name = root[1]
        if not steps or steps[0][0] != "attr":
            raise Unknowable(f"{name} without attribute")
        attribute, steps = steps[0][1], steps[1:]
        if name == "var":
            value = env.var(attribute)
        elif name == "local":
            value = env.local(attribute)
        elif name == "count" and attribute == "index":
            if env.count_index is UNSET:
                raise Unknowable("count.index outside count")
            value = env.count_index
        elif name == "each" and attribute in ("key", "value"):
            if env.each is None:
                raise Unknowable("each outside for_each")
            value = env.each[0] if attribute == "key" else env.each[1]
        elif name not in RESERVED_ROOTS and "_" in name:
            value = env.resource(name, attribute)
        elif name == "data" and steps and steps[0][0] == "attr":
            value, steps = env.data(attribute, steps[0][1]), steps[1:]
        else:
            raise Unknowable(f"{name}.{attribute}")  # data sources, modules, path, terraform
    else:
        value = evaluate(root, env, scope)
    return _steps(value, steps, env, scope)


def _steps(value: Any, steps: tuple[Any, ...], env: Env, scope: dict[str, Any] | None) -> Any:
    for position, step in enumerate(steps):
        if step[0] == "splat":
            if value is None:
                return []
            items = value if isinstance(value, list) else [value]
            return [_steps(item, steps[position + 1:], env, scope) for item in items]
        if step[0] == "attr":
            if isinstance(value, Ref):
                value = Token(f"{value.address}.{step[1]}")
                continue
            if isinstance(value, DataSource):
                value = Token(f"{value.address}.{step[1]}{value.identity}")
                continue
            if position == 0 and isinstance(value, list) and value and all(isinstance(v, (Ref, DataSource)) for v in value):
                # ``aws_vpc.this.id`` of a counted resource (Terraform 0.11): its only instance
                if len(value) != 1:
                    raise Unknowable("attribute of a counted resource without its index")
                only = value[0]
                value = Token(f"{only.address}.{step[1]}{only.identity if isinstance(only, DataSource) else ''}")
                continue
            if isinstance(value, dict):
                if step[1] not in value:
                    raise EvalError(f"no attribute {step[1]}")
                value = value[step[1]]
            elif value is None:
                raise EvalError("attribute of null")
            else:
                raise Unknowable("attribute of a non-object")  # a counted resource without its index, among others
        else:
            key = evaluate(step[1], env, scope)
            if isinstance(value, list):
                index = _number(key)
                if not float(index).is_integer() or index < 0 or index >= len(value):
                    raise EvalError("index out of range")
                value = value[int(index)]
            elif isinstance(value, dict):
                name = _string(key)
                if name not in value:
                    raise EvalError(f"no key {name}")
                value = value[name]
            elif value is None:
                raise EvalError("index of null")
            else:
                raise Unknowable("index of a scalar or a resource instance")
    return value


def _for(node: Any, env: Env, scope: dict[str, Any] | None) -> Any:
    key_name, value_name, collection_node = node[1], node[2], node[3]
    collection = evaluate(collection_node, env, scope)
    if isinstance(collection, dict):
        pairs = [(k, collection[k]) for k in sorted(collection)]
    elif isinstance(collection, list):
        pairs = list(enumerate(collection))
    elif collection is None:
        raise EvalError("for over null")
    else:
        raise Unknowable("for over a scalar")
    condition = node[-1]
    out_list: list[Any] = []
    out_map: dict[str, Any] = {}
    for key, value in pairs:
        inner = dict(scope or {})
        inner[value_name] = value
        if key_name:
            inner[key_name] = key
        if condition is not None and not _bool(evaluate(condition, env, inner)):
            continue
        if node[0] == "for_list":
            out_list.append(evaluate(node[4], env, inner))
        else:
            name = _string(evaluate(node[4], env, inner))
            if name in out_map:
                raise EvalError("duplicate key")
            out_map[name] = evaluate(node[5], env, inner)
    return out_list if node[0] == "for_list" else out_map


def _args(args: tuple[Any, ...], expand: bool, env: Env, scope: dict[str, Any] | None) -> list[Any]:
    values = [evaluate(arg, env, scope) for arg in args]
    if expand and values:
        values = values[:-1] + _list(values[-1])
    return values


def _call(name: str, args: tuple[Any, ...], expand: bool, env: Env, scope: dict[str, Any] | None) -> Any:
    if name in ("try", "can"):
        for arg in args:
            try:
                value = evaluate(arg, env, scope)
            except EvalError:
                if name == "can":
                    return False
                continue
            return True if name == "can" else value
        if name == "can":
            return True
        raise EvalError("try: no argument succeeded")
    if name == "lookup" and len(args) == 3 and not expand:
        mapping = evaluate(args[0], env, scope)
        key = _string(evaluate(args[1], env, scope))
        if isinstance(mapping, dict):
            return mapping[key] if key in mapping else evaluate(args[2], env, scope)
        if mapping is None:
            raise EvalError("lookup in null")
        raise Unknowable("lookup in a non-map")
    function = FUNCTIONS.get(name)
    if function is None:
        raise Unknowable(f"function {name}")
    try:
        return function(*_args(args, expand, env, scope))
    except TypeError:
        raise Unknowable(f"{name}: arguments") from None


def _length(value: Any) -> int:
    if isinstance(value, (list, dict, str)):
        return len(value)
    if value is None:
        raise EvalError("length of null")
    raise Unknowable("length of a scalar")


def _element(values: Any, index: Any) -> Any:
    items = _list(values)
    if not items:
        raise EvalError("element of an empty list")
    position = int(_number(index))
    if position < 0:
        raise EvalError("negative index")
    return items[position % len(items)]


def _concat(*lists: Any) -> list[Any]:
    return [item for value in lists for item in _list(value)]


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise EvalError("coalesce: no value")


def _coalescelist(*values: Any) -> Any:
    for value in values:
        if _list(value):
            return value
    raise EvalError("coalescelist: no value")


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def run(*values: Any) -> Any:
        if not values:
            raise EvalError("no arguments")
        return pick(_number(v) for v in values)
    return run


def _compact(values: Any) -> list[Any]:
    return [v for v in _list(values) if v is not None and v != ""]


def _merge(*maps: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for value in maps:
        if value is None:
            continue
        if not isinstance(value, dict):
            raise Unknowable("merge of a non-map")
        merged.update(value)
    return merged


def _keys(value: Any) -> list[str]:
    if not isinstance(value, dict):
        raise Unknowable("keys of a non-map")
    return sorted(value)


def _values(value: Any) -> list[Any]:
    if not isinstance(value, dict):
        raise Unknowable("values of a non-map")
    return [value[k] for k in sorted(value)]


def _contains(values: Any, wanted: Any) -> bool:
    return any(equal(v, wanted) for v in _list(values))


def _distinct(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in _list(values):
        if not any(equal(value, seen) for seen in out):
            out.append(value)
    return out


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in _list(values):
        out.extend(_flatten(value) if isinstance(value, list) else [value])
    return out


def _join(separator: Any, *lists: Any) -> str:
    return _string(separator).join(_string(v) for value in lists for v in _list(value))


def _format(spec: Any, *values: Any) -> str:
    text, out, position = _string(spec), [], 0
    pieces = re.split(r"(%%|%[-+ #0]*\d*(?:\.\d+)?[sdvqf])", text)
    for piece in pieces:
        if piece == "%%":
            out.append("%")
        elif piece.startswith("%") and len(piece) > 1:
            if position >= len(values):
                raise EvalError("format: too few arguments")
            value = values[position]
            position += 1
            verb = piece[-1]
            if verb in ("s", "v") and piece in ("%s", "%v"):
                out.append(_string(value))
            elif verb == "d" and piece == "%d":
                out.append(str(int(_number(value))))
            else:
                raise Unknowable("format verb")
        else:
            out.append(piece)
    return "".join(out)


def _regexall(pattern: Any, text: Any) -> list[Any]:
    try:
        compiled = re.compile(_string(pattern))
    except re.error:
        raise Unknowable("pattern") from None
    found = []
    for match in compiled.finditer(_string(text)):
        if compiled.groupindex:
            found.append(match.groupdict())
        elif compiled.groups:
            found.append(list(match.groups()))
        else:
            found.append(match.group(0))
    return found


def _regex(pattern: Any, text: Any) -> Any:
    found = _regexall(pattern, text)
    if not found:
        raise EvalError("regex: no match")
    return found[0]


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    try:
        network = ipaddress.ip_network(_string(prefix), strict=False)
    except ValueError:
        raise EvalError("cidrsubnet: not a prefix") from None
    bits, number = int(_number(newbits)), int(_number(netnum))
    new_prefix = network.prefixlen + bits
    if bits < 0 or new_prefix > network.max_prefixlen or number < 0 or number >= 2 ** bits:
        raise EvalError("cidrsubnet: out of range")
    size = 2 ** (network.max_prefixlen - new_prefix)
    address = ipaddress.ip_address(int(network.network_address) + number * size)
    return f"{address}/{new_prefix}"


def _cidrhost(prefix: Any, hostnum: Any) -> str:
    try:
        network = ipaddress.ip_network(_string(prefix), strict=False)
    except ValueError:
        raise EvalError("cidrhost: not a prefix") from None
    number = int(_number(hostnum))
    if number < 0:
        number += network.num_addresses
    if not 0 <= number < network.num_addresses:
        raise EvalError("cidrhost: out of range")
    return str(ipaddress.ip_address(int(network.network_address) + number))


def _slice(values: Any, start: Any, end: Any) -> list[Any]:
    items, a, b = _list(values), int(_number(start)), int(_number(end))
    if a < 0 or b > len(items) or a > b:
        raise EvalError("slice out of range")
    return items[a:b]


def _range(*bounds: Any) -> list[int]:
    numbers = [int(_number(b)) for b in bounds]
    if len(numbers) == 1:
        numbers = [0, numbers[0]]
    step = numbers[2] if len(numbers) == 3 else (1 if numbers[1] >= numbers[0] else -1)
    if step == 0:
        raise EvalError("range step 0")
    result = list(range(numbers[0], numbers[1], step))
    if len(result) > 1024:
        raise Unknowable("range too long")
    return result


def _index(values: Any, wanted: Any) -> int:
    for position, value in enumerate(_list(values)):
        if equal(value, wanted):
            return position
    raise EvalError("index: not found")


def _one(values: Any) -> Any:
    items = _list(values)
    if len(items) > 1:
        raise EvalError("one: more than one")
    return items[0] if items else None


def _toset(values: Any) -> list[Any]:
    items = _distinct(values)
    if all(isinstance(v, str) for v in items):
        return sorted(items)
    return items


def _tomap(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    raise Unknowable("tomap of a non-map")


def _legacy_map(*pairs: Any) -> dict[str, Any]:
    if len(pairs) % 2:
        raise EvalError("map: odd arguments")
    return {_string(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)}


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    names, items = _list(keys), _list(values)
    if len(names) != len(items):
        raise EvalError("zipmap: lengths differ")
    return {_string(k): v for k, v in zip(names, items)}


def _substr(text: Any, offset: Any, length: Any) -> str:
    value, start, size = _string(text), int(_number(offset)), int(_number(length))
    if start < 0:
        start += len(value)
    return value[start:] if size == -1 else value[start:start + size]


def _replace(text: Any, old: Any, new: Any) -> str:
    old_text = _string(old)
    if len(old_text) > 1 and old_text.startswith("/") and old_text.endswith("/"):
        try:
            compiled = re.compile(old_text[1:-1])
        except re.error:
            raise Unknowable("replace with a pattern") from None
        # RE2's $1 / ${1} / ${name} in the replacement become Python's \g<...>; a literal backslash stays one
        replacement = re.sub(r"\$(?:\{(\w+)\}|(\d+))", lambda m: f"\\g<{m.group(1) or m.group(2)}>", _string(new).replace("\\", "\\\\"))
        try:
            return compiled.sub(replacement, _string(text))
        except (re.error, IndexError):
            raise Unknowable("replace with a pattern") from None
    return _string(text).replace(old_text, _string(new))


def _jsonencode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _tonumber(value: Any) -> Any:
    return None if value is None else _number(value)


def _tostring(value: Any) -> Any:
    return None if value is None else _string(value)


def _tobool(value: Any) -> Any:
    return None if value is None else _bool(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "length": _length, "element": _element, "concat": _concat, "coalesce": _coalesce, "coalescelist": _coalescelist,
    "max": _extreme(max), "min": _extreme(min), "compact": _compact, "merge": _merge, "keys": _keys, "values": _values,
    "contains": _contains, "distinct": _distinct, "flatten": _flatten, "join": _join, "format": _format,
    "split": lambda sep, text: _string(text).split(_string(sep)), "lower": lambda s: _string(s).lower(),
    "upper": lambda s: _string(s).upper(), "trimspace": lambda s: _string(s).strip(),
    "trimprefix": lambda s, p: _string(s).removeprefix(_string(p)), "trimsuffix": lambda s, p: _string(s).removesuffix(_string(p)),
    "startswith": lambda s, p: _string(s).startswith(_string(p)), "endswith": lambda s, p: _string(s).endswith(_string(p)),
    "substr": _substr, "replace": _replace, "regexall": _regexall, "regex": _regex,
    "tostring": _tostring, "tonumber": _tonumber, "tobool": _tobool, "tolist": lambda v: v if v is None else _list(v),
    "toset": lambda v: v if v is None else _toset(v), "tomap": _tomap, "list": lambda *items: list(items), "map": _legacy_map,
    "range": _range, "slice": _slice, "index": _index, "one": _one, "zipmap": _zipmap, "reverse": lambda v: list(reversed(_list(v))),
    "sort": lambda v: sorted(_string(x) for x in _list(v)), "sum": lambda v: sum(_number(x) for x in _list(v)),
    "alltrue": lambda v: all(_bool(x) for x in _list(v)), "anytrue": lambda v: any(_bool(x) for x in _list(v)),
    "abs": lambda n: abs(_number(n)), "ceil": lambda n: math.ceil(_number(n)), "floor": lambda n: math.floor(_number(n)),
    "signum": lambda n: (_number(n) > 0) - (_number(n) < 0), "pow": lambda a, b: _number(a) ** _number(b),
    "cidrsubnet": _cidrsubnet, "cidrhost": _cidrhost, "jsonencode": _jsonencode,
    "sensitive": lambda v: v, "nonsensitive": lambda v: v,  # they change how a value is shown, never the value
}


# -- a module's declarations ---------------------------------------------------------------------------
TOP_HEADER = re.compile(r'^(variable|locals|resource|data)\b\s*(?:"([^"]+)"|([A-Za-z_][\w-]*))?(?:\s+"([^"]+)")?\s*\{', re.MULTILINE)
ANY_HEADER = re.compile(r"^[A-Za-z_][\w-]*(\s+(\"[^\"]*\"|[A-Za-z_][\w-]*))*\s*\{", re.MULTILINE)


@dataclass
class Variable:
    name: str
    declared_type: str  # the type constraint's text, "" when none
    has_default: bool
    default: Any  # as python-hcl2 gives it

    def default_value(self) -> Any:
        if "_default" not in self.__dict__:
            try:
                self.__dict__["_default"] = ("ok", self.convert(evaluate(from_hcl2(self.default), _BARE)))
            except (Unknowable, EvalError) as exc:
                self.__dict__["_default"] = ("error", exc)
        status, value = self.__dict__["_default"]
        if status != "ok":
            raise value
        return value

    @functools.cached_property
    def kind(self) -> str:
        """bool | number | string | list | map | unknown (what representative values it takes)."""
        declared = self.declared_type.strip().strip('"')
        base = re.match(r"[a-z]+", declared)
        word = base.group(0) if base else ""
        if word in ("bool", "number", "string"):
            return word
        if word in ("list", "set", "tuple"):
            return "list"
        if word == "map":
            return "map"
        if word in ("object",):
            return "unknown"
        value = self.default if self.has_default else None
        if isinstance(value, bool) or (isinstance(value, str) and value in ("true", "false") and word in ("", "any")):
            return "bool"
        if isinstance(value, (int, float)):
            return "number"
        if isinstance(value, str) and "${" not in value:
            return "string"
        if isinstance(value, list):
            return "list"
        if isinstance(value, dict):
            return "map"
        if not declared and not self.has_default:
            return "string"  # an untyped input without a default: a string in Terraform 0.11, what callers pass it
        return "unknown"

    @functools.cached_property
    def element_kind(self) -> str:
        declared = self.declared_type.strip().strip('"')
        inner = re.match(r"(list|set)\((\w+)", declared)
        if inner:
            return inner.group(2)
        if declared in ("list", "set", "") and isinstance(self.default, list) and all(isinstance(v, str) for v in self.default):
            return "string"
        return "any" if declared not in ("list", "set", "") else "string"

    def fits(self, value: Any) -> bool:
        """A value of the representative kind this declaration takes (null always fits)."""
        kind = self.kind
        if value is None or kind == "unknown":
            return True
        if kind == "bool":
            return isinstance(value, bool)
        if kind == "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind == "string":
            return isinstance(value, (str, int, float))
        if kind == "list":
            return isinstance(value, list)
        return isinstance(value, dict)

    def convert(self, value: Any) -> Any:
        kind = self.kind
        if value is None:
            return None
        try:
            if kind == "bool" and isinstance(value, str):
                return _bool(value)
            if kind == "number" and isinstance(value, str):
                return _number(value)
            if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
                return _string(value)
        except EvalError:
            return value
        if kind == "list" and self.declared_type.strip().startswith("set") and isinstance(value, list):
            return _toset(value)
        return value


@dataclass
class ModuleSide:
    """One revision of a module folder: its variable and locals blocks (each parsed when first needed)."""

    variable_texts: dict[str, str] = field(default_factory=dict)
    locals_texts: list[str] = field(default_factory=list)
    resource_texts: dict[tuple[str, str], str] = field(default_factory=dict)
    data_texts: dict[tuple[str, str], str] = field(default_factory=dict)
    source: str = ""  # every file's text, joined
    _resources: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    _variables: dict[str, Variable | None] = field(default_factory=dict)
    _locals: dict[str, Any] | None = None
    _parsed_locals: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> ModuleSide:
        module = cls()
        texts = list(texts)
        module.source = "\n".join(texts)
        for text in texts:
            starts = [m.start() for m in ANY_HEADER.finditer(text)]
            for index, start in enumerate(starts):
                header = TOP_HEADER.match(text, start)
                if header is None:
                    continue
                end = starts[index + 1] if index + 1 < len(starts) else len(text)
                chunk = text[start:end]
                if header.group(1) == "variable":
                    module.variable_texts[header.group(2) or header.group(3) or ""] = chunk
                elif header.group(1) in ("resource", "data"):
                    if header.group(2) and header.group(4):
                        kept = module.resource_texts if header.group(1) == "resource" else module.data_texts
                        kept[(header.group(2), header.group(4))] = chunk
                else:
                    module.locals_texts.append(chunk)
        return module

    def variable(self, name: str) -> Variable | None:
        if name not in self._variables:
            self._variables[name] = None
            text = self.variable_texts.get(name)
            if text is not None:
                body = _hcl2_block(text, "variable", name)
                if body is not None:
                    self._variables[name] = Variable(name, str(body.get("type") or "").removeprefix("${").removesuffix("}"),
                                                     "default" in body, body.get("default"))
        return self._variables[name]

    def data(self, dtype: str, name: str) -> dict[str, Any] | None:
        """The body of ``data "dtype" "name"`` (parsed when first asked for), or None."""
        return self.resource(dtype, name, kind="data")

    def resource(self, rtype: str, name: str, kind: str = "resource") -> dict[str, Any] | None:
        """The body of ``resource "rtype" "name"`` (parsed when first asked for), or None."""
        key = (rtype, name) if kind == "resource" else (f"data.{rtype}", name)
        if key not in self._resources:
            text = (self.resource_texts if kind == "resource" else self.data_texts).get((rtype, name))
            document = _hcl2(text) if text is not None else None
            body = None
            for entry in (document or {}).get(kind, []):
                found = (entry.get(rtype) or {}).get(name) if isinstance(entry, dict) else None
                if isinstance(found, dict):
                    body = found
            self._resources[key] = body
        return self._resources[key]

    def declares(self, name: str) -> bool:
        return name in self.variable_texts

    def reads(self, name: str) -> bool:
        """Whether anything in the module refers to ``var.name`` (a declared input nothing reads does nothing)."""
        return re.search(rf"\bvar\.{re.escape(name)}\b", self.source) is not None

    def local(self, name: str) -> Any:
        """The expression of ``local.name`` (only the locals block that defines it is parsed)."""
        if self._locals is None:
            self._locals = {}
        if name not in self._locals:
            self._locals[name] = None
            pattern = re.compile(rf"^\s*{re.escape(name)}\s*=", re.MULTILINE)
            for number, text in enumerate(self.locals_texts):
                if not pattern.search(text):
                    continue
                parsed = self._parsed_locals.get(number)
                if parsed is None:
                    parsed = {}
                    for body in (_hcl2(text) or {}).get("locals", []):
                        if isinstance(body, dict):
                            parsed.update({k: v for k, v in body.items() if k != "__is_block__"})
                    self._parsed_locals[number] = parsed
                if name in parsed:
                    try:
                        self._locals[name] = from_hcl2(parsed[name])
                    except Unknowable:
                        self._locals[name] = ("unknowable",)
                    break
        expression = self._locals[name]
        if expression == ("unknowable",):
            raise Unknowable(f"local.{name}")
        return expression


_BARE = Env(ModuleSide(), {})


_HCL2: dict[str, dict[str, Any] | None] = {}


def _hcl2(text: str) -> dict[str, Any] | None:
    """A block parsed with python-hcl2 (None when it does not parse); a block both sides share is parsed once."""
    if text in _HCL2:
        return _HCL2[text]
    import hcl2
    from hcl2.utils import SerializationOptions

    try:
        document = hcl2.loads(text.rstrip() + "\n", serialization_options=SerializationOptions(
            with_comments=False, strip_string_quotes=True, preserve_heredocs=False))
    except Exception:  # noqa: BLE001 - lark raises errors of many kinds; the block stays unread
        document = None
    if len(_HCL2) > 512:
        _HCL2.clear()
    _HCL2[text] = document
    return document


def _hcl2_block(text: str, kind: str, name: str) -> dict[str, Any] | None:
    document = _hcl2(text)
    for entry in (document or {}).get(kind, []):
        body = entry.get(name) if isinstance(entry, dict) else None
        if isinstance(body, dict):
            return body
    return None


_MODULES: dict[tuple[str, str, str], ModuleSide | None] = {}


def load_module(repo: Any, revision: str | None, folder: str) -> ModuleSide | None:
    """The module in ``folder`` at ``revision`` of ``repo`` (its ``*.tf`` files), or None when it cannot be read."""
    if repo is None or not revision:
        return None
    key = (str(repo), revision, folder)
    if key not in _MODULES:
        from reviewer_app.core.risk.structure.texts import BlobReader, git_output

        listing = git_output(repo, "ls-tree", "-z", revision, "--", f"{folder}/" if folder else ".")
        if listing is None:
            _MODULES[key] = None
            return None
        blobs = []
        for entry in listing.decode("utf-8", "replace").split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and path.endswith(".tf"):
                blobs.append(parts[2])
        texts = BlobReader(repo).read(blobs) if blobs else {}
        if len(_MODULES) > 64:
            _MODULES.clear()
        _MODULES[key] = ModuleSide.from_texts(texts[b] for b in blobs if b in texts)
    return _MODULES[key]


# -- representative inputs -------------------------------------------------------------------------------
REGIONS = ("eu-west-1", "us-east-2", "ap-south-1", "sa-east-1")


def _sample(name: str, element: str, position: int, number: int) -> Any:
    """The ``position``-th representative element of list variable ``name`` (the ``number``-th variable)."""
    lower = name.lower()
    if element == "number":
        return 10 * (number + 1) + position
    if element == "bool":
        return position % 2 == 0
    if re.search(r"(^|_)azs$|availability_zone", lower):
        return f"{REGIONS[number % len(REGIONS)]}{'abcdef'[position]}"
    if "ipv6" in lower and re.search(r"cidr|subnet|prefix", lower):
        return f"2001:db8:{number:x}:{position + 1:x}::/64"
    if re.search(r"cidr|subnets?$|_ranges?$|address_space", lower):
        return f"10.{number % 250}.{position + 1}.0/24"
    if "arn" in lower:
        return f"arn:aws:iam::123456789012:policy/{name}-{position + 1}"
    return f"{name}-{position + 1}"


def _string_sample(name: str, number: int) -> str:
    lower = name.lower()
    if re.search(r"(^|_)(az|availability_zone)$", lower):
        return f"{REGIONS[number % len(REGIONS)]}a"
    if "ipv6" in lower and "cidr" in lower:
        return f"2001:db8:{number:x}::/56"
    if re.search(r"cidr|address_space", lower):
        return f"10.{number % 250}.0.0/16"
    if "arn" in lower:
        return f"arn:aws:iam::123456789012:role/{name}"
    return f"{name}-value"


@dataclass
class Input:
    name: str
    kind: str
    element: str
    number: int
    free: bool  # both sides declare it, so a caller may have set it
    required: bool = False  # neither side has a default: every caller sets it


def inputs(names: Iterable[str], old: ModuleSide, new: ModuleSide, vary_new: bool | frozenset[str] = False,
           unread_new: bool = False, renamed: dict[str, str] | None = None) -> list[Input]:
    """What the named variables can be set to, each read from the sides that declare it.

    ``vary_new``: a variable only the new side declares is set too (a caller adopting the new input
    later), not only left at its default; ``True`` for every such variable, or the names of those to set.
    ``unread_new``: an input the old module declared but read nowhere counts as new (setting it did nothing).
    """
    found = []
    for number, name in enumerate(sorted(set(names))):
        declaration = old.variable(name) or new.variable(name)
        if declaration is None:
            raise Unknowable(f"var.{name} is not declared")
        varied = vary_new is True or (not isinstance(vary_new, bool) and name in vary_new)
        before = old.variable(name) is not None and (not unread_new or old is new or old.reads(name))
        free = (new.variable(name) is not None and (varied or before)) or name in (renamed or {})
        kind = declaration.kind
        kinds = {side.variable(name).kind for side in (old, new) if side.variable(name) is not None}  # type: ignore[union-attr]
        if len(kinds - {"unknown"}) > 1:
            # A caller's value stops fitting (a list becomes a map): the plan fails until it is rewritten,
            # and the rewritten value is nothing the old one says (its keys, for one). Not judged here.
            raise Unknowable(f"var.{name} changes type")
        if free and kind == "unknown":
            other = new.variable(name)
            kind = other.kind if other is not None else kind
        required = free and not any(side.variable(name) is not None and side.variable(name).has_default  # type: ignore[union-attr]
                                    for side in (old, new))
        found.append(Input(name, kind, declaration.element_kind, number, free, required))
    return found


def representative(item: Input) -> list[Any]:
    if item.kind == "bool":
        return [True, False]
    if item.kind == "number":
        return [0, 1, 2, 3]
    if item.kind == "string":
        if re.search(r"instance_(type|class)$", item.name.lower()):
            # Several families, so that a test on the type (t2 or not, burstable or not) takes both ways
            return ["", "t2.micro", "t3.micro", "m5.large", "db.t3.micro"]
        return ["", _string_sample(item.name, item.number)]
    if item.kind == "list":
        return [[_sample(item.name, item.element, i, item.number) for i in range(size)] for size in (0, 1, 2, 3)]
    if item.kind == "map":
        return [{}, {"key1": f"{item.name}-1"}]
    raise Unknowable(f"var.{item.name}: no representative values")


MAX_ASSIGNMENTS = 600


def assignments(items: list[Input]) -> list[dict[str, Any]]:
    """The module's defaults first, then representative inputs, fewest changed inputs first."""
    free = [i for i in items if i.free]
    samples = {item.name: representative(item) for item in free}  # raises for an input the evaluator cannot represent

    def _values_of(item: Input) -> list[Any]:
        return samples[item.name]
    bools = [i for i in free if i.kind == "bool"]
    lists = [i for i in free if i.kind == "list"]
    others = [i for i in free if i.kind not in ("bool", "list")]
    if len(bools) <= 4:
        bool_settings = [{}] + [dict(zip((b.name for b in bools), combo)) for combo in itertools.product((True, False), repeat=len(bools))]
    else:
        bool_settings = [{}, {b.name: True for b in bools}, {b.name: False for b in bools}]
        bool_settings += [{b.name: value} for b in bools for value in (True, False)]
    list_settings: list[dict[str, Any]] = [{}]
    for size in (1, 2, 3):
        list_settings.append({i.name: _values_of(i)[size] for i in lists})
    for item in lists:
        for size in (0, 1, 3):
            setting = {i.name: _values_of(i)[2] for i in lists}
            setting[item.name] = _values_of(item)[size]
            list_settings.append(setting)
        list_settings.append({item.name: _values_of(item)[size] for size in (2,)})
    combined = [{**b, **lst} for b in bool_settings for lst in list_settings]
    for item in others:
        for value in _values_of(item):
            for lst in list_settings[:4]:
                combined.append({**lst, item.name: value})
                for b in bool_settings[1:3] if len(bools) > 4 else bool_settings:
                    combined.append({**b, **lst, item.name: value})
    for item in free:
        if item.required:  # never unset: a representative value where the setting leaves it out
            value = _values_of(item)[2 if item.kind == "list" else 1 if item.kind in ("string", "number", "map") else 0]
            combined = [a if item.name in a else {**a, item.name: value} for a in combined]
    unique: dict[str, dict[str, Any]] = {}
    for assignment in combined:
        unique.setdefault(json.dumps(assignment, sort_keys=True), assignment)
    ordered = sorted(unique.values(), key=len)
    return ordered[:MAX_ASSIGNMENTS]


def describe(assignment: dict[str, Any]) -> str:
    """``single_nat_gateway = true, private_subnets with 3 elements`` (the module's defaults when empty)."""
    if not assignment:
        return "with the module's defaults"
    parts = []
    for name in sorted(assignment):
        value = assignment[name]
        if isinstance(value, list):
            parts.append(f"{name} of {len(value)} element{'' if len(value) == 1 else 's'}")
        elif isinstance(value, dict):
            parts.append(f"{name} {'set' if value else 'empty'}")
        else:
            parts.append(f"{name} = {json.dumps(value)}")
    return "with " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])


# -- comparing two sides ---------------------------------------------------------------------------------
@dataclass
class Verdict:
    status: str  # same | grows | differs | unknown
    witness: str = ""  # "with single_nat_gateway = true, 3 → 1"
    reason: str = ""
    defaults_same: bool = False  # under the module's defaults both sides were evaluated and agree
    at_defaults: bool = False  # "differs" already under the module's defaults (no input changed)


Evaluator = Callable[[Env], Any]


def variables_read(nodes: Iterable[Any], module: ModuleSide, through_resources: bool = True) -> set[str]:
    """Variables the nodes read, through locals (transitively) and, unless told not to, through the
    ``count``/``for_each`` of the module's resources they refer to."""
    return _variables_of(nodes, module, through_resources)


def _variables_of(nodes: Iterable[Any], module: ModuleSide, through_resources: bool = True) -> set[str]:
    """Variables the nodes read, through locals (transitively)."""
    names: set[str] = set()
    seen_locals: set[str] = set()
    stack = list(nodes)
    while stack:
        for root, name in references(stack.pop()):
            if root == "var":
                names.add(name)
            elif root == "local" and name not in seen_locals:
                seen_locals.add(name)
                expression = module.local(name)
                if expression is not None:
                    stack.append(expression)
            elif through_resources and (root.startswith("data.") or (root not in RESERVED_ROOTS and "_" in root)) and name \
                    and f"{root}.{name}" not in seen_locals:
                seen_locals.add(f"{root}.{name}")
                body = module.data(root[5:], name) if root.startswith("data.") else module.resource(root, name)
                for key in ("count", "for_each"):
                    if body is not None and key in body:
                        stack.append(from_hcl2(body[key]))
    return names


def _defaults(names: Iterable[str], module: ModuleSide) -> dict[str, Any]:
    found = {}
    for name in names:
        declaration = module.variable(name)
        try:
            found[name] = declaration.default_value() if declaration is not None and declaration.has_default else UNSET
        except (Unknowable, EvalError):
            found[name] = UNSET
    return found


def _deviations(assignment: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The part of an assignment that differs from the module's defaults."""
    return {name: value for name, value in assignment.items()
            if defaults.get(name, UNSET) is UNSET or not equal(defaults[name], value)}


def compare(old_module: ModuleSide, new_module: ModuleSide, old_nodes: list[Any], new_nodes: list[Any],
            old_value: Evaluator, new_value: Evaluator, kind: str = "value", vary_new: bool | frozenset[str] = False,
            unread_new: bool = False, renamed: dict[str, str] | None = None,
            same: Callable[[Any, Any], bool] | None = None) -> Verdict:
    """Whether ``old_value`` and ``new_value`` agree under every assignment tried (see _compare); never raises.

    ``renamed``: old name -> new name of variables the change renames: a caller's value of the old name
    is what it sets the new one to once the plan stops failing on the old name. ``same``: how an
    instance's old and new value are judged equal (kind "instances"), when not by their normal form.
    """
    try:
        return _compare(old_module, new_module, old_nodes, new_nodes, old_value, new_value, kind, vary_new, unread_new,
                        _renames(renamed or {}, old_module, new_module), same)
    except Exception as exc:  # noqa: BLE001 - an evaluator bug must not take the file's analysis down: fail closed
        return Verdict("unknown", reason=f"{type(exc).__name__}")


def _compare(old_module: ModuleSide, new_module: ModuleSide, old_nodes: list[Any], new_nodes: list[Any],
             old_value: Evaluator, new_value: Evaluator, kind: str, vary_new: bool | frozenset[str], unread_new: bool = False,
             renamed: dict[str, str] | None = None, same: Callable[[Any, Any], bool] | None = None) -> Verdict:
    """Whether ``old_value`` and ``new_value`` agree under every assignment of the variables the nodes read.

    Each computes a side's value from its Env (raising Unknowable or EvalError). ``kind`` "count":
    ints, and a count never smaller is "grows"; "instances": dicts of instance key -> value, compared
    on the instances both sides have; "value": compared whole.
    """
    renamed = renamed or {}
    try:
        names = _variables_of(old_nodes, old_module) | _variables_of(new_nodes, new_module)
        if renamed:  # a renamed input is set under its old name; the new side reads it under the new one
            names = (names - set(renamed.values())) | {old for old, new in renamed.items() if new in names}
        plan = assignments(inputs(names, old_module, new_module, vary_new, unread_new, renamed))
        defaults = {**_defaults(names, new_module), **{k: v for k, v in _defaults(names, old_module).items() if old_module.variable(k)}}
        plan = sorted(((len(_deviations(a, defaults)), n, a) for n, a in enumerate(plan)), key=lambda t: (t[0], t[1]))
    except Unknowable as exc:
        return Verdict("unknown", reason=str(exc))
    compared = 0
    apart = 0  # assignments evaluated on both sides without an instance the two share
    new_failed = 0
    grown: str = ""
    defaults_same = False
    for deviations, _, assignment in plan:
        try:
            before = old_value(Env(old_module, assignment))
        except EvalError:
            continue  # these inputs fail on the old side: no deployment has them
        except Unknowable as exc:
            return Verdict("unknown", reason=str(exc))
        try:
            after = new_value(Env(new_module, {renamed.get(k, k): v for k, v in assignment.items()} if renamed else assignment))
        except EvalError:
            new_failed += 1
            continue  # they fail on the new side: the plan stops loudly, nothing is destroyed
        except Unknowable as exc:
            return Verdict("unknown", reason=str(exc))
        where = describe(_deviations(assignment, defaults))
        if kind == "instances":
            common = set(before) & set(after)
            if not common:
                apart += 1
                continue  # no instance on both sides (the count's own finding judges that)
            compared += 1
            for key in sorted(common, key=str):
                if not (same or _same)(normal_or_raw(before[key]), normal_or_raw(after[key])):
                    label = "the instance" if key == "" else f"instance [{json.dumps(key) if isinstance(key, str) else key}]"
                    return Verdict("differs", f"{where}, {label} goes from {_show(before[key])} to {_show(after[key])}",
                                   at_defaults=deviations == 0)
            continue
        compared += 1
        if _same(before, after):
            defaults_same = defaults_same or deviations == 0
            continue
        if kind == "count" and isinstance(before, (int, float)) and isinstance(after, (int, float)) and after > before:
            grown = grown or f"{where}, {before} → {after}"
            continue
        return Verdict("differs", f"{where}, {_show(before)} → {_show(after)}", at_defaults=deviations == 0)
    if not compared and apart and not new_failed:
        return Verdict("unknown", reason="no instance exists on both sides under the inputs tried")
    if not compared or new_failed >= compared:
        # Nothing to compare, or most inputs that worked now fail: more likely something this
        # evaluator does not see than a module that breaks its callers.
        return Verdict("unknown", reason="too few assignments evaluated on both sides")
    if grown:
        return Verdict("grows", grown, defaults_same=defaults_same)
    return Verdict("same", defaults_same=defaults_same)


def _renames(renamed: dict[str, str], old: ModuleSide, new: ModuleSide) -> dict[str, str]:
    """The renames both modules bear out: the old name declared only before, the new one only after."""
    return {a: b for a, b in renamed.items() if old.variable(a) is not None and new.variable(a) is None
            and new.variable(b) is not None and old.variable(b) is None}


def normal_or_raw(value: Any) -> Any:
    try:
        return normal(value)
    except (Unknowable, EvalError):
        return value


def same_value(before: Any, after: Any) -> bool:
    """Two evaluated values equal, references compared by the object they name."""
    return _same(before, after)


def _same(before: Any, after: Any) -> bool:
    return json.dumps(_objects(before), sort_keys=True, default=str) == json.dumps(_objects(after), sort_keys=True, default=str)


def _objects(value: Any) -> Any:
    """Resource references named by the object they stand for (``aws_x.this[0].id`` as ``aws_x.this.id``)."""
    if isinstance(value, Token):
        return Token(same_object(value))
    if isinstance(value, Ref):
        return Ref(same_object(value.address))
    if isinstance(value, list):
        return [_objects(v) for v in value]
    if isinstance(value, dict):
        return {k: _objects(v) for k, v in value.items()}
    return value


def _show(value: Any) -> str:
    if value is None:
        return "null"
    text = json.dumps(value, default=str) if not isinstance(value, (int, float)) or isinstance(value, bool) else _show_number(value)
    return text if len(text) <= 50 else text[:47] + "…"


def count_value(node: Any, env: Env) -> int:
    """A ``count`` as Terraform takes it (a bool of Terraform 0.11 as 1/0); negative fails."""
    value = evaluate(node, env)
    if isinstance(value, bool):
        return int(value)
    number = _number(value)
    if number < 0 or not float(number).is_integer():
        raise EvalError("invalid count")
    return int(number)


def instances(body: dict[str, Any], env: Env) -> list[Env] | None:
    """An Env per instance of a block (``count`` indexes, ``for_each`` keys), or a single one; None: unknown."""
    if "count" in body:
        number = count_value(from_hcl2(body["count"]), env)
        return [env.instance(count_index=i) for i in range(number)]
    if "for_each" in body:
        collection = evaluate(from_hcl2(body["for_each"]), env)
        if isinstance(collection, dict):
            return [env.instance(each=(k, collection[k])) for k in sorted(collection)]
        if isinstance(collection, list):
            return [env.instance(each=(_string(k), k)) for k in _toset(collection)]
        if collection is None:
            raise EvalError("for_each of null")
        raise Unknowable("for_each of a scalar")
    return [env.instance()]
