"""log_batch: params write-once, tags, metric values, latest metrics, idempotency, atomicity."""

from __future__ import annotations

import math
import struct

import pytest
from tests.contract.contract_helpers import metric, new_run

from tracklog.entities import Metric, Param, RunTag
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.base import TrackingStore


def _bits(x: float) -> bytes:
    return struct.pack(">d", x)


def _latest(store: TrackingStore, run_id: str) -> dict[str, Metric]:
    return {m.key: m for m in store.get_run(run_id).data.metric_list}


def test_params_write_once(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, params=[Param("lr", "0.1"), Param("depth", "3")])
    store.log_batch(rid, params=[Param("lr", "0.1")])  # retry: fine
    store.log_param(rid, Param("lr", "0.1"))
    with pytest.raises(InvalidArgument, match="lr"):
        store.log_batch(rid, params=[Param("lr", "0.2")])
    assert store.get_run(rid).data.params_dict == {"lr": "0.1", "depth": "3"}


def test_duplicate_param_keys_in_one_batch(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, params=[Param("a", "1"), Param("a", "1")])
    with pytest.raises(InvalidArgument, match="Duplicate"):
        store.log_batch(rid, params=[Param("b", "1"), Param("b", "2")])
    assert "b" not in store.get_run(rid).data.params_dict


def test_tags_last_write_wins_in_batch(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, tags=[RunTag("t", "1"), RunTag("t", "2")])
    assert store.get_run(rid).data.tags_dict["t"] == "2"
    store.log_batch(rid, tags=[RunTag("t", "3")])
    assert store.get_run(rid).data.tags_dict["t"] == "3"


SPECIAL = [math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 2.2250738585072014e-308,
           1.7976931348623157e308, -1.7976931348623157e308, 0.1, 1 / 3, -123456.789e-200]


def test_special_values_round_trip_exactly(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric(f"m{i}", v) for i, v in enumerate(SPECIAL)])
    latest = _latest(store, rid)
    for i, v in enumerate(SPECIAL):
        got = latest[f"m{i}"].value
        if math.isnan(v):
            assert math.isnan(got)
        else:
            assert _bits(got) == _bits(v), (v, got)
        history = store.get_metric_history(rid, f"m{i}")
        assert len(history) == 1
        assert math.isnan(history[0].value) if math.isnan(v) else _bits(history[0].value) == _bits(v)


