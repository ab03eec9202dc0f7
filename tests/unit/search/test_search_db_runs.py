"""The run filter and ordering suite, against SQLite, PostgreSQL and MariaDB.

Five runs with params, tags, latest metrics (NaN, +Inf, -Inf, missing keys),
case differences and dataset inputs are inserted with Core; each case asserts
the exact ids, in order, of ``select(runs.c.run_uuid).where(...).order_by(...)``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine, func, insert, select

from tracklog.exceptions import InvalidArgument
from tracklog.search import runs_search
from tracklog.store.sql import schema
from tracklog.store.sql.schema import ValueKind

DBL_MAX = 1.7976931348623157e308
NAN, POS_INF, NEG_INF = (0.0, ValueKind.NAN), (DBL_MAX, ValueKind.POS_INF), (-DBL_MAX, ValueKind.NEG_INF)

RUNS = {
    # name, status, user, start, end
    "r1": ("alpha", "FINISHED", "alice", 1000, 2000),
    "r2": ("Beta", "RUNNING", "bob", 2000, None),
    "r3": ("gamma", "FAILED", "alice", 3000, 3500),
    "r4": ("delta_1", "KILLED", "carol", None, None),
    "r5": ("delta%x", "FINISHED", "bob", 1000, 1500),
}
PARAMS = {
    "r1": {"lr": "0.1", "model": "cnn", "opt": "adam"},
    "r2": {"lr": "0.01", "model": "CNN"},
    "r3": {"lr": "0.1", "model": "rnn", "my param": "x y", "uni": "naïve ✓ 日本"},
    "r4": {"long": "a" * 6000},
    "r5": {"lr": "0.001", "model": "a%b", "inject": "a'; DROP TABLE runs;--"},
}
TAGS = {
    "r1": {"mlflow.runName": "alpha", "team": "Vision", "prio": "b"},
    "r2": {"team": "vision", "prio": "a"},
    "r3": {"team": "nlp", "a b": "q", "prio": "c"},
    "r5": {"team": "Vision"},
}
METRICS: dict[str, dict[str, float | tuple[float, ValueKind]]] = {
    "r1": {"acc": 0.9, "loss": 0.5},
    "r2": {"acc": NAN, "loss": 0.2},
    "r3": {"acc": POS_INF, "loss": NEG_INF},
    "r4": {"acc": 0.5},
    "r5": {"acc": 0.7, "loss": 5.0},
}
# run -> [(dataset name, digest, context or None)]
INPUTS = {
    "r1": [("train_set", "d1", "training")],
    "r2": [("eval_set", "d2", "eval")],
    "r3": [("train_set", "d1", "training"), ("eval_set", "d2", None)],
}
DEFAULT_ORDER = ["r3", "r2", "r1", "r5", "r4"]  # start_time DESC (NULL last), then run id


@dataclass
class World:
    engine: Engine
    prefix: str
    experiment_id: int

    def run_id(self, name: str) -> str:
        return self.prefix + name

    def search(self, filter_string: str | None, order_by: Sequence[str] | None = None) -> list[str]:
        search = runs_search(filter_string, order_by, self.engine.dialect.name)
        runs = schema.runs
        query = select(runs.c.run_uuid).where(runs.c.experiment_id == self.experiment_id)
        if search.where is not None:
            query = query.where(search.where)
        with self.engine.connect() as conn:
            ids = conn.execute(query.order_by(*search.order_by)).scalars().all()
        return [i.removeprefix(self.prefix) for i in ids]


def _seed(conn: Connection, prefix: str) -> int:
    experiment_id = conn.execute(
        insert(schema.experiments).values(name=f"search-{prefix}", artifact_location="/tmp/a", creation_time=1)
    ).inserted_primary_key[0]
    for name, (run_name, status, user, start, end) in RUNS.items():
        conn.execute(
            insert(schema.runs).values(
                run_uuid=prefix + name,
                name=run_name,
                experiment_id=experiment_id,
                user_id=user,
                status=status,
                start_time=start,
                end_time=end,
                artifact_uri=f"s3://bucket/{name}",
            )
        )
    for run, params in PARAMS.items():
        for key, value in params.items():
            conn.execute(insert(schema.params).values(run_uuid=prefix + run, key=key, value=value))
    for run, tags in TAGS.items():
        for key, value in tags.items():
            conn.execute(insert(schema.tags).values(run_uuid=prefix + run, key=key, value=value))
    for run, metrics in METRICS.items():
        for key, metric in metrics.items():
            value, kind = metric if isinstance(metric, tuple) else (metric, ValueKind.FINITE)
            conn.execute(
                insert(schema.latest_metrics).values(
                    run_uuid=prefix + run, key=key, step=0, timestamp=1, value=value, value_kind=int(kind)
                )
            )
    datasets: dict[tuple[str, str], str] = {}
    for run, inputs in INPUTS.items():
        for name, digest, context in inputs:
            if (name, digest) not in datasets:
                datasets[(name, digest)] = uuid.uuid4().hex
                conn.execute(
                    insert(schema.datasets).values(
                        dataset_uuid=datasets[(name, digest)],
                        experiment_id=experiment_id,
                        name=name,
                        digest=digest,
                        source_type="local",
                        source="{}",
                    )
                )
            dataset_uuid = datasets[(name, digest)]
            conn.execute(insert(schema.run_inputs).values(run_uuid=prefix + run, dataset_uuid=dataset_uuid))
            if context is not None:
                conn.execute(
                    insert(schema.input_tags).values(
                        run_uuid=prefix + run, dataset_uuid=dataset_uuid, key="mlflow.data.context", value=context
                    )
                )
    return int(experiment_id)


@pytest.fixture
def world(search_engine: Engine, seeded: dict[object, object]) -> World:
    """Seeded once per backend: the tests only read (and check that nothing was written)."""
    key = ("runs", str(search_engine.url))
    if key not in seeded:
        prefix = uuid.uuid4().hex[:8]
        with search_engine.begin() as conn:
            seeded[key] = World(search_engine, prefix, _seed(conn, prefix))
    world = seeded[key]
    assert isinstance(world, World)
    return world


def in_default_order(*names: str) -> list[str]:
    return [name for name in DEFAULT_ORDER if name in names]


FILTERS: list[tuple[str, list[str]]] = [
    # metrics: NaN never matches, +Inf > everything finite, -Inf < everything finite
    ("metrics.acc > 0.6", in_default_order("r1", "r3", "r5")),
    ("metrics.acc < 0.6", ["r4"]),
    ("metrics.loss < 0", ["r3"]),
    ("metrics.acc = 0.9", ["r1"]),
    ("metrics.acc = 0", []),  # NaN is stored as 0.0 with value_kind NAN: never equal
    ("metrics.acc <= 0", []),
    ("metrics.acc != 0.9", in_default_order("r3", "r4", "r5")),
    ("metrics.acc >= 1.7976931348623157e308", ["r3"]),
    ("metrics.loss <= -1.7976931348623157e308", ["r3"]),
    ("metrics.acc > -1e300 AND metrics.acc < 1e300", in_default_order("r1", "r4", "r5")),
    ("metrics.loss IS NULL", ["r4"]),
    ("metrics.acc IS NOT NULL", DEFAULT_ORDER),
    ("metrics.missing > 0", []),
    ("NOT metrics.acc > 0.6", in_default_order("r2", "r4")),
    # params
    ("params.lr = '0.1'", in_default_order("r1", "r3")),
    ("params.lr != '0.1'", in_default_order("r2", "r5")),
    ("params.model LIKE 'c%'", ["r1"]),
    ("params.model ILIKE 'c%'", in_default_order("r1", "r2")),
    ("params.model = 'CNN'", ["r2"]),
    ("params.model LIKE 'a\\%b'", ["r5"]),
    ("params.model LIKE 'a_b'", ["r5"]),
    ("params.model NOT LIKE 'c%'", in_default_order("r2", "r3", "r5")),
    ("NOT params.model LIKE 'c%'", in_default_order("r2", "r3", "r4", "r5")),
    ("params.opt IS NOT NULL", ["r1"]),
    ("params.opt IS NULL", in_default_order("r2", "r3", "r4", "r5")),
    ("params.`my param` = 'x y'", ["r3"]),
    ("parameter.lr IN ('0.01', '0.001')", in_default_order("r2", "r5")),
    ("params.uni = 'naïve ✓ 日本'", ["r3"]),
    ("params.uni LIKE '%✓%'", ["r3"]),
    # tags
    ("tags.team = 'Vision'", in_default_order("r1", "r5")),
    ("tags.team ILIKE 'VISION'", in_default_order("r1", "r2", "r5")),
    ("tags.team IN ('vision', 'nlp')", in_default_order("r2", "r3")),
    ("tags.team NOT IN ('Vision')", in_default_order("r2", "r3")),
    ("tags.team IS NULL", ["r4"]),
    ('tags."a b" = "q"', ["r3"]),
    ("tags.mlflow.runName = 'alpha'", ["r1"]),
    # attributes
    ("attributes.run_name LIKE 'delta%'", in_default_order("r4", "r5")),
    ("run_name LIKE 'delta\\%%'", ["r5"]),
    ("`Run Name` ILIKE 'b%'", ["r2"]),
    ("status IN ('RUNNING', 'FAILED')", in_default_order("r2", "r3")),
    ("status NOT IN ('RUNNING', 'FAILED')", in_default_order("r1", "r4", "r5")),
    ("created > 1500", in_default_order("r2", "r3")),
    ("end_time IS NULL", in_default_order("r2", "r4")),
    ("start_time >= 1999.5", in_default_order("r2", "r3")),
    ("start_time >= 2000.4", ["r3"]),
    ("start_time = 1000.5", []),
    (
        "start_time < 9223372036854775807 AND start_time > -9223372036854775808",
        in_default_order("r1", "r2", "r3", "r5"),
    ),
    ("start_time < 1e20", in_default_order("r1", "r2", "r3", "r5")),
    ("start_time IN (1000, 3000)", in_default_order("r1", "r3", "r5")),
    ("metrics.acc < 9223372036854775807", in_default_order("r1", "r4", "r5")),
    ("NOT end_time > 1800", in_default_order("r2", "r4", "r5")),
    ("artifact_uri = 's3://bucket/r3'", ["r3"]),
    ("lifecycle_stage = 'active'", DEFAULT_ORDER),
    # boolean structure
    ("user_id = 'alice' AND metrics.acc > 0.8", in_default_order("r1", "r3")),
    ("user_id = 'bob' OR params.lr = '0.1'", in_default_order("r1", "r2", "r3", "r5")),
    ("NOT (tags.team = 'Vision' OR metrics.loss IS NULL)", in_default_order("r2", "r3")),
    ("(status = 'FINISHED' OR status = 'KILLED') AND NOT params.lr = '0.001'", in_default_order("r1", "r4")),
    # datasets: any input matches
    ("datasets.name = 'train_set'", in_default_order("r1", "r3")),
    ("datasets.digest IN ('d2')", in_default_order("r2", "r3")),
    ("datasets.context = 'training'", in_default_order("r1", "r3")),
    ("datasets.context != 'training'", ["r2"]),
    ("datasets.name LIKE '%set' AND NOT datasets.name = 'eval_set'", ["r1"]),
    ("datasets.name NOT IN ('train_set')", in_default_order("r2", "r3")),
    # injection attempts are literal values
    ("params.inject = 'a''; DROP TABLE runs;--'", ["r5"]),
    ("params.`lr'; DROP TABLE runs;--` = 'x'", []),
    ('tags."x"" OR 1=1 --" = \'a\'', []),
    ("params.model = 'cnn'' OR ''1''=''1'", []),
]


@pytest.mark.parametrize(("filter_string", "expected"), FILTERS, ids=[f for f, _ in FILTERS])
def test_filter(world: World, filter_string: str, expected: list[str]) -> None:
    assert world.search(filter_string) == expected


@pytest.mark.parametrize(("filter_string", "expected"), FILTERS, ids=[f for f, _ in FILTERS])
def test_candidates_hold_every_match(world: World, filter_string: str, expected: list[str]) -> None:
    """A store may start from any candidate set (``store/sql/search_plan.py``): each one
    restricted to the rest of the filter (or to the whole filter) must give the same runs."""
    search = runs_search(filter_string, None, world.engine.dialect.name)
    runs = schema.runs
    for candidates in search.candidates:
        query = select(runs.c.run_uuid).where(
            runs.c.experiment_id == world.experiment_id, runs.c.run_uuid.in_(candidates.runs)
        )
        assert search.where is not None
        rest = [] if candidates.rest is None else [candidates.rest]
        with world.engine.connect() as conn:
            for restricted in (query.where(search.where), query.where(*rest)):
                ids = conn.execute(restricted.order_by(*search.order_by)).scalars().all()
                assert [i.removeprefix(world.prefix) for i in ids] == expected
            assert conn.execute(candidates.index_range).all() is not None


def test_candidates_come_from_required_indexed_comparisons() -> None:
    def count(filter_string: str) -> int:
        return len(runs_search(filter_string, None, "sqlite").candidates)

    assert count("metrics.a > 1 AND params.p = 'x' AND metrics.b <= 2") == 3
    assert count("metrics.a = 1") == 1
    assert count("params.p = 'x'") == 1
    rests = [c.rest for c in runs_search("metrics.a > 1 AND params.p = 'x'", None, "sqlite").candidates]
    assert len(rests) == 2 and rests[0] is not None and rests[1] is not None
    assert "latest_metrics" not in str(rests[0]) and "params" not in str(rests[1])
    assert [c.rest for c in runs_search("metrics.a > 1", None, "sqlite").candidates] == [None]
    assert [c.rest for c in runs_search("params.p = 'x'", None, "sqlite").candidates] == [None]
    for no_candidates in (
        "metrics.a > 1 OR metrics.b > 1",
        "NOT metrics.a > 1",
        "metrics.a != 1",
        "metrics.a IS NOT NULL",
        "params.p != 'x'",
        "params.p LIKE 'x%'",
        "tags.t = 'x'",
    ):
        assert count(no_candidates) == 0, no_candidates


def test_run_id_filters(world: World) -> None:
    assert world.search(f"run_id = '{world.run_id('r2')}'") == ["r2"]
    assert world.search(f"run_id IN ('{world.run_id('r1')}', '{world.run_id('r4')}')") == ["r1", "r4"]
    assert world.search(f"attributes.run_id != '{world.run_id('r1')}'") == ["r3", "r2", "r5", "r4"]


def test_no_filter_means_every_run_in_default_order(world: World) -> None:
    assert world.search(None) == DEFAULT_ORDER
    assert world.search("  ") == DEFAULT_ORDER


ORDERINGS: list[tuple[list[str], list[str]]] = [
    (["metrics.acc DESC"], ["r3", "r1", "r5", "r4", "r2"]),  # +Inf first, NaN last
    (["metrics.acc ASC"], ["r4", "r5", "r1", "r3", "r2"]),  # NaN last in both directions
    (["metrics.loss"], ["r3", "r2", "r1", "r5", "r4"]),  # -Inf first, missing last
    (["metrics.loss desc"], ["r5", "r1", "r2", "r3", "r4"]),
    (["params.lr DESC"], ["r3", "r1", "r2", "r5", "r4"]),  # ties by start_time DESC
    (["params.lr"], ["r5", "r2", "r3", "r1", "r4"]),
    (["start_time ASC"], ["r1", "r5", "r2", "r3", "r4"]),
    (["end_time DESC"], ["r3", "r1", "r5", "r2", "r4"]),
    (["created DESC"], DEFAULT_ORDER),
    (["user_id DESC", "run_id"], ["r4", "r2", "r5", "r1", "r3"]),
    (["tags.prio"], ["r2", "r1", "r3", "r5", "r4"]),
    (["tags.prio DESC"], ["r3", "r1", "r2", "r5", "r4"]),
    (["attributes.status", "metrics.acc DESC"], ["r3", "r1", "r5", "r4", "r2"]),
    (["run_id DESC"], ["r5", "r4", "r3", "r2", "r1"]),
    (["params.`lr'); DROP TABLE runs;--` DESC"], DEFAULT_ORDER),
    ([], DEFAULT_ORDER),
    (["", "metrics.acc DESC"], ["r3", "r1", "r5", "r4", "r2"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDERINGS, ids=[" / ".join(o) or "default" for o, _ in ORDERINGS])
def test_order_by(world: World, order_by: list[str], expected: list[str]) -> None:
    assert world.search(None, order_by) == expected


def test_filter_and_order_together(world: World) -> None:
    assert world.search("metrics.acc > 0.6 OR metrics.acc IS NULL", ["metrics.acc"]) == ["r5", "r1", "r3"]
    assert world.search("datasets.name = 'train_set'", ["metrics.loss DESC"]) == ["r1", "r3"]


@pytest.mark.parametrize(
    "filter_string",
    [
        "params.x = 'a'; DROP TABLE runs;--",
        "metrics.a > 0 OR 1=1",
        "params.lr = '0.1' OR 1=1",
        "params.x = 'a' UNION SELECT run_uuid FROM runs",
        "run_id = '' OR ''=''",
        "metrics.acc > 0 -- comment",
        "params.x = 'a' /* c */",
    ],
)
def test_injection_filters_are_rejected_and_tables_intact(world: World, filter_string: str) -> None:
    with pytest.raises(InvalidArgument):
        world.search(filter_string)
    _assert_intact(world)


@pytest.mark.parametrize(
    "filter_string",
    ["params.lr = 'a\x00'", "params.`a\x00` = 'x'", "params.lr = '\ud800'", "run_name = '\udfff'"],
)
def test_unstorable_characters_are_invalid_argument_not_database_errors(world: World, filter_string: str) -> None:
    with pytest.raises(InvalidArgument, match="is not allowed at position"):
        world.search(filter_string)


@pytest.mark.parametrize(
    "order_by",
    [
        ["metrics.acc; DROP TABLE runs"],
        ["start_time DESC, run_id"],
        ["run_id ASC; DELETE FROM runs"],
        ["(SELECT 1)"],
        ["start_time DESC NULLS FIRST"],
        ["1"],
        ["datasets.name"],
    ],
)
def test_injection_order_by_is_rejected_and_tables_intact(world: World, order_by: list[str]) -> None:
    with pytest.raises(InvalidArgument):
        world.search(None, order_by)
    _assert_intact(world)


def test_literal_injections_match_literally_and_tables_stay_intact(world: World) -> None:
    assert world.search("params.inject = 'a''; DROP TABLE runs;--'") == ["r5"]
    assert world.search("params.inject LIKE '%DROP TABLE runs%'") == ["r5"]
    assert world.search("params.`x'; DELETE FROM params;--` IS NULL") == DEFAULT_ORDER
    assert world.search('tags."t""; DROP TABLE tags;--" = \'x\'') == []
    assert world.search(None, ["params.`lr` DESC", "tags.`x); DELETE FROM runs;--`"])[0] == "r3"
    _assert_intact(world)


def test_pathological_like_patterns_take_bounded_time(world: World) -> None:
    start = time.perf_counter()
    assert world.search("params.long LIKE '" + "%a" * 15 + "%b'") == []
    assert world.search("params.long ILIKE '" + "%A" * 15 + "%'") == ["r4"]
    assert world.search("params.long LIKE '%" + "_%" * 15 + "b'") == []
    assert world.search("params.long LIKE '%" + "a" * 1000 + "%b'") == []
    assert time.perf_counter() - start < 5.0


def test_big_in_list_runs_on_every_database(world: World) -> None:
    ids = [world.run_id("r2")] + [f"missing-{i}" for i in range(9_999)]
    assert world.search("run_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")") == ["r2"]


def _assert_intact(world: World) -> None:
    with world.engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(schema.runs).where(schema.runs.c.experiment_id == world.experiment_id)
        ).scalar_one()
        params = conn.execute(select(func.count()).select_from(schema.params)).scalar_one()
    assert count == len(RUNS)
    assert params >= sum(len(p) for p in PARAMS.values())
