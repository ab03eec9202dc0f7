"""Client import time: wall time of ``python -c "import X"`` (interpreter start included), several runs."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def import_seconds(python: Path, module: str, repeats: int) -> list[float]:
    """One untimed warm-up (fills the OS page cache), then ``repeats`` timed runs, in milliseconds."""
    command = [str(python), "-c", f"import {module}"]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        samples.append((time.perf_counter() - began) * 1000.0)
    return samples
