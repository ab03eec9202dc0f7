"""``tracklog db``: database maintenance (``upgrade``, ``current``, ``check``).

``current`` and ``check`` only read: they compare the database's schema revision with the
newest one this tracklog knows. A schema *ahead* of the code (migrated by a newer tracklog)
is refused by the server at start with the same message ``check`` prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import click

from tracklog.cli._common import echo_json, json_option

__all__ = ["SchemaStatus", "db", "schema_status"]


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands relative to this tracklog."""

    uri: str  # password hidden
    revision: str | None  # None: no tracklog schema yet
    head: str
    state: str  # "current" | "behind" | "ahead" | "empty"

    def describe(self) -> str:
        return {
            "current": f"Database {self.uri} is at the newest schema ({self.head}).",
            "behind": f"Database {self.uri} is at revision {self.revision}, older than this tracklog "
                      f"({self.head}): back it up, then run 'tracklog db upgrade'.",
            "ahead": f"Database {self.uri} is at revision {self.revision!r}, which this tracklog does not "
                     f"know (newest: {self.head}): it was migrated by a newer tracklog. Upgrade tracklog.",
            "empty": f"Database {self.uri} has no tracklog schema yet ('tracklog db upgrade' creates it).",
        }[self.state]


def _store_uri(uri: str) -> str:
    from tracklog.client.uri import resolve

    target = resolve(uri)
    if target.kind == "rest":
        raise click.ClickException("a tracking server manages its own database: run this on the server")
    return target.store_uri


def schema_status(db_uri: str) -> SchemaStatus:
    """Read the schema revision of ``db_uri`` (nothing is created or changed)."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError
    from sqlalchemy.engine import make_url

    from tracklog.store.sql.engine import get_engine
    from tracklog.store.sql.migrate import MIGRATIONS_DIR, current_revision, head_revision

    head = head_revision()
    with get_engine(db_uri).connect() as conn:
        found = current_revision(conn)
    shown = make_url(db_uri).render_as_string(hide_password=True)
    if found is None:
        return SchemaStatus(shown, None, head, "empty")
    if found == head:
        return SchemaStatus(shown, found, head, "current")
    try:
        known = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(found) is not None
    except CommandError:
        known = False
    return SchemaStatus(shown, found, head, "behind" if known else "ahead")


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


@db.command("current")
@click.argument("uri")
@json_option
def current(uri: str, as_json: bool) -> None:
    """Show the schema revision of the database at URI and the newest one this tracklog knows."""
    status = schema_status(_store_uri(uri))
    if as_json:
        echo_json({"uri": status.uri, "revision": status.revision, "head": status.head, "state": status.state})
    else:
        click.echo(status.describe())


@db.command("check")
@click.argument("uri")
@json_option
def check(uri: str, as_json: bool) -> None:
    """Exit 0 when the database at URI is at the newest schema, else 1 (for deploy scripts)."""
    status = schema_status(_store_uri(uri))
    if as_json:
        echo_json({"uri": status.uri, "revision": status.revision, "head": status.head, "state": status.state})
    if status.state != "current":
        raise click.ClickException(status.describe())
    if not as_json:
        click.echo(status.describe())
