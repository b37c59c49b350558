"""Sync and export speed: the budgets of the issue, measured side by side in one run.

    .venv/bin/python benchmarks/bench_sync.py [--events 10000] [--export-events 100000]

Budgets: a sync importing 10,000 new events < 10 s; an incremental sync with one new event < 1 s;
an export of 100,000 events to jsonl < 5 s. Also measured, to show why reads are batched: one
``git cat-file --batch`` against one ``git cat-file blob`` per object on the same objects.
Everything is real (ssh-keygen key, signed events, git repositories, SQLite files) in a temporary
folder. The machine is shared and noisy: read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["GIT_CONFIG_GLOBAL"] = os.devnull  # the user's git configuration must not change the numbers
os.environ["GIT_CONFIG_NOSYSTEM"] = "1"

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys  # noqa: E402
from reviewer_app.core.export import ExportFilter, write_export  # noqa: E402
from reviewer_app.core.export.verify import verify_export  # noqa: E402
from reviewer_app.core.sync import fetch_for_changes, gitobjects, run_sync  # noqa: E402
from reviewer_app.core.sync.dbtx import insert_events, transaction  # noqa: E402
from reviewer_app.core.sync.refs import signer_ref  # noqa: E402
from reviewer_app.core.workspace import Workspace  # noqa: E402

EMAIL = "alice@example.com"
CHANGE = "sha256:" + "a" * 64


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_team(root: Path) -> tuple[Path, Path, keys.Signer]:
    key = root / "alice_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", EMAIL, "-f", str(key)], check=True)
    remote = root / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(remote))
    seed = root / "seed"
    git("init", "-q", "-b", "main", str(seed))
    (seed / ".reviewer").mkdir()
    public = Path(f"{key}.pub").read_text().strip()
    (seed / ".reviewer" / "allowed_signers").write_text(f'{EMAIL} namespaces="reviewer-app" {public}\n')
    git("add", "-A", cwd=seed)
    git("-c", "user.name=Seed", "-c", f"user.email={EMAIL}", "commit", "-q", "-m", "seed", cwd=seed)
    git("push", "-q", str(remote), "main", cwd=seed)
    return remote, key, keys.file_signer(key, EMAIL)


def signed_chain(signer: keys.Signer, count: int, start_prev: str | None = None) -> list[events.SignedEvent]:
    """``count`` approvals in one signer's chain (signed directly: create_event re-reads the chain each time)."""
    made, prev = [], start_prev
    for number in range(count):
        payload = events.canonical_json({
            "v": 1, "type": "approve", "change_id": CHANGE, "principal": signer.principal, "key": signer.fingerprint,
            "created_at": "2026-11-29T12:00:00Z", "prev": prev, "acks": [], "comment": f"approval {number}",
        })
        event = events.SignedEvent(events.event_id(payload), payload, signer.sign(payload.encode()))
        made.append(event)
        prev = event.id
    return made


def clone(remote: Path, path: Path) -> Path:
    git("clone", "-q", str(remote), str(path))
    return path


