"""The rule engine: which rules fire where in a change.

Speed matters (a 150k-line diff must be assessed in about the time it takes to parse it), so
the engine never loops rules over lines in Python. Per file it:
  1. decides once per distinct set of path globs which rules apply (one regex per glob set);
  2. joins the file's added lines (and, separately, its removed lines) into one text (hits.py);
  3. finds, with a fast literal scan, the few places each applicable rule can match at all
     (prefilter.py), and runs the rule's regex only there (in C, ``re.finditer``): on that
     line, or over the whole text when the regex can match a line break;
  4. maps the few match offsets back to lines with a binary search and keeps what is real:
     not inside a comment (comments.py, unless the rule reads comments), not a removed line
     that was moved, rewritten, commented out (reported once as such) or deleted with its file,
     and one finding per edit (a removed line and the added line that replaced it are one edit:
     the new side speaks for it; an added line the file already had, re-spaced or moved, is no
     new line) (removals.py);
  5. turns what is left into findings, whose severity the file's role (roles.py: documentation,
     example, test, vendored, generated) may lower, with the reason in the message.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Callable, Iterable

from reviewer_app.core.lazyregex import lazy_compile  # module patterns: compiled on first use
from reviewer_app.core.model import Change, FileDiff, FileStatus, Line, LineKind
from reviewer_app.core.records import Record
from reviewer_app.core.risk import structure
from reviewer_app.core.risk.comments import CommentOracle, comment_starts, lexer_for
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.hits import FileView, Hit, anchored, find_hits, prepare
from reviewer_app.core.risk.removals import (
    MIN_COPIED_CHARS,
    SKIP_OF_NEW_TEST,
    ChangeAddedLines,
    case_message,
    commented_out,
    rewritten_beside,
    drop_deleted_blocks,
    drop_already_there,
    drop_kept,
    drop_own_scratch,
    drop_replaced,
    drop_respaced,
    removed_texts,
    drop_rewritten_blocks,
    drop_still_present,
    drop_probe_timings,
    drop_unreferenced,
    sort_skipped_tests,
    written_as_comment,
)
from reviewer_app.core.risk.roles import FileRole, role_of
from reviewer_app.core.risk.rules import SEVERITY_RANK, Rule, RuleSet, glob_to_regex, max_severity

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def shannon_entropy(text: str) -> float:
    """Bits per character (gitleaks and detect-secrets use the same measure)."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(count / total * math.log2(count / total) for count in Counter(text).values())


