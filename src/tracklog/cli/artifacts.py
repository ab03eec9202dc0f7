"""``tracklog artifacts``: list, download and log a run's artifacts."""

from __future__ import annotations

import os

import click

from tracklog.cli._common import echo_json, echo_table, json_option, make_client, tracking_uri_option


@click.group("artifacts")
def artifacts() -> None:
    """List, download and upload run artifacts."""


@artifacts.command("list")
@click.argument("run_id")
@click.option("--path", default=None, help="Directory below the run's artifact root (default: the root).")
@tracking_uri_option
@json_option
def list_(run_id: str, path: str | None, tracking_uri: str | None, as_json: bool) -> None:
    """List the artifacts of RUN_ID (one directory level)."""
    found = make_client(tracking_uri).list_artifacts(run_id, path)
    if as_json:
        echo_json([f.to_dict() for f in found])
        return
    rows = [(f.path + ("/" if f.is_dir else ""), "" if f.is_dir else f.file_size) for f in found]
    echo_table(["Path", "Size (bytes)"], rows)


@artifacts.command("download")
@click.argument("run_id")
@click.option("--path", default="", help="File or directory to download (default: everything).")
@click.option("--dst-path", type=click.Path(file_okay=False), default=None, help="Local destination directory.")
@tracking_uri_option
@json_option
def download(run_id: str, path: str, dst_path: str | None, tracking_uri: str | None, as_json: bool) -> None:
    """Download artifacts of RUN_ID and print where they went."""
    if dst_path is not None:
        os.makedirs(dst_path, exist_ok=True)
    local = make_client(tracking_uri).download_artifacts(run_id, path, dst_path)
    if as_json:
        echo_json({"run_id": run_id, "path": path, "local_path": local})
    else:
        click.echo(local)


@artifacts.command("log")
@click.argument("run_id")
@click.argument("local_path", type=click.Path(exists=True))
@click.option("--artifact-path", default=None, help="Directory below the run's artifact root.")
@tracking_uri_option
@json_option
def log(run_id: str, local_path: str, artifact_path: str | None, tracking_uri: str | None, as_json: bool) -> None:
    """Upload LOCAL_PATH (a file, or a directory's contents) to RUN_ID's artifacts."""
    client = make_client(tracking_uri)
    if os.path.isdir(local_path):
        client.log_artifacts(run_id, local_path, artifact_path)
    else:
        client.log_artifact(run_id, local_path, artifact_path)
    if as_json:
        echo_json({"run_id": run_id, "local_path": local_path, "artifact_path": artifact_path})
    else:
        click.echo(f"Logged {local_path} to run {run_id}" + (f" under {artifact_path}" if artifact_path else ""))
