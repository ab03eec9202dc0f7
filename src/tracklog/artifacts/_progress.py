"""A rich progress bar for big transfers when stderr is a terminal (otherwise nothing).

"Big" means more than ``PROGRESS_MIN_BYTES`` bytes or more than
``PROGRESS_MIN_FILES`` files; rich is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["PROGRESS_MIN_BYTES", "PROGRESS_MIN_FILES", "Progress"]

PROGRESS_MIN_BYTES = 50 * 1024 * 1024
PROGRESS_MIN_FILES = 100


class Progress:
    """A rich progress bar on a TTY for big transfers; otherwise does nothing."""

    def __init__(self, description: str, total_bytes: int | None, files: int) -> None:
        self._bar: Any = None
        big = (total_bytes or 0) > PROGRESS_MIN_BYTES or files > PROGRESS_MIN_FILES
        if not (big and sys.stderr.isatty()):
            return
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, TextColumn, TransferSpeedColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task(description, total=total_bytes)
        self._bar.start()

    def advance(self, nbytes: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, nbytes)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
