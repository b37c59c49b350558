"""Git plumbing over the repository's object store, in as few processes as possible.

Sync never touches the user's work tree, index or branches: blobs, trees and commits are written
with ``hash-object``/``mktree``/``commit-tree`` and only refs under our own namespaces move. Many
small objects are read with one ``cat-file --batch`` and written with one ``hash-object
--stdin-paths``: spawning one git per object is what makes ledgers like this slow.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.gitcmd import run_git
from reviewer_app.errors import UserError

# Ledger commits carry a fixed identity: who wrote an event is in its signature, not in the commit,
# and a teammate without user.email configured must still be able to publish.
_COMMITTER = ["-c", "user.name=reviewer-app", "-c", "user.email=reviewer-app@invalid"]


def resolve_commit(repo: Path, ref: str) -> str | None:
    """The commit a ref points to, or None when it does not exist."""
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


def list_refs(repo: Path, prefix: str) -> dict[str, str]:
    """Every ref under ``prefix`` with the commit it points to."""
    out = run_git(repo, "for-each-ref", "--format=%(refname) %(objectname)", prefix).stdout.decode()
    refs: dict[str, str] = {}
    for line in out.splitlines():
        name, _, sha = line.partition(" ")
        if name and sha:
            refs[name] = sha
    return refs


def list_exact_refs(repo: Path, names: list[str]) -> dict[str, str]:
    """The commit of each of these full ref names that exists (a few thousand names per process)."""
    refs: dict[str, str] = {}
    for start in range(0, len(names), 1000):
        chunk = names[start:start + 1000]
        out = run_git(repo, "for-each-ref", "--format=%(refname) %(objectname)", *chunk).stdout.decode()
        for line in out.splitlines():
            name, _, sha = line.partition(" ")
            if name in chunk and sha:
                refs[name] = sha
    return refs


def list_tree(repo: Path, commit: str) -> dict[str, str]:
    """``{path: blob id}`` of every file in a commit's tree, in one process."""
    return list_tree_and_folders(repo, commit)[0]


def list_tree_and_folders(repo: Path, commit: str) -> tuple[dict[str, str], dict[str, str]]:
    """``({path: blob id}, {folder: tree id})`` of a commit, in one ``ls-tree -r -t``.

    The folder ids let :func:`build_tree` reuse every folder a new commit does not change.
    """
    out = run_git(repo, "ls-tree", "-r", "-t", "-z", "--full-tree", commit).stdout
    files: dict[str, str] = {}
    folders: dict[str, str] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        parts = meta.split()
        if len(parts) != 3:
            continue
        name = path.decode("utf-8", "replace")
        if parts[1] == b"blob":
            files[name] = parts[2].decode()
        elif parts[1] == b"tree":
            folders[name] = parts[2].decode()
    return files, folders


def read_blobs(repo: Path, blob_ids: list[str]) -> dict[str, bytes]:
    """The contents of many blobs through one ``cat-file --batch``; missing ones are left out."""
    wanted = list(dict.fromkeys(blob_ids))
    if not wanted:
        return {}
    out = run_git(repo, "cat-file", "--batch", input_bytes=("\n".join(wanted) + "\n").encode()).stdout
    contents: dict[str, bytes] = {}
    pos = 0
    for requested in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        pos = header_end + 1
        if len(header) == 2 and header[1] == b"missing":
            continue
        size = int(header[2])
        contents[requested] = out[pos: pos + size]
        pos += size + 1  # the content is followed by one newline
    return contents


# Below this many objects, loose objects from hash-object; above, one pack from fast-import
# (10,000 blobs: ~7x faster, and no pile of loose files). Small syncs must not leave a pack each.
_PACK_THRESHOLD = 200


def write_blobs(repo: Path, contents: list[bytes]) -> list[str]:
    """Store many blobs in one git process; returns their ids in order."""
    if not contents:
        return []
    ids = _fast_import_blobs(repo, contents) if len(contents) >= _PACK_THRESHOLD else _hash_object_blobs(repo, contents)
    if len(ids) != len(contents):
        raise UserError(f"git wrote {len(ids)} of {len(contents)} objects in {repo}")
    return ids


