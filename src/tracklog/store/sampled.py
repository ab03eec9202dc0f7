"""Bucketed (downsampled) metric histories for charts.

A chart cannot show more points than it has pixels, but dropping points must never hide
a spike or a NaN. ``TrackingStore.get_metric_history_sampled`` therefore splits the step
range into at most ``max_points`` equal-width buckets and returns, per bucket, the last
point (what the line is drawn through), the minimum and maximum of the bucket (a band that
keeps every spike visible, +/-inf included) and how many points and NaNs it holds. When
the range has no more distinct steps than ``max_points`` every bucket is one step, so the
answer is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["SAMPLED_MAX_POINTS", "SAMPLED_MAX_RUNS", "SampledPoint", "SampledSeries"]

#: Upper bound of buckets per run and request (larger requests are capped, not refused).
SAMPLED_MAX_POINTS = 5000
#: Runs per request.
SAMPLED_MAX_RUNS = 100


_COLUMNS = ("step", "first_step", "timestamp", "value", "min", "max", "count", "nan_count")
_FLOAT_COLUMNS = ("value", "min", "max")


def _non_finite_name(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _from_name(name: str) -> float:
    return math.nan if name == "NaN" else (math.inf if name == "Infinity" else -math.inf)


@dataclass(frozen=True, slots=True)
class SampledPoint:
    """One bucket: its last point (step, timestamp, value) plus min/max over its non-NaN values.

    ``min``/``max`` are NaN when every point of the bucket is NaN; ``nan_count`` says how many
    NaN points the bucket holds, so a NaN is never hidden behind a finite last value."""

    step: int
    timestamp: int
    value: float
    min: float
    max: float
    count: int
    nan_count: int
    first_step: int


@dataclass(frozen=True, slots=True)
class SampledSeries:
    """The buckets of one run's metric in step order; ``total`` counts the points they cover."""

    run_id: str
    key: str
    points: tuple[SampledPoint, ...]
    total: int
    bucket_width: int

    @property
    def exact(self) -> bool:
        """True when nothing was merged: one point per bucket."""
        return all(p.count == 1 for p in self.points)

    def to_dict(self) -> dict[str, Any]:
        """Columnar wire form: one array per field, numbers only. A non-finite value/min/max is 0 in its
        array and listed in ``non_finite``: ``{"value": {"NaN": [indexes], "Infinity": [...]}, ...}``
        (only the columns and kinds that occur; absent when every number is finite)."""
        pts = self.points
        out: dict[str, Any] = {
            "run_id": self.run_id, "key": self.key, "total": self.total, "bucket_width": self.bucket_width,
            "step": [p.step for p in pts], "first_step": [p.first_step for p in pts],
            "timestamp": [p.timestamp for p in pts],
        }
        special: dict[str, dict[str, list[int]]] = {}
        isfinite = math.isfinite
        for column in _FLOAT_COLUMNS:
            values = [getattr(p, column) for p in pts]
            for i, v in enumerate(values):
                if not isfinite(v):
                    special.setdefault(column, {}).setdefault(_non_finite_name(v), []).append(i)
                    values[i] = 0
            out[column] = values
        out["count"] = [p.count for p in pts]
        out["nan_count"] = [p.nan_count for p in pts]
        if special:
            out["non_finite"] = special
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SampledSeries:
        columns = {c: list(d.get(c) or []) for c in _COLUMNS}
        for column, kinds in (d.get("non_finite") or {}).items():
            if column in _FLOAT_COLUMNS and isinstance(kinds, dict):
                for name, indexes in kinds.items():
                    for i in indexes:
                        columns[column][i] = _from_name(name)
        n = len(columns["step"])
        points = tuple(
            SampledPoint(step=int(columns["step"][i]), timestamp=int(columns["timestamp"][i]),
                         value=float(columns["value"][i]), min=float(columns["min"][i]), max=float(columns["max"][i]),
                         count=int(columns["count"][i]), nan_count=int(columns["nan_count"][i]),
                         first_step=int(columns["first_step"][i]))
            for i in range(n)
        )
        return cls(run_id=str(d.get("run_id", "")), key=str(d.get("key", "")), points=points,
                   total=int(d.get("total", 0)), bucket_width=int(d.get("bucket_width", 1)))
