"""Every validation limit: exactly at the limit is accepted, one over is refused, naming the limit."""

from __future__ import annotations

import pytest
from tests.contract.contract_helpers import metric, new_run

from tracklog.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from tracklog.exceptions import InvalidArgument
from tracklog.store.base import TrackingStore


def _key(n: int) -> str:
    return ("k" * n)[:n]


def test_key_length(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    loggers = {
        "metric": lambda key: store.log_batch(rid, metrics=[metric(key, 1.0)]),
        "param": lambda key: store.log_batch(rid, params=[Param(key, "v")]),
        "tag": lambda key: store.log_batch(rid, tags=[RunTag(key, "v")]),
    }
    for kind, log in loggers.items():
        log(_key(250))
        with pytest.raises(InvalidArgument, match="250") as info:
            log(_key(251))
        assert kind in str(info.value)


BAD_KEYS = ["", "a!b", "../x", "/abs", "a//b", "a/", "./a", "a/./b", "a/../b", "tab\there", "é?", "x\x00"]
GOOD_KEYS = ["a", "a.b", "a/b", "a-b_c", "with space", "c:d", "ünïcode_wörd", "1"]


def test_bad_keys(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    for key in BAD_KEYS:
        with pytest.raises(InvalidArgument):
            store.log_batch(rid, metrics=[metric(key, 1.0)])
        with pytest.raises(InvalidArgument):
            store.log_batch(rid, params=[Param(key, "v")])
        with pytest.raises(InvalidArgument):
            store.set_tag(rid, RunTag(key, "v"))
    assert not store.get_run(rid).data.metrics


def test_good_keys(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(
        rid,
        metrics=[metric(k, 1.0) for k in GOOD_KEYS],
        params=[Param(k, "v") for k in GOOD_KEYS],
        tags=[RunTag(k, "v") for k in GOOD_KEYS],
    )
    run = store.get_run(rid)
    for key in GOOD_KEYS:
        assert run.data.metrics_dict[key] == 1.0 and run.data.params_dict[key] == "v"
        assert run.data.tags_dict[key] == "v"


def test_param_value_limit(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, params=[Param("p", "x" * 6000)])
    assert store.get_run(rid).data.params_dict["p"] == "x" * 6000  # never truncated
    with pytest.raises(InvalidArgument, match="6000"):
        store.log_batch(rid, params=[Param("q", "x" * 6001)])


def test_batch_limits(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    cases = [((1001, 0, 0), "1000 metrics"), ((0, 101, 0), "100 params"), ((0, 0, 101), "100 tags"),
             ((900, 100, 1), "1000 metrics, params")]
    for (n_metrics, n_params, n_tags), limit in cases:
        with pytest.raises(InvalidArgument, match=limit):
            store.log_batch(
                rid,
                metrics=[metric("m", float(i), 1, i) for i in range(n_metrics)],
                params=[Param(f"p{i}", "v") for i in range(n_params)],
                tags=[RunTag(f"t{i}", "v") for i in range(n_tags)],
            )
    run = store.get_run(rid)
    assert not run.data.metrics and not run.data.params


def test_batch_exactly_at_limits(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(1000)])
    store.log_batch(
        rid,
        metrics=[metric("n", float(i), 1, i) for i in range(800)],
        params=[Param(f"p{i}", "v") for i in range(100)],
        tags=[RunTag(f"t{i}", "v") for i in range(100)],
    )
    assert len(store.get_metric_history(rid, "m")) == 1000
    assert len(store.get_run(rid).data.params) == 100


def test_timestamp_and_step_ranges(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    good = [(0, 0), (2**63 - 1, 2**63 - 1), (1, -(2**63))]
    bad = [(-1, 0), (2**63, 0), (1, 2**63), (1, -(2**63) - 1)]
    for i, (timestamp, step) in enumerate(good):
        store.log_metric(rid, Metric(f"m{i}", 1.0, timestamp, step))
        (got,) = store.get_metric_history(rid, f"m{i}")
        assert (got.timestamp, got.step) == (timestamp, step)
    for timestamp, step in bad:
        with pytest.raises(InvalidArgument):
            store.log_metric(rid, Metric("bad", 1.0, timestamp, step))
    for value in ("1.0", None, True):
        with pytest.raises(InvalidArgument):
            store.log_metric(rid, Metric("m", value, 1, 0))  # type: ignore[arg-type]


def test_fractional_step_refused(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    with pytest.raises(InvalidArgument):
        store.log_metric(rid, Metric("m", 1.0, 1, 1.5))  # type: ignore[arg-type]


def _dataset(**kw: str) -> DatasetInput:
    fields = {"name": "d", "digest": "abc", "source_type": "local", "source": "{}"}
    fields.update(kw)
    return DatasetInput(Dataset(**fields))


def test_dataset_limits(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    for field, limit in [("name", 500), ("digest", 36), ("source_type", 36), ("source", 65535),
                         ("schema", 1048575)]:
        store.log_inputs(rid, datasets=[_dataset(**{field: "x" * limit})])
        with pytest.raises(InvalidArgument, match=str(limit)):
            store.log_inputs(rid, datasets=[_dataset(**{field: "y" * (limit + 1)})])


def test_input_tag_limits(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    ok = DatasetInput(_dataset().dataset, (InputTag("k" * 255, "v" * 500),))
    store.log_inputs(rid, datasets=[ok])
    with pytest.raises(InvalidArgument, match="255"):
        store.log_inputs(rid, datasets=[DatasetInput(_dataset().dataset, (InputTag("k" * 256, "v"),))])
    with pytest.raises(InvalidArgument, match="500"):
        store.log_inputs(rid, datasets=[DatasetInput(_dataset().dataset, (InputTag("k", "v" * 501),))])


def test_run_name_limit(store: TrackingStore) -> None:
    run = new_run(store, run_name="r" * 250)
    assert run.info.run_name == "r" * 250
    with pytest.raises(InvalidArgument, match="250"):
        new_run(store, run_name="r" * 251)
