"""``tracklog db``: database maintenance."""

from __future__ import annotations

import os

import click

from tracklog.cli._common import echo_json, json_option


@click.group("db")
def db() -> None:
    """Manage the tracking database schema."""


@db.command("upgrade")
@click.argument("uri")
@json_option
def upgrade(uri: str, as_json: bool) -> None:
    """Migrate the database at URI to the newest schema.

    URI is a SQLAlchemy URL (sqlite:///..., postgresql://..., mysql+pymysql://...)
    or an embedded store folder (a path or a file: URI)."""
    from tracklog.client.uri import resolve

    target = resolve(uri)
    if target.kind == "rest":
        raise click.ClickException("a tracking server upgrades its own database: run this on the server")
    if target.kind == "embedded":
        os.makedirs(os.path.dirname(target.store_uri.removeprefix("sqlite:///")), exist_ok=True)
    from sqlalchemy.engine import make_url

    from tracklog.store.sql.migrate import upgrade as upgrade_database

    before = upgrade_database(target.store_uri)
    shown = make_url(target.store_uri).render_as_string(hide_password=True)
    if as_json:
        echo_json({"uri": shown, "previous_revision": before})
    else:
        click.echo(f"Database {shown} is at the newest schema (was {before or 'empty'}).")
