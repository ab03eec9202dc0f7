"""Keras 3 autologging: ``keras.Model.fit`` logs params, per-epoch metrics, early stopping and the model.

``autolog()`` never imports Keras (TensorFlow takes seconds to import): when
Keras is not imported yet, the patch is applied right after the user imports
it. ``fit`` is wrapped on ``keras.Model`` itself, so ``Sequential``, functional
and subclassed models are covered, and ``tf.keras`` too (it *is* Keras 3 from
TensorFlow 2.16 on). ``autolog(disable=True)`` puts the class back exactly as it
was. Only the outermost ``fit`` logs; logging problems become warnings and
never break training; a ``fit`` that raises ends the run it started as FAILED.

What one ``fit`` logs (MLflow's names):

* params: the arguments of ``fit`` (``epochs``, ``batch_size``, ``shuffle``, ...;
  arrays, data and callbacks are left out), the optimizer's config as
  ``opt_<key>`` (``opt_name``, ``opt_learning_rate``, ...), and for an
  ``EarlyStopping`` callback its ``monitor``, ``min_delta``, ``patience``,
  ``baseline``, ``restore_best_weights``;
* metrics: every value in Keras' epoch logs (``loss``, ``accuracy``,
  ``val_loss``, ...) at step = epoch, or every ``log_every_n_steps`` batches;
  ``stopped_epoch`` and ``restored_epoch`` for early stopping;
* artifacts: ``model_summary.txt``; the model as the logged model ``model``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tracklog.autolog._switch import Switch, fit_run, now_ms, refuse_registered_model_name, string_tags
from tracklog.autolog._switch import warn as _warn
from tracklog.entities import Metric, Param, RunTag

if TYPE_CHECKING:
    from tracklog.client.tracking import TrackingClient

__all__ = ["autolog", "is_enabled"]

_PARAM_VALUE_LIMIT = 6000
# arguments of fit that are data, not configuration (MLflow leaves the same ones out)
_UNLOGGED_ARGS = frozenset({"self", "x", "y", "callbacks", "validation_data", "verbose", "sample_weight",
                            "kwargs"})
_EARLY_STOPPING_PARAMS = ("monitor", "min_delta", "patience", "baseline", "restore_best_weights")
_NOT_PATCHED = object()


@dataclass(frozen=True)
class _Config:
    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_every_epoch: bool = True
    log_every_n_steps: int | None = None
    silent: bool = False
    extra_tags: Mapping[str, str] = field(default_factory=dict)


_switch: Switch[_Config] = Switch()
_patched: tuple[Any, object] | None = None  # (keras.Model, what its __dict__ held under "fit")


def is_enabled() -> bool:
    return _switch.enabled


def autolog(
    log_every_epoch: bool = True,
    log_every_n_steps: int | None = None,
    log_models: bool = True,
    log_datasets: bool = False,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    save_exported_model: bool = False,
    checkpoint: bool = False,
    extra_tags: Mapping[str, Any] | None = None,
    **_ignored: Any,
) -> None:
    """Turn Keras autologging on (again, with these settings) or off (``disable=True``)."""
    from tracklog import exceptions

    refuse_registered_model_name(registered_model_name)
    if log_every_epoch and log_every_n_steps is not None:
        raise exceptions.InvalidArgument("log_every_n_steps must be None when log_every_epoch=True")
    if not log_every_epoch and (log_every_n_steps is None or log_every_n_steps < 1):
        raise exceptions.InvalidArgument("give log_every_n_steps >= 1 when log_every_epoch=False")
    from tracklog.autolog import _hooks

    if disable:
        _switch.turn_off(_restore)
        return
    config = _Config(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_every_epoch=log_every_epoch,
        log_every_n_steps=log_every_n_steps,
        silent=silent,
        extra_tags=string_tags(extra_tags),
    )
    _switch.turn_on(config, lambda: _hooks.when_imported("keras", _patch))


# -- patching --------------------------------------------------------------------------
def _patch(keras: ModuleType) -> None:
    """Wrap ``keras.Model.fit`` (called once Keras is imported)."""
    global _patched
    with _switch.lock:
        if _patched is not None or not _switch.enabled:
            return
        model_class: Any = keras.Model
        before = model_class.__dict__.get("fit", _NOT_PATCHED)
        wrapped = _switch.outermost(model_class.fit, _autologged_fit)
        setattr(model_class, "fit", wrapped)  # noqa: B010 - a patch on the class, undone by _restore
        _patched = (model_class, before)


def _restore() -> None:
    """Forget a patch still waiting for Keras' import; put ``keras.Model.fit`` back as it was."""
    global _patched
    from tracklog.autolog import _hooks

    _hooks.cancel("keras")
    if _patched is None:
        return
    model_class, before = _patched
    if before is _NOT_PATCHED:
        delattr(model_class, "fit")
    else:
        setattr(model_class, "fit", before)  # noqa: B010
    _patched = None


