"""Benchmark: `analyze` of a ~150k-line, 6 MB diff against a bare unidiff parse, side by side.

Target (issue 2 and 3): parse + change id + provenance + full risk pack + services < 3x unidiff.
Runs are interleaved and the median of each is reported, because the machines are shared and noisy.
usage: python benchmarks/bench_analyze.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import unidiff  # noqa: E402

from bigdiff import big_diff  # noqa: E402
from reviewer_app.core import risk, services  # noqa: E402
from reviewer_app.core.analysis import analyze  # noqa: E402
from reviewer_app.core.diffparse import parse_patch  # noqa: E402
from reviewer_app.core.workspace import Workspace  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    text = big_diff()
    data = text.encode()
    lines = text.count("\n")
    print(f"diff: {lines:,} lines, {len(data) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Workspace(Path(tmp))
        rules = risk.load_rules(workspace)
        catalog = services.load_catalog(workspace)
        timings: dict[str, list[float]] = {"unidiff": [], "parse": [], "analyze": []}
        for _ in range(args.rounds):
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
    print(f"analyze / unidiff = {ratio:.2f} (target < 3.0): {'OK' if ratio < 3 else 'TOO SLOW'}")
    return 0 if ratio < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
