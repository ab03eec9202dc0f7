"""Test helpers for the REST tests (importable as ``tests.server.helpers``)."""

from __future__ import annotations

import time
from typing import Any

from starlette.testclient import TestClient

API = "/api/2.0/mlflow"
BASE_URL = "http://localhost:5000"


class Api:
    """A thin JSON helper over TestClient for the tracking endpoints."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str, params: Any = None, status: int = 200) -> Any:
        r = self.client.get(f"{API}/{path}", params=params)
        assert r.status_code == status, r.text
        return r.json()

    def post(self, path: str, body: Any = None, status: int = 200, method: str = "POST") -> Any:
        r = self.client.request(method, f"{API}/{path}", json=body if body is not None else {})
        assert r.status_code == status, r.text
        return r.json()

    def error(self, method: str, path: str, body: Any = None, status: int = 400,
              code: str = "INVALID_PARAMETER_VALUE") -> str:
        if method == "GET":
            r = self.client.get(f"{API}/{path}", params=body)
        else:
            r = self.client.request(method, f"{API}/{path}", json=body if body is not None else {})
        assert r.status_code == status, r.text
        payload = r.json()
        assert payload["error_code"] == code, payload
        assert set(payload) >= {"error_code", "message"}
        return str(payload["message"])

    # -- shortcuts -------------------------------------------------------------
    def experiment(self, name: str = "exp", **extra: Any) -> str:
        return str(self.post("experiments/create", {"name": name, **extra})["experiment_id"])

    def run(self, experiment_id: str, **extra: Any) -> dict[str, Any]:
        body = {"experiment_id": experiment_id, "user_id": "me",
                "start_time": int(time.time() * 1000), **extra}
        return dict(self.post("runs/create", body)["run"])
