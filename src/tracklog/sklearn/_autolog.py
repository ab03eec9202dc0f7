"""scikit-learn autologging: ``fit`` of every estimator class logs params, metrics and the model.

``autolog()`` wraps ``fit``, ``fit_transform``, ``fit_predict`` and ``score`` where an
estimator class defines them itself (``BaseEstimator`` and all its subclasses known
at that moment); the original function objects are kept and put back by
``autolog(disable=True)``. Only the outermost ``fit`` logs: a Pipeline logs once,
a search logs its candidates as child runs, and fits that a meta-estimator makes
internally are not logged. Logging problems become warnings; training errors
propagate unchanged.
"""

from __future__ import annotations

import functools
import inspect
import math
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracklog.autolog._switch import Switch, fit_run, now_ms, refuse_registered_model_name, string_tags
from tracklog.autolog._switch import warn as _warn
from tracklog.entities import Metric, Param, RunTag

if TYPE_CHECKING:
    from tracklog.client.tracking import TrackingClient

__all__ = ["autolog", "is_enabled"]

PARAM_KEY_LIMIT = 250
PARAM_VALUE_LIMIT = 6000
_FIT_METHODS = ("fit", "fit_transform", "fit_predict")
_PARENT_TAG = "mlflow.parentRunId"
_RUN_NAME_TAG = "mlflow.runName"


@dataclass(frozen=True)
class _Config:
    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_post_training_metrics: bool = True
    max_tuning_runs: int | None = 5
    serialization_format: str = "skops"
    silent: bool = False
    extra_tags: Mapping[str, str] = field(default_factory=dict)


_switch: Switch[_Config] = Switch()
_originals: dict[tuple[type, str], Any] = {}
_trained: weakref.WeakKeyDictionary[Any, tuple[TrackingClient, str]] = weakref.WeakKeyDictionary()
_score_calls: dict[tuple[str, str], int] = {}


def is_enabled() -> bool:
    return _switch.enabled


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    disable: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "skops",
    extra_tags: Mapping[str, Any] | None = None,
    registered_model_name: str | None = None,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    log_datasets: bool = False,
) -> None:
    """Turn scikit-learn autologging on (again, with these settings) or off (``disable=True``)."""
    refuse_registered_model_name(registered_model_name)
    if disable:
        _switch.turn_off(_restore)
        return
    from tracklog.sklearn._serialization import check_writable

    check_writable(serialization_format)
    config = _Config(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_post_training_metrics=log_post_training_metrics,
        max_tuning_runs=max_tuning_runs,
        serialization_format=serialization_format,
        silent=silent,
        extra_tags=string_tags(extra_tags),
    )
    _switch.turn_on(config, _patch_all)


# -- patching --------------------------------------------------------------------------
def _estimator_classes() -> set[type]:
    from sklearn.base import BaseEstimator
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: F401 - registers them
    from sklearn.pipeline import Pipeline  # noqa: F401
    from sklearn.utils import all_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        all_estimators()  # imports every public estimator module, so the subclass walk sees them
    found: set[type] = set()
    todo: list[type] = [BaseEstimator]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    # mixins (RegressorMixin.score, TransformerMixin.fit_transform) are bases, not subclasses
    return found | {base for cls in found for base in cls.__mro__ if base is not object}


def _patch_all() -> None:
    for cls in _estimator_classes():
        for name in (*_FIT_METHODS, "score"):
            original = cls.__dict__.get(name)
            if (cls, name) in _originals or not inspect.isfunction(original):
                continue
            wrapper = _wrap_score(original) if name == "score" else _switch.outermost(original, _autologged_fit)
            _originals[(cls, name)] = original
            setattr(cls, name, wrapper)


def _restore() -> None:
    for (cls, name), original in _originals.items():
        setattr(cls, name, original)
    _originals.clear()


