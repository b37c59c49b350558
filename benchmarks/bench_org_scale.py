"""Organisation scale: `gate --fetch` on a fresh CI clone of a remote with 5,000 signers' ledgers.

    .venv/bin/python benchmarks/bench_org_scale.py [--sizes 10000,1000000] [--signers 5000] [--cache DIR]

Generates, once per size, a bare remote in ledger layout 2 (one ledger ref per signer, one index
ref per change, the layout marker) and caches it under the folder it prints (default
``~/.cache/reviewer-app/bench-org-scale``, or ``--cache``, or ``REVIEWER_APP_BENCH_CACHE``). Every
event is really signed (Ed25519, in-process, one key per signer, all listed in the base's
allowed_signers) and written with one ``git fast-import``; signing a million events takes minutes,
not hours. The judged change is approved by one senior deep inside her 200-event chain, another
senior approved and then revoked it, so the gate must read both chains to say yes.

Measured, each as a whole process on a fresh ``git clone`` with an empty database:
``reviewer-app gate PATCH --fetch`` (median of ``--runs``), the bytes it fetched (object store
growth), then on a workstation that has synced everything once (its first sync is timed too)
an incremental ``reviewer-app sync`` after 100 teammates published one event each.
The last line is one JSON object: remote, patch, gate_fetch_s_10k, gate_fetch_s_1m,
fetched_bytes_1m, incremental_sync_s, remote_bytes (plus the same figures for every size).
The machine is shared and noisy: read the ratios, not only the absolute times.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

os.environ["GIT_CONFIG_GLOBAL"] = os.devnull  # the user's git configuration must not change the numbers
os.environ["GIT_CONFIG_NOSYSTEM"] = "1"

from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402

from reviewer_app.core.approvals import events
from reviewer_app.core.signing import sshsig  # noqa: E402
from reviewer_app.core.changeid import change_id as change_id_of  # noqa: E402
from reviewer_app.core.diffparse import parse_patch  # noqa: E402
from reviewer_app.core.sync import changeindex, ledger  # noqa: E402
from reviewer_app.core.sync.refs import LAYOUT_REF, index_ref, signer_ref  # noqa: E402

NAMESPACE = "reviewer-app"
APPROVER, WITHDRAWER = 0, 1  # signer numbers: the senior whose approval stands, the senior who revoked hers
EVENTS_PER_COMMIT = 20  # a ledger commit per sync of a signer: ~20 events each
CHANGES_PER_EVENT = 4  # on average four decisions name each change
INCREMENT = 100
POLICY = """\
[people."{approver}"]
level = "senior"
[people."{withdrawer}"]
level = "senior"

[defaults]
approvals = 1
min_level = "senior"
"""
REPO = Path(__file__).resolve().parents[1]


def email(number: int) -> str:
    return f"signer{number:05d}@example.com"


class Keyring:
    """One Ed25519 key per signer, derived from the signer's number: the same keys for every size."""

    def __init__(self, count: int) -> None:
        self.private = [ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"bench-org-scale %d" % n).digest())
                        for n in range(count)]
        self.public = [sshsig.public_key_of(key) for key in self.private]

    def sign(self, number: int, payload: str) -> str:
        data = sshsig.signed_data(payload.encode("utf-8"), NAMESPACE)
        raw = sshsig.ssh_string(b"ssh-ed25519") + sshsig.ssh_string(self.private[number].sign(data))
        return sshsig.SshSignature(self.public[number], NAMESPACE, b"", "sha512", raw).armored()

    def allowed_signers(self) -> str:
        return "".join(f'{email(n)} namespaces="{NAMESPACE}" {key.openssh}\n' for n, key in enumerate(self.public))


def git(*args: str, cwd: Path | None = None, input_bytes: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, input=input_bytes).stdout.decode()


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def object_bytes(repo: Path) -> int:
    """What the clone's object store holds (loose and packed), in bytes."""
    stats = dict(line.split(": ") for line in git("-C", str(repo), "count-objects", "-v").splitlines())
    return (int(stats["size"]) + int(stats["size-pack"])) * 1024


# --- generating a remote ------------------------------------------------------------------------

