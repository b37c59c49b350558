"""One ``git grep`` over the base tree for every searched name at once, cached by tree id.

``git grep -E -w -n --null -I -f - <tree>`` with the pattern ``(name1|name2|...)`` (names escaped)
on stdin reads blobs straight from the object store (no checkout, no work-tree state). The hits are word matches only: ``parser.py`` narrows them
to real uses. The cache key is the tree id and the names, so a GUI re-analysing the same change,
or a queue of changes on one base, greps once.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.records import FrozenRecord

_CACHE: OrderedDict[tuple[str, str, tuple[str, ...]], list["Hit"]] = OrderedDict()
_CACHE_SIZE = 32


class Hit(FrozenRecord):
    """One line ``git grep`` found."""

    __slots__ = FIELDS = ("path", "line", "text")

    def __init__(self, path: str, line: int, text: str) -> None:
        self.path = path
        self.line = line
        self.text = text


_ERE_SPECIAL = frozenset("\\.[]()*+?{}|^$")
NAMES_PER_PATTERN = 4000  # one alternation compiles and matches fast; a few thousand names per grep


def ere_escape(text: str) -> str:
    return "".join("\\" + char if char in _ERE_SPECIAL else char for char in text)


def grep(repo: Path, tree: str, names: list[str]) -> list[Hit]:
    """Every line of ``tree`` holding one of ``names`` as a whole word."""
    wanted = tuple(sorted({n for n in names if n and "\n" not in n}))
    if not wanted:
        return []
    key = (str(repo), tree, wanted)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    hits: list[Hit] = []
    for start in range(0, len(wanted), NAMES_PER_PATTERN):
        chunk = wanted[start:start + NAMES_PER_PATTERN]
        # One extended regex, an alternation of the escaped names, read from stdin (no argument
        # length limit). Not -F with one -e per name: git tries fixed patterns one after the
        # other on every line, 130 times slower with 662 names (24 s against 0.18 s here).
        pattern = ("(" + "|".join(ere_escape(n) for n in chunk) + ")\n").encode("utf-8")
        proc = run_git(repo, "grep", "--no-color", "-I", "-E", "-w", "-n", "--null", "--full-name", "-f", "-",
                       tree, "--", input_bytes=pattern, check=False)
        if proc.returncode not in (0, 1):  # 1: nothing found
            from reviewer_app.errors import UserError

            message = proc.stderr.decode("utf-8", "replace").strip()
            raise UserError(f"git grep failed in {repo}: {message}")
        hits += _parse(proc.stdout, f"{tree}:".encode())
    _CACHE[key] = hits
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return hits


_BLOBS: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()


def blob_ids(repo: Path, tree: str) -> dict[str, str]:
    """Path -> blob id for every file of ``tree`` (one ``git ls-tree``, cached by tree id)."""
    key = (str(repo), tree)
    if key in _BLOBS:
        _BLOBS.move_to_end(key)
        return _BLOBS[key]
    out = run_git(repo, "ls-tree", "-r", "-z", "--full-tree", tree).stdout
    found: dict[str, str] = {}
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            found[path.decode("utf-8", "replace")] = parts[2].decode()
    _BLOBS[key] = found
    if len(_BLOBS) > 4:
        _BLOBS.popitem(last=False)
    return found


def _parse(out: bytes, prefix: bytes) -> list[Hit]:
    hits: list[Hit] = []
    for record in out.split(b"\n"):
        parts = record.split(b"\0", 2)
        if len(parts) != 3:
            continue
        path, number, text = parts
        if path.startswith(prefix):
            path = path[len(prefix):]
        try:
            line = int(number)
        except ValueError:
            continue
        hits.append(Hit(path.decode("utf-8", "replace"), line, text.decode("utf-8", "replace")))
    return hits
