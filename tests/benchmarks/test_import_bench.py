"""Smoke test of ``python -m benchmarks.import_bench`` at a tiny size (no timing assertions)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_bench_fills_imports_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.import_bench", "--runs", "30", "--points", "10",
         "--workdir", str(tmp_path / "work"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["runs"] == 30 and figures["metric_points"] == 300
    assert figures["seconds"] > 0 and figures["cpu_seconds"] > 0 and figures["points_per_s"] > 0
    assert figures["summary"]["copied"]["metric points"] == 300 and figures["summary"]["copied"]["runs"] == 30
    assert figures["summary"]["copied"]["run ids kept"] == 30
    with sqlite3.connect(tmp_path / "work" / "tracklog.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 300
    with sqlite3.connect(tmp_path / "work" / "mlflow.db") as conn:  # the generated source is MLflow's schema
        runs = {r for (r,) in conn.execute("SELECT run_uuid FROM runs")}
    with sqlite3.connect(tmp_path / "work" / "tracklog.db") as conn:
        assert {r for (r,) in conn.execute("SELECT run_uuid FROM runs")} == runs
