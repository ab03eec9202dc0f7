"""Single ``runs/log-metric`` latency: one metric point per request, one run."""

from __future__ import annotations

from benchmarks.workloads.base import Context, CpuMeter, Measurement, latency_measurements, timed_calls

WARMUP = 5


def run(ctx: Context) -> list[Measurement]:
    rest = ctx.rest
    run_id = rest.create_run(rest.create_experiment("bench-log-metric"))
    for i in range(WARMUP):
        rest.log_metric(run_id, "warmup", float(i), i)
    with CpuMeter(ctx) as cpu:
        latencies = timed_calls(lambda i: rest.log_metric(run_id, "loss", 1.0 / (i + 1), i),
                                ctx.scale.log_metric_calls, ctx.scale.loop_seconds)
    return latency_measurements("log metric", latencies, target=True, cpu=cpu)
