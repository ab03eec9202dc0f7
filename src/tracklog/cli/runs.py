"""``tracklog runs``: list, describe, delete and restore runs."""

from __future__ import annotations

import click

from tracklog.cli._common import (
    echo_json,
    echo_table,
    format_ms,
    json_option,
    make_client,
    parse_view,
    tracking_uri_option,
    view_option,
)
from tracklog.entities import Run


@click.group("runs")
def runs() -> None:
    """Inspect and manage runs."""


@runs.command("list")
@click.option("-e", "--experiment-id", "experiment_ids", multiple=True, help="Experiment id (repeatable).")
@click.option("-n", "--experiment-name", "experiment_names", multiple=True, help="Experiment name (repeatable).")
@click.option("--filter", "filter_string", default="", help='Search filter, e.g. "metrics.rmse < 1".')
@click.option("--order-by", multiple=True, help="Ordering, e.g. 'metrics.rmse ASC' (repeatable).")
@click.option("--max-results", type=click.IntRange(min=1), default=100, show_default=True)
@view_option
@tracking_uri_option
@json_option
def list_(
    experiment_ids: tuple[str, ...],
    experiment_names: tuple[str, ...],
    filter_string: str,
    order_by: tuple[str, ...],
    max_results: int,
    view: str,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """List runs of the given experiments (default: the Default experiment, id 0)."""
    client = make_client(tracking_uri)
    ids = list(experiment_ids)
    for name in experiment_names:
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise click.ClickException(f"No experiment named {name!r}")
        ids.append(experiment.experiment_id)
    found = client.search_runs(ids or ["0"], filter_string, parse_view(view), max_results, order_by or None)
    if as_json:
        echo_json([r.to_dict() for r in found])
        return
    rows = [
        (
            r.info.run_id,
            r.info.run_name,
            r.info.experiment_id,
            r.info.status.value,
            format_ms(r.info.start_time),
            _duration(r),
        )
        for r in found
    ]
    echo_table(["Run ID", "Name", "Experiment", "Status", "Started (UTC)", "Duration"], rows)


@runs.command("describe")
@click.argument("run_id")
@tracking_uri_option
@json_option
def describe(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Show a run: info, params, latest metrics, tags and dataset inputs."""
    run = make_client(tracking_uri).get_run(run_id)
    if as_json:
        echo_json(run.to_dict())
        return
    info = run.info
    echo_table(
        ["Field", "Value"],
        [
            ("run_id", info.run_id),
            ("run_name", info.run_name),
            ("experiment_id", info.experiment_id),
            ("user_id", info.user_id),
            ("status", info.status.value),
            ("lifecycle_stage", info.lifecycle_stage.value),
            ("start_time", format_ms(info.start_time)),
            ("end_time", format_ms(info.end_time)),
            ("artifact_uri", info.artifact_uri),
        ],
        title="Run",
    )
    if run.data.param_list:
        echo_table(["Param", "Value"], sorted((p.key, p.value) for p in run.data.param_list), title="Params")
    if run.data.metric_list:
        metrics = sorted((m.key, repr(m.value), m.step) for m in run.data.metric_list)
        echo_table(["Metric", "Latest value", "Step"], metrics, title="Metrics")
    if run.data.tag_list:
        echo_table(["Tag", "Value"], sorted((t.key, t.value) for t in run.data.tag_list), title="Tags")
    if run.inputs.dataset_inputs:
        datasets = [
            (d.dataset.name, d.dataset.digest, d.dataset.source_type, ", ".join(f"{t.key}={t.value}" for t in d.tags))
            for d in run.inputs.dataset_inputs
        ]
        echo_table(["Dataset", "Digest", "Source type", "Tags"], datasets, title="Inputs")


@runs.command("delete")
@click.argument("run_id")
@tracking_uri_option
@json_option
def delete(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Soft-delete run RUN_ID."""
    make_client(tracking_uri).delete_run(run_id)
    _done(as_json, run_id, "deleted")


@runs.command("restore")
@click.argument("run_id")
@tracking_uri_option
@json_option
def restore(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Restore the deleted run RUN_ID."""
    make_client(tracking_uri).restore_run(run_id)
    _done(as_json, run_id, "restored")


def _done(as_json: bool, run_id: str, action: str) -> None:
    if as_json:
        echo_json({"run_id": run_id, "status": action})
    else:
        click.echo(f"Run {run_id} {action}")


def _duration(run: Run) -> str:
    if run.info.start_time is None or run.info.end_time is None:
        return ""
    seconds = max(0, run.info.end_time - run.info.start_time) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{sec:02d}s" if hours else f"{minutes}m{sec:02d}s"
