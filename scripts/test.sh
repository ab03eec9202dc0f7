#!/usr/bin/env bash
# Set everything up, start what the tests need, and run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/unit -x).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser tests (the e2e suite never downloads a browser).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
# nginx for the reverse-proxy tests (tests/nginx.py runs it unprivileged from a temp dir).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null
fi

scripts/setup.sh dev
scripts/services.sh
# Azurite (the Azure Blob emulator) comes from npm, pinned by tests/emulators/package-lock.json.
if command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/emulators --no-audit --no-fund --loglevel=error
fi

.venv/bin/ruff check src tests
.venv/bin/mypy

# Front-end unit tests (Vitest); the browser end-to-end tests run inside pytest below.
if [ -f web/package.json ] && command -v npm >/dev/null 2>&1; then
    (cd web && npm test --silent)
fi

workers=${TRACKLOG_TEST_WORKERS:-2}
if [ $# -eq 0 ]; then
    set -- tests
fi
exec .venv/bin/python -m pytest -n "$workers" --dist loadgroup -p no:cacheprovider "$@"
