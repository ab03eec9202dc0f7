"""SQL operations of browser sessions and groups (tables ``auth_sessions``, ``auth_group*``).

Reached through ``AuthStore.sessions`` and ``AuthStore.groups``; each method is one transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from tracklog.exceptions import AlreadyExists, NotFound
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import Database

__all__ = ["GroupRow", "GroupStore", "SessionStore"]

_S = s.auth_sessions
_G = s.auth_groups
_M = s.auth_group_members
_GP = s.auth_group_experiment_permissions
_U = s.auth_users


def _now_ms() -> int:
    return int(time.time() * 1000)


class SessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, session_hash: str, user_id: int, credential_version: int, expiration_time: int) -> None:
        def op(conn: Connection) -> None:
            now = _now_ms()
            # Expired sessions of this user go when a new one is made (no sweeper needed).
            conn.execute(delete(_S).where(_S.c.user_id == user_id, _S.c.expiration_time <= now))
            conn.execute(insert(_S).values(session_hash=session_hash, user_id=user_id,
                                           credential_version=credential_version, creation_time=now,
                                           expiration_time=expiration_time))

        self._db.write(op)

    def user_id_for(self, session_hash: str, now_ms: int) -> int | None:
        """The user of a live session (not expired, the user's credentials unchanged since sign-in)."""

        def op(conn: Connection) -> int | None:
            row = conn.execute(
                select(_S.c.user_id).join(_U, _U.c.user_id == _S.c.user_id).where(
                    _S.c.session_hash == session_hash, _S.c.expiration_time > now_ms,
                    _S.c.credential_version == _U.c.credential_version)
            ).first()
            return int(row.user_id) if row else None

        return self._db.read(op)

    def revoke(self, session_hash: str) -> bool:
        return bool(self._db.write(lambda c: c.execute(delete(_S).where(_S.c.session_hash == session_hash)).rowcount))

    def revoke_user(self, user_id: int) -> int:
        return int(self._db.write(lambda c: c.execute(delete(_S).where(_S.c.user_id == user_id)).rowcount))


@dataclass(frozen=True, slots=True)
class GroupRow:
    group_id: int
    name: str
    members: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"id": self.group_id, "name": self.name, "members": list(self.members)}


class GroupStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str) -> GroupRow:
        def op(conn: Connection) -> GroupRow:
            try:
                with conn.begin_nested():
                    conn.execute(insert(_G).values(name=name, creation_time=_now_ms()))
            except IntegrityError:
                raise AlreadyExists(f"Group {name!r} already exists") from None
            return _group(conn, name)

        return self._db.write(op)

    def get(self, name: str) -> GroupRow:
        return self._db.read(_group, name)

    def list_all(self) -> list[GroupRow]:
        def op(conn: Connection) -> list[GroupRow]:
            members: dict[int, list[str]] = {}
            for r in conn.execute(select(_M.c.group_id, _U.c.username).join(_U, _U.c.user_id == _M.c.user_id)
                                  .order_by(_U.c.username)):
                members.setdefault(int(r.group_id), []).append(str(r.username))
            return [GroupRow(int(r.group_id), str(r.name), tuple(members.get(int(r.group_id), ())))
                    for r in conn.execute(select(_G).order_by(_G.c.name))]

        return self._db.read(op)

    def delete(self, name: str) -> None:
        def op(conn: Connection) -> None:
            group = _group(conn, name)
            conn.execute(delete(_GP).where(_GP.c.group_id == group.group_id))
            conn.execute(delete(_M).where(_M.c.group_id == group.group_id))
            conn.execute(delete(_G).where(_G.c.group_id == group.group_id))

        self._db.write(op)

    def add_member(self, name: str, user_id: int) -> None:
        def op(conn: Connection) -> None:
            group = _group(conn, name)
            exists = conn.execute(select(_M.c.user_id).where(_M.c.group_id == group.group_id,
                                                             _M.c.user_id == user_id)).first()
            if exists is None:
                conn.execute(insert(_M).values(group_id=group.group_id, user_id=user_id))

        self._db.write(op)

    def remove_member(self, name: str, user_id: int) -> None:
        def op(conn: Connection) -> None:
            group = _group(conn, name)
            gone = conn.execute(delete(_M).where(_M.c.group_id == group.group_id, _M.c.user_id == user_id)).rowcount
            if gone == 0:
                raise NotFound(f"The user is not a member of group {name!r}")

        self._db.write(op)

    def groups_of(self, user_id: int) -> list[str]:
        return self._db.read(lambda c: [str(n) for n in c.execute(
            select(_G.c.name).join(_M, _M.c.group_id == _G.c.group_id).where(_M.c.user_id == user_id)
            .order_by(_G.c.name)).scalars()])

    # -- experiment permissions of groups ------------------------------------------------
    def set_permission(self, experiment_id: int, name: str, permission: str) -> None:
        def op(conn: Connection) -> None:
            if conn.execute(select(s.experiments.c.experiment_id)
                            .where(s.experiments.c.experiment_id == experiment_id)).first() is None:
                raise NotFound(f"No experiment with id={experiment_id}")
            group = _group(conn, name)
            where = (_GP.c.experiment_id == experiment_id, _GP.c.group_id == group.group_id)
            if conn.execute(select(_GP.c.permission).where(*where)).first() is not None:
                conn.execute(update(_GP).where(*where).values(permission=permission))
            else:
                conn.execute(insert(_GP).values(experiment_id=experiment_id, group_id=group.group_id,
                                                permission=permission))

        self._db.write(op)

    def delete_permission(self, experiment_id: int, name: str) -> None:
        def op(conn: Connection) -> None:
            group = _group(conn, name)
            gone = conn.execute(delete(_GP).where(_GP.c.experiment_id == experiment_id,
                                                  _GP.c.group_id == group.group_id)).rowcount
            if gone == 0:
                raise NotFound(f"No permission for experiment {experiment_id} and group {name!r}")

        self._db.write(op)

    def experiment_permissions(self, experiment_id: int) -> list[tuple[str, str]]:
        """(group name, permission) of every group grant on one experiment."""
        return self._db.read(lambda c: [(str(r.name), str(r.permission)) for r in c.execute(
            select(_G.c.name, _GP.c.permission).join(_G, _G.c.group_id == _GP.c.group_id)
            .where(_GP.c.experiment_id == experiment_id).order_by(_G.c.name))])

    def user_group_permissions(self, user_id: int, experiment_id: int | None = None) -> list[tuple[int, str]]:
        """(experiment id, permission) of every grant to a group the user belongs to."""

        def op(conn: Connection) -> list[tuple[int, str]]:
            query = select(_GP.c.experiment_id, _GP.c.permission).join(
                _M, _M.c.group_id == _GP.c.group_id).where(_M.c.user_id == user_id)
            if experiment_id is not None:
                query = query.where(_GP.c.experiment_id == experiment_id)
            return [(int(r.experiment_id), str(r.permission)) for r in conn.execute(query)]

        return self._db.read(op)


def _group(conn: Connection, name: str) -> GroupRow:
    row = conn.execute(select(_G).where(_G.c.name == name)).first()
    if row is None:
        raise NotFound(f"Group {name!r} not found")
    members = conn.execute(select(_U.c.username).join(_M, _M.c.user_id == _U.c.user_id)
                           .where(_M.c.group_id == row.group_id).order_by(_U.c.username)).scalars()
    return GroupRow(int(row.group_id), str(row.name), tuple(str(m) for m in members))
