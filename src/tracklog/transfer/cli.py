"""``tracklog import mlflow|tracklog ...`` and ``tracklog export ...``."""

from __future__ import annotations

import sys
from typing import Any

import click

from tracklog.transfer.report import Summary

__all__ = ["export", "import_group"]


def _target(tracking_uri: str | None, artifact_root: str | None) -> tuple[Any, str]:
    """The store to write into and its public tracking URI."""
    from tracklog.client.uri import get_store_for, resolve
    from tracklog.store.registry import get_store

    target = resolve(tracking_uri)
    if artifact_root is None:
        return get_store_for(tracking_uri), target.tracking_uri
    if target.kind == "rest":
        raise click.UsageError("--artifact-root applies to embedded and SQL targets; a server picks its own")
    if target.kind == "embedded":
        from pathlib import Path

        Path(target.store_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return get_store(target.store_uri, default_artifact_root=artifact_root), target.tracking_uri


def _names(values: tuple[str, ...]) -> list[str]:
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _report(summary: Summary, title: str, as_json: bool) -> None:
    if as_json:
        import json

        click.echo(json.dumps(summary.to_dict(), indent=2))
        return
    from rich.console import Console

    console = Console()
    console.print(summary.render(title))
    mb = summary.artifact_bytes / 1e6
    console.print(f"{summary.seconds:.1f} s, {summary.copied['metric points']} metric points, {mb:.1f} MB of artifacts")
    for message in summary.failed:
        console.print(f"[red]failed:[/red] {message}")


def _progress_wanted(as_json: bool) -> bool:
    return not as_json and sys.stderr.isatty() and sys.stdout.isatty()


_experiments_option = click.option(
    "--experiments", "experiments", multiple=True, metavar="NAME",
    help="Only these experiments (repeat the option or separate names with commas).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
_workers_option = click.option("--workers", default=8, show_default=True, help="Concurrent artifact copies.")
_no_artifacts_option = click.option("--no-artifacts", is_flag=True, help="Copy metadata only, not artifacts.")


@click.group("import")
def import_group() -> None:
    """Bring experiments, runs, models and artifacts into tracklog (idempotent, resumable)."""


def _run_import(source: Any, to: str | None, artifact_root: str | None, experiments: tuple[str, ...],
                workers: int, no_artifacts: bool, as_json: bool, title: str) -> None:
    from tracklog.transfer.importer import Importer, ImportOptions

    store, uri = _target(to, artifact_root)
    options = ImportOptions(_names(experiments), not no_artifacts, workers, _progress_wanted(as_json))
    try:
        summary = Importer(source, store, uri, options).run()
    finally:
        source.close()
    _report(summary, title, as_json)


@import_group.command("mlflow")
@click.argument("source")
@_experiments_option
@click.option("--to", "to", default=None, metavar="TRACKING_URI",
              help="Where to import (default: $TRACKLOG_TRACKING_URI, $MLFLOW_TRACKING_URI, or ./mlruns).")
@click.option("--artifact-root", default=None, metavar="URI", help="Artifact root for new experiments in the target.")
@click.option("--source-artifact-root", default=None, metavar="URI",
              help="For a database SOURCE: the MLflow server's --artifacts-destination (folder or URI).")
@_workers_option
@_no_artifacts_option
@_json_option
def import_mlflow(source: str, experiments: tuple[str, ...], to: str | None, artifact_root: str | None,
                  source_artifact_root: str | None, workers: int, no_artifacts: bool, as_json: bool) -> None:
    """Import from MLflow: SOURCE is a server URL (http://host:5000) or its database URL (sqlite:///mlflow.db)."""
    from tracklog.transfer.sources import open_mlflow_source

    reader = open_mlflow_source(source, source_artifact_root)
    _refuse_same_folder(reader, to)
    _run_import(reader, to, artifact_root, experiments, workers, no_artifacts, as_json, f"Imported from {source}")


def _refuse_same_folder(reader: Any, to: str | None) -> None:
    """An mlruns folder cannot also be the embedded target (the default target is ./mlruns)."""
    from pathlib import Path

    from tracklog.client.uri import resolve
    from tracklog.transfer.mlflow_files import MlflowFileSource

    if not isinstance(reader, MlflowFileSource):
        return
    target = resolve(to)
    if target.kind == "embedded" and Path(target.store_uri.removeprefix("sqlite:///")).parent == reader.root:
        raise click.UsageError(f"{reader.root} is the MLflow folder being imported; choose another target with --to")


@import_group.command("tracklog")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@_experiments_option
@click.option("--to", "to", default=None, metavar="TRACKING_URI", help="Where to import (default: as for runs).")
@click.option("--artifact-root", default=None, metavar="URI", help="Artifact root for new experiments in the target.")
@_workers_option
@_no_artifacts_option
@_json_option
def import_tracklog(directory: str, experiments: tuple[str, ...], to: str | None, artifact_root: str | None,
                    workers: int, no_artifacts: bool, as_json: bool) -> None:
    """Import a directory written by ``tracklog export``."""
    from tracklog.transfer.export_dir import ExportDirSource

    reader = ExportDirSource(directory)
    _run_import(reader, to, artifact_root, experiments, workers, no_artifacts, as_json, f"Imported {directory}")


@click.command("export")
@click.argument("target_dir", type=click.Path(file_okay=False))
@_experiments_option
@click.option("--tracking-uri", default=None, metavar="URI",
              help="What to export (default: $TRACKLOG_TRACKING_URI, $MLFLOW_TRACKING_URI, or ./mlruns).")
@_workers_option
@_no_artifacts_option
@_json_option
def export(target_dir: str, experiments: tuple[str, ...], tracking_uri: str | None, workers: int,
           no_artifacts: bool, as_json: bool) -> None:
    """Write experiments, runs, metrics, models and artifacts to TARGET_DIR (format: tracklog-export v1)."""
    from tracklog.transfer.exporter import export_to_dir
    from tracklog.transfer.sources import open_store_source

    source = open_store_source(tracking_uri) if tracking_uri else open_store_source_default()
    summary = export_to_dir(source, target_dir, _names(experiments), artifacts=not no_artifacts,
                            workers=workers, progress=_progress_wanted(as_json))
    _report(summary, f"Exported to {target_dir}", as_json)


def open_store_source_default() -> Any:
    from tracklog.client.uri import get_tracking_uri
    from tracklog.transfer.sources import open_store_source

    return open_store_source(get_tracking_uri())
