"""GET /api/2.0/tracklog/metrics/get-history-sampled (and its /ajax-api/ mirror)."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path

from tests.server.helpers import Api

from tracklog.store.sampled import SAMPLED_MAX_POINTS, SampledSeries

PATH = "/ajax-api/2.0/tracklog/metrics/get-history-sampled"


def _run(api: Api, exp_id: str, values: list[float]) -> str:
    run_id = str(api.run(exp_id)["info"]["run_id"])
    for start in range(0, len(values), 1000):
        body = {"run_id": run_id, "metrics": [{"key": "loss", "value": v, "timestamp": 1000 + i, "step": i}
                                              for i, v in enumerate(values[start:start + 1000], start)]}
        # json.dumps writes NaN as the bare NaN literal, like MLflow's client.
        r = api.client.post("/api/2.0/mlflow/runs/log-batch", content=json.dumps(body),
                            headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
    return run_id


def test_sampled_history(api: Api) -> None:
    exp_id = api.experiment()
    values: list[float] = [1.0] * 3000
    values[1234] = 99.0
    values[2000] = math.nan
    a, b = _run(api, exp_id, values), _run(api, exp_id, [2.0] * 10)
    r = api.client.get(PATH, params={"run_ids": [a, b], "metric_key": "loss", "max_points": 30})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["max_points"] == 30
    sa, sb = (SampledSeries.from_dict(s) for s in body["series"])
    assert (sa.run_id, sb.run_id) == (a, b)
    assert len(sa.points) == 30 and sa.total == 3000 and sa.bucket_width == 100
    assert max(p.max for p in sa.points) == 99.0 and sum(p.nan_count for p in sa.points) == 1
    # buckets are shared by the runs of a request: b's 10 steps fall in the first one
    assert [(p.first_step, p.step, p.count, p.min, p.max) for p in sb.points] == [(0, 9, 10, 2.0, 2.0)]
    # Columnar: one array of numbers per field; non-finite numbers are listed by index.
    wire = body["series"][0]
    assert len(wire["step"]) == len(wire["value"]) == len(wire["min"]) == len(wire["nan_count"]) == 30
    assert wire["nan_count"][20] == 1 and "non_finite" not in wire  # the NaN is not a bucket's last/min/max
    assert all(isinstance(v, (int, float)) for c in ("value", "min", "max") for v in wire[c])
    # zoom: the visible range only
    r = api.client.get("/api/2.0/tracklog/metrics/get-history-sampled",
                       params={"run_ids": [a], "metric_key": "loss", "max_points": 100, "min_step": 1200,
                               "max_step": 1249})
    (zoom,) = (SampledSeries.from_dict(s) for s in r.json()["series"])
    assert zoom.exact and [p.step for p in zoom.points] == list(range(1200, 1250))
    assert zoom.points[34].value == 99.0


def test_huge_max_points_is_capped(api: Api) -> None:
    a = _run(api, api.experiment(), [0.5] * 20)
    r = api.client.get(PATH, params={"run_ids": [a], "metric_key": "loss", "max_points": 10**12})
    assert r.status_code == 200 and r.json()["max_points"] == SAMPLED_MAX_POINTS


def test_bad_input_is_400(api: Api) -> None:
    a = _run(api, api.experiment(), [0.5] * 5)
    bad: list[dict[str, object]] = [
        {"metric_key": "loss"},
        {"run_ids": [a]},
        {"run_ids": [a], "metric_key": "loss", "max_points": 0},
        {"run_ids": [a], "metric_key": "loss", "max_points": -3},
        {"run_ids": [a], "metric_key": "loss", "max_points": "many"},
        {"run_ids": [a], "metric_key": "loss", "min_step": "x"},
        {"run_ids": [a], "metric_key": "loss", "min_step": 9, "max_step": 3},
        {"run_ids": [a], "metric_key": "loss", "min_step": "1e400"},
        {"run_ids": ["f" * 32] * 101, "metric_key": "loss"},
        {"run_ids": ["not a run id"], "metric_key": "loss"},
        {"run_ids": [a], "metric_key": "../x\x00"},
    ]
    for params in bad:
        r = api.client.get(PATH, params=params)
        assert r.status_code == 400, (params, r.status_code, r.text)
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = api.client.get(PATH, params={"run_ids": ["f" * 32], "metric_key": "loss"})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_rest_store_reads_sampled_histories(api: Api) -> None:
    """tracklog's own RestStore speaks this endpoint (through the in-process app)."""
    from tracklog.client.transport import HttpSettings, HttpTransport
    from tracklog.store.rest import RestStore

    a = _run(api, api.experiment(), [float(i) for i in range(40)])
    http = HttpTransport("http://localhost:5000", HttpSettings(max_retries=0),
                         transport=api.client._transport)  # the TestClient's in-process transport
    store = RestStore("http://localhost:5000", transport=http)
    (series,) = store.get_metric_history_sampled([a], "loss", 8, min_step=0, max_step=39)
    assert series.run_id == a and series.total == 40 and len(series.points) == 8
    assert [p.max for p in series.points] == [4.0 + 5 * k for k in range(8)]


