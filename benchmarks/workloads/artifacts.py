"""Artifacts through the proxy (``/api/2.0/mlflow-artifacts/artifacts/...``).

One large file up (sent from an open file, as both projects' clients send it)
and down (MB/s), then many small files up and down (files/s), one request at a
time and then from ``PARALLEL`` threads sharing the keep-alive client, under a
fresh ``<experiment>/<run>/artifacts/`` directory each
repetition. These raw REST rows send the same requests to both servers.

Then a directory of the same small files through each project's own client
(client ``own``): the official ``mlflow`` client (bench venv) against ``mlflow
server``, tracklog's client against ``tracklog server`` (which packs small files
into tar bundles, ``tracklog.artifacts.bundle``), ``log_artifacts`` then
``download_artifacts``, each in a subprocess that has already imported its
client and warmed it up with a two-file directory; server CPU is metered
around each call alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.workloads.base import Context, CpuMeter, Measurement, bounded

MB = 1024 * 1024
PARALLEL = 8
TREE_DIRS = 10
# Runs in the client's own python: imports the client, then one call per line read on stdin.
OWN_CLIENT = """
import os, sys, time
kind, uri, run_id, src, dst = sys.argv[1:6]
if kind == "mlflow":
    from mlflow import MlflowClient
else:
    from tracklog import MlflowClient
client = MlflowClient(tracking_uri=uri)
warm = os.path.join(dst + "-warm", "src")  # first calls import modules and open connections
os.makedirs(warm)
for name in ("a.txt", "b.txt"):
    with open(os.path.join(warm, name), "w") as f:
        f.write(name)
client.log_artifacts(run_id, warm, "warm-up")
client.download_artifacts(run_id, "warm-up", dst + "-warm")
calls = (lambda: client.log_artifacts(run_id, src, "tree"), lambda: client.download_artifacts(run_id, "tree", dst))
for call in calls:
    print("READY", flush=True)
    sys.stdin.readline()
    began = time.perf_counter()
    call()
    print("TIME", time.perf_counter() - began, flush=True)
"""


def _payload(ctx: Context) -> Path:
    """The large file (made once): uploaded from an open file, as both projects' clients do."""
    path = ctx.workdir / "artifact-large.bin"
    if not path.exists():
        path.write_bytes(os.urandom(ctx.scale.artifact_large_mb * MB))
    return path


def _tree(ctx: Context) -> tuple[Path, int]:
    """A directory of ``artifact_small_files`` files in ``TREE_DIRS`` folders (made once)."""
    scale = ctx.scale
    src = ctx.workdir / "artifact-tree"
    if not src.exists():
        data = os.urandom(scale.artifact_small_bytes)
        for i in range(scale.artifact_small_files):
            folder = src / f"d{i % TREE_DIRS}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{i:05d}.txt").write_bytes(data)
    return src, scale.artifact_small_files


def _own_client(ctx: Context, root_run: str) -> list[Measurement]:
    """A directory up and down through the project's own client (see the module docstring)."""
    python = str(ctx.client_python) if ctx.server == "mlflow" else sys.executable
    if ctx.server == "mlflow" and ctx.client_python is None:
        return []
    src, count = _tree(ctx)
    dst = ctx.workdir / f"artifact-tree-back-{ctx.rep}"
    args = [python, "-c", OWN_CLIENT, ctx.server, ctx.base_url, root_run, str(src), str(dst)]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ctx.workdir)
    assert proc.stdin is not None and proc.stdout is not None
    seconds: list[float] = []
    cpu: list[float] = []
    try:
        for _ in range(2):
            if proc.stdout.readline().strip() != "READY":
                raise RuntimeError(f"{ctx.server} client driver failed (exit {proc.wait(60)})")
            with CpuMeter(ctx) as meter:
                proc.stdin.write("\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            if not line.startswith("TIME "):
                raise RuntimeError(f"{ctx.server} client driver failed (exit {proc.wait(60)})")
            seconds.append(float(line.split()[1]))
            cpu.append(meter.per_call_ms(count))
    finally:
        proc.stdin.close()
        proc.wait(60)
    back = sum(1 for p in (dst / "tree").rglob("*") if p.is_file())
    if back != count:
        raise RuntimeError(f"downloaded {back} files, uploaded {count}")
    detail = f"{count} files of {ctx.scale.artifact_small_bytes} B in {TREE_DIRS} dirs, own client"
    return [
        Measurement("artifacts", "directory upload", "files/s", count / seconds[0], "higher", client="own",
                    target=True, detail=detail),
        Measurement("artifacts", "directory download", "files/s", count / seconds[1], "higher", client="own",
                    detail=detail),
        Measurement("artifacts", "server CPU per file, directory upload", "ms", cpu[0], "lower", client="own",
                    detail=detail),
    ]


def run(ctx: Context) -> list[Measurement]:
    rest, scale = ctx.rest, ctx.scale
    experiment_id = rest.create_experiment("bench-artifacts")
    root = f"{experiment_id}/{rest.create_run(experiment_id)}/artifacts"
    big = _payload(ctx)
    big_size = big.stat().st_size

    with big.open("rb") as body:
        began = time.perf_counter()
        with CpuMeter(ctx) as large_cpu:
            rest.put_artifact(f"{root}/large.bin", body)
        up = time.perf_counter() - began
    began = time.perf_counter()
    size = rest.get_artifact(f"{root}/large.bin")
    down = time.perf_counter() - began
    if size != big_size:
        raise RuntimeError(f"downloaded {size} bytes, uploaded {big_size}")

    small = os.urandom(scale.artifact_small_bytes)
    began, sent = time.perf_counter(), 0
    with CpuMeter(ctx) as small_cpu:
        for i in bounded(scale.artifact_small_files, scale.loop_seconds):
            rest.put_artifact(f"{root}/small/f{i:05d}.txt", small)
            sent += 1
    small_up = time.perf_counter() - began
    began = time.perf_counter()
    with CpuMeter(ctx) as small_down_cpu:
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

    own = _own_client(ctx, rest.create_run(experiment_id))

    mb = big_size / MB
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
        Measurement("artifacts", "server CPU per small download", "ms", small_down_cpu.per_call_ms(sent), "lower",
                    detail=files),
        Measurement("artifacts", "small upload, parallel", "files/s", sent / par_up, "higher", detail=par),
        Measurement("artifacts", "small download, parallel", "files/s", sent / par_down, "higher", detail=par),
        *own,
    ]
