"""SQL operations of authentication and authorization (tables ``auth_*`` in ``schema.py``).

``AuthStore`` opens the same engine as the tracking store (one per URI) and runs each
operation in one transaction. Callers pass already-validated values; the policy lives
in ``tracklog.auth``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tracklog.exceptions import AlreadyExists, NotFound
from tracklog.store.sql import schema as s
from tracklog.store.sql.auth_groups import GroupStore, SessionStore
from tracklog.store.sql.db import Database
from tracklog.store.sql.engine import get_engine
from tracklog.store.sql.migrate import ensure_schema

__all__ = ["AuthStore", "TokenRow", "UserRow"]


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: int
    username: str
    password_hash: str | None
    is_admin: bool
    credential_version: int

    def to_dict(self) -> dict[str, object]:
        """The wire shape of MLflow's basic-auth ``User`` (never the hash)."""
        return {"id": self.user_id, "username": self.username, "is_admin": self.is_admin}


@dataclass(frozen=True, slots=True)
class TokenRow:
    token_id: int
    user_id: int
    name: str
    creation_time: int
    expiration_time: int | None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.token_id, "name": self.name, "creation_time": self.creation_time}
        if self.expiration_time is not None:
            out["expiration_time"] = self.expiration_time
        return out


def _user(row: object) -> UserRow:
    return UserRow(row.user_id, row.username, row.password_hash, bool(row.is_admin),  # type: ignore[attr-defined]
                   int(row.credential_version))  # type: ignore[attr-defined]


_U = s.auth_users
_T = s.auth_tokens
_P = s.auth_experiment_permissions


