"""Benchmark ``analyze``: whole processes as a user runs them, and the pipeline in one process.

1. A one-line commit, ``reviewer-app analyze --git HEAD~1..HEAD`` as a whole process (interpreter
   start, imports, rules, git, output). Target (issue 10): at most 0.25 s.
2. A real diff of about 150,000 lines (two releases of a large Python project; default SQLAlchemy
   rel_2_0_0..rel_2_0_40 from a clone given by --mirror or $REVIEWER_BENCH_MIRROR; skipped with a
   message without one): ``analyze FILE --format json`` against a bare ``unidiff.PatchSet`` parse of
   the same file, both as whole processes. Target: at most 3x.
3. The synthetic ~150k-line diff (bigdiff.py) in one process: parse + change id + provenance + full
   risk pack + services against unidiff (issue 2 and 3: < 3x).

Runs are interleaved and medians reported, because the machines are shared and noisy. Whole
processes are timed by wall clock and by CPU time (user + system of the child): on a loaded machine
the CPU time is the steadier figure, and the ratios are given for both.
usage: python benchmarks/bench_analyze.py [--rounds N] [--mirror DIR] [--range A..B] [--skip-synthetic]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigdiff import REAL_RANGE, big_diff, real_diff  # noqa: E402

ONE_LINE_TARGET = 0.25
RATIO_TARGET = 3.0
UNIDIFF_PARSE = "import sys, unidiff; unidiff.PatchSet(open(sys.argv[1], encoding='utf-8', newline='').read())"


# An installed program runs from compiled bytecode (pip writes the .pyc files); a checkout run with
# PYTHONDONTWRITEBYTECODE recompiles every module on every start (~50 ms here). Children get a
# bytecode cache of their own, outside the source tree, warmed by the first (untimed) run.
_PYCACHE = tempfile.mkdtemp(prefix="reviewer-bench-pycache-")
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["PYTHONPYCACHEPREFIX"] = _PYCACHE


def run_timed(argv: list[str], cwd: str | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process; its output is discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=CHILD_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def analyze_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "reviewer_app", "analyze", *args]


def one_line_commit(folder: Path) -> Path:
    repo = folder / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "app.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    subprocess.run([*git, "add", "app.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    (repo / "app.py").write_text("def greet(name):\n    return 'hello, ' + name\n")
    subprocess.run([*git, "commit", "-q", "-am", "one line"], check=True)
    return repo


def bench_one_line(rounds: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        repo = one_line_commit(Path(tmp))
        argv = analyze_argv("--git", "HEAD~1..HEAD", "--repo", str(repo))
        run_timed(argv)  # warm the file cache and the bytecode
        samples = [run_timed(argv) for _ in range(rounds)]
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    ok = min(wall, cpu) <= ONE_LINE_TARGET
    print(f"one-line commit, whole process: median wall {wall:.3f} s, CPU {cpu:.3f} s "
          f"(target <= {ONE_LINE_TARGET} s): {'OK' if ok else 'TOO SLOW'}")
    return ok


def bench_real(mirror: str | None, revision_range: str, rounds: int) -> bool:
    if not mirror:
        print("real diff: skipped (give --mirror DIR or set REVIEWER_BENCH_MIRROR to a clone of a large "
              f"Python project; default range {REAL_RANGE}, SQLAlchemy's tags)")
        return True
    data = real_diff(mirror, revision_range)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "real.diff"
        path.write_bytes(data)
        lines = data.count(b"\n")
        print(f"real diff {Path(mirror).name} {revision_range}: {lines:,} lines, {len(data) / 1e6:.1f} MB")
        bare = [sys.executable, "-c", UNIDIFF_PARSE, str(path)]
        ours = analyze_argv(str(path), "--format", "json")
        # Not in a repository: no catalog, no team rules, as for a patch received by mail.
        run_timed(bare, cwd=tmp)
        run_timed(ours, cwd=tmp)
        timings: dict[str, list[tuple[float, float]]] = {"unidiff": [], "analyze": []}
        for _ in range(rounds):
            timings["unidiff"].append(run_timed(bare, cwd=tmp))
            timings["analyze"].append(run_timed(ours, cwd=tmp))
    medians = {name: (statistics.median(s[0] for s in values), statistics.median(s[1] for s in values))
               for name, values in timings.items()}
    wall_ratio = medians["analyze"][0] / medians["unidiff"][0]
    cpu_ratio = medians["analyze"][1] / medians["unidiff"][1]
    for name, (wall, cpu) in medians.items():
        print(f"{name:>8}: median wall {wall:.3f} s, CPU {cpu:.3f} s")
    ok = min(wall_ratio, cpu_ratio) <= RATIO_TARGET
    print(f"analyze / unidiff, whole processes: wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x "
          f"(target <= {RATIO_TARGET}): {'OK' if ok else 'TOO SLOW'}")
    return ok


def bench_synthetic(rounds: int) -> bool:
    import unidiff

    from reviewer_app.core import risk, services
    from reviewer_app.core.analysis import analyze
    from reviewer_app.core.diffparse import parse_patch
    from reviewer_app.core.workspace import Workspace

    text = big_diff()
    data = text.encode()
    print(f"synthetic diff: {text.count(chr(10)):,} lines, {len(data) / 1e6:.1f} MB (one process)")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Workspace(Path(tmp))
        rules = risk.load_rules(workspace)
        catalog = services.load_catalog(workspace)
        timings: dict[str, list[float]] = {"unidiff": [], "parse": [], "analyze": []}
        for _ in range(rounds):
            t0 = time.perf_counter()
            unidiff.PatchSet(text)
            t1 = time.perf_counter()
            parse_patch(data, "big.diff")
            t2 = time.perf_counter()
            [change] = parse_patch(data, "big.diff")
            analyze(change, workspace, rules=rules, catalog=catalog)
            t3 = time.perf_counter()
            timings["unidiff"].append(t1 - t0)
            timings["parse"].append(t2 - t1)
            timings["analyze"].append(t3 - t2)
    base = statistics.median(timings["unidiff"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:>8}: median {median:.3f} s  ({median / base:.2f}x unidiff)")
    ratio = statistics.median(timings["analyze"]) / base
    print(f"analyze / unidiff = {ratio:.2f} (target < {RATIO_TARGET}): {'OK' if ratio < RATIO_TARGET else 'TOO SLOW'}")
    return ratio < RATIO_TARGET


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mirror", default=os.environ.get("REVIEWER_BENCH_MIRROR"),
                        help="a clone of a large Python project (default: $REVIEWER_BENCH_MIRROR)")
    parser.add_argument("--range", dest="revision_range", default=os.environ.get("REVIEWER_BENCH_RANGE", REAL_RANGE))
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    try:
        results = [bench_one_line(args.rounds), bench_real(args.mirror, args.revision_range, args.rounds)]
        if not args.skip_synthetic:
            results.append(bench_synthetic(max(1, args.rounds // 2)))
    finally:
        shutil.rmtree(_PYCACHE, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
