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

from tracklog import validation
from tracklog.entities import Metric, Param, RunTag

__all__ = ["BatchLimits", "split_batch", "split_entities"]


@dataclass(frozen=True, slots=True)
class BatchLimits:
    max_metrics: int = validation.MAX_METRICS_PER_BATCH
    max_params: int = validation.MAX_PARAMS_PER_BATCH
    max_tags: int = validation.MAX_TAGS_PER_BATCH
    max_entities: int = validation.MAX_ENTITIES_PER_BATCH
    max_bytes: int = 1_000_000


DEFAULT_LIMITS = BatchLimits()
_KINDS = ("params", "tags", "metrics")  # the order in which a request is filled


def _plan(
    counts: dict[str, int], limits: BatchLimits, sizes: dict[str, list[int]] | None = None, envelope: int = 0
) -> list[dict[str, range]]:
    """Cut the items of each kind into consecutive per-request ranges.

    With ``sizes`` (the encoded length of every item), each request also stays under
    ``max_bytes``; an item too large on its own still goes alone."""
    caps = {"params": limits.max_params, "tags": limits.max_tags, "metrics": limits.max_metrics}
    start = dict.fromkeys(_KINDS, 0)
    plan: list[dict[str, range]] = []
    while any(start[k] < counts[k] for k in _KINDS):
        size, total = envelope, 0
        request: dict[str, range] = {}
        for kind in _KINDS:
            end = start[kind]
            while end < counts[kind] and end - start[kind] < caps[kind] and total < limits.max_entities:
                cost = 0 if sizes is None else sizes[kind][end] + (1 if end > start[kind] else 0)
                if total and size + cost > limits.max_bytes:
                    break
                size += cost
                total += 1
                end += 1
            request[kind] = range(start[kind], end)
            start[kind] = end
        plan.append(request)
    return plan


def split_entities(
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
    limits: BatchLimits = DEFAULT_LIMITS,
) -> list[tuple[list[Metric], list[Param], list[RunTag]]]:
    """The (metrics, params, tags) of each request, by count limits only."""
    counts = {"metrics": len(metrics), "params": len(params), "tags": len(tags)}
    return [
        ([metrics[i] for i in r["metrics"]], [params[i] for i in r["params"]], [tags[i] for i in r["tags"]])
        for r in _plan(counts, limits)
    ]


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
    # {"run_id":"...","metrics":[],"params":[],"tags":[]}: every item adds its length plus a comma.
    envelope = len(_encode(run_id, {k: [] for k in _KINDS}))
    counts = {k: len(v) for k, v in items.items()}
    sizes = {k: [len(b) for b in v] for k, v in items.items()}
    return [
        _encode(run_id, {k: items[k][r[k].start : r[k].stop] for k in _KINDS})
        for r in _plan(counts, limits, sizes, envelope)
    ]
