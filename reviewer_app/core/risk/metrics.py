"""Change metrics from the diff alone (Kamei et al. 2013: size and diffusion)."""

from __future__ import annotations

import math
from reviewer_app.core.model import Change, FileStatus
from reviewer_app.core.records import FrozenRecord

# SmartBear/Cisco: defect detection falls off beyond 200-400 changed lines per review.
REVIEWABLE_LINES = 400
COMFORTABLE_LINES = 200
# Diffusion: more files and areas lower the share of useful review comments (Bosu et al. 2015).
WIDE_FILES = 10
WIDE_AREAS = 4


class ChangeMetrics(FrozenRecord):
    """A change's size and spread over files and folders, as the change model reads them."""

    FIELDS = ("added", "removed", "files", "directories", "areas", "entropy", "deleted_paths")

    def __init__(self, added: int, removed: int, files: int, directories: int, areas: int, entropy: float,
                 deleted_paths: tuple[str, ...]) -> None:
        self.added = added
        self.removed = removed
        self.files = files
        self.directories = directories
        self.areas = areas  # top-level folders (Kamei's "subsystems"); files at the root count as one area
        self.entropy = entropy  # how evenly the changed lines spread over the files, 0 (one file) .. 1 (even)
        self.deleted_paths = deleted_paths

    @property
    def size(self) -> int:
        return self.added + self.removed

    @property
    def too_big(self) -> bool:
        return self.size > REVIEWABLE_LINES

    @property
    def wide(self) -> bool:
        return self.files > WIDE_FILES or self.areas >= WIDE_AREAS

    @classmethod
    def of(cls, change: Change) -> ChangeMetrics:
        per_file = [f.added + f.removed for f in change.files]
        paths = [f.path for f in change.files]
        directories = {p.rsplit("/", 1)[0] if "/" in p else "" for p in paths}
        areas = {p.split("/", 1)[0] if "/" in p else "" for p in paths}
        deleted = tuple(sorted(f.path for f in change.files if f.status is FileStatus.DELETED))
        return cls(
            added=change.added, removed=change.removed, files=len(paths), directories=len(directories),
            areas=len(areas), entropy=normalized_entropy(per_file), deleted_paths=deleted,
        )


def normalized_entropy(weights: list[int]) -> float:
    """Shannon entropy of the changed-line distribution over files, divided by its maximum."""
    total = sum(weights)
    if total == 0 or len(weights) < 2:
        return 0.0
    entropy = -sum(w / total * math.log2(w / total) for w in weights if w)
    return round(entropy / math.log2(len(weights)), 3)
