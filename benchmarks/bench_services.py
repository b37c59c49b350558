"""Service catalog speed: loading 5,000 services / 20,000 edges and answering "what does this touch".

Run: ``python benchmarks/bench_services.py [--services 5000] [--repeat 3]``. It writes real files into
a temporary git repository (one catalog-info.yaml per service, then the same catalog as one
multi-document YAML and as a services.toml) and reports medians. The machine is shared and noisy,
so the comparisons that matter are the ratios measured side by side in this one run:
C YAML loader vs pure-Python loader, one ``git cat-file --batch`` vs a process per file, and the
folder-prefix index vs matching every changed path against every service's pattern with pathspec.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from reviewer_app.core.services import affected, backstage, load_catalog
from reviewer_app.core.services.catalog import Catalog
from reviewer_app.core.workspace import Workspace

LOAD_BUDGET_S = 2.0
AFFECTED_BUDGET_S = 0.050


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def generate(count: int, seed: int = 7) -> list[dict]:
    """``count`` components; about 3 dependsOn and 1 API consumed each (4 edges per service)."""
    rng = random.Random(seed)
    api_count = max(1, count // 10)
    documents = []
    for i in range(count):
        depends = sorted({f"svc-{rng.randrange(i):05d}" for _ in range(3)}) if i else []
        spec: dict = {"type": "service", "lifecycle": "production", "owner": f"team-{i % 97}",
                      "dependsOn": [f"component:{name}" for name in depends]}
        if i < api_count:
            spec["providesApis"] = [f"api-{i:05d}"]
        elif i > api_count:
            spec["consumesApis"] = [f"api-{rng.randrange(api_count):05d}"]
        documents.append({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                          "metadata": {"name": f"svc-{i:05d}", "annotations": {"reviewer-app/tier": str(i % 4)}},
                          "spec": spec})
    documents.extend({"kind": "API", "metadata": {"name": f"api-{i:05d}"}, "spec": {"owner": "api-team"}}
                     for i in range(api_count))
    return documents


def write_per_service(repo: Path, documents: list[dict]) -> None:
    for document in documents:
        name = document["metadata"]["name"]
        folder = repo / ("services" if document["kind"] == "Component" else "apis") / name
        folder.mkdir(parents=True)
        (folder / "catalog-info.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        if document["kind"] == "Component":
            (folder / "main.py").write_text("pass\n")


def write_services_toml(repo: Path, documents: list[dict]) -> None:
    lines = []
    for document in documents:
        if document["kind"] != "Component":
            continue
        spec, name = document["spec"], document["metadata"]["name"]
        lines += [f"[services.{name}]", f'paths = ["services/{name}/"]',
                  f"tier = {document['metadata']['annotations']['reviewer-app/tier']}", f'owner = "{spec["owner"]}"',
                  f"depends_on = {json.dumps([d.split(':')[1] for d in spec['dependsOn']])}",
                  f"provides_apis = {json.dumps(spec.get('providesApis', []))}",
                  f"consumes_apis = {json.dumps(spec.get('consumesApis', []))}", ""]
    (repo / ".reviewer").mkdir(exist_ok=True)
    (repo / ".reviewer" / "services.toml").write_text("\n".join(lines))


def median_time(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_owners(patterns: list[tuple[str, GitIgnoreSpecPattern]], paths: list[str]) -> set[str]:
    """What the index replaces: every path against every service's pattern."""
    return {name for path in paths for name, pattern in patterns if pattern.match_file(path) is not None}


