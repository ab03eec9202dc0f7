"""What an import or export did: counts per entity kind, skips with reasons, and progress bars."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

__all__ = ["PHASES", "Progress", "Summary"]

PHASES = ("experiments", "runs", "metrics", "artifacts")
KINDS = ("experiments", "runs", "metric points", "logged models", "artifact files")


@dataclass
class Summary:
    """Thread-safe counters: ``copied[kind]``, ``skipped[(kind, reason)]``, ``failed`` messages."""

    copied: Counter[str] = field(default_factory=Counter)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    artifact_bytes: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.copied[kind] += n

    def skip(self, kind: str, reason: str, n: int = 1) -> None:
        with self._lock:
            self.skipped[(kind, reason)] += n

    def fail(self, message: str) -> None:
        with self._lock:
            self.failed.append(message)

    def rows(self) -> list[tuple[str, int, int, str]]:
        """(kind, copied, skipped, reasons) per kind, in a fixed order."""
        extra = ({k for k in self.copied} | {k for k, _ in self.skipped}) - set(KINDS)
        kinds = [*KINDS, *sorted(extra)]
        out = []
        for kind in kinds:
            reasons = {r: n for (k, r), n in self.skipped.items() if k == kind}
            if not self.copied[kind] and not reasons:
                continue
            why = "; ".join(f"{r} ({n})" for r, n in sorted(reasons.items()))
            out.append((kind, self.copied[kind], sum(reasons.values()), why))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "copied": dict(self.copied),
            "skipped": [{"kind": k, "reason": r, "count": n} for (k, r), n in sorted(self.skipped.items())],
            "failed": list(self.failed),
            "artifact_bytes": self.artifact_bytes,
            "seconds": round(self.seconds, 3),
        }

    def render(self, title: str) -> Any:
        """A rich Table of the rows."""
        from rich.table import Table

        table = Table(title=title)
        table.add_column("what")
        table.add_column("copied", justify="right")
        table.add_column("skipped", justify="right")
        table.add_column("why skipped")
        for kind, copied, skipped, why in self.rows():
            table.add_row(kind, str(copied), str(skipped), why)
        return table


class Progress:
    """One rich progress bar per phase when ``enabled`` (a TTY); a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self._bars: Any = None
        self._tasks: dict[str, Any] = {}
        self._totals: Counter[str] = Counter()
        self._lock = threading.Lock()
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bars = RichProgress(
                TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            for phase in PHASES:
                self._tasks[phase] = self._bars.add_task(phase, total=0)

    def __enter__(self) -> Progress:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bars is not None:
            self._bars.stop()

    def grow(self, phase: str, n: int) -> None:
        if self._bars is not None and n:
            with self._lock:
                self._totals[phase] += n
                self._bars.update(self._tasks[phase], total=self._totals[phase])

    def advance(self, phase: str, n: int = 1) -> None:
        if self._bars is not None and n:
            with self._lock:
                self._bars.update(self._tasks[phase], advance=n)
