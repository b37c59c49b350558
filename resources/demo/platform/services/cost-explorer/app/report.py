"""Monthly cost per team, from the AWS cost and usage export."""

from __future__ import annotations

from collections import defaultdict


def cost_per_team(rows) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[row.get("team", "untagged")] += float(row["cost"])
    return dict(sorted(totals.items()))
