"""The change id: ``sha256:<64 hex>`` over a canonical form of the diff. Approvals bind to it.

Canonical form, version 2 (UTF-8 bytes; raw bytes for lines and headings that were not UTF-8)::

    reviewer-app change-id v2\\n
    for each file, ordered by (path, old path, new path):
        F <JSON array: old_path, new_path, status, old_mode, new_mode, binary, old_blob, new_blob>\\n
        for each hunk, in order:
            @@\\n                 when the hunk header has no heading after its second "@@"
            @@ <heading>\\n       otherwise: the heading exactly as the header carries it
            for each line: its prefix (' ', '-', '+'), its text, \\n
            after a line followed by "\\ No newline at end of file": \\\\\\n

The heading is git's hunk heading (the function or section that encloses the hunk: with git's
default rule, the nearest line above the hunk that starts with a letter, ``_`` or ``$``). Version 1
left it out, so an identical hunk moved from a ``staging:`` block to the ``production:`` block of
the same file kept its id, and an approval of the decoy counted for the real thing. The heading is
read from the patch, never recomputed: the id must come from the patch alone (analyze, submit and
sync have no base). The gate re-derives the diff with git and refuses a patch whose id differs, so
a forged heading does not pass there (docs/change-id.md).

Left out on purpose: the ``@@`` line numbers (a rebase that only moves lines keeps the id), the
``index`` lines of text files (their abbreviation length depends on configuration) and rename
similarity. Kept: every added, removed and context line, every heading, path, status and mode.
Binary files carry no text, so their blob ids stand in for their content (git prints them in full
with ``--full-index``/``--binary``, which format-patch and our git ranges use).
"""

from __future__ import annotations

import json

from reviewer_app.core.digest import sha256
from reviewer_app.core.model import Change, FileDiff, LineKind

CANONICAL_VERSION = b"reviewer-app change-id v2\n"


def _file_key(file: FileDiff) -> tuple[str, str, str]:
    return (file.path, file.old_path or "", file.new_path or "")


_PREFIX = {kind: kind.value for kind in LineKind}


def _hunk_marker(heading: str) -> str:
    """``@@`` then the hunk's heading: where the hunk sits, which line numbers do not say stably.

    A heading the parser could not decode holds surrogate escapes; they are written back as the
    original bytes like the lines' text, so two different non-UTF-8 headings never collide.
    """
    return f"@@ {heading}\n" if heading else "@@\n"


def canonical_bytes(change: Change) -> bytes:
    """The exact bytes hashed into the change id (documented above; tests pin it)."""
    out = [CANONICAL_VERSION]
    prefix = _PREFIX
    for file in sorted(change.files, key=_file_key):
        meta = [
            file.old_path, file.new_path, file.status.value, file.old_mode, file.new_mode, file.binary,
            file.old_blob if file.binary else None, file.new_blob if file.binary else None,
        ]
        out.append(b"F " + json.dumps(meta, ensure_ascii=True, separators=(",", ":")).encode() + b"\n")
        for hunk in file.hunks:
            # One encode per hunk (not per line): this runs over every line of 150k-line diffs.
            parts = [_hunk_marker(hunk.section)]
            for line in hunk.lines:
                if line.raw is not None:
                    out.append("".join(parts).encode("utf-8", "surrogateescape"))
                    out.append(prefix[line.kind].encode() + line.raw + b"\n")
                    parts = []
                else:
                    parts.append(prefix[line.kind] + line.text + "\n")
                if line.no_newline:
                    parts.append("\\\n")
            out.append("".join(parts).encode("utf-8", "surrogateescape"))
    return b"".join(out)


def change_id(change: Change) -> str:
    digest = sha256()
    digest.update(canonical_bytes(change))
    return "sha256:" + digest.hexdigest()
