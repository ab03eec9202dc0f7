"""``runs/create`` latency: empty runs with a name, in one experiment."""

from __future__ import annotations

from benchmarks.workloads.base import Context, CpuMeter, Measurement, latency_measurements, timed_calls


def run(ctx: Context) -> list[Measurement]:
    rest = ctx.rest
    experiment_id = rest.create_experiment("bench-run-create")
    rest.create_run(experiment_id, "warmup")
    with CpuMeter(ctx) as cpu:
        latencies = timed_calls(lambda i: rest.create_run(experiment_id, f"run-{i}"),
                                ctx.scale.run_creates, ctx.scale.loop_seconds)
    return latency_measurements("run create", latencies, target=True, cpu=cpu)
