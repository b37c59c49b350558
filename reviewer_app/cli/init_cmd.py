"""``reviewer-app init``: the three files a repository needs, and the CI recipes to gate it.

Asks which SSH keys may sign only at a terminal; scripts pass ``--email`` and ``--key``. Never
overwrites a file (exit 2 naming it). The files are written to the work tree; the gate reads them
from the base branch, so the command ends by saying to commit them there.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from reviewer_app.errors import UserError

RECIPES = (("GitHub Actions (.github/workflows/reviewer-gate.yml)", "github-actions.yml"),
           ("GitLab CI (add to .gitlab-ci.yml)", "gitlab-ci.yml"),
           ("A plain shell step for any CI", "gate-step.sh"))


def register(subparsers: argparse._SubParsersAction) -> None:
    init = subparsers.add_parser(
        "init", help="set up .reviewer/ (policy, allowed signers, services) in a repository and print CI recipes",
        description=("Write .reviewer/policy.toml (AI-assisted changes by junior or mid-level engineers need a "
                     "senior; high risk needs two), .reviewer/allowed_signers (your email and SSH public keys) and, "
                     "without a Backstage catalog, .reviewer/services.toml guessed from the top-level folders. "
                     "Existing files are never overwritten. Then print CI recipes (also in packaging/ci/)."))
    init.add_argument("--repo", metavar="DIR", help="the repository (default: the one around the current folder)")
    init.add_argument("--email", help="the email you sign as (default: git config user.email)")
    init.add_argument("--key", metavar="PUBKEY", action="append", default=[],
                      help="an SSH public key file that may sign for you (repeatable; default: ask, at a terminal, "
                           "among ~/.ssh/*.pub)")
    init.add_argument("--yes", action="store_true",
                      help="do not ask: with several keys in ~/.ssh and no --key, stop and ask for --key instead")
    init.add_argument("--no-recipes", action="store_true", help="do not print the CI recipes")
    init.set_defaults(handler=run_init)


def _repository(repo_arg: str | None) -> Path:
    from reviewer_app.core.gitcmd import repository_root

    start = Path(repo_arg).expanduser() if repo_arg else Path.cwd()
    if not start.is_dir():
        raise UserError(f"{repo_arg}: no such directory (given with --repo)")
    root = repository_root(start)
    if root is None:
        raise UserError(f"{start}: not a git repository (run `git init` first, or give --repo DIR)")
    return root


def _choose_keys(found: list, ask: bool) -> list:
    if len(found) <= 1 or not ask:
        if len(found) > 1:
            listed = ", ".join(k.path for k in found)
            raise UserError(f"init: several SSH public keys in ~/.ssh ({listed}); name the ones that may sign "
                            "with --key PUBKEY")
        return found
    print("SSH public keys found; which may sign approvals for you?")
    for number, key in enumerate(found, 1):
        print(f"  {number}. {key.path}  {key.line[:60]}")
    answer = input("Numbers separated by spaces, or 'all' [1]: ").strip().lower() or "1"
    if answer == "all":
        return found
    chosen = []
    for word in answer.replace(",", " ").split():
        if not word.isdigit() or not 1 <= int(word) <= len(found):
            raise UserError(f"init: {word!r} is not one of the numbers 1 to {len(found)}")
        chosen.append(found[int(word) - 1])
    return chosen


def recipe_text(name: str) -> str:
    return resources.files("reviewer_app.resources").joinpath("ci", name).read_text(encoding="utf-8")


def run_init(args: argparse.Namespace) -> int:
    from reviewer_app.core.adoption.init import find_public_keys, plan_init, read_public_key, write_init
    from reviewer_app.core.gitcmd import configured_email, run_git

    root = _repository(args.repo)
    email = (args.email or configured_email(root) or "").strip()
    if args.key:
        keys = [read_public_key(Path(k).expanduser()) for k in args.key]
    else:
        keys = _choose_keys(find_public_keys(Path.home() / ".ssh"), ask=sys.stdin.isatty() and not args.yes)
    tracked = run_git(root, "ls-files", "-z").stdout.decode("utf-8", "replace").split("\0")
    planned = plan_init(root, email, keys, [p for p in tracked if p])
    for path in write_init(root, planned):
        print(f"wrote {path.relative_to(root)}")
    print(f"\nNext: review the files, then commit them to the default branch (the gate reads .reviewer/ from the "
          f"base of each change, never from the change):\n  git -C {root} add .reviewer && "
          f"git -C {root} commit -m 'Reviewer: policy and allowed signers'\n"
          "Teammates add their own key lines to .reviewer/allowed_signers (a change that a senior approves).")
    if not args.no_recipes:
        for title, name in RECIPES:
            print(f"\n# --- {title} ---")
            print(recipe_text(name).rstrip("\n"))
        print("\n# A git pre-push hook for authors: packaging/ci/pre-push in the Reviewer repository "
              "(or the package's resources/ci/pre-push)")
    return 0
