"""freeze_startup_heap: the serving process's start-up objects leave the collector's generations."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc
from tracklog.server.asgi import build_app  # noqa: F401 - a realistic start-up heap
from tracklog.server.heap import freeze_startup_heap

assert gc.get_freeze_count() == 0
freeze_startup_heap()
frozen = gc.get_freeze_count()
assert frozen > 10_000, frozen
assert sum(gc.get_count()) < 100  # nothing left for a full collection to walk
print(frozen)
"""


def test_freeze_startup_heap_in_a_fresh_process() -> None:
    # In a subprocess: freezing the test runner's own heap would outlive the test.
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 10_000
