"""``tracklog users|permissions|tokens``: administer authentication directly on the database.

Each command opens the tracking database given by ``--backend-store-uri`` (or
``TRACKLOG_BACKEND_STORE_URI``; default: the server's default SQLite file) and needs no
running server. Passwords are prompted for (twice) or read from stdin with ``--password-stdin``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

import click

__all__ = ["permissions", "tokens", "users"]


def _uri_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--backend-store-uri", "backend_store_uri",
                        envvar=["TRACKLOG_BACKEND_STORE_URI", "MLFLOW_BACKEND_STORE_URI"],
                        help="Tracking database URI (default: ./mlruns/tracklog.db).")(func)


def _service(uri: str | None) -> Any:
    from tracklog.auth.service import make_service
    from tracklog.server.settings import Settings

    resolved = Settings(backend_store_uri=uri).resolved()
    assert resolved.backend_store_uri is not None
    return make_service(resolved.backend_store_uri)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("users")
def users() -> None:
    """Users of a server running with --auth."""


@users.command("create")
@click.argument("username")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user an administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--no-password", is_flag=True, help="No password (token-only or reverse-proxy user).")
@_uri_option
def create_user(username: str, is_admin: bool, password_stdin: bool, no_password: bool,
                backend_store_uri: str | None) -> None:
    """Create USERNAME."""
    password = None if no_password else _password(password_stdin)
    user = _service(backend_store_uri).create_user(username, password, is_admin)
    click.echo(f"created user {user.username!r} (id {user.user_id}{', admin' if user.is_admin else ''})")


@users.command("list")
@_uri_option
def list_users(backend_store_uri: str | None) -> None:
    """List users."""
    for user in _service(backend_store_uri).store.list_users():
        flags = ["admin"] if user.is_admin else []
        if user.password_hash is None:
            flags.append("no password")
        click.echo(f"{user.user_id}\t{user.username}\t{', '.join(flags)}")


@users.command("delete")
@click.argument("username")
@_uri_option
def delete_user(username: str, backend_store_uri: str | None) -> None:
    """Delete USERNAME with its tokens and permissions."""
    _service(backend_store_uri).store.delete_user(username)
    click.echo(f"deleted user {username!r}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@_uri_option
def set_password(username: str, password_stdin: bool, backend_store_uri: str | None) -> None:
    """Set USERNAME's password (signs out cached sessions of the old one)."""
    _service(backend_store_uri).set_password(username, _password(password_stdin))
    click.echo(f"password of {username!r} changed")


@users.command("set-admin")
@click.argument("username")
@click.argument("value", type=click.BOOL)
@_uri_option
def set_admin(username: str, value: bool, backend_store_uri: str | None) -> None:
    """Make USERNAME an administrator (true) or not (false)."""
    _service(backend_store_uri).store.set_admin(username, value)
    click.echo(f"{username!r} is {'now' if value else 'no longer'} an administrator")


@click.group("permissions")
def permissions() -> None:
    """Per-experiment permissions of users."""


@permissions.command("grant")
@click.argument("username")
@click.argument("experiment_id", type=int)
@click.argument("permission", type=click.Choice(["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"],
                                                case_sensitive=False))
@_uri_option
def grant(username: str, experiment_id: int, permission: str, backend_store_uri: str | None) -> None:
    """Give USERNAME PERMISSION on EXPERIMENT_ID (replaces an earlier grant)."""
    service = _service(backend_store_uri)
    user = service.store.require_user(username)
    service.store.set_experiment_permission(experiment_id, user.user_id, permission.upper())
    click.echo(f"{username!r}: {permission.upper()} on experiment {experiment_id}")


@permissions.command("revoke")
@click.argument("username")
@click.argument("experiment_id", type=int)
@_uri_option
def revoke(username: str, experiment_id: int, backend_store_uri: str | None) -> None:
    """Remove USERNAME's grant on EXPERIMENT_ID (the default permission applies again)."""
    service = _service(backend_store_uri)
    user = service.store.require_user(username)
    service.store.delete_experiment_permission(experiment_id, user.user_id)
    click.echo(f"{username!r}: grant on experiment {experiment_id} removed")


@permissions.command("list")
@click.option("--user", "username", help="Grants of this user.")
@click.option("--experiment", "experiment_id", type=int, help="Grants on this experiment.")
@_uri_option
def list_permissions(username: str | None, experiment_id: int | None, backend_store_uri: str | None) -> None:
    """List grants of one user or on one experiment."""
    service = _service(backend_store_uri)
    if username:
        user = service.store.require_user(username)
        for eid, level in sorted(service.store.user_permissions(user.user_id).items()):
            click.echo(f"{eid}\t{level}")
    elif experiment_id is not None:
        for name, level in service.store.experiment_permissions(experiment_id):
            click.echo(f"{name}\t{level}")
    else:
        raise click.UsageError("give --user or --experiment")


@click.group("tokens")
def tokens() -> None:
    """Personal access tokens (Authorization: Bearer tl_...)."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="", help="A label to recognize the token by.")
@click.option("--expires-in-days", type=int, help="Expire after this many days (default: never).")
@_uri_option
def create_token(username: str, name: str, expires_in_days: int | None, backend_store_uri: str | None) -> None:
    """Create a token for USERNAME and print it (it is shown only once)."""
    service = _service(backend_store_uri)
    user = service.store.require_user(username)
    token, row = service.create_token(user.user_id, name, expires_in_days)
    click.echo(f"token id {row.token_id}", err=True)
    click.echo(token)


@tokens.command("list")
@click.argument("username")
@_uri_option
def list_tokens(username: str, backend_store_uri: str | None) -> None:
    """List USERNAME's tokens (ids, names and expiry; never the values)."""
    service = _service(backend_store_uri)
    user = service.store.require_user(username)
    for row in service.store.list_tokens(user.user_id):
        expires = "never" if row.expiration_time is None else \
            dt.datetime.fromtimestamp(row.expiration_time / 1000, dt.UTC).isoformat(timespec="seconds")
        click.echo(f"{row.token_id}\t{row.name}\texpires {expires}")


@tokens.command("revoke")
@click.argument("username")
@click.argument("token_id", type=int)
@_uri_option
def revoke_token(username: str, token_id: int, backend_store_uri: str | None) -> None:
    """Revoke USERNAME's token TOKEN_ID."""
    service = _service(backend_store_uri)
    user = service.store.require_user(username)
    service.store.revoke_token(user.user_id, token_id)
    click.echo(f"token {token_id} revoked")


def _attach_groups() -> None:
    from tracklog.cli.groups import groups

    users.add_command(groups)


_attach_groups()