# -- logging ---------------------------------------------------------------------------
def _autologged_fit(
    config: _Config, original: Callable[..., Any], model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    with fit_run() as active:
        client, run_id = active.client, active.info.run_id
        bound = _bind(original, model, args, kwargs)
        early_stopping = _early_stopping_callbacks(bound.get("callbacks"))
        try:
            _log_fit_params(config, client, run_id, bound, early_stopping)
        except Exception as exc:  # noqa: BLE001 - logging must never break training
            _warn(config, f"could not log the parameters of fit: {exc}")
        args, kwargs = _add_callback(original, args, kwargs, _make_callback(config, client, run_id))
        history = original(model, *args, **kwargs)
        try:
            _log_after_fit(config, client, run_id, model, history, early_stopping, bound.get("x"))
        except Exception as exc:  # noqa: BLE001
            _warn(config, f"could not log the results of fit: {exc}")
    return history


def _add_callback(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], callback: Any
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``fit``'s arguments with ``callback`` appended to its callbacks, given by keyword or positionally."""
    kwargs = dict(kwargs)
    index = _position(original, "callbacks")
    if "callbacks" in kwargs or len(args) <= index:
        kwargs["callbacks"] = [*list(kwargs.get("callbacks") or []), callback]
    else:
        args = (*args[:index], [*list(args[index] or []), callback], *args[index + 1 :])
    return args, kwargs


def _position(function: Callable[..., Any], name: str) -> int:
    """Index of ``name`` among the positional arguments after ``self``."""
    names = [p for p in inspect.signature(function).parameters if p != "self"]
    return names.index(name) if name in names else len(names)


def _bind(original: Callable[..., Any], model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        bound = inspect.signature(original).bind(model, *args, **kwargs)
    except TypeError:
        return dict(kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _early_stopping_callbacks(callbacks: Any) -> list[Any]:
    import keras

    return [c for c in (callbacks or []) if isinstance(c, keras.callbacks.EarlyStopping)]


def _param_value(value: Any) -> str | None:
    """The string logged for a fit argument, or None for data that is no configuration."""
    if value is None or isinstance(value, bool | int | float | str):
        return str(value)[:_PARAM_VALUE_LIMIT]
    if isinstance(value, Mapping) and len(value) <= 100:
        return str(dict(value))[:_PARAM_VALUE_LIMIT]
    return None


def _batch_size(bound: Mapping[str, Any]) -> Any:
    """Keras' effective batch size: the argument, 32 for in-memory arrays, a dataset's own batch size."""
    if bound.get("batch_size") is not None:
        return bound["batch_size"]
    data = bound.get("x")
    size = getattr(data, "_batch_size", None)  # tf.data batched datasets
    if size is not None:
        numpy = getattr(size, "numpy", None)
        return int(numpy()) if callable(numpy) else size
    if hasattr(data, "shape") or isinstance(data, list | tuple | dict):
        return 32
    return None


def _log_fit_params(
    config: _Config, client: TrackingClient, run_id: str, bound: Mapping[str, Any], early_stopping: list[Any]
) -> None:
    params: dict[str, str] = {}
    for key, value in bound.items():
        if key in _UNLOGGED_ARGS:
            continue
        text = _param_value(_batch_size(bound) if key == "batch_size" else value)
        if text is not None:
            params[key] = text
    for callback in early_stopping[:1]:
        for key in _EARLY_STOPPING_PARAMS:
            if (text := _param_value(getattr(callback, key, None))) is not None:
                params[key] = text
    tags = {**config.extra_tags}
    client.log_batch(
        run_id,
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in tags.items()],
    )


def _finite_metrics(logs: Mapping[str, Any] | None, step: int) -> list[Metric]:
    now = now_ms()
    metrics: list[Metric] = []
    for key, value in (logs or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        metrics.append(Metric(str(key), number, now, step))
    return metrics


def _make_callback(config: _Config, client: TrackingClient, run_id: str) -> Any:
    import keras

    class TracklogCallback(keras.callbacks.Callback):  # type: ignore[misc]
        """Logs the optimizer config and the summary when training starts, metrics as it goes."""

        def __init__(self) -> None:
            super().__init__()
            self._batches = 0

        def _log(self, metrics: list[Metric]) -> None:
            if not metrics:
                return
            try:
                client.log_batch(run_id, metrics=metrics)
            except Exception as exc:  # noqa: BLE001 - never break training
                _warn(config, f"could not log metrics: {exc}")

        def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
            try:
                optimizer = getattr(self.model, "optimizer", None)
                if optimizer is not None:
                    params = []
                    for key, value in optimizer.get_config().items():
                        text = _param_value(value) if not hasattr(value, "numpy") else str(float(value.numpy()))
                        if text is not None:
                            params.append(Param(f"opt_{key}", text))
                    client.log_batch(run_id, params=params)
                lines: list[str] = []
                self.model.summary(print_fn=lambda line, *a, **k: lines.append(line))
                client.log_text(run_id, "\n".join(lines) + "\n", "model_summary.txt")
            except Exception as exc:  # noqa: BLE001
                _warn(config, f"could not log the optimizer or the model summary: {exc}")

        def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
            if config.log_every_epoch:
                self._log(_finite_metrics(logs, epoch))

        def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
            self._batches += 1
            every = config.log_every_n_steps
            if every and self._batches % every == 0:
                self._log(_finite_metrics(logs, self._batches))

    return TracklogCallback()


def _log_after_fit(
    config: _Config,
    client: TrackingClient,
    run_id: str,
    model: Any,
    history: Any,
    early_stopping: list[Any],
    x: Any,
) -> None:
    for callback in early_stopping[:1]:
        _log_early_stopping(client, run_id, callback, history)
    if config.log_models:
        _log_trained_model(config, model, x)


def _log_early_stopping(client: TrackingClient, run_id: str, callback: Any, history: Any) -> None:
    stopped_epoch = int(getattr(callback, "stopped_epoch", 0) or 0)
    now = now_ms()
    metrics = [Metric("stopped_epoch", float(stopped_epoch), now, 0)]
    monitored = (getattr(history, "history", None) or {}).get(callback.monitor)
    best = getattr(callback, "best", None)
    if callback.restore_best_weights and stopped_epoch > 0 and monitored and best is not None:
        epochs = list(getattr(history, "epoch", []) or [])
        candidates = [i for i, v in enumerate(monitored) if math.isclose(float(v), float(best))]
        if candidates and epochs:
            restored = epochs[candidates[0]]
            metrics.append(Metric("restored_epoch", float(restored), now, 0))
            # the restored weights' metrics, logged after the last epoch (MLflow does the same)
            restored_logs = {k: values[candidates[0]] for k, values in history.history.items()}
            metrics.extend(_finite_metrics(restored_logs, stopped_epoch + 1))
    client.log_batch(run_id, metrics=metrics)


def _log_trained_model(config: _Config, model: Any, x: Any) -> None:
    from tracklog.keras._flavor import log_model
    from tracklog.models.signature import head, infer_signature

    example = head(x) if hasattr(x, "shape") else None
    signature: Any = False
    if config.log_model_signatures and example is not None:
        try:
            signature = infer_signature(example, model.predict(example, verbose=0))
        except Exception as exc:  # noqa: BLE001 - the model is still logged without a signature
            _warn(config, f"could not infer a signature: {exc}")
    log_model(model, name="model", signature=signature,
              input_example=example if config.log_input_examples else None)
