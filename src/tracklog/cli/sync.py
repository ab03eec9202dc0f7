"""``tracklog sync``: upload what processes left in their spools (offline runs, undelivered writes)."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["sync"]


@click.command("sync")
@click.option("--spool-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the spools (default: TRACKLOG_SPOOL_DIR, else ~/.cache/tracklog/spool).")
@click.option("--dry-run", is_flag=True, help="Only say what would be uploaded.")
@click.option("--status", "status_only", is_flag=True, help="List the spools and what is pending in each.")
@click.option("--retry-rejected", is_flag=True, help="Send again the writes the server refused before.")
@click.option("--tracking-uri", default=None, help="Deliver to this server instead of the one each spool names.")
def sync(spool_dir: Path | None, dry_run: bool, status_only: bool, retry_rejected: bool,
         tracking_uri: str | None) -> None:
    """Deliver the spools of processes that have ended (a live process delivers its own).

    A spool fully delivered is deleted. Exit code 1 when something could not be delivered."""
    from tracklog.client.spool import default_spool_dir
    from tracklog.client.spool.sync import spool_statuses, sync_spool

    directory = spool_dir or default_spool_dir()
    statuses = spool_statuses(directory)
    if not statuses:
        click.echo(f"No spools in {directory}.")
        return
    if status_only:
        for st in statuses:
            owner = f"live process {st.pid}" if st.live else f"ended process {st.pid}"
            click.echo(f"{st.path} ({owner}) -> {st.tracking_uri}: {st.pending} pending, {st.rejected} refused, "
                       f"{st.offline_runs} offline run(s) not on the server"
                       + (", offline artifacts" if st.artifacts else ""))
            for refusal in st.refusals:
                click.echo(f"  refused: {refusal}")
        return
    failed = False
    for st in statuses:
        result = sync_spool(st.path, dry_run=dry_run, retry_rejected=retry_rejected, tracking_uri=tracking_uri)
        if result.skipped_live:
            click.echo(f"{st.path}: skipped, process {st.pid} is alive and delivers it")
        elif dry_run:
            click.echo(f"{st.path}: would deliver {result.pending} write(s) to {result.tracking_uri}"
                       + (f" ({result.rejected} refused before)" if result.rejected else ""))
        else:
            click.echo(f"{st.path}: delivered {result.delivered} write(s) to {result.tracking_uri}"
                       + ("; spool deleted" if result.deleted else f"; {result.pending} pending, "
                          f"{result.rejected} refused, kept"))
            for local_id, server_id in result.mapped.items():
                click.echo(f"  offline run {local_id} -> {server_id}")
            for refusal in result.refusals:
                click.echo(f"  refused: {refusal}", err=True)
            if result.error:
                click.echo(f"  {result.error}", err=True)
            failed = failed or not result.deleted
    if failed:
        raise SystemExit(1)
