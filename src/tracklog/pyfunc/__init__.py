"""Generic loading through the ``python_function`` flavor: ``load_model(uri).predict(data)``.

The flavor's ``loader_module`` is looked up in a fixed table of loaders tracklog
ships (``mlflow.sklearn``/``tracklog.sklearn`` and ``mlflow.tensorflow``/
``tracklog.keras`` for Keras 3 models); a model file can never make
tracklog import a module of its choosing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from tracklog.exceptions import InvalidArgument
from tracklog.models.mlmodel import PYFUNC_FLAVOR, MLmodel
from tracklog.models.uri import ResolvedModel, resolve_model

__all__ = ["PyFuncModel", "load_model"]

Loader = Callable[[ResolvedModel, Sequence[str] | None, bool], Any]


def _sklearn_loader(resolved: ResolvedModel, trusted_types: Sequence[str] | None, allow_pickle: bool) -> Any:
    from tracklog.sklearn._flavor import load_resolved

    return load_resolved(resolved, trusted_types=trusted_types, allow_pickle=allow_pickle)


def _keras_loader(resolved: ResolvedModel, trusted_types: Sequence[str] | None, allow_pickle: bool) -> Any:
    from tracklog.keras._flavor import KerasPredictor, load_resolved

    return KerasPredictor(load_resolved(resolved, allow_pickle=allow_pickle))


_LOADERS: dict[str, Loader] = {
    "mlflow.sklearn": _sklearn_loader,
    "tracklog.sklearn": _sklearn_loader,
    "mlflow.tensorflow": _keras_loader,
    "tracklog.keras": _keras_loader,
}
_PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform", "score_samples")


class PyFuncModel:
    """A loaded model with MLflow's pyfunc surface: ``predict``, ``metadata``, ``get_raw_model``."""

    def __init__(self, raw_model: Any, metadata: MLmodel, predict_fn: str = "predict") -> None:
        self._model = raw_model
        self.metadata = metadata
        self._predict_fn = predict_fn

    @property
    def model_id(self) -> str | None:
        return self.metadata.model_id

    def get_raw_model(self) -> Any:
        """The flavor's own model object (the estimator, the ``keras.Model``)."""
        return getattr(self._model, "raw_model", self._model)

    def unwrap_python_model(self) -> Any:
        return self.get_raw_model()

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if isinstance(data, list | tuple):
            import numpy as np

            data = np.asarray(data)
        return getattr(self._model, self._predict_fn)(data)

    def __repr__(self) -> str:
        flavors = ", ".join(sorted(self.metadata.flavors))
        return f"<PyFuncModel: model_id={self.model_id!r}, flavors=[{flavors}]>"


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    *,
    trusted_types: Sequence[str] | None = None,
    allow_pickle: bool = False,
    tracking_uri: str | None = None,
) -> PyFuncModel:
    """Load any model whose ``python_function`` flavor tracklog can load; see ``tracklog.sklearn.load_model``."""
    resolved = resolve_model(model_uri, dst_path, tracking_uri)
    meta = MLmodel.load(resolved.local_dir)
    conf = meta.flavor(PYFUNC_FLAVOR)
    loader_module = str(conf.get("loader_module"))
    loader = _LOADERS.get(loader_module)
    if loader is None:
        raise InvalidArgument(
            f"tracklog cannot load models with loader_module {loader_module!r}; known loaders: "
            f"{', '.join(sorted(_LOADERS))}. Use mlflow.pyfunc.load_model for other flavors."
        )
    predict_fn = str(conf.get("predict_fn") or "predict")
    if predict_fn not in _PREDICT_FNS:
        raise InvalidArgument(f"Unsupported predict_fn {predict_fn!r} in the MLmodel of {resolved.uri}")
    return PyFuncModel(loader(resolved, trusted_types, allow_pickle), meta, predict_fn)
