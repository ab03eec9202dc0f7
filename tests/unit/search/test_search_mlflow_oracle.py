"""MLflow's own parser as an oracle: whatever it accepts, we accept with the same meaning.

Filters and order_by strings are generated from MLflow's grammar (AND-joined
comparisons, every prefix and alias, quoting styles, number formats). Examples
MLflow rejects are discarded; for the rest our AST must match MLflow's parse.
"""

from __future__ import annotations

import warnings
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracklog.search.ast import And, Comparison, EntityType, Expr, ListValue, Number, String
from tracklog.search.identifiers import EXPERIMENTS, RUNS
from tracklog.search.order_by import parse_order_by
from tracklog.search.parser import parse_filter

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchExperimentsUtils, SearchUtils

ORACLE = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)

_TYPES = {
    "metric": EntityType.METRIC,
    "parameter": EntityType.PARAM,
    "tag": EntityType.TAG,
    "attribute": EntityType.ATTRIBUTE,
    "dataset": EntityType.DATASET,
}

bare_keys = st.from_regex(r"k[a-z0-9_]{0,5}(\.[a-z][a-z0-9_]{0,3}){0,2}", fullmatch=True)
# (no trailing space: MLflow's order_by parser strips it from quoted keys, we keep keys exact)
quoted_keys = st.from_regex(r"k([a-z0-9 _.]{0,5}[a-z0-9_])?", fullmatch=True).map(lambda k: f"`{k}`")
keys = st.one_of(bare_keys, quoted_keys)
numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.4f}"),
    st.sampled_from(["1e3", "-2.5e-3", ".5", "1.", "0"]),
)
words = st.from_regex(r"[a-zA-Z0-9 %_.\-]{0,8}", fullmatch=True)
strings = st.one_of(words.map(lambda w: f"'{w}'"), words.map(lambda w: f'"{w}"'))
string_lists = st.lists(words, min_size=1, max_size=3).map(lambda ws: "(" + ", ".join(f"'{w}'" for w in ws) + ")")
like_ops = st.sampled_from(["=", "!=", "LIKE", "ILIKE", "like", "ilike"])


def _metric() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(["metric", "metrics"])
    ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    return st.tuples(prefix, keys, ops, numbers).map(lambda t: f"{t[0]}.{t[1]} {t[2]} {t[3]}")


def _param_or_tag() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(["param", "params", "parameter", "parameters", "tag", "tags"])
    compare = st.tuples(prefix, keys, like_ops, strings).map(lambda t: f"{t[0]}.{t[1]} {t[2]} {t[3]}")
    null = st.tuples(prefix, keys, st.sampled_from(["IS NULL", "IS NOT NULL", "is null"])).map(
        lambda t: f"{t[0]}.{t[1]} {t[2]}"
    )
    return st.one_of(compare, null)


def _attribute() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(["", "attribute.", "attributes.", "attr.", "run."])
    string_attr = st.sampled_from(
        ["run_id", "run_name", "status", "user_id", "artifact_uri", "`run name`", "`Run name`", "`Run Name`"]
    )
    numeric_attr = st.sampled_from(["start_time", "end_time", "created", "Created"])
    return st.one_of(
        st.tuples(prefix, string_attr, like_ops, strings).map(lambda t: f"{t[0]}{t[1]} {t[2]} {t[3]}"),
        st.tuples(prefix, st.sampled_from(["IN", "NOT IN", "in"]), string_lists).map(
            lambda t: f"{t[0]}run_id {t[1]} {t[2]}"
        ),
        st.tuples(prefix, numeric_attr, st.sampled_from(["=", "!=", "<", ">="]), st.integers(0, 10**13)).map(
            lambda t: f"{t[0]}{t[1]} {t[2]} {t[3]}"
        ),
    )


def _dataset() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(["dataset", "datasets"])
    key = st.sampled_from(["name", "digest", "context"])
    return st.one_of(
        st.tuples(prefix, key, like_ops, strings).map(lambda t: f"{t[0]}.{t[1]} {t[2]} {t[3]}"),
        st.tuples(prefix, key, st.sampled_from(["IN", "NOT IN"]), string_lists).map(
            lambda t: f"{t[0]}.{t[1]} {t[2]} {t[3]}"
        ),
    )


