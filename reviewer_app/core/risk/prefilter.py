"""Cheap pre-filtering of rule regexes: the literals any match must contain.

Python's ``re`` scans slowly with case-insensitive or alternation-heavy patterns, and most rules
match nothing in most files. So for every rule pattern we derive, from its parse tree, a set of
literal strings at least one of which occurs in every possible match (``(?i)\\bDROP\\s+TABLE``
-> {"drop"} or {"table"}; ``[\\u202A-\\u202E]`` -> "some non-ASCII character"). A fast
``str.find`` of those literals in the case-folded text finds the few places where the full
pattern can match; the full pattern then runs only on a small window of lines around each.

The derivation is conservative: when it cannot prove a literal is required, the pattern has no
pre-filter and runs over the whole text, so pre-filtering never changes what a rule finds.

Where the full pattern then runs (hits.py) depends on how far a match can reach from its literal:
``can_span_lines`` false means the literal's line is enough; otherwise ``line_reach`` bounds the
number of gaps between non-blank lines a match can cross (``DROP\\s+TABLE``: one), or says it is
unbounded and the whole text is scanned.
"""

from __future__ import annotations

import bisect
import math
import re
from functools import lru_cache
from typing import Any, Protocol

# re's own parser: the one way to see the structure Python will compile (stable within 3.11+).
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]

from reviewer_app.core.records import FrozenRecord
from reviewer_app.core.risk.rules import known_pattern_facts

MIN_LITERAL = 3  # shorter literals ("rm", "0") hit nearly every file and save nothing
NON_ASCII = "\0non-ascii"  # marker: every match contains a character above U+007F
REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT} | ({sre.POSSESSIVE_REPEAT} if hasattr(sre, "POSSESSIVE_REPEAT") else set())
# Short literals that occur inside countless identifiers ("err" in "stderr", "try" in "registry"):
# a requirement made of them selects nearly every line, so another one is preferred when there is.
COMMON_FRAGMENTS = frozenset({
    "err", "try", "key", "api", "for", "the", "int", "str", "get", "set", "len", "max", "min", "use",
    "all", "not", "new", "add", "end", "from", "user", "size", "item", "items", "data", "file", "read",
    "load", "name", "type", "test", "auth", "null", "true", "false", "none", "self", "this", "return",
})


class PatternSource(Protocol):
    """A compiled ``re.Pattern`` or a rule's not-yet-compiled ``LazyPattern``: source and flags."""

    pattern: str
    flags: int


@lru_cache(maxsize=1024)
def _tree(pattern: PatternSource) -> Any:
    """re's parse tree of ``pattern``, parsed once for every derivation below."""
    return sre_parser.parse(pattern.pattern, pattern.flags)


class Prefilter(FrozenRecord):
    """What a text must hold for a pattern to match in it."""

    FIELDS = ("literals", "non_ascii", "exact")

    def __init__(self, literals: tuple[str, ...], non_ascii: bool, exact: bool = False) -> None:
        self.literals = literals  # every match contains one of them (empty: see non_ascii)
        self.non_ascii = non_ascii  # only text with a non-ASCII character can match
        # The pattern is case-sensitive: literals are looked up as written in the text itself, not
        # case-folded in the folded text ("AKIA" no longer stops at every "akia" of "Malakian").
        self.exact = exact


