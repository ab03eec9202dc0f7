"""Logged models: create rules, get, finalize, tags, params, delete, search and its page tokens."""

from __future__ import annotations

import re

import pytest
from tests.contract.contract_helpers import new_experiment, new_run

from tracklog.entities import LoggedModelParameter, LoggedModelStatus, LoggedModelTag
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.base import TrackingStore


def test_create_and_get(store: TrackingStore) -> None:
    run = new_run(store)
    eid = run.info.experiment_id
    exp = store.get_experiment(eid)
    model = store.create_logged_model(
        eid, "model", run.info.run_id,
        tags=[LoggedModelTag("t", "1")], params=[LoggedModelParameter("alpha", "0.5")], model_type="sk",
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
    assert model.artifact_uri == f"{exp.artifact_location}/models/{model.model_id}/artifacts"
    assert model.status is LoggedModelStatus.PENDING
    assert model.experiment_id == eid and model.name == "model" and model.model_type == "sk"
    assert model.source_run_id == run.info.run_id
    assert model.tag_list == (LoggedModelTag("t", "1"),) and model.tags == {"t": "1"}
    assert model.param_list == (LoggedModelParameter("alpha", "0.5"),) and model.params == {"alpha": "0.5"}
    assert store.get_logged_model(model.model_id) == model


def test_generated_name(store: TrackingStore) -> None:
    model = store.create_logged_model(new_experiment(store))
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{3}", model.name)


def test_bad_names(store: TrackingStore) -> None:
    eid = new_experiment(store)
    for name in ["a/b", "a:b", "a.b", "a%b", 'a"b', "a'b"]:
        with pytest.raises(InvalidArgument):
            store.create_logged_model(eid, name)
    assert store.search_logged_models([eid]) == []


def test_create_in_deleted_experiment(store: TrackingStore) -> None:
    eid = new_experiment(store)
    store.delete_experiment(eid)
    with pytest.raises(InvalidArgument, match="active"):
        store.create_logged_model(eid, "m")


def test_finalize(store: TrackingStore) -> None:
    model = store.create_logged_model(new_experiment(store), "m")
    ready = store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status is LoggedModelStatus.READY
    assert ready.last_updated_timestamp_ms >= model.last_updated_timestamp_ms
    with pytest.raises(InvalidArgument):
        store.finalize_logged_model(model.model_id, LoggedModelStatus.PENDING)


def test_tags_params_delete(store: TrackingStore) -> None:
    model = store.create_logged_model(new_experiment(store), "m", params=[LoggedModelParameter("a", "1")])
    mid = model.model_id
    store.set_logged_model_tags(mid, [LoggedModelTag("x", "1"), LoggedModelTag("y", "2")])
    store.set_logged_model_tags(mid, [LoggedModelTag("x", "3")])
    assert store.get_logged_model(mid).tags == {"x": "3", "y": "2"}
    store.delete_logged_model_tag(mid, "y")
    with pytest.raises(NotFound):
        store.delete_logged_model_tag(mid, "y")
    store.log_logged_model_params(mid, [LoggedModelParameter("b", "2"), LoggedModelParameter("a", "1")])
    with pytest.raises(InvalidArgument):
        store.log_logged_model_params(mid, [LoggedModelParameter("a", "changed")])
    assert store.get_logged_model(mid).params == {"a": "1", "b": "2"}
    store.delete_logged_model(mid)
    with pytest.raises(NotFound):
        store.get_logged_model(mid)
    assert store.get_logged_model(mid, allow_deleted=True).model_id == mid


def test_missing_model(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.get_logged_model("m-" + "0" * 32)
    with pytest.raises(InvalidArgument):
        store.get_logged_model("../etc")


def test_search_by_name_and_pages(store: TrackingStore) -> None:
    run = new_run(store)
    eid = run.info.experiment_id
    other = new_experiment(store)
    made = [store.create_logged_model(eid, f"model{i}", run.info.run_id).model_id for i in range(7)]
    store.create_logged_model(other, "model0")
    deleted = store.create_logged_model(eid, "gone")
    store.delete_logged_model(deleted.model_id)
    found = store.search_logged_models([eid], "name = 'model3'")
    assert [m.model_id for m in found] == [made[3]]
    seen: list[str] = []
    token = None
    while True:
        page = store.search_logged_models([eid], max_results=3, page_token=token)
        assert len(page) <= 3
        seen += [m.model_id for m in page]
        token = page.token
        if not token:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert store.search_logged_models([]) == []


def test_search_page_token_bound_to_request(store: TrackingStore) -> None:
    eid = new_experiment(store)
    for i in range(3):
        store.create_logged_model(eid, f"m{i}")
    page = store.search_logged_models([eid], max_results=1)
    assert page.token
    with pytest.raises(InvalidArgument):
        store.search_logged_models([eid], filter_string="name = 'm1'", max_results=1, page_token=page.token)
    with pytest.raises(InvalidArgument):
        store.search_logged_models([eid], max_results=1, page_token="garbage!")


def test_search_metrics_and_datasets(store: TrackingStore) -> None:
    from tests.contract.contract_helpers import metric

    run = new_run(store)
    eid, rid = run.info.experiment_id, run.info.run_id
    good = store.create_logged_model(eid, "good")
    bad = store.create_logged_model(eid, "bad")
    store.log_batch(rid, metrics=[
        metric("acc", 0.9, model_id=good.model_id, dataset_name="test", dataset_digest="d"),
        metric("acc", 0.2, model_id=bad.model_id, dataset_name="train", dataset_digest="d"),
    ])
    assert [m.name for m in store.search_logged_models([eid], "metrics.acc > 0.5")] == ["good"]
    only_train = store.search_logged_models([eid], "metrics.acc > 0.1", datasets=[{"dataset_name": "train"}])
    assert [m.name for m in only_train] == ["bad"]
    ordered = store.search_logged_models([eid], order_by=[{"field_name": "name", "ascending": True}])
    assert [m.name for m in ordered] == ["bad", "good"]
    with pytest.raises(InvalidArgument):
        store.search_logged_models([eid], datasets=[{"dataset_digest": "d"}])


def test_logged_model_limits(store: TrackingStore) -> None:
    eid = new_experiment(store)
    model = store.create_logged_model(eid, "n" * 500, tags=[LoggedModelTag("t", "v" * 100000)])
    assert model.name == "n" * 500 and model.tag_list[0].value == "v" * 100000
    with pytest.raises(InvalidArgument, match="500"):
        store.create_logged_model(eid, "n" * 501)
    with pytest.raises(InvalidArgument, match="100000"):
        store.set_logged_model_tags(model.model_id, [LoggedModelTag("t", "v" * 100001)])
    with pytest.raises(InvalidArgument, match="6000"):
        store.log_logged_model_params(model.model_id, [LoggedModelParameter("p", "v" * 6001)])
