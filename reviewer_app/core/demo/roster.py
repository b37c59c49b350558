"""The team's configuration files under ``.reviewer/``, derived from the demo people."""

from __future__ import annotations

import json

from reviewer_app.core.demo.keys import allowed_signers_text, revoked_keys_text
from reviewer_app.core.demo.templates import DemoPerson, TreeFile, demo_root


def policy_text(people: list[DemoPerson]) -> str:
    """``.reviewer/policy.toml``: the roster (levels and teams by email), then the approval rules."""
    lines = ["# Who is who, and which changes need whose signed approval.", ""]
    for person in people:
        if person.revoked:
            continue  # people who left are not in the roster; their key is revoked as well
        # The policy knows people by email only; the name is a comment for whoever reads the file.
        lines.append(f"[people.{json.dumps(person.email)}]  # {person.name}")
        lines.append(f"level = {json.dumps(person.level)}")
        lines.append(f"teams = [{', '.join(json.dumps(team) for team in person.teams)}]")
        lines.append("")
    rules = (demo_root() / "policy-rules.toml").read_text(encoding="utf-8")
    return "\n".join(lines) + rules


def reviewer_config(people: list[DemoPerson]) -> dict[str, TreeFile]:
    """The files of ``.reviewer/`` by repository path."""
    return {
        ".reviewer/policy.toml": TreeFile(policy_text(people).encode("utf-8")),
        ".reviewer/allowed_signers": TreeFile(allowed_signers_text(people).encode("utf-8")),
        ".reviewer/revoked_keys": TreeFile(revoked_keys_text(people).encode("utf-8")),
    }
