"""A small, real review workspace for the GUI tests: a git repository with a policy, allowed
signers, a service catalog, two seniors' SSH keys (made by ssh-keygen) and two queued changes.

Built once per test module (the keys and analysis are the slow part) and copied nowhere: tests that
sign use their own database copy so they never see each other's events.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.gitrepo import GitRepo, init_repo

AUTHOR = ("Dana Dev", "dana@example.com")
SENIORS = ("sam.senior@example.com", "ria.senior@example.com")

POLICY = """\
[people."dana@example.com"]
level = "mid"
teams = ["team-data"]

[people."sam.senior@example.com"]
level = "senior"
teams = ["team-data"]

[people."ria.senior@example.com"]
level = "senior"
teams = ["team-web"]

[defaults]
approvals = 1
min_level = "senior"

[[rules]]
name = "High risk"
when = { risk_at_least = "high" }
require = { approvals = 2, min_level = "senior" }
"""

SERVICES = """\
[services.orders-db]
paths = ["db/**"]
tier = 0
owner = "team-data"

[services.checkout]
paths = ["services/checkout/**"]
tier = 1
owner = "team-web"
depends_on = ["orders-db"]

[services.storefront]
paths = ["web/**"]
tier = 2
owner = "team-web"
depends_on = ["checkout"]

[services.search]
paths = ["search/**"]
tier = 3
owner = "team-search"
"""

RISKY_MIGRATION = """\
-- clean up legacy data
DROP TABLE orders;
DELETE FROM customers;
"""


@dataclass
class ReviewWorkspace:
    repo: Path
    keys: dict[str, Path]  # principal -> private key file
    risky_patch: Path  # format-patch of the dangerous change
    docs_patch: Path  # format-patch of a harmless change
    bad_patch: Path  # not a patch at all

    def fresh_db(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "reviewer.db"


def make_key(folder: Path, principal: str, passphrase: str = "") -> Path:
    key = folder / principal.split("@")[0]
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", principal, "-f", str(key)],
                   check=True, capture_output=True)
    return key


def build_review_workspace(root: Path) -> ReviewWorkspace:
    keys_dir = root / "keys"
    keys_dir.mkdir(parents=True)
    keys = {principal: make_key(keys_dir, principal) for principal in SENIORS}
    allowed = ""
    for principal, key in keys.items():
        key_type, key_base64 = Path(f"{key}.pub").read_text().split()[:2]
        allowed += f'{principal} namespaces="reviewer-app" {key_type} {key_base64}\n'
    repo: GitRepo = init_repo(root / "repo")
    repo.write(".reviewer/policy.toml", POLICY, dedent=False)
    repo.write(".reviewer/services.toml", SERVICES, dedent=False)
    repo.write(".reviewer/allowed_signers", allowed, dedent=False)
    repo.write("db/schema.sql", "CREATE TABLE orders (id int);\nCREATE TABLE customers (id int);\n", dedent=False)
    repo.write("services/checkout/app.py", "def checkout():\n    return 'ok'\n", dedent=False)
    repo.write("web/index.html", "<h1>Shop</h1>\n", dedent=False)
    repo.write("README.md", "# Shop\n", dedent=False)
    repo.commit("Shop platform with review policy", author=("Omar Owner", "omar@example.com"))
    repo.git("checkout", "-q", "-b", "cleanup")
    repo.write("db/migrations/0042_cleanup.sql", RISKY_MIGRATION, dedent=False)
    repo.write("services/checkout/app.py", "def checkout():\n    return 'ok'\n\n\ndef refund():\n    return 'no'\n",
               dedent=False)
    repo.commit("Drop legacy orders table\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n", author=AUTHOR)
    risky = root / "cleanup.patch"
    risky.write_bytes(repo.format_patch())
    repo.git("checkout", "-q", "main")
    repo.git("checkout", "-q", "-b", "docs")
    repo.write("README.md", "# Shop\n\nHow to run the shop locally.\n", dedent=False)
    repo.commit("Document local setup", author=AUTHOR)
    docs = root / "docs.patch"
    docs.write_bytes(repo.format_patch())
    repo.git("checkout", "-q", "main")
    bad = root / "broken.patch"
    bad.write_bytes(b"this is not a diff\n\x00\x01binary junk")
    return ReviewWorkspace(repo=repo.path, keys=keys, risky_patch=risky, docs_patch=docs, bad_patch=bad)


def queue_patches(db_path: Path, workspace: ReviewWorkspace) -> list[str]:
    """Analyse and queue both changes the way the window does (through ui.backend)."""
    from reviewer_app.ui import backend

    ids = []
    for patch in (workspace.risky_patch, workspace.docs_patch):
        ids += backend.ingest_bytes(db_path, patch.read_bytes(), str(patch), workspace.repo)
    return ids


def copy_workspace(template: ReviewWorkspace, root: Path) -> ReviewWorkspace:
    shutil.copytree(template.repo.parent, root, symlinks=True)
    moved = {p: root / Path(k).relative_to(template.repo.parent) for p, k in template.keys.items()}
    return ReviewWorkspace(repo=root / "repo", keys=moved, risky_patch=root / "cleanup.patch",
                           docs_patch=root / "docs.patch", bad_patch=root / "broken.patch")
