"""Race N processes through ``set_experiment(name)`` with the official mlflow client or tracklog's.

Run as a script: ``python race_set_experiment.py <tracking url> <name> <processes> mlflow|tracklog``.
The client library is imported once, then the processes are forked and released together by a
barrier; each prints the experiment id it got (or ``ERROR <exception>``), one per line.
Used by test_set_experiment.py (a script, so the fork happens in a single-threaded process).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from typing import Any


def _child(url: str, name: str, flavor: str, barrier: Any, out: Any) -> None:
    try:
        if flavor == "mlflow":
            import mlflow

            mlflow.set_tracking_uri(url)
            barrier.wait(timeout=60)
            out.put(str(mlflow.set_experiment(name).experiment_id))
        else:
            import tracklog

            tracklog.set_tracking_uri(url)
            barrier.wait(timeout=60)
            out.put(str(tracklog.set_experiment(name).experiment_id))
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        out.put(f"ERROR {type(exc).__name__}: {exc}")


def main(url: str, name: str, processes: int, flavor: str) -> None:
    if flavor == "mlflow":
        import mlflow
        from mlflow.tracking import MlflowClient

        # Resolve the tracking store (entry points, plugins) once, before forking; no request yet.
        mlflow.set_tracking_uri(url)
        MlflowClient()
    else:
        # tracklog imports lazily: load what set_experiment needs once, not in 50 children.
        import httpx  # noqa: F401

        import tracklog.client.fluent  # noqa: F401
        import tracklog.store.registry  # noqa: F401
        import tracklog.store.rest  # noqa: F401
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(processes)
    out = ctx.Queue()
    children = [ctx.Process(target=_child, args=(url, name, flavor, barrier, out)) for _ in range(processes)]
    for child in children:
        child.start()
    results = [out.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=60)
    sys.stdout.write("\n".join(results) + "\n")


if __name__ == "__main__":
    for var in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "TRACKLOG_EXPERIMENT_ID"):
        os.environ.pop(var, None)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
