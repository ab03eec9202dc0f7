"""PostgreSQL restarted under a 16-writer load (a private cluster, never the shared one).

12 writers use tracklog's client and 4 the official mlflow client, both with their default retry
policy. While the database is down the server answers 503 TEMPORARILY_UNAVAILABLE (never 500);
afterwards every writer carries on without being restarted, every acknowledged point is stored,
and the server holds no more connections than its pool allows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from tests.faults.processes import PgCluster, ServerProcess

pytestmark = [pytest.mark.xdist_group("faults-heavy"), pytest.mark.postgres]

API = "/api/2.0/mlflow"
TRACKLOG_WRITERS = 12
MLFLOW_WRITERS = 4
POINTS_PER_CALL = 10
DOWNTIME_S = 3.0
POOL_LIMIT = 15  # pool_size 5 + max_overflow 10 (tracklog.store.sql.engine)


@pytest.fixture
def server(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "srv", pg_cluster.create_database())
    srv.start()
    yield srv
    srv.stop()


class _Writer(threading.Thread):
    """Logs numbered metric points until stopped; remembers the acknowledged ones."""

    def __init__(self, name: str, log: Callable[[list[tuple[int, float]]], None]) -> None:
        super().__init__(name=name, daemon=True)
        self.log = log
        self.acked: list[int] = []
        self.acked_at: list[float] = []
        self.error: BaseException | None = None
        self.stop_event = threading.Event()

    def run(self) -> None:
        step = 0
        try:
            while not self.stop_event.is_set():
                points = [(s, float(s) * 0.5) for s in range(step, step + POINTS_PER_CALL)]
                self.log(points)
                self.acked.extend(s for s, _ in points)
                self.acked_at.append(time.monotonic())
                step += POINTS_PER_CALL
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def _tracklog_logger(url: str, run_id: str, key: str) -> Callable[[list[tuple[int, float]]], None]:
    from tracklog.client.tracking import TrackingClient
    from tracklog.entities import Metric

    client = TrackingClient(url)

    def log(points: list[tuple[int, float]]) -> None:
        client.log_batch(run_id, metrics=[Metric(key, v, 1000 + s, s) for s, v in points],
                         synchronous=True)

    return log


def _mlflow_logger(url: str, run_id: str, key: str) -> Callable[[list[tuple[int, float]]], None]:
    from mlflow.entities import Metric as MlflowMetric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url)

    def log(points: list[tuple[int, float]]) -> None:
        client.log_batch(run_id, metrics=[MlflowMetric(key, v, 1000 + s, s) for s, v in points])

    return log


def _probe(url: str, stop: threading.Event, seen: list[tuple[int, str]]) -> None:
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            try:
                r = client.get(f"{url}{API}/experiments/get", params={"experiment_id": "0"})
                code = "" if r.status_code == 200 else str(r.json().get("error_code"))
                seen.append((r.status_code, code))
            except httpx.TransportError as exc:
                seen.append((0, type(exc).__name__))
            time.sleep(0.05)


def _connections(cluster: PgCluster, database: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{cluster.server_uri}/postgres")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                                    {"d": database}).scalar_one())
    finally:
        engine.dispose()


def test_postgres_restart_under_load(server: ServerProcess, pg_cluster: PgCluster) -> None:
    r = httpx.post(f"{server.url}{API}/experiments/create", json={"name": "pg-restart"}, timeout=30)
    r.raise_for_status()
    r = httpx.post(f"{server.url}{API}/runs/create",
                   json={"experiment_id": r.json()["experiment_id"]}, timeout=30)
    r.raise_for_status()
    run_id = r.json()["run"]["info"]["run_id"]

    writers = [_Writer(f"t{i}", _tracklog_logger(server.url, run_id, f"t{i}")) for i in range(TRACKLOG_WRITERS)]
    writers += [_Writer(f"m{i}", _mlflow_logger(server.url, run_id, f"m{i}")) for i in range(MLFLOW_WRITERS)]
    stop_probe = threading.Event()
    probes: list[tuple[int, str]] = []
    probe = threading.Thread(target=_probe, args=(server.url, stop_probe, probes), daemon=True)
    for w in [*writers]:
        w.start()
    probe.start()
    try:
        time.sleep(2.0)
        pg_cluster.stop("fast")  # terminates every server connection
        down_at = time.monotonic()
        time.sleep(DOWNTIME_S)
        pg_cluster.start()
        up_at = time.monotonic()
        # Every writer must get writes through again, within the clients' own retry policy.
        deadline = up_at + 60
        while time.monotonic() < deadline:
            if all(w.error or (w.acked_at and w.acked_at[-1] > up_at + 0.5) for w in writers):
                break
            time.sleep(0.1)
    finally:
        for w in writers:
            w.stop_event.set()
        stop_probe.set()
        for w in writers:
            w.join(timeout=120)
        probe.join(timeout=30)

    errors = {w.name: repr(w.error) for w in writers if w.error is not None}
    assert not errors, (f"writers gave up: {errors}\nprobe answers: {sorted(set(probes))}\n"
                        f"server log:\n{server.log_text()[-3000:]}\nPostgreSQL log:\n{pg_cluster.log_text()}")
    stalled = [w.name for w in writers if not (w.acked_at and w.acked_at[-1] > up_at)]
    assert not stalled, f"writers that did not recover after the restart: {stalled}"
    assert any(t < down_at for w in writers for t in w.acked_at), "nothing was written before the restart"

    statuses = {s for s, _ in probes}
    assert statuses <= {200, 503}, f"unexpected answers while the database restarted: {sorted(set(probes))}"
    assert (503, "TEMPORARILY_UNAVAILABLE") in probes, "the outage was never observed as 503"

    from tracklog.client.tracking import TrackingClient

    client = TrackingClient(server.url)
    for w in writers:
        stored = sorted(m.step for m in client.get_metric_history(run_id, w.name))
        assert set(w.acked) <= set(stored), f"{w.name}: acknowledged points lost"
        assert len(stored) == len(set(stored)), f"{w.name}: duplicated points"
    r = httpx.get(f"{server.url}{API}/runs/get", params={"run_id": run_id}, timeout=30)
    latest = {m["key"]: m["value"] for m in r.json()["run"]["data"]["metrics"]}
    for w in writers:
        if w.acked:
            # Retries may store a final batch whose answer was lost: latest >= last acknowledged.
            assert latest[w.name] >= max(w.acked) * 0.5

    database = server.backend_uri.rsplit("/", 1)[1]
    assert _connections(pg_cluster, database) <= POOL_LIMIT
    log = server.log_text()
    assert "Unhandled error" not in log, log[-3000:]
