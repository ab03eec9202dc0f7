"""``tracklog experiments``: create, list, rename, delete and restore experiments."""

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
from tracklog.entities import Experiment


def _parse_tags(pairs: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--tag")
        tags[key] = value
    return tags


@click.group("experiments")
def experiments() -> None:
    """Manage experiments."""


@experiments.command("create")
@click.argument("name")
@click.option("--artifact-location", default=None, help="Where the experiment's runs put artifacts.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Experiment tag (repeatable).")
@tracking_uri_option
@json_option
def create(
    name: str, artifact_location: str | None, tags: tuple[str, ...], tracking_uri: str | None, as_json: bool
) -> None:
    """Create an experiment called NAME and print its id."""
    experiment_id = make_client(tracking_uri).create_experiment(name, artifact_location, _parse_tags(tags))
    if as_json:
        echo_json({"experiment_id": experiment_id, "name": name})
    else:
        click.echo(f"Created experiment {name!r} with id {experiment_id}")


@experiments.command("list")
@view_option
@click.option("--filter", "filter_string", default=None, help="Search filter, e.g. \"name LIKE 'exp%'\".")
@click.option("--order-by", multiple=True, help="Ordering, e.g. 'name ASC' (repeatable).")
@click.option("--max-results", type=click.IntRange(min=1), default=None, help="At most this many.")
@tracking_uri_option
@json_option
def list_(
    view: str,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """List experiments."""
    found: list[Experiment] = []
    for experiment in make_client(tracking_uri).iter_experiments(parse_view(view), filter_string, order_by or None):
        if max_results is not None and len(found) >= max_results:
            break
        found.append(experiment)
    if as_json:
        echo_json([e.to_dict() for e in found])
        return
    rows = [
        (e.experiment_id, e.name, e.lifecycle_stage.value, e.artifact_location, format_ms(e.creation_time))
        for e in found
    ]
    echo_table(["ID", "Name", "Stage", "Artifact location", "Created (UTC)"], rows)


@experiments.command("rename")
@click.argument("experiment_id")
@click.argument("new_name")
@tracking_uri_option
@json_option
def rename(experiment_id: str, new_name: str, tracking_uri: str | None, as_json: bool) -> None:
    """Rename experiment EXPERIMENT_ID to NEW_NAME."""
    make_client(tracking_uri).rename_experiment(experiment_id, new_name)
    _done(as_json, experiment_id, "renamed", f"Renamed experiment {experiment_id} to {new_name!r}")


@experiments.command("delete")
@click.argument("experiment_id")
@tracking_uri_option
@json_option
def delete(experiment_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Soft-delete experiment EXPERIMENT_ID (and mark its runs deleted)."""
    make_client(tracking_uri).delete_experiment(experiment_id)
    _done(as_json, experiment_id, "deleted", f"Deleted experiment {experiment_id}")


@experiments.command("restore")
@click.argument("experiment_id")
@tracking_uri_option
@json_option
def restore(experiment_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Restore the deleted experiment EXPERIMENT_ID."""
    make_client(tracking_uri).restore_experiment(experiment_id)
    _done(as_json, experiment_id, "restored", f"Restored experiment {experiment_id}")


def _done(as_json: bool, experiment_id: str, action: str, message: str) -> None:
    if as_json:
        echo_json({"experiment_id": experiment_id, "status": action})
    else:
        click.echo(message)
