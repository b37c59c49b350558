"""The inbox at the scale of a busy forge: 2,000 open pull requests on a bare remote.

Measured in one run, offscreen:
  first sync     every review ref fetched and every head analysed, in the window's worker, while a
                 QTimer on the UI thread ticks every 5 ms: the longest gap is the longest UI stall
                 (target: no stall over 100 ms)
  incremental    50 pull requests get a new revision; the next sync (fetch + analysis) (target: <= 10 s)
  queue          the window's queue model holding every item: one search filter and one re-sort on the
                 UI thread (target: < 50 ms)
The remote is generated with git fast-import (a base of 50 services, one commit per pull request) in a
temporary folder. Compare figures measured in the same run; the machine is shared and noisy.

    .venv/bin/python benchmarks/bench_inbox.py [--prs 2000] [--new 50]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("REVIEWER_APP_CONFIG_DIR", tempfile.mkdtemp(prefix="bench-inbox-config-"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ui import StallMonitor  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SERVICES = 50
LINES = 40


def _service_text(service: int) -> str:
    return "".join(f"VALUE_{i} = {i}\n" for i in range(LINES))


def _stream(prs: range, base: str | None, revision: int) -> bytes:
    """A fast-import stream: (when ``base`` is None) the base commit, then one commit per pull request."""
    out: list[bytes] = []
    mark = 1
    if base is None:
        marks = {}
        for s in range(SERVICES):
            data = _service_text(s).encode()
            out.append(f"blob\nmark :{mark}\ndata {len(data)}\n".encode() + data + b"\n")
            marks[s] = mark
            mark += 1
        out.append((f"commit refs/heads/main\nmark :{mark}\nauthor A <a@bench.test> 1780000000 +0000\n"
                    f"committer A <a@bench.test> 1780000000 +0000\ndata 4\nbase\n").encode()
                   + "".join(f"M 100644 :{marks[s]} services/s{s}/app.py\n" for s in range(SERVICES)).encode())
        base = f":{mark}"
        mark += 1
    for n in prs:
        service, line = n % SERVICES, n % LINES
        data = _service_text(service).replace(f"VALUE_{line} = {line}\n", f"VALUE_{line} = {n * 10 + revision}\n").encode()
        out.append(f"blob\nmark :{mark}\ndata {len(data)}\n".encode() + data + b"\n")
        message = f"Change {n} revision {revision}"
        out.append((f"commit refs/pull/{n}/head\nmark :{mark + 1}\nauthor B <b@bench.test> {1780000000 + n} +0000\n"
                    f"committer B <b@bench.test> {1780000000 + n} +0000\ndata {len(message)}\n{message}\n"
                    f"from {base}\nM 100644 :{mark} services/s{service}/app.py\n").encode())
        mark += 2
    return b"".join(out)


def make_remote(folder: Path, prs: int) -> tuple[Path, Path]:
    remote, clone = folder / "remote.git", folder / "clone"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    subprocess.run(["git", "-C", str(remote), "fast-import", "--quiet"], input=_stream(range(1, prs + 1), None, 1),
                   check=True)
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    return remote, clone


def push_new_revisions(remote: Path, count: int) -> None:
    main = subprocess.run(["git", "-C", str(remote), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip()
    subprocess.run(["git", "-C", str(remote), "fast-import", "--quiet", "--force"],
                   input=_stream(range(1, count + 1), main, 2), check=True)


def run_in_worker(app: QApplication, work) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """``work()`` in the window's task runner; (seconds, longest UI stall, result)."""
    from reviewer_app.ui.tasks import TaskRunner

    runner = TaskRunner()
    monitor = StallMonitor()
    loop = QEventLoop()
    box: dict[str, object] = {}
    started = time.perf_counter()
    monitor.start()
    runner.submit("inbox", lambda _ctx: work(), lambda result: (box.update(result=result), loop.quit()),
                  lambda message: (box.update(error=message), loop.quit()), supersede=False)
    loop.exec()
    stall = monitor.stop()
    runner.shutdown()
    if "error" in box:
        raise SystemExit(f"bench_inbox: {box['error']}")
    return time.perf_counter() - started, stall, box["result"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, default=2000)
    parser.add_argument("--new", type=int, default=50)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from reviewer_app.core import store
    from reviewer_app.core.inbox import InboxConfig, sync_inbox
    from reviewer_app.ui import backend
    from reviewer_app.ui.queue_model import QueueFilterProxy, QueueModel

    config = InboxConfig(max_age_days=0)
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        remote, clone = make_remote(folder, args.prs)
        generated = time.perf_counter() - t0
        db_path = folder / "reviewer.db"

        def sync():  # type: ignore[no-untyped-def]
            db = store.open_db(db_path)
            try:
                return sync_inbox(db, clone, "origin", config=config)
            finally:
                db.close()

        first_s, first_stall, report = run_in_worker(app, sync)
        push_new_revisions(remote, args.new)
        incremental_s, incremental_stall, report2 = run_in_worker(app, sync)
        rows = backend.load_queue(db_path, clone, "alice@bench.test")
        model, proxy = QueueModel(), QueueFilterProxy()
        model.set_rows(rows)
        proxy.setSourceModel(model)
        t = time.perf_counter()
        proxy.set_search("change 17") if hasattr(proxy, "set_search") else proxy.setFilterFixedString("change 17")
        proxy.sort(0)
        proxy.sort(1)
        queue_ms = (time.perf_counter() - t) * 1000
        print(f"remote: {args.prs} pull requests, generated in {generated:.1f} s")
        print(f"first sync: {first_s:.1f} s for {report.items_seen} items "
              f"({first_s / max(1, args.prs) * 1000:.0f} ms an item), longest UI stall {first_stall * 1000:.0f} ms "
              f"(target < 100 ms)")
        print(f"incremental sync with {args.new} new revisions: {incremental_s:.1f} s (target <= 10 s); "
              f"{len(report2.new_revisions)} revisions recorded; longest UI stall {incremental_stall * 1000:.0f} ms")
        print(f"queue of {len(rows)} items: filter + two sorts on the UI thread {queue_ms:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
