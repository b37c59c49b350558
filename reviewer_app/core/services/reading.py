"""Reading many catalog files at once.

A large monorepo has thousands of ``catalog-info.yaml`` files. From the work tree they are plain file
reads; from a revision (what the gate does) one ``git cat-file`` per file would cost a process each,
so they are read through a single ``git cat-file --batch``.
"""

from __future__ import annotations

from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.workspace import Workspace


def read_texts(workspace: Workspace, paths: list[str]) -> dict[str, str | None]:
    """path -> text (None when missing); UTF-8 with replacement, as ``Workspace.read_text``."""
    if workspace.root is None or workspace.revision is None or len(paths) < 2:
        return {path: workspace.read_text(path) for path in paths}
    # Paths with a newline cannot be named on a --batch line; they are read one by one.
    batchable = [path for path in paths if "\n" not in path]
    request = "".join(f"{workspace.revision}:{path}\n" for path in batchable).encode("utf-8")
    output = run_git(workspace.root, "cat-file", "--batch", input_bytes=request).stdout
    texts: dict[str, str | None] = {}
    position = 0
    for path in batchable:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].split(b" ")
        position = header_end + 1
        if len(header) != 3:  # "<name> missing" or "<name> ambiguous": no content follows
            texts[path] = None
            continue
        size = int(header[2])
        content = output[position:position + size]
        texts[path] = content.decode("utf-8", "replace") if header[1] == b"blob" else None
        position += size + 1  # the content is followed by a newline
    for path in paths:
        if path not in texts:
            texts[path] = workspace.read_text(path)
    return texts
