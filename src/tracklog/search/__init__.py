"""tracklog's search language: tokenizer -> parser -> typed AST -> SQLAlchemy expressions.

Public entry points (used by the SQL store; see ``compile.py``):

``runs_search(filter_string, order_by, dialect_name) -> SqlSearch``
    ``where`` is a boolean expression correlated to ``schema.runs`` (params, tags,
    latest metrics and datasets appear as correlated EXISTS / scalar subqueries);
    ``order_by`` is the complete ORDER BY list, ending with the default
    tie-breakers (``start_time DESC, run_uuid ASC``) so pagination is stable.

``experiments_search(filter_string, order_by, dialect_name) -> SqlSearch``
    Correlated to ``schema.experiments``; default order ``creation_time DESC, experiment_id ASC``.

``logged_models_search(filter_string, order_by, datasets, dialect_name) -> SqlSearch``
    Correlated to ``schema.logged_models``; ``order_by`` is MLflow's list of
    ``{field_name, ascending, dataset_name?, dataset_digest?}`` objects.

Bad input raises ``tracklog.exceptions.InvalidArgument`` with a message that
points at the offending token. Lifecycle/experiment-id scoping is the store's job.
On SQLite the store must set ``PRAGMA case_sensitive_like=ON`` on every connection.

The language (grammar, operators per entity, extensions over MLflow, ordering
rules, limits) is documented in ``docs/search.md``.
"""

from tracklog.search.compile import SqlSearch, experiments_search, logged_models_search, runs_search

__all__ = ["SqlSearch", "experiments_search", "logged_models_search", "runs_search"]
