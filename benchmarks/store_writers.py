"""Concurrent writers on the store alone: ``python -m benchmarks.store_writers [--threads 16] [--calls 300]``.

16 threads (one per run) call ``SqlStore.log_metric`` on one store in this process,
without HTTP, on a fresh SQLite file (or ``--uri``). Prints writes/s and the CPU time of
the process per write: the SQL write path's share of the ``concurrency`` workload,
including the group commit of SQLite writes (``store/sql/group_commit.py``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time

from tracklog.entities import Metric
from tracklog.store.sql.store import SqlStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--calls", type=int, default=300, help="log_metric calls per thread")
    parser.add_argument("--uri", default="", help="database URI (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore(args.uri or f"sqlite:///{tmp}/store.db", f"{tmp}/artifacts")
        experiment_id = store.create_experiment(f"store-writers-{os.getpid()}-{time.time_ns()}")
        run_ids = [store.create_run(experiment_id, "bench", 0).info.run_id for _ in range(args.threads)]
        start = threading.Barrier(args.threads + 1)

        def writer(run_id: str) -> None:
            start.wait()
            for i in range(args.calls):
                store.log_metric(run_id, Metric("loss", float(i), 1000 + i, i))

        threads = [threading.Thread(target=writer, args=(r,)) for r in run_ids]
        for thread in threads:
            thread.start()
        cpu0, began = time.process_time(), time.perf_counter()
        start.wait()
        for thread in threads:
            thread.join()
        writes = args.threads * args.calls
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu0
        store.close()
    print(f"{writes / elapsed:,.0f} writes/s, {cpu * 1e6 / writes:.0f} µs CPU per write "
          f"({args.threads} threads x {args.calls} calls, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
