"""Running the real ``reviewer-app`` command in a subprocess, as users and CI do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_cli(*args: str | Path, cwd: Path | None = None, input: bytes | None = None,
            db: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "reviewer_app"] + ([f"--db={db}"] if db else []) + [str(a) for a in args]
    proc = subprocess.run(cmd, input=input, capture_output=True, cwd=cwd, timeout=timeout)
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    )
