"""``tracklog server --no-serve-artifacts``: the client writes artifacts straight to the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.compat.conftest import ServerProcess, official_client_at, start_server, stop_server

pytestmark = pytest.mark.compat

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402


@pytest.fixture(scope="module")
def direct_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("direct-server")
    server = start_server(folder, "--no-serve-artifacts", "--default-artifact-root", str(folder / "store"))
    try:
        yield server
    finally:
        stop_server(server)


def test_direct_artifacts(direct_server: ServerProcess, tmp_path: Path) -> None:
    with official_client_at(direct_server.url):
        client = MlflowClient(tracking_uri=direct_server.url)
        exp = mlflow.set_experiment("direct")
        root = (direct_server.folder / "store").resolve()
        assert exp.artifact_location == f"{root.as_uri()}/{exp.experiment_id}"
        (tmp_path / "f.txt").write_text("direct bytes")
        with mlflow.start_run() as run:
            mlflow.log_artifact(str(tmp_path / "f.txt"), artifact_path="d")
        assert run.info.artifact_uri.startswith(root.as_uri())
        on_disk = root / exp.experiment_id / run.info.run_id / "artifacts" / "d" / "f.txt"
        assert on_disk.read_text() == "direct bytes"
        assert [f.path for f in client.list_artifacts(run.info.run_id, "d")] == ["d/f.txt"]
        import httpx

        listed = httpx.get(f"{direct_server.url}/api/2.0/mlflow/artifacts/list",
                           params={"run_id": run.info.run_id, "path": "d"}).json()
        assert listed["files"] == [{"path": "d/f.txt", "is_dir": False, "file_size": 12}]
        info = httpx.get(f"{direct_server.url}/api/3.0/mlflow/server-info").json()
        assert info["artifact_serving_enabled"] is False
