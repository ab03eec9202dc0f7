"""``tracklog users groups ...``: groups, their members and their experiment grants.

Like the other auth commands, works directly on the tracking database (``--backend-store-uri``).
A member's permission on an experiment is the highest of its own grant (or the default) and
its groups' grants.
"""

from __future__ import annotations

import click

from tracklog.cli.users import _service, _uri_option

__all__ = ["groups"]

_LEVELS = click.Choice(["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"], case_sensitive=False)


@click.group("groups")
def groups() -> None:
    """Groups of users; experiment permissions granted to a group apply to its members."""


@groups.command("create")
@click.argument("name")
@_uri_option
def create_group(name: str, backend_store_uri: str | None) -> None:
    """Create the group NAME."""
    group = _service(backend_store_uri).store.groups.create(name)
    click.echo(f"created group {group.name!r} (id {group.group_id})")


@groups.command("list")
@_uri_option
def list_groups(backend_store_uri: str | None) -> None:
    """List groups and their members."""
    for group in _service(backend_store_uri).store.groups.list_all():
        click.echo(f"{group.group_id}\t{group.name}\t{', '.join(group.members)}")


@groups.command("delete")
@click.argument("name")
@_uri_option
def delete_group(name: str, backend_store_uri: str | None) -> None:
    """Delete the group NAME with its memberships and grants."""
    _service(backend_store_uri).store.groups.delete(name)
    click.echo(f"deleted group {name!r}")


@groups.command("add-member")
@click.argument("name")
@click.argument("username")
@_uri_option
def add_member(name: str, username: str, backend_store_uri: str | None) -> None:
    """Add USERNAME to the group NAME."""
    service = _service(backend_store_uri)
    service.store.groups.add_member(name, service.store.require_user(username).user_id)
    click.echo(f"{username!r} is a member of {name!r}")


@groups.command("remove-member")
@click.argument("name")
@click.argument("username")
@_uri_option
def remove_member(name: str, username: str, backend_store_uri: str | None) -> None:
    """Remove USERNAME from the group NAME."""
    service = _service(backend_store_uri)
    service.store.groups.remove_member(name, service.store.require_user(username).user_id)
    click.echo(f"{username!r} is no longer a member of {name!r}")


@groups.command("grant")
@click.argument("name")
@click.argument("experiment_id", type=int)
@click.argument("permission", type=_LEVELS)
@_uri_option
def grant(name: str, experiment_id: int, permission: str, backend_store_uri: str | None) -> None:
    """Give the group NAME PERMISSION on EXPERIMENT_ID (replaces an earlier grant)."""
    _service(backend_store_uri).store.groups.set_permission(experiment_id, name, permission.upper())
    click.echo(f"group {name!r}: {permission.upper()} on experiment {experiment_id}")


@groups.command("revoke")
@click.argument("name")
@click.argument("experiment_id", type=int)
@_uri_option
def revoke(name: str, experiment_id: int, backend_store_uri: str | None) -> None:
    """Remove the group NAME's grant on EXPERIMENT_ID."""
    _service(backend_store_uri).store.groups.delete_permission(experiment_id, name)
    click.echo(f"group {name!r}: grant on experiment {experiment_id} removed")


@groups.command("permissions")
@click.argument("experiment_id", type=int)
@_uri_option
def permissions(experiment_id: int, backend_store_uri: str | None) -> None:
    """List the group grants on EXPERIMENT_ID."""
    for name, level in _service(backend_store_uri).store.groups.experiment_permissions(experiment_id):
        click.echo(f"{name}\t{level}")
