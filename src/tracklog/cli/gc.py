"""``tracklog gc``: permanently remove soft-deleted runs and experiments, artifacts included.

Run it with ``--dry-run`` first. See ``tracklog.purge`` for the order of operations and
what survives a crash half-way (in short: run it again).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import click

from tracklog.cli._common import echo_json, format_ms, json_option

__all__ = ["default_locations", "gc", "parse_age"]

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_AGE = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")


def parse_age(text: str) -> float:
    """Seconds in an age such as ``30d``, ``12h``, ``1d12h``, ``90m`` or ``2w``."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _AGE.sub("", compact):
        raise click.BadParameter(f"{text!r}: use a number with a unit, e.g. 30d, 12h, 1d12h, 90m, 45s, 2w")
    return sum(float(number) * _UNITS[unit] for number, unit in _AGE.findall(compact))


def default_locations(backend_store_uri: str | None, artifacts_destination: str | None) -> tuple[str, str]:
    """The database and artifacts destination, with the defaults of ``tracklog server``
    (a test pins them to ``Settings.resolved()``; the server package is not needed here)."""
    base = Path.cwd().resolve() / "mlruns"
    backend = backend_store_uri or f"sqlite:///{base / 'tracklog.db'}"
    destination = artifacts_destination or str(base / "artifacts")
    windows_drive = len(destination) > 1 and destination[1] == ":" and destination[0].isalpha()
    if "://" not in destination and (":" not in destination or windows_drive):
        destination = Path(destination).expanduser().resolve().as_uri()
    return backend, destination


def _ids(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _describe(target: Any) -> str:
    when = f", deleted {format_ms(target.deleted_time)} UTC" if target.deleted_time else ""
    name = f" {target.name!r}" if target.name else ""
    return f"{target.kind.replace('_', ' ')} {target.id}{name} (experiment {target.experiment_id}{when})"


@click.command("gc")
@click.option("--older-than", metavar="AGE", default=None,
              help="Only what was deleted at least AGE ago (30d, 12h, 1d12h, 90m, 2w). Default: any age.")
@click.option("--run-ids", metavar="ID,ID", default=None,
              help="Only these runs (comma-separated); each must be deleted. Limits gc to the ids given.")
@click.option("--experiment-ids", metavar="ID,ID", default=None,
              help="Only these experiments (comma-separated), with everything in them; each must be deleted.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; change nothing.")
@click.option("--backend-store-uri", metavar="URI", default=None,
              envvar=["TRACKLOG_BACKEND_STORE_URI", "MLFLOW_BACKEND_STORE_URI"],
              help="The tracking database (as for 'tracklog server'; default sqlite:///<cwd>/mlruns/tracklog.db).")
@click.option("--artifacts-destination", metavar="URI", default=None,
              envvar=["TRACKLOG_ARTIFACTS_DESTINATION", "MLFLOW_ARTIFACTS_DESTINATION"],
              help="Where the server stores proxied (mlflow-artifacts:/) artifacts (as for 'tracklog server').")
@json_option
def gc(older_than: str | None, run_ids: str | None, experiment_ids: str | None, dry_run: bool,
       backend_store_uri: str | None, artifacts_destination: str | None, as_json: bool) -> None:
    """Permanently remove deleted runs and experiments and their artifacts (try --dry-run first)."""
    from tracklog.artifacts.registry import get_repository
    from tracklog.purge import execute_gc, plan_gc
    from tracklog.store.gc import collector_for
    from tracklog.store.sql.store import SqlStore

    deleted_before = None
    if older_than is not None:
        deleted_before = int((time.time() - parse_age(older_than)) * 1000)
    backend, destination = default_locations(backend_store_uri, artifacts_destination)
    store = SqlStore(backend, "mlflow-artifacts:/")
    collector = collector_for(store)
    plan = plan_gc(collector, deleted_before=deleted_before, run_ids=_ids(run_ids),
                   experiment_ids=_ids(experiment_ids))
    if dry_run:
        _show_plan(plan, as_json)
        return
    lines: list[str] = []

    def notify(event: str, target: Any, detail: str) -> None:
        line = f"{event}: {_describe(target)}" + (f": {detail}" if detail else "")
        lines.append(line)
        if not as_json:
            click.echo(line)

    report = execute_gc(plan, collector, get_repository(destination), get_repository, notify)
    if as_json:
        echo_json({
            "removed": [{"kind": t.kind, "id": t.id} for t in report.removed],
            "skipped": [{"kind": t.kind, "id": t.id, "reason": why} for t, why in report.skipped],
            "kept_artifacts": [{"kind": t.kind, "id": t.id, "uri": uri} for t, uri in report.kept_artifacts],
            "failed": [{"kind": t.kind, "id": t.id, "error": err} for t, err in report.failed],
        })
    else:
        click.echo(f"Removed {len(report.removed)}, skipped {len(report.skipped)}, failed {len(report.failed)}.")
    if report.failed:
        raise click.ClickException(f"{len(report.failed)} could not be removed (their rows are kept): run "
                                   "'tracklog gc' again once the artifact store is reachable")


def _show_plan(plan: Any, as_json: bool) -> None:
    if as_json:
        echo_json({
            "dry_run": True,
            "runs": [{"run_id": r.id, "experiment_id": r.experiment_id, "artifact_uri": r.artifact_uri,
                      "deleted_time": r.deleted_time} for r in plan.runs],
            "experiments": [{"experiment_id": e.id, "name": e.name, "deleted_time": e.deleted_time,
                             "runs": sum(1 for c in contents if c.kind == "run"),
                             "logged_models": sum(1 for c in contents if c.kind == "logged_model")}
                            for e, contents in plan.experiments],
        })
        return
    if not len(plan):
        click.echo("Nothing to remove.")
        return
    for run in plan.runs:
        click.echo(f"would remove {_describe(run)}: artifacts {run.artifact_uri}")
    for experiment, contents in plan.experiments:
        runs = sum(1 for c in contents if c.kind == "run")
        models = len(contents) - runs
        click.echo(f"would remove {_describe(experiment)} with {runs} runs and {models} logged models")
    click.echo(f"Dry run: {len(plan.runs)} runs and {len(plan.experiments)} experiments would be removed.")