def _wrap_score(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def score(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        config = _switch.settings
        if config is not None and config.log_post_training_metrics and _switch.depth == 0:
            _log_post_training_score(self, result, config)
        return result

    return score


# -- logging ---------------------------------------------------------------------------
def _autologged_fit(
    config: _Config, original: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    with fit_run() as active:
        result = original(estimator, *args, **kwargs)
        try:
            X = args[0] if args else kwargs.get("X")
            y = args[1] if len(args) > 1 else kwargs.get("y")
            _log_fit(config, estimator, X, y, active.client, active.info.run_id, active.info.experiment_id)
        except Exception as exc:  # noqa: BLE001 - logging must never break training
            _warn(config, f"could not log the fit of {type(estimator).__name__}: {exc}")
    return result


def _stringify_params(params: Mapping[str, Any]) -> list[Param]:
    return [Param(key, str(value)[:PARAM_VALUE_LIMIT]) for key, value in params.items() if len(key) <= PARAM_KEY_LIMIT]


def _log_fit(
    config: _Config, estimator: Any, X: Any, y: Any, client: TrackingClient, run_id: str, experiment_id: str
) -> None:
    cls = type(estimator)
    params = dict(estimator.get_params(deep=True))
    tags = {
        "estimator_name": cls.__name__,
        "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
        **config.extra_tags,
    }
    metrics = _training_metrics(config, estimator, X, y)
    if hasattr(estimator, "cv_results_") and hasattr(estimator, "best_params_"):
        params.update({f"best_{k}": v for k, v in estimator.best_params_.items()})
        if getattr(estimator, "best_score_", None) is not None:
            metrics["best_cv_score"] = float(estimator.best_score_)
        _log_search_children(config, estimator, client, run_id, experiment_id)
    now = now_ms()
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
        params=_stringify_params(params),
        tags=[RunTag(k, v) for k, v in tags.items()],
    )
    _trained[estimator] = (client, run_id)
    if config.log_models:
        _log_estimator(config, estimator, X)


def _log_estimator(config: _Config, estimator: Any, X: Any) -> None:
    from tracklog.models.signature import head, infer_signature
    from tracklog.sklearn._flavor import log_model

    example = head(X) if X is not None else None
    signature: Any = False
    if config.log_model_signatures and example is not None and hasattr(estimator, "predict"):
        try:
            signature = infer_signature(example, estimator.predict(example))
        except Exception as exc:  # noqa: BLE001 - the model is still logged without a signature
            _warn(config, f"could not infer a signature: {exc}")
    log_model(
        estimator,
        name="model",
        serialization_format=config.serialization_format,
        signature=signature,
        input_example=example if config.log_input_examples else None,
    )


def _training_metrics(config: _Config, estimator: Any, X: Any, y: Any) -> dict[str, float]:
    if X is None or y is None:
        return {}
    from sklearn import metrics as skm
    from sklearn.base import is_classifier, is_regressor

    computed: dict[str, float] = {}

    def add(name: str, compute: Callable[[], Any]) -> None:
        try:
            value = float(compute())
        except Exception as exc:  # noqa: BLE001 - one failing metric does not stop the others
            _warn(config, f"could not compute {name}: {exc}")
            return
        if math.isfinite(value) or math.isnan(value):
            computed[name] = value

    if hasattr(estimator, "score"):
        add("training_score", lambda: estimator.score(X, y))
    if not hasattr(estimator, "predict"):
        return computed
    try:
        y_pred = estimator.predict(X)
    except Exception as exc:  # noqa: BLE001
        _warn(config, f"could not predict on the training data: {exc}")
        return computed
    if is_classifier(estimator):
        add("training_accuracy_score", lambda: skm.accuracy_score(y, y_pred))
        for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
            add(f"training_{name}_score", functools.partial(fn, y, y_pred, average="weighted", zero_division=0))
    elif is_regressor(estimator):
        mse = functools.partial(skm.mean_squared_error, y, y_pred)
        add("training_mean_squared_error", mse)
        add("training_root_mean_squared_error", lambda: math.sqrt(mse()))
        add("training_mean_absolute_error", lambda: skm.mean_absolute_error(y, y_pred))
        add("training_r2_score", lambda: skm.r2_score(y, y_pred))
    return computed


def _log_search_children(
    config: _Config, search: Any, client: TrackingClient, parent_id: str, experiment_id: str
) -> None:
    results = search.cv_results_
    ranks = results.get("rank_test_score")
    if ranks is None:
        return
    order = sorted(range(len(results["params"])), key=lambda i: int(ranks[i]))
    if config.max_tuning_runs is not None:
        order = order[: config.max_tuning_runs]
    parent_name = client.get_run(parent_id).info.run_name or parent_id
    for index in order:
        name = f"{parent_name}-candidate-{index}"
        child = client.create_run(experiment_id, tags={_PARENT_TAG: parent_id}, run_name=name)
        now = now_ms()
        metrics = [
            Metric(key, float(results[key][index]), now, 0)
            for key in ("mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time")
            if key in results
        ]
        client.log_batch(child.info.run_id, metrics=metrics, params=_stringify_params(results["params"][index]))
        client.set_terminated(child.info.run_id)


def _log_post_training_score(estimator: Any, value: Any, config: _Config) -> None:
    try:
        target = _trained.get(estimator)
    except TypeError:  # unhashable estimator
        return
    if target is None:
        return
    client, run_id = target
    key = f"{type(estimator).__name__}_score"
    try:
        with _switch.lock:
            step = _score_calls.get((run_id, key), 0)
            _score_calls[(run_id, key)] = step + 1
        client.log_metric(run_id, key, float(value), step=step)
    except Exception as exc:  # noqa: BLE001 - never break the caller's scoring
        _warn(config, f"could not log {key}: {exc}")