def _sequence_requirement(items: list, fold: bool = True) -> frozenset[str] | None:
    """Literals one of which every match of this sequence contains (None: cannot tell)."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            literal = "".join(run)
            # A short run with a non-ASCII character (U+FEFF alone) still proves "not ASCII".
            short_non_ascii = len(literal) < MIN_LITERAL and not literal.isascii()
            candidates.append(frozenset({NON_ASCII if short_non_ascii else literal.casefold() if fold else literal}))
            run.clear()

    for op, value in items:
        if op is sre.LITERAL:
            run.append(chr(value))
            continue
        if run and op in (sre.BRANCH, sre.SUBPATTERN):
            # re factors a common prefix out of alternatives ("AKIA|AGPA" -> "A" + "KIA|GPA"):
            # the run followed by each alternative's own leading literal is required as a whole.
            leads = _leading([(op, value)])
            if leads and all(leads):
                prefix = "".join(run)
                candidates.append(frozenset((prefix + lead).casefold() if fold else prefix + lead for lead in leads))
        flush()
        found: frozenset[str] | None = None
        if op is sre.SUBPATTERN:
            found = _sequence_requirement(list(value[-1]), fold)
        elif op is sre.BRANCH:
            branches = [_sequence_requirement(list(branch), fold) for branch in value[1]]
            if all(branch is not None for branch in branches):
                found = frozenset().union(*branches)  # type: ignore[arg-type]
        elif op in REPEATS and value[0] >= 1:
            found = _sequence_requirement(list(value[2]), fold)
        elif hasattr(sre, "ATOMIC_GROUP") and op is sre.ATOMIC_GROUP:
            found = _sequence_requirement(list(value), fold)
        elif op is sre.IN and _only_non_ascii(value):
            found = frozenset({NON_ASCII})
        if found:
            candidates.append(found)
    flush()
    usable = [c for c in candidates if NON_ASCII in c and len(c) == 1 or all(len(s) >= MIN_LITERAL for s in c)]
    if not usable:
        return None
    # The most selective requirement: fewest alternatives (each one is a chance to hit), then no
    # common fragment, then the longest shortest literal ("max" beats {"items", "size", ...}).
    return max(usable, key=lambda c: (-len(c), not (c & COMMON_FRAGMENTS), min(len(s) for s in c)))


def _leading(items: list) -> frozenset[str] | None:
    """The literal text every match of the sequence starts with, one per alternative ("" when
    an alternative starts with something else; None when this cannot tell)."""
    run: list[str] = []
    for op, value in items:
        if op is sre.LITERAL:
            run.append(chr(value))
            continue
        if run:
            return frozenset({"".join(run)})
        if op is sre.SUBPATTERN:
            return _leading(list(value[-1]))
        if op is sre.BRANCH:
            branches = [_leading(list(branch)) for branch in value[1]]
            if any(branch is None for branch in branches):
                return None
            return frozenset().union(*branches)  # type: ignore[arg-type]
        return frozenset({""})
    return frozenset({"".join(run)})


def _only_non_ascii(items: list) -> bool:
    for op, value in items:
        if op is sre.LITERAL and value > 0x7F:
            continue
        if op is sre.RANGE and value[0] > 0x7F:
            continue
        return False
    return bool(items)


# Compiled (and kept in re's cache) when a pattern is first analysed: the built-in pack's facts come
# from the loader's cache, so a warm start analyses none.
_CASE_FLAG = r"\(\?[a-zA-Z]*i|\(\?[a-zA-Z]*-[a-zA-Z]*i"


@lru_cache(maxsize=1024)
def prefilter_for(pattern: PatternSource) -> Prefilter | None:
    known = known_pattern_facts(pattern)  # the built-in pack's, derived by this code and cached (loader.py)
    if known is not None:
        return None if known[0] is None else Prefilter(*known[0])
    try:
        tree = _tree(pattern)
    except Exception:  # noqa: BLE001 - an unexpected parser shape only means "no pre-filter"
        return None
    # Any case-insensitive part (a global or local i flag) and literals must be compared folded.
    exact = not pattern.flags & re.IGNORECASE and not re.search(_CASE_FLAG, pattern.pattern)
    requirement = _sequence_requirement(list(tree), fold=not exact)
    if requirement is None:
        return None
    if requirement == {NON_ASCII}:
        return Prefilter((), True)
    if NON_ASCII in requirement:
        return None
    return Prefilter(tuple(sorted(requirement, key=lambda s: (-len(s), s))), False, exact)


def literal_lines(prefilter: Prefilter, text: str, folded: str, starts: list[int]) -> set[int] | None:
    """Indexes of the lines of ``text`` holding a required literal; None means "scan everything".

    Each literal is looked up with ``str.find`` (memchr speed), jumping to the next line after a
    hit: a literal that is absent, the usual case, costs one pass at a few GB/s.
    """
    if prefilter.non_ascii:
        return None if not text.isascii() else set()
    if not prefilter.literals:
        return None
    if prefilter.exact:
        folded = text
    elif len(folded) != len(text):
        return None  # case folding changed lengths (e.g. "ß" -> "ss"): offsets would not map back
    last_line = len(starts) - 1
    # When the literals are everywhere, windows would cover most of the text anyway: scanning it
    # whole is cheaper than walking hit by hit.
    budget = max(8, len(starts) // 16)
    hit_lines: set[int] = set()
    for literal in prefilter.literals:
        position = folded.find(literal)
        while position != -1:
            line = bisect.bisect_right(starts, position) - 1
            hit_lines.add(line)
            if len(hit_lines) > budget:
                return None
            if line >= last_line:
                break
            position = folded.find(literal, starts[line + 1])  # more hits on this line add nothing
    return hit_lines


# -- can a match run over a line break? ------------------------------------------------------------
# Categories by whether they contain "\n" (re's parser emits the plain names; the compiler picks
# the Unicode/locale variants later, which agree on "\n").
_NEWLINE_CATEGORIES = {sre.CATEGORY_SPACE, sre.CATEGORY_NOT_DIGIT, sre.CATEGORY_NOT_WORD, sre.CATEGORY_LINEBREAK}
_LINE_CATEGORIES = {sre.CATEGORY_DIGIT, sre.CATEGORY_WORD, sre.CATEGORY_NOT_SPACE, sre.CATEGORY_NOT_LINEBREAK}
_NEWLINE = ord("\n")
# Zero-width items that behave the same on a line as on the whole text. With MULTILINE, ^ and $
# are line anchors; without it they (like \A and \Z) are anchors of the scanned range, whose
# result depends on where a scan starts and stops: treated as spanning.
_LINE_LOCAL_ANCHORS = {sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY}
_MULTILINE_ANCHORS = {sre.AT_BEGINNING, sre.AT_END}


def _set_item_has_newline(op: object, value: object) -> bool | None:
    """Whether one member of a [...] set matches a newline (None: an item this code does not know)."""
    if op is sre.LITERAL:
        return value == _NEWLINE
    if op is sre.RANGE:
        low, high = value  # type: ignore[misc]
        return low <= _NEWLINE <= high
    if op is sre.CATEGORY:
        if value in _NEWLINE_CATEGORIES:
            return True
        if value in _LINE_CATEGORIES:
            return False
    return None


def _set_has_newline(items: list) -> bool:
    negated = bool(items) and items[0][0] is sre.NEGATE
    verdicts = [_set_item_has_newline(op, value) for op, value in (items[1:] if negated else items)]
    if None in verdicts:
        return True  # unknown member: assume the worst
    return not any(verdicts) if negated else any(verdicts)


def _sequence_spans(items: list, flags: int) -> bool:
    """True when some match of the sequence may contain a newline or depend on the scanned range."""
    for op, value in items:
        if op is sre.LITERAL:
            if value == _NEWLINE:
                return True
        elif op is sre.NOT_LITERAL:
            if value != _NEWLINE:
                return True
        elif op is sre.ANY:
            if flags & sre.SRE_FLAG_DOTALL:
                return True
        elif op is sre.IN:
            if _set_has_newline(value):
                return True
        elif op is sre.AT:
            if value in _LINE_LOCAL_ANCHORS:
                continue
            if value in _MULTILINE_ANCHORS and flags & sre.SRE_FLAG_MULTILINE:
                continue
            return True
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = value
            if _sequence_spans(list(body), (flags | add_flags) & ~del_flags):
                return True
        elif op is sre.BRANCH:
            if any(_sequence_spans(list(branch), flags) for branch in value[1]):
                return True
        elif op in REPEATS:
            if value[1] != 0 and _sequence_spans(list(value[2]), flags):
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            # A lookaround reads across a line break even though it consumes nothing.
            if _sequence_spans(list(value[1]), flags):
                return True
        elif hasattr(sre, "ATOMIC_GROUP") and op is sre.ATOMIC_GROUP:
            if _sequence_spans(list(value), flags):
                return True
        elif op is sre.GROUPREF:
            continue  # repeats what its group matched; the group itself is walked where it stands
        elif op is sre.GROUPREF_EXISTS:
            _group, yes, no = value
            if _sequence_spans(list(yes), flags) or (no is not None and _sequence_spans(list(no), flags)):
                return True
        else:
            return True  # an item this code does not know: assume the worst
    return False


@lru_cache(maxsize=1024)
def can_span_lines(pattern: PatternSource) -> bool:
    """Whether a match of ``pattern`` may run over a line break (or depend on where a scan stops).

    A literal newline, ``.`` under DOTALL, a negated literal, ``\\s``/``\\D``/``\\W`` or a set
    containing a newline (negated sets included), a lookaround that can read one, ``\\A``/``\\Z``
    and ``^``/``$`` without MULTILINE all say yes, and so does anything this walk does not know.
    """
    known = known_pattern_facts(pattern)
    if known is not None:
        return known[1]
    try:
        tree = _tree(pattern)
    except Exception:  # noqa: BLE001 - an unexpected parser shape: assume the worst
        return True
    return _sequence_spans(list(tree), tree.state.flags)


# -- how far from its literal can a match reach? -------------------------------------------------
# A pattern that can span lines is scanned over the whole text around its literal unless this
# says how far a match can reach. The unit is the gap between two non-blank lines: a whitespace
# run (``\s*``, ``\n?``) crosses at most one, however many blank lines it swallows, since every
# line it passes through is blank; any other item that can match a line break crosses one per
# character it matches. ``DROP\s+TABLE`` reaches 1, ``[^)]*`` and ``.*`` under DOTALL do not stop.
UNBOUNDED = math.inf


def _is_whitespace_set(items: list) -> bool:
    """A [...] set whose every member is a whitespace character (str.isspace, as re's \\s)."""
    if not items or items[0][0] is sre.NEGATE:
        return False
    for op, value in items:
        if op is sre.LITERAL and chr(value).isspace():
            continue
        if op is sre.CATEGORY and value is sre.CATEGORY_SPACE:
            continue
        if op is sre.RANGE and value[1] - value[0] < 64 and all(chr(c).isspace() for c in range(value[0], value[1] + 1)):
            continue
        return False
    return True


def _whitespace_only(items: list) -> bool:
    """Every match of the sequence is whitespace (so it crosses at most one non-blank-line gap)."""
    for op, value in items:
        if op is sre.LITERAL and chr(value).isspace():
            continue
        if op is sre.IN and _is_whitespace_set(value):
            continue
        if op in REPEATS and _whitespace_only(list(value[2])):
            continue
        if op is sre.SUBPATTERN and _whitespace_only(list(value[-1])):
            continue
        return False
    return True


def _sequence_reach(items: list, flags: int, backrefs: list[bool]) -> float:
    """Gaps between non-blank lines a match of the sequence can cross (UNBOUNDED: no limit)."""
    if _whitespace_only(items):
        return 1 if _sequence_spans(items, flags) else 0
    total: float = 0
    for op, value in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN, sre.AT):
            reach: float = 1 if _sequence_spans([(op, value)], flags) else 0
            if op is sre.AT and reach:
                reach = UNBOUNDED  # \A, \Z, ^/$ without MULTILINE depend on where a scan starts
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = value
            reach = _sequence_reach(list(body), (flags | add_flags) & ~del_flags, backrefs)
        elif op is sre.BRANCH:
            reach = max(_sequence_reach(list(branch), flags, backrefs) for branch in value[1])
        elif op in REPEATS:
            low, high, body = value
            per_item = _sequence_reach(list(body), flags, backrefs) if high else 0
            if per_item and _whitespace_only(list(body)):
                reach = 1
            elif per_item:
                reach = UNBOUNDED if high is sre.MAXREPEAT else per_item * high
            else:
                reach = 0
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            reach = UNBOUNDED if _sequence_spans(list(value[1]), flags) else 0
        elif hasattr(sre, "ATOMIC_GROUP") and op is sre.ATOMIC_GROUP:
            reach = _sequence_reach(list(value), flags, backrefs)
        elif op is sre.GROUPREF:
            backrefs.append(True)  # repeats a group's text: as far again as the group can reach
            reach = 0
        elif op is sre.GROUPREF_EXISTS:
            _group, yes, no = value
            reach = max(_sequence_reach(list(yes), flags, backrefs),
                        _sequence_reach(list(no), flags, backrefs) if no is not None else 0)
        else:
            reach = UNBOUNDED
        total += reach
    return total


