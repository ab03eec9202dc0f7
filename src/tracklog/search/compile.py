"""Public entry points: filter + order_by -> SQLAlchemy ``WHERE`` and ``ORDER BY``.

``where`` is a boolean expression correlated to the searched table (or
``None`` without a filter) and ``order_by`` the complete ORDER BY list. All
user values are bound parameters. The store combines them with its own
scoping (experiment ids, lifecycle stage) and pagination::

    search = runs_search(filter_string, order_by, engine.dialect.name)
    query = select(runs).where(runs.c.experiment_id.in_(ids), *([search.where] if search.where is not None else []))
    query = query.order_by(*search.order_by).limit(n).offset(k)

SQLite: the store must run ``PRAGMA case_sensitive_like=ON`` on every
connection so ``LIKE`` is case-sensitive as on the other databases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_

from tracklog.exceptions import InvalidArgument
from tracklog.search import experiments_sql, limits, logged_models_sql, runs_sql
from tracklog.search.ast import Identifier, OrderKey
from tracklog.search.dialects import normalize
from tracklog.search.errors import refuse_unstorable
from tracklog.search.identifiers import EXPERIMENTS, LOGGED_MODELS, RUNS
from tracklog.search.logged_models_sql import DatasetRef
from tracklog.search.order_by import order_clauses, parse_model_order_by, parse_order_by
from tracklog.search.parser import parse_filter

__all__ = ["SqlSearch", "experiments_search", "logged_models_search", "runs_search"]


@dataclass(frozen=True)
class SqlSearch:
    where: ColumnElement[bool] | None
    order_by: list[ColumnElement[Any]] = field(default_factory=list)
    #: runs only: index-served supersets of the matches (see ``runs_sql.candidates``)
    candidates: list[runs_sql.Candidates] = field(default_factory=list)


def runs_search(filter_string: str | None, order_by: Sequence[str] | None, dialect_name: str) -> SqlSearch:
    """Compile a run search; ``where`` is correlated to ``schema.runs``."""
    dialect = normalize(dialect_name)
    tree = parse_filter(filter_string, RUNS)
    keys = parse_order_by(order_by, RUNS)
    ordering = order_clauses(keys, _identifier_key(runs_sql.order_expression), runs_sql.DEFAULT_ORDER, dialect)
    if tree is None:
        return SqlSearch(None, ordering)
    return SqlSearch(runs_sql.where(tree), ordering, runs_sql.candidates(tree))


def experiments_search(filter_string: str | None, order_by: Sequence[str] | None, dialect_name: str) -> SqlSearch:
    """Compile an experiment search; ``where`` is correlated to ``schema.experiments``."""
    dialect = normalize(dialect_name)
    tree = parse_filter(filter_string, EXPERIMENTS)
    keys = parse_order_by(order_by, EXPERIMENTS)
    ordering = order_clauses(
        keys, _identifier_key(experiments_sql.order_expression), experiments_sql.DEFAULT_ORDER, dialect
    )
    return SqlSearch(None if tree is None else experiments_sql.where(tree), ordering)


def logged_models_search(
    filter_string: str | None,
    order_by: Sequence[dict[str, Any]] | None,
    datasets: Sequence[dict[str, Any]] | None,
    dialect_name: str,
) -> SqlSearch:
    """Compile a logged-model search; ``where`` is correlated to ``schema.logged_models``.

    ``datasets`` (``[{dataset_name, dataset_digest?}]``) restricts which metric
    rows count and keeps only models with a metric on one of those datasets.
    """
    dialect = normalize(dialect_name)
    tree = parse_filter(filter_string, LOGGED_MODELS)
    refs = _dataset_refs(datasets)
    keys = parse_model_order_by(order_by, LOGGED_MODELS)
    ordering = order_clauses(keys, logged_models_sql.order_expression, logged_models_sql.DEFAULT_ORDER, dialect)
    conditions: list[ColumnElement[bool]] = []
    if tree is not None:
        conditions.append(logged_models_sql.where(tree, refs))
    if refs:
        conditions.append(logged_models_sql.has_metrics_on(refs))
    where = None if not conditions else conditions[0] if len(conditions) == 1 else and_(*conditions)
    return SqlSearch(where, ordering)


def _identifier_key(
    expression: Callable[[Identifier], ColumnElement[Any]],
) -> Callable[[OrderKey], ColumnElement[Any]]:
    return lambda key: expression(key.identifier)


def _dataset_refs(datasets: Sequence[Mapping[str, Any]] | None) -> list[DatasetRef]:
    if not datasets:
        return []
    if isinstance(datasets, Mapping) or len(datasets) > limits.MAX_DATASETS:
        raise InvalidArgument(f"Invalid datasets: expected a list of at most {limits.MAX_DATASETS} objects")
    refs: list[DatasetRef] = []
    for entry in datasets:
        if not isinstance(entry, Mapping):
            raise InvalidArgument("Invalid datasets: each entry must be an object with a 'dataset_name'")
        name, digest = entry.get("dataset_name"), entry.get("dataset_digest")
        if not isinstance(name, str) or not name:
            raise InvalidArgument("Invalid datasets: 'dataset_name' must be a non-empty string")
        if digest is not None and not isinstance(digest, str):
            raise InvalidArgument("Invalid datasets: 'dataset_digest' must be a string")
        refuse_unstorable("datasets", name + (digest or ""))
        refs.append(DatasetRef(name, digest or None))
    return refs
