"""The concurrent-writers floor: the same 16 writer threads against a server that does nothing.

``benchmarks/noop_server.py`` (a bare ASGI app on the same uvicorn stack and options as
``tracklog server``, answering ``{}``) takes the place of the tracking server; the
writers, their clients, bodies and bounds are ``concurrency``'s. Its req/s and p99 are
what any Python ASGI server could reach here with this client, and its client CPU per
request shows how much of the 2 cores the 16 client threads themselves take.

Like ``floor`` it does not depend on the server under test: it runs once per repetition
(with the tracklog pass) and is reported as client ``floor`` in the tracklog column.
"""

from __future__ import annotations

import dataclasses
import os
import sys

from benchmarks.benchvenv import ROOT
from benchmarks.servers import Server, free_port
from benchmarks.workloads.base import Context, Measurement
from benchmarks.workloads.concurrency import drive_writers, measurements

CLIENT = "floor"


def run(ctx: Context) -> list[Measurement]:
    if ctx.server != "tracklog":
        return []
    port = free_port()
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = Server("noop", [sys.executable, "-m", "benchmarks.noop_server", "--port", str(port)], port,
                    ctx.workdir / "concurrency_floor" / "noop.log", env=env)
    server.start()
    try:
        server.wait_healthy(60.0)
        server.wait_quiet(timeout=30.0)
        noop = dataclasses.replace(ctx, base_url=server.base_url, server_cpu=server.cpu_seconds)
        run_ids = [f"{w:032x}" for w in range(ctx.scale.writers)]
        result = drive_writers(noop, run_ids)
    finally:
        server.stop()
    return measurements(result, len(run_ids), CLIENT, "no-op ASGI app on uvicorn")
