"""What every workload shares: the context it runs in, the measurement it returns, bounded loops."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from benchmarks.rest import Rest
from benchmarks.scales import Scale

Better = Literal["lower", "higher", "none"]


@dataclass(frozen=True)
class Measurement:
    workload: str
    metric: str
    unit: str
    value: float
    better: Better
    client: str = "rest"
    target: bool = False  # one of the ">= 10x" targets
    detail: str = ""


@dataclass
class Context:
    """One server as a workload sees it. ``state`` survives across repetitions (populated data)."""

    server: str
    base_url: str
    rest: Rest
    scale: Scale
    workdir: Path
    rep: int = 0
    client_python: Path | None = None
    server_cpu: Callable[[], float] = lambda: math.nan  # CPU seconds used so far by the server tree
    populate: str = "rest"  # "bulk": grow large data sets with SQL (benchmarks/bulk.py)
    db_path: Path | None = None  # the server's SQLite file (bulk populate)
    state: dict[str, Any] = field(default_factory=dict)


Workload = Callable[[Context], list[Measurement]]


def bounded(count: int, seconds: float) -> Iterator[int]:
    """Yield 0..count-1, stopping early once ``seconds`` have passed (always yields at least once)."""
    deadline = time.perf_counter() + seconds
    for i in range(count):
        if i and time.perf_counter() > deadline:
            return
        yield i


def timed_calls(call: Callable[[int], object], count: int, seconds: float) -> list[float]:
    """Run ``call(i)`` in a bounded loop; return each call's latency in milliseconds."""
    latencies = []
    for i in bounded(count, seconds):
        began = time.perf_counter()
        call(i)
        latencies.append((time.perf_counter() - began) * 1000.0)
    return latencies


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty list."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return percentile(values, 50.0)


class CpuMeter:
    """Server CPU time spent inside a ``with`` block (user + system, whole process tree).

    Unlike wall-clock latency it barely depends on what else the machine is doing,
    so it is the steadier figure on a busy machine.
    """

    def __init__(self, ctx: Context) -> None:
        self.read = ctx.server_cpu
        self.seconds = math.nan

    def __enter__(self) -> CpuMeter:
        self._start = self.read()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = self.read() - self._start

    def per_call_ms(self, calls: int) -> float:
        return self.seconds * 1000.0 / calls if calls else math.nan


def latency_measurements(workload: str, latencies: list[float], target: bool, detail: str = "",
                         cpu: CpuMeter | None = None) -> list[Measurement]:
    detail = detail or f"{len(latencies)} calls"
    out = [
        Measurement(workload, "p50 latency", "ms", percentile(latencies, 50), "lower", "rest", target, detail),
        Measurement(workload, "p99 latency", "ms", percentile(latencies, 99), "lower", "rest", False, detail),
    ]
    if cpu is not None:
        out.append(cpu_measurement(workload, cpu, len(latencies), detail))
    return out


def cpu_measurement(workload: str, cpu: CpuMeter, calls: int, detail: str = "",
                    metric: str = "server CPU per request") -> Measurement:
    return Measurement(workload, metric, "ms", cpu.per_call_ms(calls), "lower", detail=detail)
