"""Which files are generated (lock files, protobuf output...) and so start collapsed.

The caller knows some (``generated_paths``, from .gitattributes or the service catalog); the
others announce themselves with an ``@generated`` marker near their top, the convention of
Phabricator, Meta's tools and many code generators.
"""

from __future__ import annotations

from collections.abc import Iterable

from reviewer_app.core.model import FileDiff, LineKind

MARKER = "@generated"
SCAN_LINES = 5  # the marker sits in the file's header comment


def has_generated_marker(diff: FileDiff) -> bool:
    """True when one of the first added lines (the new file's top) carries ``@generated``."""
    scanned = 0
    for hunk in diff.hunks:
        for line in hunk.lines:
            if line.kind is LineKind.ADDED:
                if MARKER in line.text:
                    return True
                scanned += 1
                if scanned >= SCAN_LINES:
                    return False
    return False


def generated_files(files: list[FileDiff], generated_paths: Iterable[str]) -> set[int]:
    """Indices of the generated files of a change."""
    known = set(generated_paths)
    return {
        index for index, diff in enumerate(files)
        if (diff.new_path in known or diff.old_path in known or has_generated_marker(diff))
    }