def make_base(root: Path, keyring: Keyring) -> tuple[Path, Path, str]:
    """The remote with main (allowed_signers of every signer, the policy) and the judged change as a patch."""
    remote, seed = root / "remote.git", root / "seed"
    git("init", "-q", "--bare", "-b", "main", str(remote))
    git("init", "-q", "-b", "main", str(seed))
    (seed / ".reviewer").mkdir()
    (seed / ".reviewer" / "allowed_signers").write_text(keyring.allowed_signers())
    (seed / ".reviewer" / "policy.toml").write_text(POLICY.format(approver=email(APPROVER), withdrawer=email(WITHDRAWER)))
    (seed / "app").mkdir()
    (seed / "app" / "main.py").write_text("print('hello')\n")
    ident = ["-c", "user.name=Dana", "-c", "user.email=dana@example.com"]
    git("add", "-A", cwd=seed)
    git(*ident, "commit", "-q", "-m", "seed", cwd=seed)
    git("push", "-q", str(remote), "main", cwd=seed)
    (seed / "docs").mkdir()
    (seed / "docs" / "notes.md").write_text("How to run the service.\n")
    git("add", "-A", cwd=seed)
    git(*ident, "commit", "-q", "-m", "Document how to run it", cwd=seed)
    patch = root / "change.patch"
    patch.write_bytes(subprocess.run(["git", "format-patch", "-1", "--stdout", "HEAD"], cwd=seed, check=True,
                                     capture_output=True).stdout)
    [change] = parse_patch(patch.read_bytes(), str(patch))
    return remote, patch, change_id_of(change)


