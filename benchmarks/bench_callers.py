"""Benchmark the code-level blast radius (issue 14): callers in a repository of 10,000 files.

A generated repository of 10,000 files, packed as a clone is: 100 services of Python modules plus a
shared library whose module defines 40 functions. The change touches 20 of the library's symbols
(5 removed, 5 renamed, 5 with a parameter added without a default, 5 with a new body). Two shapes:

* typical: one service module in 20 imports two library functions and calls them; the others call
  their own service's code and hold local functions of the same names as the library's (grep hits the
  parser must reject);
* dense: every module imports and calls two library functions (about 15,000 uses: a worst case).

``find_callers`` is timed cold (caches emptied: one git grep, one ls-tree, the hit files read with
one cat-file and parsed) and warm (grep answer cached by tree id, parsed files by blob id).
Target: under 1 s cold for the typical shape.
usage: python benchmarks/bench_callers.py [--files N] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewer_app.core import services  # noqa: E402
from reviewer_app.core.callers import find_callers, search, uses  # noqa: E402
from reviewer_app.core.ingest import load_git_range  # noqa: E402
from reviewer_app.core.workspace import Workspace  # noqa: E402

TARGET_SECONDS = 1.0
LIBRARY_FUNCTIONS = 40


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def _library(change: bool) -> str:
    parts = []
    for n in range(LIBRARY_FUNCTIONS):
        name, params, body = f"helper_{n}", "value, factor", "return value * factor"
        if change and n < 5:
            continue  # removed
        if change and n < 10:
            name = f"renamed_helper_{n}"
        elif change and n < 15:
            params = "value, factor, currency"
        elif change and n < 20:
            body = "return value * factor + 1"
        parts.append(f"def {name}({params}):\n    {body}\n")
    return "\n\n".join(parts)


def build(root: Path, files: int, dense: bool) -> Path:
    repo = root / ("dense" if dense else "typical")
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    service_count = 100
    modules = files - 2  # plus services.toml and the library
    toml = []
    for s in range(service_count):
        toml.append(f'[services.svc{s}]\npaths = ["services/svc{s}/"]\ntier = {s % 3}\n')
        folder = repo / "services" / f"svc{s}"
        folder.mkdir(parents=True)
        for m in range(modules // service_count + (1 if s < modules % service_count else 0)):
            a, b = (s * 7 + m) % LIBRARY_FUNCTIONS, (s * 13 + m * 3) % LIBRARY_FUNCTIONS
            if dense or m % 20 == 0:
                text = (f"from libs.shared.helpers import helper_{a}, helper_{b}\n\n\n"
                        f"def run_{m}(x):\n    return helper_{a}(x, 2) + helper_{b}(x, 3)\n")
            else:  # a local function named like a library one: a grep hit, not a use
                text = (f"from services.svc{s} import mod0\n\n\ndef helper_{a}(x):\n    return x\n\n\n"
                        f"def run_{m}(x):\n    return helper_{a}(mod0.run_0(x))\n")
            (folder / f"mod{m}.py").write_text(text)
    (repo / ".reviewer").mkdir()
    (repo / ".reviewer" / "services.toml").write_text("\n".join(toml))
    (repo / "libs" / "shared").mkdir(parents=True)
    (repo / "libs" / "shared" / "helpers.py").write_text(_library(change=False))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / "libs" / "shared" / "helpers.py").write_text(_library(change=True))
    _git(repo, "commit", "-q", "-am", "touch 20 symbols")
    _git(repo, "repack", "-a", "-d", "-q")  # a clone's objects are packed
    return repo


def measure(repo: Path, rounds: int) -> tuple[list[float], list[float], str]:
    workspace = Workspace(repo)
    catalog = services.load_catalog(workspace)
    change = load_git_range(repo, "HEAD~1..HEAD")
    cold, warm = [], []
    report = None
    for _ in range(rounds):
        search._CACHE.clear()
        search._BLOBS.clear()
        uses._INDEXES.clear()
        start = time.perf_counter()
        report = find_callers(change, workspace, catalog)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        find_callers(change, workspace, catalog)
        warm.append(time.perf_counter() - start)
    assert report is not None
    count = subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True, text=True,
                           check=True).stdout.count("\n")
    found = sum(len(s.uses) for s in report.symbols)
    summary = (f"{count} files, {len(report.symbols)} changed symbols, {found} uses, "
               f"{len(report.findings)} findings")
    return cold, warm, summary


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    status = 0
    with tempfile.TemporaryDirectory(prefix="bench-callers-") as tmp:
        for dense in (False, True):
            repo = build(Path(tmp), args.files, dense)
            cold, warm, summary = measure(repo, args.rounds)
            shape = "dense" if dense else "typical"
            print(f"{shape}: {summary}")
            print(f"  cold: median {statistics.median(cold):.3f} s, best {min(cold):.3f} s"
                  + (f" (target < {TARGET_SECONDS:.0f} s)" if not dense else ""))
            print(f"  warm: median {statistics.median(warm):.3f} s")
            if not dense and statistics.median(cold) >= TARGET_SECONDS:
                status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
