#!/usr/bin/env bash
# Benchmark tracklog against `mlflow server`, side by side, in one command.
#   scripts/bench.sh                          -> quick scale, SQLite, both servers
#   scripts/bench.sh --scale default --json out.json
#   scripts/bench.sh --backend postgres       -> throw-away databases on 127.0.0.1:5432
#   scripts/bench.sh --only tracklog          -> no mlflow server (the official client still runs)
# Ensures the project venv (.venv, via scripts/setup.sh dev) and the mlflow bench venv
# (.bench/mlflow-venv, mlflow==3.17.2, created once and reused), then runs
# `python -m benchmarks` with the arguments. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    scripts/setup.sh dev
fi

postgres=""
for arg in "$@"; do
    if [ "$arg" = "postgres" ] || [ "$arg" = "--backend=postgres" ]; then
        postgres="--postgres"
    fi
done
.venv/bin/python -m benchmarks.benchvenv $postgres >/dev/null

exec .venv/bin/python -m benchmarks "$@"