@lru_cache(maxsize=1024)
def line_reach(pattern: PatternSource) -> float:
    """How many gaps between non-blank lines a match of ``pattern`` can cross (0: one line only).

    A match holding a literal on line L then lies within the k-th non-blank lines before and
    after L (blank lines in between included), which is where hits.py runs the pattern.
    """
    known = known_pattern_facts(pattern)
    if known is not None:
        return known[2]
    if not can_span_lines(pattern):
        return 0
    try:
        tree = _tree(pattern)
    except Exception:  # noqa: BLE001 - an unexpected parser shape: assume the worst
        return UNBOUNDED
    backrefs: list[bool] = []
    reach = _sequence_reach(list(tree), tree.state.flags, backrefs)
    if backrefs or not reach:
        return UNBOUNDED  # a back-reference doubles a spanning group; 0 here would contradict can_span_lines
    return reach


# -- first-character acceleration -----------------------------------------------------------------
# re scans slowly when it cannot tell which characters a match may start with (case-insensitive
# patterns, a leading \b). A lookahead ``(?=[...])`` naming those characters lets it skip the
# rest in C; the matches are unchanged because the set is a proven superset.
MAX_FIRST_CHARS = 40
_GLOBAL_FLAGS = r"^\(\?[aiLmsux]+\)"  # compiled at its first use, as _CASE_FLAG