class Stream:
    """A ``git fast-import`` process fed as we go (a million event files never sit in memory at once)."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet", "--done",
                                      "--active-branches=64", "--depth=10"], stdin=subprocess.PIPE)
        assert self.proc.stdin is not None
        self.out: IO[bytes] = self.proc.stdin
        self.mark = 0
        self.when = 1_767_225_600

    def blob(self, data: bytes) -> int:
        self.mark += 1
        self.out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (self.mark, len(data), data))
        return self.mark

    def commit(self, ref: str, files: list[tuple[str, int]], message: str, parent: str | None = None) -> None:
        self.when += 1
        text = message.encode()
        self.out.write(b"commit %s\ncommitter reviewer-app <reviewer-app@invalid> %d +0000\ndata %d\n%s\n"
                       % (ref.encode(), self.when, len(text), text))
        if parent:
            self.out.write(b"from %s\n" % parent.encode())
        for path, mark in files:
            self.out.write(b"M 100644 :%d %s\n" % (mark, path.encode()))
        self.out.write(b"\n")

    def close(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")


def payload_of(keyring: Keyring, number: int, type_: str, change: str, at: int, prev: str | None) -> str:
    fields: dict[str, Any] = {"comment": "", "v": events.PAYLOAD_VERSION, "type": type_, "change_id": change,
                              "principal": email(number), "key": keyring.public[number].fingerprint,
                              "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)), "prev": prev}
    if type_ == "approve":
        fields.update(acks=[], risk_level="low", rule_pack="sha256:bench")
    return events.canonical_json(fields)


def generate(root: Path, total: int, signers: int, keyring: Keyring) -> dict[str, Any]:
    """Write the remote of ``total`` events; returns what the measurements need (also kept in meta.json)."""
    remote, patch, judged = make_base(root, keyring)
    per_signer = max(2, total // signers)
    pool = ["sha256:" + hashlib.sha256(b"change %d" % n).hexdigest() for n in range(max(1, total // CHANGES_PER_EVENT))]
    by_change: dict[str, list[tuple[str, int]]] = {}
    tips: dict[str, str] = {}
    stream = Stream(remote)
    start = time.perf_counter()
    for number in range(signers):
        prev: str | None = None
        pending: list[tuple[str, int]] = []
        at = 1_767_225_600 + number
        for position in range(per_signer):
            at += 60
            change, type_ = pool[(number * 7919 + position * 104_729) % len(pool)], "approve"
            if number in (APPROVER, WITHDRAWER) and position == per_signer // 2 - 1:
                change = judged  # the approval sits in the middle of her chain
            if number == WITHDRAWER and position == per_signer - 1:
                change, type_ = judged, "revoke"  # her last event withdraws it
            payload = payload_of(keyring, number, type_, change, at, prev)
            event_id = events.event_id(payload)
            mark = stream.blob(ledger.encode_event_file(payload, keyring.sign(number, payload)))
            entry = (ledger.event_path(event_id), mark)
            pending.append(entry)
            by_change.setdefault(change, []).append(entry)
            prev = event_id
            if len(pending) == EVENTS_PER_COMMIT or position == per_signer - 1:
                stream.commit(signer_ref(email(number)), pending, f"reviewer-app: {email(number)}: +{len(pending)} events")
                pending = []
        tips[str(number)] = prev or ""
        if number % 500 == 499:
            print(f"  signed {(number + 1) * per_signer:,} events ({time.perf_counter() - start:.0f} s)", flush=True)
    for change, entries in by_change.items():
        stream.commit(index_ref(change), entries, f"reviewer-app: index of {change}: +{len(entries)} events")
    stream.close()
    git("-C", str(remote), "update-ref", LAYOUT_REF, changeindex.marker_commit(remote))
    git("-C", str(remote), "pack-refs", "--all")
    write_reverse_indexes(remote)
    meta = {"remote": str(remote), "patch": str(patch), "change_id": judged, "events": per_signer * signers,
            "signers": signers, "changes": len(by_change), "tips": tips, "increments": 0,
            "generate_s": round(time.perf_counter() - start, 1)}
    (root / "meta.json").write_text(json.dumps(meta))
    return meta


def write_reverse_indexes(remote: Path) -> None:
    """A ``.rev`` file beside each pack, as servers keep them (git >= 2.41 writes them by default).

    Without one, every fetch's pack-objects rebuilds the reverse index of the whole pack in memory:
    0.4 s per fetch at a million events, a cost of the remote's size that the gate would pay twice.
    """
    git("-C", str(remote), "config", "pack.writeReverseIndex", "true")  # pushes received later write them too
    for pack in sorted((remote / "objects" / "pack").glob("*.pack")):
        if not pack.with_suffix(".rev").exists():
            git("-C", str(remote), "index-pack", "--rev-index", str(pack))


def add_increment(root: Path, meta: dict[str, Any], keyring: Keyring) -> None:
    """100 signers publish one new event each (their ledger and the change's index), as their syncs would."""
    remote = Path(meta["remote"])
    stream = Stream(remote)
    round_ = meta["increments"]
    for offset in range(INCREMENT):
        first = min(1000, meta["signers"] // 2)  # teammates other than the change's two seniors
        number = first + (round_ * INCREMENT + offset) % (meta["signers"] - first)
        prev = meta["tips"][str(number)]
        change = "sha256:" + hashlib.sha256(b"new change %d %d" % (round_, offset)).hexdigest()
        at = int(time.time()) - 86_400 + round_ * INCREMENT + offset  # after every generated event, never ahead
        payload = payload_of(keyring, number, "approve", change, at, prev)
        mark = stream.blob(ledger.encode_event_file(payload, keyring.sign(number, payload)))
        path = ledger.event_path(events.event_id(payload))
        ref = signer_ref(email(number))
        stream.commit(ref, [(path, mark)], f"reviewer-app: {email(number)}: +1 events",
                      parent=git("-C", str(remote), "rev-parse", ref).strip())
        stream.commit(index_ref(change), [(path, mark)], f"reviewer-app: index of {change}: +1 events")
        meta["tips"][str(number)] = events.event_id(payload)
    stream.close()
    write_reverse_indexes(remote)
    meta["increments"] = round_ + 1
    (root / "meta.json").write_text(json.dumps(meta))


# --- measuring ------------------------------------------------------------------------------------

def reviewer_app(*args: str) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", *args], capture_output=True, cwd=REPO)
    return time.perf_counter() - start, proc


def gate_fresh_clone(root: Path, meta: dict[str, Any], run: int) -> tuple[float, int]:
    ci = root / f"ci-{run}"
    shutil.rmtree(ci, ignore_errors=True)
    # --no-local: a CI runner receives main's objects only, as over the network (a local clone would
    # hard-link the remote's whole object store, ledgers included, and the fetch would transfer nothing).
    git("clone", "-q", "--no-local", meta["remote"], str(ci))
    git("-C", str(ci), "config", "fetch.unpackLimit", "1")  # keep what is fetched as a pack: its size is the transfer
    db = root / f"ci-{run}.db"
    db.unlink(missing_ok=True)
    before = object_bytes(ci)
    elapsed, proc = reviewer_app("--db", str(db), "gate", meta["patch"], "--repo", str(ci), "--fetch")
    if proc.returncode != 0:
        raise SystemExit(f"gate --fetch exited {proc.returncode}:\n{proc.stdout.decode()}{proc.stderr.decode()}")
    fetched = object_bytes(ci) - before
    shutil.rmtree(ci)
    for leftover in root.glob(f"ci-{run}.db*"):
        leftover.unlink()
    return elapsed, fetched


def workstation_syncs(root: Path, meta: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """First sync of a fresh clone (once, cached), then an incremental sync after 100 new events."""
    ws, db = root / "workstation", root / "workstation.db"
    figures: dict[str, Any] = meta.setdefault("workstation", {})
    if not ws.exists():
        git("clone", "-q", "--no-local", meta["remote"], str(ws))
        elapsed, proc = reviewer_app("--db", str(db), "sync", "--repo", str(ws), "--no-inbox")
        if proc.returncode != 0:
            raise SystemExit(f"first sync exited {proc.returncode}:\n{proc.stdout.decode()}{proc.stderr.decode()}")
        figures["first_sync_s"] = round(elapsed, 2)
        figures["db_bytes_after_first_sync"] = db.stat().st_size
        (root / "meta.json").write_text(json.dumps(meta))
    rows_before = _table_rows(db)
    add_increment(root, meta, keyring)
    elapsed, proc = reviewer_app("--db", str(db), "sync", "--repo", str(ws), "--no-inbox")
    if proc.returncode != 0:
        raise SystemExit(f"incremental sync exited {proc.returncode}:\n{proc.stdout.decode()}{proc.stderr.decode()}")
    rows_after = _table_rows(db)
    figures["db_bytes_after_incremental_sync"] = db.stat().st_size
    figures["incremental_sync_s"] = round(elapsed, 2)
    figures["rows_added_by_incremental_sync"] = {t: rows_after.get(t, 0) - rows_before.get(t, 0) for t in rows_after}
    (root / "meta.json").write_text(json.dumps(meta))
    return figures


def _table_rows(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="event counts, comma-separated")
    parser.add_argument("--signers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", default=os.environ.get("REVIEWER_APP_BENCH_CACHE",
                                                          str(Path.home() / ".cache" / "reviewer-app" / "bench-org-scale")))
    parser.add_argument("--no-sync", action="store_true", help="skip the workstation syncs (first and incremental)")
    args = parser.parse_args()
    cache = Path(args.cache).expanduser()
    print(f"remotes cached under {cache}")
    keyring = Keyring(args.signers)
    results: dict[str, Any] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        root = cache / f"{size}-events-{args.signers}-signers"
        meta_path = root / "meta.json"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
        else:
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            print(f"generating {size:,} events by {args.signers:,} signers in {root} ...", flush=True)
            meta = generate(root, size, args.signers, keyring)
            print(f"  generated in {meta['generate_s']} s: {meta['changes']:,} index refs", flush=True)
        runs = [gate_fresh_clone(root, meta, run) for run in range(args.runs)]
        figures: dict[str, Any] = {
            "events": meta["events"], "signers": meta["signers"], "index_refs": meta["changes"],
            "gate_fetch_s": round(statistics.median(t for t, _ in runs), 3),
            "gate_fetch_s_runs": [round(t, 3) for t, _ in runs],
            "fetched_bytes": int(statistics.median(b for _, b in runs)),
            "remote_bytes": folder_bytes(Path(meta["remote"])),
        }
        if not args.no_sync:
            figures.update(workstation_syncs(root, meta, keyring))
        print(f"{size:,} events: {json.dumps(figures)}", flush=True)
        results[str(size)] = {**figures, "remote": meta["remote"], "patch": meta["patch"]}
    sizes = sorted(results, key=int)
    small, large = results[sizes[0]], results[sizes[-1]]
    summary = {
        "remote": large["remote"], "patch": large["patch"],
        "gate_fetch_s_10k": results.get("10000", small)["gate_fetch_s"],
        "gate_fetch_s_1m": results.get("1000000", large)["gate_fetch_s"],
        "fetched_bytes_1m": results.get("1000000", large)["fetched_bytes"],
        "incremental_sync_s": large.get("incremental_sync_s"),
        "remote_bytes": large["remote_bytes"],
        "largest_size": int(sizes[-1]), "by_size": results,
    }
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
