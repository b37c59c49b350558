"""Reading many catalog files at once.

A large monorepo has thousands of ``catalog-info.yaml`` files. From the work tree they are plain file
reads; from a revision (what the gate does) one ``git cat-file`` per file would cost a process each,
so blobs are read through a single ``git cat-file --batch``. They are named by object id, found with
one ``git ls-tree``: naming them ``rev:path`` makes git walk the tree again for every file, which
measured ~10x slower on 3,000 files.
"""

from __future__ import annotations

from reviewer_app.core.gitcmd import run_git
from reviewer_app.core.workspace import Workspace


def read_texts(workspace: Workspace, paths: list[str]) -> dict[str, str | None]:
    """path -> text (None when missing); UTF-8 with replacement, as ``Workspace.read_text``."""
    if workspace.root is None or workspace.revision is None or len(paths) < 2:
        return {path: workspace.read_text(path) for path in paths}
    blob_ids = _blob_ids(workspace, set(paths))
    wanted = [path for path in paths if path in blob_ids]
    texts: dict[str, str | None] = {path: None for path in paths}
    if not wanted:
        return texts
    request = "".join(f"{blob_ids[path]}\n" for path in wanted).encode("ascii")
    output = run_git(workspace.root, "cat-file", "--batch", "--buffer", input_bytes=request).stdout
    position = 0
    for path in wanted:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].split(b" ")
        position = header_end + 1
        if len(header) != 3:  # "<id> missing": the object store is damaged; treat as absent
            continue
        size = int(header[2])
        texts[path] = output[position:position + size].decode("utf-8", "replace")
        position += size + 1  # the content is followed by a newline
    return texts


def _blob_ids(workspace: Workspace, paths: set[str]) -> dict[str, str]:
    """path -> blob id for the wanted paths that are files in the revision."""
    assert workspace.root is not None and workspace.revision is not None
    listing = run_git(workspace.root, "ls-tree", "-r", "-z", "--full-tree", workspace.revision).stdout
    found: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        meta, tab, raw_path = entry.partition(b"\t")
        if not tab:
            continue
        path = raw_path.decode("utf-8", "replace")
        mode_type_id = meta.split(b" ")
        if path in paths and len(mode_type_id) == 3 and mode_type_id[1] == b"blob":
            found[path] = mode_type_id[2].decode("ascii")
    return found