class AuthStore:
    def __init__(self, db_uri: str, *, migrate: bool = True) -> None:
        engine = get_engine(db_uri)
        if migrate:
            ensure_schema(engine)
        self._db = Database(engine)
        self.sessions = SessionStore(self._db)
        self.groups = GroupStore(self._db)

    # -- users -----------------------------------------------------------------
    def create_user(self, username: str, password_hash: str | None, is_admin: bool = False) -> UserRow:
        def op(conn: Connection) -> UserRow:
            try:
                with conn.begin_nested():
                    conn.execute(insert(_U).values(username=username, password_hash=password_hash,
                                                   is_admin=is_admin, credential_version=0,
                                                   creation_time=_now_ms()))
            except IntegrityError:
                raise AlreadyExists(f"User {username!r} already exists") from None
            return _by_name(conn, username)

        return self._db.write(op)

    def get_user(self, username: str) -> UserRow | None:
        return self._db.read(_find, username)

    def require_user(self, username: str) -> UserRow:
        user = self.get_user(username)
        if user is None:
            raise NotFound(f"User with username={username!r} not found")
        return user

    def user_by_id(self, user_id: int) -> UserRow | None:
        def op(conn: Connection) -> UserRow | None:
            row = conn.execute(select(_U).where(_U.c.user_id == user_id)).first()
            return _user(row) if row else None

        return self._db.read(op)

    def list_users(self) -> list[UserRow]:
        return self._db.read(lambda conn: [_user(r) for r in conn.execute(select(_U).order_by(_U.c.username))])

    def set_password(self, username: str, password_hash: str) -> None:
        self._update(username, password_hash=password_hash, credential_version=_U.c.credential_version + 1)

    def set_admin(self, username: str, is_admin: bool) -> None:
        self._update(username, is_admin=is_admin, credential_version=_U.c.credential_version + 1)

    def _update(self, username: str, **values: object) -> None:
        def op(conn: Connection) -> None:
            if conn.execute(update(_U).where(_U.c.username == username).values(**values)).rowcount == 0:
                raise NotFound(f"User with username={username!r} not found")

        self._db.write(op)

    def delete_user(self, username: str) -> None:
        def op(conn: Connection) -> None:
            user = _by_name(conn, username)
            conn.execute(delete(_P).where(_P.c.user_id == user.user_id))
            conn.execute(delete(_T).where(_T.c.user_id == user.user_id))
            conn.execute(delete(s.auth_sessions).where(s.auth_sessions.c.user_id == user.user_id))
            conn.execute(delete(s.auth_group_members).where(s.auth_group_members.c.user_id == user.user_id))
            conn.execute(delete(_U).where(_U.c.user_id == user.user_id))

        self._db.write(op)

    def count_admins(self) -> int:
        return int(self._db.read(lambda c: c.execute(
            select(func.count()).select_from(_U).where(_U.c.is_admin.is_(True))).scalar_one()))

    # -- tokens ----------------------------------------------------------------
    def create_token(self, user_id: int, token_hash: str, name: str, expiration_time: int | None) -> TokenRow:
        def op(conn: Connection) -> TokenRow:
            now = _now_ms()
            result = conn.execute(insert(_T).values(user_id=user_id, token_hash=token_hash, name=name,
                                                    creation_time=now, expiration_time=expiration_time))
            token_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            return TokenRow(token_id, user_id, name, now, expiration_time)

        return self._db.write(op)

    def user_for_token(self, token_hash: str, now_ms: int) -> UserRow | None:
        def op(conn: Connection) -> UserRow | None:
            row = conn.execute(
                select(_U).join(_T, _T.c.user_id == _U.c.user_id).where(
                    _T.c.token_hash == token_hash,
                    (_T.c.expiration_time.is_(None)) | (_T.c.expiration_time > now_ms),
                )
            ).first()
            return _user(row) if row else None

        return self._db.read(op)

    def list_tokens(self, user_id: int) -> list[TokenRow]:
        def op(conn: Connection) -> list[TokenRow]:
            rows = conn.execute(select(_T).where(_T.c.user_id == user_id).order_by(_T.c.token_id))
            return [TokenRow(r.token_id, r.user_id, r.name, r.creation_time, r.expiration_time) for r in rows]

        return self._db.read(op)

    def revoke_token(self, user_id: int, token_id: int) -> None:
        def op(conn: Connection) -> None:
            gone = conn.execute(delete(_T).where(_T.c.token_id == token_id, _T.c.user_id == user_id)).rowcount
            if gone == 0:
                raise NotFound(f"Token {token_id} not found")

        self._db.write(op)

    # -- experiment permissions --------------------------------------------------
    def experiment_permission(self, experiment_id: int, user_id: int) -> str | None:
        return self._db.read(lambda c: c.execute(
            select(_P.c.permission).where(_P.c.experiment_id == experiment_id, _P.c.user_id == user_id)
        ).scalar_one_or_none())

    def set_experiment_permission(self, experiment_id: int, user_id: int, permission: str,
                                  *, must_exist: bool | None = None) -> None:
        """Upsert (``must_exist=None``), create only (False) or update only (True)."""

        def op(conn: Connection) -> None:
            if conn.execute(select(s.experiments.c.experiment_id)
                            .where(s.experiments.c.experiment_id == experiment_id)).first() is None:
                raise NotFound(f"No experiment with id={experiment_id}")
            where = (_P.c.experiment_id == experiment_id, _P.c.user_id == user_id)
            exists = conn.execute(select(_P.c.permission).where(*where)).first() is not None
            if exists and must_exist is False:
                raise AlreadyExists(f"A permission for experiment {experiment_id} and this user already exists")
            if not exists and must_exist:
                raise NotFound(f"No permission for experiment {experiment_id} and this user")
            if exists:
                conn.execute(update(_P).where(*where).values(permission=permission))
            else:
                conn.execute(insert(_P).values(experiment_id=experiment_id, user_id=user_id,
                                               permission=permission))

        self._db.write(op)

    def delete_experiment_permission(self, experiment_id: int, user_id: int) -> None:
        def op(conn: Connection) -> None:
            gone = conn.execute(delete(_P).where(_P.c.experiment_id == experiment_id,
                                                 _P.c.user_id == user_id)).rowcount
            if gone == 0:
                raise NotFound(f"No permission for experiment {experiment_id} and this user")

        self._db.write(op)

    def user_permissions(self, user_id: int) -> dict[int, str]:
        """Every explicit experiment permission of one user (indexed by user_id)."""
        return self._db.read(lambda c: {int(r.experiment_id): str(r.permission) for r in c.execute(
            select(_P.c.experiment_id, _P.c.permission).where(_P.c.user_id == user_id))})

    def experiment_permissions(self, experiment_id: int) -> list[tuple[str, str]]:
        """(username, permission) of every explicit grant on one experiment."""
        return self._db.read(lambda c: [(str(r.username), str(r.permission)) for r in c.execute(
            select(_U.c.username, _P.c.permission).join(_U, _U.c.user_id == _P.c.user_id)
            .where(_P.c.experiment_id == experiment_id).order_by(_U.c.username))])

    # -- resource lookups (cheap, indexed) ------------------------------------------
    def experiment_of_runs(self, run_ids: Sequence[str]) -> dict[str, int]:
        return self._db.read(lambda c: {str(r.run_uuid): int(r.experiment_id) for r in c.execute(
            select(s.runs.c.run_uuid, s.runs.c.experiment_id).where(s.runs.c.run_uuid.in_(list(run_ids))))})

    def experiment_of_model(self, model_id: str) -> int | None:
        return self._db.read(lambda c: c.execute(
            select(s.logged_models.c.experiment_id).where(s.logged_models.c.model_id == model_id)
        ).scalar_one_or_none())

    def experiment_id_by_name(self, name: str) -> int | None:
        return self._db.read(lambda c: c.execute(
            select(s.experiments.c.experiment_id).where(s.experiments.c.name == name)).scalar_one_or_none())

    def existing_experiments(self, ids: Iterable[int]) -> set[int]:
        wanted = list(ids)
        return self._db.read(lambda c: {int(x) for x in c.execute(
            select(s.experiments.c.experiment_id).where(s.experiments.c.experiment_id.in_(wanted))).scalars()})


def _find(conn: Connection, username: str) -> UserRow | None:
    row = conn.execute(select(_U).where(_U.c.username == username)).first()
    return _user(row) if row else None


def _by_name(conn: Connection, username: str) -> UserRow:
    user = _find(conn, username)
    if user is None:
        raise NotFound(f"User with username={username!r} not found")
    return user
