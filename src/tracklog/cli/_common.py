"""Options and output shared by the CLI commands: ``--tracking-uri``, ``--json``, tables."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from tracklog.entities import ViewType

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["echo_json", "echo_table", "format_ms", "json_option", "make_client", "tracking_uri_option", "view_option"]


def tracking_uri_option(func: F) -> F:
    return click.option(
        "--tracking-uri",
        default=None,
        metavar="URI",
        help="Where runs are stored (default: $TRACKLOG_TRACKING_URI, $MLFLOW_TRACKING_URI, or ./mlruns).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of a table.")(func)


def view_option(func: F) -> F:
    return click.option(
        "--view",
        type=click.Choice(["active", "deleted", "all"]),
        default="active",
        show_default=True,
        help="Which lifecycle stage to list.",
    )(func)


def parse_view(view: str) -> ViewType:
    return {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}[view]


def make_client(tracking_uri: str | None) -> Any:
    from tracklog.client.tracking import TrackingClient

    return TrackingClient(tracking_uri)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False, default=str))


def format_ms(value: int | None) -> str:
    if value is None:
        return ""
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def echo_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """A rich table (plain text when stdout is not a terminal)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 240))  # never elide ids in a pipe
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)
