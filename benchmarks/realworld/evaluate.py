"""Score Reviewer's risk analysis on real history (docs/risk-evaluation.md).

    python benchmarks/realworld/evaluate.py --mirrors DIR [--markdown OUT.md] [--json OUT.json]
                                            [--flagged OUT.csv] [--no-history] [--repo owner/name]

Every commit listed in corpus/*.csv is analysed on its own (parent..commit) in-process, exactly as
``reviewer-app analyze --git`` would, on local mirrors found as DIR/<owner>+<name>[/repo]. Figures:
  - share of ordinary commits rated high or critical (target <= 2 %), and which rules make that noise
  - recall on dangerous.csv: share rated high or critical, and whether a finding sits on the culprit
    path and on the culprit line or resource
  - judged precision of high/critical flags (judged-flags.csv, written by a reader)
  - score AUC of reverted + fix-inducing commits against ordinary ones (Mann-Whitney; target >= 0.75),
    and against date-matched controls (controls.csv), which history features cannot tell apart by era
  - tracebacks (must be 0; every commit is caught on its own) and empty commits, elapsed time
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from common import CORPUS, HERE, load_repos, mirror_path, read_csv, write_csv

sys.path.insert(0, str(HERE.parent.parent))  # the checkout's reviewer_app, when not installed

from reviewer_app.core import risk, services  # noqa: E402
from reviewer_app.core.analysis import analyze  # noqa: E402
from reviewer_app.core.ingest import load_git_range  # noqa: E402
from reviewer_app.core.workspace import Workspace  # noqa: E402
from reviewer_app.errors import UserError  # noqa: E402

FLAGGED = {"high", "critical"}
RESOURCE = __import__("re").compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_.\[\]\"-]+$")


def auc(positives: list[float], negatives: list[float]) -> float | None:
    """Mann-Whitney U / (n1 n2): the chance a random positive outranks a random negative (ties count half)."""
    if not positives or not negatives:
        return None
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, index = 0.0, 0
    while index < len(ranked):
        end = index
        while end < len(ranked) and ranked[end][0] == ranked[index][0]:
            end += 1
        mean_rank = (index + 1 + end) / 2  # ties share their mean rank
        rank_sum += mean_rank * sum(1 for k in range(index, end) if ranked[k][1])
        index = end
    n1, n2 = len(positives), len(negatives)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n2)


def line_texts(change: Any) -> dict[tuple[str, str, int], str]:
    texts: dict[tuple[str, str, int], str] = {}
    for file in change.files:
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.kind.value == "+":
                    texts[(file.path, "new", line.new_no)] = line.text
                elif line.kind.value == "-":
                    texts[(file.path, "old", line.old_no)] = line.text
    return texts


def culprit_lines(change: Any, path: str, culprit: str) -> list[tuple[str, int]]:
    """Changed lines of ``path`` that hold the culprit text, or the block of the culprit resource."""
    needle = " ".join(culprit.split()).lower()
    names = [needle]
    if RESOURCE.match(culprit.strip()):  # a resource address: its type and name on the block's line
        parts = culprit.strip().split(".")
        names = [f'"{parts[-2]}" "{parts[-1]}"'.lower(), f"{parts[-1]}".lower()] if len(parts) >= 2 else names
    found = []
    for file in change.files:
        if file.path != path:
            continue
        for hunk in file.hunks:
            for line in hunk.lines:
                text = " ".join(line.text.split()).lower()
                if any(n and n in text for n in names):
                    if line.new_no:
                        found.append(("new", line.new_no))
                    if line.old_no:
                        found.append(("old", line.old_no))
    return found


def on_culprit(change: Any, findings: list[dict[str, Any]], path: str, culprit: str) -> bool:
    """A finding on the culprit line (or within a resource block of 40 lines after it), or naming it."""
    if not culprit:
        return False
    spots = culprit_lines(change, path, culprit)
    needle = " ".join(culprit.split()).lower()
    for finding in findings:
        if finding["path"] != path:
            continue
        if needle in finding["message"].lower():
            return True
        for side, number in spots:
            if finding["side"] == side and (finding["line"] == number or
                                            (RESOURCE.match(culprit.strip()) and 0 <= finding["line"] - number <= 40)):
                return True
    return False


def analyse_one(mirror: Path, sha: str, rules: Any, catalog: Any, history: bool) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"status": "ok"}
    try:
        change = load_git_range(mirror, f"{sha}^..{sha}")
        workspace = Workspace(mirror if history else None, sha if history else None)
        analysis = analyze(change, workspace, rules=rules, catalog=catalog)
        report = analysis.risk.to_dict()
        result.update(level=report["level"], score=report["score"], reasons=report["reasons"],
                      findings=report["findings"], size=change.added + change.removed, files=len(change.files))
        result["_change"] = change
    except UserError as exc:
        text = str(exc)
        status = "empty" if "no changes between" in text else "missing_object" if "unable to read" in text else "user_error"
        result.update(status=status, error=text)
    except Exception:  # noqa: BLE001 - counted and reported: a traceback on real history is a defect
        result.update(status="traceback", error=traceback.format_exc(limit=6))
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--markdown", type=Path, help="write the figures as Markdown tables")
    parser.add_argument("--json", type=Path, help="write per-commit results (level, score, findings)")
    parser.add_argument("--flagged", type=Path, help="write ordinary/other commits rated high or critical, to judge")
    parser.add_argument("--no-history", action="store_true", help="analyse without the repository (no history model)")
    parser.add_argument("--repo", action="append", help="only these repositories (owner/name), repeatable")
    args = parser.parse_args()

    repos = {r.name: r for r in load_repos()}
    wanted = set(args.repo or repos)
    corpus: list[dict[str, str]] = []
    for name in ("ordinary.csv", "reverted.csv", "controls.csv"):
        corpus += read_csv(CORPUS / name)
    for row in read_csv(CORPUS / "dangerous.csv"):
        corpus.append({**row, "label": "dangerous"})
    dangerous_ids = {(r["repo"], r["commit"]) for r in corpus if r["label"] == "dangerous"}
    corpus = [r for r in corpus if r["repo"] in wanted and r["repo"] in repos
              and not (r["label"] == "ordinary" and (r["repo"], r["commit"]) in dangerous_ids)]

    rules = risk.load_rules(None)
    catalog = services.load_catalog(Workspace(None))
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    for index, row in enumerate(corpus):
        mirror = mirror_path(args.mirrors, row["repo"])
        result = analyse_one(mirror, row["commit"], rules, catalog, history=not args.no_history)
        result.update(repo=row["repo"], commit=row["commit"], label=row["label"])
        if row["label"] == "dangerous" and result["status"] == "ok":
            flagged = [f for f in result["findings"]]
            result["on_path"] = any(f["path"] == row.get("culprit_path") for f in flagged)
            result["on_culprit"] = on_culprit(result["_change"], flagged, row.get("culprit_path", ""), row.get("culprit", ""))
            result["category"] = row.get("category", "")
        result.pop("_change", None)
        results.append(result)
        if (index + 1) % 250 == 0:
            print(f"... {index + 1}/{len(corpus)} commits", file=sys.stderr)
    elapsed = time.perf_counter() - started

    figures = summarise(results, elapsed)
    markdown = render(figures)
    print(markdown)
    if args.markdown:
        args.markdown.write_text(markdown, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "commits": results}, indent=1), encoding="utf-8")
    if args.flagged:
        write_flagged(args.flagged, results)


def write_flagged(path: Path, results: list[dict[str, Any]]) -> None:
    """The non-dangerous commits rated high or critical, once each, with the verdict on file (if any)."""
    dangerous_ids = {(r["repo"], r["commit"]) for r in results if r["label"] == "dangerous"}
    judged = {(j["repo"], j["commit"]): j["verdict"] for j in read_csv(CORPUS / "judged-flags.csv")}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for r in results:
        key = (r["repo"], r["commit"])
        if r["status"] != "ok" or r["level"] not in FLAGGED or key in dangerous_ids or key in rows:
            continue
        top = sorted(r["findings"], key=lambda f: -risk.rules.SEVERITY_RANK[f["severity"]])[:3]
        rows[key] = {"repo": r["repo"], "commit": r["commit"], "label": r["label"], "level": r["level"],
                     "score": str(r["score"]), "verdict": judged.get(key, "unjudged"),
                     "top_findings": " | ".join(f"{f['rule']} {f['severity']} {f['path']}:{f['line']} {f['message'][:80]}" for f in top)}
    write_csv(path, ["repo", "commit", "label", "level", "score", "verdict", "top_findings"], list(rows.values()))


def summarise(results: list[dict[str, Any]], elapsed: float) -> dict[str, Any]:
    ok = [r for r in results if r["status"] == "ok"]
    ordinary = [r for r in ok if r["label"] == "ordinary"]
    defective = [r for r in ok if r["label"] in ("reverted", "fix_inducing")]
    dangerous = [r for r in ok if r["label"] == "dangerous"]
    figures: dict[str, Any] = {
        "commits": len(results), "elapsed_s": round(elapsed, 1),
        "tracebacks": sum(r["status"] == "traceback" for r in results),
        "empty": sum(r["status"] == "empty" for r in results),
        "user_errors": sum(r["status"] == "user_error" for r in results),
        "missing_objects": sum(r["status"] == "missing_object" for r in results),
        "ordinary": len(ordinary), "reverted": sum(r["label"] == "reverted" for r in defective),
        "fix_inducing": sum(r["label"] == "fix_inducing" for r in defective), "dangerous": len(dangerous),
        "repos": sorted({r["repo"] for r in results}),
    }
    flagged = [r for r in ordinary if r["level"] in FLAGGED]
    figures["ordinary_flagged"] = len(flagged)
    figures["ordinary_flagged_share"] = round(len(flagged) / len(ordinary), 4) if ordinary else None
    figures["ordinary_levels"] = dict(Counter(r["level"] for r in ordinary))
    per_rule: dict[str, Counter] = defaultdict(Counter)
    for r in ordinary:
        for rule in {f["rule"] for f in r["findings"]}:
            per_rule[rule]["commits"] += 1
        for rule in {f["rule"] for f in r["findings"] if f["severity"] in FLAGGED}:
            per_rule[rule]["flagging"] += 1
        for f in r["findings"]:
            per_rule[f["rule"]]["findings"] += 1
    for r in dangerous:
        for rule in {f["rule"] for f in r["findings"]}:
            per_rule[rule]["dangerous"] += 1
    figures["per_rule"] = {k: dict(v) for k, v in sorted(per_rule.items(), key=lambda kv: -kv[1]["flagging"] * 1000 - kv[1]["commits"])}
    per_repo = {}
    for repo in figures["repos"]:
        o = [r for r in ordinary if r["repo"] == repo]
        d = [r for r in defective if r["repo"] == repo]
        value = auc([r["score"] for r in d], [r["score"] for r in o])
        per_repo[repo] = {"ordinary": len(o), "flagged": sum(r["level"] in FLAGGED for r in o),
                          "defective": len(d), "auc": None if value is None else round(value, 3)}
    figures["per_repo"] = per_repo
    value = auc([r["score"] for r in defective], [r["score"] for r in ordinary])
    figures["auc"] = None if value is None else round(value, 3)
    controls = [r for r in ok if r["label"] == "control"]
    figures["controls"] = len(controls)
    value = auc([r["score"] for r in defective], [r["score"] for r in controls])
    figures["auc_matched"] = None if value is None else round(value, 3)
    for label in ("reverted", "fix_inducing"):
        value = auc([r["score"] for r in defective if r["label"] == label], [r["score"] for r in ordinary])
        figures[f"auc_{label}"] = None if value is None else round(value, 3)
    if dangerous:
        figures["dangerous_flagged"] = sum(r["level"] in FLAGGED for r in dangerous)
        figures["dangerous_on_path"] = sum(bool(r.get("on_path")) for r in dangerous)
        figures["dangerous_on_culprit"] = sum(bool(r.get("on_culprit")) for r in dangerous)
        figures["misses"] = [
            {"repo": r["repo"], "commit": r["commit"], "level": r["level"], "category": r.get("category", ""),
             "on_path": r.get("on_path"), "on_culprit": r.get("on_culprit")}
            for r in dangerous if r["level"] not in FLAGGED or not r.get("on_culprit")]
    judged = {(j["repo"], j["commit"]): j["verdict"] for j in read_csv(CORPUS / "judged-flags.csv")}
    # One verdict per commit: a commit listed twice (ordinary and a control) counts once, and a
    # commit in dangerous.csv is counted with the dangerous ones only, whatever other label it has.
    dangerous_ids = {(r["repo"], r["commit"]) for r in dangerous}
    flagged_all = list({(r["repo"], r["commit"]): r for r in ok if r["level"] in FLAGGED
                        and (r["repo"], r["commit"]) not in dangerous_ids}.values())
    verdicts = Counter(judged.get((r["repo"], r["commit"]), "unjudged") for r in flagged_all)
    figures["judged"] = dict(verdicts)
    judged_count = verdicts["true"] + verdicts["noise"] + verdicts["borderline"]
    # Dangerous commits rated high/critical are true flags by construction (a reader labelled them).
    true_flags = verdicts["true"] + figures.get("dangerous_flagged", 0)
    total = judged_count + figures.get("dangerous_flagged", 0)
    figures["precision"] = round(true_flags / total, 3) if total else None
    figures["precision_borderline_true"] = round((true_flags + verdicts["borderline"]) / total, 3) if total else None
    figures["tracebacks_detail"] = [{"repo": r["repo"], "commit": r["commit"], "error": r["error"][-400:]}
                                    for r in results if r["status"] == "traceback"][:10]
    figures["seconds_per_commit_median"] = sorted(r["seconds"] for r in results)[len(results) // 2] if results else None
    return figures


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render(f: dict[str, Any]) -> str:
    out = ["| measure | value | target |", "|---|---|---|"]
    out.append(f"| ordinary commits rated high/critical | {f['ordinary_flagged']}/{f['ordinary']} = {pct(f['ordinary_flagged_share'])} | <= 2% |")
    if f.get("dangerous"):
        out.append(f"| dangerous rated high/critical | {f['dangerous_flagged']}/{f['dangerous']} = {pct(f['dangerous_flagged'] / f['dangerous'])} | >= 90% |")
        out.append(f"| dangerous with a finding on the culprit path | {f['dangerous_on_path']}/{f['dangerous']} | |")
        out.append(f"| dangerous with a finding on the culprit line/resource | {f['dangerous_on_culprit']}/{f['dangerous']} | >= 90% |")
    out.append(f"| judged precision of high/critical (borderline as noise / as true) | {pct(f['precision'])} / {pct(f['precision_borderline_true'])} (verdicts {f['judged']}) | >= 85% |")
    out.append(f"| score AUC, reverted + fix-inducing vs ordinary | {f['auc']} ({f['reverted']} reverted {f['auc_reverted']}, {f['fix_inducing']} fix-inducing {f['auc_fix_inducing']}) | >= 0.75 |")
    out.append(f"| score AUC, reverted + fix-inducing vs {f['controls']} date-matched controls | {f['auc_matched']} | |")
    out.append(f"| tracebacks | {f['tracebacks']} | 0 |")
    out.append(f"| empty commits (reported as such) | {f['empty']} | |")
    out.append(f"| commits whose objects the mirror lacks (large blobs left out of the snapshot) | {f['missing_objects']} | |")
    out.append(f"| other refusals (UserError) | {f['user_errors']} | |")
    out.append(f"| commits analysed, elapsed | {f['commits']} in {f['elapsed_s']} s (median {f['seconds_per_commit_median']} s) | |")
    out += ["", "| repository | ordinary | rated high/critical | reverted + fix-inducing | AUC |", "|---|---|---|---|---|"]
    for repo, v in f["per_repo"].items():
        out.append(f"| {repo} | {v['ordinary']} | {v['flagged']} | {v['defective']} | {v['auc']} |")
    out += ["", "| rule | ordinary commits it fires on | of them at high/critical | findings | dangerous commits it fires on |", "|---|---|---|---|---|"]
    for rule, v in f["per_rule"].items():
        out.append(f"| {rule} | {v.get('commits', 0)} | {v.get('flagging', 0)} | {v.get('findings', 0)} | {v.get('dangerous', 0)} |")
    if f.get("misses"):
        out += ["", "| missed dangerous commit | level | category | finding on path | on culprit |", "|---|---|---|---|---|"]
        for m in f["misses"]:
            out.append(f"| {m['repo']} {m['commit'][:12]} | {m['level']} | {m['category']} | {m['on_path']} | {m['on_culprit']} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
