"""Smoke test of the benchmark harness: quick scale, tracklog only, no timing assertions.

It runs ``python -m benchmarks --only tracklog --scale quick`` as a user would (a real
``tracklog server`` subprocess on 127.0.0.1) with the official mlflow client taken from
this environment (the ``dev`` extra pins it), so CI needs no separate mlflow venv, and
checks that the table and the JSON file are well formed.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the harness lives at the repository root, outside src/
    sys.path.insert(0, str(ROOT))

from benchmarks.report import Results, markdown  # noqa: E402
from benchmarks.workloads.base import Measurement  # noqa: E402

REST_WORKLOADS = {"log metric", "log batch", "run create", "search", "metric history", "get wide run",
                  "artifacts", "concurrent writers"}
# the three tests share one harness run: keep them on one xdist worker
pytestmark = pytest.mark.xdist_group("bench_smoke")

RESULT_KEYS = {"client", "workload", "metric", "unit", "better", "target", "values", "median", "ratio",
               "detail"}


def _has_official_client() -> bool:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "out.json"
    args = [sys.executable, "-m", "benchmarks", "--only", "tracklog", "--scale", "quick",
            "--json", str(out), "--workdir", str(tmp / "work")]
    if _has_official_client():
        args += ["--client-python", sys.executable]
    else:
        args += ["--skip", "official_client"]
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=420, env=env,
                          stdin=subprocess.DEVNULL)
    return proc, out


@pytest.mark.timeout(480)
def test_quick_run_succeeds(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, out = quick_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert out.exists()


@pytest.mark.timeout(480)
def test_table_is_printed(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, _ = quick_run
    assert "tracklog vs mlflow" in proc.stdout
    header = next(line for line in proc.stdout.splitlines() if "client" in line and "workload" in line)
    assert "tracklog" in header and "mlflow" not in header and "ratio" not in header
    for workload in REST_WORKLOADS:
        assert workload in proc.stdout


@pytest.mark.timeout(480)
def test_json_is_well_formed(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = quick_run
    data = json.loads(out.read_text())
    assert data["servers"] == ["tracklog"]
    assert data["errors"] == []
    meta = data["meta"]
    assert meta["scale"] == "quick" and meta["backend"] == "sqlite" and meta["repeat"] == 1
    assert {"cpu", "cores", "memory_gib"} <= set(meta["machine"])
    assert {r["workload"] for r in data["results"] if r["client"] == "rest"} == REST_WORKLOADS
    if _has_official_client():
        assert any(r["client"] == "mlflow-client" for r in data["results"])
    rows = {(r["client"], r["workload"], r["metric"]) for r in data["results"]}
    assert ("server", "server memory", "peak RSS") in rows
    assert ("floor", "log metric", "server CPU per request") in rows  # the no-op app's figures
    assert ("floor", "log batch", "SQLite alone: decode + executemany + commit") in rows
    assert ("floor", "concurrent writers", "client CPU per request") in rows  # the 16 writers vs the no-op app
    assert ("python", "client import", "import time") in rows
    for result in data["results"]:
        assert set(result) == RESULT_KEYS
        assert result["better"] in ("lower", "higher", "none")
        assert result["ratio"] is None  # one server: no ratio
        values = result["values"]["tracklog"]
        assert values and all(isinstance(v, (int, float)) for v in values)
        median = result["median"]["tracklog"]
        assert median is None or (isinstance(median, (int, float)) and not math.isnan(median))


# --- the report's arithmetic, without servers ------------------------------------------------


def _results() -> Results:
    results = Results(servers=["mlflow", "tracklog"], meta={"scale": "quick", "backend": "sqlite", "repeat": 3})
    for server, values in (("mlflow", [30.0, 10.0, 20.0]), ("tracklog", [2.0, 1.0, 3.0])):
        for v in values:
            results.add(server, Measurement("log metric", "p50 latency", "ms", v, "lower", target=True))
    for server, v in (("mlflow", 1000.0), ("tracklog", 4000.0)):
        results.add(server, Measurement("log batch", "throughput", "points/s", v, "higher"))
    results.add("mlflow", Measurement("concurrent writers", "errors", "count", 3.0, "none"))
    results.add("tracklog", Measurement("concurrent writers", "errors", "count", 0.0, "none"))
    return results


def test_ratio_is_tracklogs_advantage_on_medians() -> None:
    data = _results().to_dict()
    by_metric = {r["metric"]: r for r in data["results"]}
    assert by_metric["p50 latency"]["median"] == {"mlflow": 20.0, "tracklog": 2.0}
    assert by_metric["p50 latency"]["ratio"] == 10.0  # lower is better: mlflow / tracklog
    assert by_metric["throughput"]["ratio"] == 4.0  # higher is better: tracklog / mlflow
    assert by_metric["errors"]["ratio"] is None


def test_markdown_table_has_one_row_per_figure() -> None:
    text = markdown(_results())
    lines = text.strip().splitlines()
    assert lines[0] == "| client | workload | metric | unit | mlflow | tracklog | ratio | detail |"
    assert len(lines) == 2 + 3
    assert "10.0× ✓" in text and "4.0×" in text
