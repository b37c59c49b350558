"""Benchmark: risk analysis of a 150k-line, ~6 MB diff against a bare unidiff parse of it.

Run: python benchmarks/bench_risk.py [--lines 150000] [--repeat 5] [--mirror DIR [--range A..B]]

With --mirror (or $REVIEWER_BENCH_MIRROR), the same steps also run on a real diff of two releases
of the project cloned there (bigdiff.real_diff; default SQLAlchemy rel_2_0_0..rel_2_0_40): real
code has far more lines that rules' literals hit (tests full of ``assert``) than the synthetic one.

The target (docs/risk-rules.md): parse + full rule pack assessment in less than 3x the time
``unidiff.PatchSet`` needs just to parse the same text. Both are measured side by side in one
run (medians of --repeat rounds), because absolute times on a shared machine mean little.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import unidiff  # noqa: E402

from reviewer_app.core.diffparse import parse_patch  # noqa: E402
from reviewer_app.core.risk import assess, load_rules  # noqa: E402
from reviewer_app.core.risk.prefilter import can_span_lines, prefilter_for  # noqa: E402

# Realistic lines per file kind; a few of them are ones the rules look for.
PYTHON = [
    "def handle_{n}(request, order_id):",
    "    order = Order.objects.get(pk=order_id)",
    "    total = sum(item.price * item.quantity for item in order.items.all())",
    "    if total > settings.MAX_ORDER_TOTAL:",
    "        raise ValidationError(\"order too large\")",
    "    logger.info(\"order %s total %s\", order_id, total)",
    "    return JsonResponse({{\"id\": order.id, \"total\": str(total)}})",
    "",
    "class Service{n}(BaseService):",
    "    timeout = 5",
    "    def fetch(self, key: str) -> dict[str, object]:",
    "        response = self.session.get(f\"{{self.base}}/items/{{key}}\", timeout=self.timeout)",
    "        response.raise_for_status()",
    "        return response.json()",
    "    # cache results for the next caller",
    "    for index, row in enumerate(rows):",
    "        if not row.get(\"active\"):",
    "            continue",
    "        results.append(transform(row, index))",
    "    with open(path, encoding=\"utf-8\") as handle:",
    "        payload = json.load(handle)",
    "    return [Item(**entry) for entry in payload[\"entries\"]]",
    "    assert isinstance(value, str), value",
    "    @property",
    "    def name(self) -> str:",
    "        return self._name",
    "import logging",
    "from collections import defaultdict",
    "    counts = defaultdict(int)",
    "    elapsed = time.monotonic() - started",
]
JAVASCRIPT = [
    "export async function load{n}(id) {{",
    "  const res = await fetch(`/api/items/${{id}}`, {{ credentials: 'same-origin' }});",
    "  if (!res.ok) throw new Error(`failed ${{res.status}}`);",
    "  const data = await res.json();",
    "  return data.items.filter((item) => item.visible).map((item) => item.id);",
    "}}",
    "const config{n} = {{ retries: 3, backoff: 200, endpoint: process.env.API_URL }};",
    "import {{ useState, useEffect }} from 'react';",
    "  const [items, setItems] = useState([]);",
    "  useEffect(() => {{ load{n}(props.id).then(setItems); }}, [props.id]);",
    "  return <List items={{items}} onSelect={{(id) => navigate(`/items/${{id}}`)}} />;",
    "  const total = items.reduce((sum, item) => sum + item.price, 0);",
    "  console.debug('rendered', {{ count: items.length }});",
    "}});",
]
YAML = [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: service-{n}",
    "spec:",
    "  replicas: 3",
    "  template:",
    "    spec:",
    "      containers:",
    "        - name: app",
    "          image: registry.example.com/service-{n}:1.{n}.0",
    "          resources: {{limits: {{cpu: 500m, memory: 256Mi}}}}",
]
TERRAFORM = [
    "resource \"aws_instance\" \"web_{n}\" {{",
    "  ami           = var.ami",
    "  instance_type = \"t3.micro\"",
    "  tags = {{ Name = \"web-{n}\" }}",
    "}}",
]
SQL = [
    "CREATE TABLE IF NOT EXISTS events_{n} (id bigint primary key, payload jsonb);",
    "INSERT INTO events_{n} (id, payload) VALUES (1, '{{}}');",
    "SELECT id FROM events_{n} WHERE payload ? 'kind';",
]
SHELL = ["set -euo pipefail", "echo \"deploying {n}\"", "docker build -t app:{n} .", "./run-tests.sh --fast"]
# Lines that rules match, sprinkled in at a low rate (as in real changes).
RISKY = [
    "    resp = requests.get(url, verify=False)",
    "rm -rf ./build/cache",
    "    cursor.execute(\"DELETE FROM sessions;\")",
    "# noqa: E501",
    "      privileged: true",
]
KINDS = [
    ("py", PYTHON, 0.50), ("js", JAVASCRIPT, 0.20), ("yaml", YAML, 0.12), ("tf", TERRAFORM, 0.08),
    ("sql", SQL, 0.05), ("sh", SHELL, 0.05),
]


def generate_diff(total_lines: int, files: int = 120, seed: int = 7) -> bytes:
    """A git-style diff of ``files`` files, about ``total_lines`` hunk lines, deterministic."""
    rng = random.Random(seed)
    per_file = total_lines // files
    out: list[str] = []
    for number in range(files):
        ext, templates, _ = rng.choices(KINDS, weights=[k[2] for k in KINDS])[0]
        folder = ["services", "web", "deploy", "infra", "db/migrations", "scripts"][number % 6]
        path = f"{folder}/module_{number}/file_{number}.{ext}"
        out.append(f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}")
        old_line = new_line = 1
        written = 0
        while written < per_file:
            size = rng.randint(20, 60)
            body: list[str] = []
            old_count = new_count = 0
            for position in range(size):
                text = rng.choice(templates).format(n=number * 1000 + position)
                if rng.random() < 0.002:
                    text = rng.choice(RISKY)
                kind = rng.random()
                if kind < 0.35:
                    body.append("+" + text)
                    new_count += 1
                elif kind < 0.55:
                    body.append("-" + text)
                    old_count += 1
                else:
                    body.append(" " + text)
                    old_count += 1
                    new_count += 1
            out.append(f"@@ -{old_line},{old_count} +{new_line},{new_count} @@")
            out.extend(body)
            old_line += old_count + 10
            new_line += new_count + 10
            written += size
    return ("\n".join(out) + "\n").encode("utf-8")


def timed(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mirror", default=os.environ.get("REVIEWER_BENCH_MIRROR"))
    parser.add_argument("--range", dest="revision_range", default=None)
    args = parser.parse_args()

    ok = measure("synthetic", generate_diff(args.lines), args.repeat)
    if args.mirror:
        from bigdiff import REAL_RANGE, real_diff

        revision_range = args.revision_range or os.environ.get("REVIEWER_BENCH_RANGE", REAL_RANGE)
        ok = measure(f"real {revision_range}", real_diff(args.mirror, revision_range), args.repeat) and ok
    else:
        print("real diff: skipped (give --mirror DIR or set REVIEWER_BENCH_MIRROR)")
    return 0 if ok else 1


def measure(label: str, data: bytes, repeat: int) -> bool:
    """Print the side-by-side timings of one diff; True when parse + assess is under 3x unidiff."""
    args = argparse.Namespace(repeat=repeat)
    text = data.decode("utf-8")
    rules = load_rules(None)  # parsed once, as a long-running process or the gate would
    changes = parse_patch(data, "bench.diff")
    report = assess(changes[0], None, rules)

    # Interleave the measurements so that machine noise hits both sides alike.
    bare = timed(lambda: unidiff.PatchSet(text), args.repeat)
    ours_parse = timed(lambda: parse_patch(data, "bench.diff"), args.repeat)
    ours_assess = timed(lambda: assess(changes[0], None, rules), args.repeat)
    full = timed(lambda: assess(parse_patch(data, "bench.diff")[0], None, rules), args.repeat)
    bare_again = timed(lambda: unidiff.PatchSet(text), args.repeat)
    bare = min(bare, bare_again)

    lines = data.count(b"\n")
    print(f"{label} diff: {lines:,} lines, {len(data) / 1e6:.1f} MB, {len(changes[0].files)} files, "
          f"{len(rules.rules)} rules, {len(report.findings)} findings, level {report.level}")
    print(f"{'step':<42} {'median s':>9} {'x unidiff':>10}")
    for label, seconds in [
        ("unidiff.PatchSet (bare parse)", bare),
        ("diffparse.parse_patch", ours_parse),
        ("risk.assess (rules + change model)", ours_assess),
        ("parse_patch + assess", full),
    ]:
        print(f"{label:<42} {seconds:>9.3f} {seconds / bare:>10.2f}")
    # Where the time goes: a pattern that can match a line break is scanned over the whole side of
    # a file as soon as its literal occurs (docs/risk-rules.md, "Where a pattern matches").
    patterns = [p for rule in rules.rules for p in (rule.added, rule.removed) if p is not None]
    spanning = sum(1 for p in patterns if can_span_lines(p))
    unfiltered = sum(1 for p in patterns if prefilter_for(p) is None)
    print(f"patterns: {len(patterns)}, {spanning} can span lines, {unfiltered} without a literal pre-filter")
    verdict = "OK" if full < 3 * bare else "OVER TARGET"
    print(f"target: parse + assess < 3x bare unidiff parse -> {full / bare:.2f}x {verdict}")
    return full < 3 * bare


if __name__ == "__main__":
    sys.exit(main())
