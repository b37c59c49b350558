"""Out-of-sample check: Reviewer's risk analysis on commits that no corpus file lists.

    python benchmarks/realworld/fresh_sample.py --mirrors DIR [--per-repo N] [--seed S]
                                                [--json OUT.json] [--flagged OUT.csv]
                                                [--repos-file repos.toml --repos-file unseen-repos.toml]

The corpus (corpus/*.csv) was read, labelled and used to fix rules, so figures on it can flatter the
rules. This script draws, for every repository in repos.toml (or the --repos-file lists: unseen-repos.toml
holds repositories the rules were never read against), a seeded random sample of N commits
(default 120) from the non-merge, non-root commits reachable from the fixed head that are listed in
none of the corpus files (corpus/fresh-verdicts.csv, which holds the verdicts on this sample, is left
out of that exclusion so the sample stays the same once judged). The draw is deterministic: the
candidate ids are sorted, then ``random.Random(seed).sample`` picks N (all of them if fewer).

Each commit is analysed exactly as evaluate.py does (``analyse_one``: parent..commit in-process, with
the repository as history), each caught on its own. Printed: per repository and in total the share
rated high/critical, medium and low, the commits that could not be analysed (empty, missing objects,
refusals, tracebacks), and every high/critical commit with its top findings and the verdict on file
in corpus/fresh-verdicts.csv, if any.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import CORPUS, HERE, git, load_repos, mirror_path, read_csv, write_csv
from evaluate import FLAGGED, Workspace, analyse_one, pct, risk, services

VERDICTS = CORPUS / "fresh-verdicts.csv"
LEVELS = ("critical", "high", "medium", "low")


def corpus_ids() -> set[tuple[str, str]]:
    """(repo, commit) of every commit any corpus file lists, this sample's own verdicts excepted."""
    ids: set[tuple[str, str]] = set()
    for path in sorted(CORPUS.glob("*.csv")):
        if path.resolve() == VERDICTS.resolve():
            continue
        for row in read_csv(path):
            if row.get("repo") and row.get("commit"):
                ids.add((row["repo"], row["commit"].strip().lower()))
    return ids


def candidates(mirror: Path, head: str, repo: str, listed: set[tuple[str, str]]) -> list[str]:
    """Non-merge, non-root commits reachable from head that no corpus file lists, sorted."""
    out = git(mirror, "rev-list", "--no-merges", "--min-parents=1", head)
    shas = {line.strip().lower() for line in out.splitlines() if line.strip()}
    listed_here = {c for r, c in listed if r == repo}
    # a corpus id may be abbreviated: drop every candidate it is a prefix of
    short = [c for c in listed_here if len(c) < 40]
    return sorted(s for s in shas if s not in listed_here and not any(s.startswith(c) for c in short))


def draw(ids: list[str], n: int, seed: int) -> list[str]:
    return list(ids) if len(ids) <= n else random.Random(seed).sample(sorted(ids), n)


def top_findings(result: dict[str, Any], limit: int = 3) -> str:
    top = sorted(result["findings"], key=lambda f: -risk.rules.SEVERITY_RANK[f["severity"]])[:limit]
    return " | ".join(f"{f['rule']} {f['severity']} {f['path']}:{f['line']} {f['message'][:80]}" for f in top)


def summarise(results: list[dict[str, Any]], repos: list[str], pool: dict[str, int]) -> dict[str, Any]:
    def block(rows: list[dict[str, Any]]) -> dict[str, Any]:
        ok = [r for r in rows if r["status"] == "ok"]
        levels = Counter(r["level"] for r in ok)
        flagged = levels["high"] + levels["critical"]
        return {"sampled": len(rows), "analysed": len(ok), "levels": {k: levels[k] for k in LEVELS},
                "flagged": flagged, "flagged_share": round(flagged / len(ok), 4) if ok else None,
                "medium_share": round(levels["medium"] / len(ok), 4) if ok else None,
                "low_share": round(levels["low"] / len(ok), 4) if ok else None,
                "status": dict(Counter(r["status"] for r in rows))}

    figures: dict[str, Any] = {"per_repo": {}, "pool": pool}
    for repo in repos:
        figures["per_repo"][repo] = block([r for r in results if r["repo"] == repo])
    figures["total"] = block(results)
    per_rule: Counter = Counter()
    for r in results:
        if r["status"] == "ok":
            per_rule.update({f["rule"] for f in r["findings"] if f["severity"] in FLAGGED})
    figures["flagging_rules"] = dict(per_rule.most_common())
    verdicts = {(v["repo"], v["commit"]): v["verdict"] for v in read_csv(VERDICTS)}
    flagged = [r for r in results if r["status"] == "ok" and r["level"] in FLAGGED]
    judged = Counter(verdicts.get((r["repo"], r["commit"]), "unjudged") for r in flagged)
    figures["judged"] = dict(judged)
    count = judged["true"] + judged["borderline"] + judged["noise"]
    figures["precision"] = round(judged["true"] / count, 3) if count else None
    figures["precision_borderline_true"] = round((judged["true"] + judged["borderline"]) / count, 3) if count else None
    figures["tracebacks_detail"] = [{"repo": r["repo"], "commit": r["commit"], "error": r["error"][-400:]}
                                    for r in results if r["status"] == "traceback"]
    return figures


