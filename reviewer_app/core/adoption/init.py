"""What ``reviewer-app init`` writes: a commented policy, allowed signers, and a starting service catalog.

The policy is the controlled-friction default that the product exists for: an AI-assisted change by
a junior or mid-level engineer needs a senior's approval, and a high or critical change needs two.
The catalog is a first guess from the repository's top-level folders, to be corrected by hand; it is
written only when no Backstage descriptor exists (Backstage stays the source of truth there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reviewer_app.errors import UserError

POLICY = ".reviewer/policy.toml"
ALLOWED_SIGNERS = ".reviewer/allowed_signers"
SERVICES = ".reviewer/services.toml"
BACKSTAGE_FILES = ("catalog-info.yaml", "catalog-info.yml")
# Folders that are not services: tooling, docs, CI, vendored code.
_NOT_SERVICES = {".git", ".github", ".gitlab", ".reviewer", ".vscode", ".idea", "docs", "doc", "scripts", "tools",
                 "vendor", "third_party", "node_modules", "build", "dist", "target", "bin", ".venv", "venv",
                 "tests", "test", "examples", "example", "hack", ".circleci", ".devcontainer"}
_GROUPING = {"services", "apps", "cmd", "packages", "components", "modules", "charts", "deploy", "infra"}
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEY_LINE = re.compile(r"^(ssh-ed25519|sk-ssh-ed25519@openssh\.com|ecdsa-sha2-nistp(256|384|521)|"
                       r"sk-ecdsa-sha2-nistp256@openssh\.com|ssh-rsa)\s+[A-Za-z0-9+/=]+(\s.*)?$")


@dataclass(frozen=True)
class PublicKey:
    path: str  # where it came from, for messages
    line: str  # "ssh-ed25519 AAAA... comment"


@dataclass(frozen=True)
class InitFile:
    path: str  # repository-relative
    text: str


def read_public_key(path: Path) -> PublicKey:
    """A one-line OpenSSH public key file; UserError naming the file when it is anything else."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise UserError(f"{path}: no such public key file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the public key: {exc}") from exc
    if "PRIVATE KEY" in text:
        raise UserError(f"{path}: this is a private key; give the public key (the .pub file)")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1 or not _KEY_LINE.match(lines[0]):
        raise UserError(f"{path}:1: not an OpenSSH public key line (expected 'ssh-ed25519 AAAA… comment')")
    return PublicKey(str(path), lines[0])


def find_public_keys(ssh_dir: Path) -> list[PublicKey]:
    """The readable public keys in ``~/.ssh`` (``*.pub``), Ed25519 first; unreadable ones are skipped."""
    keys: list[PublicKey] = []
    if not ssh_dir.is_dir():
        return keys
    for path in sorted(ssh_dir.glob("*.pub")):
        try:
            keys.append(read_public_key(path))
        except UserError:
            continue
    keys.sort(key=lambda k: (not k.line.startswith("ssh-ed25519"), k.path))
    return keys


def policy_text(email: str, team: str) -> str:
    return f'''# Who is who, and how many approvals each kind of change needs (docs/approvals.md).
# The gate reads this file from the base branch of the change it judges, never from the change itself,
# so commit it to the default branch before relying on it.

# The roster: every engineer whose changes or approvals the gate should know.
# level = "junior" | "mid" | "senior" | "principal" | "agent" (an agent's approval never counts).
# Someone missing here is judged as a junior when they author a change, and counts as nobody when they approve.
[people."{email}"]
level = "senior"
teams = ["{team}"]

# [people."junior.dev@example.com"]
# level = "junior"
# teams = ["team-checkout"]

# When no rule below matches: one approval from a mid-level engineer or above.
[defaults]
approvals = 1
min_level = "mid"

# Controlled friction: an AI-assisted change by a junior or mid-level engineer needs a senior's sign-off.
[[rules]]
name = "AI-assisted change by a junior or mid-level engineer"
when = {{ ai_assisted = true, author_level = ["junior", "mid"] }}
require = {{ approvals = 1, min_level = "senior" }}

# A high or critical risk rating needs two seniors.
[[rules]]
name = "High or critical risk"
when = {{ risk_at_least = "high" }}
require = {{ approvals = 2, min_level = "senior" }}

# Changes reaching a tier-0 service need a senior from a team that owns an affected service
# (tiers and owners come from .reviewer/services.toml or Backstage's catalog-info.yaml).
# [[rules]]
# name = "Touches a tier-0 service"
# when = {{ tier_at_most = 0 }}
# require = {{ approvals = 1, min_level = "senior", owner_of_affected = true }}
'''


