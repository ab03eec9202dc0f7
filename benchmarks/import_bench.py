"""``python -m benchmarks.import_bench``: time ``tracklog import mlflow`` on a large MLflow database.

An MLflow SQLite database is created with MLflow's own store (schema and
migrations of the installed ``mlflow``), then filled directly with N runs of
P metric points each (K keys x P/K steps), 3 params and the usual system tags
per run: executemany into MLflow's tables, which takes seconds for 10,000 runs.
The import then runs as a subprocess (``tracklog import mlflow SOURCE --to
TARGET --no-artifacts --json``) and its wall time gives runs/s and points/s.

    python -m benchmarks.import_bench --runs 10000 --points 100
    python -m benchmarks.import_bench --runs 2000 --to postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

__all__ = ["fill_mlflow_db", "main"]


def _mlflow_python() -> str:
    """A python with ``mlflow`` importable: this one (dev extra) or the bench venv's."""
    probe = subprocess.run([sys.executable, "-c", "import mlflow"], capture_output=True, timeout=600)
    if probe.returncode == 0:
        return sys.executable
    from benchmarks import benchvenv

    return str(benchvenv.ensure())


def _create_schema(db: Path, artifact_root: Path) -> None:
    code = (
        "import sys\n"
        "from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore\n"
        "store = SqlAlchemyStore('sqlite:///' + sys.argv[1], sys.argv[2])\n"
        "store.create_experiment('import-bench')\n"
    )
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    subprocess.run([_mlflow_python(), "-c", code, str(db), str(artifact_root)], check=True,
                   capture_output=True, timeout=900, env=env)


def fill_mlflow_db(db: Path, runs: int, points: int, keys: int = 2) -> int:
    """Create ``db`` (MLflow schema, one experiment) with ``runs`` x ``points`` metric points."""
    _create_schema(db, db.parent / "mlartifacts")
    conn = sqlite3.connect(db)
    try:
        (exp_id, location), = conn.execute(
            "SELECT experiment_id, artifact_location FROM experiments WHERE name = 'import-bench'"
        )
        steps = max(1, points // keys)
        start = 1_700_000_000_000
        for first in range(0, runs, 1000):
            batch = [uuid.uuid4().hex for _ in range(first, min(runs, first + 1000))]
            conn.executemany(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
                " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
                " VALUES (?, ?, 'LOCAL', 'train.py', '', 'bench', 'FINISHED', ?, ?, '', 'active', ?, ?)",
                [(rid, f"run-{first + i}", start + first + i, start + first + i + 60_000,
                  f"{location}/{rid}/artifacts", exp_id) for i, rid in enumerate(batch)],
            )
            conn.executemany(
                "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                [(k, v, rid) for rid in batch for k, v in (
                    ("mlflow.runName", f"run-{rid[:6]}"), ("mlflow.user", "bench"),
                    ("mlflow.source.name", "train.py"), ("mlflow.source.type", "LOCAL"))],
            )
            conn.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                [(k, v, rid) for rid in batch for k, v in (("lr", "0.01"), ("depth", "6"), ("model", "gbm"))],
            )
            rows = [(f"m{k}", 1.0 / (s + 1) + k, start + s, rid, s, 0)
                    for rid in batch for k in range(keys) for s in range(steps)]
            conn.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)", rows
            )
            conn.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)",
                [(f"m{k}", 1.0 / steps + k, start + steps - 1, steps - 1, rid) for rid in batch for k in range(keys)],
            )
            conn.commit()
        return int(conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0])
    finally:
        conn.close()


def _tracklog_command() -> list[str]:
    launcher = "import sys; from tracklog.cli.main import main; sys.exit(main())"
    return [sys.executable, "-c", launcher]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_import(source: str, target: str, extra: list[str]) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, CPU seconds of the import process, its JSON summary)."""
    command = [*_tracklog_command(), "import", "mlflow", source, "--to", target, "--no-artifacts", "--json", *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    cpu, began = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - began
    return seconds, _children_cpu() - cpu, json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.import_bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=10_000)
    p.add_argument("--points", type=int, default=100, help="metric points per run")
    p.add_argument("--keys", type=int, default=2, help="metric keys per run (points are split across them)")
    p.add_argument("--to", help="target tracking URI (default: a fresh SQLite database in the work directory)")
    p.add_argument("--workdir", type=Path, help="where the databases go (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--json", type=Path, metavar="OUT.json", help="also write the figures as JSON")
    args = p.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tracklog-import-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        db = workdir / "mlflow.db"
        db.unlink(missing_ok=True)
        began = time.perf_counter()
        points = fill_mlflow_db(db, args.runs, args.points, args.keys)
        print(f"filled {db.name}: {args.runs} runs, {points} metric points in {time.perf_counter() - began:.1f} s",
              file=sys.stderr)
        target = args.to or f"sqlite:///{workdir / 'tracklog.db'}"
        seconds, cpu, summary = run_import(f"sqlite:///{db}", target, [])
        again, again_cpu, _ = run_import(f"sqlite:///{db}", target, [])
        figures = {
            "runs": args.runs, "metric_points": points, "target": "sqlite" if args.to is None else "custom",
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "runs_per_s": round(args.runs / seconds, 1), "points_per_s": round(points / seconds),
            "reimport_seconds": round(again, 2), "reimport_cpu_seconds": round(again_cpu, 2),
            "load_average": os.getloadavg(), "cpus": os.cpu_count(), "summary": summary,
        }
        print(f"import: {seconds:.1f} s wall ({cpu:.1f} s CPU) = {figures['runs_per_s']} runs/s, "
              f"{figures['points_per_s']} points/s; second (no-op) import {again:.1f} s ({again_cpu:.1f} s CPU); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