def render(f: dict[str, Any], results: list[dict[str, Any]]) -> str:
    out = ["| repository | candidates | sampled | analysed | high/critical | medium | low | not analysed |",
           "|---|---|---|---|---|---|---|---|"]
    rows = list(f["per_repo"].items()) + [("total", f["total"])]
    for repo, v in rows:
        other = {k: n for k, n in v["status"].items() if k != "ok"}
        pool = f["pool"].get(repo, sum(f["pool"].values())) if repo != "total" else sum(f["pool"].values())
        out.append(f"| {repo} | {pool} | {v['sampled']} | {v['analysed']} | {v['flagged']} = {pct(v['flagged_share'])} "
                   f"({v['levels']['critical']} critical) | {v['levels']['medium']} = {pct(v['medium_share'])} "
                   f"| {v['levels']['low']} = {pct(v['low_share'])} | {other or '-'} |")
    out += ["", f"tracebacks: {f['total']['status'].get('traceback', 0)}"]
    for t in f["tracebacks_detail"]:
        out.append(f"- {t['repo']} {t['commit'][:12]}: {t['error'].strip().splitlines()[-1] if t['error'].strip() else ''}")
    out += ["", "rules at high/critical (commits): " + (", ".join(f"{k} {v}" for k, v in f["flagging_rules"].items()) or "none")]
    out += ["", f"verdicts on the high/critical commits (corpus/fresh-verdicts.csv): {f['judged']}; precision "
            f"(borderline as noise / as true): {pct(f['precision'])} / {pct(f['precision_borderline_true'])}"]
    verdicts = {(v["repo"], v["commit"]): v["verdict"] for v in read_csv(VERDICTS)}
    flagged = sorted((r for r in results if r["status"] == "ok" and r["level"] in FLAGGED),
                     key=lambda r: (r["repo"], r["commit"]))
    out += ["", "| repository | commit | level | score | verdict | top findings |", "|---|---|---|---|---|---|"]
    for r in flagged:
        out.append(f"| {r['repo']} | {r['commit'][:12]} | {r['level']} | {r['score']} | "
                   f"{verdicts.get((r['repo'], r['commit']), 'unjudged')} | {top_findings(r)} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--per-repo", type=int, default=120, help="commits drawn per repository (default 120)")
    parser.add_argument("--seed", type=int, default=10, help="seed of the draw (default 10)")
    parser.add_argument("--json", type=Path, help="write the figures and per-commit results")
    parser.add_argument("--flagged", type=Path, help="write the commits rated high or critical, to judge")
    parser.add_argument("--repo", action="append", help="only these repositories (owner/name), repeatable")
    parser.add_argument("--repos-file", type=Path, action="append", default=[],
                        help="repository list(s) to draw from, repeatable (default: repos.toml)")
    parser.add_argument("--after-seed", type=int, action="append", default=[],
                        help="leave out the commits the draw with this seed picks (repeatable): a second sample "
                             "that shares no commit with one the rules were since fixed against")
    parser.add_argument("--new-repos-file", type=Path, action="append", default=[],
                        help="repository list(s) no earlier draw included, repeatable: drawn from their whole "
                             "pool, --after-seed does not apply to them")
    args = parser.parse_args()

    def located(paths: list[Path]) -> list[Path]:
        return [path if path.is_absolute() or path.exists() else HERE / path for path in paths]

    lists = located(args.repos_file)
    new_lists = located(args.new_repos_file)
    new_names = {r.name for path in new_lists for r in load_repos(path)}
    repos = [r for path in ((lists or ([] if new_lists else [HERE / "repos.toml"])) + new_lists) for r in load_repos(path)
             if not args.repo or r.name in args.repo]
    listed = corpus_ids()
    rules = risk.load_rules(None)
    catalog = services.load_catalog(Workspace(None))
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    pool: dict[str, int] = {}
    for repo in repos:
        mirror = mirror_path(args.mirrors, repo.name)
        ids = candidates(mirror, repo.head, repo.name, listed)
        # An earlier sample is no longer out of sample once rules were fixed on it; a repository no
        # earlier draw included has no such sample, and is drawn from its whole pool.
        for earlier in [] if repo.name in new_names else args.after_seed:
            taken = set(draw(ids, args.per_repo, earlier))
            ids = [sha for sha in ids if sha not in taken]
        pool[repo.name] = len(ids)
        for sha in draw(ids, args.per_repo, args.seed):
            result = analyse_one(mirror, sha, rules, catalog, history=True)
            result.pop("_change", None)
            result.update(repo=repo.name, commit=sha)
            results.append(result)
        print(f"... {repo.name}: {min(len(ids), args.per_repo)} of {len(ids)} unlisted commits, "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    figures = summarise(results, [r.name for r in repos], pool)
    figures.update(per_repo_n=args.per_repo, seed=args.seed, repos_files=[p.name for p in (lists or ([] if new_lists else [HERE / "repos.toml"]))], new_repos_files=[p.name for p in new_lists], after_seeds=args.after_seed, elapsed_s=round(time.perf_counter() - started, 1))
    print(render(figures, results))
    print(f"{len(results)} commits in {figures['elapsed_s']} s")
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "commits": results}, indent=1), encoding="utf-8")
    if args.flagged:
        verdicts = {(v["repo"], v["commit"]): v["verdict"] for v in read_csv(VERDICTS)}
        rows = [{"repo": r["repo"], "commit": r["commit"], "level": r["level"], "score": str(r["score"]),
                 "verdict": verdicts.get((r["repo"], r["commit"]), "unjudged"), "top_findings": top_findings(r)}
                for r in sorted(results, key=lambda r: (r["repo"], r["commit"]))
                if r["status"] == "ok" and r["level"] in FLAGGED]
        write_csv(args.flagged, ["repo", "commit", "level", "score", "verdict", "top_findings"], rows)


if __name__ == "__main__":
    main()
