"""Large changes built straight from the model (fast), for the "huge diff" tests."""

from __future__ import annotations

from reviewer_app.core.model import Change, FileDiff, FileStatus, Hunk, Line, LineKind, Person


def big_change(files: int = 120, lines_per_file: int = 1250, hunk_size: int = 25) -> Change:
    """``files`` modified Python files of ``lines_per_file`` hunk lines each (~1/3 changed)."""
    diffs: list[FileDiff] = []
    for file_number in range(files):
        hunks: list[Hunk] = []
        old_no = new_no = 1
        for hunk_start in range(0, lines_per_file, hunk_size):
            lines: list[Line] = []
            old_first, new_first = old_no, new_no
            for offset in range(hunk_size):
                n = hunk_start + offset
                body = f"    value_{n} = compute(items[{n}], factor={file_number}) + {n}  # step {n}"
                phase = offset % 6
                if phase in (2,):
                    lines.append(Line(LineKind.REMOVED, old_no, None, body))
                    old_no += 1
                elif phase == 3:
                    lines.append(Line(LineKind.ADDED, None, new_no, body.replace("compute", "compute_fast")))
                    new_no += 1
                else:
                    lines.append(Line(LineKind.CONTEXT, old_no, new_no, body))
                    old_no += 1
                    new_no += 1
            old_count = sum(1 for line in lines if line.kind is not LineKind.ADDED)
            new_count = sum(1 for line in lines if line.kind is not LineKind.REMOVED)
            hunks.append(Hunk(old_first, old_count, new_first, new_count, f"def block_{hunk_start}():", lines))
            old_no += 10
            new_no += 10
        path = f"services/svc_{file_number // 10}/module_{file_number}.py"
        diffs.append(FileDiff(path, path, FileStatus.MODIFIED, hunks=hunks))
    return Change("Big change", "Big change", Person("Dana Dev", "dana@example.com"), None, None, None, diffs)
