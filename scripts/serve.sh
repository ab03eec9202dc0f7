#!/usr/bin/env bash
# Set everything up, then run the tracking server on the embedded default store (./mlruns).
# Extra arguments go to `tracklog server` (e.g. --port 5001).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/tracklog server "$@"
