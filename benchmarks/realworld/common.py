"""Shared by the real-world evaluation scripts: the repository list, mirrors, the corpus files."""

from __future__ import annotations

import csv
import os
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
HELD_OUT = {"terraform-aws-modules/terraform-aws-eks", "GoogleCloudPlatform/microservices-demo", "bitnami/charts"}


@dataclass(frozen=True)
class Repo:
    name: str  # owner/name
    kind: str
    head: str
    count: int


def load_repos(path: Path = HERE / "repos.toml") -> list[Repo]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    repos = [Repo(name, t["kind"], t["head"], int(t["count"])) for name, t in data["repos"].items()]
    held = [r.name for r in repos if r.name in HELD_OUT]
    if held:
        raise SystemExit(f"{path.name}: {', '.join(held)} is held out for the independent check")
    return repos


def mirror_path(mirrors: Path, name: str) -> Path:
    """DIR/<owner>+<name>/repo or DIR/<owner>+<name> (a bare mirror or a clone)."""
    base = mirrors / name.replace("/", "+")
    return base / "repo" if (base / "repo").exists() else base


def git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False,
                          env={**os.environ, "LC_ALL": "C", "GIT_PAGER": "cat"})
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])} failed in {repo}: {proc.stderr.decode(errors='replace')[-300:]}")
    return proc.stdout.decode("utf-8", "replace")


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def one_line(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
