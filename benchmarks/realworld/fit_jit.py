"""Fit the change model's coefficients (reviewer_app/core/risk/jit.py) on the real-world corpus.

    python benchmarks/realworld/fit_jit.py --mirrors DIR --cache DIR

Cases: reverted and fix-inducing commits (reverted.csv); controls: date-matched unlabelled commits
(controls.csv). Features are computed exactly as the product does (ingest, ChangeMetrics, history_of
with the history cache under --cache). L2-regularised logistic regression (Newton/IRLS) on
standardised features. Cross-validated by repository: leave one repository out (fit on the
others, AUC on the one left out, against its controls and against its recent ordinary range),
and a fixed split (fit on the first five repositories of repos.toml, measure on the other four).
Prints the constants to paste into jit.py, fitted on all repositories.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from common import CORPUS, HERE, load_repos, mirror_path, read_csv

sys.path.insert(0, str(HERE.parent.parent))

from evaluate import auc  # noqa: E402

L2 = 1.0  # ridge penalty on standardised coefficients: the corpus is small and features correlate


def extract(mirrors: Path, cache: Path, rows: list[dict[str, str]]) -> dict[str, dict]:
    os.environ.setdefault("REVIEWER_APP_CACHE_DIR", str(cache / "history"))
    from reviewer_app.core.ingest import load_git_range
    from reviewer_app.core.risk.history import history_of
    from reviewer_app.core.risk.metrics import ChangeMetrics
    from reviewer_app.errors import UserError

    path = cache / "jit-features.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    for index, row in enumerate(rows):
        key = f"{row['repo']}@{row['commit']}"
        if key in known:
            continue
        mirror = mirror_path(mirrors, row["repo"])
        try:
            change = load_git_range(mirror, f"{row['commit']}^..{row['commit']}")
        except UserError:
            known[key] = None
            continue
        history = history_of(mirror, change)
        known[key] = {"metrics": ChangeMetrics.of(change), "history": history}
        known[key] = {"metrics": {k: getattr(known[key]["metrics"], k) for k in ("added", "removed", "files", "directories", "areas", "entropy")},
                      "history": history.to_dict() if history else None}
        if index % 200 == 0:
            print(f"... {index}/{len(rows)}", file=sys.stderr)
            path.write_text(json.dumps(known))
    path.write_text(json.dumps(known))
    return known


def vector(record: dict, with_history: bool) -> dict[str, float]:
    from reviewer_app.core.risk import jit
    from reviewer_app.core.risk.history import History
    from reviewer_app.core.risk.metrics import ChangeMetrics

    metrics = ChangeMetrics(deleted_paths=(), **record["metrics"])
    fields = set(History.__dataclass_fields__)
    history = (History(**{k: v for k, v in record["history"].items() if k in fields})
               if with_history and record["history"] else None)
    values = jit.features(metrics, history)
    names = list(jit.FULL) if with_history else list(jit.SIZE_ONLY)
    return {n: values.get(n, 0.0) for n in names}


def fit(xs: list[list[float]], ys: list[int]) -> tuple[list[float], list[float], list[float]]:
    """Newton's method on the penalised log-likelihood; returns (weights incl. intercept, means, sds)."""
    k = len(xs[0])
    means = [sum(x[j] for x in xs) / len(xs) for j in range(k)]
    sds = [math.sqrt(sum((x[j] - means[j]) ** 2 for x in xs) / len(xs)) or 1.0 for j in range(k)]
    zs = [[1.0] + [(x[j] - means[j]) / sds[j] for j in range(k)] for x in xs]
    w = [0.0] * (k + 1)
    for _ in range(30):
        grad = [0.0] * (k + 1)
        hess = [[0.0] * (k + 1) for _ in range(k + 1)]
        for z, y in zip(zs, ys):
            p = 1 / (1 + math.exp(-max(-30, min(30, sum(a * b for a, b in zip(w, z))))))
            for a in range(k + 1):
                grad[a] += (y - p) * z[a]
                for b in range(k + 1):
                    hess[a][b] += p * (1 - p) * z[a] * z[b]
        for a in range(1, k + 1):
            grad[a] -= L2 * w[a]
            hess[a][a] += L2
        step = solve(hess, grad)
        w = [a + b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return w, means, sds


def solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    n = len(rhs)
    m = [row[:] + [rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[col][col]:
                factor = m[r][col] / m[col][col]
                m[r] = [a - factor * b for a, b in zip(m[r], m[col])]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def raw_coefficients(w: list[float], means: list[float], sds: list[float]) -> tuple[float, list[float]]:
    """Back from standardised to the features' own scale, as jit.py applies them."""
    coefs = [w[j + 1] / sds[j] for j in range(len(sds))]
    intercept = w[0] - sum(c * m for c, m in zip(coefs, means))
    return intercept, coefs


def score(intercept: float, coefs: list[float], x: list[float]) -> float:
    return intercept + sum(c * v for c, v in zip(coefs, x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    repos = [r.name for r in load_repos()]
    cases = [r for r in read_csv(CORPUS / "reverted.csv") if r["repo"] in repos]
    controls = [r for r in read_csv(CORPUS / "controls.csv") if r["repo"] in repos]
    ordinary = [r for r in read_csv(CORPUS / "ordinary.csv") if r["repo"] in repos]
    known = extract(args.mirrors, args.cache, cases + controls + ordinary)

    def rows_of(rows: list[dict[str, str]], label: int) -> list[tuple[str, dict, int]]:
        out = []
        for r in rows:
            record = known.get(f"{r['repo']}@{r['commit']}")
            if record:
                out.append((r["repo"], record, label))
        return out

    train_all = rows_of(cases, 1) + rows_of(controls, 0)
    recent = rows_of(ordinary, 0)
    report: dict[str, dict] = {}
    for with_history in (True, False):
        name = "full" if with_history else "size_only"
        folds = {}
        for held in repos:
            train = [t for t in train_all if t[0] != held]
            test = [t for t in train_all if t[0] == held]
            w, means, sds = fit([list(vector(t[1], with_history).values()) for t in train], [t[2] for t in train])
            b, c = raw_coefficients(w, means, sds)
            s = lambda t: score(b, c, list(vector(t[1], with_history).values()))  # noqa: E731
            pos = [s(t) for t in test if t[2] == 1]
            folds[held] = {
                "vs_controls": auc(pos, [s(t) for t in test if t[2] == 0]),
                "vs_ordinary": auc(pos, [s(t) for t in recent if t[0] == held]),
            }
        first, second = repos[:5], repos[5:]
        train = [t for t in train_all if t[0] in first]
        w, means, sds = fit([list(vector(t[1], with_history).values()) for t in train], [t[2] for t in train])
        b, c = raw_coefficients(w, means, sds)
        s = lambda t: score(b, c, list(vector(t[1], with_history).values()))  # noqa: E731
        test = [t for t in train_all if t[0] in second]
        split = {"train": first, "test": second,
                 "train_auc": auc([s(t) for t in train if t[2]], [s(t) for t in train if not t[2]]),
                 "test_auc_vs_controls": auc([s(t) for t in test if t[2]], [s(t) for t in test if not t[2]]),
                 "test_auc_vs_ordinary": auc([s(t) for t in test if t[2]], [s(t) for t in recent if t[0] in second])}
        w, means, sds = fit([list(vector(t[1], with_history).values()) for t in train_all], [t[2] for t in train_all])
        b, c = raw_coefficients(w, means, sds)
        names = list(vector(train_all[0][1], with_history))
        s = lambda t: score(b, c, list(vector(t[1], with_history).values()))  # noqa: E731
        report[name] = {
            "folds": folds, "split": split,
            "loro_mean_vs_controls": sum(f["vs_controls"] for f in folds.values() if f["vs_controls"]) / len(folds),
            "loro_mean_vs_ordinary": sum(f["vs_ordinary"] for f in folds.values() if f["vs_ordinary"]) / len(folds),
            "in_sample_auc": auc([s(t) for t in train_all if t[2]], [s(t) for t in train_all if not t[2]]),
            "intercept": round(b, 4), "coefficients": {n: round(v, 4) for n, v in zip(names, c)},
            "standardised": {n: round(v, 3) for n, v in zip(names, w[1:])},
            "means": {n: round(m, 4) for n, m in zip(names, means)},
            "cases": sum(t[2] for t in train_all), "controls": sum(1 - t[2] for t in train_all),
        }
    print(json.dumps(report, indent=1))
    (args.cache / "jit-fit.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
