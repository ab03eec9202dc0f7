"""The ``sklearn`` flavor: save, log and load scikit-learn estimators in MLflow's format."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tracklog.exceptions import InvalidArgument
from tracklog.models.environment import pinned, write_environment_files
from tracklog.models.errors import ModelIntegrityError
from tracklog.models.hashing import FILE_TAG, FORMAT_TAG, SHA256_TAG, digests_match, sha256_file
from tracklog.models.mlmodel import PYFUNC_FLAVOR, MLmodel
from tracklog.models.publish import ModelInfo, SavedFile, empty_model_dir, model_name, publish
from tracklog.models.signature import describe_inputs
from tracklog.models.uri import ResolvedModel, resolve_model
from tracklog.sklearn import _serialization as ser

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"
# MLflow's loader module: MLflow's pyfunc loader imports it, tracklog's maps it to this module
LOADER_MODULE = "mlflow.sklearn"
PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform", "score_samples")


def _requirements(serialization_format: str, example: Any, extra: Sequence[str]) -> list[str]:
    names = ["scikit-learn", "numpy", "scipy", serialization_format if serialization_format != "pickle" else ""]
    if example is not None and type(example).__module__.startswith("pandas"):
        names.append("pandas")
    names.append("mlflow")  # MLflow's loaders and `mlflow models serve` need it in the model's environment
    return [*pinned(n for n in names if n), *extra]


def _write(
    folder: Path,
    meta: MLmodel,
    sk_model: Any,
    serialization_format: str,
    signature: Any,
    input_example: Any,
    pyfunc_predict_fn: str,
    extra_pip_requirements: Sequence[str],
    metadata: Mapping[str, Any] | None,
) -> SavedFile:
    """Write the model files into ``folder``, fill ``meta`` and write it as MLmodel."""
    import sklearn

    ser.check_writable(serialization_format)
    if pyfunc_predict_fn not in PREDICT_FNS:
        raise InvalidArgument(f"pyfunc_predict_fn must be one of {', '.join(PREDICT_FNS)}")
    file_name = ser.FILE_NAMES[serialization_format]
    ser.dump(sk_model, folder / file_name, serialization_format)
    trusted = ser.untrusted_types(folder / file_name) if serialization_format == ser.SKOPS else []
    describe_inputs(meta, folder, signature, input_example, lambda x: getattr(sk_model, pyfunc_predict_fn)(x))
    env = write_environment_files(folder, _requirements(serialization_format, input_example, extra_pip_requirements))
    meta.add_flavor(
        PYFUNC_FLAVOR,
        loader_module=LOADER_MODULE,
        model_path=file_name,
        predict_fn=pyfunc_predict_fn,
        python_version=platform.python_version(),
        env=env,
    )
    meta.add_flavor(
        FLAVOR_NAME,
        pickled_model=file_name,
        sklearn_version=sklearn.__version__,
        serialization_format=serialization_format,
        code=None,
        # read by MLflow's own loader; tracklog trusts these only after the hash check
        skops_trusted_types=trusted or None,
    )
    meta.finish(folder, metadata)
    return SavedFile(file_name, serialization_format)


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    serialization_format: str = ser.SKOPS,
    signature: Any = None,
    input_example: Any = None,
    pyfunc_predict_fn: str = "predict",
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> MLmodel:
    """Save ``sk_model`` as an MLflow model directory at ``path`` (which must not exist or be empty)."""
    folder = empty_model_dir(path)
    meta = MLmodel()
    _write(
        folder, meta, sk_model, serialization_format, signature, input_example,
        pyfunc_predict_fn, extra_pip_requirements or (), metadata,
    )
    return meta


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    serialization_format: str = ser.SKOPS,
    signature: Any = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pyfunc_predict_fn: str = "predict",
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
) -> ModelInfo:
    """Log ``sk_model`` as a logged model of the active run (MLflow 3.x semantics).

    ``name`` (or the positional ``artifact_path`` of older MLflow code) names the
    model; ``runs:/<run_id>/<name>`` and the returned ``model_uri`` load it back."""
    name = model_name(name, artifact_path, registered_model_name)
    ser.check_writable(serialization_format)

    def save(folder: Path, meta: MLmodel) -> SavedFile:
        return _write(
            folder, meta, sk_model, serialization_format, signature, input_example,
            pyfunc_predict_fn, extra_pip_requirements or (), metadata,
        )

    return publish(save, name, model_type=model_type, tags=tags, params=params)


def _contained(folder: Path, relative: object) -> Path:
    if not isinstance(relative, str) or not relative:
        raise InvalidArgument("The MLmodel 'sklearn' flavor has no pickled_model file name")
    root = folder.resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise InvalidArgument(f"The MLmodel names a model file outside the model directory: {relative!r}")
    return path


def _verify(resolved: ResolvedModel, path: Path, relative: str, serialization_format: str) -> bool:
    """True when the store has a hash for this model and the file matches it; raise on mismatch."""
    recorded = resolved.tag(SHA256_TAG)
    if recorded is None:
        return False
    actual = sha256_file(path)
    if not digests_match(recorded, actual):
        raise ModelIntegrityError(
            f"Refusing to load {resolved.uri}: {relative} does not match the SHA-256 recorded in the tracking "
            f"store when it was logged (recorded {recorded[:16]}..., found {actual[:16]}...). The file was "
            "modified after logging."
        )
    recorded_format = resolved.tag(FORMAT_TAG)
    recorded_file = resolved.tag(FILE_TAG)
    if (recorded_format and recorded_format != serialization_format) or (recorded_file and recorded_file != relative):
        raise ModelIntegrityError(
            f"Refusing to load {resolved.uri}: its MLmodel names {relative} ({serialization_format}) but "
            f"{recorded_file} ({recorded_format}) was logged. The MLmodel file was modified after logging."
        )
    return True


def load_resolved(
    resolved: ResolvedModel, *, trusted_types: Sequence[str] | None = None, allow_pickle: bool = False
) -> Any:
    """Load the estimator of an already-downloaded model, after the integrity check."""
    meta = MLmodel.load(resolved.local_dir)
    conf = meta.flavor(FLAVOR_NAME)
    relative = conf.get("pickled_model")
    path = _contained(resolved.local_dir, relative)
    serialization_format = str(conf.get("serialization_format") or ser.CLOUDPICKLE)
    verified = _verify(resolved, path, str(relative), serialization_format)
    return ser.load(
        path,
        serialization_format,
        verified=verified,
        trusted_types=trusted_types,
        allow_pickle=allow_pickle,
        source=resolved.uri,
    )


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    *,
    trusted_types: Sequence[str] | None = None,
    allow_pickle: bool = False,
    tracking_uri: str | None = None,
) -> Any:
    """Load a scikit-learn model from ``runs:/``, ``models:/``, a local path or an artifact URI.

    Models logged by tracklog are checked against the SHA-256 in the tracking store
    and then loaded without further questions. Other files load only with skops'
    default safe types, plus ``trusted_types``; pickles need ``allow_pickle=True``."""
    resolved = resolve_model(model_uri, dst_path, tracking_uri)
    return load_resolved(resolved, trusted_types=trusted_types, allow_pickle=allow_pickle)
