"""The change id: ``sha256:<64 hex>`` over a canonical form of the diff. Approvals bind to it.

Canonical form, version 1 (UTF-8 bytes; raw bytes for lines that were not UTF-8)::

    reviewer-app change-id v1\\n
    for each file, ordered by (path, old path, new path):
        F <JSON array: old_path, new_path, status, old_mode, new_mode, binary, old_blob, new_blob>\\n
        for each hunk, in order:
            @@\\n
            for each line: its prefix (' ', '-', '+'), its text, \\n
            after a line followed by "\\ No newline at end of file": \\\\\\n

Left out on purpose: the ``@@`` line numbers (a rebase that only moves lines keeps the id), the
``index`` lines of text files (their abbreviation length depends on configuration) and rename
similarity. Kept: every added, removed and context line, every path, status and mode. Binary files
carry no text, so their blob ids stand in for their content (git prints them in full with
``--full-index``/``--binary``, which format-patch and our git ranges use).
"""

from __future__ import annotations

import hashlib
import json

from reviewer_app.core.model import Change, FileDiff, LineKind

CANONICAL_VERSION = b"reviewer-app change-id v1\n"


def _file_key(file: FileDiff) -> tuple[str, str, str]:
    return (file.path, file.old_path or "", file.new_path or "")


_PREFIX = {kind: kind.value for kind in LineKind}


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
            parts = ["@@\n"]
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
    digest = hashlib.sha256()
    digest.update(canonical_bytes(change))
    return "sha256:" + digest.hexdigest()