def _hash_object_blobs(repo: Path, contents: list[bytes]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="reviewer-app-blobs-") as tmp:
        paths = []
        for index, data in enumerate(contents):
            path = Path(tmp) / f"{index}"
            path.write_bytes(data)
            paths.append(str(path))
        out = run_git(
            repo, "hash-object", "-w", "--no-filters", "--stdin-paths", input_bytes=("\n".join(paths) + "\n").encode()
        ).stdout.decode()
    return out.split()


def _fast_import_blobs(repo: Path, contents: list[bytes]) -> list[str]:
    """Blobs only (no commit, no ref): fast-import writes them as one pack and reports their ids by mark."""
    stream = bytearray()
    for mark, data in enumerate(contents, start=1):
        stream += b"blob\nmark :%d\ndata %d\n" % (mark, len(data))
        stream += data
        stream += b"\n"
    with tempfile.TemporaryDirectory(prefix="reviewer-app-marks-") as tmp:
        marks_file = Path(tmp) / "marks"
        run_git(repo, "fast-import", "--quiet", "--done", f"--export-marks={marks_file}", input_bytes=bytes(stream + b"done\n"))
        marks = dict(line.split(" ", 1) for line in marks_file.read_text(encoding="ascii").splitlines() if line)
    return [marks[f":{mark}"].strip() for mark in range(1, len(contents) + 1)]


def build_tree(repo: Path, files: dict[str, str], known_folders: dict[str, str] | None = None,
               changed: set[str] | None = None) -> str:
    """Write the nested trees for ``{path: blob id}`` and return the root tree id.

    One ``mktree --batch`` per depth level, deepest first. With ``known_folders`` (from
    :func:`list_tree_and_folders` of the parent commit) and ``changed`` (the paths added or
    replaced), only the folders holding a changed path are written again: adding one event to a
    ledger of 10,000 rewrites three small trees.
    """
    blobs: dict[str, dict[str, str]] = defaultdict(dict)  # folder -> file name -> blob id
    subfolders: dict[str, set[str]] = defaultdict(set)  # folder -> its direct subfolders
    blobs[""] = {}
    for path, blob in files.items():
        folder, _, name = path.rpartition("/")
        blobs[folder][name] = blob
        while folder:
            parent = folder.rpartition("/")[0]
            subfolders[parent].add(folder)
            blobs.setdefault(parent, {})
            folder = parent
    if known_folders is not None and changed is not None:
        dirty = {""}
        for path in changed:
            folder = path.rpartition("/")[0]
            while folder:
                dirty.add(folder)
                folder = folder.rpartition("/")[0]
        written = {f: oid for f, oid in known_folders.items() if f not in dirty and f in blobs}
        to_write = [f for f in blobs if f not in written]
    else:
        written, to_write = {}, list(blobs)
    by_depth: dict[int, list[str]] = defaultdict(list)
    for folder in to_write:
        by_depth[folder.count("/") + 1 if folder else 0].append(folder)
    for depth in sorted(by_depth, reverse=True):
        folders = sorted(by_depth[depth])
        batch = []
        for folder in folders:
            entries = {name: f"100644 blob {oid}" for name, oid in blobs[folder].items()}
            for sub in subfolders[folder]:
                entries[sub.rpartition("/")[2]] = f"040000 tree {written[sub]}"
            batch.append("".join(f"{entry}\t{name}\n" for name, entry in sorted(entries.items())))
        out = run_git(repo, "mktree", "--batch", input_bytes="\n".join(batch).encode()).stdout.decode().split()
        if len(out) != len(folders):
            raise UserError(f"git mktree wrote {len(out)} of {len(folders)} trees in {repo}")
        written.update(zip(folders, out))
    return written[""]


