"""Measure how noisy the built-in rule pack is on ordinary changes of well-known packages.

For each package, the source archives of consecutive releases are downloaded with the
registries' own clients (``pip download --no-binary NAME --no-deps`` and ``npm pack``), each
pair is diffed in a scratch git repository (``git diff -M`` between the two trees), and the
diff is assessed with the built-in rules. The report gives, per rule, the share of release
diffs and of changed files on which it fired (any severity, and high/critical).

Downloads stay in a cache folder outside the repository (default: the system temp folder).

    python scripts/measure_rule_noise.py [--cache DIR] [--markdown docs/rule-noise.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reviewer_app.core.diffparse import parse_patch  # noqa: E402
from reviewer_app.core.risk import assess, load_rules  # noqa: E402
from reviewer_app.core.risk.rules import SEVERITY_RANK  # noqa: E402

# Consecutive releases (oldest first). A dozen widely used packages, mostly Python, some JS.
PACKAGES: list[tuple[str, str, list[str]]] = [
    ("pypi", "requests", ["2.31.0", "2.32.0", "2.32.2", "2.32.3"]),
    ("pypi", "flask", ["3.0.0", "3.0.1", "3.0.2", "3.0.3"]),
    ("pypi", "click", ["8.1.4", "8.1.5", "8.1.6", "8.1.7"]),
    ("pypi", "attrs", ["23.1.0", "23.2.0", "24.1.0", "24.2.0"]),
    ("pypi", "urllib3", ["2.1.0", "2.2.0", "2.2.1", "2.2.2"]),
    ("pypi", "jinja2", ["3.1.2", "3.1.3", "3.1.4"]),
    ("pypi", "werkzeug", ["3.0.1", "3.0.2", "3.0.3"]),
    ("pypi", "httpx", ["0.25.2", "0.26.0", "0.27.0"]),
    ("pypi", "rich", ["13.6.0", "13.7.0", "13.7.1"]),
    ("pypi", "packaging", ["23.1", "23.2", "24.0"]),
    ("npm", "express", ["4.18.2", "4.18.3", "4.19.0", "4.19.2"]),
    ("npm", "axios", ["1.6.0", "1.6.1", "1.6.2", "1.6.3"]),
]
HIGH = SEVERITY_RANK["high"]
GIT_ENV = {
    **os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "noise", "GIT_AUTHOR_EMAIL": "noise@example.com",
    "GIT_COMMITTER_NAME": "noise", "GIT_COMMITTER_EMAIL": "noise@example.com",
}


@dataclass
class Tally:
    changes: int = 0
    files: int = 0
    lines: int = 0
    levels: Counter = field(default_factory=Counter)
    any_change: Counter = field(default_factory=Counter)  # rule -> release diffs where it fired
    high_change: Counter = field(default_factory=Counter)  # ... with a high/critical finding
    any_file: Counter = field(default_factory=Counter)  # rule -> changed files where it fired
    high_file: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)  # rule -> one finding id, to look at


def fetch(kind: str, name: str, version: str, cache: Path) -> Path:
    """The release's source tree, downloaded and extracted once into ``cache``."""
    tree = cache / "trees" / f"{name}-{version}"
    if tree.is_dir():
        return tree
    downloads = cache / "downloads" / f"{name}-{version}"
    downloads.mkdir(parents=True, exist_ok=True)
    if not any(downloads.iterdir()):
        if kind == "pypi":
            # Only the package itself must be a source archive; its build backend may be a wheel.
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", name, "--no-deps",
                       "-d", str(downloads), f"{name}=={version}"]
        else:
            command = ["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(downloads)]
        subprocess.run(command, check=True, capture_output=True, cwd=downloads)
    archive = next(p for p in downloads.iterdir() if p.suffix in (".gz", ".tgz", ".zip"))
    scratch = Path(tempfile.mkdtemp(dir=cache))
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(scratch)
    else:
        with tarfile.open(archive) as bundle:
            bundle.extractall(scratch, filter="data")
    tree.parent.mkdir(parents=True, exist_ok=True)
    roots = list(scratch.iterdir())
    (roots[0] if len(roots) == 1 and roots[0].is_dir() else scratch).rename(tree)
    shutil.rmtree(scratch, ignore_errors=True)
    return tree


def release_diff(old: Path, new: Path, work: Path) -> bytes:
    """``git diff -M`` from the old tree to the new one, with repository-relative paths."""
    repo = work / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(old, repo, symlinks=True)
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True, env=GIT_ENV)
    subprocess.run([*git, "add", "-A", "-f"], check=True, env=GIT_ENV)
    subprocess.run([*git, "commit", "-q", "-m", "old"], check=True, env=GIT_ENV)
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    shutil.copytree(new, repo, symlinks=True, dirs_exist_ok=True)
    subprocess.run([*git, "add", "-A", "-f"], check=True, env=GIT_ENV)
    return subprocess.run([*git, "diff", "--cached", "-M", "--no-color", "--no-ext-diff"],
                          check=True, capture_output=True, env=GIT_ENV).stdout


