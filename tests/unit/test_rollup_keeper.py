"""RollupKeeper.after_write: which (run, key) refreshes a write schedules.

The batch-wide shortcut (no key can be due when the batch's own step span is not) must schedule
exactly what the per-key rule does: a key is due when its highest step is at least ``min_steps``
and its step span holds a multiple of ``refresh_steps``."""

from __future__ import annotations

import random
from typing import Any

from tracklog.entities import Metric
from tracklog.store.sql.rollups import RollupCache, RollupKeeper


class _Pool:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def submit(self, fn: Any, run_id: str, key: str) -> None:
        self.keys.append(key)


def _due(metrics: list[Metric], every: int, floor: int) -> set[str]:
    span: dict[str, list[int]] = {}
    for m in metrics:
        span.setdefault(m.key, []).append(m.step)
    return {k for k, steps in span.items() if max(steps) >= floor and max(steps) // every * every >= min(steps)}


def _scheduled(metrics: list[Metric], every: int, floor: int) -> list[str]:
    keeper = RollupKeeper(db=None, cache=RollupCache(min_steps=floor), refresh_steps=every)  # type: ignore[arg-type]
    pool = _Pool()
    keeper._pool = pool  # type: ignore[assignment]
    keeper.after_write("r", metrics)
    return pool.keys


def test_after_write_schedules_exactly_the_due_keys() -> None:
    rnd = random.Random(7)
    for _ in range(3000):
        every, floor = rnd.choice([(10, 20), (100, 200), (7, 0)])
        base = rnd.choice([0, 5, 95, 190, 1000, -50])
        metrics = [
            Metric(f"k{rnd.randrange(4)}", 1.0, 1, base + rnd.randrange(-5, 40)) for _ in range(rnd.randrange(1, 9))
        ]
        scheduled = _scheduled(metrics, every, floor)
        assert sorted(scheduled) == sorted(_due(metrics, every, floor)), (every, floor, metrics)


def test_after_write_of_nothing_schedules_nothing() -> None:
    assert _scheduled([], 10, 20) == []
