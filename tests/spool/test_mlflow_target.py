"""The spool speaks MLflow's REST protocol: the official ``mlflow server`` is a valid target.

Also checks the idempotency the design rests on against MLflow's own store: a batch delivered
twice (an answer lost, the batch sent again) stores every point once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.http_client.conftest import running_server

from tracklog.client.spool import close
from tracklog.client.spool._deliver import Delivery
from tracklog.client.spool._file import METRIC, PARAM, TAG, SpoolFile
from tracklog.client.tracking import TrackingClient
from tracklog.store.rest import RestStore

pytestmark = [pytest.mark.timeout(600), pytest.mark.xdist_group("spool-mlflow")]


# Session scope: xdist may interleave other modules' tests between these two, and a module
# fixture would then start mlflow (slow) twice.
@pytest.fixture(scope="session")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server("mlflow", tmp_path_factory.mktemp("mlflow-server")) as url:
        yield url


def test_async_logging_to_mlflow_server(mlflow_url: str, spool_dir: Path) -> None:
    client = TrackingClient(mlflow_url)
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "lr", 0.1)
    client.set_tag(run_id, "team", "a")
    for step in range(1500):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    client.set_terminated(run_id)
    try:
        run = client.get_run(run_id)
        assert run.info.status.value == "FINISHED"
        assert run.data.param_dict == {"lr": "0.1"} and run.data.tag_dict["team"] == "a"
        assert [m.step for m in client.get_metric_history(run_id, "loss")] == list(range(1500))
    finally:
        close(mlflow_url)
    assert not list(spool_dir.glob("*.spool.db"))  # delivered and deleted


def test_a_batch_sent_twice_is_stored_once(mlflow_url: str, tmp_path: Path) -> None:
    store = RestStore(mlflow_url)
    run_id = TrackingClient(mlflow_url).create_run("0").info.run_id
    rows = [(i + 1, run_id, METRIC, "m", float(i), 1_700_000_000_000 + i, i, None) for i in range(1200)]
    rows += [(2000, run_id, PARAM, "p", "v", None, None, None), (2001, run_id, TAG, "t", "x", None, None, None)]
    spool = SpoolFile.create(tmp_path, mlflow_url)
    try:
        for _ in range(2):  # the second round is the resend of a batch whose answer was lost
            spool.append(rows)
            delivery = Delivery(spool, store, mlflow_url)
            while delivery.step():
                pass
            assert delivery.errors == [] and spool.counts()["pending"] == 0
    finally:
        spool.close(delete=True)
    history = TrackingClient(mlflow_url).get_metric_history(run_id, "m")
    assert sorted(m.step for m in history) == list(range(1200))