def timed(label: str, action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    print(f"  {label:<58} {elapsed:8.3f} s")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--export-events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as folder:
        root = Path(folder)
        remote, _, signer = make_team(root)
        writer_repo, reader_repo = clone(remote, root / "writer"), clone(remote, root / "reader")
        writer_db, reader_db = store.open_db(root / "writer.db"), store.open_db(root / "reader.db")
        print(f"signing {args.events} events ...")
        chain = signed_chain(signer, args.events)
        with transaction(writer_db):
            insert_events(writer_db, chain, origin="local", pushed=False)

        print(f"sync ({args.events} events)")
        push_all = timed(f"push {args.events} new events (writer)", lambda: run_sync(writer_db, writer_repo))
        import_all = timed(f"fetch, verify, import {args.events} new events (reader)",
                           lambda: run_sync(reader_db, reader_repo))
        assert reader_db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == args.events

        [one] = signed_chain(signer, 1, start_prev=chain[-1].id)
        with transaction(writer_db):
            insert_events(writer_db, [one], origin="local", pushed=False)
        push_one = timed("incremental: push 1 new event (writer)", lambda: run_sync(writer_db, writer_repo))
        import_one = timed("incremental: import 1 new event (reader)", lambda: run_sync(reader_db, reader_repo))
        idle = timed("incremental: nothing new (reader)", lambda: run_sync(reader_db, reader_repo))

        # gate --fetch's fetch in a fresh CI clone (no local objects, empty database). Every event here
        # is alice's and about one change, so the gate must read her whole ledger: the worst case of
        # the narrow fetch (benchmarks/bench_org_scale.py measures the common case at 1,000,000 events).
        ci_repo = root / "ci"
        git("clone", "-q", "--no-local", str(remote), str(ci_repo))
        ci_db = store.open_db(root / "ci.db")
        base = Workspace(ci_repo, revision=gitobjects.resolve_commit(ci_repo, "HEAD"))
        gate_fetch = timed(f"gate --fetch: one change, its decider's {args.events + 1} events",
                           lambda: fetch_for_changes(ci_db, ci_repo, "origin", [CHANGE], trusted=base))
        assert ci_db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == args.events + 1

        print("reading objects: batched against one process per object (300 event files)")
        tip = gitobjects.resolve_commit(reader_repo, f"refs/reviewer-app-remote/origin/{signer_ref(EMAIL)[len('refs/reviewer-app/'):]}")
        assert tip is not None
        blobs = list(gitobjects.list_tree(reader_repo, tip).values())[:300]
        batched = timed("git cat-file --batch, one process", lambda: gitobjects.read_blobs(reader_repo, blobs))
        one_by_one = timed("git cat-file blob, 300 processes",
                           lambda: [git("-C", str(reader_repo), "cat-file", "blob", b) for b in blobs])

        print("writing objects: one pack from fast-import against loose objects from hash-object (2,000 blobs)")
        samples = [b"blob %d %s\n" % (n, b"x" * 600) for n in range(2000)]
        packed = timed("git fast-import, one pack", lambda: gitobjects._fast_import_blobs(reader_repo, samples))
        loose = timed("git hash-object --stdin-paths, loose objects",
                      lambda: gitobjects._hash_object_blobs(reader_repo, [s + b"2" for s in samples]))

        print(f"export ({args.export_events} events)")
        big_db = store.open_db(root / "big.db")
        print(f"  signing {args.export_events - len(chain) - 1} more events ...")
        more = signed_chain(signer, args.export_events - len(chain) - 1, start_prev=one.id)
        with transaction(big_db):
            insert_events(big_db, [*chain, one, *more], origin="local", pushed=True)
        out = root / "audit.jsonl"
        export = timed(f"export {args.export_events} events to jsonl",
                       lambda: write_export(big_db, "jsonl", out, ExportFilter()))
        small = root / "audit-small.jsonl"
        write_export(reader_db, "jsonl", small, ExportFilter())
        signers = root / "seed" / ".reviewer" / "allowed_signers"
        verify = timed(f"verify-export of {args.events + 1} events (every signature)",
                       lambda: verify_export(small, signers))

    print("\nsummary (budget ratio < 1.0 means within budget)")
    rows = [
        (f"sync, {args.events} new events (import side)", import_all, 10.0),
        (f"sync, {args.events} new events (push side)", push_all, 10.0),
        ("incremental sync, 1 new event (import side)", import_one, 1.0),
        ("incremental sync, 1 new event (push side)", push_one, 1.0),
        (f"gate --fetch fetch, decider with {args.events} events", gate_fetch, 10.0),
        (f"export {args.export_events} events to jsonl", export, 5.0),
    ]
    for label, seconds, budget in rows:
        print(f"  {label:<46} {seconds:7.3f} s  budget {budget:5.1f} s  ratio {seconds / budget:5.2f}")
    print(f"  nothing-new sync took {idle:.3f} s; verify-export checks {(args.events + 1) / verify:.0f} events/s")
    print(f"  batched object reads were {one_by_one / batched:.0f}x faster than one process per object")
    print(f"  writing 2,000 blobs as one pack was {loose / packed:.1f}x faster than as loose objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