@lru_cache(maxsize=512)
def _glob_regex(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for a set of gitignore globs (no negations: the rule parser refuses '!').

    pathspec compiles each glob to a regex and tries them one by one for every path; joined into
    one alternation, a path is decided in one C call (the 150k-line benchmark: 0.4 s -> 0.03 s).
    tests/core/risk/test_roles_and_comments.py checks it against pathspec.GitIgnoreSpec.
    """
    parts = []
    for glob in globs:
        regex, include = glob_to_regex(glob)  # pathspec's translation; the built-in pack's is cached
        if regex is not None and include:
            parts.append("(?:" + regex.replace("(?P<ps_d>", "(?:") + ")")
    return re.compile("|".join(parts)) if parts else None


_WILDCARDS = lazy_compile(r"[*?]+")


@lru_cache(maxsize=4096)
def _glob_literal(glob: str) -> str:
    """A text every path the glob matches contains ("" when it cannot tell).

    The longest piece between wildcards, without the slashes at its ends (``**/`` may match
    nothing, so ``**/tests/**`` matches ``tests/x`` without "/tests/").
    """
    if "[" in glob or "\\" in glob:
        return ""
    return max((piece.strip("/") for piece in _WILDCARDS.split(glob)), key=len, default="")


class GlobSet:
    """A rule's include or exclude globs: a cheap substring test, then the compiled regex.

    Compiling the regexes of all 60-odd glob sets costs more than the rest of a one-line analyze;
    a set whose every glob needs a text the path lacks cannot match, and is never compiled.
    """

    def __init__(self, globs: tuple[str, ...]) -> None:
        self.globs = globs
        self.by_literal = tuple((_glob_literal(glob), glob) for glob in globs)
        literals = {literal for literal, _ in self.by_literal}
        self.literals: frozenset[str] | None = None if "" in literals else frozenset(literals)

    def match(self, path: str, present: frozenset[str] | None = None) -> bool:
        """Whether a glob matches ``path``; ``present``: the literals known to occur in it."""
        if present is None:
            present = frozenset(literal for literal, _ in self.by_literal if literal and literal in path)
        # Only the globs whose literal the path holds can match (one without a literal always may):
        # only those are compiled, which for most paths is one short regex shared by many sets.
        candidates = tuple(glob for literal, glob in self.by_literal if not literal or literal in present)
        if not candidates:
            return False
        pattern = _glob_regex(candidates)
        return pattern is not None and pattern.match(path) is not None


def glob_match(globs: tuple[str, ...], path: str) -> bool:
    return GlobSet(globs).match(path)


class PathFilter:
    """Which rules apply to a path: one decision per distinct (include, exclude) pair."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Rule]] = {}
        for rule in rules:
            groups.setdefault(rule.path_key, []).append(rule)
        self.groups = [(GlobSet(include), GlobSet(exclude) if exclude else None, rules)
                       for (include, exclude), rules in groups.items()]
        # Every literal of every glob set, each looked for once per path.
        self.literals = sorted({literal for include, exclude, _ in self.groups for globs in (include, exclude)
                                if globs is not None and globs.literals for literal in globs.literals})

    def rules_for(self, paths: tuple[str, ...]) -> list[Rule]:
        applicable: list[Rule] = []
        seen = [(path, frozenset(literal for literal in self.literals if literal in path)) for path in paths]
        for include, exclude, rules in self.groups:
            for path, present in seen:
                if include.match(path, present) and (exclude is None or not exclude.match(path, present)):
                    applicable.extend(rules)
                    break
        return applicable


class FileContext(Record):
    """What every rule on one file shares: its role, comment oracles, commented-out lines."""

    FIELDS = ("view", "change_added", "_role", "_role_known", "_oracles", "_shown", "_commented", "_removed_texts")

    def __init__(self, view: FileView, change_added: ChangeAddedLines) -> None:
        self.view = view
        self.change_added = change_added
        # Decided or read when a rule first asks:
        self._role: FileRole | None = None
        self._role_known = False
        self._oracles: dict[str, tuple[frozenset[str], CommentOracle | None]] = {}
        self._shown: dict[tuple[str, int], tuple[list[str], dict[int, int]]] = {}
        self._commented: tuple[list[int], set[int]] | None = None
        self._removed_texts: frozenset[str] | None = None

    @property
    def role(self) -> FileRole | None:
        """The file's role, decided when a finding first needs it (most files have none)."""
        if not self._role_known:
            self._role, self._role_known = role_of(self.view.diff), True
        return self._role

    @property
    def commented(self) -> tuple[list[int], set[int]]:
        """(added lines that comment out removed code, those removed lines), by index."""
        if self._commented is None:
            self._commented = commented_out(self.view)
        return self._commented

    @property
    def removed_texts(self) -> frozenset[str]:
        """The file's removed lines, whitespace collapsed (built once per file)."""
        if self._removed_texts is None:
            self._removed_texts = removed_texts(self.view)
        return self._removed_texts

    def in_comment(self, hit: Hit) -> bool:
        """The hit lies in a comment (read both alone and in its hunk: comments.py)."""
        if "\n" in hit.matched:
            return False  # a match running over several lines: never dismissed as a comment
        side = self.view.side(hit.side)
        line = side.lines[hit.index]
        if hit.side not in self._oracles:
            path = self.view.diff.path if hit.side == "new" else (self.view.diff.old_path or self.view.diff.path)
            lexer = lexer_for(path)
            self._oracles[hit.side] = (comment_starts(path), CommentOracle(lexer) if lexer is not None else None)
        starts, oracle = self._oracles[hit.side]
        if oracle is None or not starts.intersection(line.text[:hit.end]):
            return False
        shown, positions = self._hunk_lines(hit.side, side.hunks[hit.index])
        return oracle.in_comment(line.text, hit.start, hit.end, shown, positions[id(line)])

    def _hunk_lines(self, side: str, hunk_index: int) -> tuple[list[str], dict[int, int]]:
        key = (side, hunk_index)
        if key not in self._shown:
            other = LineKind.REMOVED if side == "new" else LineKind.ADDED
            lines = [line for line in self.view.diff.hunks[hunk_index].lines if line.kind is not other]
            self._shown[key] = ([line.text for line in lines], {id(line): n for n, line in enumerate(lines)})
        return self._shown[key]


def evaluate(change: Change, rules: RuleSet) -> list[Finding]:
    """Every finding of every rule in ``rules`` on ``change``, in a stable order, one per id."""
    path_filter = PathFilter(rules.rules)
    findings: dict[str, Finding] = {}
    change_scope_done: set[str] = set()
    change_added = ChangeAddedLines(change)
    # Parsers where they exist (structure/): their findings join, the line rules they cover step aside.
    structured = structure.analyse(change, rules)
    for file_index, diff in enumerate(change.files):
        paths = tuple(dict.fromkeys(p for p in (diff.new_path, diff.old_path) if p))
        applicable = structured.line_rules(diff, path_filter.rules_for(paths))
        if not applicable:
            continue
        view = prepare(diff)
        context = FileContext(view, change_added)
        for rule in applicable:
            if rule.scope == "change" and rule.id in change_scope_done:
                continue
            for finding in evaluate_rule(rule, view, context):
                if rule.scope == "change":
                    change_scope_done.add(rule.id)
                previous = findings.get(finding.id)
                if previous is None or SEVERITY_RANK[finding.severity] > SEVERITY_RANK[previous.severity]:
                    findings[finding.id] = finding
    structured.merge_into(findings, rules)
    # A revert that brings migrations back to a release's content runs nothing new on any installation;
    # the check costs nothing unless a migration finding above low is present.
    kept = list(findings.values())
    if any(f.rule.startswith("DB-") for f in kept):
        from reviewer_app.core.risk.history import lower_restored
        from reviewer_app.core.risk.structure.texts import repository_for

        kept = lower_restored(repository_for(change.base, change.head), change, kept)
    order = {diff.path: index for index, diff in enumerate(change.files)}
    return sorted(kept, key=lambda f: (order.get(f.path, len(order)), f.path, f.line, f.side, f.rule))


def evaluate_rule(rule: Rule, view: FileView, context: FileContext | None = None) -> list[Finding]:
    if context is None:
        context = FileContext(view, ChangeAddedLines(None))
    hits = rule_hits(rule, view, context)
    status_fired = (rule.any_change and changes_something(view.diff)) or (
        view.diff.status.value in rule.file_status and deleted_holds(rule, view))
    if not hits and not status_fired:
        return []
    if rule.file_lacks is not None and rule.file_lacks.search(view.new_text):
        return []
    if status_fired:  # the file as a whole is the finding (e.g. a deleted test file): no per-line noise
        located = []
        whole_file = True
    elif rule.scope == "line":
        located = [(hit, [hit]) for hit in hits]
        whole_file = False
    elif rule.scope == "hunk":
        by_hunk: dict[int, list[Hit]] = {}
        for hit in hits:
            by_hunk.setdefault(view.side(hit.side).hunks[hit.index], []).append(hit)
        located = [
            (min(group, key=lambda h: view.side(h.side).order[h.index]), group) for _, group in sorted(by_hunk.items())
        ]
        whole_file = False
    else:  # file and change scope: one finding for the file, at line 0
        located = []
        whole_file = True
    results = [line_finding(rule, view, anchor, group, context) for anchor, group in located]
    if whole_file:
        results.append(file_finding(rule, view, hits, context))
    return results


def deleted_holds(rule: Rule, view: FileView) -> bool:
    """A file deleted whole fires a ``deleted_holds`` rule only when its lines show what the rule
    is about (a test file that held tests, not a helper or generated client beside them). A
    deletion whose lines the diff does not show (binary, no hunks) fires: fail closed, unless git
    names the deleted content as the empty blob (an empty ``__init__.py`` held no test)."""
    if rule.deleted_holds is None or view.diff.status is not FileStatus.DELETED:
        return True
    if not view.removed.lines:
        if view.diff.binary:  # a pickled model, an image, an archive: data a test reads, not a test
            return not _DATA_FORMAT.search(view.diff.old_path or view.diff.path)
        return not (not view.diff.hunks and _empty_blob(view.diff.old_blob))
    path = view.diff.old_path or view.diff.path
    if _DATA_TEXT.search(path):
        # A data file (a YAML or JSON fixture, an expected output) holds no test code, whatever words
        # its values hold ("an assertion failure" in a CRD's field description): it counts when it
        # declares a test the way data-driven test tools do, or is named as a test and reads like one.
        if _DATA_TEST.search(view.removed.text) is not None:
            return True
        return _NAMED_AS_TEST.search(path) is not None and rule.deleted_holds.search(view.removed.text) is not None
    return rule.deleted_holds.search(view.removed.text) is not None


# Text formats that hold data: a fixture, an expected (golden) output, a manifest a test renders.
_DATA_TEXT = lazy_compile(r"\.(ya?ml|json|jsonc|json5|xml|csv|tsv|toml|ini|properties|golden|txt)$", re.IGNORECASE)
# A data file named as a test (a helm-unittest suite deployment_test.yaml, a Helm hook test-connection.yaml,
# kuttl's 00-assert.yaml, chainsaw-test.yaml, test_login.tavern.yaml): read like any other test file.
_NAMED_AS_TEST = lazy_compile(r"(^|/)(tests?|specs?)[-_.][^/]*$|[-_.](tests?|specs?|asserts?)(\.[\w-]+)?\.\w+$"
                            r"|(^|/)\d+-(assert|errors)[^/]*$", re.IGNORECASE)
# How a data file declares a test: a Helm test hook; a test kind or type (kuttl, chainsaw, tracetest:
# ``type: Test``); a key of assertions (helm-unittest ``asserts:``, tracetest ``assertions:``, a chainsaw
# ``- assert:`` step, Tavern's ``test_name:``); a Postman test script; a doctest session in a text file.
_DATA_TEST = lazy_compile(r'''(?m)helm\.sh/hook["']?\s*:\s*["']?test'''
                        r'''|^\s*["']?(kind|type)["']?\s*:\s*["']?(Test|TestStep|TestAssert|TestSuite|Transaction)["']?\s*,?\s*$'''
                        r'''|^\s*(-\s*)?["']?(asserts?|assertions|test_name)["']?\s*:|\bpm\.test\(|^\s*>>>\s''')


# Binary formats that hold data, never a test a runner collects: a deleted fixture of this kind is
# no test deleted (the tests that read it are reported where they are deleted or skipped). Any other
# binary file, or one with no extension, still fires (its content cannot be read).
_DATA_FORMAT = lazy_compile(
    r"\.(pickle|pkl|npy|npz|h5|hdf5|parquet|avro|feather|onnx|pt|pth|ckpt|safetensors|model|joblib"
    r"|png|jpe?g|gif|bmp|ico|webp|tiff?|svgz|pdf|psd|heic|avif"
    r"|zip|gz|tgz|bz2|xz|zst|7z|rar|tar|lz4"
    r"|db|sqlite3?|mdb|mo"
    r"|woff2?|ttf|otf|eot|mp3|mp4|m4a|wav|ogg|flac|webm|avi|mov|mkv"
    r"|docx?|xlsx?|pptx?|odt|ods|odp|epub"
    r"|der|p12|pfx|jks|keystore|bin|dat)$", re.IGNORECASE)


EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's id of empty content (SHA-1)
EMPTY_BLOB_SHA256 = "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"


def _empty_blob(blob: str | None) -> bool:
    """The "index" line names the empty blob (abbreviated as git abbreviates: at least 7 digits)."""
    return bool(blob) and len(blob) >= 7 and (EMPTY_BLOB.startswith(blob.lower()) or EMPTY_BLOB_SHA256.startswith(blob.lower()))


def changes_something(diff: FileDiff) -> bool:
    """False only for a file whose diff shows nothing but context (nothing for a reviewer to see)."""
    return (diff.status is not FileStatus.MODIFIED or diff.binary or diff.mode_changed
            or any(line.kind is not LineKind.CONTEXT for hunk in diff.hunks for line in hunk.lines))


def rule_hits(rule: Rule, view: FileView, context: FileContext) -> list[Hit]:
    hits: list[Hit] = []
    # A file-level finding needs one hit, not all of them (a pattern like '\S' hits every character),
    # unless hits in comments are to be dropped first.
    one_is_enough = rule.scope in ("file", "change") and rule.in_comments
    limit = 1 if one_is_enough and not (rule.net_removed or rule.ignore_moved or rule.entropy_group) else 0
    added_hits: list[Hit] = []
    if rule.added is not None and view.added.lines:
        accept = (lambda match: secret_is_random(rule, match)) if rule.entropy_group is not None else None
        added_hits = find_hits(rule.added, view.added, "new", limit, accept)
        if added_hits and not rule.in_comments:
            added_hits = [hit for hit in added_hits if not context.in_comment(hit)]
        if added_hits and view.removed.lines:
            added_hits = drop_respaced(view, added_hits, context.removed_texts)
        # A block moved or copied out of a file the change touches sets nothing new (committed
        # secrets excepted: a key copied is a key committed again).
        if (added_hits and SEVERITY_RANK[rule.severity] >= SEVERITY_RANK["high"] and rule.entropy_group is None
                and not rule.id.startswith("SECRET-")):
            added_hits = drop_already_there(view, added_hits, context.change_added)
    if rule.commented_out and view.removed.lines:
        added_hits.extend(Hit("new", index, 0, len(view.added.lines[index].text), view.added.lines[index].text)
                          for index in context.commented[0])
    hits.extend(added_hits)
    # A file deleted whole takes what its lines protected with it: no "protection removed" there.
    deleted = view.diff.status is FileStatus.DELETED and "deleted" not in rule.for_roles
    if rule.removed is not None and view.removed.lines and not deleted:
        removed_hits = find_hits(rule.removed, view.removed, "old", limit)
        if removed_hits and not rule.in_comments:
            removed_hits = [hit for hit in removed_hits if not context.in_comment(hit)]
        if removed_hits:  # code turned into comments is reported once, as such (CODE-COMMENTED-OUT)
            commented = context.commented[1]
            if commented:
                removed_hits = [hit for hit in removed_hits if hit.index not in commented]
        if removed_hits and rule.max_pure_removal:
            removed_hits = drop_deleted_blocks(rule, view, removed_hits)
        if removed_hits and rule.guarded_code_kept:
            removed_hits = drop_rewritten_blocks(rule, view, removed_hits)
        if removed_hits and (rule.net_removed or rule.ignore_moved):
            removed_hits = drop_kept(rule, view, removed_hits)
        if removed_hits and rule.net_removed and rule.ignore_moved:  # a setting removed: was it read?
            removed_hits = drop_unreferenced(view, removed_hits, context.change_added)
            if removed_hits:
                removed_hits = drop_probe_timings(view, removed_hits)
        if removed_hits:
            removed_hits = drop_still_present(view, removed_hits, context.change_added)
        if removed_hits and added_hits:
            removed_hits = drop_replaced(view, removed_hits, added_hits)
        hits.extend(removed_hits)
    if rule.ignore_lines is not None and hits:
        ignored = rule.ignore_lines.search
        hits = [hit for hit in hits if not ignored(view.side(hit.side).lines[hit.index].text)]
    if hits and rule.id in SKIP_OF_NEW_TEST:  # a test added already skipped, or an old one skipped
        hits = sort_skipped_tests(rule, view, hits, context.change_added)
    if hits and rule.added is not None:
        hits = drop_own_scratch(view, hits)  # rm -rf of the folder the script made with mktemp
    # Found by the operation's first line, reported at the line its ``at`` group names (the culprit).
    return [anchored(hit, view.side(hit.side)) for hit in hits]


def secret_is_random(rule: Rule, match: re.Match[str]) -> bool:
    """Keep a secret-looking match only when its captured value looks random enough."""
    assert rule.entropy_group is not None
    value = match.group(rule.entropy_group) or ""
    threshold = rule.min_entropy_hex if value and set(value) <= HEX_DIGITS and rule.min_entropy_hex else rule.min_entropy
    return shannon_entropy(value) >= threshold and not placeholder(value)


_PLACEHOLDER_WORD = lazy_compile(r"(?i)fake|dummy|example|sample|placeholder|changeme|redacted|notreal|your[-_]?|xxxx")
_RUN_OF_FIVE = lazy_compile(r"([^A])\1{4}")  # not A: base64 writes zero bytes of a real key as AAAA…
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz")


def placeholder(value: str) -> bool:
    """A value typed to stand for a secret, not one generated: it says so (fake, dummy, example,
    x runs), or holds a run a generator almost never writes: one character five times
    (``00000``), or five in alphabet or digit order (``12345``, ``abcdefgh``). In a 40-digit random
    hex value either run turns up less than once in a thousand; in base64, far less."""
    if _PLACEHOLDER_WORD.search(value) or _RUN_OF_FIVE.search(value):
        return True
    folded = value.lower()
    for sequence in _SEQUENCES:
        for start in range(len(sequence) - 4):
            if sequence[start:start + 5] in folded:
                return True
    return False


def line_finding(rule: Rule, view: FileView, anchor: Hit, group: list[Hit], context: FileContext) -> Finding:
    line = view.side(anchor.side).lines[anchor.index]
    number = (line.new_no if anchor.side == "new" else line.old_no) or 0
    hunk_index = view.side(anchor.side).hunks[anchor.index]
    hunk = view.diff.hunks[hunk_index]
    line_texts = [view.side(hit.side).lines[hit.index].text for hit in group]
    # For code commented out, "the added lines" are the commented-out ones, not the hunk's comments.
    added_text = "\n".join(line_texts) if rule.commented_out else _texts(hunk.lines, LineKind.ADDED)
    severity, because = escalated(rule, line_texts, added_text, _texts(hunk.lines, LineKind.REMOVED),
                                  lambda: _lost_text(view, hunk_index))
    lowered: list[str] = []
    # Only an unescalated finding: an edit that makes a command worse (rm -rf ./build -> rm -rf /) is new.
    if rule.preexisting_severity and not because and anchor.side == "new" and all(hit.side == "new" for hit in group):
        reason = preexisting(rule, view, group)
        if not reason and rule.id in MOVED_WITHIN_CHANGE:
            reason = moved_within_change(rule, view, group, context)
        if reason and SEVERITY_RANK[rule.preexisting_severity] < SEVERITY_RANK[severity]:
            severity = rule.preexisting_severity
            lowered.append(reason)
    # A migration line only a rollback runs is lowered whatever raised it (an upgrade never runs it);
    # other context reasons leave an escalated finding alone.
    if anchor.side == "new" and (not because or rule.id.startswith(("DB-", "ORM-"))) \
            and SEVERITY_RANK[severity] > SEVERITY_RANK["medium"]:
        reason = _context_reason(rule, view, anchor, number, context)
        if reason:
            severity = "medium"
            lowered.append(reason)
    if rule.commented_out and SEVERITY_RANK[severity] > SEVERITY_RANK["medium"]:
        # Escalated for what the commented lines did (a try, a test): not lost when they are an old body kept
        # beside its rewrite, which runs in their place.
        reason = rewritten_beside(view, min(hit.index for hit in group if hit.side == "new")) \
            if any(hit.side == "new" for hit in group) else ""
        if reason:
            severity = "medium"
            lowered.append(reason)
    severity = _role_lowered(rule, severity, context, lowered)
    path = view.diff.path if anchor.side == "new" else (view.diff.old_path or view.diff.path)
    return Finding(rule.id, severity, path, anchor.side, number, anchor.start, anchor.end,
                   _message(rule, severity, because, lowered, case_message(rule, view, anchor.matched)),
                   rule.reference, rule.scope)


def _context_reason(rule: Rule, view: FileView, anchor: Hit, number: int, context: FileContext) -> str:
    """Why an added line's hit, though it matches, does not do what the rule warns of where it
    stands: verification skipped only towards this machine, a migration line only a rollback runs, a
    Makefile uninstalling the Helm release it installs itself, a delete on a local cluster the script creates,
    a Terraform apply in a CI step whose folder declares only local providers.
    "" when nothing says so (the finding keeps its severity)."""
    if rule.id == "TLS-VERIFY-DISABLED":
        return loopback_only(view, anchor)
    if rule.id.startswith(("DB-", "ORM-")) and number:
        return reverse_step(view, number)
    if rule.id == "OPS-CLOUD-DELETE-CLI":
        from reviewer_app.core.risk.helm_teardown import own_release_uninstalled  # only on a delete command's hit
        from reviewer_app.core.risk.local_cluster import own_local_cluster

        return own_release_uninstalled(view, anchor) or own_local_cluster(view, anchor)
    if rule.id == "OPS-IAC-DESTRUCTIVE-COMMAND":
        from reviewer_app.core.risk.local_terraform import own_local_state  # only on a Terraform command's hit

        return own_local_state(view, anchor, context.change_added.change)
    return ""


# --- TLS verification skipped towards a loopback address -------------------------------------------
# A line ending so continues its statement on the next line (a string concatenated, an argument list,
# a shell line continued): the statement's target may be named on a neighbouring line.
_CONTINUES = lazy_compile(r"(\+|,|\(|\[|\\|&&|\|\||\|)\s*$")
_STATEMENT_REACH = 3  # lines either side of the hit a statement may take in
# Where a connection goes: a URL's host, or a host:port written without a scheme.
_URL_HOST = lazy_compile(r"\b[a-zA-Z][\w+.-]*://(?:[^@/\s'\"`]*@)?(\[[^\]\s]*\]|[^/\s:'\"`?#,;)}\\]*)")
_BARE_HOST = lazy_compile(r"(?<![\w./:@-])(localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(?=:\d)")
_LOOPBACK = lazy_compile(r"^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?|\[?0*:(?:0*:){5}0*1\]?)$", re.IGNORECASE)
# Something filled in when the code runs: the target could be anything.
_INTERPOLATED = lazy_compile(r"\$\{|\$\w|\{\{|%[sd(]|\bf['\"][^'\"]*\{|`[^`]*\$\{")


def loopback_only(view: FileView, anchor: Hit) -> str:
    """Why certificate checks turned off on this line guard nothing on a network path: the
    statement it belongs to (the line, and neighbours it continues onto or from) names a target,
    every target it names is a loopback address (localhost, 127.0.0.0/8, ::1), and nothing in it
    is filled in at run time. "" otherwise: no target named (it is set elsewhere), any other host,
    or a value interpolated into the statement keep the finding."""
    hunk = view.diff.hunks[view.added.hunks[anchor.index]]
    shown = [line for line in hunk.lines if line.kind is not LineKind.REMOVED]
    target = view.added.lines[anchor.index]
    position = next((n for n, line in enumerate(shown) if line is target), -1)
    if position < 0:
        return ""
    start = position
    while start > 0 and position - start < _STATEMENT_REACH and _CONTINUES.search(shown[start - 1].text):
        start -= 1
    end = position
    while end + 1 < len(shown) and end - position < _STATEMENT_REACH and _CONTINUES.search(shown[end].text):
        end += 1
    statement = "\n".join(line.text for line in shown[start:end + 1])
    if _INTERPOLATED.search(statement):
        return ""
    hosts = [match.group(1) for match in _URL_HOST.finditer(statement)]
    hosts += [match.group(1) for match in _BARE_HOST.finditer(statement)]
    if not hosts or not all(_LOOPBACK.match(host) for host in hosts):
        return ""
    return (f"the connection it affects goes to a loopback address ({hosts[0]}), which never leaves "
            "this machine, so no one on a network path can impersonate the server")


# --- a migration line that only a rollback runs ---------------------------------------------------------
_PY_TOP_DEF = lazy_compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(")


_ALEMBIC_UPGRADE = lazy_compile(r"(?m)^(?:async\s+)?def\s+upgrade(_\w+)?\s*\(")
_ALEMBIC_REVISION = lazy_compile(r"(?m)^\s*down_revision\b|^\s*(from\s+alembic\b|import\s+alembic\b)")
_HELPER_DEPTH = 3  # helpers calling helpers: how far back towards the reverse step the reading goes


def reverse_step(view: FileView, number: int) -> str:
    """Why a line of a Python migration runs only when the migration is reversed: it stands in a
    top-level function that the file names only as a Django ``RunPython`` reverse (the second
    argument, or ``reverse_code=``), or in an Alembic revision's ``downgrade()``, or in a helper
    every use of which stands in such a function (``downgrade()`` calling ``_drop_columns()``).
    Upgrading an installation runs the forward step, never this one. "" when the file cannot be read
    whole, the line is not in a top-level function, or the function is used any other way."""
    path = view.diff.new_path or view.diff.path
    if not path.endswith(".py"):
        return ""
    lines = view.whole_new_lines()
    if lines is None or not 0 < number <= len(lines):
        return ""
    found = _top_function(lines, number - 1)
    if found is None:
        return ""
    name, at, _ = found
    step = _reverse_only(lines, "\n".join(lines), name, at, (name,))
    if not step:
        return ""
    if step.startswith("the Alembic"):
        return f"the line is in {name}(), {step}: an upgrade does not run it"
    if step.startswith("which"):
        return f"the line is in {name}(), {step}: upgrading an installation runs the forward step, only a rollback runs this"
    return f"the line is in {name}(), {step}: an upgrade does not run it"


_PY_DEF = lazy_compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(")


def _top_function(lines: list[str], index: int) -> tuple[str, int, int] | None:
    """The function line ``index`` stands in, when that is a top-level function or one defined
    directly in a top-level class's body (Django migrations often define their RunPython steps in
    the ``Migration`` class): (name, offset of the name in the file, def line); None otherwise
    (module code, class-level code, a nested function, a signature split over lines)."""
    enclosing: tuple[str, int, int] | None = None
    outermost_is_def = False
    reach: int | None = None  # the smallest indentation seen so far: only lines above it enclose
    for row in range(index, -1, -1):
        text = lines[row]
        stripped = text.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(text) - len(stripped)
        if reach is not None and indent >= reach:
            continue
        reach = indent
        definition = _PY_DEF.match(text)
        offset = sum(len(line) + 1 for line in lines[:row])
        if indent == 0:
            if definition is not None:
                return definition.group(1), offset + definition.start(1), row
            if text.startswith("class ") and enclosing is not None and outermost_is_def:
                return enclosing
            return None
        outermost_is_def = definition is not None
        if definition is not None:
            enclosing = (definition.group(1), offset + definition.start(1), row)
    return None


def _reverse_only(lines: list[str], text: str, name: str, at: int, chain: tuple[str, ...]) -> str:
    """How the top-level function ``name`` (defined at offset ``at``) runs only on a rollback, as the
    rest of a sentence; "" when it may run otherwise."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    uses = {match.start() for match in word.finditer(text)} - {at}
    # Alembic runs downgrade() itself, by name; a downgrade() the file also calls (from upgrade(), or
    # module code) runs on an upgrade too, so the name alone proves nothing then.
    if re.match(r"downgrade(_\w+)?$", name) and _ALEMBIC_UPGRADE.search(text) and _ALEMBIC_REVISION.search(text):
        return "" if uses else "the Alembic revision's reverse step"
    reverse = re.compile(rf"\bRunPython\(\s*(?:code\s*=\s*)?[\w.]+\s*,\s*(?:reverse_code\s*=\s*)?({re.escape(name)})\b"
                         rf"|\breverse_code\s*=\s*({re.escape(name)})\b")
    reverses = {match.start(1) if match.group(1) else match.start(2) for match in reverse.finditer(text)}
    if reverses:
        return "" if uses - reverses else "which the migration names only as RunPython's reverse step"
    if not uses or len(chain) > _HELPER_DEPTH:
        return ""
    # A helper: every use stands inside the body of a top-level function that itself runs only on a
    # rollback (a use in module code, a class body or the forward step keeps the line's severity).
    callers: dict[str, str] = {}
    for use in sorted(uses):
        row = text.count("\n", 0, use)
        found = _top_function(lines, row)
        if found is None or found[2] == row:
            return ""
        caller, caller_at, _ = found
        if caller == name:
            continue  # the helper calling itself
        if caller in chain:
            return ""
        if caller not in callers:
            step = _reverse_only(lines, text, caller, caller_at, (*chain, caller))
            if not step:
                return ""
            callers[caller] = step
    if not callers:
        return ""
    caller, step = next(iter(callers.items()))
    if len(callers) == 1:
        return f"called only from {caller}(), {step}"
    names = ", ".join(f"{c}()" for c in callers)
    return f"called only from {names}, each run only on a rollback"


def file_finding(rule: Rule, view: FileView, hits: list[Hit], context: FileContext) -> Finding:
    # Escalation conditions on "the line" look at every added line of the file (hits may be capped).
    line_texts = [line.text for line in view.added.lines] or [view.side(hit.side).lines[hit.index].text for hit in hits]
    severity, because = escalated(rule, line_texts, view.added.text, view.removed.text, lambda: _lost_text(view))
    lowered: list[str] = []
    if rule.preexisting_severity and not because and SEVERITY_RANK[rule.preexisting_severity] < SEVERITY_RANK[severity]:
        reason = preexisting_in_file(rule, view, hits)
        if reason:
            severity = rule.preexisting_severity
            lowered.append(reason)
    severity = _role_lowered(rule, severity, context, lowered)
    moved = context.change_added.moved_to(view.diff) if rule.file_status else None
    if moved and SEVERITY_RANK[severity] > SEVERITY_RANK[rule.role_floor]:
        severity = rule.role_floor
        lowered.append(f"the file was moved to {moved} with edits (git shows a delete and an add)")
    if rule.file_status and not moved:
        kept, held = tests_kept(rule, view, context.change_added)
        if held and 2 * kept >= held and SEVERITY_RANK[severity] > SEVERITY_RANK[rule.role_floor]:
            severity, moved = rule.role_floor, "other files"
            lowered.append(f"{kept} of its {held} test definitions and assertions reappear in files this change adds (moved)")
        elif held:
            # A test renamed as it moves (TestTimeout -> TestTimeoutHTTP) keeps its body: most of the
            # file's lines, word for word, among the lines the change adds.
            kept, lines = lines_kept(view, context.change_added)
            if lines >= MIN_MOVED_LINES and kept >= MOVED_LINES_SHARE * lines and SEVERITY_RANK[severity] > SEVERITY_RANK[rule.role_floor]:
                severity, moved = rule.role_floor, "other files"
                lowered.append(f"{kept} of its {lines} lines reappear word for word among the lines this change adds "
                               "(moved, its tests renamed)")
    tested = context.change_added.subject_deleted(view.diff) if rule.file_status and not moved else None
    if tested and SEVERITY_RANK[severity] > SEVERITY_RANK["medium"]:
        severity = "medium"  # the tests went with the code they tested: worth a look, not an alarm
        lowered.append(f"the code it tested, {tested}, is deleted or moved away in the same change")
    beside = context.change_added.tests_added_beside(view.diff) if rule.file_status and not moved and not tested else None
    if beside and SEVERITY_RANK[severity] > SEVERITY_RANK["medium"]:
        # A suite rewritten for another runner keeps no test name: new tests in the same tree are worth a look.
        severity = "medium"
        lowered.append(f"the change adds test files in the same test tree ({beside}): check that they cover "
                       "what it tested")
    side = "old" if view.diff.status is FileStatus.DELETED else "new"
    return Finding(rule.id, severity, view.diff.path, side, 0, 0, 0,
                   _message(rule, severity, because, lowered, case_message(rule, view, None)), rule.reference, rule.scope)


def tests_kept(rule: Rule, view: FileView, change_added: ChangeAddedLines) -> tuple[int, int]:
    """For a file deleted whole: how many of its lines that show what the rule is about
    (``deleted_holds``: test definitions, assertions) the change adds back elsewhere, of how many."""
    if rule.deleted_holds is None or view.diff.status is not FileStatus.DELETED:
        return 0, 0
    held = [line.text.strip() for line in view.removed.lines if rule.deleted_holds.search(line.text)]
    return sum(1 for text in held if text in change_added), len(held)


MIN_MOVED_LINES = 5  # lines of some length a deleted file needs before its lines "reappearing" means a move
MOVED_LINES_SHARE = 0.75  # of them, found among the change's added lines: the file moved


# A file's package clause and imports: a file its tests move into has its own, so they need not reappear.
_IMPORT_LINE = lazy_compile(r'^(package\s|import\b|from\s+\S+\s+import\b|#include\b|using\s|(\w+\s+)?"[^"]*"$|\w+\s*=\s*require\()')


def lines_kept(view: FileView, change_added: ChangeAddedLines) -> tuple[int, int]:
    """For a file deleted whole: how many of its distinct lines long enough to mean something
    (``MIN_COPIED_CHARS`` non-blank characters; not ``}`` or ``end``) the change adds back, of how many."""
    lines = {" ".join(line.text.split()) for line in view.removed.lines}
    lines = {text for text in lines if len(text.replace(" ", "")) >= MIN_COPIED_CHARS and not _IMPORT_LINE.match(text)}
    return sum(1 for text in lines if text in change_added), len(lines)


def _role_lowered(rule: Rule, severity: str, context: FileContext, reasons: list[str]) -> str:
    """The severity the file's role leaves (roles.py), recording why in ``reasons``."""
    role = context.role
    if role is None or role.name in rule.for_roles:
        return severity
    lowered = role.lower(severity, rule.role_floor)
    if lowered != severity:
        reasons.append(role.because)
    return lowered


def preexisting(rule: Rule, view: FileView, group: list[Hit]) -> str:
    """Why an added hit is no new risk: a removed line of the same edit already matched (e.g. an
    action bumped from one tag to another was unpinned before too); "" when it is new."""
    assert rule.added is not None
    added_blocks, removed_blocks = view.blocks
    blocks = {added_blocks[hit.index] for hit in group}
    subjects = {_subject(rule, view.added.lines[hit.index].text) for hit in group}
    yaml = (view.diff.path or "").endswith((".yaml", ".yml"))
    for index, block in enumerate(removed_blocks):
        text = view.removed.lines[index].text
        # A line that was a comment did nothing: uncommenting it is new (``// verify=False`` -> ``verify=False``).
        if block in blocks and not written_as_comment(text) and _subject(rule, text) in subjects - {None}:
            return "the edited line already did this before the change"
        if block in blocks and yaml and _subject(rule, _YAML_QUOTED_SCALAR.sub(r"\g<key>\g<value>", text)) in subjects - {None}:
            return f"the edited line already set this, quoted (`{text.strip()}`), before the change"
    return ""


# A YAML setting whose value is a quoted boolean or number (`skip_verify: "true"`): the same setting as unquoted to a
# consumer that reads strings (an environment variable, a flag, a chart template that quotes it again).
_YAML_QUOTED_SCALAR = lazy_compile(r"""^(?P<key>\s*(?:-\s+)?[\w.-]+\s*:\s*)(?P<q>["'])(?P<value>true|false|yes|no|on|off|\d+)(?P=q)(?=\s*(#|$))""",
                                   re.IGNORECASE)


# Rules whose added hit is no new risk when the change removes the same setting or command, towards
# the same hosts, from a file the rule reads: a database config moved from JSON to JavaScript, a
# ``curl -k`` to localhost moved into a shell helper. The line's wording may change with the move.
MOVED_WITHIN_CHANGE = frozenset({"TLS-VERIFY-DISABLED", "REMOTE-SCRIPT-PIPED-TO-SHELL"})
_QUOTES = str.maketrans("", "", "\"'`")


def moved_within_change(rule: Rule, view: FileView, group: list[Hit], context: FileContext) -> str:
    """Why added hits are no new risk: for each of them the change removes at least as many lines,
    in files the rule reads (a test or a document it skips does not count), that do the same thing
    the same way towards the same hosts (``_move_key``) as it adds. "" when any is new."""
    change = context.change_added.change
    if change is None:
        return ""
    wanted = [_move_key(rule, view.added.lines[hit.index].text) for hit in group]
    if None in wanted:
        return ""
    readable = PathFilter([rule])
    added: Counter[tuple] = Counter()
    removed: Counter[tuple] = Counter()
    where: dict[tuple, str] = {}
    for diff in change.files:
        paths = tuple(dict.fromkeys(p for p in (diff.new_path, diff.old_path) if p))
        if diff.binary or not readable.rules_for(paths):
            continue
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind is LineKind.CONTEXT or written_as_comment(line.text):  # a comment turned nothing off
                    continue
                key = _move_key(rule, line.text)
                if key is None:
                    continue
                if line.kind is LineKind.ADDED:
                    added[key] += 1
                else:
                    removed[key] += 1
                    where.setdefault(key, f"{diff.old_path or diff.path}:{line.old_no}")
    if not all(removed[key] >= max(added[key], 1) for key in wanted):
        return ""
    return (f"the change removes as many lines that already did this the same way ({where[wanted[0]]}): "
            "it moved, and was in force before the change")


def _move_key(rule: Rule, text: str) -> tuple[str, str, frozenset[str]] | None:
    """What a hit does, as a move leaves it: the match's first and last words (quotes dropped, case
    folded: ``"rejectUnauthorized": false`` in JSON is ``rejectUnauthorized: false`` in JavaScript;
    ``curl -XGET -s -k`` is ``curl --output /dev/null -k``) and the hosts the line names."""
    assert rule.added is not None
    match = rule.added.search(text)
    if match is None:
        return None
    words = match.group(0).translate(_QUOTES).casefold().split()
    if not words:
        return None
    hosts = frozenset(m.group(1).casefold() for pattern in (_URL_HOST, _BARE_HOST) for m in pattern.finditer(text))
    return (words[0], words[-1], hosts)


def preexisting_in_file(rule: Rule, view: FileView, hits: list[Hit]) -> str:
    """For a file-wide finding: why its added hits are no new risk. Every one repeats what a removed
    line of the same file already did (the same call on the same receiver: a bulk delete rewritten,
    its query edited), and no removed line held the guard the rule looks for (``file_lacks``: a
    dry-run taken out is new). "" when any hit is new."""
    assert rule.added is not None
    if not hits or any(hit.side != "new" for hit in hits) or not view.removed.lines:
        return ""
    removed = view.removed.text
    if rule.file_lacks is not None and rule.file_lacks.search(removed):
        return ""
    before = {_subject_of(rule, match) for match in rule.added.finditer(removed)} - {None}
    # Every added line with a hit (hits may be capped at one: look at all added lines).
    after = {_subject_of(rule, match) for match in rule.added.finditer(view.added.text)}
    if not after or not after <= before:
        return ""
    return "the file already did this before the change (the same call stands on a line it removes)"


def _subject_of(rule: Rule, match: re.Match[str]) -> str | None:
    return match.group(rule.subject_group) if rule.subject_group else " ".join(match.group(0).split())


def _subject(rule: Rule, text: str) -> str | None:
    assert rule.added is not None
    match = rule.added.search(text)
    if match is None:
        return None
    return match.group(rule.subject_group) if rule.subject_group else " ".join(match.group(0).split())


def _texts(lines: list[Line], kind: LineKind) -> str:
    return "\n".join(line.text for line in lines if line.kind is kind)


def _lost_text(view: FileView, hunk_index: int | None = None) -> str:
    """The removed lines (of one hunk, or of the file) whose edit adds nothing back: lost outright."""
    added_blocks, removed_blocks = view.blocks
    rewritten = set(added_blocks)
    removed = view.removed
    return "\n".join(
        line.text for index, line in enumerate(removed.lines)
        if removed_blocks[index] not in rewritten and (hunk_index is None or removed.hunks[index] == hunk_index)
    )


def escalated(rule: Rule, line_texts: list[str], added_text: str, removed_text: str,
              lost_text: Callable[[], str] = lambda: "") -> tuple[str, list[str]]:
    """The rule's severity raised by every escalation whose conditions all hold, and why."""
    severity = rule.severity
    reasons: list[str] = []
    for escalation in rule.escalate:
        if escalation.line is not None and not any(escalation.line.search(text) for text in line_texts):
            continue
        if escalation.added is not None and not escalation.added.search(added_text):
            continue
        if escalation.removed is not None and not escalation.removed.search(removed_text):
            continue
        if escalation.lost is not None and not escalation.lost.search(lost_text()):
            continue
        if SEVERITY_RANK[escalation.severity] > SEVERITY_RANK[rule.severity]:
            severity = max_severity(severity, escalation.severity)
            reasons.append(escalation.because)
    return severity, reasons


def _message(rule: Rule, severity: str, because: list[str], lowered: list[str] | None = None,
             case: str | None = None) -> str:
    message = case or rule.message  # a rule naming several cases says which one this is (case_message)
    if because and not lowered:
        message += f" Raised to {severity}: {'; '.join(because)}."
    elif lowered:
        raised = f" (raised: {'; '.join(because)})" if because else ""
        message += f" Lowered to {severity}: {'; '.join(lowered)}{raised}."
    return message
