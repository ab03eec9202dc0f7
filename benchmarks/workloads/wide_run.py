"""``runs/get`` on a run with many metric keys (1,000 in the default and large scales).

The server has to return the latest value of every key, so this shows how the
"latest metrics" lookup scales.
"""

from __future__ import annotations

from benchmarks.rest import now_ms
from benchmarks.workloads.base import Context, CpuMeter, Measurement, latency_measurements, timed_calls

STEPS = 3


def populate(ctx: Context) -> str:
    rest, keys = ctx.rest, ctx.scale.wide_metric_keys
    run_id = rest.create_run(rest.create_experiment("bench-wide"))
    metrics = [{"key": f"metric_{k}", "value": float(s), "timestamp": now_ms(), "step": s}
               for s in range(STEPS) for k in range(keys)]
    for start in range(0, len(metrics), ctx.scale.batch_size):
        rest.log_batch(run_id, metrics=metrics[start:start + ctx.scale.batch_size])
    return run_id


def run(ctx: Context) -> list[Measurement]:
    if "wide" not in ctx.state:
        ctx.state["wide"] = populate(ctx)
    run_id = ctx.state["wide"]
    returned = len(ctx.rest.get_run(run_id)["data"].get("metrics", []))
    with CpuMeter(ctx) as cpu:
        latencies = timed_calls(lambda _: ctx.rest.get_run(run_id), ctx.scale.wide_gets, ctx.scale.loop_seconds)
    detail = f"{ctx.scale.wide_metric_keys} keys x {STEPS} steps; {returned} returned"
    return latency_measurements("get wide run", latencies, target=False, detail=detail, cpu=cpu)
