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


def latency_measurements(workload: str, latencies: list[float], target: bool, detail: str = "",
                         client: str = "rest") -> list[Measurement]:
    detail = detail or f"{len(latencies)} calls"
    return [
        Measurement(workload, "p50 latency", "ms", percentile(latencies, 50), "lower", client, target, detail),
        Measurement(workload, "p99 latency", "ms", percentile(latencies, 99), "lower", client, False, detail),
    ]