run_filters = st.lists(st.one_of(_metric(), _param_or_tag(), _attribute(), _dataset()), min_size=1, max_size=4).flatmap(
    lambda parts: st.sampled_from([" AND ", " and ", "  AND  "]).map(lambda sep: sep.join(parts))
)


def _flatten(tree: Expr | None) -> list[Comparison]:
    if tree is None:
        return []
    if isinstance(tree, Comparison):
        return [tree]
    assert isinstance(tree, And), tree
    return [c for item in tree.items for c in _flatten(item)]


def _python(value: object) -> object:
    if isinstance(value, ListValue):
        return tuple(_python(item) for item in value.items)
    if isinstance(value, String | Number):
        return value.value
    return value


def _same(ours: Comparison, theirs: dict[str, Any], spec: Any) -> None:
    assert ours.left.type is _TYPES[theirs["type"]]
    key = theirs["key"]
    if ours.left.type is EntityType.ATTRIBUTE:
        attribute = spec.attribute(key)
        assert attribute is not None and attribute.name == ours.left.key
    else:
        assert ours.left.key == key
    assert ours.op.value == theirs["comparator"].upper()
    value = _python(ours.value)
    if ours.left.type is EntityType.METRIC or isinstance(theirs["value"], int | float):
        assert value == float(theirs["value"])
    elif isinstance(theirs["value"], tuple | list):
        assert value == tuple(theirs["value"])
    else:
        assert value == theirs["value"]


@ORACLE
@given(run_filters)
def test_every_run_filter_mlflow_accepts_means_the_same_here(text: str) -> None:
    try:
        theirs = SearchUtils.parse_search_filter(text)
    except MlflowException:
        assume(False)
        return
    ours = _flatten(parse_filter(text, RUNS))
    assert len(ours) == len(theirs)
    for our, their in zip(ours, theirs, strict=True):
        _same(our, their, RUNS)


experiment_filters = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["name", "attribute.name"]), like_ops, strings).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"
        ),
        st.tuples(
            st.sampled_from(["creation_time", "last_update_time"]),
            st.sampled_from([">", "<=", "="]),
            st.integers(0, 10**13),
        ).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["tag", "tags"]), keys, like_ops, strings).map(
            lambda t: f"{t[0]}.{t[1]} {t[2]} {t[3]}"
        ),
        st.tuples(st.sampled_from(["tags"]), keys, st.sampled_from(["IS NULL", "IS NOT NULL"])).map(
            lambda t: f"{t[0]}.{t[1]} {t[2]}"
        ),
        st.lists(st.integers(0, 10**6), min_size=1, max_size=3).map(
            lambda ids: "experiment_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")"
        ),
    ),
    min_size=1,
    max_size=3,
).map(" AND ".join)


@ORACLE
@given(experiment_filters)
def test_every_experiment_filter_mlflow_accepts_means_the_same_here(text: str) -> None:
    try:
        theirs = SearchExperimentsUtils.parse_search_filter(text)
    except MlflowException:
        assume(False)
        return
    ours = _flatten(parse_filter(text, EXPERIMENTS))
    assert len(ours) == len(theirs)
    for our, their in zip(ours, theirs, strict=True):
        if their["key"] == "experiment_id":
            assert _python(our.value) == tuple(their["value"])
            continue
        _same(our, their, EXPERIMENTS)


order_entries = st.tuples(
    st.one_of(
        st.tuples(st.sampled_from(["metric", "metrics", "param", "params", "tag", "tags"]), keys).map(
            lambda t: f"{t[0]}.{t[1]}"
        ),
        st.sampled_from(
            ["start_time", "end_time", "run_name", "run_id", "status", "user_id", "created", "attribute.status"]
        ),
    ),
    st.sampled_from(["", " ASC", " DESC", " asc", " desc"]),
).map("".join)


@ORACLE
@given(order_entries)
def test_every_run_order_by_mlflow_accepts_means_the_same_here(entry: str) -> None:
    try:
        their_type, their_key, ascending = SearchUtils.parse_order_by_for_search_runs(entry)
    except MlflowException:
        assume(False)
        return
    (ours,) = parse_order_by([entry], RUNS)
    assert ours.identifier.type is _TYPES[their_type]
    if ours.identifier.type is EntityType.ATTRIBUTE:
        attribute = RUNS.attribute(their_key)
        assert attribute is not None and attribute.name == ours.identifier.key
    else:
        assert ours.identifier.key == their_key
    assert ours.ascending == ascending
