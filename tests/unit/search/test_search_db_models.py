"""Experiment and logged-model searches against SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, select

from tracklog.exceptions import InvalidArgument
from tracklog.search import experiments_search, logged_models_search
from tracklog.store.sql import schema
from tracklog.store.sql.schema import ValueKind


@dataclass
class Experiments:
    engine: Engine
    ids: dict[str, int]

    def search(self, filter_string: str | None, order_by: Sequence[str] | None = None) -> list[str]:
        search = experiments_search(filter_string, order_by, self.engine.dialect.name)
        table = schema.experiments
        query = select(table.c.experiment_id).where(table.c.experiment_id.in_(list(self.ids.values())))
        if search.where is not None:
            query = query.where(search.where)
        names = {v: k for k, v in self.ids.items()}
        with self.engine.connect() as conn:
            return [names[i] for i in conn.execute(query.order_by(*search.order_by)).scalars()]


def _seed_experiments(conn: Connection, prefix: str) -> dict[str, int]:
    rows = {
        "e1": (f"{prefix}-exp-a", 100, 200, {"team": "x"}),
        "e2": (f"{prefix}-exp-b", 300, 400, {"team": "y", "env": "prod"}),
        "e3": (f"{prefix}-other", None, None, {}),
    }
    ids: dict[str, int] = {}
    for label, (name, created, updated, tags) in rows.items():
        ids[label] = int(
            conn.execute(
                insert(schema.experiments).values(
                    name=name, artifact_location="/tmp/x", creation_time=created, last_update_time=updated
                )
            ).inserted_primary_key[0]
        )
        for key, value in tags.items():
            conn.execute(insert(schema.experiment_tags).values(experiment_id=ids[label], key=key, value=value))
    return ids


@pytest.fixture
def experiments(search_engine: Engine, seeded: dict[object, object]) -> Experiments:
    key = ("experiments", str(search_engine.url))
    if key not in seeded:
        prefix = uuid.uuid4().hex[:8]
        with search_engine.begin() as conn:
            seeded[key] = Experiments(search_engine, _seed_experiments(conn, prefix))
    world = seeded[key]
    assert isinstance(world, Experiments)
    return world


def test_experiment_filters(experiments: Experiments) -> None:
    ids = experiments.ids
    prefix = _name_prefix(experiments)
    assert experiments.search(None) == ["e2", "e1", "e3"]
    assert experiments.search(f"name LIKE '{prefix}-exp%'") == ["e2", "e1"]
    assert experiments.search(f"name = '{prefix}-other'") == ["e3"]
    assert experiments.search("tags.team = 'x'") == ["e1"]
    assert experiments.search("tags.team != 'x'") == ["e2"]
    assert experiments.search("tags.env IS NULL") == ["e1", "e3"]
    assert experiments.search("tags.env IS NOT NULL AND tags.team LIKE 'y'") == ["e2"]
    assert experiments.search(f"experiment_id IN ('{ids['e1']}', '{ids['e3']}')") == ["e1", "e3"]
    assert experiments.search(f"experiment_id = {ids['e2']}") == ["e2"]
    assert experiments.search("experiment_id = '999999999999999999'") == []
    assert experiments.search("experiment_id IN (-1, '0')") == []
    assert experiments.search(f"experiment_id != '{ids['e2']}'") == ["e1", "e3"]
    assert experiments.search("creation_time > 50") == ["e2", "e1"]
    assert experiments.search("NOT creation_time > 150") == ["e1", "e3"]
    assert experiments.search("last_update_time IS NULL OR tags.team = 'y'") == ["e2", "e3"]
    assert experiments.search("tags.team IN ('x', 'y') AND NOT tags.env = 'prod'") == ["e1"]


def test_experiment_ordering(experiments: Experiments) -> None:
    assert experiments.search(None, ["name DESC"]) == ["e3", "e2", "e1"]
    assert experiments.search(None, ["creation_time ASC"]) == ["e1", "e2", "e3"]
    assert experiments.search(None, ["last_update_time DESC"]) == ["e2", "e1", "e3"]
    assert experiments.search(None, ["experiment_id DESC"]) == ["e3", "e2", "e1"]
    assert experiments.search(None, ["tags.team DESC"]) == ["e2", "e1", "e3"]


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("experiment_id = 'abc'", None),
        ("metrics.x > 1", None),
        ("run_id = 'x'", None),
        ("name = 'x' OR 1=1", None),
        (None, ["name; DROP TABLE experiments"]),
        (None, ["metrics.x"]),
    ],
)
def test_experiment_errors(experiments: Experiments, filter_string: str | None, order_by: list[str] | None) -> None:
    with pytest.raises(InvalidArgument):
        experiments.search(filter_string, order_by)
    assert len(experiments.search(None)) == 3


def _name_prefix(experiments: Experiments) -> str:
    with experiments.engine.connect() as conn:
        name = conn.execute(
            select(schema.experiments.c.name).where(schema.experiments.c.experiment_id == experiments.ids["e3"])
        ).scalar_one()
    return str(name).removesuffix("-other")


# -- logged models -------------------------------------------------------------------------

# model -> (name, model_type, created, params, tags, metrics [(key, value, kind, timestamp, step, dataset)])
MODELS: dict[str, tuple[str, str | None, int, dict[str, str], dict[str, str], list[tuple[Any, ...]]]] = {
    "m1": (
        "model-a",
        "sklearn",
        10,
        {"lr": "0.1"},
        {"stage": "prod"},
        [("acc", 0.5, ValueKind.FINITE, 1, 0, "train"), ("acc", 0.8, ValueKind.FINITE, 2, 0, "eval")],
    ),
    "m2": ("model-b", None, 20, {"lr": "0.2"}, {}, [("acc", 0.6, ValueKind.FINITE, 5, 0, "train")]),
    "m3": (
        "model-c",
        "torch",
        30,
        {},
        {"stage": "dev"},
        [("acc", 0.9, ValueKind.FINITE, 1, 0, "eval"), ("acc", 0.0, ValueKind.NAN, 1, 1, "eval")],
    ),
}


@dataclass
class Models:
    engine: Engine
    prefix: str
    experiment_id: int

    def search(
        self,
        filter_string: str | None,
        order_by: Sequence[dict[str, Any]] | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[str]:
        search = logged_models_search(filter_string, order_by, datasets, self.engine.dialect.name)  # type: ignore[arg-type]
        table = schema.logged_models
        query = select(table.c.model_id).where(table.c.experiment_id == self.experiment_id)
        if search.where is not None:
            query = query.where(search.where)
        with self.engine.connect() as conn:
            ids = conn.execute(query.order_by(*search.order_by)).scalars().all()
        return [i.removeprefix(self.prefix) for i in ids]


def _seed_models(conn: Connection, prefix: str) -> int:
    experiment_id = int(
        conn.execute(
            insert(schema.experiments).values(name=f"models-{prefix}", artifact_location="/tmp/m")
        ).inserted_primary_key[0]
    )
    for label, (name, model_type, created, params, tags, metrics) in MODELS.items():
        model_id = prefix + label
        conn.execute(
            insert(schema.logged_models).values(
                model_id=model_id,
                experiment_id=experiment_id,
                name=name,
                model_type=model_type,
                status="READY",
                artifact_uri=f"/tmp/m/{label}",
                creation_timestamp_ms=created,
                last_updated_timestamp_ms=created + 1,
                source_run_id=f"run-{label}",
            )
        )
        for key, value in params.items():
            conn.execute(insert(schema.logged_model_params).values(model_id=model_id, key=key, value=value))
        for key, value in tags.items():
            conn.execute(insert(schema.logged_model_tags).values(model_id=model_id, key=key, value=value))
        for key, value, kind, timestamp, step, dataset in metrics:
            conn.execute(
                insert(schema.logged_model_metrics).values(
                    model_id=model_id,
                    run_uuid=f"run-{label}",
                    key=key,
                    step=step,
                    timestamp=timestamp,
                    value=value,
                    value_kind=int(kind),
                    dataset_name=dataset,
                    dataset_digest=f"{dataset}-digest",
                )
            )
    return experiment_id


@pytest.fixture
def models(search_engine: Engine, seeded: dict[object, object]) -> Models:
    key = ("models", str(search_engine.url))
    if key not in seeded:
        prefix = uuid.uuid4().hex[:8]
        with search_engine.begin() as conn:
            seeded[key] = Models(search_engine, prefix, _seed_models(conn, prefix))
    world = seeded[key]
    assert isinstance(world, Models)
    return world


MODEL_FILTERS: list[tuple[str | None, list[dict[str, Any]] | None, list[str]]] = [
    (None, None, ["m3", "m2", "m1"]),
    # latest value per key: m1 0.8 (eval, newest), m2 0.6, m3 NaN (step 1 beats step 0 at the same time)
    ("metrics.acc > 0.7", None, ["m1"]),
    ("metrics.acc > 0.55", None, ["m2", "m1"]),
    ("metrics.acc != 0.6", None, ["m1"]),
    ("metrics.acc > 0.55", [{"dataset_name": "train"}], ["m2"]),
    ("metrics.acc < 0.55", [{"dataset_name": "train", "dataset_digest": "train-digest"}], ["m1"]),
    ("metrics.acc > 0", [{"dataset_name": "train", "dataset_digest": "other"}], []),
    (None, [{"dataset_name": "eval"}], ["m3", "m1"]),
    ("metrics.f1 IS NULL", None, ["m3", "m2", "m1"]),
    ("NOT metrics.acc > 0.7", None, ["m3", "m2"]),
    ("params.lr = '0.2'", None, ["m2"]),
    ("params.lr IN ('0.1', '0.2') AND tags.stage != 'prod'", None, []),
    ("tags.stage = 'prod' OR tags.stage = 'dev'", None, ["m3", "m1"]),
    ("params.lr IS NULL", None, ["m3"]),
    ("model_type IS NULL", None, ["m2"]),
    ("model_type != 'sklearn'", None, ["m3"]),
    ("creation_time >= 20", None, ["m3", "m2"]),
    ("creation_timestamp < 20 OR last_updated_time = 31", None, ["m3", "m1"]),
    ("name IN ('model-a', 'model-c')", None, ["m3", "m1"]),
    ("attributes.name LIKE 'model-_'", None, ["m3", "m2", "m1"]),
    ("source_run_id = 'run-m2'", None, ["m2"]),
    ("status = 'READY' AND name ILIKE 'MODEL-A'", None, ["m1"]),
]


@pytest.mark.parametrize(("filter_string", "datasets", "expected"), MODEL_FILTERS)
def test_logged_model_filters(
    models: Models, filter_string: str | None, datasets: list[dict[str, Any]] | None, expected: list[str]
) -> None:
    assert models.search(filter_string, None, datasets) == expected


MODEL_ORDERINGS: list[tuple[list[dict[str, Any]], list[str]]] = [
    ([{"field_name": "metrics.acc", "ascending": False}], ["m1", "m2", "m3"]),  # NaN last
    ([{"field_name": "metrics.acc"}], ["m2", "m1", "m3"]),
    ([{"field_name": "metrics.acc", "dataset_name": "train"}], ["m1", "m2", "m3"]),
    ([{"field_name": "metrics.acc", "dataset_name": "eval", "ascending": False}], ["m1", "m3", "m2"]),  # NaN = missing
    ([{"field_name": "creation_time", "ascending": True}], ["m1", "m2", "m3"]),
    ([{"field_name": "model_type"}], ["m1", "m3", "m2"]),  # NULL last
    ([{"field_name": "model_type", "ascending": False}], ["m3", "m1", "m2"]),
    ([{"field_name": "name", "ascending": False}], ["m3", "m2", "m1"]),
    ([{"field_name": "last_updated_timestamp"}], ["m1", "m2", "m3"]),
    ([], ["m3", "m2", "m1"]),
]


@pytest.mark.parametrize(("order_by", "expected"), MODEL_ORDERINGS)
def test_logged_model_ordering(models: Models, order_by: list[dict[str, Any]], expected: list[str]) -> None:
    assert models.search(None, order_by) == expected


@pytest.mark.parametrize(
    ("filter_string", "order_by", "datasets"),
    [
        ("datasets.name = 'x'", None, None),
        ("metrics.acc = 'x'", None, None),
        (None, [{"field_name": "params.lr"}], None),
        (None, [{"field_name": "metrics.acc", "ascending": "yes"}], None),
        (None, [{"field_name": "metrics.acc", "dataset_digest": "d"}], None),
        (None, [{"field_name": "nope"}], None),
        (None, [{}], None),
        (None, ["creation_time"], None),
        (None, None, [{"dataset_digest": "d"}]),
        (None, None, ["train"]),
    ],
)
def test_logged_model_errors(models: Models, filter_string: str | None, order_by: Any, datasets: Any) -> None:
    with pytest.raises(InvalidArgument):
        models.search(filter_string, order_by, datasets)