def commit_tree(repo: Path, tree: str, parents: list[str], message: str, *, date: str | None = None) -> str:
    """A commit of ``tree``; ``date`` (git's format) pins both dates, so two machines writing the same
    content write the same commit (the layout marker), and their pushes agree."""
    args = [*_COMMITTER, "commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
    return run_git(repo, *args, "-m", message, env=env).stdout.decode().strip()


def tree_of(repo: Path, commit: str) -> str:
    return run_git(repo, "rev-parse", f"{commit}^{{tree}}").stdout.decode().strip()


def update_ref(repo: Path, ref: str, new: str, expected_old: str | None, reason: str) -> bool:
    """Move ``ref`` to ``new`` only if it still points to ``expected_old`` (None: must not exist)."""
    proc = run_git(repo, "update-ref", "-m", reason, ref, new, expected_old or "", check=False)
    return proc.returncode == 0


def set_ref(repo: Path, ref: str, new: str, reason: str) -> None:
    """Point one of our own refs at ``new`` whatever it held (only for refs this machine alone writes)."""
    run_git(repo, "update-ref", "-m", reason, ref, new)


def removed_or_modified_paths(repo: Path, older: str, newer: str) -> list[str]:
    """Files of ``older`` that ``newer`` deletes or changes (one ``diff-tree``)."""
    out = run_git(repo, "diff-tree", "-r", "-z", "--no-renames", "--diff-filter=DM", "--name-only", older, newer).stdout
    return [p.decode("utf-8", "replace") for p in out.split(b"\0") if p]


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    """True when ``newer`` is a fast-forward of ``older``; False when not, or when ``older`` is gone."""
    proc = run_git(repo, "merge-base", "--is-ancestor", older, newer, check=False)
    return proc.returncode == 0


@dataclass
class CommitChanges:
    """What one ledger commit did to its tree, against each of its parents (the root: against nothing)."""

    commit: str
    parents: list[str]
    added: list[tuple[str, str]] = field(default_factory=list)  # (path, blob id) added or written anew
    removed: list[tuple[str, str]] = field(default_factory=list)  # (path, blob id) deleted or overwritten


_NULL_OIDS = {"0" * 40, "0" * 64}


def history_changes(repo: Path, tip: str, exclude: str | None = None) -> list[CommitChanges]:
    """Every commit reachable from ``tip`` (and not from ``exclude``) with its raw tree changes, in one ``git log``.

    Reading each commit's diff rather than each commit's tree costs one process per ref, not one
    per commit, and only as many lines as the history added. A merge is diffed against each of its
    parents (``--diff-merges=separate``), so a file one parent holds and the merge drops shows as
    removed. Paths with unusual bytes are quoted by git (``core.quotePath``) and never match a
    ledger path, so one line is always one entry.
    """
    args = ["log", "--no-abbrev", "--raw", "-r", "--no-renames", "--root", "--diff-merges=separate",
            "--no-textconv", "--no-ext-diff", "--format=commit %H %P", tip]
    if exclude:
        args.append(f"^{exclude}")
    out = run_git(repo, "-c", "core.quotePath=true", *args, "--").stdout.decode("utf-8", "replace")
    commits: dict[str, CommitChanges] = {}
    current: CommitChanges | None = None
    for line in out.splitlines():
        if line.startswith("commit "):
            ids = line[len("commit "):].split()
            current = commits.get(ids[0])
            if current is None:
                current = commits[ids[0]] = CommitChanges(ids[0], ids[1:])
        elif line.startswith(":") and current is not None:
            meta, _, path = line.partition("\t")
            fields = meta[1:].split()
            if len(fields) != 5:
                continue
            old_mode, new_mode, old_blob, new_blob, status = fields
            if status[0] != "A" and old_blob not in _NULL_OIDS and old_mode != "160000":
                current.removed.append((path, old_blob))
            if status[0] != "D" and new_blob not in _NULL_OIDS and new_mode != "160000":
                current.added.append((path, new_blob))
    return list(commits.values())