def measure(cache: Path) -> tuple[Tally, list[str]]:
    rules = load_rules(None)
    tally = Tally()
    failures: list[str] = []
    work = Path(tempfile.mkdtemp(dir=cache))
    for kind, name, versions in PACKAGES:
        trees: list[tuple[str, Path]] = []
        for version in versions:
            try:
                trees.append((version, fetch(kind, name, version, cache)))
            except (subprocess.CalledProcessError, StopIteration, OSError) as exc:
                failures.append(f"{name} {version}: {exc}")
        for (old_version, old), (new_version, new) in zip(trees, trees[1:]):
            data = release_diff(old, new, work)
            if not data.strip():
                continue
            change = parse_patch(data, f"{name}-{old_version}..{new_version}.diff")[0]
            report = assess(change, None, rules)
            tally.changes += 1
            tally.files += len(change.files)
            tally.lines += change.added + change.removed
            tally.levels[report.level] += 1
            fired_any = {f.rule for f in report.findings}
            fired_high = {f.rule for f in report.findings if SEVERITY_RANK[f.severity] >= HIGH}
            tally.any_change.update(fired_any)
            tally.high_change.update(fired_high)
            tally.any_file.update({(f.rule, f.path) for f in report.findings})
            tally.high_file.update({(f.rule, f.path) for f in report.findings if SEVERITY_RANK[f.severity] >= HIGH})
            for finding in report.findings:
                tally.examples.setdefault(finding.rule, f"{name} {old_version}->{new_version}: {finding.id}")
            print(f"{name} {old_version} -> {new_version}: {len(change.files)} files, "
                  f"{change.added + change.removed} lines, level {report.level}, "
                  f"high+: {', '.join(sorted(fired_high)) or '-'}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    return tally, failures


def markdown(tally: Tally, failures: list[str]) -> str:
    per_file_any = Counter(rule for rule, _ in tally.any_file)
    per_file_high = Counter(rule for rule, _ in tally.high_file)
    rules = sorted(set(tally.any_change), key=lambda r: (-tally.high_change[r], -tally.any_change[r], r))
    lines = [
        f"Measured on {tally.changes} release diffs of {len(PACKAGES)} packages "
        f"({tally.files} changed files, {tally.lines:,} changed lines).",
        "",
        "Levels: " + ", ".join(f"{level} {tally.levels[level]}" for level in ("low", "medium", "high", "critical")) + ".",
        "",
        "| rule | release diffs, any severity | release diffs, high/critical | changed files, any | changed files, high/critical | example |",
        "|---|---|---|---|---|---|",
    ]
    for rule in rules:
        lines.append(
            f"| {rule} | {_share(tally.any_change[rule], tally.changes)} | {_share(tally.high_change[rule], tally.changes)} "
            f"| {_share(per_file_any[rule], tally.files)} | {_share(per_file_high[rule], tally.files)} "
            f"| `{tally.examples.get(rule, '')}` |"
        )
    if failures:
        lines += ["", "Not measured (download failed): " + "; ".join(failures)]
    return "\n".join(lines) + "\n"


def _share(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.1f}%)" if total else "0"


def main() -> int:
    parser = argparse.ArgumentParser(description="Rule noise on consecutive releases of well-known packages.")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "reviewer-rule-noise")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    tally, failures = measure(args.cache.resolve())
    table = markdown(tally, failures)
    print(table)
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
