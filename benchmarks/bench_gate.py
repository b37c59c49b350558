"""Gate speed: ``reviewer-app gate`` as a whole process with 100,000 signed events in the database.

Run: ``python benchmarks/bench_gate.py [--events 100000] [--repeat 5]``. It builds a temporary git
repository (policy, allowed signers, a risky change on a branch) and a database holding ``--events``
real signed events spread over many changes and people, plus the two approvals the judged change
needs. Reported side by side in this one run (the machine is shared and noisy: compare ratios):

- the gate process with the full database vs with only the two approvals (the events of other
  changes must cost nothing: only the change's own rows are read, through the change_id index);
- the gate process vs ``reviewer-app --version`` (the floor: interpreter start and imports);
- in-process Ed25519 verification per event, and the SQLite query plan of the event lookup;
- ``python -X importtime`` of the gate: no PySide6 module may appear.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_ssh_private_key

from reviewer_app.core import store
from reviewer_app.core.approvals import events
from reviewer_app.core.signing import keys, sshsig
from reviewer_app.core.analysis import analyze
from reviewer_app.core.approvals.gate import blocking_findings
from reviewer_app.core.ingest import load_changes
from reviewer_app.core.workspace import Workspace

WHOLE_PROCESS_BUDGET_S = 1.0
PEOPLE = 50
POLICY = """\
[defaults]
approvals = 1
min_level = "mid"
[[rules]]
name = "High blast radius"
when = { risk_at_least = "high" }
require = { approvals = 2, min_level = "senior" }
"""


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Dana", "GIT_AUTHOR_EMAIL": "dana@example.com",
           "GIT_COMMITTER_NAME": "Dana", "GIT_COMMITTER_EMAIL": "dana@example.com"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
                   check=True, capture_output=True)


def build_repository(root: Path) -> tuple[Path, dict[str, Path]]:
    key_dir = root / "keys"
    key_dir.mkdir()
    key_files = {}
    for i in range(PEOPLE):
        key_files[f"person{i}@example.com"] = key_dir / f"person{i}"
        _keygen(key_files[f"person{i}@example.com"])
    repo = root / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".reviewer").mkdir()
    people = "".join(f'[people."{email}"]\nlevel = "senior"\n' for email in key_files)
    (repo / ".reviewer/policy.toml").write_text(people + POLICY)
    (repo / ".reviewer/allowed_signers").write_text(
        "".join(f"{email} {Path(str(path) + '.pub').read_text().split()[0]} "
                f"{Path(str(path) + '.pub').read_text().split()[1]}\n" for email, path in key_files.items()))
    (repo / "app.py").write_text("print('hello')\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "cleanup.sh").write_text("#!/bin/sh\nrm -rf /var/lib/postgres/data\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "cleanup job")
    _git(repo, "checkout", "-q", "main")
    return repo, key_files


def fill_database(db_path: Path, total: int, judged: str, acks: list[str], key_files: dict[str, Path],
                  with_noise: bool) -> None:
    """``total`` events: two approvals of the judged change, the rest about 2,000 other changes."""
    db = store.open_db(db_path)
    signers = {email: keys.file_signer(path, email) for email, path in key_files.items()}
    emails = sorted(signers)
    fields = {"rule_pack": "sha256:bench", "risk_level": "critical", "acks": acks, "comment": "ok"}
    for email in emails[:2]:
        events.create_event(db, signers[email], "approve", judged, fields, clock=lambda: "2026-11-29T10:00:00Z")
    if not with_noise:
        return
    rng = random.Random(7)
    last: dict[str, str | None] = {email: None for email in emails}
    for email in emails[:2]:
        last[email] = events.events_of_principal(db, email)[-1].id
    rows = []
    for n in range(total - 2):
        email = emails[n % PEOPLE]
        payload = events.canonical_json({
            "v": 1, "type": rng.choice(["approve", "reject", "submit"]), "change_id": f"sha256:{rng.randrange(2000):064x}",
            "principal": email, "key": signers[email].fingerprint, "prev": last[email],
            "created_at": f"2026-{1 + n % 11:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
            "acks": [], "comment": f"event {n}", "rule_pack": "sha256:bench", "risk_level": "low",
        })
        event_id = events.event_id(payload)
        last[email] = event_id
        data = events.validate_payload(payload)
        rows.append((event_id, data["type"], data["change_id"], email, data["key"], data["created_at"], data["prev"],
                     payload, signers[email].sign(payload.encode()), "sync", 1, "2026-11-29T00:00:00Z"))
    with db.conn:
        db.conn.executemany("INSERT INTO events (id, type, change_id, principal, fingerprint, created_at, prev, payload, "
                            "signature, origin, pushed, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.conn.close()


def cli_command() -> list[str]:
    """The installed ``reviewer-app`` entry point next to this interpreter, else ``python -m reviewer_app``."""
    script = Path(sys.executable).with_name("reviewer-app")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reviewer_app"]


def time_processes(commands: dict[str, tuple[list[str], int]], env: dict[str, str], repeat: int) -> dict[str, float]:
    """Median wall time of each command; rounds interleave them so a busy moment hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (args, expect) in commands.items():
            start = time.perf_counter()
            proc = subprocess.run(args, capture_output=True, env=env)
            times[name].append(time.perf_counter() - start)
            if proc.returncode != expect:
                raise SystemExit(f"{name}: exit {proc.returncode}, expected {expect}\n{proc.stderr.decode()}")
    return {name: statistics.median(values) for name, values in times.items()}


