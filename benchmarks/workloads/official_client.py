"""The official ``mlflow`` client's workloads, run in a subprocess with the bench venv's python.

See ``benchmarks/mlflow_client_driver.py``; this module only writes its config,
runs it (bounded by a timeout) and turns its ``RESULT`` line into measurements.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from benchmarks.workloads.base import Context, Measurement
from benchmarks.workloads.metric_history import KEY as HISTORY_KEY
from benchmarks.workloads.search import FILTER

DRIVER = Path(__file__).resolve().parent.parent / "mlflow_client_driver.py"


class DriverFailed(RuntimeError):
    pass


def config(ctx: Context) -> dict[str, object]:
    scale = ctx.scale
    search = ctx.state.get("search")
    history = ctx.state.get("history")
    return {
        "tracking_uri": ctx.base_url,
        "workdir": str(ctx.workdir),
        "log_metric_calls": scale.log_metric_calls,
        "run_creates": scale.run_creates,
        "log_batches": scale.log_batches,
        "batch_size": scale.batch_size,
        "loop_seconds": scale.loop_seconds,
        "search_experiment_id": search[0] if search else None,
        "search_page_size": scale.search_page_size,
        "search_filter": FILTER,
        "history_run_id": history[0] if history else None,
        "history_key": HISTORY_KEY,
        "artifact_large_mb": scale.artifact_large_mb,
    }


def run(ctx: Context) -> list[Measurement]:
    if ctx.client_python is None:
        raise DriverFailed("no python with the official mlflow client (see --client-python)")
    cfg_path = ctx.workdir / f"client-config-{ctx.rep}.json"
    cfg_path.write_text(json.dumps(config(ctx)))
    timeout = 120.0 + 8 * ctx.scale.loop_seconds
    proc = subprocess.run([str(ctx.client_python), str(DRIVER), str(cfg_path)], capture_output=True,
                          text=True, timeout=timeout, cwd=ctx.workdir, stdin=subprocess.DEVNULL)
    (ctx.workdir / f"client-driver-{ctx.rep}.log").write_text(proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise DriverFailed(f"driver exited {proc.returncode}: {proc.stderr[-800:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    if result["errors"]:
        ctx.state.setdefault("errors", []).extend(result["errors"])
    return [Measurement(**m) for m in result["measurements"]]
