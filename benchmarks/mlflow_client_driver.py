"""Official-client workloads. Runs *inside the bench venv* (``.bench/mlflow-venv/bin/python``).

Usage: ``python mlflow_client_driver.py CONFIG.json`` where the config names the
tracking URI, the sizes and the ids of data the harness already populated. It
prints one line ``RESULT <json>``: a list of measurements plus a list of errors.
It imports nothing from the harness, only ``mlflow`` and the standard library,
so the very same code drives ``mlflow server`` and ``tracklog server``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "120")

CLIENT = "mlflow-client"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100.0 * len(ordered))) - 1] if ordered else math.nan


def measurement(workload: str, metric: str, unit: str, value: float, better: str,
                target: bool = False, detail: str = "") -> dict[str, Any]:
    return {"workload": workload, "metric": metric, "unit": unit, "value": value, "better": better,
            "client": CLIENT, "target": target, "detail": detail}


def timed(call: Callable[[int], object], count: int, seconds: float) -> list[float]:
    deadline, out = time.perf_counter() + seconds, []
    for i in range(count):
        if i and time.perf_counter() > deadline:
            break
        began = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - began) * 1000.0)
    return out


def latencies(workload: str, values: list[float]) -> list[dict[str, Any]]:
    detail = f"{len(values)} calls"
    return [measurement(workload, "p50 latency", "ms", percentile(values, 50), "lower", False, detail),
            measurement(workload, "p99 latency", "ms", percentile(values, 99), "lower", False, detail)]


def bench_logging(client: Any, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    from mlflow.entities import Metric

    experiment_id = client.create_experiment(f"client-{uuid.uuid4().hex[:10]}")
    run_id = client.create_run(experiment_id).info.run_id
    out = latencies("log metric", timed(lambda i: client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i),
                                        cfg["log_metric_calls"], cfg["loop_seconds"]))
    out += latencies("run create", timed(lambda i: client.create_run(experiment_id, run_name=f"r{i}"),
                                         cfg["run_creates"], cfg["loop_seconds"]))
    size, ts = cfg["batch_size"], int(time.time() * 1000)
    batches = [[Metric(f"m{j % 100}", float(j), ts, b * 10 + j // 100) for j in range(size)]
               for b in range(cfg["log_batches"])]
    began = time.perf_counter()
    done = timed(lambda b: client.log_batch(run_id, metrics=batches[b]), len(batches), cfg["loop_seconds"])
    points = len(done) * size
    out.append(measurement("log batch", "throughput", "points/s", points / (time.perf_counter() - began),
                           "higher", False, f"{len(done)} x {size} metrics"))
    return out


def bench_reads(client: Any, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    if cfg.get("search_experiment_id"):
        exp, page = cfg["search_experiment_id"], cfg["search_page_size"]
        plain = timed(lambda _: client.search_runs([exp], max_results=page), 3, cfg["loop_seconds"])
        out.append(measurement("search", "no filter, first page", "ms", percentile(plain, 50), "lower"))
        filt = timed(lambda _: client.search_runs([exp], cfg["search_filter"], max_results=page), 3,
                     cfg["loop_seconds"])
        out.append(measurement("search", "filter metric+param", "ms", percentile(filt, 50), "lower"))
    if cfg.get("history_run_id"):
        got: list[int] = []
        hist = timed(lambda _: got.append(len(client.get_metric_history(cfg["history_run_id"],
                                                                        cfg["history_key"]))),
                     3, cfg["loop_seconds"])
        out.append(measurement("metric history", "full fetch", "ms", percentile(hist, 50), "lower",
                               False, f"{got[-1]} points"))
    return out


def bench_artifacts(client: Any, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    experiment_id = client.create_experiment(f"client-art-{uuid.uuid4().hex[:10]}")
    run_id = client.create_run(experiment_id).info.run_id
    mb = cfg["artifact_large_mb"]
    with tempfile.TemporaryDirectory(dir=cfg["workdir"]) as tmp:
        src = os.path.join(tmp, "large.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(mb * 1024 * 1024))
        began = time.perf_counter()
        client.log_artifact(run_id, src)
        up = time.perf_counter() - began
        dst = os.path.join(tmp, "down")
        os.makedirs(dst)
        began = time.perf_counter()
        client.download_artifacts(run_id, "large.bin", dst)
        down = time.perf_counter() - began
    return [measurement("artifacts", "large upload", "MB/s", mb / up, "higher", False, f"{mb} MB"),
            measurement("artifacts", "large download", "MB/s", mb / down, "higher", False, f"{mb} MB")]


def main(config_path: str) -> None:
    with open(config_path) as f:
        cfg = json.load(f)
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=cfg["tracking_uri"])
    measurements: list[dict[str, Any]] = []
    errors: list[str] = []
    for part in (bench_logging, bench_reads, bench_artifacts):
        try:
            measurements += part(client, cfg)
        except Exception as exc:  # noqa: BLE001 - one failing part must not hide the others
            errors.append(f"{part.__name__}: {type(exc).__name__}: {str(exc)[:300]}")
            traceback.print_exc(file=sys.stderr)
    print("RESULT " + json.dumps({"measurements": measurements, "errors": errors}))


if __name__ == "__main__":
    main(sys.argv[1])
