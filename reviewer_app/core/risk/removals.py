"""Filters for hits on removed lines: moves, rewrites and deletions are not lost safety nets.

A removed ``try:`` or ``timeout=`` matters when the code it protected stays and the protection
does not come back. These filters implement the rule options that express that
(``max_pure_removal``, ``guarded_code_kept``, ``ignore_moved``, ``net_removed``), and what holds
for every rule: a removed line still present on the new side (moved in the file, or elsewhere in
the change) lost nothing; a removed line replaced by an added line the same rule flags is one
edit, reported once, on the new side; code turned into comments is found here (``commented_out``).
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections import Counter
from typing import TYPE_CHECKING, NamedTuple

from reviewer_app.core.lazyregex import lazy_compile  # module patterns: compiled on first use
from reviewer_app.core.model import Change, FileDiff, FileStatus, LineKind
from reviewer_app.core.risk.hits import FileView, Hit, SideText, find_hits
from reviewer_app.core.risk.rules import Rule

if TYPE_CHECKING:
    import difflib


def drop_deleted_blocks(rule: Rule, view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed hits in hunks that only delete, and delete a lot: the code went with its safety net."""
    pure_deletions = {
        index for index, hunk in enumerate(view.diff.hunks)
        if hunk.removed > rule.max_pure_removal and hunk.added == 0
    }
    return [hit for hit in removed_hits if view.removed.hunks[hit.index] not in pure_deletions]


SIMILAR = 0.75  # difflib ratio above which a removed line counts as kept (lightly edited)
SMALL_REMOVAL = 4  # a hunk removing this few lines removes a guard, not the code it guarded
TRIVIAL_LINES = frozenset({"", "{", "}", "};", "})", "pass", "else:", "finally:", "} else {", "end"})