def allowed_signers_text(email: str, keys: list[PublicKey]) -> str:
    lines = ["# Which SSH key may sign for which email (OpenSSH allowed_signers; docs/approvals.md).",
             "# Emails in lower case: an approval counts only under a lower-case principal.",
             "# One line per key: email, the options, then the public key as in ~/.ssh/*.pub."]
    for key in keys:
        lines.append(f'{email} namespaces="reviewer-app" {key.line}')
    return "\n".join(lines) + "\n"


def guess_services(top_level: list[str], file_counts: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(service name, path) guesses: each folder under a grouping folder (services/, apps/…), else each
    top-level folder that is not tooling or docs."""
    found: list[tuple[str, str]] = []
    for folder in sorted(top_level):
        if folder in _NOT_SERVICES or folder.startswith("."):
            continue
        children = file_counts.get(folder, [])
        if folder in _GROUPING and children:
            found.extend((child, f"{folder}/{child}/") for child in sorted(children) if _SERVICE_NAME.match(child))
        elif _SERVICE_NAME.match(folder):
            found.append((folder, f"{folder}/"))
    return found


def services_text(services: list[tuple[str, str]], owner: str) -> str:
    lines = ["# A first guess at the services in this repository, from its folders: correct it by hand",
             "# (docs/services.md). tier 0 is the most critical; owner is a team; depends_on names services.",
             ""]
    for name, path in services:
        lines += [f'[services."{name}"]', f'paths = ["{path}"]', "tier = 2", f'owner = "{owner}"',
                  'lifecycle = "production"', "depends_on = []", ""]
    if not services:
        lines.append("# No service folders found. Example:")
        lines += ['# [services."checkout"]', '# paths = ["services/checkout/"]', "# tier = 1", '# owner = "team-checkout"']
    return "\n".join(lines).rstrip("\n") + "\n"


def plan_init(root: Path, email: str, keys: list[PublicKey], tracked_files: list[str]) -> list[InitFile]:
    """The files init would write; UserError naming the first that already exists (nothing is overwritten)."""
    if not email or "@" not in email:
        raise UserError("init: no email to sign as: set `git config user.email` or give --email")
    email = email.strip().lower()
    if not keys:
        raise UserError("init: no SSH public key found in ~/.ssh: create one with `ssh-keygen -t ed25519` "
                        "or give --key PUBKEY")
    team = "team-" + re.sub(r"[^a-z0-9-]+", "-", email.split("@")[0]).strip("-")
    files = [InitFile(POLICY, policy_text(email, team)), InitFile(ALLOWED_SIGNERS, allowed_signers_text(email, keys))]
    if not any(path.rsplit("/", 1)[-1] in BACKSTAGE_FILES for path in tracked_files):
        top = sorted({p.split("/", 1)[0] for p in tracked_files if "/" in p})
        children: dict[str, list[str]] = {}
        for path in tracked_files:
            parts = path.split("/")
            if len(parts) > 2:
                children.setdefault(parts[0], [])
                if parts[1] not in children[parts[0]]:
                    children[parts[0]].append(parts[1])
        files.append(InitFile(SERVICES, services_text(guess_services(top, children), team)))
    for item in files:
        if (root / item.path).exists():
            raise UserError(f"{root / item.path}: already exists; init never overwrites a file "
                            "(edit it, or move it away and run init again)")
    return files


def write_init(root: Path, files: list[InitFile]) -> list[Path]:
    """Write every planned file; each is created exclusively (a file that appeared meanwhile is not touched)."""
    written: list[Path] = []
    for item in files:
        path = root / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(item.text)
        except FileExistsError as exc:
            raise UserError(f"{path}: already exists; init never overwrites a file") from exc
        written.append(path)
    return written
