"""Backend stores for the servers under test: a SQLite file or a throw-away PostgreSQL database.

PostgreSQL is the machine's service on 127.0.0.1:5432 (user postgres, trust auth);
databases are created through the admin database ``test`` and dropped (WITH FORCE)
when the benchmark ends, also after an error or Ctrl-C.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

BACKENDS = ("sqlite", "postgres")
PG_SERVER = os.environ.get("TRACKLOG_BENCH_POSTGRES_URI", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_ADMIN_DB = "test"


class Databases:
    """Hands out one fresh backend-store URI per server; cleans up on ``close()``."""

    def __init__(self, backend: str, workdir: Path) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
        self.backend = backend
        self.workdir = workdir
        self._created: list[str] = []

    def new_uri(self, server_name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / (server_name + '.db')}"
        name = f"tracklog_bench_{server_name}_{uuid.uuid4().hex[:8]}"
        self._admin(f"CREATE DATABASE {name}")
        self._created.append(name)
        return f"{PG_SERVER}/{name}"

    def close(self) -> None:
        while self._created:
            self._admin(f"DROP DATABASE IF EXISTS {self._created.pop()} WITH (FORCE)")

    def _admin(self, statement: str) -> None:
        import psycopg

        dsn = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + f"/{PG_ADMIN_DB}"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def __enter__(self) -> Databases:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
