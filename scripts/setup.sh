#!/usr/bin/env bash
# Set up tracklog on a fresh machine: a virtualenv in .venv with tracklog and its extras.
#   scripts/setup.sh            -> runtime extras (server, databases, cloud stores, sklearn)
#   scripts/setup.sh dev        -> plus the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

extras="all"
[ "${1:-}" = "dev" ] && extras="dev"
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[${extras}]"

# The web UI is built into the package when its sources are present (see docs/ui.md).
if [ -f web/package.json ] && [ -x scripts/build-ui.sh ]; then
    scripts/build-ui.sh
fi
