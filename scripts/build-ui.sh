#!/usr/bin/env bash
# Build the web UI (web/) into the Python package: src/tracklog/server/static/ (git-ignored).
# Skips cleanly when npm is not installed; the server then shows a "UI not built" page at /.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null 2>&1; then
    echo "build-ui: npm not found; skipping the web UI build (install Node.js >= 20 and re-run scripts/build-ui.sh)" >&2
    exit 0
fi

if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
else
    npm install --no-audit --no-fund --loglevel=error
fi
npm run build --silent
echo "build-ui: built into src/tracklog/server/static/"
