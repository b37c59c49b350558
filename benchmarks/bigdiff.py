"""A deterministic, realistic large diff for benchmarks: ~153k lines, 7.9 MB, 120 files.

Larger in bytes than the issues' ~6 MB reference diff, so the ratios it gives are on the safe side.
"""

from __future__ import annotations

import random

_SNIPPETS = [
    "    result = client.fetch(order_id, timeout=settings.REQUEST_TIMEOUT)",
    "    if not result.ok:",
    "        raise PaymentError(f\"payment {order_id} failed: {result.status}\")",
    "    for item in cart.items:",
    "        total += item.price * item.quantity",
    "    logger.info(\"checkout complete\", extra={\"order\": order_id})",
    "    return Response(status=200, body=json.dumps(payload))",
    "def compute_discount(customer, basket, *, rules=DEFAULT_RULES):",
    "    \"\"\"Apply the first matching discount rule to the basket.\"\"\"",
    "    retries = max(1, config.get(\"retries\", 3))",
    "    cache.set(key, value, ttl=300)",
    "class InventoryReservation:",
    "    def __init__(self, sku: str, quantity: int) -> None:",
    "        self.sku = sku",
    "        self.quantity = quantity",
    "    query = session.query(Order).filter(Order.status == \"open\")",
    "    # keep the old behaviour for legacy clients",
    "    assert quantity >= 0, \"quantity must not be negative\"",
]


def big_diff(files: int = 120, lines_per_file: int = 1250, seed: int = 7) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    for index in range(files):
        path = f"services/svc{index % 12}/app/module_{index}.py"
        out.append(f"diff --git a/{path} b/{path}")
        out.append(f"index {index:07x}..{index + 1:07x} 100644")
        out.append(f"--- a/{path}")
        out.append(f"+++ b/{path}")
        written = 0
        start = 1
        while written < lines_per_file:
            body: list[str] = []
            old = new = 0
            for _ in range(rng.randint(20, 60)):
                text = rng.choice(_SNIPPETS) + (f" # {rng.randint(0, 999)}" if rng.random() < 0.3 else "")
                kind = rng.random()
                if kind < 0.55:
                    body.append(" " + text)
                    old += 1
                    new += 1
                elif kind < 0.75:
                    body.append("-" + text)
                    old += 1
                else:
                    body.append("+" + text)
                    new += 1
            out.append(f"@@ -{start},{old} +{start},{new} @@ def handler_{written}():")
            out.extend(body)
            written += len(body) + 1
            start += old + 7
    return "\n".join(out) + "\n"


# -- a real diff: two releases of a large project, from a local clone ------------------------------
# The default is SQLAlchemy rel_2_0_0..rel_2_0_40 (about 165,000 lines, 6.1 MB, 694 files): a big
# Python code base whose releases touch code, tests, docs and CI. Nothing of it is kept here; the
# benchmark diffs a clone the caller names (--mirror, or REVIEWER_BENCH_MIRROR).
REAL_RANGE = "rel_2_0_0..rel_2_0_40"


def real_diff(mirror: str, revision_range: str = REAL_RANGE) -> bytes:
    """``git diff`` of two revisions of the repository at ``mirror`` (a work tree or a bare mirror)."""
    import subprocess

    base, head = revision_range.split("..", 1)
    return subprocess.run(
        ["git", "-C", mirror, "-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", base, head],
        check=True, capture_output=True,
    ).stdout
