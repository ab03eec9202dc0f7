"""Collect measurements across servers and repetitions; render the rich table and the JSON file.

Every figure quoted is the median over repetitions. The ratio is tracklog's advantage:
mlflow / tracklog for lower-is-better figures, tracklog / mlflow for higher-is-better
ones, so "12x" always means tracklog is twelve times better.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.workloads.base import Better, Measurement

TARGET_RATIO = 10.0
CLIENT_ORDER = ("server", "rest", "floor", "mlflow-client", "python")


@dataclass
class Row:
    client: str
    workload: str
    metric: str
    unit: str
    better: Better
    target: bool
    values: dict[str, list[float]] = field(default_factory=dict)
    detail: dict[str, str] = field(default_factory=dict)

    def median(self, server: str) -> float | None:
        values = [v for v in self.values.get(server, []) if not math.isnan(v)]
        return statistics.median(values) if values else None

    def ratio(self) -> float | None:
        mlflow, tracklog = self.median("mlflow"), self.median("tracklog")
        if self.better == "none" or mlflow is None or tracklog is None or 0 in (mlflow, tracklog):
            return None
        return mlflow / tracklog if self.better == "lower" else tracklog / mlflow


@dataclass
class Results:
    servers: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    rows: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, server: str, m: Measurement) -> None:
        key = (m.client, m.workload, m.metric)
        row = self.rows.setdefault(key, Row(m.client, m.workload, m.metric, m.unit, m.better, m.target))
        row.values.setdefault(server, []).append(m.value)
        if m.detail:
            row.detail[server] = m.detail

    def error(self, server: str, workload: str, message: str) -> None:
        self.errors.append({"server": server, "workload": workload, "error": message})

    def ordered(self) -> list[Row]:
        """Rows grouped by client (server figures first), in measurement order within a group."""
        rank = {c: i for i, c in enumerate(CLIENT_ORDER)}
        return sorted(self.rows.values(), key=lambda r: rank.get(r.client, len(rank)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "servers": self.servers,
            "results": [
                {
                    "client": r.client, "workload": r.workload, "metric": r.metric, "unit": r.unit,
                    "better": r.better, "target": r.target, "values": r.values,
                    "median": {s: r.median(s) for s in self.servers},
                    "ratio": r.ratio(), "detail": r.detail,
                }
                for r in self.ordered()
            ],
            "errors": self.errors,
        }

    def write_json(self, path: Path) -> None:
        path.write_bytes(orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


def detail_of(row: Row) -> str:
    """One detail when the servers agree, else each server's, labelled."""
    distinct = {d for d in row.detail.values() if d}
    if len(distinct) <= 1:
        return next(iter(distinct), "")
    return "; ".join(f"{server}: {text}" for server, text in row.detail.items() if text)


def fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio_cell(row: Row) -> str:
    ratio = row.ratio()
    if ratio is None:
        return "—"
    style = "green" if ratio >= TARGET_RATIO else ("yellow" if ratio >= 1 else "red")
    mark = ""
    if row.target:
        mark = " ✓" if ratio >= TARGET_RATIO else " ✗"
    return f"[{style}]{ratio:.1f}×{mark}[/{style}]"


def table(results: Results) -> Table:
    meta = results.meta
    title = (f"tracklog vs mlflow — scale {meta.get('scale')}, backend {meta.get('backend')}, "
             f"median of {meta.get('repeat')} repetition(s)")
    out = Table(title=title, caption="ratio = tracklog's advantage (✓/✗: the issue's ≥10× targets)")
    for column in ("client", "workload", "metric", "unit"):
        out.add_column(column, no_wrap=column != "metric")
    for server in results.servers:
        out.add_column(server, justify="right")
    if len(results.servers) > 1:
        out.add_column("ratio", justify="right")
    out.add_column("detail", overflow="fold", style="dim")
    for row in results.ordered():
        cells = [row.client, row.workload, row.metric, row.unit]
        cells += [fmt(row.median(s)) for s in results.servers]
        if len(results.servers) > 1:
            cells.append(_ratio_cell(row))
        cells.append(detail_of(row))
        out.add_row(*cells)
    return out


def _plain_ratio(row: Row) -> str:
    ratio = row.ratio()
    if ratio is None:
        return "—"
    mark = (" ✓" if ratio >= TARGET_RATIO else " ✗") if row.target else ""
    return f"{ratio:.1f}×{mark}"


def markdown(results: Results) -> str:
    """The same table as GitHub-flavoured Markdown (for docs/performance.md)."""
    servers = results.servers
    head = ["client", "workload", "metric", "unit", *servers]
    if len(servers) > 1:
        head.append("ratio")
    head.append("detail")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in results.ordered():
        cells = [row.client, row.workload, row.metric, row.unit, *(fmt(row.median(s)) for s in servers)]
        if len(servers) > 1:
            cells.append(_plain_ratio(row))
        cells.append(detail_of(row))
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    for err in results.errors:
        lines.append(f"\nerror: {err['server']} / {err['workload']}: {err['error']}")
    return "\n".join(lines) + "\n"


def render(results: Results, console: Console) -> None:
    console.print(table(results))
    for err in results.errors:
        console.print(f"[red]error[/red] {err['server']} / {err['workload']}: {err['error']}")
