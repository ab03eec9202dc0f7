"""Helpers for the auth tests (importable as ``tests.auth.helpers``)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app
from tracklog.store.base import TrackingStore

BASE_URL = "http://localhost:5000"
API = "/api/2.0/mlflow"
ADMIN = ("admin", "admin-password-0")
PASSWORD = "user-password-0"


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@dataclass
class AuthWorld:
    """The app, a client, and shortcuts that call the API as one user or another."""

    client: TestClient
    settings: Settings

    def call(self, user: str | None, method: str, path: str, body: Any = None, *,
             params: Any = None, content: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        hdrs = dict(headers or {})
        if user is not None:
            hdrs.update(basic(*ADMIN) if user == "admin" else basic(user))
        url = path if path.startswith("/") else f"{API}/{path}"
        if content is not None:
            return self.client.request(method, url, params=params, content=content, headers=hdrs)
        if method == "GET":
            return self.client.request(method, url, params=body if params is None else params, headers=hdrs)
        return self.client.request(method, url, params=params, json=body if body is not None else {},
                                   headers=hdrs)

    def ok(self, user: str | None, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        r = self.call(user, method, path, body, **kw)
        assert r.status_code == 200, (method, path, r.status_code, r.text)
        return r.json()

    def status(self, user: str | None, method: str, path: str, body: Any = None, **kw: Any) -> int:
        return int(self.call(user, method, path, body, **kw).status_code)

    def user(self, name: str, *, admin: bool = False) -> str:
        self.ok("admin", "POST", "users/create", {"username": name, "password": PASSWORD})
        if admin:
            self.ok("admin", "PATCH", "users/update-admin", {"username": name, "is_admin": True})
        return name

    def grant(self, name: str, experiment_id: str, permission: str) -> None:
        self.ok("admin", "POST", "experiments/permissions/create",
                {"experiment_id": experiment_id, "username": name, "permission": permission})

    def experiment(self, user: str, name: str) -> str:
        return str(self.ok(user, "POST", "experiments/create", {"name": name})["experiment_id"])

    def run(self, user: str, experiment_id: str) -> str:
        body = {"experiment_id": experiment_id, "start_time": 1}
        return str(self.ok(user, "POST", "runs/create", body)["run"]["info"]["run_id"])


def make_world(tmp_path: Path, template: Path, store_factory: Any, **settings: Any
               ) -> Generator[AuthWorld, None, None]:
    destination = tmp_path / "artifacts"
    destination.mkdir(exist_ok=True)
    db = tmp_path / "tracking.db"
    shutil.copyfile(template, db)
    s = Settings(backend_store_uri=f"sqlite:///{db}", artifacts_destination=destination.as_uri(),
                 **settings).resolved(tmp_path)
    assert s.backend_store_uri and s.default_artifact_root
    store: TrackingStore = store_factory(s.backend_store_uri, s.default_artifact_root)
    app = create_app(s, store, LocalArtifactRepository(destination.as_uri()))
    with TestClient(app, base_url=BASE_URL) as client:
        yield AuthWorld(client, s)
    store.close()