def test_inf_and_dbl_max_are_distinct_points(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    big = 1.7976931348623157e308
    store.log_batch(rid, metrics=[metric("m", big, 1, 0), metric("m", math.inf, 1, 0)])
    values = sorted(m.value for m in store.get_metric_history(rid, "m"))
    assert values == [big, math.inf]
    assert _latest(store, rid)["m"].value == math.inf


def test_latest_metric_rule(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    # higher step wins even with an older timestamp
    store.log_batch(rid, metrics=[metric("a", 1.0, timestamp=100, step=1)])
    store.log_batch(rid, metrics=[metric("a", 2.0, timestamp=50, step=2)])
    store.log_batch(rid, metrics=[metric("a", 3.0, timestamp=500, step=1)])
    assert _latest(store, rid)["a"].value == 2.0
    # same step: later timestamp wins
    store.log_batch(rid, metrics=[metric("b", 1.0, 10, 0), metric("b", 0.5, 20, 0)])
    assert _latest(store, rid)["b"].value == 0.5
    # same step and timestamp: larger value wins, NaN loses ties
    store.log_batch(rid, metrics=[metric("c", 1.0, 10, 0), metric("c", 7.0, 10, 0), metric("c", 3.0, 10, 0)])
    store.log_batch(rid, metrics=[metric("c", math.nan, 10, 0)])
    assert _latest(store, rid)["c"].value == 7.0
    store.log_batch(rid, metrics=[metric("d", math.nan, 10, 0)])
    store.log_batch(rid, metrics=[metric("d", -5.0, 10, 0)])
    assert _latest(store, rid)["d"].value == -5.0
    store.log_batch(rid, metrics=[metric("e", -math.inf, 10, 0)])
    store.log_batch(rid, metrics=[metric("e", -1.7976931348623157e308, 10, 0)])
    assert _latest(store, rid)["e"].value == -1.7976931348623157e308


def test_latest_not_regressed_by_older_batch(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("loss", 0.1, 1000, 10)])
    store.log_batch(rid, metrics=[metric("loss", 0.9, 999, 9), metric("other", 1.0, 1, 0)])
    latest = _latest(store, rid)
    assert latest["loss"].value == 0.1 and latest["loss"].step == 10
    assert latest["other"].value == 1.0


def test_min_max_over_non_nan_points(store: TrackingStore) -> None:
    from sqlalchemy import select

    from tracklog.store.sql import schema
    from tracklog.store.sql.store import SqlStore

    assert isinstance(store, SqlStore)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", math.nan, 1, 0), metric("m", 3.0, 1, 1)])
    store.log_batch(rid, metrics=[metric("m", -2.0, 1, 2), metric("m", math.nan, 1, 3)])
    store.log_batch(rid, metrics=[metric("n", math.nan, 1, 0)])
    lm = schema.latest_metrics
    with store._db.reading() as conn:
        rows = {r.key: r for r in conn.execute(select(lm).where(lm.c.run_uuid == rid))}
    assert (rows["m"].min_value, rows["m"].max_value) == (-2.0, 3.0)
    assert rows["m"].step == 3 and math.isnan(_latest(store, rid)["m"].value)
    assert rows["n"].min_value is None and rows["n"].max_value is None


def test_identical_points_are_idempotent(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    batch = [metric("m", float(i), 100, i) for i in range(10)] + [metric("m", math.nan, 100, 99)]
    store.log_batch(rid, metrics=batch)
    store.log_batch(rid, metrics=batch)  # a client retry
    store.log_batch(rid, metrics=batch + batch)  # duplicates inside one batch
    assert len(store.get_metric_history(rid, "m")) == 11
    # a different value at the same step and timestamp is a new point
    store.log_metric(rid, metric("m", 42.0, 100, 0))
    assert len(store.get_metric_history(rid, "m")) == 12


def test_bad_batch_writes_nothing(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    before = store.get_run(rid)
    good = [metric("ok", 1.0)]
    bad_batches = [
        {"metrics": good, "params": [Param("p", "x" * 6001)]},
        {"metrics": [*good, metric("bad key!", 1.0)]},
        {"metrics": good, "tags": [RunTag("t", "v" * 8001)]},
        {"metrics": [*good, Metric("neg", 1.0, -1, 0)]},
        {"metrics": good, "params": [Param("q", "1"), Param("q", "2")]},
    ]
    for kwargs in bad_batches:
        with pytest.raises(InvalidArgument):
            store.log_batch(rid, **kwargs)  # type: ignore[arg-type]
    assert store.get_run(rid) == before
    assert len(store.get_metric_history(rid, "ok")) == 0


def test_param_conflict_rolls_back_whole_batch(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, params=[Param("p", "1")])
    with pytest.raises(InvalidArgument):
        store.log_batch(rid, metrics=[metric("m", 1.0)], params=[Param("new", "x"), Param("p", "2")],
                        tags=[RunTag("t", "v")])
    run = store.get_run(rid)
    assert run.data.params_dict == {"p": "1"}
    assert "t" not in run.data.tags_dict and not run.data.metrics


def test_log_to_deleted_or_missing_run(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.delete_run(rid)
    with pytest.raises(InvalidArgument, match="active"):
        store.log_batch(rid, metrics=[metric("m", 1.0)])
    with pytest.raises(NotFound):
        store.log_batch("f" * 32, metrics=[metric("m", 1.0)])


def test_metric_with_model_id_goes_to_logged_model(store: TrackingStore) -> None:
    run = new_run(store)
    model = store.create_logged_model(run.info.experiment_id, "model", run.info.run_id)
    store.log_batch(run.info.run_id, metrics=[
        metric("acc", 0.9, 5, 1, model_id=model.model_id, dataset_name="ds", dataset_digest="abc"),
        metric("acc", 0.9, 5, 1, model_id=model.model_id, dataset_name="ds", dataset_digest="abc"),
    ])
    got = store.get_logged_model(model.model_id).metrics
    assert len(got) == 1
    m = got[0]
    assert (m.key, m.value, m.step, m.timestamp) == ("acc", 0.9, 1, 5)
    assert (m.model_id, m.run_id, m.dataset_name, m.dataset_digest) == (
        model.model_id, run.info.run_id, "ds", "abc")


def test_concurrent_writers_to_one_run(store: TrackingStore) -> None:
    import threading

    rid = new_run(store).info.run_id
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for b in range(4):
                base = (w * 4 + b) * 50
                batch = [metric("loss", float(base + i), 1, base + i) for i in range(50)]
                batch += [metric(f"k{i}", float(w), 1, w) for i in range(5)]  # contended keys
                store.log_batch(rid, metrics=batch, params=[Param("p", "same")])
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.get_metric_history(rid, "loss")) == 800
    latest = _latest(store, rid)
    assert latest["loss"].value == 799.0
    assert all(latest[f"k{i}"].value == 3.0 and latest[f"k{i}"].step == 3 for i in range(5))


def test_metric_naming_unknown_model_is_not_found(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    with pytest.raises(NotFound):
        store.log_batch(rid, metrics=[metric("acc", 1.0, model_id="m-" + "0" * 32)])
    assert not store.get_run(rid).data.metrics


def test_bad_enum_values_are_invalid_argument(store: TrackingStore) -> None:
    run = new_run(store)
    with pytest.raises(InvalidArgument):
        store.update_run_info(run.info.run_id, "SLEEPING")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.search_runs([run.info.experiment_id], run_view_type="SOME")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.search_experiments("NONE")  # type: ignore[arg-type]
    model = store.create_logged_model(run.info.experiment_id)
    with pytest.raises(InvalidArgument):
        store.finalize_logged_model(model.model_id, "DONE")  # type: ignore[arg-type]
