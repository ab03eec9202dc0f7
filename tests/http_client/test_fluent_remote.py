"""tracklog's fluent API and TrackingClient against a real server, through the registries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracklog
from tracklog.client.uri import _clear_store_cache
from tracklog.store.rest import RestStore

# One worker runs every test that needs the server subprocesses (scripts/test.sh: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("http-client-servers")


@pytest.fixture
def remote(server_url: str) -> Iterator[str]:
    tracklog.set_tracking_uri(server_url)
    _clear_store_cache()
    try:
        yield server_url
    finally:
        tracklog.set_tracking_uri(None)
        _clear_store_cache()


def test_fluent_session(remote: str, tmp_path: Path) -> None:
    name = f"fluent-{uuid.uuid4().hex[:8]}"
    tracklog.set_experiment(name)
    (tmp_path / "notes.txt").write_text("hi")
    with tracklog.start_run(run_name="remote") as run:
        tracklog.log_params({f"p{i}": i for i in range(150)})
        tracklog.log_metrics({"loss": 0.5, "acc": 0.9}, step=1)
        tracklog.log_metric("loss", 0.25, step=2)
        tracklog.set_tags({"team": "core"})
        tracklog.log_artifact(str(tmp_path / "notes.txt"), "docs")
        run_id = run.info.run_id

    store = RestStore(remote)
    fetched = store.get_run(run_id)
    assert fetched.info.status.value == "FINISHED" and fetched.info.run_name == "remote"
    assert len(fetched.data.params_dict) == 150 and fetched.data.metrics_dict["loss"] == 0.25
    assert fetched.data.tags_dict["team"] == "core"
    assert [m.value for m in tracklog.TrackingClient().get_metric_history(run_id, "loss")] == [0.5, 0.25]
    client = tracklog.TrackingClient()
    assert [f.path for f in client.list_artifacts(run_id, "docs")] == ["docs/notes.txt"]
    out = client.download_artifacts(run_id, "docs/notes.txt", str(tmp_path / "dl"))
    assert Path(out).read_text() == "hi"