def test_non_finite_numbers_are_listed_by_index(api: Api) -> None:
    values = [1.0, math.nan, math.inf, -math.inf, 2.0]
    a = _run(api, api.experiment(), values)
    r = api.client.get(PATH, params={"run_ids": [a], "metric_key": "loss", "max_points": 10})
    wire = r.json()["series"][0]
    assert wire["value"] == [1.0, 0, 0, 0, 2.0] and wire["count"] == [1] * 5
    assert wire["non_finite"] == {"value": {"NaN": [1], "Infinity": [2], "-Infinity": [3]},
                                  "min": {"NaN": [1], "Infinity": [2], "-Infinity": [3]},
                                  "max": {"NaN": [1], "Infinity": [2], "-Infinity": [3]}}
    (series,) = [SampledSeries.from_dict(s) for s in r.json()["series"]]
    assert math.isnan(series.points[1].value) and series.points[2].max == math.inf
    assert series.points[3].min == -math.inf and series.points[4].value == 2.0


def test_endpoint_with_rollups_on_every_database(database_uri: str, tmp_path: Path) -> None:
    """The endpoint over SQLite, PostgreSQL and MariaDB, long runs answered from stored roll-ups
    (small thresholds), a late point logged in between; answers equal the direct aggregate."""
    from starlette.testclient import TestClient
    from tests.server.helpers import BASE_URL

    from tracklog.artifacts.local import LocalArtifactRepository
    from tracklog.server import Settings, create_app
    from tracklog.store.sql.rollups import RollupCache
    from tracklog.store.sql.sampling import get_metric_history_sampled
    from tracklog.store.sql.store import SqlStore

    artifacts = (tmp_path / "artifacts").as_uri()
    settings = Settings(backend_store_uri=database_uri, artifacts_destination=artifacts).resolved(tmp_path)
    store = SqlStore(database_uri, "mlflow-artifacts:/")
    store._rollups = RollupCache(min_steps=100, buckets=16)
    app = create_app(settings, store, LocalArtifactRepository(artifacts))
    with TestClient(app, base_url=BASE_URL) as client:
        api = Api(client)
        values = [math.sin(i / 9) for i in range(600)]
        values[123], values[400], values[401] = math.nan, math.inf, -math.inf
        exp_id = api.experiment(f"rollups-{uuid.uuid4().hex}")
        a, b = _run(api, exp_id, values), _run(api, exp_id, [float(i) for i in range(50)])

        def get(**extra: object) -> list[SampledSeries]:
            r = client.get(PATH, params={"run_ids": [a, b], "metric_key": "loss", "max_points": 20, **extra})
            assert r.status_code == 200, r.text
            return [SampledSeries.from_dict(s) for s in r.json()["series"]]

        def direct(**extra: int) -> list[SampledSeries]:
            return store._db.read(get_metric_history_sampled, None, [a, b], "loss", 20,
                                  extra.get("min_step"), extra.get("max_step"))

        def same(x: list[SampledSeries], y: list[SampledSeries]) -> bool:
            return [[repr(p) for p in s.points] for s in x] == [[repr(p) for p in s.points] for s in y]

        assert same(get(), direct()) and len(store._rollups) == 1
        r = client.post("/api/2.0/mlflow/runs/log-batch",
                        json={"run_id": a, "metrics": [{"key": "loss", "value": -7.0, "timestamp": 1, "step": 37}]})
        assert r.status_code == 200
        assert same(get(), direct()) and get()[0].points[1].min == -7.0  # steps 30..59
        assert same(get(min_step=100, max_step=333), direct(min_step=100, max_step=333))
    store.close()
