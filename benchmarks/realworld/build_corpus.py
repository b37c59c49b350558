"""Build corpus/ordinary.csv and corpus/reverted.csv from local mirrors of the repositories in repos.toml.

    python benchmarks/realworld/build_corpus.py --mirrors DIR --cache DIR

Labels:
  reverted      a commit its maintainers reverted ("This reverts commit <sha>" in a later message)
  fix_inducing  light SZZ (Sliwerski, Zimmermann, Zeller 2005): for each commit whose subject says
                fix/bug/regression/hotfix (and not docs/typo/chore), the lines it removed or changed
                are blamed at its parent; the blamed commits are fix-inducing (capped per repository)
  ordinary      a non-merge commit of the fixed range that is none of the above and not in dangerous.csv
  control       for each reverted or fix-inducing commit, the CONTROLS_PER_CASE unlabelled non-merge commits
                nearest to it in time (controls.csv): the labelled commits span the whole history while the
                ordinary range is recent, so history features would otherwise tell eras apart, not defects
Git work is batched: one diff and one blame per file of a fixing commit, never a process per line;
results are cached as JSON under --cache, keyed by repository and head.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from common import CORPUS, Repo, git, load_repos, mirror_path, one_line, read_csv, write_csv

REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
FIX_WORDS = re.compile(r"\b(fix(es|ed)?|bug(fix)?|regression|hotfix)\b", re.I)
NOT_FIX = re.compile(r"\b(docs?|typos?|chore|readme|changelog|spelling|lint|comments?)\b", re.I)
# Lines whose blame says nothing about a defect: version bumps, blank lines, lone brackets.
NOISE_LINE = re.compile(r"^\s*((version|appVersion)\s*:.*|[\[\](){},;]*|#.*|//.*)\s*$")
DOC_PATH = re.compile(r"(^|/)(docs?|examples?)/|\.(md|rst|txt|adoc)$|(^|/)(CHANGELOG|README|LICENSE)[^/]*$", re.I)
FIX_COMMITS_PER_REPO = 120  # the most recent fixing commits examined
FIX_INDUCING_PER_REPO = 45  # cap on labelled fix-inducing commits per repository
CONTROLS_PER_CASE = 2
MAX_FIX_FILES = 20  # a "fix" touching more files is a sweep, its blame says little


def non_merge_range(path: Path, repo: Repo) -> list[str]:
    out = git(path, "rev-list", "--no-merges", "--min-parents=1", f"--max-count={repo.count}", repo.head)
    return out.split()


def is_plain_commit(path: Path, shas: list[str]) -> dict[str, str]:
    """Full ids of the given (possibly abbreviated) ids that are non-merge, non-root commits."""
    if not shas:
        return {}
    out = git(path, "rev-list", "--no-walk", "--no-merges", "--min-parents=1", *shas, "--", check=False)
    full = set(out.split())
    resolved: dict[str, str] = {}
    for sha in shas:
        match = next((f for f in full if f.startswith(sha)), None)
        if match:
            resolved[sha] = match
    return resolved


def reverted_commits(path: Path, repo: Repo) -> list[dict[str, str]]:
    out = git(path, "log", "--no-merges", "--format=%H%x00%s%x00%B%x1e", "--grep=This reverts commit", repo.head)
    pairs: list[tuple[str, str, str]] = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x00")
        if len(fields) < 3:
            continue
        reverting, subject, body = fields[0], fields[1], fields[2]
        for sha in REVERTS.findall(body):
            pairs.append((sha, reverting, subject))
    valid = {}
    for start in range(0, len(pairs), 200):
        chunk = sorted({p[0] for p in pairs[start:start + 200]})
        valid.update(is_plain_commit_each(path, chunk))
    rows = {}
    for sha, reverting, subject in pairs:
        full = valid.get(sha)
        if full and full not in rows:
            rows[full] = {"repo": repo.name, "commit": full, "label": "reverted",
                          "reason": one_line(f"reverted by {reverting[:12]}: {subject}")}
    return list(rows.values())


def is_plain_commit_each(path: Path, shas: list[str]) -> dict[str, str]:
    """Resolve each id on its own (rev-list fails as a whole when one id is unknown): one cat-file batch."""
    import subprocess

    if not shas:
        return {}
    proc = subprocess.run(["git", "-C", str(path), "cat-file", "--batch-check=%(objectname) %(objecttype)"],
                          input="".join(f"{s}\n" for s in shas).encode(), capture_output=True, check=True)
    resolved = {}
    for sha, line in zip(shas, proc.stdout.decode().splitlines()):
        parts = line.split()
        if len(parts) == 2 and parts[1] == "commit":
            resolved[sha] = parts[0]
    plain = is_plain_commit(path, sorted(set(resolved.values())))
    return {sha: full for sha, full in resolved.items() if full in plain}


def fixing_commits(path: Path, repo: Repo) -> list[tuple[str, str]]:
    out = git(path, "log", "--no-merges", "--min-parents=1", "--format=%H%x00%s", "-i", "-E",
              "--grep=fix|bug|regression|hotfix", repo.head)
    fixes = []
    for line in out.splitlines():
        sha, _, subject = line.partition("\x00")
        if FIX_WORDS.search(subject) and not NOT_FIX.search(subject) and not subject.startswith("Revert"):
            fixes.append((sha, subject))
        if len(fixes) >= FIX_COMMITS_PER_REPO:
            break
    return fixes


def removed_ranges(path: Path, fix: str) -> dict[str, list[tuple[int, int]]]:
    """Old-side line ranges a commit removed or changed, per modified file (one diff process)."""
    out = git(path, "diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", f"{fix}^", fix, "--")
    ranges: dict[str, list[tuple[int, int]]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("--- "):
            current = line[6:] if line.startswith("--- a/") else None
        elif line.startswith("+++ ") and line[4:] == "/dev/null":
            current = None  # deleted whole: nothing was fixed in it
        elif line.startswith("@@") and current and not DOC_PATH.search(current):
            match = re.match(r"@@ -(\d+)(?:,(\d+))?", line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or "1")
                if count:
                    ranges.setdefault(current, []).append((start, count))
    return ranges


def blame(path: Path, fix: str, file: str, ranges: list[tuple[int, int]]) -> set[str]:
    """Commits that last touched the given meaningful lines at the parent (one blame process per file)."""
    args = ["blame", "--porcelain", "-w"]
    for start, count in ranges[:50]:
        args += ["-L", f"{start},+{count}"]
    out = git(path, *args, f"{fix}^", "--", file, check=False)
    blamed: set[str] = set()
    current = None
    boundary: set[str] = set()
    for line in out.splitlines():
        if line.startswith("\t"):
            if current and current not in boundary and not NOISE_LINE.match(line[1:]):
                blamed.add(current)
        elif re.match(r"^[0-9a-f]{40} ", line):
            current = line.split()[0]
        elif line == "boundary" and current:
            boundary.add(current)
    return blamed


def fix_inducing(path: Path, repo: Repo, excluded: set[str]) -> list[dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for fix, subject in fixing_commits(path, repo):
        ranges = removed_ranges(path, fix)
        if not ranges or len(ranges) > MAX_FIX_FILES:
            continue
        blamed: set[str] = set()
        for file, file_ranges in sorted(ranges.items()):
            blamed |= blame(path, fix, file, file_ranges)
        plain = is_plain_commit(path, sorted(blamed))
        for sha in sorted(plain.values()):
            if sha in rows or sha in excluded or sha == fix:
                continue
            rows[sha] = {"repo": repo.name, "commit": sha, "label": "fix_inducing",
                         "reason": one_line(f"blamed by fix {fix[:12]}: {subject}")}
            if len(rows) >= FIX_INDUCING_PER_REPO:
                return list(rows.values())
    return list(rows.values())


def controls(path: Path, repo: Repo, labelled: list[dict[str, str]], excluded: set[str]) -> list[dict[str, str]]:
    """Date-matched controls: the nearest unlabelled commits in commit time (one log for the repository)."""
    import bisect

    out = git(path, "log", "--no-merges", "--min-parents=1", "--format=%H %ct", repo.head)
    timeline = sorted((int(t), sha) for sha, t in (line.split() for line in out.splitlines() if line))
    times = [t for t, _ in timeline]
    when = {sha: t for t, sha in timeline}
    taken: set[str] = set()
    rows = []
    for case in labelled:
        at = when.get(case["commit"])
        if at is None:
            continue
        index = bisect.bisect_left(times, at)
        found, step = 0, 1
        while found < CONTROLS_PER_CASE and step < 200:
            for k in (index - step, index + step):
                if 0 <= k < len(timeline) and found < CONTROLS_PER_CASE:
                    sha = timeline[k][1]
                    if sha not in excluded and sha not in taken:
                        taken.add(sha)
                        found += 1
                        rows.append({"repo": repo.name, "commit": sha, "label": "control",
                                     "reason": f"date-matched control for {case['commit'][:12]}"})
            step += 1
    return rows


def build(repo: Repo, path: Path, cache: Path) -> dict[str, list]:
    cached = cache / f"corpus-v2-{repo.name.replace('/', '+')}-{repo.head[:12]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    reverted = reverted_commits(path, repo)
    inducing = fix_inducing(path, repo, {r["commit"] for r in reverted})
    result = {"range": non_merge_range(path, repo), "labelled": reverted + inducing}
    result["controls"] = controls(path, repo, result["labelled"], {r["commit"] for r in result["labelled"]})
    cached.write_text(json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, required=True, help="folder holding <owner>+<name>[/repo] mirrors")
    parser.add_argument("--cache", type=Path, required=True, help="folder for cached git results")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    dangerous = {(r["repo"], r["commit"]) for r in read_csv(CORPUS / "dangerous.csv")}
    ordinary: list[dict[str, str]] = []
    labelled: list[dict[str, str]] = []
    matched: list[dict[str, str]] = []
    for repo in load_repos():
        result = build(repo, mirror_path(args.mirrors, repo.name), args.cache)
        marked = {r["commit"] for r in result["labelled"]}
        labelled += result["labelled"]
        matched += [r for r in result["controls"] if (repo.name, r["commit"]) not in dangerous]
        kept = [sha for sha in result["range"] if sha not in marked and (repo.name, sha) not in dangerous]
        ordinary += [{"repo": repo.name, "commit": sha, "label": "ordinary", "reason": f"non-merge commit in the fixed range of {repo.kind}"}
                     for sha in kept]
        print(f"{repo.name}: {len(kept)} ordinary, "
              f"{sum(r['label'] == 'reverted' for r in result['labelled'])} reverted, "
              f"{sum(r['label'] == 'fix_inducing' for r in result['labelled'])} fix-inducing")
    fields = ["repo", "commit", "label", "reason"]
    write_csv(CORPUS / "ordinary.csv", fields, ordinary)
    write_csv(CORPUS / "reverted.csv", fields, labelled)
    write_csv(CORPUS / "controls.csv", fields, matched)
    print(f"total: {len(ordinary)} ordinary, {len(labelled)} reverted or fix-inducing, {len(matched)} controls")


if __name__ == "__main__":
    main()
