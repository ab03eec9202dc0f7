"""Split a log-batch into requests that fit the server's limits.

MLflow's servers (and tracklog's) accept at most 1000 metrics, 100 params, 100 tags and
1000 entities in one ``runs/log-batch`` request, in a body of at most 1 MB. Like MLflow's
client, each request takes the next params first, then the next tags, then fills up with
metrics, so every param reaches the server no later than the metrics logged with it.
Unlike MLflow's client, bodies are also kept under the byte limit.

A batch split into several requests is no longer all-or-nothing: each request is one
transaction on the server, and a failure leaves the earlier requests written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from tracklog.entities import Metric, Param, RunTag

__all__ = ["BatchLimits", "split_batch"]


@dataclass(frozen=True, slots=True)
class BatchLimits:
    max_metrics: int = 1000
    max_params: int = 100
    max_tags: int = 100
    max_entities: int = 1000
    max_bytes: int = 1_000_000


DEFAULT_LIMITS = BatchLimits()
_KINDS = ("params", "tags", "metrics")


def _encode(run_id: str, taken: dict[str, list[bytes]]) -> bytes:
    parts = [b'{"run_id":', orjson.dumps(run_id)]
    for kind in ("metrics", "params", "tags"):
        parts += [b',"', kind.encode(), b'":[', b",".join(taken[kind]), b"]"]
    parts.append(b"}")
    return b"".join(parts)


def split_batch(
    run_id: str,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
    limits: BatchLimits = DEFAULT_LIMITS,
) -> list[bytes]:
    """The encoded ``runs/log-batch`` request bodies, in order; empty input gives none."""
    items: dict[str, list[bytes]] = {
        "params": [orjson.dumps(p.to_dict()) for p in params],
        "tags": [orjson.dumps(t.to_dict()) for t in tags],
        "metrics": [orjson.dumps(m.to_dict()) for m in metrics],
    }
    caps = {"params": limits.max_params, "tags": limits.max_tags, "metrics": limits.max_metrics}
    next_index = dict.fromkeys(_KINDS, 0)
    # {"run_id":"...","metrics":[],"params":[],"tags":[]}: every item adds its length plus a comma.
    envelope = len(_encode(run_id, {k: [] for k in _KINDS}))
    bodies: list[bytes] = []
    while any(next_index[k] < len(items[k]) for k in _KINDS):
        size = envelope
        count = 0
        taken: dict[str, list[bytes]] = {k: [] for k in _KINDS}
        for kind in _KINDS:
            pending = items[kind]
            while next_index[kind] < len(pending) and len(taken[kind]) < caps[kind] and count < limits.max_entities:
                item = pending[next_index[kind]]
                cost = len(item) + (1 if taken[kind] else 0)
                if count and size + cost > limits.max_bytes:
                    break  # full; an item too large on its own still goes alone
                taken[kind].append(item)
                size += cost
                count += 1
                next_index[kind] += 1
        bodies.append(_encode(run_id, taken))
    return bodies
