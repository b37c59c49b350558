"""``catalog``: lint the team's service catalog, or print it as a graph, without any change."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    catalog = subparsers.add_parser(
        "catalog", help="check the service catalog (Backstage, services.toml, CODEOWNERS) or export its graph",
        description="Load the reviewed repository's service catalog the way analyze and gate do.",
    )
    catalog.add_argument("action", choices=["check", "graph"],
                         help="check: list problems, exit 1 when there are any; graph: print nodes and edges as JSON")
    catalog.add_argument("--repo", metavar="DIR",
                         help="the repository (default: the git repository around the current folder)")
    catalog.add_argument("--revision", metavar="REV", help="read the catalog as committed at REV, not the work tree")
    catalog.set_defaults(handler=run_catalog)


def run_catalog(args: argparse.Namespace) -> int:
    from reviewer_app.core import services
    from reviewer_app.core.workspace import Workspace
    from reviewer_app.errors import UserError

    workspace = Workspace.discover(args.repo)
    if workspace.root is None:
        raise UserError("catalog: not inside a git repository; give --repo DIR")
    if args.revision:
        from reviewer_app.core.revisions import resolve_commit  # one ref or commit, never git's guess

        workspace = Workspace(workspace.root, revision=resolve_commit(workspace.root, args.revision, "--revision"))
    catalog = services.load_catalog(workspace)
    if args.action == "graph":
        json.dump(services.graph_export(catalog), sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    from reviewer_app.core.signing.allowed_signers import TrustStore
    from reviewer_app.core.approvals.decisions import config_drift

    problems = list(catalog.warnings) + TrustStore.load(workspace).warnings()
    for warning in problems:
        print(warning)
    drift = config_drift(workspace.root).warning() if not args.revision else None
    if drift:
        print(drift, file=sys.stderr)
    tiers = sum(1 for s in catalog.services.values() if s.tier is not None)
    print(f"{len(catalog.services)} services ({tiers} with a tier), {len(problems)} problem(s)")
    return 1 if problems else 0