def _case_variants(char: str) -> set[str]:
    from re import _casefix  # type: ignore[attr-defined]  # re's own table of extra case pairs

    variants = {char, char.lower(), char.upper(), char.casefold()}
    for variant in list(variants):
        variants.update(chr(c) for c in _casefix._EXTRA_CASES.get(ord(variant), ()))
    return {v for v in variants if len(v) == 1}


def _first_chars(items: list) -> set[str] | None:
    """Characters every match of the sequence starts with (None: cannot tell)."""
    for op, value in items:
        if op is sre.AT:
            continue  # zero-width (\b, ^): look at what follows
        if op is sre.LITERAL:
            return _case_variants(chr(value))
        if op is sre.IN:
            chars: set[str] = set()
            for item_op, item in value:
                if item_op is sre.LITERAL:
                    chars |= _case_variants(chr(item))
                elif item_op is sre.RANGE and item[1] - item[0] < MAX_FIRST_CHARS:
                    for code in range(item[0], item[1] + 1):
                        chars |= _case_variants(chr(code))
                else:
                    return None  # negated sets, categories (\w), wide ranges
            return chars
        if op is sre.SUBPATTERN:
            return _first_chars(list(value[-1])) if list(value[-1]) else None
        if op is sre.BRANCH:
            found: set[str] = set()
            for branch in value[1]:
                first = _first_chars(list(branch)) if list(branch) else None
                if first is None:
                    return None
                found |= first
            return found
        if op in REPEATS and value[0] >= 1:
            return _first_chars(list(value[2]))
        return None  # optional items, '.', lookarounds, back-references
    return None


@lru_cache(maxsize=1024)
def accelerated(pattern: Any) -> Any:
    """``pattern`` with a first-character lookahead when that is provably safe, else itself."""
    try:
        first = _first_chars(list(_tree(pattern)))
    except Exception:  # noqa: BLE001 - an unexpected parser shape only means "no acceleration"
        return pattern
    if not first or len(first) > MAX_FIRST_CHARS:
        return pattern
    body = re.sub(_GLOBAL_FLAGS, "", pattern.pattern, count=1)
    charset = "".join(sorted(re.escape(c) for c in first))
    try:
        return re.compile(f"(?=[{charset}])(?:{body})", pattern.flags)
    except re.error:
        return pattern
