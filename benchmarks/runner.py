"""Run the selected workloads against the servers, repetition by repetition.

Within a repetition each workload runs against every server before the next
workload starts (the order of servers alternates between repetitions), so both
servers see the same machine conditions. Servers, databases and clients are
released by an ``ExitStack``: also on errors and on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from benchmarks import benchvenv, machine
from benchmarks.databases import Databases
from benchmarks.report import Results
from benchmarks.rest import Rest
from benchmarks.scales import Scale
from benchmarks.servers import RssSampler, Server, free_port, mlflow_command, tracklog_command
from benchmarks.workloads import WORKLOADS, Context, Measurement
from benchmarks.workloads.import_time import import_seconds

MB = 1024 * 1024
QUIET_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


@dataclass
class Options:
    scale: Scale
    backend: str = "sqlite"
    servers: tuple[str, ...] = ("mlflow", "tracklog")
    workloads: tuple[str, ...] = tuple(WORKLOADS)
    client_python: Path | None = None
    mlflow_venv: Path = benchvenv.DEFAULT_PATH
    workdir: Path | None = None
    keep: bool = False
    import_time: bool = True
    mlflow_jobs: bool = True  # mlflow's background job runner, on by default in mlflow 3.x
    populate: str = "rest"  # or "bulk" (SQLite only): see benchmarks/bulk.py


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _make_server(name: str, port: int, uri: str, workdir: Path, bench_python: Path | None,
                 mlflow_jobs: bool) -> Server:
    artifacts = workdir / name / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    if name == "mlflow":
        assert bench_python is not None
        command = mlflow_command(bench_python.parent / "mlflow", port, uri, artifacts)
    else:
        command = tracklog_command(Path(sys.executable).parent / "tracklog", port, uri, artifacts)
    env = dict(QUIET_ENV)
    if name == "mlflow" and not mlflow_jobs:
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    return Server(name, command, port, workdir / name / "server.log", env=env)


class Runner:
    def __init__(self, options: Options, console: Console) -> None:
        self.opts = options
        self.console = console
        self.results = Results(servers=list(options.servers))
        self.bench_python: Path | None = None
        self.client_python: Path | None = options.client_python

    def _prepare_pythons(self) -> None:
        wants_client = "official_client" in self.opts.workloads and self.client_python is None
        if "mlflow" in self.opts.servers or wants_client:
            self.bench_python = benchvenv.ensure(self.opts.mlflow_venv, self.opts.backend == "postgres")
        if self.client_python is None:
            self.client_python = self.bench_python

    def run(self) -> Results:
        os.environ.update(QUIET_ENV)
        previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
        self._prepare_pythons()
        base = self.opts.workdir or Path(tempfile.mkdtemp(prefix="run-", dir=_bench_dir()))
        base.mkdir(parents=True, exist_ok=True)
        self.results.meta = machine.describe(self.opts, self.bench_python)
        failed = True
        try:
            with contextlib.ExitStack() as stack:
                self._run_servers(stack, base)
            failed = bool(self.results.errors)
        finally:
            signal.signal(signal.SIGTERM, previous)
            if self.opts.keep or failed:
                self.console.print(f"[dim]work directory kept: {base}[/dim]")
            else:
                shutil.rmtree(base, ignore_errors=True)
        if self.opts.import_time:
            self._import_times()
        return self.results

    def _run_servers(self, stack: contextlib.ExitStack, base: Path) -> None:
        databases = stack.enter_context(Databases(self.opts.backend, base))
        servers = []
        db_paths: dict[str, Path | None] = {}
        for name in self.opts.servers:
            uri = databases.new_uri(name)
            db_paths[name] = Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None
            server = _make_server(name, free_port(), uri, base, self.bench_python, self.opts.mlflow_jobs)
            stack.callback(server.stop)
            # one at a time, so start-up is timed without the other server competing for the CPU
            server.start()
            seconds = server.wait_healthy()
            self._add(server.name, Measurement("server", "start to healthy", "s", seconds, "lower",
                                               client="server"))
            server.wait_quiet()
            self._idle_cpu(server)
            servers.append(server)
            self._add(server.name, Measurement("server memory", "idle RSS", "MB", server.rss_bytes() / MB,
                                               "lower", client="server", detail="process tree, after start"))
        contexts = {}
        for server in servers:
            rest = stack.enter_context(Rest(server.base_url))
            workdir = base / server.name
            contexts[server.name] = Context(server.name, server.base_url, rest, self.opts.scale, workdir,
                                            client_python=self.client_python, server_cpu=server.cpu_seconds,
                                            populate=self.opts.populate, db_path=db_paths[server.name])
        with RssSampler(servers) as sampler:
            self._repetitions(servers, contexts)
        for server in servers:
            self._add(server.name, Measurement("server memory", "peak RSS", "MB", sampler.peak[server.name] / MB,
                                               "lower", client="server", target=True,
                                               detail="process tree, sampled every 0.25 s"))

    def _idle_cpu(self, server: Server, seconds: float = 2.0) -> None:
        """Background CPU of an idle server (mlflow's job consumers poll), part of every CPU figure."""
        before = server.cpu_seconds()
        time.sleep(seconds)
        share = (server.cpu_seconds() - before) / seconds * 100.0
        self._add(server.name, Measurement("server", "idle CPU", "% of a core", share, "lower", client="server",
                                           detail=f"over {seconds:.0f} s after start-up settled"))

    def _repetitions(self, servers: list[Server], contexts: dict[str, Context]) -> None:
        for rep in range(self.opts.scale.repeat):
            order = servers if rep % 2 == 0 else servers[::-1]
            for workload in self.opts.workloads:
                for server in order:
                    ctx = contexts[server.name]
                    ctx.rep = rep
                    self._one(server, workload, ctx)

    def _one(self, server: Server, workload: str, ctx: Context) -> None:
        label = f"rep {ctx.rep + 1}/{self.opts.scale.repeat} {workload:<16} {server.name:<8}"
        began = time.perf_counter()
        try:
            measurements = WORKLOADS[workload](ctx)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - a failing workload is reported, the others still run
            message = f"{type(exc).__name__}: {str(exc)[:300]}"
            self.results.error(server.name, workload, message)
            self.console.print(f"{label} [red]failed[/red] {message}")
            return
        for m in measurements:
            self._add(server.name, m)
        for message in ctx.state.pop("errors", []):
            self.results.error(server.name, workload, message)
        self.console.print(f"{label} {time.perf_counter() - began:6.1f}s", style="dim")

    def _import_times(self) -> None:
        modules = {"mlflow": (self.bench_python, "mlflow"), "tracklog": (Path(sys.executable), "tracklog")}
        for server in self.opts.servers:
            python, module = modules[server]
            if python is None:
                continue
            try:
                samples = import_seconds(python, module, self.opts.scale.import_repeats)
            except Exception as exc:  # noqa: BLE001
                self.results.error(server, "client import", f"{type(exc).__name__}: {exc}")
                continue
            for value in samples:
                self._add(server, Measurement("client import", "import time", "ms", value, "lower",
                                              client="python",
                                              detail=f"python -c 'import {module}', {len(samples)} runs"))

    def _add(self, server: str, m: Measurement) -> None:
        self.results.add(server, m)


def _bench_dir() -> Path:
    path = benchvenv.ROOT / ".bench"
    path.mkdir(exist_ok=True)
    return path
