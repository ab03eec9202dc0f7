"""Artifacts through the proxy (``/api/2.0/mlflow-artifacts/artifacts/...``).

One large file up and down (MB/s), then many small files up and down (files/s),
one request at a time and then from ``PARALLEL`` threads sharing the keep-alive
client (how a client uploads a directory: tracklog's and mlflow's both use a
thread pool), under a fresh ``<experiment>/<run>/artifacts/`` directory each
repetition.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.workloads.base import Context, CpuMeter, Measurement, bounded

MB = 1024 * 1024
PARALLEL = 8


def _payload(ctx: Context) -> bytes:
    if "artifact_payload" not in ctx.state:
        ctx.state["artifact_payload"] = os.urandom(ctx.scale.artifact_large_mb * MB)
    payload: bytes = ctx.state["artifact_payload"]
    return payload


def run(ctx: Context) -> list[Measurement]:
    rest, scale = ctx.rest, ctx.scale
    experiment_id = rest.create_experiment("bench-artifacts")
    root = f"{experiment_id}/{rest.create_run(experiment_id)}/artifacts"
    big = _payload(ctx)

    began = time.perf_counter()
    with CpuMeter(ctx) as large_cpu:
        rest.put_artifact(f"{root}/large.bin", big)
    up = time.perf_counter() - began
    began = time.perf_counter()
    size = rest.get_artifact(f"{root}/large.bin")
    down = time.perf_counter() - began
    if size != len(big):
        raise RuntimeError(f"downloaded {size} bytes, uploaded {len(big)}")

    small = os.urandom(scale.artifact_small_bytes)
    began, sent = time.perf_counter(), 0
    with CpuMeter(ctx) as small_cpu:
        for i in bounded(scale.artifact_small_files, scale.loop_seconds):
            rest.put_artifact(f"{root}/small/f{i:05d}.txt", small)
            sent += 1
    small_up = time.perf_counter() - began
    began = time.perf_counter()
    for i in range(sent):
        rest.get_artifact(f"{root}/small/f{i:05d}.txt")
    small_down = time.perf_counter() - began

    names = [f"{root}/parallel/f{i:05d}.txt" for i in range(sent)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        began = time.perf_counter()
        list(pool.map(lambda name: rest.put_artifact(name, small), names))
        par_up = time.perf_counter() - began
        began = time.perf_counter()
        list(pool.map(rest.get_artifact, names))
        par_down = time.perf_counter() - began

    mb = len(big) / MB
    files = f"{sent} files of {scale.artifact_small_bytes} B"
    par = f"{files}, {PARALLEL} threads"
    return [
        Measurement("artifacts", "large upload", "MB/s", mb / up, "higher", detail=f"{mb:.0f} MB"),
        Measurement("artifacts", "large download", "MB/s", mb / down, "higher", detail=f"{mb:.0f} MB"),
        Measurement("artifacts", "server CPU per large upload", "ms/MB", large_cpu.seconds * 1000 / mb, "lower",
                    detail=f"{mb:.0f} MB"),
        Measurement("artifacts", "small upload", "files/s", sent / small_up, "higher", detail=files),
        Measurement("artifacts", "small download", "files/s", sent / small_down, "higher", detail=files),
        Measurement("artifacts", "server CPU per small upload", "ms", small_cpu.per_call_ms(sent), "lower",
                    detail=files),
        Measurement("artifacts", "small upload, parallel", "files/s", sent / par_up, "higher", detail=par),
        Measurement("artifacts", "small download, parallel", "files/s", sent / par_down, "higher", detail=par),
    ]