def drop_rewritten_blocks(rule: Rule, view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed guards count only where the guarded code stays (``guarded_code_kept``).

    A hunk qualifies when it removes at most SMALL_REMOVAL lines, or when at least half of its
    other removed lines come back, re-indented or lightly edited, among its added lines (a
    try/except unwrapped, ``if err != nil`` dropped around a call that stays).
    A block that is rewritten wholesale takes its old error handling with it: that is a
    redesign for the reviewer to read, not a safety net quietly dropped.
    """
    assert rule.removed is not None
    removed_hits = drop_dead_go_checks(view, removed_hits)
    removed_hits = drop_equivalent_lookups(view, removed_hits)
    removed_hits = drop_still_handled(view, removed_hits)
    kept_hunks: set[int] = set()
    for index in {view.removed.hunks[hit.index] for hit in removed_hits}:
        lines = view.diff.hunks[index].lines
        removed = [line.text.strip() for line in lines if line.kind is LineKind.REMOVED]
        if len(removed) <= SMALL_REMOVAL:
            kept_hunks.add(index)
            continue
        others = [text for text in removed if text not in TRIVIAL_LINES and not rule.removed.search(text)]
        added = [line.text.strip() for line in lines if line.kind is LineKind.ADDED]
        if not others or 2 * sum(1 for text in others if _comes_back(text, added)) >= len(others):
            kept_hunks.add(index)
    return [hit for hit in removed_hits if view.removed.hunks[hit.index] in kept_hunks]


# A Python handler that catches only a failed lookup, and what writes the same lookup with its
# fallback built in: ``try: x = d[k] / except KeyError: x = default`` is ``x = d.get(k, default)``.
_EXCEPT = lazy_compile(r"^\s*except\s*\(?\s*([\w.]+(?:\s*,\s*[\w.]+)*)\s*,?\s*\)?\s*(?:as\s+\w+\s*)?:")
_TRY = lazy_compile(r"^\s*try\s*:")
_SUBSCRIPTED = lazy_compile(r"\b([A-Za-z_]\w*)(?:\.\w+)*\s*\[")
_ATTRIBUTE_READ = lazy_compile(r"\b([A-Za-z_]\w*)\s*\.\s*[A-Za-z_]\w*")
LOOKUP_ERRORS = frozenset({"KeyError", "IndexError", "AttributeError", "LookupError"})


def _lookup_equivalent(caught: str, body: list[str], added: str) -> bool:
    """Whether the added lines make, with its fallback built in, the lookup whose failure
    ``caught`` handled in the removed ``body``: ``d[k]`` under KeyError -> ``d.get(`` (or
    ``setdefault``, ``pop`` with a default); ``o.name`` under AttributeError -> ``getattr(o, n, default)``
    or ``hasattr(o, n)``; ``s[i]`` under IndexError -> a guard on ``len(s)`` or on ``s`` itself."""
    if caught in ("KeyError", "LookupError"):
        for name in {m.group(1) for text in body for m in _SUBSCRIPTED.finditer(text)}:
            if re.search(rf"\b{re.escape(name)}(?:\.\w+)*\.(get|setdefault|pop)\(", added):
                return True
    if caught in ("IndexError", "LookupError"):
        for name in {m.group(1) for text in body for m in _SUBSCRIPTED.finditer(text)}:
            word = re.escape(name)
            if re.search(rf"\blen\(\s*{word}\s*\)|\bif\s+(not\s+)?{word}\b|\b{word}\s+else\b", added):
                return True
    if caught == "AttributeError":
        for name in {m.group(1) for text in body for m in _ATTRIBUTE_READ.finditer(text)}:
            word = re.escape(name)
            if re.search(rf"\bgetattr\(\s*{word}\s*,[^,()\n]+,|\bhasattr\(\s*{word}\s*,", added):
                return True
    return False


def drop_equivalent_lookups(view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed Python ``try:`` blocks whose every handler in the hunk catches only a failed lookup
    (KeyError, IndexError, AttributeError, LookupError), where the hunk's added lines write the
    same lookup with its fallback (``dict.get``, ``getattr`` with a default, a length guard): the
    failure is handled the same way, by the call instead of the handler."""
    path = view.diff.new_path or view.diff.old_path or ""
    if not path.endswith(".py") or not removed_hits:
        return removed_hits
    equivalent: set[int] = set()
    for index in {view.removed.hunks[hit.index] for hit in removed_hits}:
        lines = view.diff.hunks[index].lines
        removed = [line.text for line in lines if line.kind is LineKind.REMOVED]
        handlers = [match for match in (_EXCEPT.match(text) for text in removed) if match]
        if not handlers:
            continue
        caught = {name.rsplit(".", 1)[-1] for match in handlers for name in re.split(r"\s*,\s*", match.group(1))}
        if not caught <= LOOKUP_ERRORS:
            continue
        body = [text for text in removed if not _TRY.match(text) and not _EXCEPT.match(text)]
        added = "\n".join(line.text for line in lines if line.kind is LineKind.ADDED)
        if all(_lookup_equivalent(kind, body, added) for kind in caught):
            equivalent.add(index)
    return [hit for hit in removed_hits if view.removed.hunks[hit.index] not in equivalent]


_GO_ASSIGNS = r"(?:^|[^\w.]){name}\s*(?:,\s*[\w.]+\s*)*(?::=|=(?!=))\s*(?P<call>.+?)\s*$"
_GO_ASSIGNS_SECOND = r"^\s*[\w.]+\s*,\s*{name}\s*(?::=|=(?!=))\s*(?P<call>.+?)\s*$"
_PY_BLOCK_START = lazy_compile(r"^\s*(def|class|async\s+def)\b")


def drop_still_handled(view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed handlers whose error is still handled, or whose failing operation is gone.

    - Go: ``if err != nil { return err }`` becomes ``if err == nil { ... } else { log/fallback }``
      in the same hunk: the same error is still examined, with a branch of its own.
    - Go: the line that produced the error (``x, err := f()`` right before the check) is removed
      with the check and its call does not come back in the hunk: the operation that could fail
      is gone, not its handling.
    - Python: a removed inner ``try:`` whose block sits inside an enclosing ``try:`` that stays:
      the failure now goes to the enclosing handler (handling moved outward, not removed).
    """
    if not removed_hits:
        return removed_hits
    path = view.diff.new_path or view.diff.old_path or ""
    if path.endswith(".go"):
        return [hit for hit in removed_hits if not _go_still_handled(view, hit)]
    if path.endswith(".py"):
        old = None
        kept = []
        for hit in removed_hits:
            if _TRY.match(view.removed.lines[hit.index].text):
                if old is None:
                    old = _old_lines(view.diff) or []
                if old and _py_enclosing_try(old, view, hit):
                    continue
            kept.append(hit)
        return kept
    return removed_hits


def _hunk_lines_of(view: FileView, hit: Hit):
    line = view.removed.lines[hit.index]
    lines = view.diff.hunks[view.removed.hunks[hit.index]].lines
    for position, candidate in enumerate(lines):
        if candidate is line:
            return lines, position
    return lines, -1


def _go_still_handled(view: FileView, hit: Hit) -> bool:
    match = _GO_ERR_CHECK.search(hit.matched)
    if not match:
        return False
    name = re.escape(match.group(1))
    lines, position = _hunk_lines_of(view, hit)
    if position < 0:
        return False
    added = [line.text for line in lines if line.kind is LineKind.ADDED]
    added_text = "\n".join(_GO_STRING.sub('""', text) for text in added)
    if re.search(rf"(?<![\w.*]){name}\s*==\s*nil", added_text) and re.search(r"\belse\b", added_text):
        return True  # the error is still examined, the other way round, with a branch of its own
    for previous in range(position - 1, -1, -1):
        line = lines[previous]
        text = _GO_STRING.sub('""', line.text).strip()
        if not text:
            continue
        if line.kind is not LineKind.REMOVED:
            return False
        found = (re.search(_GO_ASSIGNS.format(name=name), text)
                 or re.search(_GO_ASSIGNS_SECOND.format(name=name), text))
        if not found:
            return False
        call = found.group("call")
        if "(" not in call:
            return False
        callee = call.split("(", 1)[0].strip()
        return not any(callee and callee in text for text in added)
    return False


def _py_enclosing_try(old: list[str], view: FileView, hit: Hit) -> bool:
    """Whether the removed ``try:`` at its old line sits inside a ``try:`` that the change keeps."""
    line = view.removed.lines[hit.index]
    if not line.old_no or line.old_no > len(old):
        return False
    removed_numbers = {
        candidate.old_no for hunk in view.diff.hunks for candidate in hunk.lines
        if candidate.kind is LineKind.REMOVED
    }
    indent = len(line.text) - len(line.text.lstrip())
    for number in range(line.old_no - 1, max(0, line.old_no - 1 - MAX_SCOPE_LINES), -1):
        text = old[number - 1]
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        level = len(text) - len(text.lstrip())
        if level >= indent:
            continue
        if _PY_BLOCK_START.match(text):
            return False
        if _TRY.match(text) and number not in removed_numbers:
            return True
        indent = level
    return False


_GO_ERR_CHECK = lazy_compile(r"\b(\w*(?:err|Err))\s*!=\s*nil")
_GO_STRING = lazy_compile(r'"(?:\\.|[^"\\])*"|`[^`]*`|\'(?:\\.|[^\'\\])+\'|//.*$')
MAX_SCOPE_LINES = 3000  # lines read back from a check to its function's start


def drop_dead_go_checks(view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed Go checks of an error variable nothing assigned: ``var err error``, then only
    ``x, err := f()`` inside a loop body (a new ``err`` there), then ``if err != nil`` after the
    loop. That check could never fire, so removing it (a linter's advice) removes no handling.
    Needs the old file (read by its blob id from the repository the change comes from); without
    it, or when unsure (a loop or closure around the check, the variable passed by pointer, a
    parameter or a named result), the check counts as live."""
    path = view.diff.old_path or view.diff.path
    if not path.endswith(".go") or not removed_hits:
        return removed_hits
    candidates = [hit for hit in removed_hits if _GO_ERR_CHECK.search(hit.matched)]
    if not candidates:
        return removed_hits
    lines = _old_lines(view.diff)
    if lines is None:
        return removed_hits
    dead = set()
    for hit in candidates:
        line = view.removed.lines[hit.index]
        match = _GO_ERR_CHECK.search(hit.matched)
        if match and line.old_no and _go_check_is_dead(lines, line.old_no, match.group(1)):
            dead.add(id(hit))
    return [hit for hit in removed_hits if id(hit) not in dead]


def _old_lines(diff: FileDiff) -> list[str] | None:
    """The old side of a modified file, read by the blob id its diff names, when every line the
    diff shows of that side is there at its number (else None)."""
    if diff.status is not FileStatus.MODIFIED and diff.status is not FileStatus.RENAMED:
        return None
    return _blob_lines(diff, diff.old_blob or "", "old")


def new_lines(diff: FileDiff) -> list[str] | None:
    """The whole new side of a file: an added file's lines as the diff shows them, a modified
    file's read by the blob id its diff names, when every line the diff shows of that side is
    there at its number. None when it cannot be read (a deleted or binary file, no repository)."""
    if diff.binary or diff.status is FileStatus.DELETED:
        return None
    if diff.status is FileStatus.ADDED:
        lines = [line for hunk in diff.hunks for line in hunk.lines]
        if not lines or any(line.kind is not LineKind.ADDED or line.new_no != number
                            for number, line in enumerate(lines, 1)):
            return None
        return [line.text for line in lines]
    return _blob_lines(diff, diff.new_blob or "", "new")


def _blob_lines(diff: FileDiff, blob: str, side: str) -> list[str] | None:
    from reviewer_app.core.risk.structure import texts

    if not texts.FULL_BLOB_ID.match(blob) or texts.EMPTY_BLOB.match(blob):
        return None
    other = LineKind.ADDED if side == "old" else LineKind.REMOVED
    for repo in texts.known_repositories():
        text = texts.BlobReader(repo).read([blob]).get(blob)
        if text is None:
            continue
        lines = text.split("\n")
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is other:
                    continue
                number = line.old_no if side == "old" else line.new_no
                if not number or number > len(lines) or lines[number - 1] != line.text:
                    return None
        return lines
    return None


def _go_check_is_dead(lines: list[str], number: int, name: str) -> bool:
    """Whether ``if <name> != nil`` at line ``number`` reads a variable nothing assigned: read back
    to the function's start, by brace depth relative to the check."""
    word = re.escape(name)
    assigned = re.compile(rf"(?:^|[^\w.]){word}\s*(?:,\s*[\w.]+\s*)*(?::=|=(?!=))")
    plain = re.compile(rf"(?:^|[^\w.]){word}\s*(?:,\s*[\w.]+\s*)*=(?!=)")
    declared = re.compile(rf"^\s*(?:var\s+)?{word}\s+error\s*$")
    pointer = re.compile(rf"&{word}\b")
    mentioned = re.compile(rf"\b{word}\b")
    if assigned.search(_GO_STRING.sub('""', lines[number - 1])):
        return False  # if err := f(); err != nil
    depth = 0
    for index in range(number - 2, max(-1, number - 2 - MAX_SCOPE_LINES), -1):
        raw = lines[index]
        text = _GO_STRING.sub('""', raw)
        if raw.startswith("func"):
            return False  # a parameter, a named result or a package variable: not judged
        if pointer.search(text):
            return False
        depth -= text.count("{") - text.count("}")
        if depth < 0 and re.match(r"\s*(\}\s*)?(for|select)\b|.*\bfunc\s*\(", text):
            return False  # in a loop (assigned later in its body) or a closure: not judged
        if depth <= 0:
            if declared.search(text):
                return True  # declared without a value, and nothing assigned it since
            if assigned.search(text) or (mentioned.search(text) and "range" in text):
                return False
        elif plain.search(text):
            return False  # assigned inside a block: the same variable
    return False


def _comes_back(text: str, added: list[str]) -> bool:
    """The removed line reappears among the added ones, as is or lightly edited (err -> _)."""
    if text in added:
        return True
    # One matcher per removed line, the added line as the cached side: SequenceMatcher indexes
    # seq2 (b2j), so set_seq1 per candidate would rebuild it every time. The length bound skips
    # most candidates before any work (ratio <= 2*min/(len1+len2)).
    matcher: difflib.SequenceMatcher | None = None
    size = len(text)
    for candidate in added[:200]:  # bounded: only hunks with a removed guard get here
        other = len(candidate)
        if 2 * min(size, other) < SIMILAR * (size + other):
            continue
        if matcher is None:
            import difflib  # here: only a removed guard with similar added lines needs it (a start saves ~2 ms)

            matcher = difflib.SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(text)
        matcher.set_seq1(candidate)
        if matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR:
            return True
    return False


def drop_kept(rule: Rule, view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed hits that are really moves (``ignore_moved``) or offset by additions (``net_removed``).

    The removed pattern runs again on added lines, but only on those that can matter: the added
    lines of the hunks with a removed hit (net_removed counts per hunk), and the added lines holding
    the first word of a removed match (a moved match is the same text, so its line holds that word).
    On a large file, scanning every added line with a broad pattern cost more than all the rest.
    """
    assert rule.removed is not None
    added = view.added
    wanted: set[int] = set()
    if rule.net_removed:
        hunks = {view.removed.hunks[hit.index] for hit in removed_hits}
        wanted.update(index for index, hunk in enumerate(added.hunks) if hunk in hunks)
    if rule.ignore_moved:
        words = {hit.matched.split()[0] for hit in removed_hits if hit.matched.split()}
        wanted.update(index for index, line in enumerate(added.lines) if any(word in line.text for word in words))
    on_added = _hits_on_lines(rule, added, sorted(wanted))
    if rule.ignore_moved:
        kept = {_normalize(hit.matched) for hit in on_added}
        removed_hits = [hit for hit in removed_hits if _normalize(hit.matched) not in kept]
    if rule.net_removed:
        added_per_hunk = Counter(added.hunks[hit.index] for hit in on_added)
        removed_per_hunk = Counter(view.removed.hunks[hit.index] for hit in removed_hits)
        removed_hits = [
            hit for hit in removed_hits
            if removed_per_hunk[view.removed.hunks[hit.index]] > added_per_hunk[view.removed.hunks[hit.index]]
        ]
    return removed_hits


def _hits_on_lines(rule: Rule, side: SideText, indexes: list[int]) -> list[Hit]:
    """Hits of the rule's removed pattern on some lines of a side, indexed as in the whole side."""
    assert rule.removed is not None
    if not indexes:
        return []
    if len(indexes) == len(side.lines):
        return find_hits(rule.removed, side, "new")
    subset = SideText()
    offset = 0
    for index in indexes:
        line = side.lines[index]
        subset.lines.append(line)
        subset.hunks.append(side.hunks[index])
        subset.order.append(side.order[index])
        subset.starts.append(offset)
        offset += len(line.text) + 1
    subset.text = "\n".join(line.text for line in subset.lines)
    found = find_hits(rule.removed, subset, "new")
    for hit in found:
        hit.index = indexes[hit.index]
    return found


def _normalize(text: str) -> str:
    return " ".join(text.split())


MIN_COPIED_CHARS = 8  # an added line shorter than this ("}", "end") proves nothing by being there before
MAX_COPIED_SOURCE_LINES = 200_000  # old-side lines read, over the change's files, to find a copied block
MAX_COPIED_SOURCE_FILES = 100  # files whose old side is read for it (one blob read each)


def drop_already_there(view: FileView, added_hits: list[Hit], change_added: "ChangeAddedLines") -> list[Hit]:
    """Added hits on a line that, with its neighbours, already stood on the old side of a file of
    the change (moved or copied from there): what it sets was in force before the change."""
    return [hit for hit in added_hits
            if not (change_added.block_already_there(view, hit) if "\n" in hit.matched
                    else change_added.already_there(view, hit.index))]


# A package qualifier before a capitalised name (``notify.TmplText``): code moved to another package
# gains or loses these, and the name's first letter turns capital as it is exported.
_QUALIFIER = lazy_compile(r"\b[a-z]\w*\.(?=[A-Z])")


def _loose(text: str) -> str:
    """A line as a move across packages leaves it: whitespace collapsed, package qualifiers before
    capitalised names dropped, case folded (``tmplText(`` in one package, ``notify.TmplText(`` after)."""
    return " ".join(_QUALIFIER.sub("", text).split()).casefold()


class _LooseSide(NamedTuple):
    lines: list[str]  # a file's old non-blank lines, loosely normalised (``_loose``)
    positions: dict[str, list[int]]  # where each of them stands


class ChangeAddedLines:
    """The added lines of a whole change, whitespace collapsed, built on first use.

    Answers "did this removed line move to another file?" (a probe moved into values.yaml).
    """

    def __init__(self, change: Change | None) -> None:
        self.change = change
        self._lines: set[str] | None = None
        self._windows: dict[tuple[str, str, str], set[str]] | None = None
        self._loose: dict[str, _LooseSide] | None = None
        self._sides: list[tuple[str, list[str], int]] | None = None
        self._head: list[str] | None = None
        self._head_read = False
        self._test_names: dict[str, set[str]] | None = None
        self._removed: tuple[frozenset[str], frozenset[str]] | None = None

    def moved_to(self, diff: FileDiff) -> str | None:
        """Where a file deleted whole went: an added file of the same name with at least half its
        lines (git shows a move with edits as a delete and an add). None when there is none."""
        if self.change is None or diff.status is not FileStatus.DELETED or not diff.old_path:
            return None
        name = diff.old_path.rsplit("/", 1)[-1]
        for other in self.change.files:
            if (other.status is FileStatus.ADDED and other.new_path and other.new_path.rsplit("/", 1)[-1] == name
                    and 2 * other.added >= diff.removed):
                return other.new_path
        return self._tests_defined_elsewhere(diff)

    def _tests_defined_elsewhere(self, diff: FileDiff) -> str | None:
        """For a test file deleted whole: the test files of the change (added or modified) that
        define, on their new side, most of the tests it defined (more than half), by name (``test('can add
        product')``, ``def test_refund``, ``func TestStore``): the suite was moved or merged there
        (``store-admin.spec.ts`` split into ``store-admin/basic.spec.ts``). None when fewer reappear
        or a file cannot be read."""
        if self.change is None or not diff.old_path or not _TEST_FILE.search(diff.old_path):
            return None
        names = set()
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is LineKind.REMOVED:
                    names.update(_test_name(match) for match in _NAMED_TEST.finditer(line.text))
        names.discard("")
        if not names:
            return None
        found = {path: names & defined for path, defined in self._tests_on_new_side().items() if names & defined}
        # A short name (``test_get``, ``works``) says little about which test it is: it counts
        # among the file's tests but never as one that reappears.
        kept = {name for name in set().union(*found.values()) if len(name) >= MIN_COPIED_CHARS} if found else set()
        if 2 * len(kept) <= len(names):
            return None
        where = sorted(found, key=lambda path: (-len(found[path]), path))
        shown = ", ".join(where[:2]) + (" …" if len(where) > 2 else "")
        return f"{shown} ({len(kept)} of its {len(names)} tests are defined there by name)"

    def removed_tests(self) -> tuple[frozenset[str], frozenset[str]]:
        """(the titles of the JS/TS tests and suites on lines the change removes, every line the change
        removes), whitespace collapsed; built once per change."""
        if self._removed is None:
            titles: set[str] = set()
            lines: set[str] = set()
            for diff in (self.change.files if self.change is not None else []):
                for hunk in diff.hunks:
                    for line in hunk.lines:
                        if line.kind is LineKind.REMOVED:
                            lines.add(" ".join(line.text.split()))
                            titles.update(" ".join(match.group("title").split())
                                          for match in _TITLED_TEST.finditer(line.text))
            self._removed = (frozenset(titles), frozenset(lines))
        return self._removed

    def _tests_on_new_side(self) -> dict[str, set[str]]:
        """path -> the names of the tests each test file the change adds or edits defines on its new
        side; read once per change (a blob read each), however many deleted files and rules ask."""
        if self._test_names is None:
            self._test_names = {}
            for other in (self.change.files if self.change is not None else []):
                if (other.status not in (FileStatus.ADDED, FileStatus.MODIFIED, FileStatus.RENAMED)
                        or not other.new_path or not _TEST_FILE.search(other.new_path)):
                    continue
                lines = new_lines(other)
                if lines is not None:
                    self._test_names[other.new_path] = {
                        _test_name(match) for text in lines for match in _NAMED_TEST.finditer(text)}
        return self._test_names

    def tests_added_beside(self, diff: FileDiff) -> str | None:
        """For a test file deleted whole: the test files in another language the change adds in the same test tree
        (under the folder that holds the deleted file's folder) that define tests by name, named with how many: a
        suite rewritten for another runner (an InSpec control replaced by a Go test) keeps no test name. A new
        test in the same language is no rewrite (a test replaced by an unrelated one keeps the finding's level).
        None when the change adds none."""
        if self.change is None or diff.status is not FileStatus.DELETED or not diff.old_path:
            return None
        folder = diff.old_path.rsplit("/", 1)[0] if "/" in diff.old_path else ""
        tree = folder.rsplit("/", 1)[0] + "/" if "/" in folder else ""
        language = posixpath.splitext(diff.old_path)[1].lower()
        added = {other.new_path for other in self.change.files
                 if other.status is FileStatus.ADDED and other.new_path and other.new_path.startswith(tree)
                 and posixpath.splitext(other.new_path)[1].lower() != language}
        found = {path: names for path, names in self._tests_on_new_side().items() if path in added and names - {""}}
        if not found:
            return None
        where = sorted(found)
        count = sum(len(names - {""}) for names in found.values())
        shown = ", ".join(where[:2]) + (" …" if len(where) > 2 else "")
        return f"{shown}, which define {count} test{'s' if count != 1 else ''}"

    def subject_deleted(self, diff: FileDiff) -> str | None:
        """For a test file deleted whole: the file it tested, when the change deletes that too
        (``metric_test.go`` with ``metric.go``): the tests went with the code. None otherwise."""
        if self.change is None or diff.status is not FileStatus.DELETED or not diff.old_path:
            return None
        chart = _HELM_TEST_HOOK.match(diff.old_path)
        if chart is not None:  # a chart's test hook deleted with the chart itself (its Chart.yaml)
            manifest = f"{chart.group(1)}Chart.yaml"
            if any(other.status is FileStatus.DELETED and other.old_path == manifest for other in self.change.files):
                return f"the chart {chart.group(1).rstrip('/') or '.'} (its Chart.yaml)"
        subject = _tested_name(diff.old_path.rsplit("/", 1)[-1])
        if subject is None:
            return self._imports_deleted(diff)
        for other in self.change.files:
            if (other is not diff and other.status is FileStatus.DELETED and other.old_path
                    and other.old_path.rsplit("/", 1)[-1] == subject):
                return other.old_path
        # The file it tested stays, but the change removes from it the definitions the deleted
        # tests call (a type moved to a new package with new tests of its own).
        folder = diff.old_path.rpartition("/")[0]
        for other in self.change.files:
            if (other is not diff and other.status is FileStatus.MODIFIED and other.old_path
                    and other.old_path == (f"{folder}/{subject}" if folder else subject)):
                gone = _definitions_removed(other, self.change)
                tests = "\n".join(line.text for hunk in diff.hunks for line in hunk.lines
                                  if line.kind is LineKind.REMOVED)
                called = sorted(name for name in gone if re.search(rf"\b{re.escape(name)}\b", tests))
                if called:
                    shown = ", ".join(called[:3]) + (" …" if len(called) > 3 else "")
                    return f"{shown} in {other.old_path}"
        # The tests are named after a definition (test_bounce.py after ``def bounce``) that the change
        # removes from a file elsewhere (a view in views.py, its tests in tests/) and defines nowhere
        # again, and they name it: the tested code went in the same change.
        stem = subject.rsplit(".", 1)[0]
        if len(stem) >= 4:
            tests = "\n".join(line.text for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED)
            if re.search(rf"\b{re.escape(stem)}\b", tests):
                for other in self.change.files:
                    if (other is not diff and other.status in (FileStatus.MODIFIED, FileStatus.DELETED)
                            and other.old_path and stem in _definitions_removed(other, self.change)):
                        return f"{stem} in {other.old_path}"
        return (_callers_moved(diff, self.change) or _asserted_text_removed(diff, self.change)
                or self._imports_deleted(diff) or self._read_paths_deleted(diff))

    def _read_paths_deleted(self, diff: FileDiff) -> str | None:
        """For a test file deleted whole: what it tested, when that is a folder or file it names by a
        relative path (``Package: "../../../stacks/ibm/application/tensorboard"`` in a kustomize test)
        that the change deletes whole: files there that stand outside every test folder (product code
        or manifests, not a test's inputs or expected outputs) are deleted by the change, and no file
        stays there at the change's head. Every path it names outside its own folder must be gone at
        the head: one that stays (a file the test may still cover) leaves the finding as it is, and so
        does a tree that cannot be read."""
        if self.change is None or not diff.old_path:
            return None
        folder = diff.old_path.rpartition("/")[0]
        named: set[str] = set()
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is LineKind.REMOVED:
                    for match in _RELATIVE_PATH.finditer(line.text):
                        resolved = _resolve(folder, match.group("path"))
                        if resolved and not _under(resolved, folder):
                            named.add(resolved)
        if not named:
            return None
        deleted = [other.old_path for other in self.change.files
                   if other is not diff and other.status is FileStatus.DELETED and other.old_path]
        # Named paths under which the change deletes files outside every test folder (the product's
        # code or manifests, not a test's inputs or expected outputs).
        gone = sorted(path for path in named if any(_names(old, path) and not _TEST_FILE.search(old) for old in deleted))
        if not gone:
            return None
        # Every path it names outside its folder is gone at the head (a path that stays may still be
        # what it tested); a tree that cannot be read proves nothing.
        head = self._head_files()
        if head is None or any(_names(kept, path) for kept in head for path in named):
            return None
        shown = ", ".join(gone[:2]) + (" …" if len(gone) > 2 else "")
        return f"{shown} (a path the test reads; the change deletes every file there)"

    def _imports_deleted(self, diff: FileDiff) -> str | None:
        """For a test file deleted whole whose name ties it to no file (tests/collector.py): the code it
        tested, when every file of the repository it imports is a file this change deletes (Python
        ``from pkg.collector import f``, a JS/TS relative import), at least one: the tests went with the
        code. For a Go test file: its package, when the change deletes the package's code and the
        folder keeps none at the change's head. An import of a file the head still has (product code the
        tests may have covered), or a tree that cannot be read, leaves the finding as it is."""
        if self.change is None:
            return None
        path = diff.old_path or ""
        deleted = {other.old_path for other in self.change.files
                   if other is not diff and other.status is FileStatus.DELETED and other.old_path
                   and not _TEST_FILE.search(other.old_path)}
        if not deleted:
            return None
        head = self._head_files()
        if head is None:
            return None
        if path.endswith(".go"):
            folder = path.rpartition("/")[0]
            gone = sorted(p for p in deleted if p.endswith(".go") and p.rpartition("/")[0] == folder)
            kept = [p for p in head if p.endswith(".go") and not p.endswith("_test.go") and p.rpartition("/")[0] == folder]
            if gone and not kept:
                return f"its package's code ({', '.join(gone[:2])}{' …' if len(gone) > 2 else ''}), all deleted"
            return None
        removed = [line.text for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED]
        candidates = _imported_files(path, removed)
        if not candidates:
            return None
        tested: set[str] = set()
        for options in candidates:
            hit = sorted(p for p in deleted if any(_names_file(p, option) for option in options))
            if hit:
                tested.add(hit[0])
                continue
            if any(_names_file(p, option) and not _TEST_FILE.search(p) for p in head for option in options):
                return None  # it also imports product code the change keeps
        if not tested:
            return None
        # The code went, not moved: nothing the deleted files define is defined again on an added line
        # (a module renamed with edits, or split into others, keeps its tests' subject alive).
        for other in self.change.files:
            if other.old_path in tested and other.status is FileStatus.DELETED:
                everything = _defined_names(LineKind.REMOVED, [other])
                if not everything or everything & _defined_names(LineKind.ADDED, self.change.files):
                    return None
        shown = sorted(tested)
        return f"{', '.join(shown[:2])}{' …' if len(shown) > 2 else ''} (what it imports; none of its definitions is added again)"

    def _head_files(self) -> list[str] | None:
        """Every file path of the change's head tree (read once), or None when there is no tree to read."""
        if not self._head_read:
            from reviewer_app.core.risk.structure import texts

            self._head_read = True
            change = self.change
            repo = texts.repository_for(change.base, change.head) if change is not None else None
            out = texts.git_output(repo, "ls-tree", "-r", "-z", "--name-only", change.head) \
                if repo is not None and change is not None and change.head else None
            if out is not None:
                self._head = [name for name in out.decode("utf-8", "replace").split("\0") if name]
        return self._head

    def already_there(self, view: FileView, index: int) -> bool:
        """Whether the added line at ``index`` of ``view``, with the non-blank line before and the
        one after it, stands exactly so (whitespace collapsed) on the old side of a file of this
        change: a block moved or copied out of a file the change touches (a config extracted into
        its own file, a manifest moved), whose setting was in force before the change."""
        text = _normalize(view.added.lines[index].text)
        if len(text.replace(" ", "")) < MIN_COPIED_CHARS or self.change is None:
            return False
        line = view.added.lines[index]
        lines = view.diff.hunks[view.added.hunks[index]].lines
        shown = [candidate for candidate in lines if candidate.kind is not LineKind.REMOVED]
        position = next((n for n, candidate in enumerate(shown) if candidate is line), -1)
        if position < 0:
            return False
        before = next((_normalize(c.text) for c in reversed(shown[:position]) if c.text.strip()), None)
        after = next((_normalize(c.text) for c in shown[position + 1:] if c.text.strip()), None)
        if before is None or after is None:
            return False
        # Only another file's old side: the same lines standing elsewhere in this very file are
        # another instance of the setting (a flag's `rollout_percentage: 100` beside an existing one),
        # not a copy of what was in force.
        own = view.diff.old_path or view.diff.new_path
        return any(path != own for path in self._old_windows().get((before, text, after), ()))

    def block_already_there(self, view: FileView, hit: Hit) -> bool:
        """Whether the lines a multi-line hit covers (an ``&err`` and the assignment that overwrites
        it) stand in the same order, with nothing else between them, on the old side of another file
        of this change once package qualifiers are set aside (``_loose``): the block moved with the
        code around it (a package split), and what it does was there before the change."""
        if self.change is None:
            return False
        # The lines the match covers: from the first with matched text (a pattern may open on the
        # blank line before it, ``^\s*replaces``) to the last.
        lines = view.added.lines[hit.index:hit.index + hit.matched.strip().count("\n") + 1]
        wanted = [_loose(line.text) for line in lines if line.text.strip()]
        if len(wanted) < 2 or sum(len(text.replace(" ", "")) for text in wanted) < 2 * MIN_COPIED_CHARS:
            return False
        own = view.diff.old_path or view.diff.new_path
        for path, old in self._old_loose().items():
            if path == own:
                continue
            for start in old.positions.get(wanted[0], ()):
                if old.lines[start:start + len(wanted)] == wanted:
                    return True
        return False

    def _old_sides(self) -> list[tuple[str, list[str], int]]:
        """(path, old lines, old-side lines read before it) of the files the change edits or deletes,
        within MAX_COPIED_SOURCE_FILES and MAX_COPIED_SOURCE_LINES: read once (a blob read each), for
        both the windows and the loose copies."""
        if self._sides is None:
            self._sides = []
            read, files = 0, MAX_COPIED_SOURCE_FILES
            for diff in (self.change.files if self.change is not None else []):
                if read >= MAX_COPIED_SOURCE_LINES or files <= 0 or diff.binary or diff.status is FileStatus.ADDED:
                    continue
                files -= 1
                if diff.status is FileStatus.DELETED:
                    old = [line.text for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED]
                else:
                    old = _old_lines(diff) or []
                self._sides.append((diff.old_path or diff.new_path or "", old, read))
                read += len(old)
        return self._sides

    def _old_loose(self) -> dict[str, "_LooseSide"]:
        if self._loose is None:
            self._loose = {}
            for path, old, _ in self._old_sides():
                texts = [_loose(text) for text in old if text.strip()]
                positions: dict[str, list[int]] = {}
                for number, text in enumerate(texts):
                    positions.setdefault(text, []).append(number)
                self._loose[path] = _LooseSide(texts, positions)
        return self._loose

    def _old_windows(self) -> dict[tuple[str, str, str], set[str]]:
        if self._windows is None:
            self._windows = {}
            for path, old, read in self._old_sides():
                texts = [_normalize(text) for text in old[:MAX_COPIED_SOURCE_LINES - read] if text.strip()]
                for window in zip(texts, texts[1:], texts[2:]):
                    self._windows.setdefault(window, set()).add(path)
        return self._windows

    def __contains__(self, text: str) -> bool:
        if self._lines is None:
            self._lines = set()
            if self.change is not None:
                self._lines = {
                    _normalize(line.text) for diff in self.change.files for hunk in diff.hunks
                    for line in hunk.lines if line.kind is LineKind.ADDED
                }
        return _normalize(text) in self._lines


_GO_PACKAGE = lazy_compile(r"^package\s+(\w+?)(?:_test)?\s*$", re.MULTILINE)
_CALLED = lazy_compile(r"\b([A-Za-z_]\w{3,})\s*\(")


def _callers_moved(diff: FileDiff, change: Change) -> str | None:
    """For a Go test file deleted whole: the functions it tested, when the change moves their
    callers to a function of the same name in another package (``config.LoadHTTPConfigFile(`` ->
    ``promconfig.LoadHTTPConfigFile(``: the code moved to a library, which tests it). None otherwise."""
    if not (diff.old_path or "").endswith("_test.go"):
        return None
    tests = "\n".join(line.text for hunk in diff.hunks for line in hunk.lines if line.kind is LineKind.REMOVED)
    package = _GO_PACKAGE.search(tests)
    if package is None:
        return None
    called = set(_CALLED.findall(tests))
    pattern = re.compile(rf"\b{re.escape(package.group(1))}\.(\w+)\s*\(")
    moved: dict[str, str] = {}
    for other in change.files:
        if other is diff or other.status is FileStatus.DELETED:
            continue
        removed = [line.text for hunk in other.hunks for line in hunk.lines if line.kind is LineKind.REMOVED]
        added = "\n".join(line.text for hunk in other.hunks for line in hunk.lines if line.kind is LineKind.ADDED)
        for text in removed:
            for name in pattern.findall(text):
                if name not in called or name in moved:
                    continue
                target = re.search(rf"\b(\w+)\.{re.escape(name)}\s*\(", added)
                if target and target.group(1) != package.group(1):
                    moved[name] = f"{package.group(1)}.{name} (its callers now call {target.group(1)}.{name})"
    if not moved:
        return None
    names = [moved[name] for name in sorted(moved)]
    return ", ".join(names[:2]) + (" …" if len(names) > 2 else "")


# An import of a module: Python ``from a.b import c, d`` / ``import a.b``, JS/TS ``from './x'`` / ``require('../x')``.
_PY_FROM = lazy_compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s+\(?([\w\s,]+?)\)?\s*(?:#.*)?$")
_PY_IMPORT = lazy_compile(r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)\s*(?:#.*)?$")
_JS_IMPORT = lazy_compile(r"""(?:\bfrom\s+|\bimport\s+|\brequire\(\s*)["'](\.{1,2}/[^"']+)["']""")
_JS_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx")
# An import line the patterns above do not read (a parenthesised list over several lines), and a JS/TS
# path alias to the project's own code (``@/components/x``): the file's imports are then not known.
_PY_UNREAD = lazy_compile(r"^\s*(from\s+\S+\s+import|import)\s")
_JS_ALIAS = lazy_compile(r"""(?:\bfrom\s+|\bimport\s+|\brequire\(\s*)["'](?:@/|~/|#|src/|/)""")


def _imported_files(path: str, removed: list[str]) -> list[tuple[str, ...]]:
    """For each module a test file imports, the file paths it may be (a Python module as a path suffix,
    ``a/b.py`` or ``a/b/__init__.py``; a JS/TS relative import as a path from the repository's root)."""
    folder = path.rpartition("/")[0]
    found: list[tuple[str, ...]] = []
    if path.endswith(".py"):
        for text in removed:
            match = _PY_FROM.match(text)
            if match:
                module, names = match.group(1), [n.split()[0] for n in match.group(2).split(",") if n.strip()]
                dots = len(module) - len(module.lstrip("."))
                base = module.lstrip(".").replace(".", "/")
                if dots:
                    parent = folder.split("/") if folder else []
                    parent = parent[:len(parent) - (dots - 1)] if dots - 1 <= len(parent) else None
                    if parent is None:
                        continue
                    base = "/".join([*parent, base] if base else parent)
                    anchor = "//"  # relative: a path from the root
                else:
                    anchor = ""
                options = [f"{anchor}{base}.py", f"{anchor}{base}/__init__.py"] if base else []
                options += [f"{anchor}{base}/{name}.py".replace("//", "/", 1) if base else f"{anchor}{name}.py" for name in names]
                found.append(tuple(options))
                continue
            match = _PY_IMPORT.match(text)
            if match:
                for module in match.group(1).split(","):
                    base = module.split()[0].replace(".", "/")
                    found.append((f"{base}.py", f"{base}/__init__.py"))
            elif _PY_UNREAD.match(text):
                return []
    elif path.endswith(_JS_EXTENSIONS):
        for text in removed:
            if _JS_ALIAS.search(text):
                return []
            for target in _JS_IMPORT.findall(text):
                parts = (folder.split("/") if folder else [])
                for piece in target.split("/"):
                    if piece == "..":
                        if not parts:
                            break
                        parts.pop()
                    elif piece not in (".", ""):
                        parts.append(piece)
                else:
                    base = "//" + "/".join(parts)
                    found.append((base, *(base + ext for ext in _JS_EXTENSIONS),
                                  *(f"{base}/index{ext}" for ext in _JS_EXTENSIONS)))
    return found


def _names_file(path: str, option: str) -> bool:
    """Whether ``path`` is the file ``option`` names: ``//a/b.py`` from the root, ``a/b.py`` as a suffix."""
    if option.startswith("//"):
        return path == option[2:]
    return path == option or path.endswith("/" + option)


# A relative path in a string literal (``"../../stacks/app"``, ``'./fixtures/x.json'``), group "path".
_RELATIVE_PATH = lazy_compile(r"""(?P<q>["'`])(?P<path>\.\.?/[^"'`\s$%{}*?]*)(?P=q)""")


def _resolve(folder: str, relative: str) -> str | None:
    """``relative`` (``../x/y``) from ``folder`` as a path from the repository's root; None when it
    leaves the repository or names the root."""
    parts = folder.split("/") if folder else []
    for piece in relative.split("/"):
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts) or None


def _under(path: str, folder: str) -> bool:
    """``path`` is ``folder`` itself or a file below it."""
    return path == folder or path.startswith(folder + "/")


def _names(path: str, named: str) -> bool:
    """``path`` is what a test names as ``named``: that file, a file below that folder, or that
    module with an extension (``../src/parser`` for ``src/parser.js``)."""
    return path == named or path.startswith(named + "/") or path.startswith(named + ".")


# A string literal on one line (a backtick one may be a Go raw string or a JS template).
_LITERAL = lazy_compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\\n]|\\.)*`')
# What a literal fills in or escapes: the pieces between are the text it looks for word for word.
_FILLED_IN = lazy_compile(r"\$?\{[^{}\n]*\}|%[-+ #0]*\d*(?:\.\d+)?[sdrfxvqi]|\\.")
MIN_ASSERTED_CHARS = 12  # non-blank characters a piece of a literal needs to name something in particular
# Files that are tests or test support (their text is no product code a test looks for).
_TEST_FILE = lazy_compile(r"(^|/)(tests?|__tests__|spec|testdata|fixtures|e2e|tests_e2e)/|(_test|\.test|\.spec)\.\w+$"
                        r"|(^|/)(test_[^/]*|tests|conftest)\.py$|Tests?\.(java|kt|cs|scala)$")
# A test defined with its name: a JS/TS test with a literal title, a Python test function,
# a Go test function. Group "js" is the title's text, "py" and "go" the function's name.
_NAMED_TEST = lazy_compile(
    r"\b(?:it|test)(?:\.(?:only|skip|fixme|concurrent))?\(\s*(?P<q>[\"'`])(?P<js>[^\"'`\n]+)(?P=q)"
    r"|^\s*(?:async\s+)?def\s+(?P<py>test\w*)\s*\(|^\s*func\s+(?P<go>(?:Test|Benchmark|Fuzz)\w*)\(")


def _test_name(match: re.Match[str]) -> str:
    return " ".join((match.group("js") or match.group("py") or match.group("go") or "").split())


# A test defined on an added line.
_TEST_DEFINED = lazy_compile(r"^\s*(async\s+)?def\s+test\w*\s*\(|^\s*func\s+(Test|Fuzz)\w*\(|\b(it|test)\(\s*[\"'`]|@Test\b|#\[test\]")


def _asserted_text_removed(diff: FileDiff, change: Change) -> str | None:
    """For a test file deleted whole whose name ties it to no file (test_anonymous_view.py): the
    text its tests look for, when the change removes it from product code (a link from a template,
    a message from a view) and writes it nowhere again, while it adds tests of its own elsewhere:
    the feature the tests covered is taken out, and the change tests what replaces it. Counted over
    the distinct pieces of the file's string literals of ``MIN_ASSERTED_CHARS`` or more (what
    placeholders and escapes split them into): at least half must be so removed. None otherwise."""
    pieces: set[str] = set()
    for hunk in diff.hunks:
        for line in hunk.lines:
            if line.kind is LineKind.REMOVED:
                for literal in _LITERAL.finditer(line.text):
                    for piece in _FILLED_IN.split(literal.group(0)[1:-1]):
                        piece = " ".join(piece.split())
                        if len(piece.replace(" ", "")) >= MIN_ASSERTED_CHARS:
                            pieces.add(piece)
    if not pieces:
        return None
    added = "\n".join(" ".join(line.text.split()) for other in change.files for hunk in other.hunks
                      for line in hunk.lines if line.kind is LineKind.ADDED)
    removed_code = [(other.old_path or "", "\n".join(" ".join(line.text.split()) for hunk in other.hunks
                                                      for line in hunk.lines if line.kind is LineKind.REMOVED))
                    for other in change.files
                    if other is not diff and other.status in (FileStatus.MODIFIED, FileStatus.DELETED, FileStatus.RENAMED)
                    and other.old_path and not _TEST_FILE.search(other.old_path)]
    gone: dict[str, str] = {}
    for piece in sorted(pieces):
        if piece in added:
            continue
        where = next((path for path, text in removed_code if piece in text), None)
        if where is not None:
            gone[piece] = where
    if not gone or 2 * len(gone) < len(pieces):
        return None
    tests_added = any(
        other is not diff and other.status is not FileStatus.DELETED and other.new_path
        and _TEST_FILE.search(other.new_path)
        and any(line.kind is LineKind.ADDED and _TEST_DEFINED.search(line.text) for hunk in other.hunks for line in hunk.lines)
        for other in change.files)
    if not tests_added:
        return None
    piece, where = max(gone.items(), key=lambda item: len(item[0]))
    shown = piece if len(piece) <= 60 else piece[:57] + "…"
    return (f"the text its tests look for ({len(gone)} of {len(pieces)} literals, e.g. {shown!r} in {where}, "
            "written nowhere again; the change adds tests of its own)")


# A Helm chart's test hook (templates/tests/*.yaml); group 1 is the chart's folder with its slash.
_HELM_TEST_HOOK = lazy_compile(r"^((?:[^/]+/)*)templates/tests/[^/]+\.ya?ml$")


# A definition on a removed line: Go func/method/type, Python def/class, JS/TS function/class,
# Java/Kotlin/C# class or interface. Names of three characters or fewer are too common to count.
_DEFINITION = lazy_compile(
    r"^\s*(?:func\s+(?:\([^)]*\)\s*)?(?P<go>\w{4,})\s*[\[(]|type\s+(?P<type>\w{4,})\s"
    r"|(?:async\s+)?def\s+(?P<py>\w{4,})\s*\(|(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*(?P<js>\w{4,})\s*\("
    # A JS/TS function written as a constant arrow function (``const initExplorer = (node) => {``).
    r"|(?:export\s+)?(?:const|let)\s+(?P<arrow>\w{4,})\s*(?::[^=\n]+)?=\s*(?:async\s+)?(?:\([^()\n]*\)|\w+)\s*(?::[^=\n]+)?=>"
    r"|(?:(?:public|private|protected|internal|abstract|final|static|export|data|sealed|open)\s+)*(?:class|interface|struct|enum)\s+(?P<cls>\w{4,}))"
)


def _defined_names(kind: LineKind, files: list[FileDiff]) -> set[str]:
    """Names the ``kind`` lines (added or removed) of ``files`` define."""
    found: set[str] = set()
    for other in files:
        for hunk in other.hunks:
            for line in hunk.lines:
                if line.kind is kind:
                    match = _DEFINITION.match(line.text)
                    if match:
                        found.add(next(group for group in match.groups() if group))
    return found


def _definitions_removed(diff: FileDiff, change: Change) -> set[str]:
    """Names a file's removed lines define that no added line of the change defines again."""
    return _defined_names(LineKind.REMOVED, [diff]) - _defined_names(LineKind.ADDED, change.files)


# How a test file is named after the file it tests: metric_test.go, test_views.py, views_test.py,
# Button.test.tsx, Button.spec.js, OrderTest.java, OrderTests.cs.
_TEST_NAME = lazy_compile(
    r"^(?:test_(?P<a>.+\.py)|(?P<b>.+)_test(?P<bx>\.\w+)|(?P<c>.+)\.(?:test|spec)(?P<cx>\.\w+)"
    r"|(?P<d>[A-Z]\w*?)Tests?(?P<dx>\.(?:java|kt|cs|scala)))$"
)


def _tested_name(name: str) -> str | None:
    match = _TEST_NAME.match(name)
    if match is None:
        return None
    if match.group("a"):
        return match.group("a")
    for stem, extension in (("b", "bx"), ("c", "cx"), ("d", "dx")):
        if match.group(stem):
            return match.group(stem) + match.group(extension)
    return None


# A top-level binding of a value in code: ``DEFAULT_TIMEOUT = 30``, ``const retryPolicy = {...}``,
# Elm's ``defaultTimeout : Time`` / ``defaultTimeout =``. Group ``name`` is the name bound. Not an
# ``export``: a framework may read an exported name (Next.js reads a route's ``maxDuration``).
_TOP_LEVEL_BINDING = lazy_compile(
    r"^(?:(?:const|let|var|val|static|final|pub(?:\(crate\))?|private|internal)\s+)*"
    r"(?P<name>[A-Za-z_][\w']{3,})\s*(?::[^=\n]*?)?(?::=|=(?!=)|:(?!:))")
# Compiled or bundled languages, where nothing but code names a binding. Not Python, Ruby, PHP or
# Lua: a module-level ``timeout = 120`` there may be read by name by a framework (gunicorn's
# config file, Django settings) that no file of the repository holds.
_BINDING_CODE = lazy_compile(r"\.(go|js|jsx|mjs|cjs|ts|tsx|elm|rs|kt|kts|scala|hs|swift|dart)$")


_YAML_PATH = lazy_compile(r"\.ya?ml$|(^|/)templates/.+\.tpl$")
_PROBE_KEY = lazy_compile(r"^\s*(-\s+)?[\w\"']*[Pp]robe[\"']?\s*:\s*(#.*)?$")


def drop_probe_timings(view: FileView, removed_hits: list[Hit]) -> list[Hit]:
    """Removed settings of a YAML health probe removed with them (``- livenessProbe:`` and its
    ``timeoutSeconds``): a probe's timing says how the kubelet checks the container, not how long a
    call may take or how often it retries. A probe removed is judged by its own rules; its settings
    go with it. (A probe that stays and loses its timeout is still read as a timeout removed.)"""
    path = view.diff.old_path or view.diff.path
    if not _YAML_PATH.search(path) or not removed_hits:
        return removed_hits
    kept = []
    for hit in removed_hits:
        lines, position = _hunk_lines_of(view, hit)
        if position >= 0 and _removed_probe_parent(lines, position):
            continue
        kept.append(hit)
    return kept


def _removed_probe_parent(lines: list, position: int) -> bool:
    """Whether the old-side line at ``position`` sits, by indentation, under a probe key that the
    same hunk removes."""
    indent = len(lines[position].text) - len(lines[position].text.lstrip())
    for previous in range(position - 1, -1, -1):
        line = lines[previous]
        if line.kind is LineKind.ADDED:
            continue
        stripped = line.text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        level = len(line.text) - len(line.text.lstrip())
        if level >= indent:
            continue
        if line.kind is not LineKind.REMOVED:
            return False
        if _PROBE_KEY.match(line.text):
            return True
        indent = level
    return False


def drop_unreferenced(view: FileView, removed_hits: list[Hit], change_added: ChangeAddedLines) -> list[Hit]:
    """Removed hits on a top-level definition of a value (a timeout constant, a retry policy) whose
    name nothing read: the old file mentions it on no other line, and no other file of the tree the
    change starts from mentions it at all (so no other module imported it). A setting nothing used
    protected nothing; removing it changes no call's behaviour.

    Judged only with the old file and the base tree at hand (read from the repository the change
    comes from); without them the hit stays.
    """
    path = view.diff.old_path or ""
    if not _BINDING_CODE.search(path) or view.diff.status is not FileStatus.MODIFIED:
        return removed_hits
    candidates: dict[int, str] = {}
    for hit in removed_hits:
        binding = _TOP_LEVEL_BINDING.match(view.removed.lines[hit.index].text)
        if binding is not None and binding.start("name") <= hit.start < binding.end("name"):
            candidates[id(hit)] = binding.group("name")
    if not candidates:
        return removed_hits
    change = change_added.change
    from reviewer_app.core.risk.structure import texts

    repo = texts.repository_for(change.base, change.head) if change is not None else None
    lines = _old_lines(view.diff)
    if repo is None or change is None or not change.base or lines is None:
        return removed_hits
    unused: set[str] = set()
    for name in set(candidates.values()):
        word = re.compile(rf"(?<![\w.']){re.escape(name)}(?![\w'])")
        mentions = [text for text in lines if word.search(text)]
        if any(not ((binding := _TOP_LEVEL_BINDING.match(text)) and binding.group("name") == name) for text in mentions):
            continue  # read on another line of the file
        if _named_elsewhere(repo, change.base, name, path) is False:
            unused.add(name)
    return [hit for hit in removed_hits if candidates.get(id(hit)) not in unused]


def _named_elsewhere(repo: object, base: str, name: str, path: str) -> bool | None:
    """Whether a file of the tree ``base`` other than ``path`` holds the word ``name``; None when
    git cannot tell (an error, a timeout: the caller then keeps its finding)."""
    from reviewer_app.core.gitcmd import run_git
    from reviewer_app.errors import UserError

    try:
        proc = run_git(repo, "grep", "-I", "-q", "-w", "-F", "-e", name, base, "--", ".",  # type: ignore[arg-type]
                       f":(exclude){path}", check=False, timeout=30)
    except (UserError, OSError):
        return None
    return {0: True, 1: False}.get(proc.returncode)  # git grep: 0 found, 1 none, else an error


# A shell variable given a folder mktemp made: ``WORK=$(mktemp -d)``, ``local out="$(mktemp -d -t x.XXXX)"``.
_MKTEMP_ASSIGNED = lazy_compile(
    r"^[ \t]*(?:(?:local|export|readonly|declare(?:[ \t]+-\w+)*)[ \t]+)?(\w+)=[\"']?\$\([ \t]*(?:command[ \t]+)?mktemp\b",
    re.MULTILINE)
_RM_TARGETS = lazy_compile(r"\brm[ \t]+(?:-{1,2}[\w-]+[ \t]+)+(?P<targets>[^;&|\n#]+)")
# ``$X``, ``"${X}"`` or a path inside it (``"$X/out"``); not ``$X/`` nor ``$X/*``: should the
# assignment have failed, those name the root or the working folder.
_VARIABLE_TARGET = lazy_compile(r"""^"?\$\{?(\w+)\}?(?:/[^\s*"'/][^\s*"']*)?"?$""")
_TRAP_SIGNALS = frozenset({"EXIT", "INT", "TERM", "ERR", "HUP", "QUIT", "RETURN", "0"})


# ``for dir in $(find charts -mindepth 1 ...)`` or ``for dir in charts/*/``: a loop over folders the
# script finds in its own tree (not from / or ~); the variable is never empty inside the loop.
_FOUND_LOOP = lazy_compile(r"^[ \t]*for[ \t]+(\w+)[ \t]+in[ \t]+(?:\$\([ \t]*find[ \t]+(?![/~\"'])[^)\n]*\)|(?![/~])[\w.${}/\"'-]*\*[\w.${}/\"'*-]*)[ \t]*(?:;|$)",
                         re.MULTILINE)
_REBUILD = (r"\b(?:helm(?:[ \t]+--?[\w-]+)*[ \t]+(?:dep|dependency)[ \t]+(?:build|update)|npm[ \t]+(?:ci|install)"
            r"|yarn(?:[ \t]+install)?|pnpm[ \t]+install|go[ \t]+mod[ \t]+vendor|bundle[ \t]+install)\b[^\n]*\$\{{?{name}\b")


def _rebuilt_subfolders(text: str) -> set[str]:
    """Loop variables over found folders whose folder the loop then rebuilds (``helm dep build
    $dir``): ``rm -rf $dir/charts`` before it clears dependencies the next command fetches again."""
    names = set()
    for match in _FOUND_LOOP.finditer(text):
        name = match.group(1)
        if re.search(_REBUILD.format(name=re.escape(name)), text[match.end():]):
            names.add(name)
    return names


def drop_own_scratch(view: FileView, hits: list[Hit]) -> list[Hit]:
    """Hits on a recursive delete (``rm -rf``) whose every target is a folder the script itself made
    with mktemp (``WORK=$(mktemp -d)`` on a line the diff shows) or a path inside it: the script
    cleaning up its own scratch space, whatever the variable is called. Also a named subfolder
    (``$dir/charts``, never ``$dir/`` nor ``$dir/*``) of a loop variable over folders the script
    finds in its tree and then rebuilds (``helm dep build $dir``): dependencies cleared to be
    fetched again."""
    candidates = [hit for hit in hits if hit.matched.startswith("rm")]
    if not candidates:
        return hits
    made = set(_MKTEMP_ASSIGNED.findall(view.new_text)) if "mktemp" in view.new_text else set()
    rebuilt = _rebuilt_subfolders(view.new_text) if "for" in view.new_text else set()
    if not made and not rebuilt:
        return hits
    own: set[int] = set()
    for hit in candidates:
        command = _RM_TARGETS.search(view.side(hit.side).lines[hit.index].text, hit.start)
        if command is None:
            continue
        targets = []
        for token in command.group("targets").split():
            if token.startswith("'") or token in _TRAP_SIGNALS:
                break  # the end of a trap's quoted command
            targets.append(token.rstrip("'"))
        names = [_VARIABLE_TARGET.match(token) for token in targets]
        if targets and all(
            name is not None and (name.group(1) in made or (name.group(1) in rebuilt and "/" in token))
            for name, token in zip(names, targets)
        ):
            own.add(id(hit))
    return [hit for hit in hits if id(hit) not in own]


MOVED_LINE_MIN_EXTRA = 3  # a moved line must carry more than the matched keyword (a value, a name)


def drop_still_present(view: FileView, removed_hits: list[Hit], change_added: ChangeAddedLines) -> list[Hit]:
    """Removed hits whose whole line is still added somewhere: in this file, or moved to another.

    A line moved elsewhere in the change keeps its protection. Elsewhere in the change it must
    carry more than the rule's keyword (``timeoutSeconds: 30`` moved into values.yaml), so that
    removing ``@login_required`` here and adding one on another view is not taken for a move.
    Lines are compared with their whitespace collapsed: a line only re-spaced (re-indented, runs of
    blanks made one, trailing blanks trimmed) is the same line.
    """
    kept: list[Hit] = []
    in_file: set[str] | None = None
    for hit in removed_hits:
        line = _normalize(view.removed.lines[hit.index].text)
        if in_file is None:
            in_file = {_normalize(added.text) for added in view.added.lines}
        if line in in_file:
            continue
        if len(line) >= len(hit.matched.strip()) + MOVED_LINE_MIN_EXTRA and line in change_added:
            continue
        kept.append(hit)
    return kept


class RemovedTexts(frozenset):
    """The file's removed lines, whitespace collapsed; and, asked once, the added lines that only
    re-lay out the code they replace (``reformatted``)."""

    view: FileView
    _reformatted: frozenset[int] | None

    def reformatted(self) -> frozenset[int]:
        if self._reformatted is None:
            self._reformatted = reformatted_lines(self.view)
        return self._reformatted


def removed_texts(view: FileView) -> RemovedTexts:
    """The file's removed lines, whitespace collapsed (for ``drop_respaced``)."""
    texts = RemovedTexts(" ".join(line.text.split()) for line in view.removed.lines)
    texts.view, texts._reformatted = view, None
    return texts


_SPACE = lazy_compile(r"\s+|\\[nt]")
_TRAILING_COMMA = lazy_compile(r",(?=[)\]}])")
MAX_REFORMAT_SEGMENT = 400  # lines of a hunk read as one re-laid-out stretch, at most


def layout_free(text: str) -> str:
    """Code with its layout taken out: what a formatter (ruff, black, prettier) may change without
    changing what the code does. Spacing and line breaks (\\n escapes in a string too), the quote
    character, a string split into adjacent literals ('a ' 'b') or triple-quoted, a trailing comma
    before a closing bracket, and doubled parentheses around an argument are dropped."""
    text = _SPACE.sub("", text).replace('"', "'").replace("''", "")
    text = _TRAILING_COMMA.sub("", text)
    while "((" in text or "))" in text:
        text = text.replace("((", "(").replace("))", ")")
    return text


def reformatted_lines(view: FileView) -> frozenset[int]:
    """Added lines (indexes) of an edit that writes the same code as the lines it replaces, laid
    out anew. A hunk is read from its start: at the end of each run of changed lines, when the old
    side and the new side read since the last such point (context lines included, so lines the
    diff aligned differently still line up) are the same once ``layout_free``, that stretch only
    re-lays out code. A run of changed lines that is the same on both sides by itself counts too.
    A formatter run over an old migration re-lays out its RenameField and its raw SQL: it adds no
    rename and no delete."""
    if not view.removed.lines or not view.added.lines:
        return frozenset()
    found: set[int] = set()
    index = 0  # of the next added line
    for hunk in view.diff.hunks:
        old: list[str] = []
        new: list[str] = []
        stretch: list[int] = []
        block_old: list[str] = []
        block_new: list[str] = []
        block: list[int] = []
        lines = hunk.lines
        for position, line in enumerate(lines):
            kind = line.kind
            if kind is LineKind.ADDED:
                new.append(line.text)
                block_new.append(line.text)
                stretch.append(index)
                block.append(index)
                index += 1
            elif kind is LineKind.REMOVED:
                old.append(line.text)
                block_old.append(line.text)
            else:
                old.append(line.text)
                new.append(line.text)
            ends_block = (kind is not LineKind.CONTEXT
                          and (position + 1 == len(lines) or lines[position + 1].kind is LineKind.CONTEXT))
            if not ends_block:
                continue
            if block_old and block_new and layout_free("".join(block_old)) == layout_free("".join(block_new)):
                found.update(block)
            block_old, block_new, block = [], [], []
            if len(old) + len(new) > 2 * MAX_REFORMAT_SEGMENT:
                old, new, stretch = [], [], []  # too long to have been one re-laid-out stretch
            elif layout_free("".join(old)) == layout_free("".join(new)):
                found.update(stretch)
                old, new, stretch = [], [], []
    return frozenset(found)


def drop_respaced(view: FileView, added_hits: list[Hit], removed: frozenset[str]) -> list[Hit]:
    """One finding per edit: an added line that the file already had, only re-spaced or moved
    (trailing blanks stripped, re-indented under a new key, moved down the file), is no new line.
    Its danger, if any, was there before the change; what the edit changes is what is new.
    Nor is an added line of an edit that only re-lays out the code it replaces (``reformatted_lines``)."""
    kept = [hit for hit in added_hits if " ".join(view.added.lines[hit.index].text.split()) not in removed]
    if kept and isinstance(removed, RemovedTexts):
        reformatted = removed.reformatted()
        kept = [hit for hit in kept if hit.index not in reformatted]
    return kept


def drop_replaced(view: FileView, removed_hits: list[Hit], added_hits: list[Hit]) -> list[Hit]:
    """One finding per edit: a removed hit whose edit (block of changed lines) also has an added
    hit of the same rule is the same concern; the new side reports it."""
    added_blocks, removed_blocks = view.blocks
    edited = {added_blocks[hit.index] for hit in added_hits if hit.side == "new"}
    return [hit for hit in removed_hits if removed_blocks[hit.index] not in edited]


_COMMENT_MARKER = lazy_compile(r"^\s*(?:#+|//+|--+|;+|/\*+|\*+|<!--|%+|rem\s|REM\s)[ \t]?")
_COMMENT_LINE = lazy_compile(r"^[ \t]*(?:#|//|--|/\*|\*|;|<!--|%|rem\s|REM\s)", re.MULTILINE)
_COMMENT_END = lazy_compile(r"\s*(?:\*/|-->)\s*$")
MIN_COMMENTED = 4  # characters of code a commented-out line must carry ("}" or "end" say nothing)


def written_as_comment(text: str) -> bool:
    """Whether a line starts with a comment marker of a common language (``#``, ``//``, ``--``, ``/*``, ``%``…)."""
    return _COMMENT_MARKER.match(text) is not None


# A definition's head: `def name(`, `func name(` / `func (r T) name(`, `function name(`, `fn name(`.
_DEFINITION_HEAD = lazy_compile(r"^\s*(?:async\s+)?(?:def|fn|function|func(?:\s*\([^)]*\))?)\s+(?P<name>[A-Za-z_]\w*)\s*\(")


def rewritten_beside(view: FileView, first: int) -> str:
    """Why code commented out still runs, rewritten: the comment block holding added line ``first`` (the first
    commented-out line) opens with a definition (``# def __getattr__(self, name):``, on that line or on the comment
    lines just above it) that the file's new side still defines on a line that is no comment: the old body kept as
    a comment beside its rewrite. "" otherwise (or when the new side cannot be read)."""
    added = view.added.lines
    index, name = first, None
    while index >= 0 and written_as_comment(added[index].text):
        head = _DEFINITION_HEAD.match(_COMMENT_MARKER.sub("", added[index].text, count=1))
        if head is not None:
            name = head.group("name")
            break
        above = added[index - 1] if index > 0 else None
        if above is None or above.new_no is None or added[index].new_no is None or above.new_no != added[index].new_no - 1:
            break  # the comment block starts here
        index -= 1
    lines = view.whole_new_lines() if name else None
    if not name or lines is None:
        return ""
    live = [number for number, text in enumerate(lines, 1)
            if not written_as_comment(text) and (found := _DEFINITION_HEAD.match(text)) and found.group("name") == name]
    if not live:
        return ""
    return (f"it is the old body of {name}, kept as a comment beside its rewrite: {name} is still defined on line "
            f"{live[0]}, so the code that runs is the rewrite (read it for what the old body checked)")


def commented_out(view: FileView) -> tuple[list[int], set[int]]:
    """Added lines that are removed lines of the same hunk turned into comments, and those lines.

    ``-    check_quota(user)`` / ``+    # check_quota(user)`` is code that no longer runs:
    one CODE-COMMENTED-OUT finding, and no second one from the rule that sees the removed line.
    """
    if not view.removed.lines or not view.added.lines:
        return [], set()
    added_lines: list[int] = []
    removed_lines: set[int] = set()
    by_hunk: dict[int, dict[str, list[int]]] = {}
    starts = view.added.starts
    # One scan of the joined added text finds the lines that start like a comment.
    for found in _COMMENT_LINE.finditer(view.added.text):
        index = bisect.bisect_right(starts, found.start()) - 1
        line = view.added.lines[index]
        marker = _COMMENT_MARKER.match(line.text)
        if marker is None:
            continue
        body = _COMMENT_END.sub("", line.text[marker.end():]).strip()
        if len(body) < MIN_COMMENTED or body in TRIVIAL_LINES:
            continue
        hunk = view.added.hunks[index]
        removed = by_hunk.get(hunk)
        if removed is None:  # the hunk's removed lines: a slice, since lines are in hunk order
            removed = by_hunk[hunk] = {}
            hunks = view.removed.hunks
            for removed_index in range(bisect.bisect_left(hunks, hunk), bisect.bisect_right(hunks, hunk)):
                removed.setdefault(view.removed.lines[removed_index].text.strip(), []).append(removed_index)
        candidates = removed.get(body)
        if candidates:
            added_lines.append(index)
            removed_lines.add(candidates.pop(0))
    return added_lines, removed_lines


# --- a test added already skipped (a JS/TS test or suite declared skipped with its title) ----------------
# A skip that declares its test: ``test.skip('title', async ({ page }) => {``, ``it.skip("title", ...``,
# ``describe.skip(...)``, ``xit('title', ...``. Group "title" is the title; the match ends at the call's
# opening parenthesis.
_TITLED_SKIP = lazy_compile(r"""\b(?:(?:it|test|describe)(?:\.describe)?\.skip|xit|xdescribe)(?P<open>\()\s*"""
                          r"""(?P<q>["'`])(?P<title>[^"'`\n]+)(?P=q)\s*,""")
# A test or suite declared with its title on a line (any modifier): the titles of removed tests.
_TITLED_TEST = lazy_compile(r"""\b(?:x|f)?(?:it|test|describe|context|suite)(?:\.\w+)*\(\s*(?P<q>["'`])(?P<title>[^"'`\n]+)(?P=q)""")
# A test defined on a line in any language the rule reads (a removed one may be an old test renamed).
_ANY_TEST_DEFINED = lazy_compile(_TEST_DEFINED.pattern + r"|" + _TITLED_TEST.pattern)
# Which of the two rules says what about a titled skip: the one for tests that stop running keeps the
# skips of tests that ran before; the one for tests added already skipped keeps those of new tests.
SKIP_OF_NEW_TEST = {"TEST-DISABLED-OR-DELETED": False, "TEST-ADDED-SKIPPED": True}
MAX_SKIPPED_BLOCK = 400  # added lines a skipped test's body is read over, at most


def sort_skipped_tests(rule: Rule, view: FileView, hits: list[Hit], change_added: ChangeAddedLines) -> list[Hit]:
    """Titled skips (``test.skip('title', async ...)``) are kept by the rule they belong to: a test
    the change adds already skipped (``TEST-ADDED-SKIPPED``: nothing that ran before stops running)
    or one that existed before (``TEST-DISABLED-OR-DELETED``). Other hits (decorators, skip calls
    without a title) are left as they are."""
    wants_new = SKIP_OF_NEW_TEST.get(rule.id)
    if wants_new is None:
        return hits
    kept = []
    for hit in hits:
        if hit.side != "new":
            kept.append(hit)
            continue
        match = _TITLED_SKIP.match(view.added.lines[hit.index].text, hit.start)
        if match is None:
            kept.append(hit)
            continue
        if skipped_test_is_new(view, hit.index, match, change_added) == wants_new:
            kept.append(hit)
    return kept


def skipped_test_is_new(view: FileView, index: int, match: re.Match[str], change_added: ChangeAddedLines) -> bool:
    """Whether the test a titled skip on the added line ``index`` declares is one the change adds: the
    whole call, from its title to its closing parenthesis (the test's body), stands on lines the change
    adds, with no unchanged line among them; no test or suite of that title is on a line the change
    removes, in any file; the file loses no test definition (a test renamed and skipped in place); and
    fewer than half of the body's lines (of some length) are lines the change removes (an old test
    moved into a new file, renamed and skipped). Anything else, or a call the reading cannot close
    (a regex literal with a bracket, a body longer than ``MAX_SKIPPED_BLOCK``), is an old test."""
    block = _added_call(view, index, match.start("open"))
    if block is None:
        return False
    title = " ".join(match.group("title").split())
    removed_titles, removed_lines = change_added.removed_tests()
    if title in removed_titles:
        return False
    if any(_ANY_TEST_DEFINED.search(line.text) for line in view.removed.lines):
        return False
    body = {" ".join(text.split()) for text in block}
    body = {text for text in body if len(text.replace(" ", "")) >= MIN_COPIED_CHARS}
    return 2 * sum(1 for text in body if text in removed_lines) < max(len(body), 1)


def _added_call(view: FileView, index: int, start: int) -> list[str] | None:
    """The added lines from ``index`` to the one where the call whose opening parenthesis stands at
    ``start`` closes, when every line between is an added line of one run (consecutive on the new side);
    None otherwise. Brackets in strings, template literals and comments do not count."""
    lines = view.added.lines
    depth, quote, block_comment = 0, "", False
    taken: list[str] = []
    position = start
    for at in range(index, min(len(lines), index + MAX_SKIPPED_BLOCK)):
        line = lines[at]
        if at > index and (view.added.hunks[at] != view.added.hunks[at - 1]
                           or line.new_no is None or lines[at - 1].new_no is None
                           or line.new_no != lines[at - 1].new_no + 1):
            return None
        text = line.text
        taken.append(text)
        n = position if at == index else 0
        while n < len(text):
            char = text[n]
            if block_comment:
                if text.startswith("*/", n):
                    block_comment, n = False, n + 2
                    continue
            elif quote:
                if char == "\\":
                    n += 2
                    continue
                if char == quote:
                    quote = ""
            elif text.startswith("//", n):
                break
            elif text.startswith("/*", n):
                block_comment, n = True, n + 2
                continue
            elif char in "\"'`":
                quote = char
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    return taken
            n += 1
        if quote in ("'", '"'):
            return None  # a plain string left open at the end of a line: not read as code
    return None


# --- which case of "skipped, focused or deleted" a finding is ----------------------------------------------
_FOCUSED = lazy_compile(r"\.only\(|\bfit\(|\bfdescribe\(")
_CASES = {
    "deleted": "A whole test file is deleted: the tests it held stop running unless they live on elsewhere.",
    "focused": ("A test is focused (.only, fit, fdescribe): while the focus stays, the runner runs only the "
                "focused tests and the rest of the suite silently stops running."),
    "skipped": "A test is skipped unconditionally: it does not run, so the behaviour it covers goes untested.",
}
CASE_RULES = frozenset({"TEST-DISABLED-OR-DELETED"})  # rules whose message names several cases at once


def case_message(rule: Rule, view: FileView, matched: str | None) -> str:
    """The message of a finding of a rule that names several cases (a test skipped, focused, or its file
    deleted), for the one case this finding is: a file-wide finding (``matched`` None) on a deleted
    file is the file deleted; a line is focused when its match is a focus call, skipped otherwise.
    Any other rule: its own message."""
    if rule.id not in CASE_RULES:
        return rule.message
    if matched is None:
        return _CASES["deleted"] if view.diff.status is FileStatus.DELETED else rule.message
    return _CASES["focused"] if _FOCUSED.search(matched) else _CASES["skipped"]
