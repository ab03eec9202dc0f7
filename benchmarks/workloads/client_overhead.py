"""Client overhead per ``log_metric`` call: what a training loop pays for tracking.

Four clients log one metric per call through their fluent API to the same server, each in
its own subprocess: tracklog with async logging (the default: the call queues into the
spool), tracklog with ``TRACKLOG_ASYNC_LOGGING=false`` (one request per call), the official
``mlflow`` client as is (one request per call) and with ``MLFLOW_ENABLE_ASYNC_LOGGING=true``.
Reported: p50 and p99 of the call itself (µs), and the delivered rate including the final
flush (points/s). Async modes log ``ASYNC_CALLS`` points (``10 x log_metric_calls`` in the
quick scale, so that the CI smoke run stays short: MLflow's async queue delivers slowly), sync
modes ``log_metric_calls``; every loop also stops after ``loop_seconds``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchmarks.workloads.base import Context, Measurement

ASYNC_CALLS = 20_000

DRIVER = r"""
import json, os, sys, time
uri, module, calls, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
lib = __import__(module)
lib.set_tracking_uri(uri)
lib.set_experiment("client-overhead")
run = lib.start_run()
lib.log_metric("warmup", 0.0)
out, deadline = [], time.perf_counter() + seconds
began = time.perf_counter()
for i in range(calls):
    t0 = time.perf_counter()
    lib.log_metric("loss", 1.0 / (i + 1), step=i)
    out.append(time.perf_counter() - t0)
    if i % 256 == 0 and time.perf_counter() > deadline:
        break
if module == "tracklog":
    lib.flush()
elif os.environ.get("MLFLOW_ENABLE_ASYNC_LOGGING") == "true":
    lib.flush_async_logging()
total = time.perf_counter() - began
lib.end_run()
out.sort()
print("RESULT " + json.dumps({"p50": out[len(out) // 2], "p99": out[int(len(out) * 0.99)],
                              "calls": len(out), "total": total}))
"""

# client label -> (interpreter: "harness" or "mlflow", module, extra environment, async)
MODES: dict[str, tuple[str, str, dict[str, str], bool]] = {
    "tracklog-async": ("harness", "tracklog", {"TRACKLOG_ASYNC_LOGGING": "true"}, True),
    "tracklog-sync": ("harness", "tracklog", {"TRACKLOG_ASYNC_LOGGING": "false"}, False),
    "mlflow-client": ("mlflow", "mlflow", {"MLFLOW_ENABLE_ASYNC_LOGGING": "false"}, False),
    "mlflow-client-async": ("mlflow", "mlflow", {"MLFLOW_ENABLE_ASYNC_LOGGING": "true"}, True),
}


def _one(ctx: Context, label: str) -> list[Measurement]:
    interpreter, module, extra, is_async = MODES[label]
    python = sys.executable if interpreter == "harness" else str(ctx.client_python or "")
    if not python:
        return []
    calls = ctx.scale.log_metric_calls
    if is_async:
        calls = calls * 10 if ctx.scale.name == "quick" else ASYNC_CALLS
    env = {**os.environ, **extra, "TRACKLOG_SPOOL_DIR": str(ctx.workdir / "spool")}
    try:
        proc = subprocess.run([python, "-c", DRIVER, ctx.base_url, module, str(calls), str(ctx.scale.loop_seconds)],
                              capture_output=True, text=True, timeout=300 + 4 * ctx.scale.loop_seconds, env=env,
                              cwd=ctx.workdir, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        ctx.state.setdefault("errors", []).append(f"client_overhead {label}: timed out")
        return []
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        ctx.state.setdefault("errors", []).append(f"client_overhead {label}: {proc.stderr[-500:]}")
        return []
    r = json.loads(lines[-1][len("RESULT "):])
    detail = f"{r['calls']} calls"
    return [
        Measurement("client overhead", "log_metric p50", "µs", r["p50"] * 1e6, "lower", label, detail=detail),
        Measurement("client overhead", "log_metric p99", "µs", r["p99"] * 1e6, "lower", label, detail=detail),
        Measurement("client overhead", "delivered incl. flush", "points/s", r["calls"] / r["total"], "higher",
                    label, detail=detail),
    ]


def run(ctx: Context) -> list[Measurement]:
    out: list[Measurement] = []
    for label in MODES:
        out += _one(ctx, label)
    return out