def verify_cost(key_path: Path, rounds: int = 2000) -> float:
    private = load_ssh_private_key(key_path.read_bytes(), password=None)
    message = b'{"type":"approve"}'
    signature = sshsig.sign(private, message, "reviewer-app")
    start = time.perf_counter()
    for _ in range(rounds):
        sshsig.verify(signature, message, "reviewer-app")
    return (time.perf_counter() - start) / rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        root = Path(tmp)
        build_start = time.perf_counter()
        repo, key_files = build_repository(root)
        change = load_changes("git:main..feature", repo)[0]
        analysis = analyze(change, Workspace(repo, revision="main")).to_dict()
        judged, acks = analysis["change_id"], blocking_findings(analysis)
        full_db, small_db = root / "full.db", root / "small.db"
        fill_database(full_db, args.events, judged, acks, key_files, with_noise=True)
        fill_database(small_db, 2, judged, acks, key_files, with_noise=False)
        count = store.open_db(full_db).execute("SELECT COUNT(*) FROM events").fetchone()[0]
        print(f"built repository and {count:,} signed events in {time.perf_counter() - build_start:.1f} s")

        cmd = cli_command()
        gate_args = ["gate", "--git", "main..feature", "--repo", str(repo)]
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        medians = time_processes({
            "floor": ([*cmd, "--version"], 0),
            "full": ([*cmd, "--db", str(full_db), *gate_args], 0),
            "small": ([*cmd, "--db", str(small_db), *gate_args], 0),
        }, env, args.repeat)
        floor, full, small = medians["floor"], medians["full"], medians["small"]
        per_verify = verify_cost(next(iter(key_files.values())))

        plan = store.open_db(full_db).execute(
            "EXPLAIN QUERY PLAN SELECT id, payload, signature FROM events WHERE change_id = ? ORDER BY created_at, rowid",
            [judged]).fetchall()
        importtime = subprocess.run([sys.executable, "-X", "importtime", "-m", "reviewer_app", "--db", str(full_db), *gate_args],
                                    capture_output=True, text=True, env=env)
        imported = [line.split("|")[-1].strip() for line in importtime.stderr.splitlines() if "|" in line]
        qt = [name for name in imported if name.startswith("PySide6") or name.startswith("shiboken")]
        slowest = sorted(((int(line.split("|")[1]), line.split("|")[-1].strip())
                          for line in importtime.stderr.splitlines()[1:] if "|" in line), reverse=True)[:5]

        print(f"reviewer-app --version (process floor)      {floor * 1000:7.0f} ms")
        print(f"gate, {count:,} events in the db           {full * 1000:7.0f} ms")
        print(f"gate, 2 events in the db                    {small * 1000:7.0f} ms")
        print(f"ratio full/small db                         {full / small:7.2f}x  (1.0 = the other events cost nothing)")
        print(f"ratio gate/floor                            {full / floor:7.2f}x")
        print(f"Ed25519 SSHSIG verify, in-process           {per_verify * 1e6:7.0f} µs per event")
        print(f"event lookup plan: {' / '.join(str(row[-1]) for row in plan)}")
        print(f"modules imported by the gate: {len(imported)}; Qt modules: {qt or 'none'}")
        print("largest cumulative imports (µs): " + ", ".join(f"{name} {us:,}" for us, name in slowest))
        ok = full < WHOLE_PROCESS_BUDGET_S and not qt and any("events_change" in str(row[-1]) for row in plan)
        print(f"budget: whole process under {WHOLE_PROCESS_BUDGET_S:.1f} s, no Qt, indexed lookup -> {'OK' if ok else 'FAILED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
