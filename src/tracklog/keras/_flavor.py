"""The ``tensorflow`` flavor for Keras 3 models: save, log and load in MLflow's layout.

A model directory holds ``data/model.keras`` (Keras' own zip format),
``data/keras_module.txt`` and ``data/save_format.txt`` next to the ``MLmodel``
file, whose ``tensorflow`` flavor says ``model_type: keras`` and whose
``python_function`` flavor names ``mlflow.tensorflow`` — the files MLflow 3.x
writes, so ``mlflow.tensorflow.load_model`` and ``mlflow.pyfunc.load_model``
read tracklog's models and the other way round.

Loading is safe by default: the file is checked against the SHA-256 recorded in
the tracking store when tracklog logged it, and Keras loads it with
``safe_mode=True`` (no deserialized Python code, e.g. ``Lambda`` layers).
Pickled custom objects that MLflow may write beside the model are never read
unless ``allow_pickle=True``.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tracklog.exceptions import InvalidArgument
from tracklog.models.environment import pinned, write_environment_files
from tracklog.models.errors import ModelIntegrityError
from tracklog.models.hashing import FILE_TAG, SHA256_TAG, digests_match, sha256_file
from tracklog.models.mlmodel import PYFUNC_FLAVOR, MLmodel
from tracklog.models.publish import ModelInfo, SavedFile, empty_model_dir, model_name, publish
from tracklog.models.signature import describe_inputs
from tracklog.models.uri import ResolvedModel, resolve_model

__all__ = ["FLAVOR_NAME", "KerasPredictor", "load_model", "load_resolved", "log_model", "save_model"]

FLAVOR_NAME = "tensorflow"
LOADER_MODULE = "mlflow.tensorflow"  # MLflow's pyfunc loader imports it; tracklog maps it to this module
MODEL_TYPE = "keras"
SERIALIZATION_FORMAT = "keras"
DATA_DIR = "data"
MODEL_FILE = f"{DATA_DIR}/model.keras"
_KERAS_MODULE_FILE = f"{DATA_DIR}/keras_module.txt"
_SAVE_FORMAT_FILE = f"{DATA_DIR}/save_format.txt"
_PICKLED_OBJECTS = ("custom_objects.cloudpickle", "global_custom_objects.cloudpickle")


def _keras_model_class() -> Any:
    import keras

    return keras.Model


def _requirements(extra: Sequence[str]) -> list[str]:
    names = ["keras", "tensorflow", "tensorflow-cpu", "numpy", "mlflow"]
    return [*pinned(names), *extra]


def _write(
    folder: Path,
    meta: MLmodel,
    model: Any,
    signature: Any,
    input_example: Any,
    extra_pip_requirements: Sequence[str],
    metadata: Mapping[str, Any] | None,
) -> SavedFile:
    """Write the model files into ``folder``, fill ``meta`` and write it as MLmodel."""
    if not isinstance(model, _keras_model_class()):
        raise InvalidArgument(f"tracklog.keras saves Keras 3 models (keras.Model), not {type(model).__name__}")
    import keras

    (folder / DATA_DIR).mkdir(parents=True, exist_ok=True)
    model.save(folder / MODEL_FILE)
    (folder / _KERAS_MODULE_FILE).write_text("tensorflow.keras", encoding="utf-8")
    (folder / _SAVE_FORMAT_FILE).write_text("tf", encoding="utf-8")
    describe_inputs(meta, folder, signature, input_example, lambda example: model.predict(example, verbose=0))
    env = write_environment_files(folder, _requirements(extra_pip_requirements))
    meta.add_flavor(
        PYFUNC_FLAVOR,
        loader_module=LOADER_MODULE,
        data=DATA_DIR,
        python_version=platform.python_version(),
        env=env,
    )
    meta.add_flavor(
        FLAVOR_NAME,
        code=None,
        data=DATA_DIR,
        model_type=MODEL_TYPE,
        keras_version=_backend_version(keras),
        save_format="tf",
    )
    meta.finish(folder, metadata)
    return SavedFile(MODEL_FILE, SERIALIZATION_FORMAT)


def _backend_version(keras: Any) -> str:
    """MLflow records TensorFlow's version under ``keras_version``; fall back to Keras' own."""
    from importlib import metadata

    for name in ("tensorflow", "tensorflow-cpu"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return str(keras.__version__)


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    signature: Any = None,
    input_example: Any = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> MLmodel:
    """Save a Keras model as an MLflow model directory at ``path`` (which must not exist or be empty)."""
    folder = empty_model_dir(path)
    meta = MLmodel()
    _write(folder, meta, model, signature, input_example, extra_pip_requirements or (), metadata)
    return meta


def log_model(
    model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
) -> ModelInfo:
    """Log a Keras model as a logged model of the active run (MLflow 3.x semantics)."""
    name = model_name(name, artifact_path, registered_model_name)
    if not isinstance(model, _keras_model_class()):
        raise InvalidArgument(f"tracklog.keras logs Keras 3 models (keras.Model), not {type(model).__name__}")

    def save(folder: Path, meta: MLmodel) -> SavedFile:
        return _write(folder, meta, model, signature, input_example, extra_pip_requirements or (), metadata)

    return publish(save, name, model_type=model_type, tags=tags, params=params)


def _model_file(folder: Path, conf: Mapping[str, Any]) -> Path:
    """The ``.keras`` file the flavor names, contained in the model directory."""
    if conf.get("model_type", MODEL_TYPE) != MODEL_TYPE:
        raise InvalidArgument(
            f"tracklog.keras loads Keras models; this one has model_type {conf.get('model_type')!r}"
        )
    data = conf.get("data", DATA_DIR)
    if not isinstance(data, str) or not data:
        raise InvalidArgument("The MLmodel 'tensorflow' flavor has no data directory")
    root = folder.resolve()
    path = (root / data / "model.keras").resolve()
    if root not in path.parents:
        raise InvalidArgument(f"The MLmodel names a model file outside the model directory: {data!r}")
    if not path.is_file():
        raise InvalidArgument(
            f"No {data}/model.keras in the model directory: tracklog loads Keras 3 models saved in the .keras format"
        )
    return path


def _verify(resolved: ResolvedModel, path: Path) -> None:
    recorded = resolved.tag(SHA256_TAG)
    if recorded is None:
        return
    actual = sha256_file(path)
    if not digests_match(recorded, actual):
        raise ModelIntegrityError(
            f"Refusing to load {resolved.uri}: {MODEL_FILE} does not match the SHA-256 recorded in the tracking "
            f"store when it was logged (recorded {recorded[:16]}..., found {actual[:16]}...). The file was "
            "modified after logging."
        )
    recorded_file = resolved.tag(FILE_TAG)
    relative = path.relative_to(resolved.local_dir.resolve()).as_posix()
    if recorded_file and recorded_file != relative:
        raise ModelIntegrityError(
            f"Refusing to load {resolved.uri}: its MLmodel names {relative} but {recorded_file} was logged"
        )


def _custom_objects(folder: Path, allow_pickle: bool) -> dict[str, Any]:
    """Custom objects MLflow pickled beside the model: read only with ``allow_pickle=True``."""
    found: dict[str, Any] = {}
    for name in _PICKLED_OBJECTS:
        path = folder / name
        if not path.is_file():
            continue
        if not allow_pickle:
            raise InvalidArgument(
                f"The model carries pickled custom objects ({DATA_DIR}/{name}); loading them can run arbitrary "
                "code. Pass custom_objects=... yourself, or allow_pickle=True if you trust the file."
            )
        import cloudpickle

        with open(path, "rb") as f:
            found.update(cloudpickle.load(f))
    return found


def load_resolved(
    resolved: ResolvedModel, *, custom_objects: Mapping[str, Any] | None = None, allow_pickle: bool = False
) -> Any:
    """Load the Keras model of an already-downloaded model directory, after the integrity check."""
    import keras

    meta = MLmodel.load(resolved.local_dir)
    path = _model_file(resolved.local_dir, meta.flavor(FLAVOR_NAME))
    _verify(resolved, path)
    objects = {**_custom_objects(path.parent, allow_pickle), **(custom_objects or {})}
    return keras.models.load_model(path, custom_objects=objects or None, compile=True, safe_mode=True)


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    *,
    custom_objects: Mapping[str, Any] | None = None,
    allow_pickle: bool = False,
    tracking_uri: str | None = None,
) -> Any:
    """Load a Keras model from ``runs:/``, ``models:/``, a local path or an artifact URI."""
    resolved = resolve_model(model_uri, dst_path, tracking_uri)
    return load_resolved(resolved, custom_objects=custom_objects, allow_pickle=allow_pickle)


class KerasPredictor:
    """What ``tracklog.pyfunc`` wraps: ``predict`` on arrays or DataFrames, without progress bars."""

    def __init__(self, model: Any) -> None:
        self.raw_model = model

    def predict(self, data: Any) -> Any:
        import numpy as np

        values = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
        return self.raw_model.predict(values, verbose=0)