def report(label: str, seconds: float, budget: float | None = None) -> None:
    verdict = "" if budget is None else ("  (budget %.0f ms: %s)" % (budget * 1000, "ok" if seconds <= budget else "OVER"))
    print(f"  {label:<58} {seconds * 1000:9.1f} ms{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    documents = generate(args.services)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        write_per_service(repo, documents)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "catalog")

        catalog: Catalog = load_catalog(Workspace(repo))
        components = sum(1 for d in documents if d["kind"] == "Component")
        print(f"catalog: {len(catalog.services)} services, {len(catalog.apis)} APIs, {len(catalog.edges)} edges, "
              f"{len(catalog.warnings)} warnings; medians of {args.repeat}")
        assert len(catalog.services) == components and not catalog.warnings

        print("loading (a fresh Workspace each time: nothing cached)")
        tree = median_time(lambda: load_catalog(Workspace(repo)), args.repeat)
        report("work tree, one catalog-info.yaml per service", tree, LOAD_BUDGET_S)
        revision = median_time(lambda: load_catalog(Workspace(repo, revision="HEAD")), args.repeat)
        report("revision HEAD, one git cat-file --batch", revision, LOAD_BUDGET_S)
        sample = [d for d in backstage.descriptor_paths(Workspace(repo).list_files())][:200]
        one_by_one = median_time(lambda: [Workspace(repo, revision="HEAD").read_text(p) for p in sample], 1)
        per_file_estimate = one_by_one / len(sample) * len(documents)
        report(f"revision HEAD, a git process per file (est. from {len(sample)})", per_file_estimate)

        c_loader = backstage._Loader
        backstage._Loader = yaml.SafeLoader  # the pure-Python loader, for the ratio only
        try:
            pure = median_time(lambda: load_catalog(Workspace(repo)), 1)
        finally:
            backstage._Loader = c_loader
        report("work tree, pure-Python yaml.SafeLoader", pure)

        multi = Path(tmp) / "multi"
        multi.mkdir()
        _git(multi, "init", "-q", "-b", "main")
        (multi / "catalog-info.yaml").write_text(yaml.safe_dump_all(
            [{**d, "metadata": {**d["metadata"], "annotations": {
                **d["metadata"].get("annotations", {}), "reviewer-app/paths": f"services/{d['metadata']['name']}/"}}}
             for d in documents], sort_keys=False))
        multi_time = median_time(lambda: load_catalog(Workspace(multi)), args.repeat)
        report("work tree, one multi-document catalog-info.yaml", multi_time, LOAD_BUDGET_S)

        toml_repo = Path(tmp) / "toml"
        toml_repo.mkdir()
        _git(toml_repo, "init", "-q", "-b", "main")
        write_services_toml(toml_repo, documents)
        toml_time = median_time(lambda: load_catalog(Workspace(toml_repo)), args.repeat)
        toml_catalog = load_catalog(Workspace(toml_repo))
        assert len(toml_catalog.services) == components, toml_catalog.warnings[:3]
        report(f".reviewer/services.toml ({len(toml_catalog.edges)} edges)", toml_time, LOAD_BUDGET_S)

        print("affected services (catalog loaded)")
        root_change = ["services/svc-00000/main.py", "services/svc-00001/main.py"]
        blast = affected(catalog, root_change)
        worst = median_time(lambda: affected(catalog, root_change), args.repeat * 3)
        report(f"2 paths in the most depended-on services ({len(blast.transitive)} dependents)", worst,
               AFFECTED_BUDGET_S)
        leaf_paths = [f"services/svc-{i:05d}/main.py" for i in range(components - 20, components)] + ["README.md"]
        leaf = median_time(lambda: affected(catalog, leaf_paths), args.repeat * 3)
        report("21 paths in leaf services", leaf, AFFECTED_BUDGET_S)
        to_dict = median_time(lambda: json.dumps(blast.to_dict()), args.repeat)
        report("to_dict + json.dumps of the worst case", to_dict)

        many_paths = [f"services/svc-{i:05d}/main.py" for i in range(0, components, 25)]
        index_time = median_time(lambda: [catalog.path_index.owners(p) for p in many_paths], args.repeat)
        patterns = [(name, GitIgnoreSpecPattern(f"services/{name}/**")) for name in catalog.services]
        naive_time = median_time(lambda: naive_owners(patterns, many_paths), 1)
        report(f"path -> service for {len(many_paths)} paths: folder-prefix index", index_time)
        report(f"path -> service for {len(many_paths)} paths: every pattern (pathspec)", naive_time)

        print("ratios (same run)")
        print(f"  pure-Python / C YAML loader:                 {pure / tree:6.1f}x")
        print(f"  process per file / cat-file --batch:         {per_file_estimate / revision:6.1f}x")
        print(f"  every-pattern scan / folder-prefix index:    {naive_time / index_time:6.0f}x")
        over = [t for t, b in ((tree, LOAD_BUDGET_S), (revision, LOAD_BUDGET_S), (multi_time, LOAD_BUDGET_S),
                               (toml_time, LOAD_BUDGET_S), (worst, AFFECTED_BUDGET_S)) if t > b]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
